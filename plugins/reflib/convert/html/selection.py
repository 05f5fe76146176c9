"""Stage 5: where the article is, from several independent signals.

The article body is a range of blocks in document order (:mod:`.blocks`), found from:

1. **documentation containers** (Material ``article.md-content__inner``, Sphinx ``div.body``,
   ``.rst-content``, Docusaurus, ``.markdown-body``, Docsy ``.td-content``): everything in the
   container is the page's content, so the range is the container, untrimmed;
2. **article containers** (``itemprop=articleBody``, ``entry-content``, ``article-body`` ...): all
   matches that hold a fair share of the prose, together (an article split over several
   ``div.article-text`` blocks keeps them all);
3. **text blocks**: the contiguous run of blocks with the most prose, scored like a maximum
   subarray (prose counts for, link-dense blocks and recognised chrome against), so the whole
   article is found whatever its markup, then extended to the heading, byline and lead image
   before it and to the figures, code, tables and reference lists after it;
4. **a second opinion**: trafilatura's extraction of the same page, aligned back to the blocks
   by their text; prose it found outside the range is added (never removed: the policy is
   lossless, so recall comes first).

A **coverage** self-check follows: the share of the page's prose (blocks of running text,
outside recognised chrome) that the range holds. When it is low the range is widened to all
such prose and the note says so; the figure is recorded in the full text's front matter.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from reflib.convert.html.blocks import STRONG, WEAK, Block, Page, mark_chrome
from reflib.convert.html.dom import HEADINGS, Element, classes, tag_of, words
from reflib.core.schema import LOW_COVERAGE

_BODY_CLASSES = frozenset(
    """post-content entry-content article-content article-body post-body story-body post-prose
    post-text article-text entry-body blog-post-content content-body article--body
    article__body articlebody post-entry single-post-content story-content article-text-body
    post__content entry__content article__content c-entry-content""".split()
)
_REFERENCE_WORDS = frozenset(
    "references reference reflist footnotes footnote notes citations bibliography sources "
    "endnotes".split()
)
_REFERENCE_HEADING = re.compile(
    r"\b(references?|notes|footnotes|sources|bibliography|citations|further reading|see also"
    r"|literature|endnotes)\b", re.IGNORECASE)
_NORM = re.compile(r"[\W_]+", re.UNICODE)


def _attr_is(name: str, value: str) -> Callable[[Element], bool]:
    return lambda el: (el.get(name) or "").strip().lower() == value


def _has_class(tag: str | None, name: str) -> Callable[[Element], bool]:
    return lambda el: (tag is None or tag_of(el) == tag) and name in classes(el)


def _sphinx_body(el: Element) -> bool:
    if tag_of(el) != "div" or "body" not in classes(el):
        return False
    if (el.get("role") or "") == "main":
        return True
    parent = el.getparent()
    return parent is not None and bool({"bodywrapper", "documentwrapper"} & set(classes(parent)))


def _body_class(el: Element) -> bool:
    if tag_of(el) not in ("div", "section", "article", "main", "td"):
        return False
    return any(c.lower().replace("_", "-") in _BODY_CLASSES for c in classes(el))


DOCS_CONTAINERS: tuple[tuple[str, Callable[[Element], bool]], ...] = (
    ("article.md-content__inner", _has_class("article", "md-content__inner")),
    ("sphinx div.body", _sphinx_body),
    ("div.rst-content", _has_class(None, "rst-content")),
    ("docusaurus markdown", _has_class(None, "theme-doc-markdown")),
    ("markdown-body", _has_class(None, "markdown-body")),
    ("td-content", _has_class(None, "td-content")),
)
ARTICLE_CONTAINERS: tuple[tuple[str, Callable[[Element], bool]], ...] = (
    ("itemprop=articleBody", _attr_is("itemprop", "articlebody")),
    ("article body class", _body_class),
)
GENERIC_CONTAINERS: tuple[tuple[str, Callable[[Element], bool]], ...] = (
    ("article", lambda el: tag_of(el) == "article"),
    ("main", lambda el: tag_of(el) == "main" or (el.get("role") or "").lower() == "main"),
)


@dataclass
class Selection:
    """The chosen article body: the blocks ``first`` to ``last`` below ``root``."""

    root: Element
    start: int
    """Preorder index of the first kept element (elements wholly before it are pruned)."""
    end: int
    """Preorder index of the last kept element."""
    method: str
    """How the body was chosen, for the front matter's ``extraction``."""
    docs: bool = False
    """Chosen by a documentation container: every list of links in it is content."""
    title: Element | None = None
    """The article's ``h1`` when it stands just before the body (outside it)."""
    coverage: float = 1.0
    notes: list[str] = field(default_factory=list)


# --- containers ------------------------------------------------------------------------------


def _matches(page: Page, tests: tuple[tuple[str, Callable[[Element], bool]], ...]
             ) -> dict[str, list[Element]]:
    found: dict[str, list[Element]] = {name: [] for name, _ in tests}
    for el in page.order:
        for name, test in tests:
            if test(el):
                found[name].append(el)
    return found


def _outermost(els: list[Element], page: Page) -> list[Element]:
    """Matches not nested in another match, in document order."""
    out: list[Element] = []
    for el in els:
        if out and page.order[el] <= page.end[out[-1]]:
            continue
        out.append(el)
    return out


def _docs_container(page: Page) -> tuple[str, Element] | None:
    total = page.total_prose
    for name, els in _matches(page, DOCS_CONTAINERS).items():
        if not els:
            continue
        best = max(els, key=lambda e: (page.prose.get(e, 0), page.text.get(e, 0)))
        if page.prose.get(best, 0) >= 0.15 * total or total < 200:
            return name, best
    return None


def _article_group(page: Page) -> tuple[str, list[Element]] | None:
    """The first tier of article containers whose matches together hold a fair share of the
    page's prose: every match with at least a tenth of the largest one's prose."""
    total = page.total_prose
    if not total:
        return None
    for name, els in _matches(page, ARTICLE_CONTAINERS).items():
        outer = _outermost(els, page)
        if not outer:
            continue
        biggest = max(page.prose.get(e, 0) for e in outer)
        group = [e for e in outer if page.prose.get(e, 0) >= 0.1 * biggest and biggest]
        if group and sum(page.prose.get(e, 0) for e in group) >= 0.25 * total:
            return name, group
    return None


# --- the best run of blocks ---------------------------------------------------------------------


def weight(block: Block) -> float:
    """A block's contribution to a run: prose for, link lists and recognised chrome against
    (strong chrome at least as much as a short paragraph: a barrier)."""
    if block.kind == "media":
        return 0.0 if block.chrome != STRONG else -20.0
    if block.chrome == STRONG:
        return -float(max(block.size, 100))
    if block.kind == "heading":
        return 0.0
    if block.kind == "code":
        w = 0.5 * block.size
    elif block.is_prose:
        w = block.size * (1.0 - block.link_density)
    elif block.link_density > 0.5:
        w = -float(block.size) * block.link_density
    else:
        w = -0.1 * block.size
    if block.chrome == WEAK:
        w = 0.5 * w if w > 0 else 1.5 * w
    return w


def best_run(blocks: list[Block], lo: int = 0, hi: int | None = None) -> tuple[int, int] | None:
    """Indices ``(i, j)`` of the contiguous blocks (within ``lo..hi``) with the greatest total
    :func:`weight` (Kadane's algorithm), or ``None`` when no block weighs anything."""
    hi = len(blocks) - 1 if hi is None else hi
    best = 0.0
    found: tuple[int, int] | None = None
    run = 0.0
    start = lo
    for k in range(lo, hi + 1):
        w = weight(blocks[k])
        if run <= 0:
            run, start = w, k
        else:
            run += w
        if run > best:
            best, found = run, (start, k)
    return found


def _is_reference_block(block: Block, stop: Element) -> bool:
    """Inside a references / notes list (their links are content)."""
    node: Element | None = block.el
    for _ in range(6):
        if node is None or node is stop:
            return False
        if words(node) & _REFERENCE_WORDS:
            return True
        node = node.getparent()
    return False


def _extend_head(blocks: list[Block], i: int) -> tuple[int, Element | None]:
    """Move the start back over the article's head: byline, date, lead image and lead
    paragraphs, up to its ``h1`` (never across chrome or a list of links). The ``h1`` itself
    is returned as the title, not kept in the body (a full text gives each page its title as
    its top heading)."""
    k = i
    steps = 0
    while k > 0 and steps < 12:
        prev = blocks[k - 1]
        if prev.kind == "heading" and tag_of(prev.el) == "h1":
            return k, prev.el
        if prev.chrome == STRONG or (prev.chrome == WEAK and prev.kind != "heading"):
            break
        if prev.kind not in ("heading", "media") and prev.link_density > 0.5:
            break
        if prev.kind == "text" and prev.chars > 300 and not prev.is_prose:
            break
        k -= 1
        steps += 1
    return k, _title_before(blocks, k)


def _title_before(blocks: list[Block], k: int) -> Element | None:
    """The ``h1`` shortly before block ``k`` (across a byline or a share bar, not across
    navigation or another article's text)."""
    for prev in reversed(blocks[max(0, k - 12):k]):
        if prev.kind == "heading" and tag_of(prev.el) == "h1":
            return prev.el
        if prev.chrome == STRONG or prev.is_prose:
            return None
    return None


def _extend_tail(blocks: list[Block], j: int, root: Element) -> int:
    """Move the end forward over what still belongs to the article: figures, code, tables,
    short lines without links, and reference or notes lists."""
    k = j
    while k + 1 < len(blocks):
        nxt = blocks[k + 1]
        if nxt.chrome == STRONG:
            break
        reference = _is_reference_block(nxt, root) or (
            nxt.kind == "heading" and bool(_REFERENCE_HEADING.search(nxt.text)))
        if reference:
            k += 1
            continue
        if nxt.chrome == WEAK:
            break
        if nxt.kind in ("media", "code"):
            k += 1
            continue
        if nxt.kind == "heading":
            break
        if nxt.link_density > 0.5 and not _is_sentence(nxt):
            break
        if nxt.is_prose or nxt.chars <= 200 or _is_sentence(nxt):
            k += 1
            continue
        break
    return k


_SENTENCE_END = re.compile(r"[.!?\u3002\uff01\uff1f]\W*$")


def _is_sentence(block: Block) -> bool:
    """A paragraph written as a sentence, even if most of its words are links ("See the
    guide, the FAQ and the changelog.")."""
    return tag_of(block.el) == "p" and block.chars >= 20 and \
        bool(_SENTENCE_END.search(block.text)) and len(block.text.split()) >= 4


# --- the second opinion ---------------------------------------------------------------------------


def _norm(text: str) -> str:
    return _NORM.sub(" ", text).casefold().strip()


def supported(blocks: list[Block], other_text: str) -> list[bool]:
    """Which blocks the other extractor's text holds (by their first 80 normalised
    characters; blocks under 20 characters are not judged)."""
    haystack = " " + _norm(other_text) + " "
    out = []
    for block in blocks:
        key = _norm(block.text)[:80]
        out.append(len(key) >= 20 and key in haystack)
    return out


# --- putting it together --------------------------------------------------------------------------


def _prose_chars(blocks: list[Block], i: int, j: int) -> int:
    return sum(b.size for b in blocks[i:j + 1] if b.is_prose and not b.chrome)


def _widen(blocks: list[Block], i: int, j: int) -> tuple[int, int]:
    """Extend ``i..j`` by the best runs of text on either side, as long as each holds a
    fair share of the prose already kept and no strong chrome separates it from the range."""
    while True:
        kept = max(1, _prose_chars(blocks, i, j))
        grown = False
        left = best_run(blocks, 0, i - 1) if i > 0 else None
        if left is not None and _prose_chars(blocks, *left) >= 0.25 * kept and not any(
                b.chrome == STRONG for b in blocks[left[1] + 1:i]):
            i, grown = left[0], True
        right = best_run(blocks, j + 1) if j + 1 < len(blocks) else None
        if right is not None and _prose_chars(blocks, *right) >= 0.25 * kept and not any(
                b.chrome == STRONG for b in blocks[j + 1:right[0]]):
            j, grown = right[1], True
        if not grown:
            return i, j


def _index_range(blocks: list[Block], first: int, last: int, page: Page) -> tuple[int, int]:
    """Block indices ``first..last`` as preorder positions (``last`` with its subtree)."""
    return blocks[first].order, page.end.get(blocks[last].el, blocks[last].order)


def lowest_common_ancestor(a: Element, b: Element) -> Element:
    """The deepest element that contains both ``a`` and ``b``."""
    ancestors = {a, *a.iterancestors()}
    if b in ancestors:
        return b
    for node in b.iterancestors():
        if node in ancestors:
            return node
    return a.getroottree().getroot()


def coverage(page: Page, start: int, end: int) -> float:
    """Share of the page's prose outside recognised chrome that lies in ``start..end``."""
    total = kept = 0
    for block in page.blocks:
        if not block.is_prose or block.chrome:
            continue
        total += block.size
        if start <= block.order <= end:
            kept += block.size
    return kept / total if total else 1.0


def choose(page: Page, second_opinion: Callable[[], str | None] | None = None) -> Selection:
    """Choose the article body of ``page`` (see the module docs)."""
    blocks = page.blocks
    docs = _docs_container(page)
    if docs is not None:
        name, el = docs
        mark_chrome(page, [el])
        sel = Selection(el, page.order[el], page.end[el], f"documentation container {name}",
                        docs=True)
        sel.coverage = coverage(page, sel.start, sel.end)
        return sel
    group = _article_group(page)
    mark_chrome(page, group[1] if group is not None else None)
    if not blocks:
        return Selection(page.root, 0, page.end.get(page.root, 0), "empty page", coverage=1.0)
    method: list[str] = []
    run = best_run(blocks)
    if group is not None:
        name, els = group
        inside = [k for k, b in enumerate(blocks)
                  if any(page.order[e] <= b.order <= page.end[e] for e in els)]
        i, j = (inside[0], inside[-1]) if inside else (0, len(blocks) - 1)
        method.append(f"article container {name}" + (f" ({len(els)} parts)" if len(els) > 1
                                                     else ""))
    elif run is not None:
        i, j = run
        method.append("text blocks")
    else:
        i, j = 0, len(blocks) - 1
        method.append("no prose: whole page")
    i, title = _extend_head(blocks, i)
    j = _extend_tail(blocks, j, page.root)
    notes: list[str] = []
    if second_opinion is not None:
        failed = False
        try:
            other = second_opinion()
        except Exception as exc:  # OpinionUnavailable: said, not silent
            other, failed = None, True
            notes.append(f"no second opinion: {exc}")
            method.append("no second opinion")
        if other:
            agree = supported(blocks, other)
            outside = [k for k, ok in enumerate(agree) if ok and (k < i or k > j)
                       and blocks[k].chrome != STRONG and blocks[k].kind != "heading"]
            added = sum(blocks[k].size for k in outside if blocks[k].is_prose)
            if added >= 150:
                i, j = min(i, *outside), max(j, *outside)
                method.append(f"widened by trafilatura (+{added} characters of prose)")
            else:
                method.append("trafilatura agrees")
        elif not failed:
            method.append("trafilatura found no article")
    start, end = _index_range(blocks, i, j, page)
    cov = coverage(page, start, end)
    if cov < LOW_COVERAGE:
        i, j = _widen(blocks, i, j)
        start, end = _index_range(blocks, i, j, page)
        new = coverage(page, start, end)
        if new > cov:
            notes.append(f"low coverage: the body first held {cov:.0%} of the page's prose; "
                         f"widened to the neighbouring runs of text ({new:.0%})")
            method.append("widened for coverage")
        cov = new
    root = lowest_common_ancestor(blocks[i].el, blocks[j].el)
    return Selection(root, start, end, "; ".join(method), coverage=cov, notes=notes,
                     title=title)


def prune(sel: Selection, page: Page) -> int:
    """Remove the elements below ``sel.root`` that lie wholly outside ``sel.start..sel.end``;
    return how many subtrees went."""
    removed = 0
    stack = [sel.root]
    while stack:
        el = stack.pop()
        for child in list(el):
            if not isinstance(child.tag, str):
                continue
            first = page.order.get(child)
            if first is None:
                continue
            last = page.end.get(child, first)
            if last < sel.start or first > sel.end:
                _drop(child)
                removed += 1
            elif first < sel.start or last > sel.end:
                stack.append(child)
    return removed


def _drop(el: Element) -> None:
    """Remove ``el``; its tail text goes with it when it lies outside the range too."""
    parent = el.getparent()
    if parent is not None:
        parent.remove(el)


def is_heading(el: Element) -> bool:
    return tag_of(el) in HEADINGS
