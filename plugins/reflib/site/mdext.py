"""Python-Markdown extension for library pages: GitHub heading ids, evidence links, backlinks.

* Heading ids follow GitHub exactly (:class:`reflib.core.paths.Slugger`): explicit ``{#id}`` ids
  (set by attr_list) are reserved first, then every other heading gets its slug, a repeat
  getting ``-1``, ``-2``... So a link that resolves on GitHub and in ``reflib check`` resolves
  in the site, and toc keeps these ids.
* Links marked ``reflib-evidence`` (by :mod:`reflib.site.mdrewrite`) get the cited section's
  heading and text as ``data-reflib-*`` attributes, shown as a preview on hover.
* On a full-text page, each cited heading is followed by its "Cited by" backlinks.

The extension holds a :class:`PageState` that the plugin sets before each page renders.
"""

from __future__ import annotations

import html
import posixpath
import re
import xml.etree.ElementTree as etree
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from markdown import Extension, Markdown
from markdown.treeprocessors import Treeprocessor
from markdown.util import HTML_PLACEHOLDER_RE, AtomicString

from reflib.core import paths
from reflib.site.mdrewrite import EVIDENCE_CLASS, QUOTE_PARAM
from reflib.site.sitegen import Backlink, SiteData

_TAG = re.compile(r"</?[A-Za-z][^>]*>")
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
BACKLINKS_CLASS = "reflib-backlinks"


@dataclass
class PageState:
    """The page being rendered, as the plugin describes it."""

    src_uri: str = ""
    fulltext_id: str | None = None
    """The resource id when the page is a full text."""
    enabled: bool = False
    """Whether the page belongs to the library (only those get previews and backlinks)."""


def heading_text(el: etree.Element, md: Markdown) -> str:
    """Plain text of a rendered heading, as GitHub sees it for the slug."""
    parts: list[str] = []

    def walk(node: etree.Element) -> None:
        if node.tag == "img":
            parts.append(node.get("alt", ""))
        elif node.text:
            parts.append(html.unescape(node.text) if isinstance(node.text, AtomicString)
                         else node.text)
        for child in node:
            if not (child.tag == "a" and "headerlink" in (child.get("class") or "")):
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    text = "".join(parts)

    def unstash(m: Any) -> str:
        try:
            raw = str(md.htmlStash.rawHtmlBlocks[int(m.group(1))])
        except (IndexError, ValueError):
            return ""
        return _TAG.sub("", raw)

    text = HTML_PLACEHOLDER_RE.sub(unstash, text)
    return html.unescape(text).strip()


def _iter_with_parent(root: etree.Element) -> Iterator[tuple[etree.Element, etree.Element]]:
    for parent in root.iter():
        for child in parent:
            yield parent, child


class HeadingIdProcessor(Treeprocessor):
    """Assigns GitHub-compatible ids to every heading without an explicit one."""

    def run(self, root: etree.Element) -> None:
        headings = [el for el in root.iter() if el.tag in HEADINGS]
        slugger = paths.Slugger()
        for el in headings:
            if el.get("id"):
                slugger.reserve(el.get("id", ""))
        for el in headings:
            if not el.get("id"):
                el.set("id", slugger.slug(heading_text(el, self.md)))


class EvidenceProcessor(Treeprocessor):
    """Evidence previews and full-text backlinks, from the plugin's :class:`SiteData`."""

    def __init__(self, md: Markdown, state: PageState,
                 site: Callable[[], SiteData | None]) -> None:
        super().__init__(md)
        self.state = state
        self.site = site

    def run(self, root: etree.Element) -> None:
        site = self.site()
        if site is None or not self.state.enabled:
            return
        for el in root.iter("a"):
            if EVIDENCE_CLASS in (el.get("class") or "").split():
                if "".join(el.itertext()).lstrip().startswith("§"):
                    # the link text carries its own section sign: the style adds none
                    el.set("class", f"{el.get('class')} {EVIDENCE_CLASS}--marked")
                self._preview(site, el)
        if self.state.fulltext_id:
            self._backlinks(site, root, self.state.fulltext_id)

    def _preview(self, site: SiteData, el: etree.Element) -> None:
        href = el.get("href") or ""
        path, _, fragment = href.partition("#")
        path, _, query = path.partition("?")
        if not path or not fragment:
            return
        target = posixpath.normpath(posixpath.join(posixpath.dirname(self.state.src_uri), path))
        rid = paths.site_fulltext_id(target)
        if rid is None:
            return
        res = site.lib.resources.get(rid)
        el.set("data-reflib-resource", res.title if res else rid)
        quotes = parse_qs(query).get(QUOTE_PARAM, []) if query else []
        if quotes:
            el.set("data-reflib-quote", " … ".join(quotes))
            around = site.quote_preview(rid, fragment, quotes[0])
            if around is not None:
                heading, text, start, end = around
                el.set("data-reflib-heading", heading)
                el.set("data-reflib-preview", text)
                el.set("data-reflib-mark", f"{start},{end}")
                return
        found = site.preview(rid, fragment)
        if found is None:
            return
        heading, text = found
        el.set("data-reflib-heading", heading)
        el.set("data-reflib-preview", text)

    def _backlinks(self, site: SiteData, root: etree.Element, rid: str) -> None:
        inserts: list[tuple[etree.Element, int, etree.Element]] = []
        for parent, el in _iter_with_parent(root):
            if el.tag not in HEADINGS:
                continue
            items = site.backlinks.get((rid, el.get("id") or ""))
            if items:
                el.set("class", ((el.get("class") or "") + " reflib-cited").strip())
                inserts.append((parent, list(parent).index(el) + 1, self._box(items)))
        for parent, index, box in reversed(inserts):
            parent.insert(index, box)

    def _box(self, items: list[Backlink]) -> etree.Element:
        box = etree.Element("div", {"class": BACKLINKS_CLASS})
        title = etree.SubElement(box, "span", {"class": "reflib-backlinks__title"})
        title.text = f"Cited by ({len(items)})"
        ul = etree.SubElement(box, "ul")
        for item in items:
            li = etree.SubElement(ul, "li")
            to_uri = paths.site_src_uri(item.source_rel) or ""
            a = etree.SubElement(li, "a", {
                "href": paths.relative_link(self.state.src_uri, to_uri, item.anchor or None),
                "class": f"reflib-backlink reflib-backlink--{item.kind}",
            })
            a.text = AtomicString(item.label)
        return box


class ReflibExtension(Extension):
    """Registers the heading-id and evidence tree processors.

    ``site`` returns the current build's :class:`SiteData` (``None`` outside a library).
    """

    def __init__(self, site: Callable[[], SiteData | None] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.state = PageState()
        self.site = site or (lambda: None)

    def extendMarkdown(self, md: Markdown) -> None:
        md.registerExtension(self)
        # after attr_list (8) so pinned ids are set, before toc (5) which keeps our ids,
        # and before MkDocs' link resolution (0) which turns .md hrefs into URLs
        md.treeprocessors.register(HeadingIdProcessor(md), "reflib_heading_ids", 7)
        md.treeprocessors.register(EvidenceProcessor(md, self.state, self.site),
                                   "reflib_evidence", 6)


def makeExtension(**kwargs: Any) -> ReflibExtension:
    """Entry point for ``markdown_extensions: [reflib.site.mdext]`` (ids only, no site data)."""
    return ReflibExtension(**kwargs)
