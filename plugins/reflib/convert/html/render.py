"""Stage 7: the cleaned article body as markdown.

A renderer over the lxml tree, written for fidelity to the source and to what the site (Python-
Markdown with the extensions reflib enables) and GitHub render:

* ATX headings; paragraphs; ``-`` and ``1.`` lists (nested content indented four spaces, as
  Python-Markdown needs); ``>`` quotes; ``---`` rules; ``*em*``, ``**strong**``, ``~~del~~``,
  code spans with enough backticks; ``<sub>``/``<sup>`` kept as such; links resolved against
  the page URL; images with alt text (lazy-loaded sources preferred over placeholders);
* code blocks fenced with a fence longer than any backtick run inside, with their language and
  file name (``title="..."``); admonitions and ``<details>`` as ``!!! kind "title"``;
* math as ``$...$`` / ``$$...$$`` (from :mod:`.math`); definition lists as ``term`` /
  ``:   definition``; task lists as ``[ ]`` / ``[x]``;
* tables as pipe tables with their alignment; a table markdown cannot hold (merged cells, or
  lists, paragraphs or code inside cells) stays a table: sanitised HTML (table markup, links,
  images and inline formatting only), never flattened.

Escaping: ``*`` and ``_`` in text are left alone (identifiers, TeX, footnote marks; HTML
authors write emphasis as tags); only what would change the structure is neutralised: text that
would start a tag or an entity, and block markers (``#``, ``-``, ``1.``, ``>``, fences) at the
start of a line. The output never carries raw HTML except ``<sub>``, ``<sup>`` and sanitised
tables.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

import nh3
from lxml import etree

from reflib.convert.html.dom import HEADINGS, INLINE_TAGS, Element, tag_of
from reflib.convert.html.math import DISPLAY_ATTR, TEX_ATTR

MAX_RENDER_DEPTH = 150
"""Below this depth a subtree is rendered as plain text (pathological nesting)."""

BLOCK_TAGS = frozenset(
    """address article aside blockquote body center dd details dialog dir div dl dt fieldset
    figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html li main menu nav ol p
    pre section summary table tbody td tfoot th thead tr ul caption legend""".split()
)
_WS = re.compile(r"[\s\u200b]+")
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY_LIKE = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_LINE_START_MARKER = re.compile(
    r"^(\s*)(#{1,6}(?=\s|$)|[-+*](?=\s)|\d{1,9}(?=[.)](?:\s|$))|>|=+\s*$|-+\s*$|`{3,}|~{3,}"
    r"|:(?=\s))"
)
_BACKTICKS = re.compile(r"`+")
_URL_UNSAFE = re.compile(r"[\s<>]")
_ALIGN_STYLE = re.compile(r"text-align\s*:\s*(left|right|center)", re.I)
_ALIGN_MARK = {"left": ":---", "right": "---:", "center": ":---:"}
_FENCE_LINE = re.compile(r"^\s*(`{3,}|~{3,})")
_DOUBLE_BREAK = re.compile(r"(?: *  \n[ \t]*){2,}")
_TABLE_TAGS = {"table", "caption", "thead", "tbody", "tfoot", "tr", "td", "th", "colgroup",
               "col", "a", "img", "code", "em", "strong", "b", "i", "br", "sub", "sup", "p",
               "ul", "ol", "li", "pre", "span", "del", "s", "kbd", "abbr", "dl", "dt", "dd",
               "blockquote", "hr", "small", "mark", "q", "cite"}
_TABLE_ATTRS = {"td": {"colspan", "rowspan", "align"}, "th": {"colspan", "rowspan", "align",
                                                               "scope"},
                "a": {"href"}, "img": {"src", "alt"}, "col": {"span"}, "colgroup": {"span"},
                "ol": {"start"}, "abbr": {"title"}}
_CELL_BLOCKS = frozenset(("ul", "ol", "pre", "blockquote", "dl", "table", "hr", "h1", "h2",
                          "h3", "h4", "h5", "h6"))


def escape_text(text: str) -> str:
    """Neutralise raw HTML and entities in prose."""
    text = _ENTITY_LIKE.sub("&amp;", text)
    return _TAG_START.sub("&lt;", text)


def escape_line_start(line: str) -> str:
    """Backslash-escape a block marker (``#``, ``-``, ``1.``, ``>``, a fence) opening a line."""

    def repl(match: re.Match[str]) -> str:
        marker = match.group(2)
        if marker[0].isdigit():
            return f"{match.group(1)}{marker}\\"
        return f"{match.group(1)}\\{marker}"

    return _LINE_START_MARKER.sub(repl, line, count=1)


def fence_for(code: str) -> str:
    """A backtick fence longer than any backtick run in ``code`` (at least three)."""
    longest = max((len(run) for run in _BACKTICKS.findall(code)), default=0)
    return "`" * max(3, longest + 1)


def safe_url(url: str) -> str:
    """A URL usable as a markdown link destination (spaces, brackets, parens encoded)."""
    url = _URL_UNSAFE.sub(
        lambda m: "%20" if m.group(0).isspace() else f"%{ord(m.group(0)):02X}", url)
    if url.count("(") != url.count(")"):
        url = url.replace("(", "%28").replace(")", "%29")
    return url


def image_src(el: Element) -> str:
    """The real image URL: ``src`` unless it is a placeholder and a lazy-load attribute
    exists."""
    src = (el.get("src") or "").strip()
    if not src or src.startswith("data:") or "placeholder" in src or "blank." in src:
        for name in ("data-src", "data-original", "data-lazy-src", "data-url", "data-srcset",
                     "srcset"):
            value = (el.get(name) or "").strip()
            if value:
                return value.split(",")[0].strip().split(" ")[0]
    return src


def _span(cell: Element, name: str) -> int:
    value = (cell.get(name) or "").strip()
    return max(1, min(100, int(value))) if value.isdigit() else 1


def _wrap(text: str, mark: str) -> str:
    """``text`` between ``mark``s, with its outer spaces moved outside."""
    core = text.strip()
    if not core:
        return text
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()):]
    return f"{lead}{mark}{core}{mark}{trail}"


def tidy(text: str) -> str:
    """Collapse runs of blank lines outside code fences and trim the ends."""
    out: list[str] = []
    fence = ""
    blank = 0
    for line in text.split("\n"):
        match = _FENCE_LINE.match(line)
        if match and (not fence or (match.group(1).startswith(fence)
                                    and not line.strip()[len(match.group(1)):])):
            fence = "" if fence else match.group(1)
        if not fence and not line.strip():
            blank += 1
            if blank > 1:
                continue
            out.append("")
            continue
        blank = 0
        out.append(line if fence else line.rstrip() + ("  " if line.endswith("  ") else ""))
    return "\n".join(out).strip("\n") + "\n"


class Renderer:
    """Renders one article body; ``base_url`` resolves relative links and image sources."""

    def __init__(self, *, base_url: str | None, heading_shift: int = 0,
                 notes: list[str] | None = None) -> None:
        self.base_url = base_url
        self.heading_shift = heading_shift
        self.notes = notes if notes is not None else []
        self._block_inside: dict[Element, bool] = {}

    # --- classification ------------------------------------------------------------------

    def is_block(self, el: Element) -> bool:
        """Rendered as a block: a block-level tag, or any element holding a block."""
        tag = tag_of(el)
        if tag in BLOCK_TAGS or el.get("data-reflib-admonition") is not None:
            return True
        if el.get(TEX_ATTR) is not None:
            return el.get(DISPLAY_ATTR) == "1"
        if tag in ("br", "img", "input", "wbr"):
            return False
        known = self._block_inside.get(el)
        if known is None:
            known = any(isinstance(d.tag, str) and (tag_of(d) in BLOCK_TAGS or (
                d.get(TEX_ATTR) is not None and d.get(DISPLAY_ATTR) == "1"))
                for d in el.iterdescendants())
            self._block_inside[el] = known
        return known

    # --- blocks ----------------------------------------------------------------------------

    def render(self, root: Element) -> str:
        """The markdown of ``root``'s content."""
        return tidy(self.blocks(root, 0))

    def blocks(self, el: Element, depth: int, tight: bool = False) -> str:
        """The content of a container: runs of inline content become paragraphs, block
        children render as blocks, in order."""
        if depth > MAX_RENDER_DEPTH:
            text = escape_text(" ".join(el.text_content().split()))
            return escape_line_start(text)
        out: list[str] = []
        run: list[str] = [self.text(el.text)]
        for child in el:
            if not isinstance(child.tag, str):
                run.append(self.text(child.tail))
                continue
            if self.is_block(child):
                self._flush(run, out)
                rendered = self.block(child, depth + 1)
                if rendered.strip():
                    out.append(rendered.strip("\n"))
                run = [self.text(child.tail)]
            else:
                run.append(self.inline_el(child, set(), depth + 1))
                run.append(self.text(child.tail))
        self._flush(run, out)
        if tight and len(out) > 1:
            # a list item's text and its nested list stay together (a tight list)
            joined = out[0]
            for part in out[1:]:
                sep = "\n" if part.lstrip().startswith(("- ", "* ")) or re.match(
                    r"\s*\d+[.)] ", part) else "\n\n"
                joined += sep + part
            return joined
        return "\n\n".join(out)

    def _flush(self, run: list[str], out: list[str]) -> None:
        paragraph = "".join(run)
        run.clear()
        if "  \n" in paragraph:
            # two line breaks in a row separate paragraphs
            paragraph = _DOUBLE_BREAK.sub("\n\n", paragraph)
        paragraph = paragraph.strip(" \t")
        while paragraph.endswith("  \n"):
            paragraph = paragraph[:-3].rstrip(" \t")
        paragraph = paragraph.strip()
        for part in paragraph.split("\n\n"):
            part = part.strip()
            while part.endswith("  \n") or part.endswith("  "):
                part = part.rstrip()
            if not part:
                continue
            lines = part.split("\n")
            out.append("\n".join(escape_line_start(line.lstrip(" ")) if i == 0 or
                                  lines[i - 1].endswith("  ") else line
                                  for i, line in enumerate(lines)))

    def block(self, el: Element, depth: int) -> str:
        """One block-level element."""
        tag = tag_of(el)
        if el.get("data-reflib-admonition") is not None:
            return self.admonition(el, depth)
        if el.get(TEX_ATTR) is not None:
            return f"$${el.get(TEX_ATTR)}$$"
        if tag in HEADINGS:
            return self.heading(el, int(tag[1]))
        if tag in ("ul", "ol", "menu", "dir"):
            return self.list_block(el, depth)
        if tag == "li":
            return self.list_item("-", el, depth)
        if tag == "pre":
            return self.code_block(el)
        if tag == "blockquote":
            inner = self.blocks(el, depth)
            return "\n".join(f"> {line}" if line.strip() else ">" for line in inner.split("\n"))
        if tag == "table":
            return self.table(el, depth)
        if tag == "dl":
            return self.definition_list(el, depth)
        if tag == "hr":
            return "---"
        if tag in ("figcaption", "summary", "caption", "legend", "dt", "dd"):
            return self.blocks(el, depth)
        return self.blocks(el, depth)

    def heading(self, el: Element, level: int) -> str:
        text = _WS.sub(" ", self.inline_children(el, {"heading"}, 0)).strip()
        text = text.rstrip("¶§ ").strip()
        if not text:
            return ""
        level = max(1, min(6, level + self.heading_shift))
        return f"{'#' * level} {text}"

    def list_block(self, el: Element, depth: int) -> str:
        ordered = tag_of(el) == "ol"
        start = el.get("start") or "1"
        number = int(start) if start.strip().isdigit() else 1
        items: list[str] = []
        for child in el:
            if not isinstance(child.tag, str):
                continue
            tag = tag_of(child)
            if tag in ("ul", "ol") and items:
                nested = self.list_block(child, depth + 1)
                items[-1] += "\n" + "\n".join(("    " + line) if line.strip() else ""
                                              for line in nested.split("\n"))
                continue
            marker = f"{number}." if ordered else "-"
            item = self.list_item(marker, child, depth + 1)
            if item:
                items.append(item)
                number += 1
        stray = " ".join(t.strip() for t in [el.text or "", *(c.tail or "" for c in el)]
                         if t.strip())
        if stray and not items:
            return escape_line_start(escape_text(stray))
        return "\n".join(items)

    def list_item(self, marker: str, el: Element, depth: int) -> str:
        content = self.blocks(el, depth, tight=True).strip("\n")
        if not content.strip():
            return ""
        lines = content.split("\n")
        out = [f"{marker} {lines[0]}"]
        out.extend(("    " + line) if line.strip() else "" for line in lines[1:])
        return "\n".join(out)

    def definition_list(self, el: Element, depth: int) -> str:
        out: list[str] = []
        for child in el:
            if not isinstance(child.tag, str):
                continue
            tag = tag_of(child)
            if tag == "dt":
                term = _WS.sub(" ", self.inline_children(child, set(), depth)).strip()
                if term:
                    out.append(("\n" if out else "") + escape_line_start(term))
            elif tag == "dd":
                body = self.blocks(child, depth + 1).strip("\n")
                if body:
                    lines = body.split("\n")
                    out.append(":   " + lines[0] + "".join(
                        "\n" + ("    " + line if line.strip() else "") for line in lines[1:]))
            elif tag == "div":  # <div> groups of dt/dd (HTML 5.2)
                inner = self.definition_list(child, depth + 1)
                if inner:
                    out.append(inner)
        return "\n".join(out)

    def code_block(self, el: Element) -> str:
        code = el.get("data-reflib-code")
        if code is None:
            code = el.text_content().strip("\n")
        if not code.strip():
            return ""
        language = el.get("data-reflib-lang") or ""
        title = (el.get("data-reflib-title") or "").replace('"', "'")
        info = language + (f' title="{title}"' if title else "")
        fence = fence_for(code)
        return f"{fence}{info}\n{code}\n{fence}"

    def admonition(self, el: Element, depth: int) -> str:
        kind = el.get("data-reflib-admonition") or "note"
        title = el.get("data-reflib-title") or ""
        body = self.blocks(el, depth).strip("\n")
        head = f'!!! {kind} "{title}"' if title else f"!!! {kind}"
        indented = "\n".join(f"    {line}" if line.strip() else "" for line in body.split("\n"))
        return f"{head}\n\n{indented}" if body else head

    # --- tables ------------------------------------------------------------------------------

    def table(self, el: Element, depth: int) -> str:
        rows = self._rows(el)
        if not rows:
            return ""
        if self._needs_html(el, rows):
            return self.html_table(el)
        caption = next((c for c in el if tag_of(c) == "caption"), None)
        grid: list[list[str]] = []
        for row in rows:
            cells = []
            for cell in row:
                if not isinstance(cell.tag, str) or tag_of(cell) not in ("td", "th"):
                    continue
                text = _WS.sub(" ", self.inline_children(cell, {"cell"}, depth)).strip()
                cells.append(text.replace("|", "\\|"))
            grid.append(cells)
        width = max(len(r) for r in grid)
        if width == 0:
            return ""
        lines: list[str] = []
        if caption is not None:
            text = _WS.sub(" ", self.inline_children(caption, set(), depth)).strip()
            if text:
                lines.extend([escape_line_start(text), ""])
        padded = [r + [""] * (width - len(r)) for r in grid]
        header = self._has_header_row(rows[0])
        head = padded[0] if header else [""] * width
        body = padded[1:] if header else padded
        lines.append("| " + " | ".join(head) + " |")
        lines.append("| " + " | ".join(self._alignments(rows[0], width)) + " |")
        lines.extend("| " + " | ".join(r) + " |" for r in body)
        return "\n".join(lines)

    @staticmethod
    def _rows(table: Element) -> list[Element]:
        rows: list[Element] = []
        for child in table:
            tag = tag_of(child)
            if tag == "tr":
                rows.append(child)
            elif tag in ("thead", "tbody", "tfoot"):
                rows.extend(r for r in child if tag_of(r) == "tr")
        return rows

    @staticmethod
    def _has_header_row(first: Element) -> bool:
        parent = first.getparent()
        if parent is not None and tag_of(parent) == "thead":
            return True
        cells = [c for c in first if tag_of(c) in ("td", "th")]
        return bool(cells) and all(tag_of(c) == "th" for c in cells)

    @staticmethod
    def _alignments(row: Element, width: int) -> list[str]:
        marks: list[str] = []
        for cell in row:
            if tag_of(cell) not in ("td", "th"):
                continue
            align = (cell.get("align") or "").lower()
            if align not in _ALIGN_MARK:
                m = _ALIGN_STYLE.search(cell.get("style") or "")
                align = m.group(1).lower() if m else ""
            marks.extend([_ALIGN_MARK.get(align, "---")] * _span(cell, "colspan"))
        return (marks + ["---"] * width)[:width]

    def _needs_html(self, table: Element, rows: list[Element]) -> bool:
        """Merged cells, or blocks markdown cannot put in a cell (lists, code, paragraphs)."""
        for row in rows:
            for cell in row:
                if tag_of(cell) not in ("td", "th"):
                    continue
                if _span(cell, "colspan") > 1 or _span(cell, "rowspan") > 1:
                    return True
                paragraphs = 0
                for d in cell.iterdescendants():
                    tag = tag_of(d)
                    if tag in _CELL_BLOCKS:
                        return True
                    if tag in ("p", "div") and d.text_content().strip():
                        paragraphs += 1
                if paragraphs > 1:
                    return True
        return False

    def html_table(self, table: Element) -> str:
        """The table as sanitised HTML on one block (links resolved, no attributes but
        spans and alignment)."""
        for el in table.iter():
            if not isinstance(el.tag, str):
                continue
            tag = tag_of(el)
            allowed = _TABLE_ATTRS.get(tag, set())
            for key in list(el.attrib):
                if key not in allowed:
                    del el.attrib[key]
            if tag == "a" and el.get("href") and self.base_url and \
                    not el.get("href", "").startswith("#"):
                el.set("href", urljoin(self.base_url, el.get("href", "")))
            if tag == "img":
                src = image_src(el)
                if src and self.base_url and not src.startswith("data:"):
                    el.set("src", urljoin(self.base_url, src))
            if tag == "pre" and el.get("data-reflib-code") is not None:
                el.text = el.get("data-reflib-code")
                for child in list(el):
                    el.remove(child)
        raw = etree.tostring(table, encoding="unicode", method="html", with_tail=False)
        clean = nh3.clean(raw, tags=_TABLE_TAGS, attributes={k: set(v) for k, v in
                                                             _TABLE_ATTRS.items()},
                          url_schemes={"http", "https", "mailto"}, link_rel=None)
        # one HTML block: no blank line may end it early
        lines = [line for line in clean.split("\n") if line.strip()]
        self.notes.append("a table with merged cells or block content kept as HTML")
        return "\n".join(lines)

    # --- inline ------------------------------------------------------------------------------

    @staticmethod
    def text(text: str | None) -> str:
        """Prose text: whitespace collapsed, HTML and entities neutralised."""
        if not text:
            return ""
        return escape_text(_WS.sub(" ", text))

    def inline_children(self, el: Element, ctx: set[str], depth: int) -> str:
        parts = [self.text(el.text)]
        for child in el:
            if isinstance(child.tag, str):
                parts.append(self.inline_el(child, ctx, depth + 1))
            parts.append(self.text(child.tail))
        return "".join(parts)

    def inline_el(self, el: Element, ctx: set[str], depth: int) -> str:
        """One phrasing element (or a block met inside a phrase: its text)."""
        if depth > MAX_RENDER_DEPTH:
            return self.text(el.text_content())
        tag = tag_of(el)
        tex = el.get(TEX_ATTR)
        if tex is not None:
            return f"$${tex}$$" if el.get(DISPLAY_ATTR) == "1" else f"${tex}$"
        if tag == "br":
            return " " if ctx & {"heading", "cell", "link"} else "  \n"
        if tag == "img":
            return self.image(el, ctx)
        if tag == "input":
            mark = "[x]" if el.get("checked") is not None else "[ ]"
            el.tail = " " + (el.tail or "").lstrip()
            return mark
        if tag in ("code", "kbd", "samp", "tt") and "code" not in ctx:
            return self.code_span(el)
        if tag == "pre":
            return self.code_span(el)
        if tag == "a":
            return self.link(el, ctx, depth)
        inner = self.inline_children(el, ctx | {tag}, depth)
        if tag in ("em", "i", "cite", "dfn", "var") and not ctx & {"em", "i"}:
            return _wrap(inner, "*")
        if tag in ("strong", "b") and not ctx & {"strong", "b"}:
            return _wrap(inner, "**")
        if tag in ("del", "s", "strike") and not ctx & {"del", "s", "strike"}:
            return _wrap(inner, "~~")
        if tag in ("sub", "sup") and inner.strip() and "cell" not in ctx:
            return f"<{tag}>{inner.strip()}</{tag}>"
        if tag == "q":
            return f"\u201c{inner.strip()}\u201d"
        if tag not in INLINE_TAGS and self.is_block(el):
            return f" {inner.strip()} "
        return inner

    def code_span(self, el: Element) -> str:
        code = el.get("data-reflib-code")
        if code is None:
            code = el.text_content()
        code = code.replace("\n", " ")
        if not code.strip():
            return code
        ticks = "`" * (max((len(r) for r in _BACKTICKS.findall(code)), default=0) + 1)
        pad = " " if code.startswith("`") or code.endswith("`") else ""
        return f"{ticks}{pad}{code}{pad}{ticks}"

    def link(self, el: Element, ctx: set[str], depth: int) -> str:
        text = _WS.sub(" ", self.inline_children(el, ctx | {"link"}, depth))
        href = (el.get("href") or "").strip()
        if not href or href.lower().startswith(("javascript:", "data:", "vbscript:")):
            return text
        if href.startswith("#") and "heading" in ctx:
            return text
        if self.base_url and not href.startswith("#"):
            href = urljoin(self.base_url, href)
        core = text.strip()
        if not core:
            return text
        lead = text[: len(text) - len(text.lstrip())]
        trail = text[len(text.rstrip()):]
        if core == href and not href.startswith("#"):
            return f"{lead}<{href}>{trail}"
        return f"{lead}[{core}]({safe_url(href)}){trail}"

    def image(self, el: Element, ctx: set[str]) -> str:
        src = image_src(el)
        alt = _WS.sub(" ", el.get("alt") or "").strip().replace("[", "(").replace("]", ")")
        if "heading" in ctx or not src:
            return alt
        if src.startswith("data:"):
            if len(src) > 200:
                self.notes.append("an inline data: image was dropped (alt text kept)")
                return alt
        elif self.base_url:
            src = urljoin(self.base_url, src)
        return f"![{alt}]({safe_url(src)})"
