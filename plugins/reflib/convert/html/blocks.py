"""Stage 4: the page as text blocks in document order, with their statistics.

One bottom-up pass over the elements computes, for each element, its text length, the part of
it inside links, and its *own* text: the text directly in it and in its phrasing children
(``<span>``, ``<em>``, ``<a>`` ...), up to the next block-level child. An element with own text
is a **block**: a paragraph, a list item, a heading, a table cell, a ``<div>`` holding a chapter
in ``<span>``s. So text that is not in a ``<p>`` counts like any paragraph.

Then one top-down pass marks what is recognisably site chrome: navigation elements and roles,
and class or id words such as ``sidebar``, ``share`` or ``related`` (:func:`chrome_level`), on
block-level elements only, and never on an element that holds most of the page's prose (page
wrappers carry such words: ``has-sidebar``, ``page-with-nav``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from reflib.convert.html.dom import HEADINGS, INLINE_TAGS, Element, classes, elements, tag_of, words

MIN_PROSE = 25
"""Characters a block needs to count as prose (with sentence punctuation, or 80 without)."""
MAX_PROSE_LINK_DENSITY = 0.33

STRONG = 2
WEAK = 1

_STRONG_WORDS = frozenset(
    """breadcrumb breadcrumbs crumbs cookie cookies consent gdpr skip skiplink share shares
    sharing sharethis social socials related recommended recommendations newsletter subscribe
    subscription advert advertisement advertising ad ads adsense adslot dfp sponsor sponsored
    promo popup modal overlay navbar topnav pagination pager paginator comments comment
    disqus respond masthead signup login searchbox widget widgets toolbar tagcloud postmeta
    footnav editsection navbox catlinks printfooter jump noprint feedback rating prevnext
    outbrain taboola trending mostread most popular newsletters promoted cta""".split()
)
_WEAK_WORDS = frozenset(
    """sidebar sidebars nav navigation menu menus meta author authors byline tags search banner
    next prev previous footer header toc""".split()
)
_CONTENT_WORDS = frozenset(
    "content article post entry body main story text prose hentry blogpost chapter".split()
)
_CHROME_ROLES = frozenset(
    "navigation banner contentinfo complementary search menu menubar toolbar dialog alertdialog "
    "tablist doc-toc".split()
)
_STRONG_TAGS = frozenset(("nav",))
_WEAK_TAGS = frozenset(("aside", "header", "footer"))
_PUNCT = re.compile(r"[.!?,;:\u3002\uff0c\uff01\uff1f\u060c\u061b\u0964]")
_WIDE = re.compile(r"[\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
"""CJK and Hangul characters: one of them carries about as much as a short word."""


def weighted_length(text: str) -> int:
    """Characters of ``text``, each CJK or Hangul character counting three (so prose
    thresholds mean the same in Chinese as in English)."""
    return len(text) + 2 * len(_WIDE.findall(text)) if text else 0
_NO_BLOCKS_INSIDE = frozenset(("pre", "svg", "math"))
_MEDIA = frozenset(("img", "video", "picture", "figure"))
TEX_ATTR = "data-reflib-tex"


@dataclass
class Block:
    """A run of text in one element, in document order."""

    el: Element
    order: int
    """The element's position in document order (preorder)."""
    chars: int
    link_chars: int
    text: str
    """The block's own text, whitespace collapsed."""
    kind: str
    """``text``, ``heading``, ``code``, ``cell`` or ``media``."""
    size: int = 0
    """:func:`weighted_length` of the text (what thresholds and scores use)."""
    chrome: int = 0
    """0, :data:`WEAK` or :data:`STRONG`: the strongest chrome mark on it or an ancestor."""

    @property
    def link_density(self) -> float:
        return self.link_chars / self.chars if self.chars else 0.0

    def __post_init__(self) -> None:
        if not self.size:
            self.size = weighted_length(self.text) if self.text else self.chars

    @property
    def is_prose(self) -> bool:
        """A paragraph of running text: long enough, punctuated, few links."""
        if self.kind not in ("text", "cell") or self.size < MIN_PROSE:
            return False
        if self.link_density > MAX_PROSE_LINK_DENSITY:
            return False
        # CJK writers often separate clauses with spaces, not punctuation
        return self.size >= 80 or bool(_PUNCT.search(self.text)) or self.size >= 2 * self.chars


@dataclass
class Page:
    """Statistics of every element below ``root`` and the blocks in document order."""

    root: Element
    order: dict[Element, int] = field(default_factory=dict)
    end: dict[Element, int] = field(default_factory=dict)
    """The preorder index of the last element of each element's subtree."""
    text: dict[Element, int] = field(default_factory=dict)
    link: dict[Element, int] = field(default_factory=dict)
    prose: dict[Element, int] = field(default_factory=dict)
    """Characters of prose blocks in the element's subtree."""
    prose_blocks: dict[Element, int] = field(default_factory=dict)
    """How many prose blocks the element's subtree holds."""
    chrome: dict[Element, int] = field(default_factory=dict)
    """Own chrome mark of an element (not inherited)."""
    blocks: list[Block] = field(default_factory=list)

    @property
    def total_prose(self) -> int:
        return self.prose.get(self.root, 0)


def _len(text: str | None) -> int:
    return len(text.strip()) if text else 0


def analyse(root: Element) -> Page:
    """Blocks and statistics of the page below ``root`` (two linear passes)."""
    page = Page(root)
    els = list(elements(root))
    for i, el in enumerate(els):
        page.order[el] = i
    inline_text: dict[Element, str] = {}
    inline_link: dict[Element, int] = {}
    skip: set[Element] = set()
    for el in els:
        if tag_of(el) in _NO_BLOCKS_INSIDE and el is not root:
            skip.update(el.iterdescendants())
    blocks: list[Block] = []
    for el in reversed(els):
        tag = tag_of(el)
        order = page.order[el]
        last = order
        total = _len(el.text)
        link = 0
        parts = [el.text or ""]
        own_link = 0
        for child in el:
            if not isinstance(child.tag, str):
                parts.append(child.tail or "")
                total += _len(child.tail)
                continue
            last = max(last, page.end.get(child, page.order.get(child, order)))
            total += page.text.get(child, 0) + _len(child.tail)
            link += page.link.get(child, 0)
            if child in inline_text:
                parts.append(inline_text[child])
                own_link += inline_link[child]
            else:
                parts.append(" ")
            parts.append(child.tail or "")
        page.end[el] = last
        if tag == "a":
            link = total
        page.text[el] = total
        page.link[el] = link
        if el in skip:
            continue
        inline = tag in INLINE_TAGS and el is not root
        if inline:
            tex = el.get(TEX_ATTR)
            joined = f" {tex} " if tex is not None else "".join(parts)
            inline_text[el] = joined
            inline_link[el] = len(" ".join(joined.split())) if tag == "a" else own_link
            continue
        if tag == "pre":
            text = " ".join(el.text_content().split())
            if text:
                blocks.append(Block(el, order, len(text), 0, text, "code"))
            continue
        own = " ".join("".join(parts).split())
        if own:
            kind = "heading" if tag in HEADINGS else (
                "cell" if tag in ("td", "th") else "text")
            blocks.append(Block(el, order, len(own), min(own_link, len(own)), own, kind))
        elif tag in _MEDIA:
            blocks.append(Block(el, order, 0, 0, "", "media"))
    for el in els:
        if tag_of(el) == "img" and el not in skip:
            blocks.append(Block(el, page.order[el], 0, 0, "", "media"))
    blocks.sort(key=lambda b: b.order)
    page.blocks = blocks
    _prose_totals(page)
    return page


def _prose_totals(page: Page) -> None:
    """Prose characters per subtree (blocks credited to their element and its ancestors)."""
    own: dict[Element, int] = {}
    count: dict[Element, int] = {}
    for block in page.blocks:
        if block.is_prose:
            own[block.el] = own.get(block.el, 0) + block.size
            count[block.el] = count.get(block.el, 0) + 1
    for el in reversed(list(page.order)):
        total = own.get(el, 0)
        number = count.get(el, 0)
        for child in el:
            if isinstance(child.tag, str):
                total += page.prose.get(child, 0)
                number += page.prose_blocks.get(child, 0)
        page.prose[el] = total
        page.prose_blocks[el] = number


def chrome_level(el: Element, page: Page, core: set[Element] | None = None) -> int:
    """How surely ``el`` is site chrome by its tag, role, class and id: 0, WEAK or STRONG.

    Only block-level elements are judged (a link with class ``popup`` or a MathJax ``span``
    with ``menu`` in its class is never chrome). ``core`` holds the article container(s) and
    their ancestors when known: those are never chrome, whatever their words say. Without a
    core, a wrapper holding most of the page's prose in several paragraphs is not chrome."""
    tag = tag_of(el)
    if tag in INLINE_TAGS or tag in HEADINGS or tag in ("html", "body", "li", "td", "th", "tr"):
        return 0
    if core:
        if el in core:
            return 0
    else:
        total = page.total_prose
        if total and page.prose.get(el, 0) > 0.5 * total and page.prose_blocks.get(el, 0) >= 3:
            return 0
    if tag in _STRONG_TAGS or (el.get("role") or "").lower() in _CHROME_ROLES:
        return STRONG
    found = words(el)
    if found & _STRONG_WORDS:
        return STRONG
    if tag in _WEAK_TAGS:
        return WEAK
    if found & _WEAK_WORDS and not found & _CONTENT_WORDS:
        return WEAK
    return 0


def _listings(page: Page) -> set[Element]:
    """Lists of teasers: an element with three or more similar children (same tag and
    classes), each short and led by a link (a linked heading or title), as "More stories",
    "Related" and archive grids are built. Not when it holds most of the page's prose."""
    found: set[Element] = set()
    total = page.total_prose
    for el in page.order:
        if tag_of(el) in INLINE_TAGS or tag_of(el) == "p":
            continue
        kids = [c for c in el if isinstance(c.tag, str) and tag_of(c) not in INLINE_TAGS]
        if len(kids) < 3:
            continue
        shapes: dict[tuple[str, str], list[Element]] = {}
        for kid in kids:
            shapes.setdefault((tag_of(kid), kid.get("class") or ""), []).append(kid)
        items = max(shapes.values(), key=len)
        if len(items) < 3 or (tag_of(items[0]) in ("li", "tr", "p", "td", "dd", "dt") and \
                not items[0].get("class")):
            continue
        if total and page.prose.get(el, 0) > 0.5 * total:
            continue
        teasers = 0
        for item in items:
            text = page.text.get(item, 0)
            if not text or text > 600:
                continue
            link = next((a for a in item.iter("a") if len(a.text_content().strip()) >= 15), None)
            if link is not None and (any(tag_of(h) in HEADINGS for h in link.iterancestors())
                                     or next(link.iter(*HEADINGS), None) is not None
                                     or page.link.get(item, 0) >= 0.3 * text):
                teasers += 1
        if teasers >= 3 and teasers >= 0.6 * len(items):
            found.add(el)
    outer = [el for el in found if not any(a in found for a in el.iterancestors())]
    if total and sum(page.prose.get(el, 0) for el in outer) > 0.5 * total:
        return set()  # a page made of listings (a section front): they are its content
    return found


def mark_chrome(page: Page, core: list[Element] | None = None) -> None:
    """Each element's own chrome level, and each block's inherited one. ``core``: the
    article container(s), when found (they and their ancestors are never chrome)."""
    inherited: dict[Element, int] = {}
    listings = _listings(page)
    protected: set[Element] = set()
    for el in core or ():
        protected.add(el)
        protected.update(el.iterancestors())
    for el in page.order:  # document order: parents first
        level = STRONG if el in listings and el not in protected else \
            chrome_level(el, page, protected)
        parent = el.getparent()
        above = inherited.get(parent, 0) if parent is not None else 0
        if level == WEAK and above == WEAK:
            level = STRONG  # two independent weak marks agree (an author box in an aside)
        page.chrome[el] = level
        inherited[el] = max(level, above)
    for block in page.blocks:
        block.chrome = inherited.get(block.el, 0)


def block_classes(block: Block) -> list[str]:
    """The classes of a block's element (for diagnostics)."""
    return classes(block.el)
