"""MkDocs objects the plugin needs: a raw file that can be moved from the previous build, a
cached rendering standing in for ``Page.render``, log filters, and small conversions."""

from __future__ import annotations

import itertools
import logging
import os
import re
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import AnchorLink, TableOfContents

from reflib.core import paths
from reflib.site.sitecache import RenderedPage

PAGE_LOGGERS = ("mkdocs.structure.pages", "properdocs.structure.pages")
"""Where MkDocs (and ProperDocs) report links to a missing page or anchor."""

_MKDOCS_LINK_NOTE = re.compile(r"^Doc file '[^']*' contains a link '[^']*', but the (?:doc|target) "
                               r"'([^']*)' (?:does not contain an anchor|is not found)")


class RawFile(File):
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


class CachedRender:
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


class GeneratedTargetFilter(logging.Filter):
    """Hides MkDocs' notes on links into the full-text pages reflib generates
    (``sources/<id>/index.md``, a file no author wrote): reflib checks those links itself
    and reports the problem against the link as written, with its file and line."""

    def __init__(self, active: Callable[[], bool]) -> None:
        super().__init__()
        self.active = active

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.active():
            return True
        m = _MKDOCS_LINK_NOTE.match(record.getMessage())
        return not (m and paths.site_fulltext_id(m.group(1)) is not None)


class SkippedPageFilter(logging.Filter):
    """Hides MkDocs' "Page skipped" notes for pages whose previous file was reused."""

    def __init__(self, active: Callable[[], bool]) -> None:
        super().__init__()
        self.active = active

    def filter(self, record: logging.LogRecord) -> bool:
        return not (self.active() and record.getMessage().startswith("Page skipped"))


def toc_data(toc: Any) -> Any:
    """A table of contents as JSON data (:func:`toc_from_data` turns it back)."""
    return [[a.title, a.id, a.level, toc_data(a.children)] for a in toc]


def toc_from_data(data: Any) -> Any:
    def links(items: Any) -> list[AnchorLink]:
        out = []
        for title, anchor, level, children in items:
            link = AnchorLink(title, anchor, level)
            link.children = links(children)
            out.append(link)
        return out

    return TableOfContents(links(data))


def nav_shape(items: Any) -> list[Any]:
    """What the rendered navigation shows: titles, URLs, page statuses, nesting."""
    out: list[Any] = []
    for item in items or ():
        meta = getattr(item, "meta", None) or {}
        out.append([type(item).__name__, item.title, getattr(item, "url", None),
                    meta.get("status"), nav_shape(getattr(item, "children", None))])
    return out


def remove_in_background(folder: Path) -> None:
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
