"""Fast rebuilds under ``mkdocs serve``: rendered pages and written pages kept between builds.

MkDocs keeps a plugin instance across the rebuilds of one ``mkdocs serve`` when the plugin has
an ``on_startup`` hook, so the reflib plugin holds a :class:`SiteCache` for the whole session:

* **Rendered content** (:class:`PageCache`): a page's HTML, toc, title and anchors, keyed by a
  hash of everything its rendering reads: the markdown as the plugin hands it to Python-Markdown
  (resource headers and topic listings are part of it), the backlinks of a full text, the
  evidence previews a card shows, the set of site files (links resolve against it), the
  markdown configuration, the plugin's options and reflib's version. A hit skips Python-Markdown,
  sanitizing and the anchor check.
* **Written pages** (:class:`OutputCache`): after a rebuild, a page whose content hash, title,
  metadata, neighbours and whole navigation are unchanged would be written byte for byte as
  before, so the previous file is moved into the new site instead of rendering the theme
  template again (with a large navigation that template, not markdown, is the cost of a page).
  Used only when every plugin is one whose page output reflib knows (reflib and search).

Both also live on disk, under ``.cache/reflib/build/`` of the library, so that a fresh
``mkdocs build`` or ``mkdocs serve`` of a library that did not change (or changed a little)
starts warm: a rendered page is a JSON file named by its key (:class:`PageCache` with
``disk``), and the output keys of the pages the last build wrote are saved with each file's
size and modification time (:meth:`OutputCache.save`), so a page is reused only when its
file in the site folder is the very one that build wrote. Everything is keyed by content
hashes, reflib's version and the code of the installed package (:func:`code_key`); a cache
that cannot be read is ignored (the build is cold), never trusted. The files are JSON, not
pickles: a library checked out from elsewhere may carry a ``.cache`` folder.

Nothing here imports MkDocs; the plugin passes plain values.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from reflib import __version__

CACHE_DIR = Path(".cache") / "reflib" / "build"
"""Where a build keeps what the next one can reuse, relative to the library root."""


@cache
def code_key() -> str:
    """reflib's version and the size and modification time of every file of the installed
    package (code, templates, assets): an edited or reinstalled reflib starts cold."""
    package = Path(__file__).resolve().parents[1]
    entries = []
    for folder, dirs, names in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            st = os.stat(os.path.join(folder, name))
            entries.append((os.path.relpath(os.path.join(folder, name), package),
                            st.st_size, st.st_mtime_ns))
    return hashlib.blake2b(json.dumps([__version__, entries]).encode(),
                           digest_size=16).hexdigest()


def write_file(path: Path, data: str) -> None:
    """Write a cache file whole or not at all (a temporary file renamed into place; no
    fsync: losing a cache file costs only time)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def digest(*parts: Any) -> str:
    """A stable hash of ``parts`` (strings, numbers, lists, dicts; others by ``repr``)."""
    h = hashlib.blake2b(digest_size=20)
    h.update(__version__.encode())
    for part in parts:
        if isinstance(part, str):
            data = part
        else:
            data = json.dumps(part, sort_keys=True, default=repr, ensure_ascii=False)
        h.update(len(data).to_bytes(8, "little"))
        h.update(data.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


@dataclass
class Stats:
    """What the last build did (for tests, benchmarks and ``--verbose`` logs)."""

    builds: int = 0
    rendered: int = 0
    """Pages rendered by Python-Markdown."""
    cached: int = 0
    """Pages whose rendered content came from the cache."""
    reused: int = 0
    """Pages whose written file was reused (no theme template render)."""
    rendered_elsewhere: int = 0
    """Of the pages rendered, those a worker process rendered (:mod:`reflib.engines.mkdocs.renderpool`)."""
    model_reloaded: int = 0
    """Markdown files of the library read again (changed or new)."""
    model_reused: bool = False
    """True when no library file changed, so the model was not rebuilt at all."""
    manifest_reparsed: bool = False
    """Whether the manifest was parsed again (it changed, or the first build)."""
    checked: int = 0
    """Documents whose links were checked again (the others kept their findings)."""
    rendered_pages: list[str] = field(default_factory=list, repr=False)

    def reset(self) -> None:
        self.rendered = self.cached = self.reused = self.model_reloaded = 0
        self.rendered_elsewhere = 0
        self.model_reused = self.manifest_reparsed = False
        self.checked = 0
        self.rendered_pages = []


@dataclass
class RenderedPage:
    """What MkDocs' ``Page.render`` produces, as the plugin left it after ``on_page_content``."""

    key: str
    html: str
    toc: Any
    title: str | None
    anchor_ids: set[str] | None
    links_to_anchors: dict[str, dict[str, str]] | None
    """``src_uri`` of the linked page -> its anchors (MkDocs keeps ``File`` objects)."""


class PageCache:
    """Rendered pages by ``src_uri``; one entry per page (the newest).

    With :meth:`use_disk`, every entry put is also written to a folder as JSON named by its
    key, and a key missing in memory is looked up there; ``keep=False`` holds nothing in
    memory (a one-off build needs each page once)."""

    def __init__(self) -> None:
        self.pages: dict[str, RenderedPage] = {}
        self.disk: Path | None = None
        self.keep = True
        self.used: set[str] = set()
        """Keys looked up or stored since :meth:`use_disk` (what :meth:`prune` keeps)."""
        self._toc_out: Callable[[Any], Any] = lambda toc: toc
        self._toc_in: Callable[[Any], Any] = lambda data: data

    def use_disk(self, folder: Path | None, keep: bool, toc_out: Callable[[Any], Any],
                 toc_in: Callable[[Any], Any]) -> None:
        """Back the cache by ``folder`` (None: memory only). ``toc_out`` and ``toc_in``
        turn a table of contents into JSON data and back."""
        self.disk, self.keep = folder, keep
        self._toc_out, self._toc_in = toc_out, toc_in
        self.used = set()
        if not keep:
            self.pages = {}

    def _path(self, key: str) -> Path:
        assert self.disk is not None
        return self.disk / key[:2] / f"{key}.json"

    def get(self, src: str, key: str) -> RenderedPage | None:
        entry = self.pages.get(src)
        if entry is not None and entry.key == key:
            return entry
        if self.disk is None:
            return None
        self.used.add(key)
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
            entry = RenderedPage(key, data["html"], self._toc_in(data["toc"]), data["title"],
                                 None if data["anchors"] is None else set(data["anchors"]),
                                 data["links"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if entry.key != data.get("key") or not isinstance(entry.html, str):
            return None
        if self.keep:
            self.pages[src] = entry
        return entry

    def put(self, src: str, entry: RenderedPage) -> None:
        if self.keep:
            self.pages[src] = entry
        if self.disk is None:
            return
        self.used.add(entry.key)
        with contextlib.suppress(OSError):  # a cache: the build goes on without
            write_file(self._path(entry.key), json.dumps({
                "key": entry.key, "html": entry.html, "toc": self._toc_out(entry.toc),
                "title": entry.title,
                "anchors": None if entry.anchor_ids is None else sorted(entry.anchor_ids),
                "links": entry.links_to_anchors}, ensure_ascii=False))

    def retain(self, srcs: set[str]) -> None:
        """Forget pages that are no longer part of the site."""
        for src in set(self.pages) - srcs:
            del self.pages[src]

    def prune(self) -> None:
        """Delete the entries on disk that this build did not use."""
        if self.disk is None or not self.disk.is_dir():
            return
        for sub in self.disk.iterdir():
            if not sub.is_dir():
                continue
            for path in sub.iterdir():
                if path.name.endswith(".json") and path.name[:-5] not in self.used:
                    path.unlink(missing_ok=True)


class OutputCache:
    """The output key of every page written by the previous build, by ``src_uri``."""

    def __init__(self) -> None:
        self.previous: dict[str, str] = {}
        self.current: dict[str, str] = {}
        self.stash: str | None = None
        """The previous build's site folder, moved aside before MkDocs cleans the site."""

    def begin(self) -> None:
        self.previous, self.current = self.current, {}

    def unchanged(self, src: str, key: str) -> bool:
        self.current[src] = key
        return self.previous.get(src) == key

    def save(self, path: Path, site: Path, dest: Callable[[str], str | None],
             extra: dict[str, Any]) -> None:
        """Write the output keys of the pages this build wrote, each with its file's size and
        modification time (``dest``: a page's file relative to ``site``), and ``extra``
        (what else the next build checks), for :meth:`load`."""
        pages = {}
        for src, key in self.current.items():
            rel = dest(src)
            if rel is None:
                continue
            try:
                st = os.stat(site / rel)
            except OSError:
                continue
            pages[src] = [key, rel, st.st_size, st.st_mtime_ns]
        with contextlib.suppress(OSError):
            write_file(path, json.dumps({"code": code_key(), "site": str(site.resolve()),
                                         "pages": pages, **extra}))

    def load(self, path: Path, site: Path) -> dict[str, Any] | None:
        """Take the output keys a previous process saved for ``site`` (those whose file is
        still the one it wrote) as this build's previous ones, and delete the file (a
        build that stops half way leaves none behind). Returns the saved data (None when
        there is none or another reflib wrote it; for another site folder, no page)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            path.unlink()
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("code") != code_key() or \
                not isinstance(data.get("pages"), dict):
            return None
        current: dict[str, str] = {}
        self.current = current
        if data.get("site") != str(site.resolve()):
            return data  # built elsewhere: no page to reuse, the rest holds
        for src, entry in data["pages"].items():
            try:
                key, rel, size, mtime = entry
                st = os.stat(site / rel)
            except (OSError, TypeError, ValueError):
                continue
            if st.st_size == size and st.st_mtime_ns == mtime:
                current[src] = key
        return data


__all__ = ["CACHE_DIR", "OutputCache", "PageCache", "RenderedPage", "Stats", "code_key",
           "digest", "write_file"]
