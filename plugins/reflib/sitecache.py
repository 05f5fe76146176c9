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

Nothing here imports MkDocs; the plugin passes plain values.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from . import __version__


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
    """Of the pages rendered, those a worker process rendered (:mod:`reflib.renderpool`)."""
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
    """Rendered pages by ``src_uri``; one entry per page (the newest)."""

    def __init__(self) -> None:
        self.pages: dict[str, RenderedPage] = {}

    def get(self, src: str, key: str) -> RenderedPage | None:
        entry = self.pages.get(src)
        return entry if entry is not None and entry.key == key else None

    def put(self, src: str, entry: RenderedPage) -> None:
        self.pages[src] = entry

    def retain(self, srcs: set[str]) -> None:
        """Forget pages that are no longer part of the site."""
        for src in set(self.pages) - srcs:
            del self.pages[src]


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


__all__ = ["OutputCache", "PageCache", "RenderedPage", "Stats", "digest"]
