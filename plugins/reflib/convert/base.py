"""The converter interface: raw artifacts in, a lossless markdown body out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class RawInput:
    """One entry of a manifest ``raw`` list."""

    rel: str
    """As written in the manifest, relative to ``sources/<id>/`` (e.g. ``raw/page.html``)."""
    path: Path
    """Absolute path on disk (a file, or a folder for a repo checkout)."""


@dataclass
class ConvertRequest:
    """Everything a converter may use about one resource."""

    resource_id: str
    title: str
    type: str
    url: str | None
    raw: list[RawInput]
    options: dict[str, Any] = field(default_factory=dict)
    """Extra manifest keys a converter understands (e.g. ``repo_priority``)."""


@dataclass
class ConvertResult:
    """A converter's output: the full.md body (no front matter) and what it approximated."""

    body: str
    kind: str
    """``html``, ``pdf``, ``repo`` or ``issue``: recorded in the ``converter`` field."""
    notes: list[str] = field(default_factory=list)
    """Lines for ``conversion_notes`` (papers: per page)."""
    title: str | None = None
    """A title found in the source, if any."""
    coverage: float | None = None
    """Share of the source's text that the body holds (HTML: the page's visible prose),
    recorded as ``coverage`` in the front matter."""
    extraction: str | None = None
    """How the body was chosen (HTML), recorded as ``extraction``."""


class ConversionError(Exception):
    """The raw artifact cannot be converted (corrupt PDF, undecodable HTML, invalid JSON)."""
