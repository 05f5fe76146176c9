"""Full texts rendered by Python-Markdown in worker processes while the build goes on.

Full texts are most of a library's markdown (100 KB each is common) and each renders on its
own, so the plugin hands them to a pool of ``spawn``ed processes: when MkDocs asks for a full
text's rendering, :meth:`RenderPool.submit` sends the markdown exactly as it would go into
Python-Markdown, and the build goes on with the next page; before the theme templates run, the
plugin collects every result (:meth:`Pending.result`) and finishes the page as if it had been
rendered in place.

A worker renders as ``mkdocs.structure.pages.Page.render`` does: a ``markdown.Markdown`` with the
same extensions and configuration, reflib's own extension (with the full text's backlinks),
and MkDocs' processors for raw HTML anchors, heading ids, relative links and the title, reading
the site's files from a table of ``src_uri -> (url, inclusion)``. Messages the worker logs
(links MkDocs cannot resolve) are sent back and logged in the build process, under the same
logger names. The output is byte-identical to rendering in the build process
(``tests/test_navcache.py`` builds a library both ways); the plugin falls back to that when
anything cannot be sent to a worker or a worker fails.

Used only when every markdown extension is named by a string (an extension object of another
plugin may hold that plugin's state) and no other plugin handles ``on_page_content``.
"""

from __future__ import annotations

import concurrent.futures
import logging
import multiprocessing
import os
import pickle
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

from reflib.core.workers import die_with_parent

log = logging.getLogger("mkdocs.plugins.reflib")

SELF = "__reflib_extension__"
"""Stands for reflib's own extension object in the list sent to a worker."""


@dataclass
class BuildContext:
    """What every rendering of one build shares (sent once per worker and build)."""

    extensions: list[str]
    configs: dict[str, Any]
    use_directory_urls: bool
    links: dict[str, Any]
    """``validation.links`` of the MkDocs configuration."""
    files: dict[str, tuple[str, Any]]
    """``src_uri`` -> (url, ``InclusionLevel``) of every site file."""
    log_level: int


@dataclass
class Task:
    token: str
    context: bytes
    """The pickled :class:`BuildContext` (a worker unpickles it once per ``token``)."""
    src_uri: str
    markdown: str
    fulltext_id: str
    backlinks: dict[tuple[str, str], Any]


@dataclass
class Result:
    html: str
    toc_tokens: list[Any]
    title: str | None
    anchor_ids: set[str]
    links: dict[str, dict[str, str]]
    """``src_uri`` of the linked file -> its anchors -> the link as written."""
    records: list[tuple[str, int, str]] = field(default_factory=list)
    """(logger name, level, message) of what the worker logged."""


# --- the worker side ------------------------------------------------------------------

_context: tuple[str, BuildContext] | None = None


class _File:
    """What MkDocs' link processors read of a ``File``."""

    __slots__ = ("inclusion", "src_uri", "url")

    def __init__(self, src_uri: str, url: str, inclusion: Any) -> None:
        self.src_uri, self.url, self.inclusion = src_uri, url, inclusion

    def __hash__(self) -> int:
        return hash(self.src_uri)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _File) and other.src_uri == self.src_uri


class _Files:
    def __init__(self, table: dict[str, tuple[str, Any]]) -> None:
        self.table = table

    def get_file_from_path(self, path: str) -> _File | None:
        entry = self.table.get(path)
        return _File(path, *entry) if entry is not None else None


class _Site:
    """The part of :class:`reflib.site.sitegen.SiteData` a full text's rendering reads."""

    def __init__(self, backlinks: dict[tuple[str, str], Any]) -> None:
        self.backlinks = backlinks
        self.lib = SimpleNamespace(resources={})

    def preview(self, rid: str, fragment: str) -> None:  # pages with evidence links stay home
        return None


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.levelno, record.getMessage()))


def render(task: Task) -> Result:
    """Render one full text as ``Page.render`` would (runs in a worker)."""
    global _context
    import markdown
    from mkdocs.structure import pages as mkpages

    from reflib.site.mdext import ReflibExtension

    if _context is None or _context[0] != task.token:
        _context = (task.token, pickle.loads(task.context))
    ctx = _context[1]
    ext = ReflibExtension(site=lambda: cast(Any, _Site(task.backlinks)))
    ext.state.src_uri, ext.state.enabled, ext.state.fulltext_id = \
        task.src_uri, True, task.fulltext_id
    files = _Files(ctx.files)
    url, inclusion = ctx.files[task.src_uri]
    file = _File(task.src_uri, url, inclusion)
    config = SimpleNamespace(use_directory_urls=ctx.use_directory_urls,
                             validation=SimpleNamespace(links=SimpleNamespace(**ctx.links)))
    handler = _Records()
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(ctx.log_level)
    try:
        md = markdown.Markdown(
            extensions=[ext if e == SELF else e for e in ctx.extensions],
            extension_configs=ctx.configs or {})
        raw_html = mkpages._RawHTMLPreprocessor()
        raw_html._register(md)
        anchors = mkpages._ExtractAnchorsTreeprocessor(file, files, config)  # type: ignore[arg-type]
        anchors._register(md)
        relpath = mkpages._RelativePathTreeprocessor(file, files, config)  # type: ignore[arg-type]
        relpath._register(md)
        title = mkpages._ExtractTitleTreeprocessor()
        title._register(md)
        html = md.convert(task.markdown)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    links = {f.src_uri: dict(v) for f, v in relpath.links_to_anchors.items()}
    return Result(html, getattr(md, "toc_tokens", []), title.title,
                  anchors.present_anchor_ids | raw_html.present_anchor_ids, links,
                  handler.records)


# --- the build side -------------------------------------------------------------------


class Pending:
    """A full text being rendered by a worker."""

    def __init__(self, future: concurrent.futures.Future[Result]) -> None:
        self.future = future

    def result(self) -> Result | None:
        """The rendering, with its log messages replayed here; ``None`` if the worker failed
        (render the page in the build process instead)."""
        try:
            res = self.future.result()
        except Exception as exc:
            log.debug(f"reflib: rendering in a worker failed, rendering in place: {exc!r}")
            return None
        for name, level, message in res.records:
            logging.getLogger(name).log(level, message)
        return res


class RenderPool:
    """Worker processes for full texts, started on first use and kept until :meth:`stop`."""

    def __init__(self) -> None:
        self.executor: concurrent.futures.ProcessPoolExecutor | None = None
        self.workers = 0
        self.token = ""
        self.context: bytes | None = None
        self.broken = False

    def begin(self, token: str, context: BuildContext | None, workers: int) -> None:
        """Prepare for one build: ``context`` None (or ``workers`` < 2) renders in place."""
        self.token = token
        self.context = None
        if context is None or workers < 2 or self.broken:
            return
        try:
            self.context = pickle.dumps(context, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            log.debug(f"reflib: markdown configuration cannot go to a worker: {exc!r}")
            return
        if self.executor is not None and self.workers != workers:
            self.stop()
        self.workers = workers

    @property
    def active(self) -> bool:
        return self.context is not None

    def submit(self, src_uri: str, markdown: str, fulltext_id: str,
               backlinks: dict[tuple[str, str], Any]) -> Pending | None:
        if self.context is None:
            return None
        try:
            if self.executor is None:
                self.executor = concurrent.futures.ProcessPoolExecutor(
                    self.workers, mp_context=multiprocessing.get_context("spawn"),
                    initializer=die_with_parent, initargs=(os.getpid(),))
            future = self.executor.submit(render, Task(self.token, self.context, src_uri,
                                                       markdown, fulltext_id, backlinks))
        except Exception as exc:
            log.debug(f"reflib: worker pool unavailable, rendering in place: {exc!r}")
            self.broken = True
            self.context = None
            return None
        return Pending(future)

    def stop(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None


MIN_AUTO_BYTES = 2_000_000
"""With ``workers: 0`` (automatic), full texts smaller than this in all render in place:
starting the processes (about a second) would cost more than it saves."""
MAX_AUTO_WORKERS = 4


def workers_for(option: int, fulltext_bytes: int) -> int:
    """How many worker processes a build uses (fewer than 2: none)."""
    if option > 0:
        return option
    if fulltext_bytes < MIN_AUTO_BYTES:
        return 0
    return min(os.cpu_count() or 1, MAX_AUTO_WORKERS)


def context_for(config: Any, files: Any, plugin: Any) -> BuildContext | None:
    """The :class:`BuildContext` of a MkDocs build, or ``None`` when its pages cannot be
    rendered elsewhere: an extension given as an object (other than reflib's own), or another
    plugin that handles ``on_page_content`` (it would see the page before its rendering)."""
    if any(getattr(m, "__self__", None) is not plugin
           for m in config.plugins.events.get("page_content", ())):
        return None
    extensions: list[str] = []
    for ext in config.markdown_extensions:
        if ext is plugin.ext:
            extensions.append(SELF)
        elif isinstance(ext, str):
            extensions.append(ext)
        else:
            return None
    links = config.validation.links
    return BuildContext(
        extensions, dict(config.mdx_configs or {}), bool(config.use_directory_urls),
        {k: getattr(links, k) for k in ("not_found", "absolute_links", "unrecognized_links")},
        {f.src_uri: (f.url, f.inclusion) for f in files}, min(logging.getLogger("mkdocs").getEffectiveLevel(),
                logging.getLogger("MARKDOWN").getEffectiveLevel()))


class Deferred:
    """Stands in for ``Page.render`` while a worker renders the page."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def __call__(self, config: Any, files: Any) -> None:
        self.page.content = ""


def apply(page: Any, result: Result, files: Any) -> None:
    """Set on ``page`` what ``Page.render`` sets."""
    from mkdocs.structure import pages as mkpages
    from mkdocs.structure.toc import get_toc

    page.content = result.html
    page.toc = get_toc(result.toc_tokens)
    page._title_from_render = result.title
    page.present_anchor_ids = result.anchor_ids
    if mkpages.log.getEffectiveLevel() > logging.DEBUG:
        links = {}
        for src, anchors in result.links.items():
            target = files.get_file_from_path(src)
            if target is not None:
                links[target] = anchors
        page.links_to_anchors = links


__all__ = ["SELF", "BuildContext", "Deferred", "Pending", "RenderPool", "Result", "apply",
           "context_for", "workers_for"]
