"""The MkDocs plugin: renders a reflib library as a site. Hooks only.

With ``docs_dir: refs``, ``theme: material`` and ``plugins: [reflib]`` a library builds into
a site: every manifest entry gets a page (its card, or a generated page), every full text a
page at ``sources/<id>/`` with GitHub-identical heading ids and "cited by" backlinks, evidence
links preview the cited passage, and a library index and a dashboard are added. Generation
lives in :mod:`reflib.site.sitegen`, link rewriting in :mod:`reflib.site.mdrewrite`, markdown features
in :mod:`reflib.site.mdext`, sanitizing in :mod:`reflib.site.sanitize`; this module wires them to
MkDocs events.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import shutil
import threading
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page

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
from reflib.engines.mkdocs import renderpool
from reflib.engines.mkdocs.navcache import NavMemo
from reflib.lookup import export
from reflib.site import mdrewrite, sanitize, sitegen
from reflib.site import pagefind_index as pf
from reflib.site.mdext import BACKLINKS_CLASS, ReflibExtension
from reflib.site.mdrewrite import EVIDENCE_CLASS
from reflib.site.sitecache import (
    CACHE_DIR,
    OutputCache,
    PageCache,
    RenderedPage,
    Stats,
    code_key,
    digest,
)

log = logging.getLogger("mkdocs.plugins.reflib")

ASSETS_DIR = Path(__file__).resolve().parents[2] / "assets"
ASSET_URI = "assets/reflib"
ASSETS = ("reflib.css", "reflib.js")
SEARCH_ASSETS = ("reflib-search.js",)
NEEDED_EXTENSIONS = ("attr_list", "md_in_html", "admonition", "tables", "def_list", "footnotes",
                     "pymdownx.superfences", "pymdownx.tasklist")
"""Markdown extensions the library's content needs (what converters and scaffolds write:
fences with a title, task lists, definition lists, footnotes), added when ``mkdocs.yml`` lacks
them, so that what ``reflib check`` reads is what the site renders."""
REPLACED_EXTENSIONS = {"fenced_code": "pymdownx.superfences"}
"""An extension that another needed one replaces (SuperFences handles every fence)."""
THEME_DIR = Path(__file__).resolve().parents[2] / "templates" / "theme"
REUSE_TEMPLATE = "reflib/reuse.html"
MATERIAL_SEARCH = ("search", "material/search")
KNOWN_PLUGINS = {"reflib", *MATERIAL_SEARCH}
"""Plugins whose page output reflib knows, so a page's written file can be reused."""
Problems = dict[int, list[tuple[str, str]]]
"""File line -> ``(code, message)`` of the checker's findings there."""
MAX_LISTED_WARNINGS = 50
"""Warnings listed in a strict build's error when the log level hid them."""
IGNORED_CLASSES = (BACKLINKS_CLASS, "reflib-fulltext-header", "reflib-badges",
                   "reflib-topic-resources", "reflib-meta")
"""Blocks kept out of the search index (the site's own chrome inside the article)."""


class ReflibConfig(base.Config):
    """Options of the ``reflib`` plugin (all optional)."""

    root = c.Optional(c.Type(str))
    """The library root (the folder holding ``refs/manifest.yaml``). Default: the parent of
    ``docs_dir``, which must be the library's ``refs/`` folder."""

    index = c.Type(bool, default=True)
    """Generate the library index as the home page (``index.md``) unless ``refs/index.md``
    exists: every resource with its badges, filterable and sortable."""

    index_title = c.Type(str, default="Library")
    """Title of the generated index page."""

    dashboard = c.Type(bool, default=True)
    """Generate ``dashboard.md``: counts per status by priority and phase, progress per
    tier, the queue of next work, cards awaiting review and a burn-down chart."""

    history = c.Type(bool, default=True)
    """Draw the dashboard's burn-down chart from the git history of ``refs/manifest.yaml``."""

    history_max_commits = c.Type(int, default=githistory.MAX_COMMITS)
    """How many of the newest commits of the manifest the burn-down chart reads."""

    publish_raw = c.Type(bool, default=True)
    """Publish the raw artifacts under ``sources/<id>/raw/``. Only passive formats (pdf,
    images, json, txt, csv) keep their name; html, svg, xml and every other file is published
    with ``.txt`` appended, so the site never serves them as active content."""

    nav_by_type = c.Type(bool, default=True)
    """In the generated navigation (used only when ``mkdocs.yml`` has no ``nav``), group
    resources by type; otherwise list them alphabetically."""

    checks = c.Choice(("links", "all", "none"), default="all")
    """Which ``reflib check`` rules run during the build, each finding a warning naming
    file and line (so ``mkdocs build --strict`` fails): ``all`` (every rule of ``reflib
    check`` but ``--external``: a strict build fails exactly when ``reflib check`` does),
    ``links`` (links, anchors, evidence, quotes, approvals, and the manifest's keys and
    values; not statuses, front matter or raw-file hashes), or ``none``. The dashboard's
    Problems panel lists the findings."""

    exports = c.Type(bool, default=True)
    """Write ``catalog.json`` and ``llms.txt`` at the site root (see :mod:`reflib.lookup.export`),
    and publish the markdown source of every card, topic, doc and full text next to its page
    (``llms.txt`` links to those)."""

    sanitize = c.Type(bool, default=True)
    """Sanitize the HTML of every library page (no script, event handlers or
    ``javascript:`` URLs). Keep it on: full texts come from the web."""

    search = c.Choice(("pagefind", "material", "none"), default="pagefind")
    """Site search. ``pagefind`` (default): after the build, Pagefind indexes cards, topics,
    docs and full texts (the article only, not the site chrome) with filters for kind, type,
    status, priority and topic, and a search button in the header opens it; Material's
    ``search`` plugin, when listed, is set aside (an info message says so; strict builds
    still pass). Needs ``pip install 'pagefind[bin]'``. ``material``: keep Material's lunr
    search, with full texts excluded from it (its single index would hold every full text).
    ``none``: no search."""

    search_sections = c.Type(bool, default=True)
    """With Pagefind: index each section of a page (cut at its ``h2``-``h6`` headings) as a
    result of its own, so a lookup finds the section rather than a long page; the sections
    below the cut show as sub-results. ``false`` indexes whole pages (results grouped per
    page, the sections as sub-results)."""

    search_records = c.Type(int, default=6000)
    """With ``search_sections``: the most records the Pagefind index may hold. Each costs
    the indexer about 50 KB of memory, so when the library's headings would make more, pages
    are cut at fewer levels (``h2``-``h3``, ..., only ``h2``, then whole pages; an info
    message says which). The default keeps the indexer within about 300 MB of what whole
    pages need."""

    nav_cache = c.Type(bool, default=True)
    """Render each item of Material's navigation once per distinct output instead of once
    per page: an item whose section does not hold the current page renders alike on every
    page with the same relative links to it, so its stored HTML is reused (see
    :mod:`reflib.engines.mkdocs.navcache`). The pages are byte-identical either way; with a large library
    the navigation is most of the build time. Applies only when the theme's
    ``partials/nav.html`` and ``partials/nav-item.html`` are Material's own."""

    workers = c.Type(int, default=0)
    """Processes that render full texts with Python-Markdown while the build goes on (see
    :mod:`reflib.engines.mkdocs.renderpool`); the pages are byte-identical to rendering them in the build
    process. ``0`` (default): one per CPU (up to 4) when the full texts add up to 2 MB or
    more; ``1``: none."""

    cache = c.Type(bool, default=True)
    """Under ``mkdocs serve``, keep rendered pages between rebuilds and re-render only pages
    whose inputs changed (their markdown, the backlinks and evidence previews they show, the
    configuration); a page whose output would not change is not written again. Unchanged
    library files are not re-read. Rendered pages, the pages written and the search input
    are also kept on disk, in ``.cache/reflib/build/`` of the library (keep it out of git),
    so that a fresh build or ``mkdocs serve`` starts warm: an unchanged page is neither
    rendered nor written again, and an unchanged search index is not rebuilt."""


class ReflibPlugin(BasePlugin[ReflibConfig]):
    """Renders the reference library in ``docs_dir`` (the library's ``refs/``) as a site."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        self.lib: Library | None = None
        self.site: sitegen.SiteData | None = None
        self.pages: sitegen.Pages | None = None
        self.root: Path | None = None
        self.ext = ReflibExtension(site=lambda: self.site)
        self.user_nav = False
        self.generated: set[str] = set()
        self.history: list[githistory.Snapshot] | None = None
        self.serving = False
        self.stats = Stats()
        self.doc_cache: DocumentCache = {}
        self.manifest_cache = ManifestCache()
        self.link_checks = check.LinkChecks()
        self.previews: sitegen.PreviewMemo = {}
        self.render_memo = sitegen.RenderMemo()
        self._exported: dict[str, Document] = {}
        """Markdown sources the last build published, as the model had them then."""
        self._raw_copied: dict[str, tuple[int, int]] = {}
        """Raw files the last build published, with their (mtime_ns, size) then."""
        self.page_cache = PageCache()
        self.output_cache = OutputCache()
        self.indexer = pf.Indexer()
        self.search_input = pf.SearchInput()
        self._section_depth = 6
        self._logged_depth = 6
        self._warm: Path | None = None
        """The on-disk cache folder (``cache`` on), else None."""
        self._warm_loaded = False
        self._early: dict[str, pf.Head] | None = None
        """Pages whose search documents were written in ``on_env``, with the predicted head
        (None: written from each page's output in ``on_post_page``)."""
        self._early_mismatch = 0
        self._early_pages = 0
        self._early_writes = 0
        self._early_kept = False
        self._bundle: str | None = None
        """The fingerprint of the search bundle the previous process left in the site."""
        self._dests: dict[str, str] = {}
        self._lib_signature: str | None = None
        self._findings: list[check.Finding] = []
        self._flags: dict[str, Problems] = {}
        """Library file -> file line of an evidence line -> the problems found there."""
        self._strict = False
        self._warnings: list[str] = []
        """The warnings reflib logged in this build (counted for strict mode)."""
        self._hits: dict[str, RenderedPage] = {}
        self._keys: dict[str, str] = {}
        self._reuse: set[str] = set()
        self._global_key = ""
        self._site_dir: Path | None = None
        self._warned_search = False
        self._log_filter = _SkippedPageFilter(self)
        self._anchor_filter = _GeneratedTargetFilter(self)
        self.nav_memo: NavMemo | None = None
        self.render_pool = renderpool.RenderPool()
        self._deferred: dict[str, tuple[Page, renderpool.Pending]] = {}
        self._made_folders: set[str] = set()
        """Folders of the site made in this build."""

    # --- lifecycle ----------------------------------------------------------------------

    def on_startup(self, *, command: str, dirty: bool) -> None:
        # Defining on_startup also makes MkDocs keep this instance across serve rebuilds.
        self.serving = command == "serve"

    def on_shutdown(self) -> None:
        self.indexer.stop()
        self.search_input.remove()
        self.render_pool.stop()

    # --- configuration ----------------------------------------------------------------

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        docs = Path(config.docs_dir).resolve()
        self.root = Path(self.config.root).resolve() if self.config.root else docs.parent
        if docs != (self.root / paths.REFS_DIR).resolve():
            raise PluginError(f"reflib: docs_dir must be the library's refs/ folder "
                              f"({self.root / paths.REFS_DIR}), not {docs}")
        self.user_nav = config.nav is not None
        self._strict = bool(config.strict)
        self._warnings = []
        _add_extensions(config.markdown_extensions)
        config.markdown_extensions.append(self.ext)
        if self.config.search == "pagefind":
            self._drop_material_search(config)
        if THEME_DIR.is_dir() and str(THEME_DIR) not in config.theme.dirs:
            config.theme.dirs.append(str(THEME_DIR))
        for asset in self._assets():
            target = config.extra_css if asset.endswith(".css") else config.extra_javascript
            uri = f"{ASSET_URI}/{asset}"
            if uri not in [str(x) for x in target]:
                target.append(uri)
        status = dict(config.extra.get("status") or {})
        for key, label in sitegen.NAV_STATUSES.items():
            status.setdefault(key, label)
        config.extra["status"] = status
        self._site_dir = Path(config.site_dir)
        self._warm = self.root / CACHE_DIR if self.config.cache else None
        self.page_cache.use_disk(self._warm / "pages" / code_key() if self._warm else None,
                                 self.serving, _toc_data, _toc_from_data)
        build_log = logging.getLogger("mkdocs.commands.build")
        if self._log_filter not in build_log.filters:
            build_log.addFilter(self._log_filter)
        for name in PAGE_LOGGERS:
            pages_log = logging.getLogger(name)
            if self._anchor_filter not in pages_log.filters:
                pages_log.addFilter(self._anchor_filter)
        return config

    def _assets(self) -> tuple[str, ...]:
        return ASSETS + (SEARCH_ASSETS if self.config.search == "pagefind" else ())

    def _drop_material_search(self, config: MkDocsConfig) -> None:
        """Remove Material's search plugin and its event handlers (Pagefind replaces it)."""
        for name in [n for n in config.plugins if n in MATERIAL_SEARCH]:
            plugin = config.plugins.pop(name)
            for event, methods in config.plugins.events.items():
                config.plugins.events[event] = [
                    m for m in methods if getattr(m, "__self__", None) is not plugin]
            if not self._warned_search:
                self._warned_search = True
                log.info("reflib: Material's 'search' plugin is replaced by Pagefind "
                            "(reflib option search: pagefind); remove 'search' from plugins, "
                            "or set the reflib option 'search: material' to keep it")
        if not pf.available():
            raise PluginError("reflib: search: pagefind needs Pagefind: "
                              "pip install 'pagefind[bin]' (or set the reflib option "
                              "'search: material' or 'search: none')")

    def _load(self) -> Library:
        assert self.root is not None
        cache = self.doc_cache if self.config.cache else None
        before = dict(cache) if cache is not None else {}
        try:
            lib = load(self.root, cache, self.manifest_cache if cache is not None else None)
        except ReflibError as exc:
            raise PluginError(f"reflib: {exc}") from None
        for finding in lib.manifest.shape_problems:
            raise PluginError(f"reflib: {paths.MANIFEST}:{finding[0]}: {finding[1]}")
        if cache is not None:
            self.stats.model_reloaded = sum(1 for rel, v in cache.items()
                                            if before.get(rel) is not v)
            self.stats.manifest_reparsed = self.manifest_cache.reloaded
        else:
            self.stats.model_reloaded = len(lib.documents)
        return lib

    def _library_signature(self) -> str | None:
        """Modification times and sizes of every file the model and the pages read."""
        if self.root is None or not self.config.cache:
            return None
        entries: list[tuple[str, int, int]] = []
        for top in (paths.REFS_DIR, paths.SOURCES_DIR, ".reflib"):
            base = self.root / top
            for dirpath, dirnames, filenames in os.walk(base):
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

    # --- files and navigation -----------------------------------------------------------

    @event_priority(-50)  # after other plugins added their files, so the nav sees them all
    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files:
        self.stats.reset()
        self.stats.builds += 1
        self._hits, self._keys, self._reuse = {}, {}, set()
        signature = self._library_signature()
        if (signature is not None and signature == self._lib_signature
                and self.lib is not None and self.site is not None):
            lib = self.lib
            self.stats.model_reused = True
        else:
            lib = self.lib = self._load()
            self.site = sitegen.SiteData.build(lib, self.previews if self.config.cache else None)
            self.render_memo.begin()
            self.pages = sitegen.Pages(lib, self.site,
                                       self.render_memo if self.config.cache else None)
            self._findings = self._findings_of(lib)
            self._flags = _evidence_flags(self._findings)
            self._lib_signature = signature
        assert self.pages is not None
        self.generated = set()
        raw_copied: dict[str, tuple[int, int]] = {}
        for finding in self._findings:
            self._warn(finding.text())

        self._drop_outside(files, Path(config.docs_dir), lib.root)
        self._drop_unreadable(files, lib)
        for asset in self._assets():
            self._add(files, File.generated(config, f"{ASSET_URI}/{asset}",
                                            abs_src_path=str(ASSETS_DIR / asset)))
        for rid, res in lib.resources.items():
            uri = paths.site_resource_uri(rid)
            if res.card is None or files.get_file_from_path(uri) is None:
                # no card, or one that cannot be read (left out above): the generated page
                f = File.generated(config, uri, content=self.pages.resource_page(res))
                f.edit_uri = "manifest.yaml"
                self._add(files, f)
            if self.config.publish_raw:
                for rel in self.pages.raw_files(res):
                    self._add(files, self._raw_file(config, rel, raw_copied))
        for rid, doc in lib.fulltexts.items():
            if doc.outside or (doc.error is not None and not isinstance(doc.error, SyntaxProblem)):
                continue
            f = File.generated(config, paths.site_fulltext_uri(rid), abs_src_path=str(doc.path),
                               inclusion=InclusionLevel.NOT_IN_NAV)
            f.edit_uri = "../" + doc.rel
            self._add(files, f)
        has_index = any(files.get_file_from_path(n) for n in ("index.md", "README.md"))
        if self.config.index and not has_index:
            f = File.generated(config, sitegen.INDEX_URI,
                               content=self.pages.index_page(self.config.index_title))
            f.edit_uri = "manifest.yaml"
            self._add(files, f)
        if self.config.dashboard and not files.get_file_from_path(sitegen.DASHBOARD_URI):
            self.history = githistory.status_history(lib.root, self.config.history_max_commits) \
                if self.config.history else None
            rereview: list[dict[str, Any]] | None = None if self.config.checks == "none" or any(
                f.code in check.APPROVAL_CODES for f in self._findings) else []
            f = File.generated(config, sitegen.DASHBOARD_URI,
                               content=self.pages.dashboard_page(
                                   self.history, rereview,
                                   None if self.config.checks == "none" else self._findings,
                                   self.config.checks))
            f.edit_uri = "manifest.yaml"
            self._add(files, f)
        if not self.user_nav:
            uris = [f.src_uri for f in files.documentation_pages()]
            config.nav = sitegen.default_nav(lib, uris, by_type=self.config.nav_by_type)
        self._global_key = digest(
            [str(e) if isinstance(e, str) else type(e).__name__
             for e in config.markdown_extensions],
            config.mdx_configs, config.use_directory_urls, dict(self.config),
            sorted(f.src_uri for f in files), str(config.validation))
        self.page_cache.retain({f.src_uri for f in files.documentation_pages()})
        self._raw_copied = raw_copied
        self._deferred = {}
        self._section_depth = self._search_depth(lib, files)
        workers = renderpool.workers_for(self.config.workers, sum(
            doc.path.stat().st_size for doc in lib.fulltexts.values() if doc.path.is_file()))
        self.render_pool.begin(self._global_key, renderpool.context_for(config, files, self)
                               if workers > 1 else None, workers)
        return files

    def _search_depth(self, lib: Library, files: Files) -> int:
        """The heading level down to which indexed pages are cut into search records (1:
        whole pages), within the ``search_records`` budget."""
        if self.config.search != "pagefind" or not self.config.search_sections:
            return 1
        depth = pf.section_depth(
            (h.level for doc in lib.documents.values() for h in doc.headings),
            len(files.documentation_pages()), self.config.search_records)
        if depth != self._logged_depth and depth < 6:
            cut = "whole pages" if depth == 1 else "h2 sections" if depth == 2 \
                else f"h2-h{depth} sections"
            log.info(f"reflib: search records are {cut}, within search_records: "
                     f"{self.config.search_records} (deeper sections show as sub-results)")
        self._logged_depth = depth
        return depth

    def _drop_outside(self, files: Files, docs: Path, root: Path) -> None:
        """Leave out every file of the docs folder that is a symbolic link to a place outside
        the library (a card linked to a secret file is never published). Theme files are not
        the library's and stay."""
        docs = docs.absolute()
        for f in list(files):
            src = f.abs_src_path
            if not src or f.generated_by is not None or not Path(src).absolute().is_relative_to(
                    docs):
                continue
            if paths.outside(Path(src), root):
                files.remove(f)
                self._warn(f"{paths.REFS_DIR}/{f.src_uri} is a symbolic link to a place outside "
                           f"the library; it is not published (copy the file in instead)")

    def _drop_unreadable(self, files: Files, lib: Library) -> None:
        """Leave out library pages that cannot be read as text (not UTF-8, unreadable): MkDocs
        would stop with a traceback; the finding names the file and what to do."""
        for doc in lib.documents.values():
            if doc.error is None or doc.outside or not doc.rel.startswith(paths.REFS_DIR + "/"):
                continue
            if isinstance(doc.error, SyntaxProblem):
                continue  # front matter that does not parse: the page still reads as text
            f = files.get_file_from_path(doc.rel[len(paths.REFS_DIR) + 1:])
            if f is not None:
                files.remove(f)
                self._warn(f"{doc.rel}: {doc.error.message}; the page is left out of the site")

    def _raw_file(self, config: MkDocsConfig, rel: str,
                  copied: dict[str, tuple[int, int]]) -> File:
        """A published raw file; under serve, one unchanged since the previous build is
        moved from that build's output instead of copied again (raw files can be large)."""
        assert self.lib is not None
        src = str(self.lib.root / rel)
        f = _RawFile.generated(config, paths.site_raw_uri(rel), abs_src_path=src)
        if not self.config.cache:
            return f
        try:
            st = os.stat(src)
        except OSError:
            return f
        copied[src] = (st.st_mtime_ns, st.st_size)
        stash = self.output_cache.stash
        if stash and self._raw_copied.get(src) == copied[src] and isinstance(f, _RawFile):
            f.previous = os.path.join(stash, f.dest_uri)
        return f

    def _add(self, files: Files, file: File) -> None:
        existing = files.get_file_from_path(file.src_uri)
        if existing is not None:
            self._warn(f"{file.src_uri} already exists in {paths.REFS_DIR}/; "
                       f"the generated page for it is left out")
            return
        files.append(file)
        self.generated.add(file.src_uri)

    def _warn(self, message: str) -> None:
        """Log a warning and count it: a strict build fails on reflib's warnings whatever the
        log level (MkDocs counts only the warnings its logger lets through, so ``-q`` would
        hide them from ``--strict``)."""
        self._warnings.append(message)
        log.warning(f"reflib: {message}")

    def _findings_of(self, lib: Library) -> list[check.Finding]:
        if self.config.checks == "none":
            return []
        # under serve, documents whose links and link targets are unchanged keep their findings
        links = self.link_checks if self.config.cache else None
        if self.config.checks == "all":
            findings = check.run(lib, links=links)
        else:
            # the manifest's own values are always checked: a value check rejects (a type
            # or topic carrying markup) must not build cleanly either
            findings = sorted(set(links.run(lib) if links is not None
                                  else check.check_links(lib)) | set(check.check_manifest(lib)))
        if links is not None:
            self.stats.checked = links.checked
        return findings

    # --- pages --------------------------------------------------------------------------

    def _library_rel(self, page: Page) -> str | None:
        """The root-relative path of the library file behind ``page``, if any."""
        src = page.file.src_uri
        rid = paths.site_fulltext_id(src)
        if rid and src in self.generated:
            return paths.fulltext_rel(rid)
        if page.file.generated_by is None:
            return f"{paths.REFS_DIR}/{src}"
        return None

    @event_priority(-100)  # last: the cache key covers what other plugins did to the page
    def on_page_markdown(self, markdown: str, /, *, page: Page, config: MkDocsConfig,
                         files: Files) -> str:
        lib, pages = self.lib, self.pages
        if lib is None or pages is None:
            return markdown
        src = page.file.src_uri
        rel = self._library_rel(page)
        self.ext.state.src_uri = src
        self.ext.state.enabled = rel is not None
        self.ext.state.fulltext_id = None
        page.meta = sanitize.clean_meta(page.meta)
        res = self._resource_of(src)
        if res is not None:
            page.meta["status"] = sitegen.nav_status(res)
        deps: list[Any] = []
        original = markdown
        if rel is not None:
            markdown = self._library_markdown(markdown, page, rel, deps)
        if self.config.search == "material" and rel is not None and paths.fulltext_id(rel):
            page.meta["search"] = {"exclude": True}
        if self.config.cache and src != sitegen.DASHBOARD_URI:
            key = self._keys.get(src) or digest(self._global_key, src, original, deps)
            self._keys[src] = key
            hit = self.page_cache.get(src, key)
            if hit is not None:
                self._hits[src] = hit
                page.render = _CachedRender(page, hit)  # type: ignore[method-assign]
        if rel is not None and src not in self._hits and self.render_pool.active:
            self._defer(page, markdown, rel)
        return markdown

    def _defer(self, page: Page, markdown: str, rel: str) -> None:
        """Hand a full text's rendering to a worker (finished in :meth:`_finish_deferred`)."""
        assert self.lib is not None and self.site is not None
        doc, rid = self.lib.documents.get(rel), paths.fulltext_id(rel)
        if doc is None or doc.kind != KIND_FULLTEXT or not rid or EVIDENCE_CLASS in markdown:
            return
        site = self.site
        backlinks = {(rid, anchor): site.backlinks[(rid, anchor)]
                     for anchor, _ in site.backlinks_of(rid)}
        pending = self.render_pool.submit(page.file.src_uri, markdown, rid, backlinks)
        if pending is not None:
            self._deferred[page.file.src_uri] = (page, pending)
            page.render = renderpool.Deferred(page)  # type: ignore[method-assign]

    def _finish_deferred(self, config: MkDocsConfig, files: Files) -> None:
        """Collect the workers' renderings and finish those pages as ``on_page_content``
        would have."""
        deferred, self._deferred = self._deferred, {}
        for src, (page, pending) in deferred.items():
            result = pending.result()
            if result is not None:
                renderpool.apply(page, result, files)
                self.stats.rendered_elsewhere += 1
            else:
                del page.render  # the class's own
                rel = self._library_rel(page)
                self.ext.state.src_uri, self.ext.state.enabled = src, True
                self.ext.state.fulltext_id = paths.fulltext_id(rel or "")
                page.render(config, files)
            page.content = self.on_page_content(page.content or "", page=page, config=config,
                                                files=files)
        if not self.serving:
            self.render_pool.stop()

    def _resource_of(self, src: str) -> Any:
        assert self.lib is not None
        rid = src[len("resources/"):-3] if src.startswith("resources/") else None
        res = self.lib.resources.get(rid) if rid else None
        return res if res is not None and paths.site_resource_uri(res.id) == src else None

    def _library_markdown(self, markdown: str, page: Page, rel: str, deps: list[Any]) -> str:
        """Links rewritten, claim anchors and the header block added.

        ``deps`` receives what the output depends on besides ``markdown`` (the header block,
        the model's claims, backlinks and evidence previews); when that makes a cache hit,
        the markdown is returned as it is (the cached rendering replaces it)."""
        lib, pages, site = self.lib, self.pages, self.site
        assert lib is not None and pages is not None and site is not None
        src = page.file.src_uri
        doc = lib.documents.get(rel)
        res = self._resource_of(src)
        header = None
        if doc is not None:
            if doc.kind == KIND_FULLTEXT:
                rid = paths.fulltext_id(rel) or ""
                self.ext.state.fulltext_id = rid
                fres = lib.resources.get(rid)
                if fres is not None:
                    page.meta["status"] = sitegen.nav_status(fres)
                deps.append(site.backlinks_of(rid))
                header = pages.fulltext_header(fres, doc)
            elif doc.kind == KIND_CARD and res is not None:
                header = pages.resource_header(res, doc.title)
            elif doc.kind == KIND_TOPIC:
                header = pages.topic_listing(doc.stem)
            deps.append([header, doc.body_line, [(cl.line, cl.number) for cl in doc.claims],
                         self._flags.get(rel)])
            for ev in doc.evidence:
                for link in ev.links:
                    target = paths.resolve_link(rel, link.target)
                    cited_id = paths.fulltext_id(target.rel or "")
                    if cited_id:
                        cited = lib.resources.get(cited_id)
                        deps.append([link.target, cited.title if cited else cited_id,
                                     site.preview(cited_id, target.fragment or "")])
        if self.config.cache and src != sitegen.DASHBOARD_URI:
            # the page's cache key (on_page_markdown uses it: the markdown is hashed once)
            key = self._keys[src] = digest(self._global_key, src, markdown, deps)
            if self.page_cache.get(src, key):
                return markdown
        first_line, claims = 1, []
        problems: Problems = {}
        if doc is not None:
            first_line, same = _first_line(doc, markdown)
            if same:
                claims = [(cl.line, cl.number) for cl in doc.claims if cl.number is not None]
                problems = self._flags.get(rel) or {}
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

    @event_priority(100)  # first: later plugins see the page as reflib made it
    def on_page_content(self, html: str, /, *, page: Page, config: MkDocsConfig,
                        files: Files) -> str:
        if self.lib is None or page.file.src_uri in self._deferred:
            return html
        src = page.file.src_uri
        rel = self._library_rel(page)
        hit = self._hits.get(src)
        if hit is not None:
            self.stats.cached += 1
            html = hit.html
        else:
            self.stats.rendered += 1
            self.stats.rendered_pages.append(src)
            ours = rel is not None or src in self.generated
            if ours and self.config.sanitize:
                html = sanitize.clean(html)
            if ours and self.config.search == "pagefind":
                html = pf.strip_attributes(html)
            if rel is not None:
                self._verify_anchors(rel, html)
            if src == sitegen.DASHBOARD_URI and src in self.generated:
                svg = sitegen.burndown(self.lib, self.history)
                html = re.sub(r'<div class="reflib-chart"[^>]*>\s*</div>',
                              lambda _: f'<div class="reflib-chart">{svg}</div>', html, count=1)
            key = self._keys.get(src)
            if key is not None:
                links = None
                if page.links_to_anchors is not None:
                    links = {f.src_uri: dict(v) for f, v in page.links_to_anchors.items()}
                self.page_cache.put(src, RenderedPage(
                    key, html, page.toc, getattr(page, "_title_from_render", None),
                    set(page.present_anchor_ids or ()), links))
        if self.config.search == "pagefind" and (rel is not None or (
                src in self.generated and self._resource_of(src) is not None)):
            html = self._searchable(html, page, rel)
        return html

    def _searchable(self, html: str, page: Page, rel: str | None) -> str:
        """The page content marked for Pagefind: body, filters, metadata, ignored blocks."""
        assert self.lib is not None
        lib = self.lib
        doc = lib.documents.get(rel) if rel else None
        kind = doc.kind if doc is not None else "doc"
        rid = paths.fulltext_id(rel) if rel and kind == KIND_FULLTEXT else None
        res = lib.resources.get(rid) if rid else self._resource_of(page.file.src_uri)
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
        assert self.lib is not None
        doc = self.lib.documents.get(rel)
        if doc is None or doc.error is not None:
            return
        ids = set(re.findall(r'<h[1-6][^>]*\bid="([^"]*)"', html))
        for h in doc.headings:
            if h.anchor not in ids:
                self._warn(f"{rel}:{h.line}: heading '{h.text}' has anchor "
                           f"'#{h.anchor}' in reflib check but not in the built page")

    # --- writing pages ------------------------------------------------------------------

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        self.indexer.stop()
        self._made_folders = set()
        if self._warm is not None and not self._warm_loaded:
            self._warm_loaded = True
            self._load_warm(Path(config.site_dir))
        if self.config.search == "pagefind":
            self.search_input.begin(self._warm)
        self.output_cache.begin()
        self.output_cache.stash = None
        site = Path(config.site_dir)
        if self.config.cache and self.output_cache.previous and site.is_dir():
            # MkDocs empties the site folder next; keep the previous pages to reuse
            stash = site.with_name(site.name + ".reflib-prev")
            shutil.rmtree(stash, ignore_errors=True)
            site.rename(stash)
            site.mkdir()
            self.output_cache.stash = str(stash)

    def _load_warm(self, site: Path) -> None:
        """Take what the last build in another process left in the on-disk cache: the keys
        of the pages it wrote (those still in ``site`` as written) and its search input."""
        assert self._warm is not None
        self._prune_code_folders(self._warm / "pages")
        data = self.output_cache.load(self._warm / "output.json", site)
        search = data.get("search") if data else None
        if self.config.search != "pagefind" or not isinstance(search, dict):
            shutil.rmtree(self._warm / "search", ignore_errors=True)
            return
        claimed = self._warm / f"search.{os.getpid()}"
        try:
            (self._warm / "search").rename(claimed)
        except OSError:
            return
        if self.search_input.adopt(claimed, search.get("input")):
            self._bundle = search.get("bundle") if isinstance(search.get("bundle"), str) \
                else None
        else:
            shutil.rmtree(claimed, ignore_errors=True)

    @staticmethod
    def _prune_code_folders(pages: Path) -> None:
        """Delete the rendered pages another version of reflib left."""
        if pages.is_dir():
            for folder in pages.iterdir():
                if folder.name != code_key() and folder.is_dir():
                    shutil.rmtree(folder, ignore_errors=True)

    def _save_warm(self, site: Path) -> None:
        """Leave what the next build in a new process can reuse (see :meth:`_load_warm`)."""
        assert self._warm is not None
        extra: dict[str, Any] = {}
        folder = self.search_input.folder
        if self.config.search == "pagefind" and folder is not None and \
                not self.search_input.dirty:
            target = self._warm / "search"
            shutil.rmtree(target, ignore_errors=True)
            try:
                folder.rename(target)
            except OSError:
                pass
            else:
                bundle = _bundle_fingerprint(site)
                if bundle is not None and bundle != _bundle_fingerprint(self._warm):
                    # a copy for a build with no site folder left (CI with this cache)
                    _replace_tree(site / pf.BUNDLE_DIR, self._warm / pf.BUNDLE_DIR)
                extra["search"] = {"input": self.search_input.state(), "bundle": bundle}
                self.search_input.detach()
        dests = self._dests
        self.output_cache.save(self._warm / "output.json", site, dests.get, extra)
        self.page_cache.prune()

    def on_env(self, env: Any, /, *, config: MkDocsConfig, files: Files) -> Any:
        """Memoize Material's navigation items; decide which pages can keep the file
        written by the previous build; start the search index (the pages' content is all
        rendered now: Pagefind runs while the theme writes the pages)."""
        self._finish_deferred(config, files)
        self.nav_memo = None
        if self.config.nav_cache:
            memo = NavMemo()
            self.nav_memo = memo if memo.install(env) else None
        if self.config.cache and self.lib is not None:
            self._decide_reuse(config, files)
        self._early = None
        if self.lib is not None and self.config.search == "pagefind" and not self.serving \
                and config.theme.name == "material":
            self._index_early(config, files)
        return env

    def _decide_reuse(self, config: MkDocsConfig, files: Files) -> None:
        """Mark the pages whose written file the previous build left can be kept."""
        reusable = set(config.plugins) <= KNOWN_PLUGINS
        nav = getattr(config, "_reflib_nav", None)
        nav_key = digest(_nav_shape(nav.items) if nav is not None else None,
                         {k: config.get(k) for k in (
                             "site_name", "site_url", "site_description", "site_author",
                             "repo_url", "repo_name", "edit_uri", "copyright", "extra",
                             "extra_css", "extra_javascript", "use_directory_urls")},
                         {k: v for k, v in config.theme.items()}, config.theme.dirs)
        stash = self.output_cache.stash
        self._dests = {}
        for file in files.documentation_pages():
            page = file.page
            if page is None or page.content is None:
                continue
            self._dests[file.src_uri] = file.dest_uri
            key = digest(nav_key, file.src_uri, file.dest_uri, page.url, page.title,
                         page.meta, page.content, page.edit_url, page.canonical_url,
                         [(p.url, p.title) if p else None
                          for p in (page.previous_page, page.next_page)],
                         [(a.title, getattr(a, "url", None)) for a in page.ancestors])
            if self.output_cache.unchanged(file.src_uri, key) and reusable and stash \
                    and os.path.isfile(os.path.join(stash, file.dest_uri)):
                page.meta["template"] = REUSE_TEMPLATE
                self._reuse.add(file.src_uri)

    def _index_early(self, config: MkDocsConfig, files: Files) -> None:
        """Write the search input from the rendered content, each page's head as Material's
        templates will write it (checked against the written page in ``on_post_page``), and
        start Pagefind in the background (or keep the previous index when nothing
        changed)."""
        lang = str(config.theme.get("language") or "en")
        early: dict[str, pf.Head] = {}
        for file in files.documentation_pages():
            page = file.page
            if page is None or not page.content or not pf.is_marked(page.content):
                continue
            head = pf.predicted_head(lang, page.title, config.site_name, page.is_homepage,
                                     page.content)
            early[file.dest_uri] = head
            self.search_input.add(file.dest_uri, self._records(head, page))
        self._early = early
        self._early_mismatch = 0
        self._early_pages = self.search_input.finish()
        self._early_writes = self.search_input.writes
        site = Path(config.site_dir)
        stash = Path(self.output_cache.stash) if self.output_cache.stash else None
        self._early_kept = self._keep_bundle(site, stash)
        if not self._early_kept:
            pf.release_free_memory()
            assert self.search_input.folder is not None
            self.indexer.start(self.search_input.folder, site)

    def on_nav(self, nav: Navigation, /, *, config: MkDocsConfig, files: Files) -> Navigation:
        config._reflib_nav = nav  # type: ignore[attr-defined]
        return nav

    @event_priority(-100)  # last: the reused file is the final output
    def on_post_page(self, output: str, /, *, page: Page, config: MkDocsConfig) -> str:
        src = page.file.src_uri
        reused = src in self._reuse and self.output_cache.stash is not None
        if self.config.search == "pagefind" and page.content and pf.is_marked(page.content):
            self._add_to_search(page, output, reused)
        if not reused:
            return output
        assert self.output_cache.stash is not None
        target = Path(page.file.abs_dest_path)
        self._folder_for(target)
        os.replace(os.path.join(self.output_cache.stash, page.file.dest_uri), target)
        self.stats.reused += 1
        return ""  # MkDocs writes nothing for an empty output

    def _folder_for(self, target: Path) -> None:
        """Make ``target``'s folder (once per build: thousands of files share a few)."""
        folder = str(target.parent)
        if folder not in self._made_folders:
            os.makedirs(folder, exist_ok=True)
            self._made_folders.add(folder)

    def _records(self, head: pf.Head, page: Page) -> list[str]:
        assert page.content is not None
        return pf.records(head, page.content, page.url, page.title or "", self._section_depth)

    def _add_to_search(self, page: Page, output: str, reused: bool) -> None:
        """Give Pagefind the page's marked content (see :class:`pf.SearchInput`); when the
        index was started early, check the head the theme wrote against the predicted one
        (a differing page is written again, and indexed again after the build)."""
        dest = page.file.dest_uri
        if self._early is not None:
            predicted = self._early.get(dest)
            if reused and predicted is not None:
                return
            real = pf.head_of(output, page.content or "")
            if predicted is None or pf.head_key(real) != pf.head_key(predicted):
                self._early_mismatch += 1
                self.search_input.add(dest, self._records(real, page))
            return
        if reused:
            if self.search_input.keep(dest):
                return
            # the written page is the previous build's: its head is in that file
            assert self.output_cache.stash is not None
            with open(os.path.join(self.output_cache.stash, dest), encoding="utf-8",
                      errors="replace") as f:
                output = f.read(65536)
        assert page.content is not None
        self.search_input.add(dest, self._records(pf.head_of(output, page.content), page))

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if self._strict and self._warnings:
            self._abort_strict()
        site = Path(config.site_dir)
        stash = self.output_cache.stash
        if self.lib is not None and self.config.exports:
            self._write_exports(site, config)
        if self.lib is not None and self.config.search == "pagefind":
            self._write_search_settings(site)
            self._index(site, Path(stash) if stash else None)
        if self._warm is not None and self.lib is not None and not self.serving:
            self._save_warm(site)
        st = self.stats
        log.debug(f"reflib: pages rendered {st.rendered} (in workers {st.rendered_elsewhere}), "
                  f"from the cache {st.cached}, written files reused {st.reused}")
        if stash:
            _remove_in_background(Path(stash))
            self.output_cache.stash = None

    def _write_search_settings(self, site: Path) -> None:
        """What the search script needs to know of this build's index (``search.json``
        beside it): how pages were cut into records and how many results to show at once,
        so that a query loads about as much whatever the cut (a whole page's fragment holds
        its whole text: fewer of them per screen)."""
        depth = self._section_depth
        settings = {"records": "pages" if depth == 1 else "h2" if depth == 2 else f"h2-h{depth}",
                    "page_size": pf.PAGE_SIZE_PAGES if depth == 1 else pf.PAGE_SIZE_SECTIONS}
        target = site / ASSET_URI / "search.json"
        self._folder_for(target)
        target.write_text(json.dumps(settings) + "\n", encoding="utf-8")

    def on_build_error(self, *, error: Exception) -> None:
        self.indexer.stop()

    def _abort_strict(self) -> None:
        """Fail a strict build on reflib's own warnings (listed when the log level hid them)."""
        self.indexer.stop()
        n = len(self._warnings)
        what = f"{n} reflib warning{'s' if n != 1 else ''} in strict mode"
        if log.isEnabledFor(logging.WARNING):
            raise PluginError(f"reflib: aborted with {what} (shown above)")
        shown = self._warnings[:MAX_LISTED_WARNINGS]
        more = f"\n  ... and {n - len(shown)} more" if n > len(shown) else ""
        raise PluginError(f"reflib: aborted with {what}:\n  " + "\n  ".join(shown) + more)

    def _keep_bundle(self, site: Path, stash: Path | None) -> bool:
        """Put the previous build's index in ``site`` when it is of the very same documents
        (from the previous site, moved, or the on-disk cache, copied); False when there is
        none to keep."""
        if self.search_input.dirty or self._bundle is None:
            return False
        if stash is not None and _bundle_fingerprint(stash) == self._bundle:
            (stash / pf.BUNDLE_DIR).rename(site / pf.BUNDLE_DIR)
            return True
        if self._warm is not None and _bundle_fingerprint(self._warm) == self._bundle:
            _replace_tree(self._warm / pf.BUNDLE_DIR, site / pf.BUNDLE_DIR)
            return True
        return False

    def _finish_early(self, site: Path) -> None:
        """Wait for the index started in ``on_env``; index again now when a page's head was
        not as predicted (or the early run failed)."""
        pages, sections = self._early_pages, self.search_input.documents
        if self._early_kept and self.search_input.writes == self._early_writes:
            log.info(f"reflib: Pagefind index unchanged ({pages} pages, {sections} sections): "
                     f"kept")
            return
        self.indexer.wait()
        source = self.search_input.folder
        assert source is not None
        try:
            if self.search_input.writes != self._early_writes or self.indexer.error:
                if self._early_mismatch:
                    log.info(f"reflib: {self._early_mismatch} page(s) have another head than "
                             f"Material's templates give; indexing again")
                seconds = self.indexer.run(source, site)
                when = ""
            else:
                seconds = self.indexer.seconds or 0.0
                when = ", while the pages were written"
            self.search_input.indexed()
        except ReflibError as exc:
            raise PluginError(f"reflib: {exc}") from None
        finally:
            if self._warm is None:
                self.search_input.remove()
        log.info(f"reflib: Pagefind indexed {pages} pages ({self.search_input.documents} "
                 f"sections) in {seconds:.1f} s{when}")

    def _index(self, site: Path, stash: Path | None) -> None:
        if self._early is not None:
            self._finish_early(site)
            return
        pages = self.search_input.finish()
        # the indexer runs while this process lives: hand freed heap back to the system
        pf.release_free_memory()
        source = self.search_input.folder
        assert source is not None
        if self.serving and self.config.cache:
            # serve: keep the previous index until the new one is written in the background
            if stash is not None and (stash / pf.BUNDLE_DIR).is_dir():
                (stash / pf.BUNDLE_DIR).rename(site / pf.BUNDLE_DIR)
            self.indexer.start(source, site)
            return
        if self._keep_bundle(site, stash):
            log.info(f"reflib: Pagefind index unchanged ({pages} pages, "
                     f"{self.search_input.documents} sections): kept")
            return
        try:
            seconds = self.indexer.run(source, site)
            self.search_input.indexed()
        except ReflibError as exc:
            raise PluginError(f"reflib: {exc}") from None
        finally:
            if not self.serving and self._warm is None:
                self.search_input.remove()
        log.info(f"reflib: Pagefind indexed {pages} pages ({self.search_input.documents} "
                 f"sections) in {seconds:.1f} s")

    def _write_exports(self, site: Path, config: MkDocsConfig) -> None:
        assert self.lib is not None
        lib = self.lib
        (site / "catalog.json").write_text(
            json.dumps(export.catalog(lib), indent=2, ensure_ascii=False) + "\n",
            encoding="utf-8")
        (site / "llms.txt").write_text(
            export.llms_txt(lib, config.site_name, config.site_url or None), encoding="utf-8")
        stash = self.output_cache.stash
        exported: dict[str, Document] = {}
        for doc in lib.documents.values():
            url = paths.markdown_url_for(doc.rel)
            target = site / url
            if doc.error is None and paths.is_safe_relative(url):
                self._folder_for(target)
                exported[doc.rel] = doc
                if stash and self._exported.get(doc.rel) is doc:
                    # unchanged since the previous build (the same document object): move
                    # that build's copy instead of copying the file again
                    try:
                        os.replace(os.path.join(stash, url), target)
                        continue
                    except OSError:
                        pass
                shutil.copyfile(doc.path, target)
        self._exported = exported if self.config.cache else {}

    # --- serve ------------------------------------------------------------------------

    def on_serve(self, server: Any, /, *, config: MkDocsConfig, builder: Any) -> Any:
        if self.root is not None:
            for folder in (self.root / paths.SOURCES_DIR, self.root / ".reflib"):
                if folder.is_dir():
                    server.watch(str(folder))
        return server


class _RawFile(File):
    """A published raw file that may be moved from the previous build's output."""

    previous: str | None = None
    """The file as the previous build wrote it, when its source is unchanged since."""

    def copy_file(self, dirty: bool = False) -> None:
        if self.previous is not None:
            target = self.abs_dest_path
            os.makedirs(os.path.dirname(target), exist_ok=True)
            try:
                os.replace(self.previous, target)
                return
            except OSError:
                pass
        super().copy_file(dirty)


def _remove_in_background(folder: Path) -> None:
    """Delete the previous build's leftovers without making the rebuild wait for it."""
    trash = folder.with_name(f"{folder.name}.{os.getpid()}.{next(_TRASH)}.trash")
    try:
        folder.rename(trash)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        return
    threading.Thread(target=shutil.rmtree, args=(trash,), kwargs={"ignore_errors": True},
                     name="reflib-remove", daemon=True).start()


_TRASH = itertools.count()


def _replace_tree(source: Path, target: Path) -> None:
    """``target`` becomes a copy of ``source`` (made beside it, then swapped in)."""
    tmp = target.with_name(target.name + ".reflib-tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(source, tmp)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)


def _bundle_fingerprint(site: Path) -> str | None:
    """What identifies the search bundle in ``site`` (None when it has none)."""
    try:
        return digest((site / pf.BUNDLE_DIR / "pagefind-entry.json").read_text(encoding="utf-8"))
    except OSError:
        return None


def _toc_data(toc: Any) -> Any:
    """A table of contents as JSON data (:func:`_toc_from_data` turns it back)."""
    return [[a.title, a.id, a.level, _toc_data(a.children)] for a in toc]


def _toc_from_data(data: Any) -> Any:
    from mkdocs.structure.toc import AnchorLink, TableOfContents

    def links(items: Any) -> list[AnchorLink]:
        out = []
        for title, anchor, level, children in items:
            link = AnchorLink(title, anchor, level)
            link.children = links(children)
            out.append(link)
        return out

    return TableOfContents(links(data))


class _CachedRender:
    """Stands in for ``Page.render`` on a cache hit: sets what rendering would set."""

    def __init__(self, page: Page, entry: RenderedPage) -> None:
        self.page = page
        self.entry = entry

    def __call__(self, config: MkDocsConfig, files: Files) -> None:
        page, entry = self.page, self.entry
        page.content = entry.html
        page.toc = entry.toc
        page._title_from_render = entry.title
        page.present_anchor_ids = set(entry.anchor_ids) if entry.anchor_ids is not None \
            else None
        if entry.links_to_anchors is not None:
            links = {}
            for src, anchors in entry.links_to_anchors.items():
                target = files.get_file_from_path(src)
                if target is not None:
                    links[target] = dict(anchors)
            page.links_to_anchors = links


PAGE_LOGGERS = ("mkdocs.structure.pages", "properdocs.structure.pages")
"""Where MkDocs (and ProperDocs) report links to a missing page or anchor."""

_MKDOCS_LINK_NOTE = re.compile(r"^Doc file '[^']*' contains a link '[^']*', but the (?:doc|target) "
                               r"'([^']*)' (?:does not contain an anchor|is not found)")


class _GeneratedTargetFilter(logging.Filter):
    """Hides MkDocs' notes on links into the full-text pages reflib generates
    (``sources/<id>/index.md``, a file no author wrote): reflib checks those links itself
    and reports the problem against the link as written, with its file and line."""

    def __init__(self, plugin: ReflibPlugin) -> None:
        super().__init__()
        self.plugin = plugin

    def filter(self, record: logging.LogRecord) -> bool:
        if self.plugin.config.checks == "none" or self.plugin.lib is None:
            return True
        m = _MKDOCS_LINK_NOTE.match(record.getMessage())
        return not (m and paths.site_fulltext_id(m.group(1)) is not None)


class _SkippedPageFilter(logging.Filter):
    """Hides MkDocs' "Page skipped" notes for pages whose previous file was reused."""

    def __init__(self, plugin: ReflibPlugin) -> None:
        super().__init__()
        self.plugin = plugin

    def filter(self, record: logging.LogRecord) -> bool:
        return not (self.plugin._reuse and record.getMessage().startswith("Page skipped"))


def _add_extensions(extensions: list[Any]) -> None:
    """Add :data:`NEEDED_EXTENSIONS` to a MkDocs ``markdown_extensions`` list in place."""
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


def _nav_shape(items: Any) -> list[Any]:
    """What the rendered navigation shows: titles, URLs, page statuses, nesting."""
    out: list[Any] = []
    for item in items or ():
        meta = getattr(item, "meta", None) or {}
        out.append([type(item).__name__, item.title, getattr(item, "url", None),
                    meta.get("status"), _nav_shape(getattr(item, "children", None))])
    return out


def _first_line(doc: Any, markdown: str) -> tuple[int, bool]:
    """The file line of ``markdown``'s first line, and whether it is the file's body as is
    (MkDocs strips the front matter and the blank lines after it)."""
    try:
        fm = frontmatter.split(doc.read_text())
    except (OSError, UnicodeDecodeError, ReflibError):
        return doc.body_line, False
    body = fm.body
    stripped = body.lstrip("\n")
    first = fm.body_line + (len(body) - len(stripped))
    return first, stripped == markdown
