"""Jinja2 templates shipped in the package, overridable from the library repository.

A library overrides any template by putting a file with the same relative name under
``<library root>/.reflib/templates/`` (for example ``.reflib/templates/scaffold/card.md.j2``).
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import jinja2

from reflib.core.errors import ReflibError

OVERRIDE_DIR = ".reflib/templates"


def _base_environment(root: Path | None, *, autoescape: bool) -> jinja2.Environment:
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


_SIMPLE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_ .,/@()+-]*$")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "~", "y", "n"}


def yaml_scalar(value: Any) -> str:
    """``value`` as a YAML scalar: plain when unambiguous, else a double-quoted string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if (_SIMPLE.match(text) and text.lower() not in _YAML_WORDS and not text.endswith(" ")
            and not re.match(r"^[0-9.+-]", text) and ": " not in text):
        return text
    return json.dumps(text, ensure_ascii=False)


def environment(root: Path | None = None, *, autoescape: bool = False) -> jinja2.Environment:
    """The template environment with the ``yaml`` and ``shell`` filters."""
    env = _base_environment(root, autoescape=autoescape)
    env.filters["yaml"] = yaml_scalar
    env.filters["shell"] = shlex.quote
    return env


def render(root: Path | None, name: str, **context: Any) -> str:
    """Render template ``name`` (e.g. ``scaffold/card.md.j2``) with ``context``."""
    try:
        return environment(root).get_template(name).render(**context)
    except jinja2.TemplateError as exc:
        where = getattr(exc, "filename", None) or name
        line = getattr(exc, "lineno", None)
        raise ReflibError(f"template error: {exc}", where, line) from None
