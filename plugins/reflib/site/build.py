"""A library as a site, whatever engine renders it: the pages to add, each page's markdown and
HTML as reflib makes them, the exports.

:class:`LibrarySite` is what a site engine's adapter calls (the MkDocs plugin in
:mod:`reflib.engines.mkdocs`, the Zensical build in :mod:`reflib.engines.zensical`):

1. :meth:`LibrarySite.refresh` loads the library (again only when a file changed) and runs
   the checks; :meth:`LibrarySite.planned` lists the pages to generate (resource pages, full
   texts, index, dashboard) and the raw files to publish.
2. For each page, :meth:`LibrarySite.markdown` rewrites links and adds header blocks before
   Python-Markdown runs (with :class:`reflib.site.mdext.ReflibExtension`), and
   :meth:`LibrarySite.html` sanitizes and checks the rendered content, and marks it for search.
3. :meth:`LibrarySite.write_exports` writes ``catalog.json``, ``llms.txt`` and the markdown
   sources.

Problems are warnings naming file and line (:attr:`LibrarySite.warnings`); a library that
cannot be read raises :class:`~reflib.core.errors.ReflibError`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from reflib.checks import check
from reflib.core import frontmatter, paths
from reflib.core import history as githistory
from reflib.core.errors import ReflibError, SyntaxProblem
from reflib.core.model import (
    KIND_CARD,
    KIND_FULLTEXT,
    KIND_TOPIC,
    Document,
    DocumentCache,
    Library,
    ManifestCache,
    load,
)
from reflib.lookup import export
from reflib.site import mdrewrite, sanitize, sitegen
from reflib.site import pagefind_index as pf
from reflib.site.mdext import BACKLINKS_CLASS
from reflib.site.sitecache import Stats, digest

ASSETS_DIR = Path(__file__).resolve().parents[1] / "assets"
ASSET_URI = "assets/reflib"
ASSETS = ("reflib.css", "reflib.js")
SEARCH_ASSETS = ("reflib-search.js",)
THEME_DIR = Path(__file__).resolve().parents[1] / "templates" / "theme"
NEEDED_EXTENSIONS = ("attr_list", "md_in_html", "admonition", "tables", "def_list", "footnotes",
                     "pymdownx.superfences", "pymdownx.tasklist")
"""Markdown extensions the library's content needs (what converters and scaffolds write:
fences with a title, task lists, definition lists, footnotes), added when the site's
configuration lacks them, so that what ``reflib check`` reads is what the site renders."""
REPLACED_EXTENSIONS = {"fenced_code": "pymdownx.superfences"}
"""An extension that another needed one replaces (SuperFences handles every fence)."""
IGNORED_CLASSES = (BACKLINKS_CLASS, "reflib-fulltext-header", "reflib-badges",
                   "reflib-topic-resources", "reflib-meta")
"""Blocks kept out of the search index (the site's own chrome inside the article)."""
Problems = dict[int, list[tuple[str, str]]]
"""File line -> ``(code, message)`` of the checker's findings there."""


@dataclass
class SiteOptions:
    """What a site shows; the MkDocs plugin's options (documented there) by the same names."""

    index: bool = True
    index_title: str = "Library"
    dashboard: bool = True
    history: bool = True
    history_max_commits: int = githistory.MAX_COMMITS
    publish_raw: bool = True
    nav_by_type: bool = True
    checks: str = "all"
    exports: bool = True
    sanitize: bool = True
    search: str = "pagefind"
    search_sections: bool = True
    search_records: int = 6000
    cache: bool = True

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], where: str) -> SiteOptions:
        """The options set in ``values`` (unknown names ignored, the engine's own); a value of
        the wrong type raises :class:`ReflibError` naming ``where`` and the option."""
        out = cls()
        for f in fields(cls):
            if f.name not in values:
                continue
            value, default = values[f.name], getattr(out, f.name)
            if type(value) is not type(default):
                raise ReflibError(f"reflib option '{f.name}' must be a "
                                  f"{type(default).__name__}, not {value!r}", where)
            setattr(out, f.name, value)
        return out


@dataclass
class Planned:
    """A file the site gets from reflib rather than from the docs folder."""

    uri: str
    """Where it is in the site's source tree (``resources/<id>.md``, ``sources/<id>/...``)."""
    content: str | None = None
    """The generated markdown, or None when the file is ``abs_src``."""
    abs_src: str | None = None
    edit_uri: str | None = None
    """Relative to the docs folder: what "edit this page" opens."""
    in_nav: bool = True
    raw: bool = False
    """A raw artifact published as is (not a page)."""


@dataclass
class Built:
    """What :meth:`LibrarySite.refresh` found (kept between rebuilds when nothing changed)."""

    lib: Library
    site: sitegen.SiteData
    pages: sitegen.Pages
    findings: list[check.Finding]
    flags: dict[str, Problems] = field(default_factory=dict)


class LibrarySite:
    """The library at ``root`` as a site (see the module's docstring)."""

    def __init__(self, root: Path, options: SiteOptions,
                 log: logging.Logger | None = None) -> None:
        self.root = root
        self.options = options
        self.log = log or logging.getLogger("reflib")
        self.stats = Stats()
        self.doc_cache: DocumentCache = {}
        self.manifest_cache = ManifestCache()
        self.link_checks = check.LinkChecks()
        self.previews: sitegen.PreviewMemo = {}
        self.render_memo = sitegen.RenderMemo()
        self.built: Built | None = None
        self.history: list[githistory.Snapshot] | None = None
        self.generated: set[str] = set()
        """Site sources of the pages and files :meth:`planned` listed."""
        self.warnings: list[str] = []
        """The warnings of this build (a strict build fails on them)."""
        self._signature: str | None = None
        self._exported: dict[str, Document] = {}

    @property
    def lib(self) -> Library | None:
        return self.built.lib if self.built else None

    def warn(self, message: str) -> None:
        """Log a warning and count it: a strict build fails on reflib's warnings whatever the
        log level."""
        self.warnings.append(message)
        self.log.warning(f"reflib: {message}")

    # --- the library --------------------------------------------------------------------

    def refresh(self) -> Built:
        """The library, its site data and its check findings, loaded again only when a file
        it reads changed (with ``cache``); each finding is logged as a warning."""
        self.stats.reset()
        self.stats.builds += 1
        signature = self.signature()
        if signature is not None and signature == self._signature and self.built is not None:
            self.stats.model_reused = True
        else:
            lib = self._load()
            cache = self.options.cache
            site = sitegen.SiteData.build(lib, self.previews if cache else None)
            self.render_memo.begin()
            pages = sitegen.Pages(lib, site, self.render_memo if cache else None)
            findings = self._findings_of(lib)
            self.built = Built(lib, site, pages, findings, _evidence_flags(findings))
            self._signature = signature
        for finding in self.built.findings:
            self.warn(finding.text())
        return self.built

    def _load(self) -> Library:
        cache = self.doc_cache if self.options.cache else None
        before = dict(cache) if cache is not None else {}
        lib = load(self.root, cache, self.manifest_cache if cache is not None else None)
        for line, message in lib.manifest.shape_problems:
            raise ReflibError(message, paths.MANIFEST, line)
        if cache is not None:
            self.stats.model_reloaded = sum(1 for rel, v in cache.items()
                                            if before.get(rel) is not v)
            self.stats.manifest_reparsed = self.manifest_cache.reloaded
        else:
            self.stats.model_reloaded = len(lib.documents)
        return lib

    def signature(self) -> str | None:
        """Modification times and sizes of every file the model and the pages read (None
        without ``cache``)."""
        if not self.options.cache:
            return None
        entries: list[tuple[str, int, int]] = []
        for top in (paths.REFS_DIR, paths.SOURCES_DIR, ".reflib"):
            for dirpath, dirnames, filenames in os.walk(self.root / top):
                dirnames.sort()
                for name in sorted(filenames):
                    full = os.path.join(dirpath, name)
                    try:
                        st = os.stat(full)
                    except OSError:
                        continue
                    entries.append((os.path.relpath(full, self.root), st.st_mtime_ns,
                                    st.st_size))
        head = self.root / ".git" / "HEAD"
        return digest(entries, head.read_text() if head.is_file() else "")

    def _findings_of(self, lib: Library) -> list[check.Finding]:
        checks = self.options.checks
        if checks == "none":
            return []
        # under serve, documents whose links and link targets are unchanged keep their findings
        links = self.link_checks if self.options.cache else None
        if checks == "all":
            findings = check.run(lib, links=links)
        else:
            # the manifest's own values are always checked: a value check rejects (a type
            # or topic carrying markup) must not build cleanly either
            findings = sorted(set(links.run(lib) if links is not None
                                  else check.check_links(lib)) | set(check.check_manifest(lib)))
        if links is not None:
            self.stats.checked = links.checked
        return findings

    # --- the files ----------------------------------------------------------------------

    def unpublished(self, docs_files: Mapping[str, str]) -> list[str]:
        """Of the docs folder's files (site source -> absolute path), those to leave out:
        symbolic links to a place outside the library (a card linked to a secret file is
        never published) and library pages that cannot be read as text (each a warning
        saying what to do)."""
        assert self.built is not None
        out = []
        for uri, src in docs_files.items():
            if paths.outside(Path(src), self.root):
                out.append(uri)
                self.warn(f"{paths.REFS_DIR}/{uri} is a symbolic link to a place outside "
                          f"the library; it is not published (copy the file in instead)")
        for doc in self.built.lib.documents.values():
            if doc.error is None or doc.outside or not doc.rel.startswith(paths.REFS_DIR + "/"):
                continue
            if isinstance(doc.error, SyntaxProblem):
                continue  # front matter that does not parse: the page still reads as text
            uri = doc.rel[len(paths.REFS_DIR) + 1:]
            if uri in docs_files and uri not in out:
                out.append(uri)
                self.warn(f"{doc.rel}: {doc.error.message}; the page is left out of the site")
        return out

    def planned(self, exists: Callable[[str], bool]) -> list[Planned]:
        """The pages and files reflib adds, given which site sources the docs folder has
        (``exists``): a page for every resource without a readable card, every full text,
        the raw files, the index (unless ``index.md`` or ``README.md`` exists) and the
        dashboard."""
        assert self.built is not None
        lib, pages, opts = self.built.lib, self.built.pages, self.options
        out: list[Planned] = []
        for rid, res in lib.resources.items():
            uri = paths.site_resource_uri(rid)
            if res.card is None or not exists(uri):
                out.append(Planned(uri, content=pages.resource_page(res),
                                   edit_uri="manifest.yaml"))
            if opts.publish_raw:
                for rel in pages.raw_files(res):
                    out.append(Planned(paths.site_raw_uri(rel), abs_src=str(lib.root / rel),
                                       raw=True, in_nav=False))
        for rid, doc in lib.fulltexts.items():
            if doc.outside or (doc.error is not None and not isinstance(doc.error, SyntaxProblem)):
                continue
            out.append(Planned(paths.site_fulltext_uri(rid), abs_src=str(doc.path),
                               edit_uri="../" + doc.rel, in_nav=False))
        has_index = exists("index.md") or exists("README.md")
        if opts.index and not has_index:
            out.append(Planned(sitegen.INDEX_URI, content=pages.index_page(opts.index_title),
                               edit_uri="manifest.yaml"))
        if opts.dashboard and not exists(sitegen.DASHBOARD_URI):
            self.history = githistory.status_history(lib.root, opts.history_max_commits) \
                if opts.history else None
            findings = self.built.findings
            rereview: list[dict[str, Any]] | None = None if opts.checks == "none" or any(
                f.code in check.APPROVAL_CODES for f in findings) else []
            out.append(Planned(sitegen.DASHBOARD_URI, content=pages.dashboard_page(
                self.history, rereview, None if opts.checks == "none" else findings,
                opts.checks), edit_uri="manifest.yaml"))
        return out

    def nav(self, uris: list[str]) -> list[Any]:
        """The default navigation over the site's pages (when the site sets none)."""
        assert self.built is not None
        return sitegen.default_nav(self.built.lib, uris, by_type=self.options.nav_by_type)

    def library_rel(self, src_uri: str, authored: bool) -> str | None:
        """The root-relative path of the library file behind the page at ``src_uri``, if
        any (``authored``: the page is a file of the docs folder)."""
        rid = paths.site_fulltext_id(src_uri)
        if rid and src_uri in self.generated:
            return paths.fulltext_rel(rid)
        if authored:
            return f"{paths.REFS_DIR}/{src_uri}"
        return None

    def resource_of(self, src_uri: str) -> Any:
        """The resource whose page is ``src_uri`` (``resources/<id>.md``), if any."""
        assert self.built is not None
        rid = src_uri[len("resources/"):-3] if src_uri.startswith("resources/") else None
        res = self.built.lib.resources.get(rid) if rid else None
        return res if res is not None and paths.site_resource_uri(res.id) == src_uri else None

    # --- pages --------------------------------------------------------------------------

    def page_meta(self, src_uri: str, meta: Mapping[str, Any], rel: str | None) -> dict[str, Any]:
        """A page's metadata made safe, with its resource's status (shown in the nav)."""
        assert self.built is not None
        meta = sanitize.clean_meta(meta)
        res = self.resource_of(src_uri)
        if res is None and rel is not None and paths.fulltext_id(rel):
            res = self.built.lib.resources.get(paths.fulltext_id(rel) or "")
        if res is not None:
            meta["status"] = sitegen.nav_status(res)
        if self.options.search == "material" and rel is not None and paths.fulltext_id(rel):
            meta["search"] = {"exclude": True}
        return meta

    def markdown(self, src_uri: str, rel: str, markdown: str, deps: list[Any],
                 cached: Callable[[list[Any]], bool] | None = None) -> str:
        """Links rewritten, claim anchors and the header block added.

        ``deps`` receives what the output depends on besides ``markdown`` (the header block,
        the model's claims, backlinks and evidence previews); when ``cached(deps)`` says the
        page's rendering is cached, the markdown is returned as it is."""
        assert self.built is not None
        lib, pages, site = self.built.lib, self.built.pages, self.built.site
        doc = lib.documents.get(rel)
        res = self.resource_of(src_uri)
        header = None
        if doc is not None:
            if doc.kind == KIND_FULLTEXT:
                rid = paths.fulltext_id(rel) or ""
                deps.append(site.backlinks_of(rid))
                header = pages.fulltext_header(lib.resources.get(rid), doc)
            elif doc.kind == KIND_CARD and res is not None:
                header = pages.resource_header(res, doc.title)
            elif doc.kind == KIND_TOPIC:
                header = pages.topic_listing(doc.stem)
            deps.append([header, doc.body_line, [(cl.line, cl.number) for cl in doc.claims],
                         self.built.flags.get(rel)])
            for ev in doc.evidence:
                for link in ev.links:
                    target = paths.resolve_link(rel, link.target)
                    cited_id = paths.fulltext_id(target.rel or "")
                    if cited_id:
                        cited = lib.resources.get(cited_id)
                        deps.append([link.target, cited.title if cited else cited_id,
                                     site.preview(cited_id, target.fragment or "")])
        if cached is not None and cached(deps):
            return markdown
        first_line, claims = 1, []
        problems: Problems = {}
        if doc is not None:
            first_line, same = _first_line(doc, markdown)
            if same:
                claims = [(cl.line, cl.number) for cl in doc.claims if cl.number is not None]
                problems = self.built.flags.get(rel) or {}
        base_url = None
        if doc is not None and doc.kind == KIND_FULLTEXT and doc.meta:
            base_url = str(doc.meta.get("source_url") or "") or None
        root = lib.root
        result = mdrewrite.rewrite(markdown, rel, first_line, claims, base_url=base_url,
                                   exists=lambda r: (root / r).exists(), problems=problems)
        markdown = result.markdown
        if header is not None:
            markdown = mdrewrite.insert_after_title(markdown, header)
        return markdown

    def html(self, src_uri: str, rel: str | None, html: str) -> str:
        """Rendered content made safe (sanitized, no search markup from the source), checked
        (every heading anchor ``reflib check`` accepts is there) and completed (the
        dashboard's chart)."""
        assert self.built is not None
        ours = rel is not None or src_uri in self.generated
        if ours and self.options.sanitize:
            html = sanitize.clean(html)
        if ours and self.options.search == "pagefind":
            html = pf.strip_attributes(html)
        if rel is not None:
            self._verify_anchors(rel, html)
        if src_uri == sitegen.DASHBOARD_URI and src_uri in self.generated:
            svg = sitegen.burndown(self.built.lib, self.history)
            html = re.sub(r'<div class="reflib-chart"[^>]*>\s*</div>',
                          lambda _: f'<div class="reflib-chart">{svg}</div>', html, count=1)
        return html

    def searchable(self, src_uri: str, rel: str | None, html: str) -> str:
        """The page content marked for Pagefind (body, filters, metadata, ignored blocks)
        when the page is one of the library's, else as it is."""
        assert self.built is not None
        if self.options.search != "pagefind" or not (rel is not None or (
                src_uri in self.generated and self.resource_of(src_uri) is not None)):
            return html
        lib = self.built.lib
        doc = lib.documents.get(rel) if rel else None
        kind = doc.kind if doc is not None else "doc"
        rid = paths.fulltext_id(rel) if rel and kind == KIND_FULLTEXT else None
        res = lib.resources.get(rid) if rid else self.resource_of(src_uri)
        label = {KIND_FULLTEXT: "full text", KIND_CARD: "card", KIND_TOPIC: "topic"}.get(
            kind, "doc")
        if res is not None and kind != KIND_FULLTEXT and res.card is None:
            label = "resource"
        filters: list[tuple[str, str]] = [("kind", label)]
        meta: list[tuple[str, str]] = [("kind", label)]
        if res is not None:
            filters += [("type", res.type), ("status", res.status),
                        ("priority", res.priority)]
            for stem in res.topics:
                topic = lib.topics.get(stem)
                filters.append(("topic", topic.title if topic else stem))
            meta += [("resource", res.id), ("resource_title", res.title)]
        elif kind == KIND_TOPIC and doc is not None:
            filters.append(("topic", doc.title))
        for cls in IGNORED_CLASSES:
            html = html.replace(f'class="{cls}"', f'class="{cls}" data-pagefind-ignore')
        return pf.wrap(pf.ignore_headerlinks(html), filters, meta)

    def _verify_anchors(self, rel: str, html: str) -> None:
        """Warn when a heading anchor that ``reflib check`` accepts is missing from the page."""
        assert self.built is not None
        doc = self.built.lib.documents.get(rel)
        if doc is None or doc.error is not None:
            return
        ids = set(re.findall(r'<h[1-6][^>]*\bid="([^"]*)"', html))
        for h in doc.headings:
            if h.anchor not in ids:
                self.warn(f"{rel}:{h.line}: heading '{h.text}' has anchor "
                          f"'#{h.anchor}' in reflib check but not in the built page")

    # --- after the pages ----------------------------------------------------------------

    def write_exports(self, site: Path, site_name: str, site_url: str | None,
                      previous: Path | None = None) -> None:
        """``catalog.json``, ``llms.txt`` and the markdown source of every library page next
        to it; a source unchanged since the previous build is moved from ``previous`` (that
        build's site) instead of copied."""
        assert self.built is not None
        lib = self.built.lib
        (site / "catalog.json").write_text(
            json.dumps(export.catalog(lib), indent=2, ensure_ascii=False) + "\n",
            encoding="utf-8")
        (site / "llms.txt").write_text(export.llms_txt(lib, site_name, site_url or None),
                                       encoding="utf-8")
        exported: dict[str, Document] = {}
        made: set[Path] = set()
        for doc in lib.documents.values():
            url = paths.markdown_url_for(doc.rel)
            target = site / url
            if doc.error is None and paths.is_safe_relative(url):
                if target.parent not in made:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    made.add(target.parent)
                exported[doc.rel] = doc
                if previous is not None and self._exported.get(doc.rel) is doc:
                    # unchanged since the previous build (the same document object): move
                    # that build's copy instead of copying the file again
                    try:
                        os.replace(previous / url, target)
                        continue
                    except OSError:
                        pass
                shutil.copyfile(doc.path, target)
        self._exported = exported if self.options.cache else {}


def add_extensions(extensions: list[Any]) -> None:
    """Add :data:`NEEDED_EXTENSIONS` to a ``markdown_extensions`` list in place."""
    names = {e.removeprefix("markdown.extensions.") for e in extensions if isinstance(e, str)}
    for name in NEEDED_EXTENSIONS:
        if name in names:
            continue
        for old, new in REPLACED_EXTENSIONS.items():
            if new == name:
                extensions[:] = [e for e in extensions if not (
                    isinstance(e, str) and e.removeprefix("markdown.extensions.") == old)]
        extensions.append(name)


def _evidence_flags(findings: list[check.Finding]) -> dict[str, Problems]:
    """Evidence findings by file and line, as ``(code, message)`` (marked in pages)."""
    out: dict[str, Problems] = {}
    for f in findings:
        if f.code.startswith("evidence"):
            out.setdefault(f.path, {}).setdefault(f.line, []).append((f.code, f.message))
    return out


def _first_line(doc: Any, markdown: str) -> tuple[int, bool]:
    """The file line of ``markdown``'s first line, and whether it is the file's body as is
    (site engines strip the front matter and the blank lines after it)."""
    try:
        fm = frontmatter.split(doc.read_text())
    except (OSError, UnicodeDecodeError, ReflibError):
        return doc.body_line, False
    body = fm.body
    stripped = body.lstrip("\n")
    first = fm.body_line + (len(body) - len(stripped))
    return first, stripped == markdown
