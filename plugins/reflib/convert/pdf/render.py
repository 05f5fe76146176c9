"""Blocks as markdown: one page's part, page markers, pages joined, notes on what could not be converted."""

from __future__ import annotations

import re
from typing import Any

from reflib.convert import fenced_block
from reflib.convert.pdf.layout import build_blocks, merge_fragments, reading_order
from reflib.convert.pdf.model import (
    _BULLET,
    Block,
    DocContext,
    Item,
    PageText,
    TableItem,
    _escape_inline,
    _key,
)
from reflib.convert.pdf.tables import _box, cluster_boxes

_BLOCK_START = re.compile(r"^(#{1,6}(?=\s|$)|>|[+-](?=\s)|=+\s*$|-+\s*$)")


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
