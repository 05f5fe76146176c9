"""Jinja2 templates shipped in the package, overridable from the library repository.

A library overrides any template by putting a file with the same relative name under
``<library root>/.reflib/templates/`` (for example ``.reflib/templates/scaffold/card.md.j2``).
"""

from __future__ import annotations

from pathlib import Path

import jinja2

OVERRIDE_DIR = ".reflib/templates"


def environment(root: Path | None = None, *, autoescape: bool = False) -> jinja2.Environment:
    """A Jinja2 environment that looks in the library's override folder, then the package."""
    loaders: list[jinja2.BaseLoader] = []
    if root is not None:
        loaders.append(jinja2.FileSystemLoader(str(Path(root) / OVERRIDE_DIR)))
    loaders.append(jinja2.PackageLoader("reflib", "templates"))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=autoescape,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
