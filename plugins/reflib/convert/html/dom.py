"""Stage 2: the parsed page, and the words used to describe its elements.

Pages are parsed with lxml (libxml2's HTML parser: fast, forgiving of broken markup). libxml2
stops at 256 levels of nesting; a page nested deeper is parsed again by :func:`_parse_deep`,
which builds the same kind of tree from the standard library's event parser and attaches
elements nested deeper than :data:`MAX_DEPTH` to their ancestor at that depth (their text is
kept, in order), so no later stage ever walks a tree deeper than that.

Every walk in the converter is iterative or bounded by that depth.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import lxml.html
from lxml import etree
from lxml.html import HtmlElement as Element

MAX_DEPTH = 200
"""Elements nested deeper are attached to their ancestor at this depth."""

HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
INLINE_TAGS = frozenset(
    """a abbr acronym b bdi bdo big br cite code data del dfn em font i img ins kbd label mark
    nobr q rp rt ruby s samp small span strike strong sub sup time tt u var wbr math""".split()
)
"""Phrasing elements: their text belongs to the block around them."""
VOID_TAGS = frozenset("area base br col embed hr img input link meta param source track wbr".split())
JUNK_TAGS = frozenset(
    """script style noscript template svg canvas iframe frame frameset object embed link meta
    button select textarea option optgroup datalist dialog map area audio video source track
    head title base param applet""".split()
)
"""Never article text (an ``<input type=checkbox>`` of a task list is kept apart)."""

_WORD_SPLIT = re.compile(r"[-_\s:]+|(?<=[a-z])(?=[A-Z])")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_WS = re.compile(r"\s+")
_TAXONOMY_PREFIXES = (
    "category-", "tag-", "tags-", "cat-", "postid-", "post-", "page-id-", "author-", "format-",
    "status-", "type-", "has-", "no-", "html_", "is-", "with-", "single-", "elementor-page",
    "wp-block-", "tmpl-", "layout-",
)
"""Class prefixes that name a taxonomy or a state (WordPress ``category-advertising``,
``tag-social``, ``has-sidebar``), not the role of the element."""


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def parse(text: str) -> Element:
    """The ``<html>`` element of a page (decoded text). Characters no HTML document may hold
    (NUL and other control characters, lone surrogates) become spaces."""
    text = _CONTROL.sub(" ", text)
    # libxml2 wants bytes when the text declares an encoding; the text is already decoded
    data = text.encode("utf-8")
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        root = lxml.html.document_fromstring(data, parser=parser)
    except (etree.ParserError, ValueError):
        return _parse_deep(text)
    if any("Excessive depth" in str(e) for e in parser.error_log):
        return _parse_deep(text)
    return root


def tag_of(el: Any) -> str:
    """The element's lower-case tag name ('' for comments and processing instructions)."""
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else ""


def elements(root: Element) -> Iterator[Element]:
    """``root`` and every element below it, in document order (comments skipped)."""
    return root.iter(etree.Element)  # type: ignore[no-any-return,unused-ignore]


def classes(el: Element) -> list[str]:
    """The element's class tokens."""
    value = el.get("class")
    return value.split() if value else []


def words(el: Element) -> set[str]:
    """Lower-cased words of the element's class and id (``md-sidebar--primary`` -> md,
    sidebar, primary). The id is ignored on sections that open with a heading: generators
    derive those ids from the heading text (Sphinx's ``<section id="main-menu">``)."""
    out: set[str] = set()
    ident = el.get("id") or ""
    if ident:
        first = next(iter(el), None)
        if first is not None and tag_of(first) in HEADINGS:
            ident = ""
    for token in [*classes(el), ident]:
        if token and not token.lower().startswith(_TAXONOMY_PREFIXES):
            out.update(w.lower() for w in _WORD_SPLIT.split(token) if w)
    return out


def is_hidden(el: Element) -> bool:
    """Hidden by the ``hidden`` attribute, ``aria-hidden="true"`` or an inline
    ``display: none`` / ``visibility: hidden``."""
    if el.get("hidden") is not None or (el.get("aria-hidden") or "").lower() == "true":
        return True
    style = el.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


def text_of(el: Element) -> str:
    """The element's text with whitespace collapsed."""
    return _WS.sub(" ", el.text_content()).strip()


def remove(el: Element, keep_tail: bool = True) -> None:
    """Remove ``el`` and its subtree; its tail text stays in the document."""
    parent = el.getparent()
    if parent is None:
        return
    if keep_tail and el.tail:
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def unwrap(el: Element) -> None:
    """Replace ``el`` by its content (text, children, tail), in place."""
    parent = el.getparent()
    if parent is None:
        return
    el.drop_tag()


def replace_with_text(el: Element, text: str) -> None:
    """Replace ``el`` (and its subtree) by plain ``text``."""
    el.tail = text + (el.tail or "")
    remove(el)


def depth_of(el: Element) -> int:
    """How many ancestors ``el`` has."""
    depth = 0
    parent = el.getparent()
    while parent is not None:
        depth += 1
        parent = parent.getparent()
    return depth


# --- the fallback parser for deeply nested pages ---------------------------------------------


class _DeepBuilder(HTMLParser):
    """Builds an lxml tree from the standard library's HTML events, attaching elements nested
    deeper than :data:`MAX_DEPTH` to their ancestor at that depth."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = lxml.html.Element("html")
        self.body = etree.SubElement(self.root, "body")
        self.stack: list[Element] = [self.body]
        self.flattened: list[str] = []
        """Tags opened while at the maximum depth (not given an element)."""

    def _append_text(self, text: str) -> None:
        current = self.stack[-1]
        last = current[-1] if len(current) else None
        if last is not None:
            last.tail = (last.tail or "") + text
        else:
            current.text = (current.text or "") + text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower()
        if tag in ("html", "body", "head"):
            return
        if len(self.stack) >= MAX_DEPTH and tag not in VOID_TAGS:
            self.flattened.append(tag)
            self._append_text(" ")
            return
        safe = {k: (v or "") for k, v in attrs if re.fullmatch(r"[A-Za-z_:][-\w.:]*", k)}
        try:
            el = etree.SubElement(self.stack[-1], tag, safe)
        except ValueError:  # a tag name lxml refuses
            el = etree.SubElement(self.stack[-1], "span")
        if tag not in VOID_TAGS:
            self.stack.append(el)

    def handle_endtag(self, tag: str) -> None:
        tag = tag.lower()
        if self.flattened and self.flattened[-1] == tag:
            self.flattened.pop()
            self._append_text(" ")
            return
        for i in range(len(self.stack) - 1, 0, -1):
            if tag_of(self.stack[i]) == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self._append_text(data)


def _parse_deep(text: str) -> Element:
    builder = _DeepBuilder()
    builder.feed(text)
    builder.close()
    # elements built with etree are plain; give them lxml.html's class for the same API
    return lxml.html.document_fromstring(etree.tostring(builder.root, encoding="unicode"),
                                         parser=lxml.html.HTMLParser(huge_tree=True))
