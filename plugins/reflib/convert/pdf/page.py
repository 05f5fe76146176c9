"""One page as :class:`~reflib.convert.pdf.model.PageText`: its lines with their fonts, its drawings, the running headers and footers marked."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Any

import pymupdf

from reflib.convert.pdf.model import (
    _BOLD_NAME,
    _LIGATURES,
    _MATH_NAME,
    _MONO_NAME,
    _PAGE_NUMBER,
    _SPECIAL_CHARS,
    _TEXT_FLAGS,
    FOOTER_BAND,
    HEADER_BAND,
    Box,
    Line,
    PageText,
    _key,
)

# --- reading a page --------------------------------------------------------------------------------


def normalize_text(text: str) -> str:
    """Replace ligatures and mathematical alphanumerics by plain letters (NFKC); keep the rest."""
    if not _SPECIAL_CHARS.search(text):
        return text
    return _SPECIAL_CHARS.sub(
        lambda m: _LIGATURES.get(m.group(0)) or unicodedata.normalize("NFKC", m.group(0)), text
    )


def read_page(page: pymupdf.Page) -> PageText:
    """Text lines (horizontal and rotated), image count and ruling boxes of one page."""
    data = page.get_text("dict", flags=_TEXT_FLAGS)
    lines: list[Line] = []
    rotated: list[Line] = []
    for block in data["blocks"]:
        for raw in block.get("lines", ()):
            line = _make_line(raw)
            if line is None:
                continue
            horizontal = abs(raw["dir"][0] - 1.0) < 0.01 and abs(raw["dir"][1]) < 0.01
            (lines if horizontal else rotated).append(line)
    rect = page.rect
    return PageText(
        number=page.number + 1,
        width=rect.width,
        height=rect.height,
        lines=lines,
        rotated=rotated,
        images=len(page.get_images(full=False)),
        drawings=_drawing_paths(page),
    )


def _make_line(raw: dict[str, Any]) -> Line | None:
    """A :class:`Line` from a ``dict`` extraction line; None when it holds no visible text."""
    spans = [s for s in raw["spans"] if s["text"]]
    text = normalize_text("".join(s["text"] for s in spans)).rstrip()
    if not text.strip():
        return None
    visible = [s for s in spans if s["text"].strip()]
    mono = all(_is_mono(s) for s in visible)
    if not mono:
        text = text.lstrip()  # code keeps its leading spaces: they are its indentation
    main = max(visible, key=lambda s: len(s["text"].strip()))
    x0, y0, x1, y1 = raw["bbox"]
    return Line(
        x0, y0, x1, y1, text,
        size=round(main["size"], 1),
        bold=all(_is_bold(s) for s in visible),
        mono=mono,
        math=any(_MATH_NAME.search(s["font"]) for s in visible),
    )


def _is_bold(span: dict[str, Any]) -> bool:
    """Whether a span is set in a bold face (flag or font name)."""
    return bool(span["flags"] & pymupdf.TEXT_FONT_BOLD) or bool(_BOLD_NAME.search(span["font"]))


def _is_mono(span: dict[str, Any]) -> bool:
    """Whether a span is set in a monospaced face (flag or font name)."""
    return bool(span["flags"] & pymupdf.TEXT_FONT_MONOSPACED) or bool(
        _MONO_NAME.search(span["font"])
    )


def _drawing_paths(page: pymupdf.Page) -> list[dict[str, Any]]:
    """The page's vector paths (the cheap C-level extraction), without clip or group entries."""
    try:
        paths = page.get_cdrawings()
    except Exception:
        return []
    return [p for p in paths if p.get("type") in ("f", "s", "fs") and "rect" in p]


def _rulings(path: dict[str, Any]) -> tuple[int, int]:
    """How many horizontal and vertical ruling segments a path draws (a box counts 2 + 2)."""
    horizontal = vertical = 0
    for item in path.get("items", ()):
        if item[0] == "l":
            (ax, ay), (bx, by) = item[1], item[2]
            horizontal += abs(ay - by) < 1 and abs(ax - bx) > 10
            vertical += abs(ax - bx) < 1 and abs(ay - by) > 6
        elif item[0] in ("re", "qu"):
            x0, y0, x1, y1 = _item_box(item)
            w, h = x1 - x0, y1 - y0
            horizontal += (2 if h > 6 else 1) if w > 10 else 0
            vertical += (2 if w > 10 else 1) if h > 6 else 0
    return horizontal, vertical


def _item_box(item: tuple[Any, ...]) -> Box:
    """Bounding box of a ``re`` or ``qu`` path item."""
    if item[0] == "re":
        x0, y0, x1, y1 = item[1]
        return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)
    xs = [pt[0] for pt in item[1]]
    ys = [pt[1] for pt in item[1]]
    return min(xs), min(ys), max(xs), max(ys)


def _as_drawings(paths: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Paths in the form of ``page.get_drawings()`` (what ``find_tables(paths=...)`` takes)."""
    keys = ("closePath", "fill", "color", "width", "lineCap", "lineJoin", "dashes",
            "stroke_opacity", "fill_opacity", "even_odd")
    out = []
    for path in paths:
        items: list[tuple[Any, ...]] = []
        for item in path["items"]:
            if item[0] == "re":
                items.append(("re", pymupdf.Rect(item[1]).normalize(), item[2]))
            elif item[0] == "qu":
                items.append(("qu", pymupdf.Quad(item[1])))
            else:
                items.append(tuple([item[0], *(pymupdf.Point(pt) for pt in item[1:])]))
        new = {k: path.get(k) for k in keys}
        new.update(path, rect=pymupdf.Rect(path["rect"]), items=items)
        out.append(new)
    return out


# --- page furniture ---------------------------------------------------------------------------------


def _chrome_key(text: str) -> str:
    """Text of a header/footer line with digits masked, for spotting repeats across pages."""
    return re.sub(r"\d+", "#", " ".join(text.lower().split()))


def _edge_lines(page: PageText) -> list[tuple[str, Line]]:
    """The first and last lines of a page that sit in the top or bottom margin band."""
    if not page.lines:
        return []
    top = min(page.lines, key=lambda ln: ln.y0)
    bottom = max(page.lines, key=lambda ln: ln.y1)
    out: list[tuple[str, Line]] = []
    for ln in page.lines:
        if abs(ln.y0 - top.y0) < 2 and ln.y1 < page.height * HEADER_BAND:
            out.append(("header", ln))
        elif abs(ln.y1 - bottom.y1) < 2 and ln.y0 > page.height * (1 - FOOTER_BAND):
            out.append(("footer", ln))
    return out


def _lone_page_number(page: PageText) -> Line | None:
    """The page's last line when it is a bare number set well apart below the text."""
    if len(page.lines) < 2:
        return None
    last = max(page.lines, key=lambda ln: ln.y1)
    above = max((ln for ln in page.lines if ln is not last), key=lambda ln: ln.y1)
    apart = last.y0 - above.y1 > 1.5 * last.height
    low = last.y0 > page.height * 0.75
    return last if apart and low and _PAGE_NUMBER.match(last.text) else None


def _strip_number(text: str) -> str:
    """Header text without a leading or trailing page number."""
    return re.sub(r"^\d{1,4}\s+|\s+\d{1,4}$", "", text)


def _mark_chrome(pages: list[PageText], titles: set[str] | None = None) -> None:
    """Move page numbers and running headers/footers out of each page's lines.

    A running header is an edge line repeated on two or more pages, or one whose text (less
    a page number) is the document title or an outline entry (``titles``, as :func:`_key`).
    """
    titles = titles or set()
    edges = {p.number: _edge_lines(p) for p in pages}
    per_page: Counter[tuple[str, str]] = Counter()
    for lines in edges.values():
        for key in {(where, _chrome_key(ln.text)) for where, ln in lines}:
            per_page[key] += 1
    for page in pages:
        for where, ln in edges[page.number]:
            repeated = len(pages) > 1 and per_page[(where, _chrome_key(ln.text))] >= 2
            titled = _key(_strip_number(ln.text)) in titles and _strip_number(ln.text) != ln.text
            if repeated or titled or _PAGE_NUMBER.match(ln.text):
                page.chrome.append((where, ln.text))
                page.lines.remove(ln)
        number = _lone_page_number(page)
        if number is not None:
            page.chrome.append(("footer", number.text))
            page.lines.remove(number)
