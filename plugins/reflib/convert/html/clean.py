"""Stage 6: what is never text goes before selection; chrome left inside the body goes after.

Before selection (:func:`remove_junk`): scripts, styles, form controls, embedded frames and
hidden elements (``hidden``, ``aria-hidden``, ``display: none``), except a task list's
checkboxes and Material's code annotations.

After selection, inside the article body (:func:`clean_body`): recognised chrome only:

* navigation and chrome marked strongly (``nav``, navigation roles, ``share``, ``related``,
  ``newsletter``, ``comments`` ... in a class or id), unless it holds much of the body's prose;
* chrome marked weakly (``aside``, ``footer``, ``sidebar``, ``meta`` ...) only when it looks
  like chrome: mostly links, or no running text;
* outside documentation containers, runs of three or more blocks of links to the site's own
  pages ("More stories", "Popular"), unless introduced as references or further reading;
* heading permalinks (pilcrows), "edit this page" and skip links.

Then code blocks, admonitions and layout tables are marked for the renderer (their language,
title and verbatim text recorded on the element).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from reflib.convert.html.blocks import STRONG, WEAK, Page
from reflib.convert.html.dom import (
    HEADINGS,
    JUNK_TAGS,
    Element,
    classes,
    elements,
    is_hidden,
    remove,
    tag_of,
    text_of,
    words,
)
from reflib.convert.html.math import TEX_ATTR

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
_LANG_CLASS = re.compile(
    r"^(?:language|lang|highlight|sourcecode|brush|code)-(?:source-)?([A-Za-z0-9_+#.-]{1,30})$"
)
_BRUSH = re.compile(r"brush:\s*([A-Za-z0-9_+#.-]+)")
_NO_LANGUAGE = frozenset(
    ["default", "none", "text", "plain", "plaintext", "nohighlight", "notranslate"]
)
_KEEP_LINK_LISTS = re.compile(
    r"\b(references?|resources|further reading|see also|links|sources|bibliography|footnotes?|"
    r"citations?|downloads?|documentation|notes)\b",
    re.IGNORECASE,
)
_LINK_BLOCK_TAGS = frozenset(
    ["div", "section", "ul", "ol", "table", "aside", "dl", "p", "li", *HEADINGS]
)
_WS = re.compile(r"\s+")


# --- before selection -------------------------------------------------------------------------


def _is_task_checkbox(el: Element) -> bool:
    if tag_of(el) != "input" or (el.get("type") or "").lower() != "checkbox":
        return False
    return any(tag_of(a) == "li" for a in el.iterancestors())


def _is_annotation_list(el: Element) -> bool:
    """Material's code-annotation ``<ol>`` (hidden by its script) when it still has text."""
    if tag_of(el) != "ol":
        return False
    previous = el.getprevious()
    return previous is not None and "highlight" in classes(previous) and \
        bool(el.text_content().strip())


def remove_junk(root: Element) -> None:
    """Drop what is never article text (see the module docs)."""
    doomed = []
    for el in elements(root):
        tag = tag_of(el)
        if el.get(TEX_ATTR) is not None:
            continue
        if tag in JUNK_TAGS or tag in ("input", "mjx-assistive-mml"):
            if not _is_task_checkbox(el):
                doomed.append(el)
        elif is_hidden(el) and not _is_annotation_list(el) and tag not in ("html", "body"):
            doomed.append(el)
    _remove_outermost(doomed)


# --- after selection ---------------------------------------------------------------------------


def _host(url: str) -> str:
    host = urlsplit(url).netloc.lower().split("@")[-1].split(":")[0]
    return host.removeprefix("www.")


def _is_permalink(el: Element) -> bool:
    if tag_of(el) != "a":
        return False
    if set(classes(el)) & _PERMALINK_CLASSES:
        return True
    href = el.get("href") or ""
    if not href.startswith("#") or not any(tag_of(a) in HEADINGS for a in el.iterancestors()):
        return False
    text = el.text_content().strip()
    return not text or text.lower() in _PERMALINK_TEXT


def _is_edit_link(el: Element) -> bool:
    tag = tag_of(el)
    if tag not in ("a", "p", "div", "span"):
        return False
    if tag == "a" and "md-content__button" in classes(el):
        return True
    text = text_of(el)
    if len(text) > 60 or not _EDIT_TEXT.match(text):
        return False
    return tag == "a" or next(el.iter("a"), None) is not None


def _kept_prose(root: Element, page: Page) -> int:
    return max(1, page.prose.get(root, 0))


def remove_chrome(root: Element, page: Page) -> int:
    """Remove recognised chrome below ``root`` (strong marks, and weak marks that look like
    chrome); return how many elements went."""
    total = _kept_prose(root, page)
    doomed: list[Element] = []
    for el in elements(root):
        if el is root:
            continue
        level = page.chrome.get(el, 0)
        if not level:
            continue
        if any(tag_of(a) in ("pre", "code") for a in el.iterancestors()):
            continue
        prose = page.prose.get(el, 0)
        if prose > 0.3 * total:
            continue
        if level == WEAK and not _looks_like_chrome(el, page):
            continue
        doomed.append(el)
    return _remove_outermost(doomed)


_SENTENCE = re.compile(r"[.!?\u3002\uff01\uff1f](?:\s|$)")


def _looks_like_chrome(el: Element, page: Page) -> bool:
    """A weakly marked element is chrome when it is mostly links, or short and without a
    sentence ("Last update: 3 May", "Tags: a, b", "Share")."""
    if tag_of(el) == "header" and next((h for h in el.iter(*HEADINGS)), None) is not None:
        return False
    text = page.text.get(el, 0)
    if text == 0:
        return next(el.iter("img", "pre", "table"), None) is None
    density = page.link.get(el, 0) / text
    if density > 0.5:
        return True
    if next(el.iter("pre", "table", *HEADINGS), None) is not None:
        return False
    return text < 200 and not _SENTENCE.search(text_of(el))


def _remove_outermost(doomed: list[Element]) -> int:
    gone: set[Element] = set()
    count = 0
    for el in doomed:  # document order: an ancestor comes first
        if any(a in gone for a in el.iterancestors()):
            continue
        gone.add(el)
        remove(el)
        count += 1
    return count


def _link_runs(container: Element, page: Page) -> list[list[Element]]:
    """Maximal runs of consecutive link-dense child blocks holding three links or more."""
    runs: list[list[Element]] = []
    run: list[Element] = []
    links = 0
    for child in [*container, None]:
        if child is not None and not isinstance(child.tag, str):
            continue
        if child is not None and _is_link_block(child, page):
            run.append(child)
            links += sum(1 for _ in child.iter("a"))
            if not (child.tail or "").strip():
                continue  # text after a block ends the run
        if run and links >= 3:
            runs.append(run)
        run, links = [], 0
    return runs


_SENTENCE_END = re.compile(r"[.!?\u3002\uff01\uff1f]\W*$")


def _is_link_block(el: Element, page: Page) -> bool:
    if tag_of(el) not in _LINK_BLOCK_TAGS:
        return False
    text = page.text.get(el, 0)
    if text < 3 or page.link.get(el, 0) < 0.65 * text:
        return False
    if tag_of(el) == "p":
        words = text_of(el)
        if _SENTENCE_END.search(words) and len(words.split()) >= 4:
            return False  # a sentence whose words are mostly links is still a sentence
    return next(el.iter("pre", "code"), None) is None


def _mostly_internal(run: list[Element], site: str | None) -> bool:
    hrefs = [a.get("href") or "" for el in run for a in el.iter("a")]
    hrefs = [h for h in hrefs if not h.lower().startswith(("javascript:", "mailto:", "#"))]
    if not hrefs:
        return False
    internal = sum(1 for h in hrefs if not _host(h) or (site is not None and _host(h) == site))
    return internal >= 0.6 * len(hrefs)


def _introduces_references(el: Element | None) -> bool:
    if el is None:
        return False
    return bool(_KEEP_LINK_LISTS.search(text_of(el))) or bool(
        words(el) & {"references", "footnotes", "notes", "citations", "bibliography"})


def remove_link_blocks(root: Element, page: Page, site: str | None) -> int:
    """Remove runs of sibling blocks made of links to the site's own pages (three or more
    links): "Most popular", "More stories" boxes. Lists introduced as references, further
    reading and the like stay. Returns the number of runs removed."""
    removed = 0
    for container in list(elements(root)):
        if tag_of(container) in ("pre", "code", "a") or (container.getparent() is None and \
                container is not root):
            continue
        for run in _link_runs(container, page):
            if not _mostly_internal(run, site) or any(_introduces_references(el) for el in run):
                continue
            intro = run[0].getprevious()
            if intro is not None and tag_of(intro) in {*HEADINGS, "p", "strong", "b"}:
                if _introduces_references(intro):
                    continue
                if len(text_of(intro).split()) > 6:
                    intro = None
            else:
                intro = None
            for el in run:
                remove(el)
            if intro is not None:
                remove(intro)
            removed += 1
    return removed


_GALLERY_WORDS = frozenset(
    "caption captions credit credits gallery slide slides slideshow carousel lightbox modal "
    "photo photos figure".split())


def _in_gallery(el: Element, root: Element) -> bool:
    for node in [el, *el.iterancestors()]:
        if tag_of(node) in ("figure", "figcaption"):
            return True
        if words(node) & _GALLERY_WORDS:
            return True
        if node is root:
            return False
    return False


def drop_repeated_captions(root: Element) -> int:
    """Captions that a gallery or a lightbox repeats (the same text again, 40 characters or
    more, in a figure, caption or gallery element) are kept once; return how many went."""
    seen: set[str] = set()
    doomed: list[Element] = []
    for el in elements(root):
        if el is root or tag_of(el) in ("pre", "code", "td", "th", *HEADINGS):
            continue
        own = " ".join(((el.text or "") + "".join(
            c.text_content() + (c.tail or "") for c in el if isinstance(c.tag, str)
            and tag_of(c) in ("a", "b", "i", "em", "strong", "span", "br"))).split())
        if len(own) < 40 or len(own) < 0.9 * len(" ".join(el.text_content().split())):
            continue
        key = own.casefold()
        if key in seen and _in_gallery(el, root):
            doomed.append(el)
        seen.add(key)
    return _remove_outermost(doomed)


def drop_trailing_headings(root: Element) -> None:
    """Remove headings that end the body with nothing under them (a removed box's title).
    Only headings inside ``root``; each pass removes one, so the loop ends."""
    for _ in range(100):
        last = None
        for el in root.iter():
            if not isinstance(el.tag, str) or el is root:
                continue
            if tag_of(el) in ("img", "pre", "table") or el.get(TEX_ATTR) is not None or \
                    (el.text or "").strip() or (el.tail or "").strip():
                last = el
        if last is None:
            return
        heading = None
        for node in [last, *last.iterancestors()]:
            if node is root:
                break
            if tag_of(node) in HEADINGS:
                heading = node
        if heading is None or (heading.tail or "").strip() or heading.getparent() is None:
            return
        remove(heading, keep_tail=False)


def remove_permalinks(root: Element) -> None:
    """Heading permalinks, "edit this page" and skip links."""
    doomed = [el for el in elements(root) if el is not root and (
        _is_permalink(el) or _is_edit_link(el))]
    _remove_outermost(doomed)


# --- marking blocks for the renderer -------------------------------------------------------------


def _language_from_classes(tokens: list[str]) -> str:
    joined = " ".join(tokens)
    brush = _BRUSH.search(joined)
    if brush:
        return brush.group(1).lower()
    for token in tokens:
        match = _LANG_CLASS.match(token)
        if match and match.group(1).lower() not in _NO_LANGUAGE:
            return match.group(1).lower()
    if "sourceCode" in tokens:
        rest = [c for c in tokens if c != "sourceCode"]
        if rest:
            return rest[0].lower()
    return ""


def code_language(pre: Element, stop: Element) -> str:
    """The language of a code block from attributes and classes on ``code``, ``pre`` or
    close ancestors."""
    chain: list[Element] = []
    code = next(pre.iter("code"), None)
    if code is not None:
        chain.append(code)
    chain.append(pre)
    for parent in pre.iterancestors():
        if parent is stop or len(chain) > 5:
            break
        chain.append(parent)
    for el in chain:
        for attr in ("data-lang", "data-language"):
            value = (el.get(attr) or "").strip().lower()
            if value and value not in _NO_LANGUAGE:
                return value
        language = _language_from_classes(classes(el))
        if language:
            return language
    return ""


def code_text(pre: Element) -> str:
    """The verbatim text of a ``<pre>``: line numbers dropped, ``<br>`` and line items kept."""
    for el in list(pre.iter()):
        if not isinstance(el.tag, str) or el is pre:
            continue
        if {"linenos", "lineno", "line-number", "line-numbers", "gutter"} & set(classes(el)):
            remove(el)
    for br in list(pre.iter("br")):
        br.tail = "\n" + (br.tail or "")
    for line in pre.iter("li", "tr"):
        content = line.text_content()
        if not content.endswith("\n"):
            line.tail = "\n" + (line.tail or "")
    text = pre.text_content().replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(line.rstrip() for line in lines)


def mark_code_blocks(root: Element) -> None:
    """Record each ``<pre>``'s language, title and text on the element."""
    for table in list(root.iter("table")):
        if "highlighttable" not in classes(table):
            continue
        pres = [p for td in table.iter("td") if "code" in classes(td) for p in td.iter("pre")]
        pres = pres or list(table.iter("pre"))[-1:]
        if pres:
            pre = pres[0]
            pre.set("data-reflib-lang", code_language(table, root))
            pre.tail = table.tail
            parent = table.getparent()
            if parent is not None:
                parent.replace(table, pre)
    for pre in list(root.iter("pre")):
        if any(tag_of(a) == "pre" for a in pre.iterancestors()):
            continue
        title = ""
        holder = pre.getparent()
        if holder is not None:
            filename = next((c for c in holder if tag_of(c) == "span"
                             and "filename" in classes(c)), None)
            if filename is not None:
                title = text_of(filename)
                remove(filename)
        if pre.get("data-reflib-lang") is None:
            pre.set("data-reflib-lang", code_language(pre, root))
        pre.set("data-reflib-title", title)
        pre.set("data-reflib-code", code_text(pre))


def _admonition_type(tokens: list[str]) -> str:
    for token in tokens:
        token = token.lower().removeprefix("markdown-alert-").removeprefix("alert--")
        if token in _GENERIC_CLASSES or not re.fullmatch(r"[a-z][a-z0-9-]*", token):
            continue
        return token
    return "note"


def mark_admonitions(root: Element) -> None:
    """Tag admonitions (``div.admonition``, GitHub alerts, ``<details>``) for rendering."""
    for el in list(root.iter("div", "details", "aside", "section")):
        tokens = classes(el)
        title_el: Element | None = None
        if tag_of(el) == "details":
            title_el = next((c for c in el if tag_of(c) == "summary"), None)
        elif set(tokens) & _ADMONITION_CLASSES or any(
                "admonition-title" in classes(c) for c in el if isinstance(c.tag, str)):
            title_el = next((c for c in el if isinstance(c.tag, str) and {
                "admonition-title", "markdown-alert-title"} & set(classes(c))), None)
        else:
            continue
        el.set("data-reflib-admonition", _admonition_type(tokens))
        el.set("data-reflib-title", text_of(title_el) if title_el is not None else "")
        if title_el is not None:
            remove(title_el, keep_tail=True)


def _is_layout_table(table: Element) -> bool:
    if (table.get("role") or "").lower() in ("presentation", "none"):
        return True
    inner = [el for el in table.iterdescendants() if isinstance(el.tag, str)]
    if any(tag_of(el) in ("table", "pre", *HEADINGS) for el in inner):
        return True
    cells = [el for el in inner if tag_of(el) in ("td", "th")]
    return len(cells) <= 1


def flatten_layout_tables(root: Element) -> int:
    """Tables used for page layout become plain blocks; return how many."""
    flattened = 0
    for table in reversed(list(root.iter("table"))):
        if not _is_layout_table(table):
            continue
        flattened += 1
        parts = [table, *(el for el in table.iterdescendants(
            "tbody", "thead", "tfoot", "tr", "td", "th")
            if next((a for a in el.iterancestors("table")), None) is table)]
        for part in parts:
            part.tag = "div"
            for key in list(part.attrib):
                del part.attrib[key]
        for caption in [c for c in table if tag_of(c) == "caption"]:
            caption.tag = "p"
    return flattened


def replace_annotations(root: Element) -> None:
    """Material code annotations (``<aside class=md-annotation>``) become ``(n)`` markers."""
    for aside in list(root.iter("aside")):
        if "md-annotation" not in classes(aside):
            continue
        marker = next((t for t in aside.iter() if isinstance(t.tag, str)
                       and t.get("data-md-annotation-id") is not None), None)
        number = (marker.get("data-md-annotation-id") or "") if marker is not None else ""
        aside.tail = (f"({number})" if number else "") + (aside.tail or "")
        remove(aside)


def is_strong(level: int) -> bool:
    return level == STRONG
