"""Hand conversions: a full.md written by a person or an agent, registered like a conversion.

Papers are often converted by reading them page by page (equations, tables and figures need
judgement). Such a full text is a valid Tier 2 file with ``converter: manual`` and no hashes.
:func:`register` (``reflib convert ID --manual``) gives it the provenance a converter writes:
``converter: manual`` when absent, ``converted``, ``converted_by`` and ``raw_sha256`` (so a later
change of a raw file is reported as for any conversion), plus ``id``, ``title``,
``source_url`` and ``tier`` from the manifest when missing. Only front-matter lines change;
the body stays byte-identical. :func:`scaffold` (``reflib new fulltext ID``) starts one:
the front matter, and for a PDF a page marker per page with a placeholder to fill.

For a PDF, :func:`pdf_coverage` compares the transcription with the PDF's own text layer,
page by page (when the markers are there): the share of the layer's words found in the body.
A low share means a page was skipped or cut short; ``reflib convert --manual`` says so and
records the overall share as ``coverage``.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reflib.convert.base import ConversionError
from reflib.convert.pdf.coverage import (
    LOW_PAGE_COVERAGE,
    MIN_PAGE_WORDS,
    PageCoverage,
    pdf_coverage,
    pdf_files,
    text_layer,
)
from reflib.convert.run import raw_inputs
from reflib.core import frontmatter
from reflib.core.errors import ReflibError
from reflib.core.fsutil import sha256_path
from reflib.core.model import TODO_MARK
from reflib.core.paths import fulltext_rel
from reflib.core.schema import MANUAL_CONVERTER


@dataclass
class Registration:
    """What :func:`register` did to one full text."""

    id: str
    text: str
    """The new file text (front matter edited, body untouched)."""
    filled: list[str] = field(default_factory=list)
    """Front-matter keys written."""
    pages: list[PageCoverage] = field(default_factory=list)
    coverage: float | None = None

    @property
    def low_pages(self) -> list[PageCoverage]:
        return [p for p in self.pages
                if p.words >= MIN_PAGE_WORDS and p.share < LOW_PAGE_COVERAGE]


def _block_map(hashes: dict[str, str]) -> str:
    rows = [f"  {_scalar(k)}: {v}" for k, v in hashes.items()]
    return "\n" + "\n".join(rows)


def _scalar(value: Any) -> str:
    from reflib.core.templates import yaml_scalar

    return yaml_scalar(value)


def register(root: Path, entry: dict[str, Any], *, by: str | None,
             today: _dt.date | None = None, allow_placeholders: bool = False) -> Registration:
    """The registered text of ``entry``'s hand-made full.md (nothing is written).

    Raises :class:`ReflibError` when there is no full.md, its front matter does not parse
    or names another id, a raw file is missing, or (unless ``allow_placeholders``)
    placeholders of ``reflib new fulltext`` are left in it.
    """
    rid = str(entry.get("id", ""))
    rel = fulltext_rel(rid)
    path = root / rel
    if not path.is_file():
        raise ReflibError(f"{rel} does not exist; write it first (start one with "
                          f"'reflib new fulltext {rid}')")
    try:
        original = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReflibError(f"not valid UTF-8 (byte {exc.start}); re-save it as UTF-8", rel) from None
    text = original[1:] if original.startswith("\ufeff") else original
    try:
        raws = raw_inputs(root, rid, entry)
    except ConversionError as exc:
        raise ReflibError(f"cannot register {rel}: {exc}") from None
    parsed = frontmatter.split(text, rel)  # a syntax problem names file and line
    body = parsed.body
    todo = [parsed.body_line + i for i, line in enumerate(body.split("\n")) if TODO_MARK in line]
    if todo and not allow_placeholders:
        shown = ", ".join(str(n) for n in todo[:10]) + (" ..." if len(todo) > 10 else "")
        raise ReflibError(f"{len(todo)} placeholder(s) '{TODO_MARK}' are left on line(s) {shown}; "
                          f"transcribe those parts (or pass --force to register it unfinished)",
                          rel, todo[0])
    meta = parsed.meta or {}
    if meta.get("id") not in (None, "") and str(meta.get("id")) != rid:
        raise ReflibError(f"front matter id '{meta.get('id')}' does not match its folder '{rid}'",
                          rel, parsed.key_lines.get("id", 1))
    hashes = {raw.rel: sha256_path(raw.path) for raw in raws}
    pages = pdf_coverage(raws, body)
    total = sum(p.words for p in pages)
    coverage = round(sum(p.found for p in pages) / total, 3) if total else None
    when = (today or _dt.date.today()).isoformat()
    changes: dict[str, str] = {}
    if not meta.get("id"):
        changes["id"] = rid
    if not meta.get("title"):
        changes["title"] = _scalar(str(entry.get("title") or rid))
    if not meta.get("source_url") and entry.get("url"):
        changes["source_url"] = _scalar(str(entry["url"]))
    if meta.get("tier") in (None, ""):
        changes["tier"] = "2"
    if not meta.get("converter"):
        changes["converter"] = MANUAL_CONVERTER
    changes["converted"] = when
    if by:
        changes["converted_by"] = _scalar(by)
    changes["raw_sha256"] = _block_map(hashes)
    if coverage is not None:
        changes["coverage"] = str(coverage)
    if parsed.meta is None:
        head = "---\n---\n"
        new_text = frontmatter.set_keys(head, changes) + text
    else:
        new_text = frontmatter.set_keys(text, changes, after="tier")
    if frontmatter.split(new_text, rel).body != body:  # pragma: no cover - set_keys keeps it
        raise ReflibError("registering would change the body; nothing was written", rel)
    return Registration(rid, new_text, list(changes), pages, coverage)


def scaffold(root: Path, entry: dict[str, Any], *, by: str | None) -> str:
    """A full.md to be filled by hand: front matter, then per PDF page a page marker and a
    placeholder (per raw file for other kinds). Raises :class:`ReflibError` when a raw file
    is missing."""
    from reflib.core.templates import render

    rid = str(entry.get("id", ""))
    try:
        raws = raw_inputs(root, rid, entry)
    except ConversionError as exc:
        raise ReflibError(f"cannot scaffold {fulltext_rel(rid)}: {exc}") from None
    pdfs = []
    for rel, path, prefix in pdf_files(raws):
        pages = len(text_layer(path, rel))
        pdfs.append({"rel": rel, "prefix": prefix, "pages": pages})
    others = [raw.rel for raw in raws if raw.path.suffix.lower() != ".pdf" or raw.path.is_dir()]
    return render(root, "scaffold/fulltext.md.j2", id=rid,
                  title=str(entry.get("title") or rid), url=entry.get("url"),
                  type=str(entry.get("type") or "other"), by=by, pdfs=pdfs, others=others,
                  several=len(pdfs) > 1, todo=TODO_MARK)


__all__ = ["LOW_PAGE_COVERAGE", "MIN_PAGE_WORDS", "PageCoverage", "Registration", "pdf_coverage",
           "register", "scaffold"]
