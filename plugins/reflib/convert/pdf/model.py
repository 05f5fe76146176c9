"""What the PDF converter reads a page into: lines, table items, blocks, and the document's context."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import pymupdf

KIND = "pdf"

_TEXT_FLAGS = pymupdf.TEXTFLAGS_WORDS
"""The same flags as ``page.get_text("words")``, so both see the same characters."""

_LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
              "\ufb05": "st", "\ufb06": "st"}
_SPECIAL_CHARS = re.compile("[\ufb00-\ufb06\U0001d400-\U0001d7ff]")
_BOLD_NAME = re.compile(r"bold|black|heavy|semibold|demi|[-,.]bd\b|CMBX|\bBX", re.I)
_MONO_NAME = re.compile(r"mono|courier|consol|CMTT|code|menlo|inconsolata", re.I)
_MATH_NAME = re.compile(r"CMMI|CMSY|CMEX|math|STIX|MSAM|MSBM|symbol", re.I)
_PAGE_NUMBER = re.compile(
    r"^(?:page\s+)?(?:\d{1,4}|[ivxlcdm]{1,7})(?:\s*(?:/|of)\s*\d{1,4})?$|^[-–—]\s*\d{1,4}\s*[-–—]$",
    re.I,
)
_NUMBERED_HEADING = re.compile(r"^(?:(\d{1,2}(?:\.\d{1,2}){0,4})\.?|([IVX]{1,5})\.)\s+\S")
_BULLET = re.compile(r"^[•◦▪●○■□‣⁃∙·]\s*")
_ENUMERATOR = re.compile(r"^(?:\d{1,2}[.)]|\(\w{1,3}\)|[a-z][.)])\s")
_EQUATION_NUMBER = re.compile(r"\(\d{1,3}[a-z]?\)$")
_WORD = re.compile(r"\w+")
_HYPHENS = "-\u2010\u2011"
_KEEP_HYPHEN_BEFORE = {"and", "or", "to", "nor", "vs"}
_TABLE_CAPTION = re.compile(r"^(table|tab\.|\[표)(?:\s*([0-9]+|[IVX]+)\b|$)", re.I)

HEADER_BAND = 0.15
"""Share of the page height, at the top, where a running header may sit."""
FOOTER_BAND = 0.15
"""Share of the page height, at the bottom, where a running footer or page number may sit."""
MAX_HEADING_CHARS = 160


# --- data model --------------------------------------------------------------------------------


class _Box:
    """Centre of an axis-aligned box with ``x0``, ``y0``, ``x1``, ``y1``."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def cx(self) -> float:
        """Horizontal centre."""
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        """Vertical centre."""
        return (self.y0 + self.y1) / 2


@dataclass(eq=False)
class Line(_Box):
    """One text line of a page, with the style facts the layout rules need."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    size: float
    bold: bool
    mono: bool
    math: bool
    column: tuple[float, float] = (0.0, 0.0)
    """Left and right edge of the column the line was read in (set by the ordering)."""

    @property
    def height(self) -> float:
        """Height of the line's box."""
        return self.y1 - self.y0



@dataclass(eq=False)
class TableItem(_Box):
    """A table found on a page, already rendered as markdown."""

    x0: float
    y0: float
    x1: float
    y1: float
    markdown: str
    rows: int
    cols: int
    column: tuple[float, float] = (0.0, 0.0)
    label: str = "table"
    """``Table 2`` when a caption next to it says so."""



Item = Line | TableItem


@dataclass
class PageText:
    """Everything read from one page before layout."""

    number: int
    width: float
    height: float
    lines: list[Line]
    rotated: list[Line]
    images: int
    drawings: list[dict[str, Any]]
    """Vector paths as ``page.get_cdrawings()`` returns them."""
    chrome: list[tuple[str, str]] = field(default_factory=list)
    """(``header`` or ``footer``, text) moved out of the prose into the page marker."""
    notes: list[str] = field(default_factory=list)


@dataclass
class Block:
    """A unit of output: a paragraph, heading, code block, equation or table."""

    kind: str
    lines: list[Line] = field(default_factory=list)
    text: str = ""
    level: int = 0


@dataclass
class DocContext:
    """Document-wide facts used while laying out each page."""

    body_size: float
    outline: dict[str, int]
    title_key: str | None
    words: set[str]
    hyphenated: set[str]
    style_levels: dict[tuple[float, bool], int]
    anchor_prefix: str = ""
    headings_found: set[str] = field(default_factory=set)
    title: str | None = None
    """The title's text once rendered."""


# --- tables ----------------------------------------------------------------------------------------


Box = tuple[float, float, float, float]


# --- document context -------------------------------------------------------------------------------


def _key(text: str) -> str:
    """Comparison key for headings and outline titles: lowercase letters and digits only."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).lower() if ch.isalnum())


# --- rendering ----------------------------------------------------------------------------------------


_INLINE_ESCAPE = re.compile(r"([\\`*]|(?<![^\W_])_|_(?![^\W_])|<(?=[A-Za-z/!?])|\[(?=[^\]]*\]\()|&(?=#?\w+;))")


def _escape_inline(text: str) -> str:
    """Escape the inline markdown syntax in extracted text (emphasis, code, tags, links)."""
    return _INLINE_ESCAPE.sub(r"\\\1", text)
