"""The MkDocs plugin: renders a reflib library as a site. Hooks only.

With ``docs_dir: refs``, ``theme: material`` and ``plugins: [reflib]`` a library builds into
a site: every manifest entry gets a page (its card, or a generated page), every full text a
page at ``sources/<id>/`` with GitHub-identical heading ids and "cited by" backlinks, evidence
links preview the cited passage, and a library index and a dashboard are added. What the site
holds is made by :class:`reflib.site.build.LibrarySite` and the search index by
:class:`reflib.site.searchbuild.SearchBuild`; this module translates MkDocs events into their
calls, and keeps MkDocs' own work small (cached renderings, full texts rendered in worker
processes, written pages reused, navigation memoized).
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page

from reflib.core import paths
from reflib.core.errors import ReflibError
from reflib.core.model import KIND_FULLTEXT
from reflib.engines.mkdocs import glue, renderpool
from reflib.engines.mkdocs.config import ReflibConfig, site_options
from reflib.engines.mkdocs.navcache import NavMemo
from reflib.site import build as sitebuild
from reflib.site import pagefind_index as pf
from reflib.site import sitegen
from reflib.site.build import ASSET_URI, ASSETS, ASSETS_DIR, SEARCH_ASSETS, THEME_DIR
from reflib.site.mdext import ReflibExtension
from reflib.site.mdrewrite import EVIDENCE_CLASS
from reflib.site.searchbuild import IndexedPage, SearchBuild
from reflib.site.sitecache import CACHE_DIR, OutputCache, PageCache, RenderedPage, code_key, digest

log = logging.getLogger("mkdocs.plugins.reflib")

REUSE_TEMPLATE = "reflib/reuse.html"
MATERIAL_SEARCH = ("search", "material/search")
KNOWN_PLUGINS = {"reflib", *MATERIAL_SEARCH}
"""Plugins whose page output reflib knows, so a page's written file can be reused."""
MAX_LISTED_WARNINGS = 50
"""Warnings listed in a strict build's error when the log level hid them."""


class ReflibPlugin(BasePlugin[ReflibConfig]):
    """Renders the reference library in ``docs_dir`` (the library's ``refs/``) as a site."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        self.root: Path | None = None
        self.lsite: sitebuild.LibrarySite | None = None
        self.ext = ReflibExtension(site=lambda: self.lsite.built.site
                                   if self.lsite and self.lsite.built else None)
        self.search = SearchBuild(log)
        self.serving = False
        self.user_nav = False
        self._strict = False
        self._raw_copied: dict[str, tuple[int, int]] = {}
        """Raw files the last build published, with their (mtime_ns, size) then."""
        self.page_cache = PageCache()
        self.output_cache = OutputCache()
        self._warm: Path | None = None
        """The on-disk cache folder (``cache`` on), else None."""
        self._warm_loaded = False
        self._dests: dict[str, str] = {}
        self._hits: dict[str, RenderedPage] = {}
        self._keys: dict[str, str] = {}
        self._reuse: set[str] = set()
        self._global_key = ""
        self._warned_search = False
        self._log_filter = glue.SkippedPageFilter(lambda: bool(self._reuse))
        self._anchor_filter = glue.GeneratedTargetFilter(
            lambda: self.config.checks != "none" and self.lsite is not None
            and self.lsite.lib is not None)
        self.nav_memo: NavMemo | None = None
        self.render_pool = renderpool.RenderPool()
        self._deferred: dict[str, tuple[Page, renderpool.Pending]] = {}
        self._made_folders: set[str] = set()

    # what tests and benchmarks read
    @property
    def stats(self) -> Any:
        return self.lsite.stats if self.lsite else None

    @property
    def indexer(self) -> pf.Indexer:
        return self.search.indexer

    @property
    def search_input(self) -> pf.SearchInput:
        return self.search.input

    @property
    def lib(self) -> Any:
        return self.lsite.lib if self.lsite else None

    # --- lifecycle ----------------------------------------------------------------------

    def on_startup(self, *, command: str, dirty: bool) -> None:
        # Defining on_startup also makes MkDocs keep this instance across serve rebuilds.
        self.serving = command == "serve"

    def on_shutdown(self) -> None:
        self.search.close()
        self.render_pool.stop()

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        docs = Path(config.docs_dir).resolve()
        self.root = Path(self.config.root).resolve() if self.config.root else docs.parent
        if docs != (self.root / paths.REFS_DIR).resolve():
            raise PluginError(f"reflib: docs_dir must be the library's refs/ folder "
                              f"({self.root / paths.REFS_DIR}), not {docs}")
        if self.lsite is None or self.lsite.root != self.root:
            self.lsite = sitebuild.LibrarySite(self.root, site_options(self.config), log)
        self.lsite.options = site_options(self.config)
        self.lsite.warnings = []
        self.user_nav = config.nav is not None
        self._strict = bool(config.strict)
        sitebuild.add_extensions(config.markdown_extensions)
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
        self._warm = self.root / CACHE_DIR if self.config.cache else None
        self.page_cache.use_disk(self._warm / "pages" / code_key() if self._warm else None,
                                 self.serving, glue.toc_data, glue.toc_from_data)
        build_log = logging.getLogger("mkdocs.commands.build")
        if self._log_filter not in build_log.filters:
            build_log.addFilter(self._log_filter)
        for name in glue.PAGE_LOGGERS:
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

    # --- files and navigation -----------------------------------------------------------

    @event_priority(-50)  # after other plugins added their files, so the nav sees them all
    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files:
        lsite = self.lsite
        assert lsite is not None
        self._hits, self._keys, self._reuse = {}, {}, set()
        try:
            built = lsite.refresh()
        except ReflibError as exc:
            raise PluginError(f"reflib: {exc}") from None
        lsite.generated = set()
        docs = Path(config.docs_dir).absolute()
        authored = {f.src_uri: f.abs_src_path for f in files if f.abs_src_path and
                    f.generated_by is None and Path(f.abs_src_path).absolute().is_relative_to(docs)}
        for uri in lsite.unpublished(authored):
            f = files.get_file_from_path(uri)
            if f is not None:
                files.remove(f)
        for asset in self._assets():
            self._add(files, File.generated(config, f"{ASSET_URI}/{asset}",
                                            abs_src_path=str(ASSETS_DIR / asset)))
        raw_copied: dict[str, tuple[int, int]] = {}
        for item in lsite.planned(lambda uri: files.get_file_from_path(uri) is not None):
            if item.raw:
                assert item.abs_src is not None
                self._add(files, self._raw_file(config, item.uri, item.abs_src, raw_copied))
                continue
            inclusion = InclusionLevel.INCLUDED if item.in_nav else InclusionLevel.NOT_IN_NAV
            if item.content is not None:
                f = File.generated(config, item.uri, content=item.content, inclusion=inclusion)
            else:
                assert item.abs_src is not None
                f = File.generated(config, item.uri, abs_src_path=item.abs_src,
                                   inclusion=inclusion)
            f.edit_uri = item.edit_uri
            self._add(files, f)
        if not self.user_nav:
            config.nav = lsite.nav([f.src_uri for f in files.documentation_pages()])
        self._global_key = digest(
            [str(e) if isinstance(e, str) else type(e).__name__
             for e in config.markdown_extensions],
            config.mdx_configs, config.use_directory_urls, dict(self.config),
            sorted(f.src_uri for f in files), str(config.validation))
        self.page_cache.retain({f.src_uri for f in files.documentation_pages()})
        self._raw_copied = raw_copied
        self._deferred = {}
        self.search.choose_depth(built.lib, len(files.documentation_pages()),
                                 self.config.search == "pagefind" and self.config.search_sections,
                                 self.config.search_records)
        workers = renderpool.workers_for(self.config.workers, sum(
            doc.path.stat().st_size for doc in built.lib.fulltexts.values()
            if doc.path.is_file()))
        self.render_pool.begin(self._global_key, renderpool.context_for(config, files, self)
                               if workers > 1 else None, workers)
        return files

    def _raw_file(self, config: MkDocsConfig, uri: str, src: str,
                  copied: dict[str, tuple[int, int]]) -> File:
        """A published raw file; under serve, one unchanged since the previous build is
        moved from that build's output instead of copied again (raw files can be large)."""
        f = glue.RawFile.generated(config, uri, abs_src_path=src)
        if not self.config.cache:
            return f
        try:
            st = os.stat(src)
        except OSError:
            return f
        copied[src] = (st.st_mtime_ns, st.st_size)
        stash = self.output_cache.stash
        if stash and self._raw_copied.get(src) == copied[src] and isinstance(f, glue.RawFile):
            f.previous = os.path.join(stash, f.dest_uri)
        return f

    def _add(self, files: Files, file: File) -> None:
        assert self.lsite is not None
        if files.get_file_from_path(file.src_uri) is not None:
            self.lsite.warn(f"{file.src_uri} already exists in {paths.REFS_DIR}/; "
                            f"the generated page for it is left out")
            return
        files.append(file)
        self.lsite.generated.add(file.src_uri)

    def on_nav(self, nav: Navigation, /, *, config: MkDocsConfig, files: Files) -> Navigation:
        config._reflib_nav = nav  # type: ignore[attr-defined]
        return nav

    # --- pages --------------------------------------------------------------------------

    def _library_rel(self, page: Page) -> str | None:
        assert self.lsite is not None
        return self.lsite.library_rel(page.file.src_uri, page.file.generated_by is None)

    @event_priority(-100)  # last: the cache key covers what other plugins did to the page
    def on_page_markdown(self, markdown: str, /, *, page: Page, config: MkDocsConfig,
                         files: Files) -> str:
        lsite = self.lsite
        if lsite is None or lsite.built is None:
            return markdown
        src = page.file.src_uri
        rel = self._library_rel(page)
        doc = lsite.built.lib.documents.get(rel) if rel else None
        self.ext.state.src_uri = src
        self.ext.state.enabled = rel is not None
        self.ext.state.fulltext_id = paths.fulltext_id(rel or "") \
            if doc is not None and doc.kind == KIND_FULLTEXT else None
        page.meta = lsite.page_meta(src, page.meta, rel)
        cache = self.config.cache and src != sitegen.DASHBOARD_URI
        deps: list[Any] = []
        original = markdown
        if rel is not None:
            markdown = lsite.markdown(src, rel, markdown, deps,
                                      (lambda d: self._cached(src, markdown, d)) if cache
                                      else None)
        if cache:
            key = self._keys.get(src) or digest(self._global_key, src, original, deps)
            self._keys[src] = key
            hit = self.page_cache.get(src, key)
            if hit is not None:
                self._hits[src] = hit
                page.render = glue.CachedRender(page, hit)  # type: ignore[method-assign]
        if rel is not None and src not in self._hits and self.render_pool.active:
            self._defer(page, markdown, rel)
        return markdown

    def _cached(self, src: str, markdown: str, deps: list[Any]) -> bool:
        """Whether the page's rendering is cached (its key kept: the markdown is hashed once)."""
        key = self._keys[src] = digest(self._global_key, src, markdown, deps)
        return self.page_cache.get(src, key) is not None

    def _defer(self, page: Page, markdown: str, rel: str) -> None:
        """Hand a full text's rendering to a worker (finished in :meth:`_finish_deferred`)."""
        assert self.lsite is not None and self.lsite.built is not None
        built = self.lsite.built
        doc, rid = built.lib.documents.get(rel), paths.fulltext_id(rel)
        if doc is None or doc.kind != KIND_FULLTEXT or not rid or EVIDENCE_CLASS in markdown:
            return
        backlinks = {(rid, anchor): built.site.backlinks[(rid, anchor)]
                     for anchor, _ in built.site.backlinks_of(rid)}
        pending = self.render_pool.submit(page.file.src_uri, markdown, rid, backlinks)
        if pending is not None:
            self._deferred[page.file.src_uri] = (page, pending)
            page.render = renderpool.Deferred(page)  # type: ignore[method-assign]

    def _finish_deferred(self, config: MkDocsConfig, files: Files) -> None:
        """Collect the workers' renderings and finish those pages as ``on_page_content``
        would have."""
        assert self.lsite is not None
        deferred, self._deferred = self._deferred, {}
        for src, (page, pending) in deferred.items():
            result = pending.result()
            if result is not None:
                renderpool.apply(page, result, files)
                self.lsite.stats.rendered_elsewhere += 1
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

    @event_priority(100)  # first: later plugins see the page as reflib made it
    def on_page_content(self, html: str, /, *, page: Page, config: MkDocsConfig,
                        files: Files) -> str:
        lsite = self.lsite
        if lsite is None or lsite.built is None or page.file.src_uri in self._deferred:
            return html
        src = page.file.src_uri
        rel = self._library_rel(page)
        hit = self._hits.get(src)
        if hit is not None:
            lsite.stats.cached += 1
            html = hit.html
        else:
            lsite.stats.rendered += 1
            lsite.stats.rendered_pages.append(src)
            html = lsite.html(src, rel, html)
            key = self._keys.get(src)
            if key is not None:
                links = None
                if page.links_to_anchors is not None:
                    links = {f.src_uri: dict(v) for f, v in page.links_to_anchors.items()}
                self.page_cache.put(src, RenderedPage(
                    key, html, page.toc, getattr(page, "_title_from_render", None),
                    set(page.present_anchor_ids or ()), links))
        return lsite.searchable(src, rel, html)

    # --- writing pages ------------------------------------------------------------------

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        self.search.stop()
        self._made_folders = set()
        site = Path(config.site_dir)
        if self._warm is not None and not self._warm_loaded:
            self._warm_loaded = True
            self._load_warm(site)
        if self.config.search == "pagefind":
            self.search.begin(self._warm)
        self.output_cache.begin()
        self.output_cache.stash = None
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
        pages = self._warm / "pages"
        if pages.is_dir():  # rendered pages another version of reflib left
            for folder in pages.iterdir():
                if folder.name != code_key() and folder.is_dir():
                    shutil.rmtree(folder, ignore_errors=True)
        data = self.output_cache.load(self._warm / "output.json", site)
        state = data.get("search") if data and self.config.search == "pagefind" else None
        self.search.adopt_warm(self._warm, state)

    def _save_warm(self, site: Path) -> None:
        """Leave what the next build in a new process can reuse (see :meth:`_load_warm`)."""
        assert self._warm is not None
        extra: dict[str, Any] = {}
        if self.config.search == "pagefind":
            state = self.search.save_warm(site, self._warm)
            if state is not None:
                extra["search"] = state
        self.output_cache.save(self._warm / "output.json", site, self._dests.get, extra)
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
        self.search.early = None
        if self.lib is not None and self.config.search == "pagefind" and not self.serving \
                and config.theme.name == "material":
            self._index_early(config, files)
        return env

    def _decide_reuse(self, config: MkDocsConfig, files: Files) -> None:
        """Mark the pages whose written file the previous build left can be kept."""
        reusable = set(config.plugins) <= KNOWN_PLUGINS
        nav = getattr(config, "_reflib_nav", None)
        nav_key = digest(glue.nav_shape(nav.items) if nav is not None else None,
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
        """Give the search every page's content with its head as Material's templates will
        write it (checked against the written page in ``on_post_page``), so Pagefind runs
        while the pages are written."""
        lang = str(config.theme.get("language") or "en")
        pages = [IndexedPage(file.dest_uri, page.content, page.url, page.title or "",
                             pf.predicted_head(lang, page.title, config.site_name,
                                               page.is_homepage, page.content))
                 for file in files.documentation_pages()
                 if (page := file.page) is not None and page.content
                 and pf.is_marked(page.content)]
        stash = Path(self.output_cache.stash) if self.output_cache.stash else None
        self.search.start_early(pages, Path(config.site_dir), stash, self._warm)

    @event_priority(-100)  # last: the reused file is the final output
    def on_post_page(self, output: str, /, *, page: Page, config: MkDocsConfig) -> str:
        src = page.file.src_uri
        stash = self.output_cache.stash
        reused = src in self._reuse and stash is not None
        if self.config.search == "pagefind" and page.content and pf.is_marked(page.content):
            self.search.add(page.file.dest_uri, output, page.content, page.url,
                            page.title or "", Path(stash) if reused and stash else None)
        if not reused:
            return output
        assert stash is not None
        target = Path(page.file.abs_dest_path)
        folder = str(target.parent)
        if folder not in self._made_folders:  # once per build: thousands of files share a few
            os.makedirs(folder, exist_ok=True)
            self._made_folders.add(folder)
        os.replace(os.path.join(stash, page.file.dest_uri), target)
        assert self.lsite is not None
        self.lsite.stats.reused += 1
        return ""  # MkDocs writes nothing for an empty output

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        lsite = self.lsite
        assert lsite is not None
        if self._strict and lsite.warnings:
            self._abort_strict(lsite.warnings)
        site = Path(config.site_dir)
        stash = Path(self.output_cache.stash) if self.output_cache.stash else None
        if lsite.lib is not None and self.config.exports:
            lsite.write_exports(site, config.site_name, config.site_url, stash)
        if lsite.lib is not None and self.config.search == "pagefind":
            self.search.write_settings(site)
            try:
                self.search.finish(site, stash, self._warm,
                                   background=self.serving and self.config.cache,
                                   keep_input=self.serving or self._warm is not None)
            except ReflibError as exc:
                raise PluginError(f"reflib: {exc}") from None
        if self._warm is not None and lsite.lib is not None and not self.serving:
            self._save_warm(site)
        st = lsite.stats
        log.debug(f"reflib: pages rendered {st.rendered} (in workers {st.rendered_elsewhere}), "
                  f"from the cache {st.cached}, written files reused {st.reused}")
        if stash:
            glue.remove_in_background(stash)
            self.output_cache.stash = None

    def on_build_error(self, *, error: Exception) -> None:
        self.search.stop()

    def _abort_strict(self, warnings: list[str]) -> None:
        """Fail a strict build on reflib's own warnings (listed when the log level hid them)."""
        self.search.stop()
        n = len(warnings)
        what = f"{n} reflib warning{'s' if n != 1 else ''} in strict mode"
        if log.isEnabledFor(logging.WARNING):
            raise PluginError(f"reflib: aborted with {what} (shown above)")
        shown = warnings[:MAX_LISTED_WARNINGS]
        more = f"\n  ... and {n - len(shown)} more" if n > len(shown) else ""
        raise PluginError(f"reflib: aborted with {what}:\n  " + "\n  ".join(shown) + more)

    def on_serve(self, server: Any, /, *, config: MkDocsConfig, builder: Any) -> Any:
        if self.root is not None:
            for folder in (self.root / paths.SOURCES_DIR, self.root / ".reflib"):
                if folder.is_dir():
                    server.watch(str(folder))
        return server
