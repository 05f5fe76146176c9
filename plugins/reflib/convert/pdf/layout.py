"""Reading order (columns), headings, paragraphs and hyphenation: a page's lines as blocks."""

from __future__ import annotations

import itertools
import statistics
from collections import Counter
from typing import Any

from reflib.convert.pdf.model import (
    _BULLET,
    _ENUMERATOR,
    _EQUATION_NUMBER,
    _HYPHENS,
    _KEEP_HYPHEN_BEFORE,
    _NUMBERED_HEADING,
    MAX_HEADING_CHARS,
    Block,
    DocContext,
    Item,
    Line,
    PageText,
    TableItem,
    _key,
)


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
