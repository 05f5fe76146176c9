"""HTML -> lossless markdown (Tier 2 of ``docs`` and ``blog`` resources).

The policy (LIBRARY-FORMAT.md, "Tier 2"): strip site chrome only, keep every part of the article
body verbatim and in order. A page goes through small stages, each a module:

1. :mod:`.decode`: bytes to text as browsers decode them;
2. :mod:`.dom`: one parse with lxml (pages nested too deep for libxml2 are rebuilt with a
   depth cap, so no walk is ever deeper than that);
3. :mod:`.math`: MathML, MathJax and KaTeX become TeX placeholders; then :mod:`.clean` drops
   what is never text (scripts, form controls, hidden elements);
4. :mod:`.blocks`: the page as text blocks in document order, with their statistics and chrome
   marks (one bottom-up and one top-down pass);
5. :mod:`.selection`: the article body from several signals (documentation and article
   containers, the best run of text blocks, trafilatura's second opinion), a coverage
   self-check that widens the body when it holds too little of the page's prose;
6. :mod:`.clean`: recognised chrome left inside the body; code blocks, admonitions and layout
   tables marked;
7. :mod:`.render`: markdown.

:func:`convert_page` returns the markdown with the title, the notes, the coverage and how the
body was chosen; :func:`convert` converts a resource's pages into one full.md body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from reflib.convert.base import ConversionError, ConvertRequest, ConvertResult
from reflib.convert.html import clean, opinion
from reflib.convert.html.blocks import analyse
from reflib.convert.html.decode import decode_html
from reflib.convert.html.dom import Element, parse, tag_of, text_of
from reflib.convert.html.math import convert_math
from reflib.convert.html.render import Renderer
from reflib.convert.html.selection import LOW_COVERAGE, Selection, choose, prune

KIND = "html"
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
_WS = re.compile(r"\s+")

__all__ = [
    "HTML_SUFFIXES", "KIND", "LOW_COVERAGE", "PageResult", "convert", "convert_page",
    "decode_html", "html_to_markdown", "page_markdown",
]


@dataclass
class PageResult:
    """One page converted."""

    markdown: str
    title: str | None
    notes: list[str] = field(default_factory=list)
    coverage: float = 1.0
    """Share of the page's prose (running text outside recognised chrome) in the body."""
    extraction: str = ""
    """How the body was chosen."""


@dataclass
class _Prepared:
    root: Element
    title: str | None
    base_url: str | None
    notes: list[str]
    selection: Selection


prepare = opinion.prepare
"""Imports the second opinion ahead of a conversion (see :func:`reflib.convert.run.load_converter`)."""


def _meta_title(doc: Element) -> str | None:
    for meta in doc.iter("meta"):
        if (meta.get("property") or "").lower() == "og:title" and (meta.get("content") or "").strip():
            return _WS.sub(" ", meta.get("content") or "").strip()
    title = next(doc.iter("title"), None)
    if title is not None and title.text_content().strip():
        return text_of(title)
    return None


def _canonical_url(doc: Element) -> str | None:
    for el in doc.iter("link", "meta"):
        if "canonical" in (el.get("rel") or "").lower().split() and el.get("href"):
            return el.get("href")
        if (el.get("property") or "").lower() == "og:url" and el.get("content"):
            return el.get("content")
    return None


def _base_url(doc: Element, url: str | None) -> str | None:
    """The page URL (given, else the page's canonical URL), adjusted by ``<base href>``."""
    if not url:
        url = _canonical_url(doc)
    base = next((b for b in doc.iter("base") if b.get("href")), None)
    if base is not None:
        href = base.get("href") or ""
        return urljoin(url, href) if url else (href if "://" in href else None)
    return url


def _host(url: str) -> str:
    host = urlsplit(url).netloc.lower().split("@")[-1].split(":")[0]
    return host.removeprefix("www.")


def _heading_text(el: Element) -> str:
    return text_of(el).rstrip("¶§ ").strip()


def _prepare(html: str | bytes, url: str | None, second_opinion: bool) -> _Prepared:
    notes: list[str] = []
    if isinstance(html, bytes):
        text, encoding = decode_html(html)
        if encoding not in ("utf-8", "utf-8-sig"):
            notes.append(f"decoded as {encoding}")
    else:
        text = html
    doc = parse(text)
    meta_title = _meta_title(doc)
    base_url = _base_url(doc, url)
    site = _host(base_url or _canonical_url(doc) or "") or None
    convert_math(doc)
    clean.remove_junk(doc)
    body = doc.body if doc.find("body") is not None else doc
    page = analyse(body)
    ask = (lambda: opinion.trafilatura_text(text, url)) if second_opinion else None
    sel = choose(page, ask)
    prune(sel, page)
    root = sel.root
    notes.extend(sel.notes)
    clean.remove_chrome(root, page)
    clean.remove_permalinks(root)
    if not sel.docs:
        removed = clean.remove_link_blocks(root, page, site)
        if removed:
            notes.append(f"{removed} list(s) of links to the site's own pages removed as "
                         f"navigation")
        clean.drop_trailing_headings(root)
        repeated = clean.drop_repeated_captions(root)
        if repeated:
            notes.append(f"{repeated} repeated caption(s) of a gallery kept once")
    clean.replace_annotations(root)
    clean.mark_code_blocks(root)
    clean.mark_admonitions(root)
    flattened = clean.flatten_layout_tables(root)
    if flattened:
        notes.append(f"{flattened} layout table(s) rendered as blocks")
    first_h1 = next(root.iter("h1"), None)
    title_el = first_h1 if first_h1 is not None else sel.title
    title = _heading_text(title_el) if title_el is not None else None
    return _Prepared(root, title or meta_title or None, base_url, notes, sel)


def _render(prepared: _Prepared, heading_shift: int = 0) -> str:
    root = prepared.root
    if tag_of(root) not in ("div", "article", "main", "section", "body", "html"):
        wrapper = root.makeelement("div", {})
        wrapper.append(root)
        root = wrapper
    return Renderer(base_url=prepared.base_url, heading_shift=heading_shift,
                    notes=prepared.notes).render(root)


def convert_page(html: str | bytes, *, url: str | None = None,
                 second_opinion: bool = True) -> PageResult:
    """Convert one HTML page: its article body as markdown, with the title, notes, coverage
    and how the body was chosen. ``url`` (the page's address) resolves relative links and
    image sources. Undecodable input raises :class:`ConversionError`."""
    prepared = _prepare(html, url, second_opinion)
    markdown = _render(prepared)
    sel = prepared.selection
    return PageResult(markdown, prepared.title, _unique(prepared.notes), sel.coverage,
                      sel.method)


def html_to_markdown(html: str | bytes, *, url: str | None = None
                     ) -> tuple[str, str | None, list[str]]:
    """Convert one HTML page to markdown: ``(body, page title or None, notes)``."""
    page = convert_page(html, url=url)
    return page.markdown, page.title, page.notes


def _same_title(a: str, b: str) -> bool:
    return _WS.sub(" ", a).strip().casefold() == _WS.sub(" ", b).strip().casefold()


def page_section(html: str | bytes, *, url: str | None, fallback_title: str) -> PageResult:
    """One page as a section: ``# title``, then the body.

    The title is the page's first h1 (else ``og:title`` / ``<title>``, else
    ``fallback_title``). An h1 equal to the title is that heading, so it is not repeated and
    the h2... below it keep their levels. Any other h1 would sit beside the page heading, so
    then all of the page's headings move one level down to nest under it.
    """
    prepared = _prepare(html, url, True)
    title = _WS.sub(" ", prepared.title or fallback_title).strip()
    h1s = list(prepared.root.iter("h1"))
    if h1s and _same_title(_heading_text(h1s[0]), title):
        tail = h1s[0].tail
        parent = h1s[0].getparent()
        if parent is not None:
            if tail and tail.strip():
                previous = h1s[0].getprevious()
                if previous is not None:
                    previous.tail = (previous.tail or "") + tail
                else:
                    parent.text = (parent.text or "") + tail
            parent.remove(h1s[0])
        h1s = h1s[1:]
    body = _render(prepared, heading_shift=1 if h1s else 0).strip("\n")
    heading = f"# {title}"
    markdown = f"{heading}\n\n{body}\n" if body else f"{heading}\n"
    sel = prepared.selection
    return PageResult(markdown, title, _unique(prepared.notes), sel.coverage, sel.method)


def page_markdown(html: str | bytes, *, url: str | None, fallback_title: str
                  ) -> tuple[str, str, list[str]]:
    """:func:`page_section` as ``(markdown, title, notes)``."""
    page = page_section(html, url=url, fallback_title=fallback_title)
    return page.markdown, page.title or fallback_title, page.notes


def _html_files(raw_path: Path) -> list[Path]:
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
            rel = raw.rel if path == raw.path else \
                f"{raw.rel.rstrip('/')}/{path.relative_to(raw.path).as_posix()}"
            files.append((rel, path))
    if not files:
        raise ConversionError(f"{request.resource_id}: no HTML file among the raw artifacts")
    sections: list[str] = []
    notes: list[str] = []
    first_title: str | None = None
    single = len(files) == 1
    coverages: list[float] = []
    methods: list[str] = []
    for rel, path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ConversionError(f"{rel}: cannot read: {exc}") from exc
        fallback = request.title if single else path.stem
        try:
            page = page_section(data, url=_page_url(request, len(sections)),
                                fallback_title=fallback)
        except ConversionError as exc:
            raise ConversionError(f"{rel}: {exc}") from exc
        first_title = first_title or page.title
        sections.append(page.markdown)
        coverages.append(page.coverage)
        methods.append(page.extraction if single else f"{rel}: {page.extraction}")
        page_notes = list(page.notes)
        if page.coverage < LOW_COVERAGE:
            page_notes.append(f"coverage {page.coverage:.0%}: check that the whole article is "
                              f"here")
        notes.extend(page_notes if single else [f"{rel}: {note}" for note in page_notes])
    return ConvertResult(body="\n".join(sections), kind=KIND, notes=_unique(notes),
                         title=first_title, coverage=round(min(coverages), 3),
                         extraction="; ".join(methods))


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
