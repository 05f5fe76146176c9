"""What a cited section says: its text, its words, quotes found in it, and its fingerprint.

A citation names a heading of a full text; the *section* is that heading's body up to the
next heading of the same or a higher level (sub-sections included). Two things are checked
against it:

* a **quote** (the exact words a claim relies on, in double quotes after the link) must occur
  in the section. Words are compared: markup (emphasis, code spans, links, HTML tags and
  comments), punctuation, whitespace and line breaks are ignored, letters are compared
  case-insensitively after Unicode NFKC normalisation (so a ligature matches its letters);
* an approved card records a **fingerprint** per cited section: a hash of the section's text
  with markup removed and whitespace collapsed (case and punctuation kept). A re-conversion
  that only re-wraps lines or changes emphasis keeps it; a changed word or number does not.

Pure functions over text and :class:`~reflib.core.mdscan.Heading` lists; nothing here reads files.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from reflib.core.mdscan import Heading, ScanResult, section_range

FINGERPRINT_CHARS = 16
"""Hex digits kept of a section's SHA-256 (64 bits: plenty to notice a change)."""

_STRIP: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"<!--.*?-->", re.S), " "),
    (re.compile(r"<((?:https?|ftp|mailto):[^>\s]+)>"), r" \1 "),
    (re.compile(r"</?[A-Za-z][^>\n]*>"), " "),
    (re.compile(r"!\[((?:[^\[\]\\]|\\.)*)\]\([^)\n]*\)"), r"\1"),
    (re.compile(r"\[((?:[^\[\]\\]|\\.|\[[^\]]*\])*)\]\((?:[^()\s]|\([^)]*\))*(?:\s+\"[^\"]*\")?\)"),
     r"\1"),
    (re.compile(r"\[((?:[^\[\]\\]|\\.)*)\]\[[^\]]*\]"), r"\1"),
    (re.compile(r"^ {0,3}\[[^\]]+\]:\s+\S+.*$", re.M), " "),
    (re.compile(r"^ {0,3}(?:#{1,6}[ \t]+|(?:>[ \t]?)+|[-*+][ \t]+(?:\[[ xX]\][ \t]+)?|"
                r"\d{1,9}[.)][ \t]+)", re.M), ""),
    (re.compile(r"^\s*(?:`{3,}|~{3,}).*$", re.M), " "),
    (re.compile(r"^ {0,3}(?:=+|-+|\*+|_+)[ \t]*$", re.M), " "),
    (re.compile(r"^\s*\|?(?:\s*:?-+:?\s*\|)+\s*:?-*:?\s*$", re.M), " "),
    (re.compile(r"\{#[^}\s]*\}|\{:[^}]*\}"), " "),
    (re.compile(r"\\([!-/:-@\[-`{-~])"), r"\1"),
    (re.compile(r"(\*\*|__|\*|`+|~~)"), ""),
)
_WORD = re.compile(r"[^\W_]+")


def plain_text(markdown: str) -> str:
    """The readable text of ``markdown``: markup removed, whitespace collapsed to one space.

    Link and image targets go; their text and alt text stay. HTML comments (a converter's
    page-marker notes) and tags go. Case, punctuation and digits stay.
    """
    text = markdown
    for pattern, repl in _STRIP:
        text = pattern.sub(repl, text)
    return " ".join(html.unescape(text).split())


def words(text: str) -> list[str]:
    """The words of plain ``text`` as compared for quotes: NFKC, case-folded, letters and
    digits only (``_``, punctuation and symbols separate words)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def locate(text: str, quote: str) -> tuple[int, int] | None:
    """Character span ``(start, end)`` of ``quote``'s words in plain ``text`` (the first
    occurrence, compared as :func:`find_quote` compares), or ``None``."""
    wanted = quote_words(quote)
    if not wanted:
        return None
    spans: list[tuple[int, int]] = []
    found: list[str] = []
    for m in _WORD.finditer(text):
        for w in words(m.group(0)):
            found.append(w)
            spans.append(m.span())
    at = _find(found, wanted)
    if at < 0:
        return None
    return spans[at][0], spans[at + len(wanted) - 1][1]


def quote_words(quote: str) -> list[str]:
    """The words of a quote as written in a card (its own markup ignored too)."""
    return words(plain_text(quote))


def fingerprint(markdown: str) -> str:
    """The fingerprint of a section's markdown (see the module docs)."""
    digest = hashlib.sha256(plain_text(markdown).encode("utf-8")).hexdigest()
    return digest[:FINGERPRINT_CHARS]


_PAGE_ID = re.compile(r"^page-\d+$")


@dataclass(frozen=True)
class Passage:
    """What an anchor cites: 0-based line range ``[start, end)`` of the file and a title."""

    start: int
    end: int
    title: str
    heading: Heading | None = None


def passage(lines: Sequence[str], scan: ScanResult, anchor: str) -> Passage | None:
    """The passage an anchor cites, or ``None`` when the file has no such anchor.

    * a heading: its body up to the next heading of the same or a higher level (the
      heading's own line left out);
    * a page marker (an HTML anchor ``page-N``): from the marker to the next page marker;
    * any other HTML anchor: from its line to the next heading.
    """
    span = section_range(scan.headings, anchor, len(lines))
    if span is not None:
        heading = next(h for h in scan.headings if h.anchor == anchor)
        return Passage(span[0], span[1] - 1, heading.text, heading)
    line = scan.html_ids.get(anchor)
    if line is None:
        return None
    if _PAGE_ID.match(anchor):
        later = [n for a, n in scan.html_ids.items() if n > line and _PAGE_ID.match(a)]
        title = "page " + anchor.split("-", 1)[1]
    else:
        later = [h.line for h in scan.headings if h.line > line]
        title = anchor
    end = min(later) - 1 if later else len(lines)
    return Passage(line - 1, end, title)


def passage_text(lines: Sequence[str], scan: ScanResult, anchor: str) -> str | None:
    """The markdown of the passage under ``anchor`` (see :func:`passage`)."""
    found = passage(lines, scan, anchor)
    return None if found is None else "\n".join(lines[found.start:found.end])


def _find(haystack: list[str], needle: list[str]) -> int:
    """Index of the first word of ``needle`` as a contiguous run in ``haystack``, or -1."""
    if not needle:
        return -1
    text = " " + " ".join(haystack) + " "
    pos = text.find(" " + " ".join(needle) + " ")
    if pos < 0:
        return -1
    return text.count(" ", 0, pos)


@dataclass(frozen=True)
class QuoteResult:
    """Where a quote was looked for, and what was found."""

    found: bool
    words: int
    """Words in the quote."""
    matched: int = 0
    """When not found: the longest run of the quote's first words found in the section."""
    elsewhere: Heading | None = None
    """When not found in the section: the heading whose own text holds the quote."""

    def explain(self, quote: str) -> str:
        """Why a quote that was not found is not there, for a finding's message."""
        shown = quote if len(quote) <= 80 else quote[:77] + "..."
        if self.words == 0:
            return f'quote "{shown}" has no words to compare'
        if self.elsewhere is not None:
            return (f'quote "{shown}" is not in the cited passage; it is under '
                    f"'{self.elsewhere.text}' (#{self.elsewhere.anchor})")
        if self.matched:
            return (f'quote "{shown}" is not in the cited passage: its first {self.matched} '
                    f"of {self.words} words are, then the text differs")
        return f'quote "{shown}" is not in the cited passage'


def find_quote(lines: Sequence[str], scan: ScanResult, anchor: str,
               quote: str) -> QuoteResult:
    """Look for ``quote`` in the passage under ``anchor`` of a file with ``lines`` and
    ``scan`` (see :func:`passage`; the anchor must exist)."""
    wanted = quote_words(quote)
    if not wanted:
        return QuoteResult(False, 0)
    body = passage_text(lines, scan, anchor) or ""
    have = words(plain_text(body))
    if _find(have, wanted) >= 0:
        return QuoteResult(True, len(wanted))
    # the longest prefix of the quote that the section holds
    lo, hi = 0, len(wanted)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _find(have, wanted[:mid]) >= 0:
            lo = mid
        else:
            hi = mid - 1
    return QuoteResult(False, len(wanted), matched=lo,
                       elsewhere=_holder(lines, scan.headings, wanted))


def _holder(lines: Sequence[str], headings: list[Heading], wanted: list[str]) -> Heading | None:
    """The heading whose own text (up to the next heading of any level) holds ``wanted``."""
    for i, h in enumerate(headings):
        end = headings[i + 1].line - 1 if i + 1 < len(headings) else len(lines)
        own = words(plain_text("\n".join(lines[h.line:end])))
        if _find(own, wanted) >= 0:
            return h
    return None


def passage_fingerprint(lines: Sequence[str], scan: ScanResult, anchor: str) -> str | None:
    """The fingerprint of the passage under ``anchor``, or ``None`` when it does not exist."""
    text = passage_text(lines, scan, anchor)
    return None if text is None else fingerprint(text)


__all__ = [
    "Passage", "QuoteResult", "find_quote", "fingerprint", "locate", "passage",
    "passage_fingerprint", "passage_text", "plain_text", "quote_words", "words",
]
