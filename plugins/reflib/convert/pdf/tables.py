"""Tables on a page: found from ruling lines and cell grids, rendered as markdown tables."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import pymupdf

from reflib.convert.pdf.model import (
    _TABLE_CAPTION,
    _TEXT_FLAGS,
    Box,
    Line,
    PageText,
    TableItem,
    _escape_inline,
)
from reflib.convert.pdf.page import _as_drawings, _rulings, normalize_text
from reflib.convert.pdf.recall import _tokens


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
