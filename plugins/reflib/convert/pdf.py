"""PDF papers -> lossless markdown: every word of the text layer, in reading order.

:func:`convert` turns the PDFs of one resource into a full.md body; :func:`pdf_to_markdown`
converts one file and returns the body and the per-page conversion notes.

What the body looks like, and the rules behind it:

- **Page markers.** Each page starts with a line ``<a id="page-N"></a>`` (N counts physical
  pages from 1), so a citation can link to ``full.md#page-3`` and ``grep 'id="page-3"'``
  finds the spot. A sentence cut by the page break stays one paragraph: the marker line then
  sits inside it, with no blank line around it (the rendered page shows one paragraph, and
  each page's passage holds its own part of the sentence). When a resource has several PDFs
  the ids are ``<file-stem>-page-N`` and
  each file starts under a ``# raw/<file>.pdf`` heading. Running headers, running footers
  and page numbers are kept out of the prose but never dropped: they follow the marker on the
  same line inside an HTML comment (``<a id="page-2"></a> <!-- header: ...; footer: 2 -->``).
  A line counts as such page furniture when it is the first or last line of the page, lies in
  the top or bottom margin band, and is either a bare page number or text repeated (digits
  aside) on at least two pages.
- **Reading order.** Each page's text lines are split into columns at the widest vertical
  gutter that (almost) no line crosses; lines that cross it (title, authors, abstract, a
  full-width table) are read in their vertical position, and between two of them the left
  column is read before the right one. Columns are split again inside (up to three levels).
- **Headings.** A short paragraph set in bold or in a font clearly larger than the body text,
  or whose text is an entry of the PDF outline, is a heading. The paper title (the largest
  text on page 1) is ``#``; other headings are ``##`` and deeper: the outline level when the
  heading is in the outline, else the depth of its number (``2.1 Foo`` -> ``###``), else the
  rank of its font size among the heading styles.
- **Tables.** Pages that have vector ruling lines are searched with ``page.find_tables``
  (the expensive step, so pages without rulings skip it). A table whose cells hold every
  word found inside its box becomes a markdown table (cell text is rebuilt from the page's
  words, so no word is split) and its words are taken out of the prose; any other is left
  as text.
- **Text normalisation.** Ligature glyphs (U+FB00-FB06) and mathematical alphanumeric
  symbols (U+1D400-1D7FF) are replaced by their NFKC forms (``ﬁ`` -> ``fi``, ``𝑃`` -> ``P``);
  nothing else is changed. Paragraph lines are joined with spaces. A word hyphenated at a line
  end is joined: a soft hyphen is dropped; a hard hyphen is kept when the head already holds a
  hyphen (``replace-on-`` + ``rename``), when the hyphenated form occurs elsewhere in the
  document, or when the next line starts with a digit or a capital; it is dropped when the
  joined word occurs elsewhere, and by default. A hyphen before ``and``/``or``/``to`` stays
  with a space (``pre- and post-``).
- **Code.** Runs of lines set entirely in a monospaced font become fenced code blocks with
  their line breaks and indentation.
- **Lost or approximated** (listed in the notes, page by page): equations are kept as plain
  text lines, images and drawn graphics are omitted (text drawn inside a figure is kept as
  text), tables not recoverable as tables stay as text, rotated lines go to the end of the
  page, pages without a text layer yield nothing.

A corrupt, empty or password-protected PDF raises :class:`ConversionError`.
"""

from __future__ import annotations

import itertools
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pymupdf

from reflib.convert import fenced_block
from reflib.convert.base import ConversionError, ConvertRequest, ConvertResult, RawInput

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


# --- public API ----------------------------------------------------------------------------------


def convert(request: ConvertRequest) -> ConvertResult:
    """Convert the PDFs of one resource into one markdown body with page markers and notes."""
    pdfs = list(_pdf_inputs(request.raw))
    if not pdfs:
        raise ConversionError("no PDF file among the raw entries")
    several = len(pdfs) > 1
    parts: list[str] = []
    notes: list[str] = []
    title: str | None = None
    for rel, path in pdfs:
        prefix = _file_slug(path) + "-" if several else ""
        body, file_notes, file_title = _convert_file(path, rel, prefix)
        title = title or file_title
        if several:
            parts.append(f"# {rel}")
            notes.extend(f"{rel}: {note}" for note in file_notes)
        else:
            notes.extend(file_notes)
        parts.append(body.rstrip("\n"))
    body = "\n\n".join(parts) + "\n"
    return ConvertResult(body=body, kind=KIND, notes=notes, title=title,
                         coverage=_coverage(request.raw, body, notes))


def _coverage(raws: Iterable[RawInput], body: str, notes: list[str]) -> float | None:
    """The self-check: the share of the text layer's words that the body holds (page by
    page, by the page markers); a page below the threshold gets a note."""
    from reflib.convert.manual import LOW_PAGE_COVERAGE, MIN_PAGE_WORDS, pdf_coverage

    try:
        pages = pdf_coverage(list(raws), body)
    except Exception:  # the check must never fail a conversion that succeeded
        return None
    total = sum(p.words for p in pages)
    if not total:
        return None
    for page in pages:
        if page.words >= MIN_PAGE_WORDS and page.share < LOW_PAGE_COVERAGE:
            notes.append(f"{page.pdf} p.{page.page}: only {page.share:.0%} of the text layer's "
                         f"{page.words} words are in the body")
    return round(sum(p.found for p in pages) / total, 3)


def pdf_to_markdown(path: str | Path, *, anchor_prefix: str = "") -> tuple[str, list[str]]:
    """Convert one PDF file: the markdown body and the notes (one line per page that has any)."""
    body, notes, _title = _convert_file(Path(path), str(path), anchor_prefix)
    return body, notes


# --- files ---------------------------------------------------------------------------------------


def _pdf_inputs(raws: Iterable[RawInput]) -> Iterator[tuple[str, Path]]:
    """(rel, path) of each PDF: a raw file, or the PDFs inside a raw folder in name order."""
    for raw in raws:
        if raw.path.is_dir():
            for path in sorted(raw.path.rglob("*.pdf")):
                yield f"{raw.rel.rstrip('/')}/{path.relative_to(raw.path).as_posix()}", path
        else:
            yield raw.rel, raw.path


def _file_slug(path: Path) -> str:
    """A lowercase anchor-safe form of a file's stem."""
    return re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "file"


def open_pdf(path: Path, shown: str) -> pymupdf.Document:
    """Open a PDF or raise :class:`ConversionError` saying why it cannot be read."""
    if not path.is_file():
        raise ConversionError(f"{shown}: no such file")
    if path.stat().st_size == 0:
        raise ConversionError(f"{shown}: the file is empty, not a PDF")
    try:
        doc = pymupdf.open(path, filetype="pdf")
    except Exception as exc:  # MuPDF raises several types for damaged files
        raise ConversionError(f"{shown}: not a readable PDF ({exc})") from None
    if doc.needs_pass:
        doc.close()
        raise ConversionError(
            f"{shown}: the PDF is encrypted and needs a password to open; save an unencrypted copy"
        )
    if doc.page_count == 0:
        doc.close()
        raise ConversionError(f"{shown}: the PDF has no pages")
    if doc.is_repaired and _truncated(path):
        doc.close()
        raise ConversionError(
            f"{shown}: the PDF is truncated or damaged (it ends without its %%EOF marker, and "
            f"MuPDF had to rebuild its index to open it), so pages or text would be missing; "
            f"fetch it again")
    return doc


def _truncated(path: Path) -> bool:
    """No ``%%EOF`` in the last 2 KiB: the file was cut short (a download that stopped)."""
    with open(path, "rb") as handle:
        handle.seek(max(0, path.stat().st_size - 2048))
        return b"%%EOF" not in handle.read()


def _convert_file(path: Path, shown: str, prefix: str) -> tuple[str, list[str], str | None]:
    """Body, notes and detected title of one PDF file."""
    doc = open_pdf(path, shown)
    try:
        pages = [_read_page_checked(doc, number, shown) for number in range(doc.page_count)]
        toc = doc.get_toc(simple=True)
        meta_title = (doc.metadata or {}).get("title") or None
        tables = {}
        for page in pages:
            regions = table_regions(page)
            if regions:
                tables[page.number] = _find_tables(doc[page.number - 1], page, regions)
    finally:
        doc.close()
    titles = {_key(t) for _lvl, t, *_r in toc} | ({_key(meta_title)} if meta_title else set())
    _mark_chrome(pages, titles - {""})
    ctx = _context(pages, toc, prefix)
    rendered = [_render_page(page, tables.get(page.number, []), ctx) for page in pages]
    notes = _document_notes(pages, toc, ctx)
    return _join_pages(rendered) + "\n", notes, ctx.title or meta_title


def _read_page_checked(doc: pymupdf.Document, number: int, shown: str) -> PageText:
    """:func:`read_page`, turning a damaged page into :class:`ConversionError`."""
    try:
        return read_page(doc[number])
    except Exception as exc:
        raise ConversionError(f"{shown}: page {number + 1} cannot be read ({exc})") from None


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


# --- tables ----------------------------------------------------------------------------------------


Box = tuple[float, float, float, float]


def cluster_boxes(boxes: Iterable[Box], tolerance: float = 3.0) -> list[tuple[Box, list[Box]]]:
    """Group boxes that touch (within ``tolerance``): each group's union box and members."""
    clusters: list[tuple[list[float], list[Box]]] = []
    for box in sorted(boxes):
        x0, y0, x1, y1 = box
        hits = [
            c for c in clusters
            if x0 <= c[0][2] + tolerance and c[0][0] - tolerance <= x1
            and y0 <= c[0][3] + tolerance and c[0][1] - tolerance <= y1
        ]
        if not hits:
            clusters.append(([x0, y0, x1, y1], [box]))
            continue
        first = hits[0]
        for other in hits[1:]:
            first[1].extend(other[1])
            first[0][:] = _union(first[0], other[0])
            clusters.remove(other)
        first[1].append(box)
        first[0][:] = _union(first[0], box)
    return [((c[0][0], c[0][1], c[0][2], c[0][3]), c[1]) for c in clusters]


def _union(a: Iterable[float], b: Iterable[float]) -> list[float]:
    """Union of two boxes."""
    ax0, ay0, ax1, ay1 = a
    bx0, by0, bx1, by1 = b
    return [min(ax0, bx0), min(ay0, by0), max(ax1, bx1), max(ay1, by1)]


def _box(path: dict[str, Any]) -> Box:
    """A path's bounding box as a tuple."""
    x0, y0, x1, y1 = path["rect"]
    return float(x0), float(y0), float(x1), float(y1)


def table_regions(page: PageText) -> list[tuple[Box, list[dict[str, Any]]]]:
    """Areas with enough ruling lines to hold a ruled table, with their paths.

    Only these areas are searched with ``find_tables`` (the expensive step).
    """
    by_box: dict[Box, list[dict[str, Any]]] = {}
    for path in page.drawings:
        by_box.setdefault(_box(path), []).append(path)
    regions = []
    for box, members in cluster_boxes(by_box):
        paths = [p for m in dict.fromkeys(members) for p in by_box[m]]
        counts = [_rulings(p) for p in paths]
        if sum(h for h, _v in counts) >= 3 and sum(v for _h, v in counts) >= 2:
            regions.append((box, paths))
    return regions


def _find_tables(
    page: pymupdf.Page, text: PageText, regions: list[tuple[Box, list[dict[str, Any]]]]
) -> list[TableItem]:
    """The ruled tables in ``regions`` whose cells account for every word inside them."""
    found: list[Any] = []
    for region, paths in regions:
        x0, y0, x1, y1 = region
        clip = pymupdf.Rect(x0 - 4, y0 - 4, x1 + 4, y1 + 4)
        try:
            found.extend(_run_find_tables(page, clip, _as_drawings(paths)))
        except Exception:
            text.notes.append("table detection failed; any tables kept as text")
    if not found:
        return []
    words = page.get_text("words", flags=_TEXT_FLAGS)
    items: list[TableItem] = []
    for table in found:
        item = _table_item(table, words, text)
        if item is not None:
            items.append(item)
    return items


def _run_find_tables(
    page: pymupdf.Page, clip: pymupdf.Rect, paths: list[dict[str, Any]]
) -> list[Any]:
    """``page.find_tables`` in ``clip`` on the given paths, without the slow layout model."""
    try:
        finder = page.find_tables(clip=clip, paths=paths, use_layout=False)
    except TypeError:  # PyMuPDF before the layout analyser: no such argument
        finder = page.find_tables(clip=clip, paths=paths)
    return list(finder.tables)


def _table_item(table: Any, words: list[tuple[Any, ...]], text: PageText) -> TableItem | None:
    """Markdown for one found table, or None when its cells would lose or garble words."""
    x0, y0, x1, y1 = table.bbox
    inside = [w for w in words if x0 <= (w[0] + w[2]) / 2 <= x1 and y0 <= (w[1] + w[3]) / 2 <= y1]
    grid = _cell_grid(table)
    if grid is None or not inside:
        return None
    cells = _fill_cells(grid, inside)
    rows = [[" ".join(c) for c in row] for row in cells]
    filled = [sum(1 for c in row if c) for row in rows]
    if len(rows) < 2 or sum(1 for n in filled if n >= 2) < 2:
        return None
    inner = [ln for ln in text.lines if x0 <= ln.cx <= x1 and y0 <= ln.cy <= y1]
    if not _covers(rows, inner):
        return None
    for ln in inner:
        text.lines.remove(ln)
    item = TableItem(x0, y0, x1, y1, _markdown_table(rows), len(rows), len(rows[0]))
    item.label = _table_label(item, text.lines)
    return item


def _table_label(table: TableItem, lines: list[Line]) -> str:
    """``Table N`` from a caption line just above or below the table, else ``table``."""
    for ln in lines:
        near = -2 <= table.y0 - ln.y1 <= 80 or -2 <= ln.y0 - table.y1 <= 40
        overlaps = ln.x0 < table.x1 and table.x0 < ln.x1
        if not (near and overlaps and _TABLE_CAPTION.match(ln.text)):
            continue
        row = sorted((o for o in lines if abs(o.y1 - ln.y1) < 2 and o.x0 >= ln.x0), key=lambda o: o.x0)
        m = _TABLE_CAPTION.match(" ".join(o.text for o in row))
        if m and m.group(2):
            return f"Table {m.group(2)}"
    return "table"


def _cell_grid(table: Any) -> list[list[tuple[float, float, float, float] | None]] | None:
    """The table's cell boxes row by row (None for a slot covered by a merged cell)."""
    try:
        grid = [list(row.cells) for row in table.rows]
    except Exception:
        return None
    if not grid or not any(any(c is not None for c in row) for row in grid):
        return None
    width = max(len(row) for row in grid)
    return [row + [None] * (width - len(row)) for row in grid]


def _fill_cells(
    grid: list[list[tuple[float, float, float, float] | None]], words: list[tuple[Any, ...]]
) -> list[list[list[str]]]:
    """Each word goes to the cell holding its centre (else the nearest cell), in reading order."""
    cells: list[list[list[str]]] = [[[] for _ in row] for row in grid]
    boxes = [(r, c, box) for r, row in enumerate(grid) for c, box in enumerate(row) if box]
    ordered = sorted(words, key=lambda w: (w[5], w[6], w[7]))
    for w in ordered:
        cx, cy = (w[0] + w[2]) / 2, (w[1] + w[3]) / 2
        r, c, _box = min(boxes, key=lambda b: _distance(b[2], cx, cy))
        cells[r][c].append(normalize_text(w[4]))
    return cells


def _distance(box: tuple[float, float, float, float], x: float, y: float) -> float:
    """Distance from a point to a box (0 inside)."""
    dx = max(box[0] - x, 0.0, x - box[2])
    dy = max(box[1] - y, 0.0, y - box[3])
    return dx * dx + dy * dy


def _covers(rows: list[list[str]], lines: list[Line]) -> bool:
    """Whether the table cells hold every word of the prose lines they would replace."""
    have = Counter(_tokens(" ".join(" ".join(row) for row in rows)))
    need = Counter(_tokens(" ".join(ln.text for ln in lines)))
    return not (need - have)


def _markdown_table(rows: list[list[str]]) -> str:
    """A GitHub-flavoured markdown table; the first row is the header."""
    def cell(text: str) -> str:
        return _escape_inline(text).replace("|", "\\|") or " "

    head, *body = rows
    out = ["| " + " | ".join(cell(c) for c in head) + " |"]
    out.append("|" + "|".join(" --- " for _ in head) + "|")
    out.extend("| " + " | ".join(cell(c) for c in row) + " |" for row in body)
    return "\n".join(out)


# --- document context -------------------------------------------------------------------------------


def _key(text: str) -> str:
    """Comparison key for headings and outline titles: lowercase letters and digits only."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).lower() if ch.isalnum())


def _context(pages: list[PageText], toc: list[list[Any]], prefix: str) -> DocContext:
    """Body size, outline, title, vocabulary and heading styles of the whole document."""
    sizes: Counter[float] = Counter()
    words: set[str] = set()
    hyphenated: set[str] = set()
    for page in pages:
        for ln in page.lines:
            sizes[ln.size] += len(ln.text)
            for word in ln.text.lower().split():
                word = word.strip(".,;:!?()[]{}\"'“”‘’")
                words.add(word)
                if "-" in word.strip("-"):
                    hyphenated.add(word)
    body = sizes.most_common(1)[0][0] if sizes else 10.0
    outline: dict[str, int] = {}
    for level, title, *_rest in toc:
        outline.setdefault(_key(title), level)
    ctx = DocContext(body, outline, None, words, hyphenated, {}, prefix)
    ctx.title_key = _find_title(pages, ctx)
    ctx.style_levels = _style_levels(pages, ctx)
    return ctx


def _find_title(pages: list[PageText], ctx: DocContext) -> str | None:
    """Key of the title: the largest text in the top 40 % of page 1, clearly above body size."""
    first = pages[0]
    top = [ln for ln in first.lines if ln.y1 < first.height * 0.4]
    if not top:
        return None
    biggest = max(ln.size for ln in top)
    if biggest < ctx.body_size * 1.3:
        return None
    if any(ln.size > biggest for ln in first.lines):
        return None
    lines = sorted((ln for ln in top if ln.size == biggest), key=lambda ln: ln.y0)
    return _key(" ".join(ln.text for ln in lines))


def _style_levels(pages: list[PageText], ctx: DocContext) -> dict[tuple[float, bool], int]:
    """Heading styles (size, bold) ranked by size: the largest is level 1."""
    styles = {
        (ln.size, ln.bold)
        for page in pages
        for ln in page.lines
        if _heading_style(ln, ctx) and len(ln.text) <= MAX_HEADING_CHARS
    }
    ranked = sorted(styles, key=lambda s: (-s[0], not s[1]))
    return {style: rank + 1 for rank, style in enumerate(ranked)}


def _heading_style(line: Line, ctx: DocContext) -> bool:
    """Whether a line's style sets it apart from body text as a heading would be."""
    if line.mono:
        return False
    if line.bold:
        return line.size >= ctx.body_size * 0.95
    return line.size >= ctx.body_size * 1.2


# --- reading order ----------------------------------------------------------------------------------


def reading_order(items: list[Item], depth: int = 0) -> list[Item]:
    """Items in reading order: columns left to right between full-width items, recursively."""
    if not items:
        return []
    gutter = _find_gutter(items) if depth < 3 and len(items) >= 6 else None
    if gutter is None:
        ordered = _row_sort(items)
        if depth == 0 or not any(i.column != (0.0, 0.0) for i in items):
            _set_column(ordered)
        return ordered
    g0, g1 = gutter
    left = [i for i in items if i.x1 <= g1 and i.cx < (g0 + g1) / 2]
    right = [i for i in items if i.x0 >= g0 and i.cx >= (g0 + g1) / 2]
    sided = {id(i) for i in left} | {id(i) for i in right}
    spanning = sorted((i for i in items if id(i) not in sided), key=lambda i: i.y0)
    out: list[Item] = []
    upper = -1e9
    for barrier in [*spanning, None]:
        lower = barrier.cy if barrier is not None else 1e9
        for side in (left, right):
            part = [i for i in side if upper <= i.cy < lower]
            ordered = reading_order(part, depth + 1)
            _set_column(ordered, only_unset=True)
            out.extend(ordered)
        if barrier is not None:
            barrier.column = (barrier.x0, barrier.x1)
            out.append(barrier)
            upper = lower
    return out


def _set_column(items: list[Item], only_unset: bool = False) -> None:
    """Record the left and right edge of the column the items are read in."""
    if not items:
        return
    edges = (min(i.x0 for i in items), max(i.x1 for i in items))
    for item in items:
        if not only_unset or item.column == (0.0, 0.0):
            item.column = edges


def _row_sort(items: list[Item]) -> list[Item]:
    """Top to bottom; items on the same visual row left to right."""
    ordered = sorted(items, key=lambda i: (i.y0, i.x0))
    rows: list[list[Item]] = []
    for item in ordered:
        if rows:
            ref = rows[-1][0]
            tolerance = min(item.y1 - item.y0, ref.y1 - ref.y0) * 0.5
            if abs(item.cy - ref.cy) <= tolerance:
                rows[-1].append(item)
                continue
        rows.append([item])
    return [item for row in rows for item in sorted(row, key=lambda i: i.x0)]


def _find_gutter(items: list[Item]) -> tuple[float, float] | None:
    """The widest vertical gap near the middle that few items cross, when it splits columns."""
    left_edge = int(min(i.x0 for i in items))
    right_edge = int(max(i.x1 for i in items)) + 1
    width = right_edge - left_edge
    if width < 120:
        return None
    crossing = _crossing_counts(items, left_edge, right_edge)
    lo, hi = int(width * 0.2), int(width * 0.8)
    window = crossing[lo:hi]
    fewest = min(window)
    if fewest > max(1, len(items) // 6):
        return None
    start, length = _longest_run(window, fewest)
    if length < 6:
        return None
    g0 = left_edge + lo + start
    g1 = g0 + length
    return (g0, g1) if _is_column_split(items, g0, g1) else None


def _crossing_counts(items: list[Item], left: int, right: int) -> list[int]:
    """For each integer x from ``left``, how many items span across it."""
    diff = [0] * (right - left + 2)
    for item in items:
        a = int(item.x0 - left) + 1
        b = int(item.x1 - left)
        if b >= a:
            diff[a] += 1
            diff[b + 1] -= 1
    counts, running = [], 0
    for value in diff[:-1]:
        running += value
        counts.append(running)
    return counts


def _longest_run(values: list[int], target: int) -> tuple[int, int]:
    """Start and length of the longest run of ``target`` in ``values``."""
    best = (0, 0)
    start = None
    for i, value in enumerate([*values, None]):
        if value == target and start is None:
            start = i
        elif value != target and start is not None:
            if i - start > best[1]:
                best = (start, i - start)
            start = None
    return best


def _is_column_split(items: list[Item], g0: float, g1: float) -> bool:
    """Whether enough items sit on both sides of the gap, side by side vertically."""
    left = [i for i in items if i.x1 <= g1]
    right = [i for i in items if i.x0 >= g0]
    least = max(2, len(items) // 10)
    if len(left) < least or len(right) < least:
        return False
    top = max(min(i.y0 for i in left), min(i.y0 for i in right))
    bottom = min(max(i.y1 for i in left), max(i.y1 for i in right))
    shorter = min(max(i.y1 for i in side) - min(i.y0 for i in side) for side in (left, right))
    return bottom - top >= 0.3 * shorter


def merge_fragments(items: list[Item]) -> list[Item]:
    """Join pieces of one visual line that the text layer split (wide justified spaces)."""
    out: list[Item] = []
    for item in items:
        prev = out[-1] if out else None
        if isinstance(item, Line) and isinstance(prev, Line) and _same_row(prev, item):
            out[-1] = _merged(prev, item)
        else:
            out.append(item)
    return out


def _same_row(a: Line, b: Line) -> bool:
    """Whether ``b`` continues ``a`` to the right on the same baseline, in the same column."""
    if a.column != b.column or a.mono != b.mono:
        return False
    tolerance = 0.3 * min(a.height, b.height)
    width = a.column[1] - a.column[0]
    return abs(a.y1 - b.y1) <= tolerance and 0 <= b.x0 - a.x1 + 1 < max(0.5 * width, 3 * a.size)


def _merged(a: Line, b: Line) -> Line:
    """One line made of two fragments of the same row."""
    main = a if len(a.text) >= len(b.text) else b
    return Line(
        a.x0, min(a.y0, b.y0), b.x1, max(a.y1, b.y1), f"{a.text} {b.text}",
        size=main.size, bold=a.bold and b.bold, mono=a.mono, math=a.math or b.math,
        column=a.column,
    )


# --- blocks ----------------------------------------------------------------------------------------


def build_blocks(items: list[Item], ctx: DocContext) -> list[Block]:
    """Group ordered lines into paragraphs, headings, code blocks and equations."""
    gap = _typical_gap([i for i in items if isinstance(i, Line)])
    blocks: list[Block] = []
    current: list[Line] = []
    for item in items:
        if isinstance(item, TableItem):
            blocks.extend(_close(current, ctx))
            current = []
            blocks.append(Block("table", text=item.markdown))
            continue
        if current and _breaks(current, item, gap, ctx):
            blocks.extend(_close(current, ctx))
            current = []
        current.append(item)
    blocks.extend(_close(current, ctx))
    return blocks


def _typical_gap(lines: list[Line]) -> float:
    """Median line pitch (baseline to baseline) of a page, in units of the font size."""
    ratios = [
        (b.y1 - a.y1) / a.size
        for a, b in itertools.pairwise(lines)
        if a.column == b.column and a.size > 0 and 0.8 < (b.y1 - a.y1) / a.size < 2.5
    ]
    return statistics.median(ratios) if ratios else 1.2


def _breaks(para: list[Line], nxt: Line, gap: float, ctx: DocContext) -> bool:
    """Whether ``nxt`` starts a new block instead of continuing paragraph ``para``."""
    prev = para[-1]
    if prev.mono != nxt.mono:
        return True
    heading_prev, heading_next = _is_heading_line(prev, ctx), _is_heading_line(nxt, ctx)
    if heading_prev != heading_next:
        return True
    if heading_prev and (
        nxt.size != prev.size
        or _NUMBERED_HEADING.match(nxt.text)
        or nxt.y1 - prev.y1 > gap * prev.size + 1
    ):
        return True
    if abs(prev.size - nxt.size) > 0.06 * max(prev.size, nxt.size) and not prev.mono:
        return True
    if prev.mono:
        return nxt.column != prev.column or nxt.y1 - prev.y1 > 2 * gap * prev.size
    if _BULLET.match(nxt.text) or (_ENUMERATOR.match(nxt.text) and not _ENUMERATOR.match(prev.text)):
        return True
    if _is_equation(prev, ctx) or _is_equation(nxt, ctx):
        return True
    if not _same_column(prev, nxt):
        return not _continues(prev, nxt)
    return _same_column_break(para, nxt, gap)


def _same_column_break(para: list[Line], nxt: Line, gap: float) -> bool:
    """Paragraph break inside one column: extra space, indent, outdent or a short last line."""
    prev = para[-1]
    size = max(prev.size, 1.0)
    if nxt.y1 - prev.y1 > gap * size + max(1.5, 0.25 * size):
        return True
    if nxt.x0 > prev.x0 + 0.6 * size and len(para) >= 2 and nxt.x0 > min(ln.x0 for ln in para):
        return True
    if nxt.x0 < prev.x0 - 0.6 * size and len(para) >= 2:
        return True
    col_width = prev.column[1] - prev.column[0]
    short = prev.x1 < prev.column[1] - 0.15 * col_width
    return short and bool(nxt.text[:1].isupper()) and prev.text[-1:] in ".:!?"


def _same_column(prev: Line, nxt: Line) -> bool:
    """Whether ``nxt`` follows ``prev`` down the same column (columns overlap, no jump up)."""
    overlap = min(prev.column[1], nxt.column[1]) - max(prev.column[0], nxt.column[0])
    narrower = min(prev.column[1] - prev.column[0], nxt.column[1] - nxt.column[0])
    return overlap >= 0.5 * narrower and nxt.y0 > prev.y0 - prev.height / 2


def _continues(prev: Line, nxt: Line) -> bool:
    """Whether a line at the top of the next column continues the previous column's paragraph."""
    first = nxt.text[:1]
    indented = nxt.x0 > nxt.column[0] + 0.6 * nxt.size
    ends_open = prev.text[-1:] not in ".:!?"
    return not indented and ends_open and (first.islower() or prev.text[-1:] in _HYPHENS)


def _is_heading_line(line: Line, ctx: DocContext) -> bool:
    """Whether a single line could be (part of) a heading."""
    if len(line.text) > MAX_HEADING_CHARS or not any(ch.isalpha() for ch in line.text):
        return False
    return _heading_style(line, ctx) or _key(line.text) in ctx.outline


def _is_equation(line: Line, ctx: DocContext) -> bool:
    """A display equation line: math fonts or ``=`` with a trailing equation number."""
    if len(line.text) > 120 or line.mono:
        return False
    numbered = bool(_EQUATION_NUMBER.search(line.text)) and ("=" in line.text or line.math)
    width = line.column[1] - line.column[0]
    centred = width > 0 and abs(line.cx - (line.column[0] + line.column[1]) / 2) < 0.15 * width
    narrow = line.x1 - line.x0 < 0.75 * width
    return numbered or (line.math and centred and narrow and not line.bold)


def _close(lines: list[Line], ctx: DocContext) -> list[Block]:
    """Turn the lines of one group into a block of the right kind."""
    if not lines:
        return []
    if all(ln.mono for ln in lines):
        return [Block("code", lines, _code_text(lines))]
    if len(lines) == 1 and _is_equation(lines[0], ctx):
        return [Block("equation", lines, lines[0].text)]
    text, joins = _join_lines(lines, ctx)
    level = _heading_level(lines, text, ctx)
    if level:
        return [Block("heading", lines, text, level)]
    block = Block("para", lines, text)
    block.level = -joins  # negative: number of hyphenations joined (for the notes)
    return [block]


def _code_text(lines: list[Line]) -> str:
    """Code lines with indentation rebuilt from their x offsets."""
    left = min(ln.x0 for ln in lines)
    out = []
    for ln in lines:
        char = max(ln.size * 0.6, 1.0)
        out.append(" " * round((ln.x0 - left) / char) + ln.text)
    return "\n".join(out)


def _heading_level(lines: list[Line], text: str, ctx: DocContext) -> int:
    """Markdown heading level of a block (1 = ``#``), or 0 when it is not a heading."""
    key = _key(text)
    if key and key == ctx.title_key:
        return 1
    if key in ctx.outline:
        return min(ctx.outline[key] + 1, 6)
    if len(lines) > 3 or len(text) > MAX_HEADING_CHARS or not all(
        _heading_style(ln, ctx) for ln in lines
    ):
        return 0
    if text[:1].islower() or (lines[0].size < ctx.body_size * 1.15 and text[-1:] in ".,;:"):
        return 0
    numbered = _NUMBERED_HEADING.match(text)
    if numbered:
        depth = numbered.group(1).count(".") + 1 if numbered.group(1) else 1
        return min(depth + 1, 6)
    rank = ctx.style_levels.get((lines[0].size, lines[0].bold), 3)
    return min(rank + 1, 6)


# --- joining lines -----------------------------------------------------------------------------------


def _join_lines(lines: list[Line], ctx: DocContext) -> tuple[str, int]:
    """A paragraph's lines as one line of text, hyphenated words joined; and the join count."""
    text = lines[0].text
    joins = 0
    for ln in lines[1:]:
        joined = _join_hyphenated(text, ln.text, ctx)
        if joined is None:
            text = f"{text} {ln.text}"
        else:
            text = joined
            joins += 1
    return text, joins


def _join_hyphenated(text: str, nxt: str, ctx: DocContext) -> str | None:
    """``text`` + ``nxt`` joined over a line-end hyphen, or None when there is none."""
    if len(text) < 2 or not text[-2].isalnum():
        return None
    if text[-1] == "\u00ad":
        return text[:-1] + nxt
    if text[-1] not in _HYPHENS or not nxt[:1].isalnum():
        return None
    head = text.rsplit(None, 1)[-1]
    tail = nxt.split(None, 1)[0]
    bare_tail = tail.strip(".,;:!?()[]\"'").lower()
    if bare_tail in _KEEP_HYPHEN_BEFORE:
        return f"{text} {nxt}"
    if _keep_hyphen(head, tail, bare_tail, ctx):
        return text + nxt
    return text[:-1] + nxt


def _keep_hyphen(head: str, tail: str, bare_tail: str, ctx: DocContext) -> bool:
    """Whether a line-end hyphen belongs to the word (a compound) rather than the typesetting."""
    if "-" in head[:-1] or not tail[:1].islower():
        return True
    bare_head = head[:-1].strip("([\"'“‘").lower()
    return f"{bare_head}-{bare_tail}" in ctx.hyphenated


# --- rendering ----------------------------------------------------------------------------------------


_INLINE_ESCAPE = re.compile(r"([\\`*]|(?<![^\W_])_|_(?![^\W_])|<(?=[A-Za-z/!?])|\[(?=[^\]]*\]\()|&(?=#?\w+;))")
_BLOCK_START = re.compile(r"^(#{1,6}(?=\s|$)|>|[+-](?=\s)|=+\s*$|-+\s*$)")


def _escape_inline(text: str) -> str:
    """Escape the inline markdown syntax in extracted text (emphasis, code, tags, links)."""
    return _INLINE_ESCAPE.sub(r"\\\1", text)


def _escape_prose(text: str) -> str:
    """:func:`_escape_inline`, plus a marker at the start that would open a block."""
    return _BLOCK_START.sub(lambda m: "\\" + m.group(0), _escape_inline(text), count=1)


def _render_block(block: Block) -> str:
    """Markdown of one block."""
    if block.kind == "table":
        return block.text
    if block.kind == "code":
        return fenced_block(block.text).rstrip("\n")
    if block.kind == "heading":
        return "#" * block.level + " " + _escape_inline(block.text)
    text = block.text
    bullet = _BULLET.match(text)
    if bullet:
        return "- " + _escape_prose(text[bullet.end():])
    return _escape_prose(text)


def _page_marker(page: PageText, prefix: str) -> str:
    """The anchor line that starts a page, with its furniture in a comment."""
    marker = f'<a id="{prefix}page-{page.number}"></a>'
    if not page.chrome:
        return marker
    parts = [f"{where}: {text}" for where, text in page.chrome]
    comment = "; ".join(parts).replace("--", "- -")
    return f"{marker} <!-- {comment} -->"


_SENTENCE_END = re.compile(r"""[.!?:;]["'”’)\]]*$""")


def _carried_over(last: Block | None, first: Block | None) -> bool:
    """Whether the first block of a page carries on the paragraph that ends the previous
    page (a sentence cut by the page break): both are prose paragraphs (not list items) and
    the earlier one does not end a sentence."""
    if last is None or first is None or last.kind != "para" or first.kind != "para":
        return False
    if _BULLET.match(last.text) or _BULLET.match(first.text):
        return False
    return not _SENTENCE_END.search(last.text.rstrip())


def _join_pages(rendered: list[tuple[str, list[Block], list[str]]]) -> str:
    """The pages' markdown, each from its marker. A paragraph cut by a page break stays one
    paragraph: the marker goes on a line of its own inside it (no blank line around it), so
    the rendered page shows one paragraph with the page's anchor in it, and each page's
    passage still holds its own part of the sentence."""
    pieces: list[str] = []
    last: Block | None = None
    for marker, blocks, texts in rendered:
        if pieces and blocks and _carried_over(last, blocks[0]):
            pieces[-1] = f"{pieces[-1]}\n{marker}\n{texts[0]}"
            pieces.extend(texts[1:])
        else:
            pieces.append(marker)
            pieces.extend(texts)
        if blocks:
            last = blocks[-1]
    return "\n\n".join(p for p in pieces if p)


def _render_page(page: PageText, tables: list[TableItem], ctx: DocContext
                 ) -> tuple[str, list[Block], list[str]]:
    """One page: its marker, its blocks and their markdown; records the page's notes."""
    items: list[Item] = [*page.lines, *tables]
    ordered = merge_fragments(reading_order(items))
    blocks = build_blocks(ordered, ctx)
    if page.rotated:
        rotated = Block("para", page.rotated, " ".join(ln.text for ln in page.rotated))
        blocks.append(rotated)
    for block in blocks:
        if block.kind == "heading":
            ctx.headings_found.add(_key(block.text))
            if block.level == 1 and ctx.title is None:
                ctx.title = block.text
    _page_notes(page, blocks, tables)
    return _page_marker(page, ctx.anchor_prefix), blocks, [_render_block(b) for b in blocks]


def _page_notes(page: PageText, blocks: list[Block], tables: list[TableItem]) -> None:
    """What was approximated on this page, in words."""
    notes = page.notes
    if not page.lines and not page.rotated and not tables:
        notes.insert(0, "no text layer (scanned image?); nothing extracted")
    equations = sum(1 for b in blocks if b.kind == "equation")
    if equations:
        notes.append(f"{equations} equation line{'s' * (equations > 1)} kept as plain text")
    for table in tables:
        notes.append(f"{table.label} ({table.rows}×{table.cols}) kept as a markdown table")
    joins = -sum(b.level for b in blocks if b.kind == "para")
    if joins:
        notes.append(f"{joins} word{'s' * (joins > 1)} hyphenated at line ends joined")
    if page.images:
        notes.append(f"{page.images} image{'s' * (page.images > 1)} omitted")
    graphics = _graphics_regions(page, tables)
    if graphics:
        notes.append(
            f"{graphics} drawn figure/graphics region{'s' * (graphics > 1)} omitted "
            "(text inside kept as text)"
        )
    if page.rotated:
        notes.append(f"{len(page.rotated)} rotated line(s) moved to the end of the page")


def _graphics_regions(page: PageText, tables: list[TableItem]) -> int:
    """Clusters of vector paths (outside tables) large enough to be a figure or a box."""
    boxes = [
        b for b in map(_box, page.drawings)
        if not any(t.x0 - 2 <= b[0] and b[2] <= t.x1 + 2 and t.y0 - 2 <= b[1] and b[3] <= t.y1 + 2
                   for t in tables)
    ]
    return sum(1 for (x0, y0, x1, y1), _m in cluster_boxes(boxes) if x1 - x0 >= 20 and y1 - y0 >= 20)


def _document_notes(pages: list[PageText], toc: list[list[Any]], ctx: DocContext) -> list[str]:
    """Per-page notes plus document-wide ones (furniture, outline entries not found)."""
    notes = [f"p.{p.number}: " + "; ".join(p.notes) for p in pages if p.notes]
    chrome_pages = [p.number for p in pages if p.chrome]
    if chrome_pages:
        notes.append(
            f"running headers/footers and page numbers of {_page_list(chrome_pages)} moved out "
            "of the prose into the page-marker comments"
        )
    missing = [t for _lvl, t, *_r in toc if _key(t) not in ctx.headings_found]
    if missing:
        shown = ", ".join(f"'{t}'" for t in missing[:5]) + (" ..." if len(missing) > 5 else "")
        notes.append(f"outline entries not found as headings in the text: {shown}")
    return notes


def _page_list(numbers: list[int]) -> str:
    """``p.1-3, p.5`` style list of page numbers."""
    ranges: list[list[int]] = []
    for n in numbers:
        if ranges and n == ranges[-1][1] + 1:
            ranges[-1][1] = n
        else:
            ranges.append([n, n])
    return ", ".join(f"p.{a}" if a == b else f"p.{a}-{b}" for a, b in ranges)


# --- word counting (shared with the tests and the evaluation script) -------------------------------


def _tokens(text: str) -> list[str]:
    """Normalised words for comparing texts: NFKC, lowercase, hyphens removed, ``\\w+`` runs."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[-\u00ad\u2010\u2011]", "", text)
    return _WORD.findall(text)


def markdown_tokens(markdown: str) -> list[str]:
    """Normalised words of a markdown text: tags dropped, comments and escapes unwrapped."""
    text = re.sub(r"<!--(.*?)-->", r" \1 ", markdown, flags=re.S)
    text = re.sub(r"(?<!\\)</?[A-Za-z][^>]*>", " ", text)
    text = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)
    return _tokens(text)


def text_layer_tokens(path: str | Path) -> list[str]:
    """Normalised words of a PDF's text layer as ``page.get_text("words")`` reads them.

    A word that ends its line with a hyphen is joined to the next word, so that a word
    hyphenated across a line break counts once whatever the converter does with the hyphen.
    """
    words: list[str] = []
    with pymupdf.open(path) as doc:
        for page in doc:
            words.extend(_page_words(page.get_text("words", flags=_TEXT_FLAGS)))
    return _tokens(" ".join(words))


def _page_words(raw: list[tuple[Any, ...]]) -> list[str]:
    """Word strings of one page with line-end hyphenated words joined to their next word."""
    out: list[str] = []
    carry = ""
    for i, w in enumerate(raw):
        text = carry + w[4]
        carry = ""
        last_in_line = i + 1 == len(raw) or raw[i + 1][5:7] != w[5:7]
        if last_in_line and i + 1 < len(raw) and text[-1:] in _HYPHENS + "\u00ad":
            carry = text
            continue
        out.append(text)
    if carry:
        out.append(carry)
    return out


def word_recall(markdown: str, path: str | Path) -> float:
    """Share of the PDF's text-layer words (as a multiset) that occur in ``markdown``."""
    reference = Counter(text_layer_tokens(path))
    total = sum(reference.values())
    if not total:
        return 1.0
    found = reference & Counter(markdown_tokens(markdown))
    return sum(found.values()) / total
