"""Tier 1 -> Tier 2 converters: raw artifacts in, one lossless markdown body out.

Each converter module (``html``, ``pdf``, ``repo``, ``issue``) exposes
``convert(request: ConvertRequest) -> ConvertResult``; :mod:`reflib.convert.run` picks one
per resource, writes ``sources/<id>/full.md`` with its provenance front matter and moves the
manifest status forward.

This module holds the small markdown helpers the converters share. It imports nothing
heavy, so importing a converter stays cheap.
"""

from __future__ import annotations

import re

_BACKTICK_RUN = re.compile(r"`+")
_INLINE_SPECIAL = re.compile(r"([\\*\[\]<>&~]|(?<![^\W_])_|_(?![^\W_]))")
"""Inline syntax characters; ``_`` only where it can delimit emphasis (not inside a word)."""
_CLOSING_HASHES = re.compile(r"(^|\s)(#+)(\s*)$")
_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.S)
_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


def longest_backtick_run(text: str) -> int:
    """Length of the longest run of consecutive backticks in ``text`` (0 when none)."""
    return max((len(m.group(0)) for m in _BACKTICK_RUN.finditer(text)), default=0)


def code_fence(text: str) -> str:
    """A backtick fence longer than any backtick run inside ``text`` (at least three)."""
    return "`" * max(3, longest_backtick_run(text) + 1)


def fenced_block(text: str, language: str = "") -> str:
    """``text`` verbatim in a fenced code block that nothing inside can close."""
    fence = code_fence(text)
    if text and not text.endswith("\n"):
        text += "\n"
    return f"{fence}{language}\n{text}{fence}\n"


def escape_inline(text: str) -> str:
    """Backslash-escape the characters that inline markdown would interpret.

    Used for text that goes into a heading or list item as-is (a file path, an issue title,
    a user name): ``__init__.py`` must not turn bold and ``List<T>`` must not vanish as an
    HTML tag. Escapes are dropped again when GitHub computes the heading's anchor, so the
    anchor is that of the original text. Code spans are kept as they are: backslashes are
    literal inside them, and a code span in an issue title is meant as one.
    """
    text = text.replace("\n", " ")
    out: list[str] = []
    pos = 0
    for m in _CODE_SPAN.finditer(text):
        out.append(_INLINE_SPECIAL.sub(r"\\\1", text[pos:m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(_INLINE_SPECIAL.sub(r"\\\1", text[pos:]))
    return _CLOSING_HASHES.sub(r"\1\\\2\3", "".join(out))


def inline_code(text: str) -> str:
    """``text`` as a code span, with enough backticks (and padding) to hold any inside."""
    ticks = "`" * (longest_backtick_run(text) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def unclosed_fence(markdown: str) -> str | None:
    """The fence that closes a code block left open at the end of ``markdown``, or None.

    Follows CommonMark: a block opened by N backticks (or tildes) closes on a line of at
    least N of the same character with nothing but spaces after it.
    """
    open_char = ""
    open_len = 0
    for line in markdown.split("\n"):
        m = _FENCE_OPEN.match(line)
        if not m:
            continue
        run, rest = m.group(1), m.group(2)
        if not open_len:
            if run[0] == "`" and "`" in rest:
                continue  # an info string with a backtick is not a fence
            open_char, open_len = run[0], len(run)
        elif run[0] == open_char and len(run) >= open_len and not rest.strip():
            open_char, open_len = "", 0
    return open_char * open_len if open_len else None
