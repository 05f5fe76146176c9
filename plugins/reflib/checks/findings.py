"""A checker finding (file, line, rule code, message) and what every rule shares."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reflib.core import paths
from reflib.core.model import (
    Document,
)
from reflib.core.schema import (
    ID_PATTERN,
    STATUSES,
    TOPIC_PATTERN,
    is_reflib_converter,
)

MANIFEST = paths.MANIFEST
_STATUS_RANK = {s: i for i, s in enumerate(STATUSES)}
_ID_RE = re.compile(ID_PATTERN)
_TOPIC_RE = re.compile(TOPIC_PATTERN)
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_FP_RE = re.compile(r"^[0-9a-f]{16,64}$")


@dataclass(frozen=True, order=True)
class Finding:
    """One problem, at one place."""

    path: str
    line: int
    column: int
    code: str
    message: str

    def text(self) -> str:
        """``path:line: message [code]``, or ``path:line:column: ...`` when the column is
        known (the form compilers use, which editors jump to)."""
        col = f":{self.column}" if self.column else ""
        return f"{self.path}:{self.line}{col}: {self.message} [{self.code}]"

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "column": self.column,
                "code": self.code, "message": self.message}


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or an empty string."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


def _f(path: str, line: int, code: str, message: str, column: int = 0) -> Finding:
    return Finding(path, max(line, 1), column, code, message)


def is_hand_conversion(doc: Document) -> bool:
    """True for a full text that no reflib converter wrote (``converter: manual``, another
    tool's name, or no front matter or converter at all)."""
    return not is_reflib_converter((doc.meta or {}).get("converter"))
