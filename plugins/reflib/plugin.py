"""The MkDocs plugin: renders a reflib library as a site. Hooks only.

With ``docs_dir: refs``, ``theme: material`` and ``plugins: [reflib]`` a library builds into
a site: every manifest entry gets a page (its card, or a generated page), every full text a
page at ``sources/<id>/`` with GitHub-identical heading ids and "cited by" backlinks, evidence
links preview the cited passage, and a library index and a dashboard are added. Generation
lives in :mod:`reflib.sitegen`, link rewriting in :mod:`reflib.mdrewrite`, markdown features
in :mod:`reflib.mdext`, sanitizing in :mod:`reflib.sanitize`; this module wires them to
MkDocs events.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page

from . import check, export, frontmatter, mdrewrite, paths, sanitize, sitegen
from . import history as githistory
from .errors import ReflibError
from .mdext import ReflibExtension
from .model import KIND_CARD, KIND_FULLTEXT, KIND_TOPIC, Library, load

log = logging.getLogger("mkdocs.plugins.reflib")

ASSETS_DIR = Path(__file__).parent / "assets"
ASSET_URI = "assets/reflib"
ASSETS = ("reflib.css", "reflib.js")
NEEDED_EXTENSIONS = ("attr_list", "md_in_html", "admonition")


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

    checks = c.Choice(("links", "all", "none"), default="links")
    """Which ``reflib check`` rules run during the build, each finding a warning naming
    file and line (so ``mkdocs build --strict`` fails): ``links`` (links, anchors and
    evidence), ``all`` (every rule), or ``none``."""

    exports = c.Type(bool, default=True)
    """Write ``catalog.json`` and ``llms.txt`` at the site root (see :mod:`reflib.export`),
    and publish the markdown source of every card, topic, doc and full text next to its page
    (``llms.txt`` links to those)."""

    sanitize = c.Type(bool, default=True)
    """Sanitize the HTML of every library page (no script, event handlers or
    ``javascript:`` URLs). Keep it on: full texts come from the web."""


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

    # --- configuration ----------------------------------------------------------------

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        docs = Path(config.docs_dir).resolve()
        self.root = Path(self.config.root).resolve() if self.config.root else docs.parent
        if docs != (self.root / paths.REFS_DIR).resolve():
            raise PluginError(f"reflib: docs_dir must be the library's refs/ folder "
                              f"({self.root / paths.REFS_DIR}), not {docs}")
        self.user_nav = config.nav is not None
        names = [e for e in config.markdown_extensions if isinstance(e, str)]
        for name in NEEDED_EXTENSIONS:
            if name not in names and f"markdown.extensions.{name}" not in names:
                config.markdown_extensions.append(name)
        config.markdown_extensions.append(self.ext)
        for asset in ASSETS:
            target = config.extra_css if asset.endswith(".css") else config.extra_javascript
            uri = f"{ASSET_URI}/{asset}"
            if uri not in [str(x) for x in target]:
                target.append(uri)
        status = dict(config.extra.get("status") or {})
        for key, label in sitegen.NAV_STATUSES.items():
            status.setdefault(key, label)
        config.extra["status"] = status
        return config

    def _load(self) -> Library:
        assert self.root is not None
        try:
            lib = load(self.root)
        except ReflibError as exc:
            raise PluginError(f"reflib: {exc}") from None
        for finding in lib.manifest.shape_problems:
            raise PluginError(f"reflib: {paths.MANIFEST}:{finding[0]}: {finding[1]}")
        return lib

    # --- files and navigation -----------------------------------------------------------

    @event_priority(-50)  # after other plugins added their files, so the nav sees them all
    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files:
        lib = self.lib = self._load()
        self.site = sitegen.SiteData.build(lib)
        self.pages = sitegen.Pages(lib, self.site)
        self.generated = set()
        self._report_findings(lib)

        for asset in ASSETS:
            self._add(files, File.generated(config, f"{ASSET_URI}/{asset}",
                                            abs_src_path=str(ASSETS_DIR / asset)))
        for rid, res in lib.resources.items():
            uri = paths.site_resource_uri(rid)
            if res.card is None:
                f = File.generated(config, uri, content=self.pages.resource_page(res))
                f.edit_uri = "manifest.yaml"
                self._add(files, f)
            if self.config.publish_raw:
                for rel in sitegen.raw_files(lib, res):
                    self._add(files, File.generated(config, paths.site_raw_uri(rel),
                                                    abs_src_path=str(lib.root / rel)))
        for rid, doc in lib.fulltexts.items():
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
            f = File.generated(config, sitegen.DASHBOARD_URI,
                               content=self.pages.dashboard_page(self.history))
            f.edit_uri = "manifest.yaml"
            self._add(files, f)
        if not self.user_nav:
            uris = [f.src_uri for f in files.documentation_pages()]
            config.nav = sitegen.default_nav(lib, uris, by_type=self.config.nav_by_type)
        return files

    def _add(self, files: Files, file: File) -> None:
        existing = files.get_file_from_path(file.src_uri)
        if existing is not None:
            log.warning(f"reflib: {file.src_uri} already exists in {paths.REFS_DIR}/; "
                        f"the generated page for it is left out")
            return
        files.append(file)
        self.generated.add(file.src_uri)

    def _report_findings(self, lib: Library) -> None:
        if self.config.checks == "none":
            return
        if self.config.checks == "all":
            findings = check.run(lib)
        else:
            findings = sorted(set(check.check_links(lib)))
        for finding in findings:
            log.warning(f"reflib: {finding.text()}")

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
        rid_page = paths.site_resource_uri
        res = next((r for r in lib.resources.values() if rid_page(r.id) == src), None)
        if res is not None:
            page.meta["status"] = sitegen.nav_status(res)
        if rel is None:
            return markdown
        doc = lib.documents.get(rel)
        first_line, claims = 1, []
        if doc is not None:
            first_line, same = _first_line(doc, markdown)
            if same:
                claims = [(cl.line, cl.number) for cl in doc.claims if cl.number is not None]
        base_url = None
        if doc is not None and doc.kind == KIND_FULLTEXT and doc.meta:
            base_url = str(doc.meta.get("source_url") or "") or None
        root = lib.root
        result = mdrewrite.rewrite(markdown, rel, first_line, claims, base_url=base_url,
                                   exists=lambda r: (root / r).exists())
        markdown = result.markdown
        if doc is None:
            return markdown
        if doc.kind == KIND_FULLTEXT:
            rid = paths.fulltext_id(rel) or ""
            self.ext.state.fulltext_id = rid
            fres = lib.resources.get(rid)
            if fres is not None:
                page.meta["status"] = sitegen.nav_status(fres)
            markdown = mdrewrite.insert_after_title(markdown, pages.fulltext_header(fres, doc))
        elif doc.kind == KIND_CARD and res is not None:
            markdown = mdrewrite.insert_after_title(markdown, pages.resource_header(res))
        elif doc.kind == KIND_TOPIC:
            markdown = mdrewrite.insert_after_title(markdown, pages.topic_listing(doc.stem))
        return markdown

    def on_page_content(self, html: str, /, *, page: Page, config: MkDocsConfig,
                        files: Files) -> str:
        if self.lib is None:
            return html
        src = page.file.src_uri
        rel = self._library_rel(page)
        ours = rel is not None or src in self.generated
        if ours and self.config.sanitize:
            html = sanitize.clean(html)
        if rel is not None:
            self._verify_anchors(rel, html)
        if src == sitegen.DASHBOARD_URI and src in self.generated:
            svg = sitegen.burndown(self.lib, self.history)
            html = re.sub(r'<div class="reflib-chart"[^>]*>\s*</div>',
                          lambda _: f'<div class="reflib-chart">{svg}</div>', html, count=1)
        return html

    def _verify_anchors(self, rel: str, html: str) -> None:
        """Warn when a heading anchor that ``reflib check`` accepts is missing from the page."""
        assert self.lib is not None
        doc = self.lib.documents.get(rel)
        if doc is None or doc.error is not None:
            return
        ids = set(re.findall(r'<h[1-6][^>]*\bid="([^"]*)"', html))
        for h in doc.headings:
            if h.anchor not in ids:
                log.warning(f"reflib: {rel}:{h.line}: heading '{h.text}' has anchor "
                            f"'#{h.anchor}' in reflib check but not in the built page")

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if self.lib is None or not self.config.exports:
            return
        site = Path(config.site_dir)
        lib = self.lib
        (site / "catalog.json").write_text(
            json.dumps(export.catalog(lib), indent=2, ensure_ascii=False) + "\n",
            encoding="utf-8")
        (site / "llms.txt").write_text(
            export.llms_txt(lib, config.site_name, config.site_url or None), encoding="utf-8")
        for doc in lib.documents.values():
            target = site / paths.markdown_url_for(doc.rel)
            if doc.error is None and paths.is_safe_relative(paths.markdown_url_for(doc.rel)):
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(doc.path, target)

    # --- serve ------------------------------------------------------------------------

    def on_serve(self, server: Any, /, *, config: MkDocsConfig, builder: Any) -> Any:
        if self.root is not None:
            for folder in (self.root / paths.SOURCES_DIR, self.root / ".reflib"):
                if folder.is_dir():
                    server.watch(str(folder))
        return server


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
