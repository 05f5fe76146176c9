"""HTML -> lossless markdown (Tier 2 of ``docs`` and ``blog`` resources).

The policy (LIBRARY-FORMAT.md, "Tier 2"): strip site chrome only, keep every part of the
article body verbatim and in order. The pipeline is

1. decode bytes (BOM, then the declared charset, then UTF-8, then Windows-1252);
2. parse with the standard library parser (``html.parser``; lxml is not a dependency);
3. drop what is never content (scripts, styles, forms, hidden elements, buttons);
4. find the article body: well-known content containers first (Sphinx ``div.body``,
   Material ``article.md-content__inner``, ``<article>``, ``<main>``, ``.entry-content`` ...),
   a text-density search (Readability-like) when none of them holds most of the text;
5. remove the chrome left inside it (permalink pilcrows, "edit this page", breadcrumbs,
   navigation, share and cookie boxes) and normalise code blocks, admonitions, math and
   layout tables;
6. render with :mod:`markdownify`, customised for fidelity (see :class:`_Renderer`).

Escaping: markdownify's ``escape_underscores``, ``escape_asterisks`` and ``escape_misc`` are all
off. A full.md is read as text first (grep, evidence, language models) and HTML authors write
emphasis as tags, so a literal ``*`` or ``_`` in a text node is nearly always part of an
identifier (``__init__``, ``max_len``), of TeX (``$a_1 * b_2$``) or of a footnote mark; a
backslash before it would corrupt search and copy-paste. Only what would change the structure
of the document is neutralised: text that would start a tag (``<script`` becomes ``&lt;script``,
so the output never carries raw HTML), entity-like text, and block markers (``#``, ``-``,
``1.``, ``>``) at the start of a line of prose.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from markdownify import ATX, MarkdownConverter

from reflib.convert.base import ConversionError, ConvertRequest, ConvertResult

KIND = "html"
HTML_SUFFIXES = (".html", ".htm", ".xhtml")

# --------------------------------------------------------------------------- decoding

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._:-]+)""")
# WHATWG: labels that browsers decode as windows-1252 or utf-8 whatever the page says.
_CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "windows-1252": "cp1252",
    "x-user-defined": "cp1252",
    "utf-16": "utf-8",
    "utf-16le": "utf-8",
    "utf-16be": "utf-8",
    "unicode": "utf-8",
}


def decode_html(data: bytes) -> tuple[str, str]:
    """Decode an HTML document; return ``(text, encoding used)``.

    Order: a byte-order mark, the charset declared in a ``<meta>`` (or XML declaration) in the
    first 4 KiB, then UTF-8, then Windows-1252. Raises :class:`ConversionError` when none of
    them decodes the bytes strictly, or when the data is binary (NUL bytes).
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise ConversionError(f"cannot decode HTML as {encoding} (BOM): {exc}") from exc
    if b"\x00" in data[:4096]:
        raise ConversionError("cannot decode HTML: the data is binary (NUL bytes), not text")
    tried: list[str] = []
    for encoding in _candidate_encodings(data):
        if encoding in tried:
            continue
        tried.append(encoding)
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    bad = _first_bad_utf8_byte(data)
    raise ConversionError(
        f"cannot decode HTML: not valid as {', '.join(tried)} "
        f"(first invalid UTF-8 byte 0x{data[bad]:02x} at offset {bad})"
    )


def _candidate_encodings(data: bytes) -> list[str]:
    """Encodings to try in order: the declared one (if known to Python), utf-8, cp1252."""
    head = data[:4096]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    out: list[str] = []
    if match:
        label = match.group(1).decode("ascii", "replace").strip().lower()
        label = _CHARSET_ALIASES.get(label, label)
        with contextlib.suppress(LookupError):
            out.append(codecs.lookup(label).name)
    out.extend(["utf-8", "cp1252"])
    return out


def _first_bad_utf8_byte(data: bytes) -> int:
    """Offset of the first byte that makes ``data`` invalid UTF-8 (0 when unknown)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return 0


# --------------------------------------------------------------------------- classification

_JUNK_TAGS = frozenset(
    "script style noscript template svg canvas iframe object embed link meta button input "
    "select textarea option datalist dialog map area audio source track head".split()
)
_BLOCK_TAGS = frozenset(
    "address article aside blockquote dd details div dl dt fieldset figcaption figure footer "
    "form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody td tfoot "
    "th thead tr ul".split()
)
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_PARA_TAGS = frozenset("p pre td dd li blockquote".split())
_CHROME_TAGS = frozenset(["nav", "aside", "footer", "header"])
_CHROME_ROLES = frozenset(
    "navigation banner contentinfo complementary search menu menubar toolbar dialog alertdialog "
    "tablist doc-toc".split()
)
# Words of class / id values (split on -, _ and case changes) that mark chrome.
_CHROME_WORDS = frozenset(
    """sidebar sidebars breadcrumb breadcrumbs crumbs cookie cookies consent gdpr skip skiplink
    share shares sharing sharethis social socials related recommended newsletter subscribe
    subscription advert advertisement advertising ad ads adsense dfp sponsor sponsored promo
    popup modal overlay navbar nav navigation menu menus topnav pagination pager paginator
    comments comment disqus respond masthead banner signup login searchbox search widget
    widgets toolbar byline author authors tags tagcloud meta postmeta footer footnav
    editsection navbox catlinks printfooter jump noprint toc feedback rating
    prevnext prev next previous outbrain taboola""".split()
)
# Chrome words whose element is kept when it holds most of the page's prose (wrappers such
# as ``<div class="page has-sidebar">``); the others are removed unconditionally.
_WEAK_CHROME_WORDS = frozenset(
    "sidebar sidebars nav navigation menu widget widgets meta author authors search banner "
    "related next prev previous footer toc".split()
)
_CONTENT_SELECTORS: tuple[tuple[str, Callable[[Tag], bool]], ...] = ()  # filled below
_PERMALINK_TEXT = frozenset(["¶", "#", "§", "🔗", "link", "permalink", "\u00b6", "\uf0c1"])
_PERMALINK_CLASSES = frozenset(
    "headerlink anchor anchorjs-link header-anchor heading-anchor anchor-link permalink "
    "hash-link direct-link md-anchor".split()
)
_EDIT_TEXT = re.compile(
    r"^\s*(edit (this|on|page|the page)|view (page )?source|suggest (an )?edit|improve this"
    r" page|report an issue|skip to (main )?content|skip to navigation|"
    r"(blog )?comments powered by)\b",
    re.IGNORECASE,
)
_ADMONITION_CLASSES = frozenset(["admonition", "markdown-alert", "callout", "admonitionblock"])
_GENERIC_CLASSES = frozenset(
    "admonition markdown-alert callout admonitionblock details is-open open md-typeset "
    "theme-admonition alert".split()
)
# Class prefixes that name a taxonomy or a state (WordPress ``category-advertising``,
# ``tag-social``, ``has-sidebar``), not the role of the element.
_TAXONOMY_PREFIXES = (
    "category-",
    "tag-",
    "tags-",
    "cat-",
    "postid-",
    "post-",
    "page-id-",
    "author-",
    "format-",
    "status-",
    "type-",
    "has-",
    "no-",
    "html_",
    "is-",
    "with-",
    "single-",
    "elementor-page",
)
_WORD_SPLIT = re.compile(r"[-_\s:]+|(?<=[a-z])(?=[A-Z])")
_LANG_CLASS = re.compile(
    r"^(?:language|lang|highlight|sourcecode|brush|code)-(?:source-)?([A-Za-z0-9_+#.-]{1,30})$"
)
_BRUSH = re.compile(r"brush:\s*([A-Za-z0-9_+#.-]+)")
_NO_LANGUAGE = frozenset(
    ["default", "none", "text", "plain", "plaintext", "nohighlight", "notranslate"]
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_WS = re.compile(r"\s+")


def _classes(tag: Tag) -> list[str]:
    """The tag's class tokens."""
    value = tag.get("class")
    if value is None:
        return []
    if isinstance(value, str):
        return value.split()
    return list(value)


def _words(tag: Tag) -> set[str]:
    """Lower-cased words of the tag's class and id (``md-sidebar--primary`` -> md, sidebar...).

    The id is ignored on sections that open with a heading: generators derive those ids from
    the heading text (Sphinx's ``<section id="main-menu">``), so they say nothing about chrome.
    """
    out: set[str] = set()
    ident = tag.get("id")
    first = tag.find(True, recursive=False)
    if first is not None and first.name in _HEADINGS:
        ident = None
    for token in [*_classes(tag), ident if isinstance(ident, str) else ""]:
        if token and not token.lower().startswith(_TAXONOMY_PREFIXES):
            out.update(w.lower() for w in _WORD_SPLIT.split(token) if w)
    return out


def _attr(tag: Tag, name: str) -> str:
    """An attribute as one string ('' when absent)."""
    value = tag.get(name)
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(value)
    return str(value)


def _text(tag: Tag) -> str:
    """The tag's text with whitespace collapsed."""
    return _WS.sub(" ", tag.get_text(" ")).strip()


def _is_hidden(tag: Tag) -> bool:
    """Hidden with the ``hidden`` attribute, ``aria-hidden`` or an inline ``display: none``."""
    if tag.has_attr("hidden") or _attr(tag, "aria-hidden").lower() == "true":
        return True
    style = _attr(tag, "style")
    return bool(style and _HIDDEN_STYLE.search(style))


def _has_class(*names: str) -> Callable[[Tag], bool]:
    """A predicate: the tag has all of the class names."""
    wanted = set(names)
    return lambda tag: wanted.issubset(_classes(tag))


def _tag_with_class(tag_name: str, *names: str) -> Callable[[Tag], bool]:
    """A predicate: the tag is ``tag_name`` and has all the class names."""
    has = _has_class(*names)
    return lambda tag: tag.name == tag_name and has(tag)


_CONTAINER_TAGS = frozenset(["div", "section", "article", "main", "td"])
_BODY_CLASSES = frozenset(
    """post-content entry-content article-content article-body post-body story-body
    post-prose post-text article-text entry-body blog-post-content content-body article--body
    article__body articlebody post-entry single-post-content""".split()
)


def _has_body_class(tag: Tag) -> bool:
    """A container with a class naming an article body (``entry-content``, ``post_content``)."""
    if tag.name not in _CONTAINER_TAGS:
        return False
    return any(c.lower().replace("_", "-") in _BODY_CLASSES for c in _classes(tag))


def _attr_is(name: str, value: str) -> Callable[[Tag], bool]:
    """A predicate: attribute ``name`` equals ``value``."""
    return lambda tag: _attr(tag, name).lower() == value


# Content containers, most specific first; each tier's largest match is tried in order.
_CONTENT_SELECTORS = (
    ("itemprop=articleBody", _attr_is("itemprop", "articlebody")),
    ("article.md-content__inner", _tag_with_class("article", "md-content__inner")),
    ("sphinx div.body", _tag_with_class("div", "body")),
    ("div.rst-content", _has_class("rst-content")),
    ("docusaurus markdown", _has_class("theme-doc-markdown")),
    ("markdown-body", _has_class("markdown-body")),
    ("td-content", _has_class("td-content")),
    ("article body classes", _has_body_class),
    ("article", lambda tag: tag.name == "article"),
    ("[role=main]", _attr_is("role", "main")),
    ("main", lambda tag: tag.name == "main"),
    (
        "#content",
        lambda tag: _attr(tag, "id").lower() in ("content", "main-content", "maincontent"),
    ),
)


# Generic containers (often wrapping sidebars or several articles) must hold a larger share
# of the page's prose than the specific ones to be trusted.
_GENERIC_SELECTORS = frozenset(["article", "[role=main]", "main", "#content"])
# Containers of documentation generators: everything inside them is the page's content.
_DOCS_SELECTORS = frozenset(
    [
        "article.md-content__inner",
        "sphinx div.body",
        "div.rst-content",
        "docusaurus markdown",
        "markdown-body",
        "td-content",
    ]
)
_CONTENT_WORDS = frozenset(
    "content article post entry body main story text prose hentry blogpost".split()
)


# --------------------------------------------------------------------------- the page model


@dataclass
class _Stats:
    """Per-element text statistics computed in one bottom-up pass."""

    text: dict[int, int] = field(default_factory=dict)
    link: dict[int, int] = field(default_factory=dict)
    prose: dict[int, int] = field(default_factory=dict)
    """Text of paragraph-like descendants that is not link text."""
    score: dict[int, float] = field(default_factory=dict)
    """Readability-like score: prose of children, half of grandchildren, a third beyond."""


@dataclass
class _Page:
    """A parsed page reduced to its article body, ready to render."""

    root: Tag
    title: str | None
    base_url: str | None
    notes: list[str]


def _gone(tag: Tag) -> bool:
    """Whether ``tag`` was decomposed or detached from the tree.

    ``Tag.decomposed`` is avoided: on a live tag it falls through to ``Tag.__getattr__``,
    which searches the whole subtree for a ``<_decomposed>`` element.
    """
    return bool(tag.__dict__.get("_decomposed")) or tag.__dict__.get("parent") is None


def _iter_tags(node: Tag) -> Iterator[Tag]:
    """Every descendant tag in document order."""
    for child in node.descendants:
        if isinstance(child, Tag):
            yield child


def _compute_stats(body: Tag) -> _Stats:
    """Text, link text, prose and density scores for every tag below ``body`` (linear)."""
    stats = _Stats()
    nodes = [body, *(_iter_tags(body))]
    for tag in reversed(nodes):
        own = 0
        text = link = prose = 0
        for child in tag.children:
            if isinstance(child, Tag):
                key = id(child)
                text += stats.text.get(key, 0)
                link += stats.link.get(key, 0)
                prose += stats.prose.get(key, 0)
            elif isinstance(child, NavigableString) and not isinstance(child, Comment):
                own += len(child.strip())
        text += own
        if tag.name == "a":
            link = text
        key = id(tag)
        stats.text[key] = text
        stats.link[key] = link
        is_para = tag.name in _PARA_TAGS or (tag.name == "div" and own >= 25)
        if is_para and prose == 0 and text >= 25:
            prose = max(0, text - 2 * link)
            _add_score(stats, tag, prose)
        stats.prose[key] = prose
    return stats


def _add_score(stats: _Stats, tag: Tag, value: int) -> None:
    """Credit a paragraph's prose to its parent, grandparent and great-grandparent."""
    parent = tag.parent
    for divisor in (1, 2, 3):
        if parent is None or not isinstance(parent, Tag):
            return
        stats.score[id(parent)] = stats.score.get(id(parent), 0.0) + value / divisor
        parent = parent.parent


# --------------------------------------------------------------------------- cleaning


def _convert_math(soup: BeautifulSoup) -> None:
    """Replace KaTeX / MathJax renderings by their TeX source between ``$`` signs."""
    for annotation in soup.find_all("annotation"):
        if "tex" not in _attr(annotation, "encoding").lower():
            continue
        tex = annotation.get_text().strip()
        holder: Tag = annotation
        for parent in annotation.parents:
            if not isinstance(parent, Tag):
                break
            if "katex" in _classes(parent) or parent.name == "math":
                holder = parent
            if "katex" in _classes(parent):
                break
        display = holder.find_parent(class_="katex-display") is not None or (
            _attr(holder, "display") == "block"
        )
        holder.replace_with(NavigableString(f"$${tex}$$" if display else f"${tex}$"))
    for script in soup.find_all("script"):
        kind = _attr(script, "type").lower()
        if kind.startswith("math/tex"):
            tex = script.get_text().strip()
            display = "mode=display" in kind
            script.replace_with(NavigableString(f"$${tex}$$" if display else f"${tex}$"))


def _remove_junk(soup: BeautifulSoup) -> None:
    """Drop elements that are never article text: scripts, forms' controls, hidden things."""
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for tag in list(_iter_tags(soup)):
        if _gone(tag):
            continue
        if _is_junk(tag):
            tag.decompose()


def _is_junk(tag: Tag) -> bool:
    """Never article text: scripts, form controls, hidden elements, MathJax renderings."""
    if tag.name in _JUNK_TAGS:
        return not _is_task_checkbox(tag)
    if _is_hidden(tag):
        return not _is_annotation_list(tag)
    return "MathJax" in " ".join(_classes(tag)) or tag.name == "mjx-assistive-mml"


def _is_task_checkbox(tag: Tag) -> bool:
    """``<input type=checkbox>`` in a list item: kept as ``[ ]`` / ``[x]``."""
    if tag.name != "input" or _attr(tag, "type").lower() != "checkbox":
        return False
    return tag.find_parent("li") is not None


def _is_annotation_list(tag: Tag) -> bool:
    """Material's code-annotation ``<ol>`` (hidden by its script) when it still has text."""
    if tag.name != "ol":
        return False
    previous = tag.find_previous_sibling()
    return (
        previous is not None
        and "highlight" in _classes(previous)
        and bool(tag.get_text(strip=True))
    )


def _content_candidates(body: Tag) -> list[tuple[str, Tag]]:
    """Matches of :data:`_CONTENT_SELECTORS`, in selector order, each tier's matches by size."""
    matches: dict[str, list[Tag]] = {name: [] for name, _ in _CONTENT_SELECTORS}
    for tag in _iter_tags(body):
        for name, predicate in _CONTENT_SELECTORS:
            if predicate(tag):
                matches[name].append(tag)
    out: list[tuple[str, Tag]] = []
    for name, _ in _CONTENT_SELECTORS:
        out.extend((name, tag) for tag in matches[name])
    return out


def _chrome_reason(tag: Tag) -> str | None:
    """Why ``tag`` is site chrome ('strong' or 'weak'), or None when it is not."""
    if tag.name in _CHROME_TAGS:
        return "strong"
    if _attr(tag, "role").lower() in _CHROME_ROLES:
        return "strong"
    if tag.name in _HEADINGS:
        return None
    words = _words(tag)
    hits = words & _CHROME_WORDS
    if not hits:
        return None
    if hits <= _WEAK_CHROME_WORDS:
        return None if words & _CONTENT_WORDS else "weak"
    return "strong"


def _remove_chrome(body: Tag, protected: set[int], stats: _Stats, inside_article: bool) -> int:
    """Remove chrome elements below ``body`` except ancestors of content candidates.

    A 'weak' match (``nav``, ``sidebar`` words in a class) is kept when the element holds
    most of the prose below ``body``: such classes often mark page wrappers. Returns how
    many elements were removed.
    """
    total_prose = max(1, stats.prose.get(id(body), 0))
    removed = 0
    for tag in list(_iter_tags(body)):
        if id(tag) in protected or _gone(tag):
            continue
        if tag.find_parent(["pre", "code"]) is not None or tag.name in ("pre", "code"):
            continue
        reason = _chrome_reason(tag)
        if reason is None:
            continue
        if inside_article and tag.name == "header" and tag.find(_HEADINGS) is not None:
            continue
        if reason == "weak" and not _weak_chrome_confirmed(tag, stats, total_prose):
            continue
        if tag.name in ("header", "footer") and stats.prose.get(id(tag), 0) > 0.6 * total_prose:
            continue
        tag.decompose()
        removed += 1
    return removed


def _weak_chrome_confirmed(tag: Tag, stats: _Stats, total_prose: int) -> bool:
    """A weak chrome match is removed only when it looks like chrome: mostly links or no prose.

    Page builders put ``widget`` or ``sidebar`` in the classes of wrappers around the article
    itself, so an element that holds prose with few links is kept.
    """
    key = id(tag)
    prose = stats.prose.get(key, 0)
    if prose > 0.5 * total_prose:
        return False
    text = stats.text.get(key, 0)
    link_density = stats.link.get(key, 0) / text if text else 1.0
    return link_density > 0.3 or prose < 0.2 * text or prose < 100


def _protected_ancestors(candidates: Iterable[tuple[str, Tag]]) -> set[int]:
    """Ids of every content candidate and its ancestors (never removed as chrome)."""
    out: set[int] = set()
    for _, tag in candidates:
        out.add(id(tag))
        for parent in tag.parents:
            out.add(id(parent))
    return out


def _density_root(body: Tag, stats: _Stats) -> Tag:
    """The Readability-like top candidate, with the sibling blocks that belong to it."""
    best: Tag | None = None
    best_score = 0.0
    for tag in _iter_tags(body):
        value = stats.score.get(id(tag), 0.0)
        text = stats.text.get(id(tag), 0)
        if text:
            value *= 1 - stats.link.get(id(tag), 0) / text
        if value > best_score:
            best, best_score = tag, value
    if best is None:
        return body
    parent = best.parent
    if not isinstance(parent, Tag):
        return best
    threshold = max(10.0, best_score * 0.2)
    keep: list[Tag] = []
    for sibling in parent.find_all(recursive=False):
        if sibling is best or _sibling_belongs(sibling, stats, threshold):
            keep.append(sibling)
    if len(keep) == 1:
        return best
    for sibling in parent.find_all(recursive=False):
        if all(sibling is not k for k in keep):
            sibling.decompose()
    return parent


def _sibling_belongs(tag: Tag, stats: _Stats, threshold: float) -> bool:
    """Readability's sibling rule: a good score, or a paragraph of plain prose."""
    key = id(tag)
    if stats.score.get(key, 0.0) >= threshold:
        return True
    text = stats.text.get(key, 0)
    if tag.name == "p" and text:
        density = stats.link.get(key, 0) / text
        return (text > 80 and density < 0.25) or (density == 0 and text > 0)
    return tag.name in _HEADINGS or tag.name in ("pre", "figure", "table", "ul", "ol")


def _select_root(body: Tag, notes: list[str]) -> tuple[Tag, str]:
    """The article body element and the selector that found it ('' for the density search)."""
    candidates = _content_candidates(body)
    protected = _protected_ancestors(candidates)
    stats = _compute_stats(body)
    _remove_chrome(body, protected, stats, inside_article=False)
    stats = _compute_stats(body)
    page_prose = stats.prose.get(id(body), 0)
    best_by_tier: dict[str, Tag] = {}
    for name, tag in candidates:
        if _gone(tag):
            continue
        current = best_by_tier.get(name)
        if current is None or stats.prose.get(id(tag), 0) > stats.prose.get(id(current), 0):
            best_by_tier[name] = tag
    for name, _ in _CONTENT_SELECTORS:
        best = best_by_tier.get(name)
        if best is None:
            continue
        prose = stats.prose.get(id(best), 0)
        share = 0.4 if name in _GENERIC_SELECTORS else 0.15
        if prose >= share * page_prose and (prose > 0 or stats.text.get(id(best), 0) > 0):
            return best, name
    notes.append("no known article container: the body was chosen by text density")
    return _density_root(body, stats), ""


def _clean_root(root: Tag, notes: list[str], *, docs_container: bool, site: str | None) -> None:
    """Remove the chrome left inside the article body and normalise special blocks.

    Outside known documentation containers, blocks made of links ("Most popular",
    "More stories") are removed too; inside them every list of links is kept as content.
    """
    stats = _compute_stats(root)
    _remove_chrome(root, set(), stats, inside_article=True)
    if not docs_container:
        removed = _remove_link_blocks(root, _compute_stats(root), site)
        if removed:
            notes.append(f"{removed} link list(s) inside the page body removed as navigation")
        _drop_trailing_headings(root)
    for tag in list(_iter_tags(root)):
        if _gone(tag):
            continue
        if _is_permalink(tag) or _is_edit_link(tag):
            tag.decompose()
    _replace_annotations(root)
    _mark_code_blocks(root)
    _mark_admonitions(root)
    _flatten_layout_tables(root, notes)


_LINK_BLOCK_TAGS = frozenset(
    ["div", "section", "ul", "ol", "table", "aside", "dl", "p", "li", *_HEADINGS]
)
_KEEP_LINK_LISTS = re.compile(
    r"\b(references?|resources|further reading|see also|links|sources|bibliography|footnotes?|"
    r"citations?|downloads?|documentation|notes)\b",
    re.IGNORECASE,
)


def _remove_link_blocks(root: Tag, stats: _Stats, site: str | None) -> int:
    """Remove runs of sibling blocks made of links to the site's own pages (three or more).

    "Most popular", "More stories" and "Related" boxes look like this. Lists of links to
    other sites (bug trackers, references) are content and kept, as is a run introduced by a
    heading such as "References" or "See also". Returns the number of runs removed.
    """
    removed = 0
    for container in [root, *_iter_tags(root)]:
        if container.name in ("pre", "code", "a") or (container is not root and _gone(container)):
            continue
        for run in _link_runs(container, stats):
            if not _mostly_internal(run, site):
                continue
            heading = run[0].find_previous_sibling()
            if heading is not None and heading.name in {*_HEADINGS, "p", "strong", "b"}:
                if _KEEP_LINK_LISTS.search(_text(heading)):
                    continue
                if len(_text(heading).split()) > 6:
                    heading = None
            else:
                heading = None
            for tag in run:
                tag.decompose()
            if heading is not None and _is_intro(heading):
                heading.decompose()
            removed += 1
            _remove_if_only_headings(container, root)
    return removed


def _drop_trailing_headings(root: Tag) -> None:
    """Remove headings that end the body with nothing under them (a removed box's title)."""
    while True:
        last = _last_content(root)
        heading = last.find_parent(_HEADINGS) if last is not None else None
        if heading is None or all(p is not root for p in heading.parents):
            return
        heading.decompose()


def _last_content(root: Tag) -> Any:
    """The last non-blank text node or image below ``root``."""
    for node in reversed(list(root.descendants)):
        if isinstance(node, Tag) and node.name == "img":
            return node
        if isinstance(node, NavigableString) and node.strip():
            return node
    return None


def _host(url: str) -> str:
    """The host of a URL without ``www.`` ('' for relative URLs)."""
    host = urlsplit(url).netloc.lower().split("@")[-1].split(":")[0]
    return host.removeprefix("www.")


def _mostly_internal(run: list[Tag], site: str | None) -> bool:
    """Whether most links of a run point to the page's own site (relative links count)."""
    hrefs = [_attr(a, "href") for tag in run for a in tag.find_all("a")]
    if not hrefs:
        return False
    internal = sum(1 for h in hrefs if not _host(h) or (site is not None and _host(h) == site))
    return internal >= 0.6 * len(hrefs)


def _is_intro(tag: Tag) -> bool:
    """A heading, or a short bold / colon-ended line introducing a list."""
    text = _text(tag)
    return tag.name in _HEADINGS or text.endswith(":") or tag.find(["strong", "b"]) is not None


def _link_runs(container: Tag, stats: _Stats) -> list[list[Tag]]:
    """Maximal runs of consecutive link-dense child blocks holding three links or more."""
    runs: list[list[Tag]] = []
    run: list[Tag] = []
    links = 0
    for child in [*container.children, None]:
        if isinstance(child, NavigableString) and not child.strip():
            continue
        if isinstance(child, Tag) and _is_link_block(child, stats):
            run.append(child)
            links += len(child.find_all("a"))
            continue
        if run and links >= 3:
            runs.append(run)
        run, links = [], 0
    return runs


def _is_link_block(tag: Tag, stats: _Stats) -> bool:
    """A block whose text is nearly all link text (and not code)."""
    if tag.name not in _LINK_BLOCK_TAGS:
        return False
    key = id(tag)
    text = stats.text.get(key, 0)
    if text < 3 or stats.link.get(key, 0) < 0.65 * text:
        return False
    return tag.find(["pre", "code"]) is None


def _remove_if_only_headings(parent: Any, root: Tag) -> None:
    """Remove a container left with nothing but headings (the title of a removed block)."""
    while isinstance(parent, Tag) and parent is not root and not _gone(parent):
        headings = " ".join(_text(h) for h in parent.find_all(_HEADINGS))
        if _text(parent) != headings or parent.find(["img", "pre", "table"]) is not None:
            return
        grand = parent.parent
        parent.decompose()
        parent = grand


def _is_permalink(tag: Tag) -> bool:
    """A heading permalink: ``a.headerlink``, ``a.anchor``, or a lone pilcrow link."""
    if tag.name != "a":
        return False
    if set(_classes(tag)) & _PERMALINK_CLASSES:
        return True
    href = _attr(tag, "href")
    if not href.startswith("#") or tag.find_parent(_HEADINGS) is None:
        return False
    text = tag.get_text(strip=True)
    return not text or text.lower() in _PERMALINK_TEXT


def _is_edit_link(tag: Tag) -> bool:
    """'Edit this page', 'View page source', skip links."""
    if tag.name not in ("a", "p", "div", "span"):
        return False
    if tag.name == "a" and "md-content__button" in _classes(tag):
        return True
    text = tag.get_text(" ", strip=True)
    if len(text) > 60 or not _EDIT_TEXT.match(text):
        return False
    return tag.name == "a" or tag.find("a") is not None


def _replace_annotations(root: Tag) -> None:
    """Material code annotations (``<aside class=md-annotation>``) become ``(n)`` markers."""
    for aside in root.find_all("aside", class_="md-annotation"):
        marker = next((t for t in _iter_tags(aside) if t.has_attr("data-md-annotation-id")), None)
        number = _attr(marker, "data-md-annotation-id") if marker is not None else ""
        aside.replace_with(NavigableString(f"({number})" if number else ""))


def _code_language(pre: Tag, stop: Tag) -> str:
    """The language of a code block from classes on ``code``, ``pre`` or close ancestors."""
    chain: list[Tag] = []
    code = pre.find("code")
    if isinstance(code, Tag):
        chain.append(code)
    chain.append(pre)
    for parent in pre.parents:
        if not isinstance(parent, Tag) or parent is stop or len(chain) > 5:
            break
        chain.append(parent)
    for tag in chain:
        for attr in ("data-lang", "data-language"):
            value = _attr(tag, attr).strip().lower()
            if value and value not in _NO_LANGUAGE:
                return value
        language = _language_from_classes(_classes(tag))
        if language:
            return language
    return ""


def _language_from_classes(classes: list[str]) -> str:
    """``language-python``, ``highlight-python``, ``brush: js``, pandoc ``sourceCode python``."""
    joined = " ".join(classes)
    brush = _BRUSH.search(joined)
    if brush:
        return brush.group(1).lower()
    for token in classes:
        match = _LANG_CLASS.match(token)
        if match and match.group(1).lower() not in _NO_LANGUAGE:
            return match.group(1).lower()
    if "sourceCode" in classes:
        rest = [c for c in classes if c != "sourceCode"]
        if rest:
            return rest[0].lower()
    return ""


def _code_text(pre: Tag) -> str:
    """The verbatim text of a ``<pre>``: line numbers dropped, ``<br>`` and line items kept."""
    for number in pre.find_all(
        class_=["linenos", "lineno", "line-number", "line-numbers", "gutter"]
    ):
        number.decompose()
    for br in pre.find_all("br"):
        br.replace_with(NavigableString("\n"))
    for line in pre.find_all(["li", "tr"]):
        if not line.get_text().endswith("\n"):
            line.append(NavigableString("\n"))
    text = pre.get_text()
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(line.rstrip() for line in lines)


def _mark_code_blocks(root: Tag) -> None:
    """Record each ``<pre>``'s language and text on the element (``data-reflib-*``)."""
    for table in root.find_all("table", class_="highlighttable"):
        pres = table.select("td.code pre") or table.find_all("pre")[-1:]
        if pres:
            pre = pres[0]
            pre["data-reflib-lang"] = _code_language(table, root)
            table.replace_with(pre.extract())
    for pre in root.find_all("pre"):
        if pre.find_parent("pre") is not None:
            continue
        title = ""
        holder = pre.parent
        if isinstance(holder, Tag):
            filename = holder.find("span", class_="filename", recursive=False)
            if isinstance(filename, Tag):
                title = _text(filename)
                filename.decompose()
        if not pre.has_attr("data-reflib-lang"):
            pre["data-reflib-lang"] = _code_language(pre, root)
        pre["data-reflib-title"] = title
        pre["data-reflib-code"] = _code_text(pre)


def _mark_admonitions(root: Tag) -> None:
    """Tag admonitions (``div.admonition``, GitHub alerts, ``<details>``) for rendering."""
    for tag in root.find_all(["div", "details", "aside", "section"]):
        classes = _classes(tag)
        title_el: Tag | None = None
        if tag.name == "details":
            summary = tag.find("summary", recursive=False)
            title_el = summary if isinstance(summary, Tag) else None
        elif set(classes) & _ADMONITION_CLASSES or tag.find(
            class_="admonition-title", recursive=False
        ):
            found = tag.find(class_=["admonition-title", "markdown-alert-title"], recursive=False)
            title_el = found if isinstance(found, Tag) else None
        else:
            continue
        tag["data-reflib-admonition"] = _admonition_type(classes)
        tag["data-reflib-title"] = _text(title_el) if title_el is not None else ""
        if title_el is not None:
            title_el.decompose()


def _admonition_type(classes: list[str]) -> str:
    """``note``, ``warning`` ... from the classes (``markdown-alert-note`` -> note)."""
    for token in classes:
        token = token.lower()
        if token.startswith("markdown-alert-"):
            token = token.removeprefix("markdown-alert-")
        if token.startswith("alert--"):
            token = token.removeprefix("alert--")
        if token in _GENERIC_CLASSES or not re.fullmatch(r"[a-z][a-z0-9-]*", token):
            continue
        return token
    return "note"


def _flatten_layout_tables(root: Tag, notes: list[str]) -> None:
    """Tables used for layout (nested tables, code, headings inside) become plain blocks."""
    flattened = 0
    for table in reversed(root.find_all("table")):
        if not _is_layout_table(table):
            continue
        flattened += 1
        for part in [table, *table.find_all(["tbody", "thead", "tfoot", "tr", "td", "th"])]:
            if part is table or part.find_parent("table") is table:
                part.name = "div"
                part.attrs = {}
        caption = table.find("caption", recursive=False)
        if isinstance(caption, Tag):
            caption.name = "p"
    if flattened:
        notes.append(f"{flattened} layout table(s) rendered as blocks, not markdown tables")


def _is_layout_table(table: Tag) -> bool:
    """Whether a table is page layout rather than data."""
    if _attr(table, "role").lower() in ("presentation", "none"):
        return True
    if table.find(["table", "pre", *_HEADINGS]) is not None:
        return True
    cells = table.find_all(["td", "th"])
    return len(cells) <= 1


# --------------------------------------------------------------------------- rendering

_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY_LIKE = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_LINE_START_MARKER = re.compile(
    r"^(\s*)(#{1,6}(?=\s|$)|[-+*](?=\s)|\d{1,9}(?=[.)](?:\s|$))|>|=+\s*$|-+\s*$)"
)
_BACKTICKS = re.compile(r"`+")
_URL_UNSAFE = re.compile(r"[\s<>]")


_ALIGN_STYLE = re.compile(r"text-align\s*:\s*(left|right|center)", re.I)
_ALIGN_MARK = {"left": ":---", "right": "---:", "center": ":---:"}


def _alignments(row: Tag, width: int) -> list[str]:
    """The delimiter row cells (``---``, ``:---``, ``---:``, ``:---:``) from the first row's
    ``align`` attributes or ``text-align`` styles."""
    marks: list[str] = []
    for cell in row.find_all(["td", "th"], recursive=False):
        align = _attr(cell, "align").lower()
        if align not in _ALIGN_MARK:
            m = _ALIGN_STYLE.search(_attr(cell, "style"))
            align = m.group(1).lower() if m else ""
        marks.extend([_ALIGN_MARK.get(align, "---")] * _span(cell, "colspan"))
    return (marks + ["---"] * width)[:width]


def _escape_text(text: str) -> str:
    """Neutralise raw HTML and entities in prose (see the module docstring)."""
    text = _ENTITY_LIKE.sub("&amp;", text)
    return _TAG_START.sub("&lt;", text)


def _escape_line_start(text: str) -> str:
    """Backslash-escape a block marker (``#``, ``-``, ``1.``, ``>``) that opens a line."""

    def repl(match: re.Match[str]) -> str:
        marker = match.group(2)
        if marker[0].isdigit():
            return f"{match.group(1)}{marker}\\"
        return f"{match.group(1)}\\{marker}"

    return _LINE_START_MARKER.sub(repl, text, count=1)


def _fence(code: str) -> str:
    """A backtick fence longer than any backtick run in ``code`` (at least three)."""
    longest = max((len(run) for run in _BACKTICKS.findall(code)), default=0)
    return "`" * max(3, longest + 1)


def _safe_url(url: str) -> str:
    """A URL usable as a markdown link destination (spaces, brackets, parens encoded)."""
    url = _URL_UNSAFE.sub(
        lambda m: "%20" if m.group(0).isspace() else f"%{ord(m.group(0)):02X}", url
    )
    if url.count("(") != url.count(")"):
        url = url.replace("(", "%28").replace(")", "%29")
    return url


# markdownify's bundled stub only declares the constructor and ``convert``; its hooks
# (process_tag, convert_*) are untyped, so the base class is typed as Any.
_MarkdownConverter: Any = MarkdownConverter


class _Renderer(_MarkdownConverter):
    """markdownify configured and extended for lossless output."""

    def __init__(self, *, base_url: str | None, heading_shift: int, notes: list[str]) -> None:
        super().__init__(
            heading_style=ATX,
            bullets="-",
            escape_underscores=False,
            escape_asterisks=False,
            escape_misc=False,
            strong_em_symbol="*",
            newline_style="spaces",
            autolinks=True,
            table_infer_header=False,
        )
        self.base_url = base_url
        self.heading_shift = heading_shift
        self.notes = notes

    # -- dispatch of the blocks prepared by _clean_root
    def process_tag(self, node: Any, parent_tags: Any = None) -> Any:
        """Render marked code blocks, admonitions and tables ourselves."""
        if parent_tags is None:
            parent_tags = set()
        if isinstance(node, Tag):
            if node.name == "pre" and node.has_attr("data-reflib-code"):
                return self._render_code(node, parent_tags)
            if node.has_attr("data-reflib-admonition"):
                return self._render_admonition(node, parent_tags)
            if node.name == "table":
                return self._render_table(node, parent_tags)
        return super().process_tag(node, parent_tags)

    def _render_code(self, pre: Tag, parent_tags: set[str]) -> str:
        code = _attr(pre, "data-reflib-code")
        if not code.strip():
            return ""
        if "_inline" in parent_tags:
            fence = "`" * (max((len(r) for r in _BACKTICKS.findall(code)), default=0) + 1)
            return f" {fence} {_WS.sub(' ', code).strip()} {fence} "
        language = _attr(pre, "data-reflib-lang")
        title = _attr(pre, "data-reflib-title").replace('"', "'")
        info = language + (f' title="{title}"' if title else "")
        fence = _fence(code)
        return f"\n\n{fence}{info}\n{code}\n{fence}\n\n"

    def _render_admonition(self, tag: Tag, parent_tags: set[str]) -> str:
        kind = _attr(tag, "data-reflib-admonition")
        title = _attr(tag, "data-reflib-title")
        del tag["data-reflib-admonition"]
        del tag["data-reflib-title"]
        tag.name = "div"
        body = super().process_tag(tag, parent_tags).strip("\n")
        if "_inline" in parent_tags:
            return f" {title}: {body} " if title else f" {body} "
        head = f'!!! {kind} "{title}"' if title else f"!!! {kind}"
        indented = "\n".join(f"    {line}" if line.strip() else "" for line in body.split("\n"))
        return f"\n\n{head}\n\n{indented}\n\n"

    def _render_table(self, table: Tag, parent_tags: set[str]) -> str:
        rows = _table_rows(table)
        if not rows:
            return ""
        cell_tags = parent_tags | {"_inline", "td"}
        grid: list[list[str]] = []
        header = _has_header_row(table, rows[0])
        pending: dict[int, int] = {}
        for row in rows:
            grid.append(self._table_row(row, cell_tags, pending))
        width = max(len(r) for r in grid)
        if width == 0:
            return ""
        lines: list[str] = []
        caption = table.find("caption")
        if isinstance(caption, Tag):
            text = _WS.sub(" ", self.process_tag(caption, parent_tags | {"_inline"})).strip()
            if text:
                lines.extend([text, ""])
        padded = [r + [""] * (width - len(r)) for r in grid]
        head = padded[0] if header else [""] * width
        body = padded[1:] if header else padded
        lines.append(_table_line(head))
        lines.append("| " + " | ".join(_alignments(rows[0], width)) + " |")
        lines.extend(_table_line(r) for r in body)
        return "\n\n" + "\n".join(lines) + "\n\n"

    def _table_row(self, row: Tag, cell_tags: set[str], pending: dict[int, int]) -> list[str]:
        out: list[str] = []
        col = 0
        for cell in row.find_all(["td", "th"], recursive=False):
            while pending.get(col, 0) > 0:
                pending[col] -= 1
                out.append("")
                col += 1
            text = "".join(self.process_element(c, cell_tags) for c in cell.children)
            text = _WS.sub(" ", text).strip().replace("|", "\\|")
            colspan = _span(cell, "colspan")
            rowspan = _span(cell, "rowspan")
            out.append(text)
            out.extend([""] * (colspan - 1))
            if rowspan > 1:
                for c in range(col, col + colspan):
                    pending[c] = rowspan - 1
            col += colspan
        while any(pending.get(c, 0) > 0 for c in range(col, max(pending, default=-1) + 1)):
            if pending.get(col, 0) > 0:
                pending[col] -= 1
            out.append("")
            col += 1
        return out

    # -- markdownify hooks
    def process_text(self, el: Any, parent_tags: Any = None) -> Any:
        """Prose text: non-breaking spaces normalised, HTML neutralised, line starts escaped."""
        text = super().process_text(el, parent_tags)
        if parent_tags is None or "pre" in parent_tags or "_noformat" in parent_tags:
            return text
        text = text.replace("\u00a0", " ").replace("\u200b", "")
        if "_inline" not in parent_tags and _starts_line(el):
            text = _escape_line_start(text)
        return text

    def escape(self, text: str, parent_tags: Any) -> str:
        """Only structural escapes; ``_`` and ``*`` are left alone (module docstring)."""
        return _escape_text(text) if text else ""

    def convert_hN(self, n: int, el: Any, text: str, parent_tags: Any) -> str:
        """ATX heading, shifted by ``heading_shift``, without permalink marks."""
        if "_inline" in parent_tags:
            return text
        text = _WS.sub(" ", text).strip().rstrip("¶§ ").strip()
        if not text:
            return ""
        level = max(1, min(6, n + self.heading_shift))
        return f"\n\n{'#' * level} {text}\n\n"

    def convert_a(self, el: Any, text: str, parent_tags: Any) -> str:
        """Links: resolved against the page URL; in-page links in headings kept as text."""
        href = _attr(el, "href").strip()
        if not href or href.lower().startswith(("javascript:", "data:")):
            return text
        if href.startswith("#") and any(h in parent_tags for h in _HEADINGS):
            return text
        if self.base_url and not href.startswith("#"):
            href = urljoin(self.base_url, href)
        el = _shallow_copy_with(el, href=_safe_url(href))
        return str(super().convert_a(el, text, parent_tags))

    def convert_img(self, el: Any, text: str, parent_tags: Any) -> str:
        """Images keep alt text and src (lazy-loading ``data-src`` preferred over placeholders)."""
        src = _image_src(el)
        alt = _WS.sub(" ", _attr(el, "alt")).strip().replace("[", "(").replace("]", ")")
        if any(h in parent_tags for h in _HEADINGS):
            return alt
        if not src:
            return alt
        if src.startswith("data:"):
            if len(src) > 200:
                self.notes.append("an inline data: image was dropped (alt text kept)")
                return alt
        elif self.base_url:
            src = urljoin(self.base_url, src)
        return f"![{alt}]({_safe_url(src)})"

    def convert_input(self, el: Any, text: str, parent_tags: Any) -> str:
        """A task-list checkbox."""
        return "[x] " if el.has_attr("checked") else "[ ] "

    def convert_figcaption(self, el: Any, text: str, parent_tags: Any) -> str:
        """Figure captions as their own paragraph."""
        text = text.strip()
        return f"\n\n{text}\n\n" if text else ""

    def convert_summary(self, el: Any, text: str, parent_tags: Any) -> str:
        """A ``<summary>`` outside an admonition: its own paragraph."""
        return str(self.convert_p(el, text, parent_tags))

    def convert_caption(self, el: Any, text: str, parent_tags: Any) -> str:
        """Captions are rendered by the table itself."""
        return ""


def _starts_line(node: Any) -> bool:
    """Whether a text node opens a line of a block (first in its block, or after ``<br>``)."""
    previous = node.previous_sibling
    while previous is not None and isinstance(previous, NavigableString) and not previous.strip():
        previous = previous.previous_sibling
    if previous is None:
        parent = node.parent
        return parent is not None and parent.name in _BLOCK_TAGS | {"[document]", "body"}
    return isinstance(previous, Tag) and (previous.name == "br" or previous.name in _BLOCK_TAGS)


def _span(cell: Tag, name: str) -> int:
    """A cell's colspan / rowspan (1 to 100)."""
    value = _attr(cell, name).strip()
    return max(1, min(100, int(value))) if value.isdigit() else 1


def _table_rows(table: Tag) -> list[Tag]:
    """The table's own rows (not those of nested tables), in order."""
    rows: list[Tag] = []
    for child in table.find_all(recursive=False):
        if child.name == "tr":
            rows.append(child)
        elif child.name in ("thead", "tbody", "tfoot"):
            rows.extend(child.find_all("tr", recursive=False))
    return rows


def _has_header_row(table: Tag, first: Tag) -> bool:
    """The first row is a header: in ``<thead>``, or made only of ``<th>`` cells."""
    if isinstance(first.parent, Tag) and first.parent.name == "thead":
        return True
    cells = first.find_all(["td", "th"], recursive=False)
    return bool(cells) and all(c.name == "th" for c in cells)


def _table_line(cells: list[str]) -> str:
    """One markdown table row."""
    return "| " + " | ".join(cells) + " |"


def _shallow_copy_with(el: Tag, **attrs: str) -> Tag:
    """``el`` with some attributes replaced (title dropped), for markdownify's ``convert_a``."""
    clone = Tag(name=el.name, attrs={k: v for k, v in el.attrs.items() if k != "title"})
    clone.attrs.update(attrs)
    return clone


def _image_src(el: Tag) -> str:
    """The real image URL: ``src`` unless it is a placeholder and a lazy-load attribute exists."""
    src = _attr(el, "src").strip()
    if not src or src.startswith("data:"):
        for name in ("data-src", "data-original", "data-lazy-src", "data-srcset", "srcset"):
            value = _attr(el, name).strip()
            if value:
                return value.split(",")[0].strip().split(" ")[0]
    return src


# --------------------------------------------------------------------------- public API


def _parse(html: str | bytes, notes: list[str]) -> BeautifulSoup:
    """Decode and parse."""
    if isinstance(html, bytes):
        text, encoding = decode_html(html)
        if encoding not in ("utf-8", "utf-8-sig"):
            notes.append(f"decoded as {encoding}")
    else:
        text = html
    return BeautifulSoup(text, "html.parser")


def _meta_title(soup: BeautifulSoup) -> str | None:
    """``og:title`` or ``<title>``."""
    meta = soup.find("meta", attrs={"property": "og:title"})
    if isinstance(meta, Tag) and _attr(meta, "content").strip():
        return _WS.sub(" ", _attr(meta, "content")).strip()
    title = soup.find("title")
    if isinstance(title, Tag) and title.get_text(strip=True):
        return _text(title)
    return None


def _heading_text(tag: Tag) -> str:
    """A heading's text without permalink marks."""
    return _text(tag).rstrip("¶§ ").strip()


def _canonical_url(soup: BeautifulSoup) -> str | None:
    """``<link rel=canonical>`` or ``og:url`` (read before the head is dropped)."""
    for tag in soup.find_all(["link", "meta"]):
        if "canonical" in _attr(tag, "rel").lower().split() and _attr(tag, "href"):
            return _attr(tag, "href")
        if _attr(tag, "property").lower() == "og:url" and _attr(tag, "content"):
            return _attr(tag, "content")
    return None


def _base_url(soup: BeautifulSoup, url: str | None) -> str | None:
    """The page URL (given, else the page's canonical URL), adjusted by ``<base href>``.

    Relative links and image sources are resolved against it, so a full text never holds a
    link that only worked on the original site."""
    if not url:
        url = _canonical_url(soup)
    base = soup.find("base", href=True)
    if isinstance(base, Tag):
        href = _attr(base, "href")
        return urljoin(url, href) if url else (href if "://" in href else None)
    return url


def _prepare(html: str | bytes, url: str | None) -> _Page:
    """Parse a page and reduce it to its cleaned article body."""
    notes: list[str] = []
    soup = _parse(html, notes)
    meta_title = _meta_title(soup)
    base_url = _base_url(soup, url)
    site = _host(base_url or _canonical_url(soup) or "") or None
    _convert_math(soup)
    _remove_junk(soup)
    body = soup.body if isinstance(soup.body, Tag) else soup
    root, selector = _select_root(body, notes)
    _clean_root(root, notes, docs_container=selector in _DOCS_SELECTORS, site=site)
    first_h1 = root.find("h1")
    title = _heading_text(first_h1) if isinstance(first_h1, Tag) else None
    if not title:
        title = meta_title
    return _Page(root=root, title=title or None, base_url=base_url, notes=notes)


def _render(page: _Page, heading_shift: int = 0) -> str:
    """Markdown of a prepared page."""
    renderer = _Renderer(base_url=page.base_url, heading_shift=heading_shift, notes=page.notes)
    root = page.root
    if root.name not in ("div", "article", "main", "section", "body", "[document]"):
        root.name = "div"
    text = str(renderer.process_tag(root, set()))
    return _tidy(text)


_FENCE_LINE = re.compile(r"^\s*(`{3,})")


def _tidy(text: str) -> str:
    """Collapse runs of blank lines outside code fences and trim the ends."""
    out: list[str] = []
    fence = ""
    blank = 0
    for line in text.split("\n"):
        match = _FENCE_LINE.match(line)
        if match and (
            not fence
            or (match.group(1).startswith(fence) and not line.strip()[len(match.group(1)) :])
        ):
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


def html_to_markdown(
    html: str | bytes, *, url: str | None = None
) -> tuple[str, str | None, list[str]]:
    """Convert one HTML page to markdown: ``(body, page title or None, notes)``.

    The body is the article body only, site chrome stripped, everything else kept in order.
    ``url`` (the page's address) resolves relative links and image sources. Bytes are decoded
    with :func:`decode_html`; undecodable input raises :class:`ConversionError`.
    """
    page = _prepare(html, url)
    return _render(page), page.title, page.notes


def _same_title(a: str, b: str) -> bool:
    """Titles equal up to case and whitespace."""
    return _WS.sub(" ", a).strip().casefold() == _WS.sub(" ", b).strip().casefold()


def page_markdown(
    html: str | bytes, *, url: str | None, fallback_title: str
) -> tuple[str, str, list[str]]:
    """One page as a section: ``# title``, then the body; returns (markdown, title, notes).

    The title is the page's first h1 (else ``og:title`` / ``<title>``, else
    ``fallback_title``). An h1 equal to the title is that heading, so it is not repeated and
    the h2... below it keep their levels. Any other h1 would sit beside the page heading, so
    then all of the page's headings move one level down to nest under it.
    """
    page = _prepare(html, url)
    title = _WS.sub(" ", page.title or fallback_title).strip()
    h1s = list(page.root.find_all("h1"))
    if h1s and _same_title(_heading_text(h1s[0]), title):
        h1s[0].decompose()
        h1s = h1s[1:]
    body = _render(page, heading_shift=1 if h1s else 0).strip("\n")
    heading = f"# {title}"
    return (f"{heading}\n\n{body}\n" if body else f"{heading}\n"), title, page.notes


def _html_files(raw_path: Path) -> list[Path]:
    """The HTML files of one raw entry (a file, or every HTML file below a folder)."""
    if raw_path.is_dir():
        return sorted(p for p in raw_path.rglob("*") if p.suffix.lower() in HTML_SUFFIXES)
    return [raw_path]


def _page_url(request: ConvertRequest, index: int) -> str | None:
    """Where page ``index`` of a resource was fetched from: ``url`` for the first page, the
    manifest's ``fetch`` list for the next ones (a page's canonical link is used otherwise)."""
    if index == 0:
        return request.url
    extra = request.options.get("fetch")
    if isinstance(extra, list) and index - 1 < len(extra) and isinstance(extra[index - 1], str):
        return urljoin(request.url or "", extra[index - 1]) or None
    return None


def convert(request: ConvertRequest) -> ConvertResult:
    """Convert a resource's HTML pages (manifest order) into one full.md body."""
    files: list[tuple[str, Path]] = []
    for raw in request.raw:
        for path in _html_files(raw.path):
            rel = (
                raw.rel
                if path == raw.path
                else f"{raw.rel.rstrip('/')}/{path.relative_to(raw.path).as_posix()}"
            )
            files.append((rel, path))
    if not files:
        raise ConversionError(f"{request.resource_id}: no HTML file among the raw artifacts")
    sections: list[str] = []
    notes: list[str] = []
    first_title: str | None = None
    single = len(files) == 1
    for rel, path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ConversionError(f"{rel}: cannot read: {exc}") from exc
        fallback = request.title if single else path.stem
        page_url = _page_url(request, len(sections))
        try:
            text, title, page_notes = page_markdown(data, url=page_url, fallback_title=fallback)
        except ConversionError as exc:
            raise ConversionError(f"{rel}: {exc}") from exc
        first_title = first_title or title
        sections.append(text)
        notes.extend(page_notes if single else [f"{rel}: {note}" for note in page_notes])
    return ConvertResult(
        body="\n".join(sections), kind=KIND, notes=_unique(notes), title=first_title
    )


def _unique(items: list[str]) -> list[str]:
    """Items without repeats, first occurrence order."""
    return list(dict.fromkeys(items))
