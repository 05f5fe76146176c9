"""Helpers shared by the authoring and lookup commands (not a command itself)."""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Iterable
from typing import TextIO

from rich.console import Console


def closest(word: str, choices: Iterable[str], n: int = 5) -> list[str]:
    """Up to ``n`` choices closest to ``word`` (difflib), best first."""
    pool = sorted(set(choices))
    found = difflib.get_close_matches(word, pool, n=n, cutoff=0.5)
    if len(found) < n:
        lower = word.lower()
        found += [c for c in pool if lower and lower in c.lower() and c not in found][
            : n - len(found)]
    return found


def suggestion(word: str, choices: Iterable[str], what: str = "did you mean") -> str:
    """``"; did you mean 'a', 'b'?"`` for the closest choices, or an empty string."""
    found = closest(word, choices)
    if not found:
        return ""
    return f"; {what} " + ", ".join(f"'{c}'" for c in found) + "?"


def error(message: str) -> None:
    """Print ``reflib: message`` to standard error."""
    print(f"reflib: {message}", file=sys.stderr)


def console(file: TextIO | None = None) -> Console:
    """A rich console on ``file`` (default: the current standard output).

    Colour and styles only on a terminal; when the output is piped, plain text at least 100
    columns wide (or ``$COLUMNS``) so tables are not cut for tools and logs.
    """
    out = file if file is not None else sys.stdout
    tty = hasattr(out, "isatty") and out.isatty()
    width = None if tty else int(os.environ.get("COLUMNS", "0") or 0) or 120
    return Console(file=out, width=width, highlight=False)


def agent_name(explicit: str | None, *env_names: str) -> str | None:
    """``explicit`` if given, else the first non-empty environment variable of ``env_names``."""
    if explicit:
        return explicit.strip() or None
    for name in env_names:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None
