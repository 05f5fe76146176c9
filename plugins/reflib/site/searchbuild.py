"""The search index of one build, whatever the site engine: Pagefind over reflib's own input.

A build gives :class:`SearchBuild` each indexed page's rendered content and head (see
:class:`reflib.site.pagefind_index.SearchInput`), either all at once before the theme writes
the pages (:meth:`SearchBuild.start_early`: Pagefind then runs in the background while the
pages are written) or page by page as they are written (:meth:`SearchBuild.add`), then
:meth:`SearchBuild.finish` leaves the bundle in the site. An index of the very same documents
as the previous build's is kept instead of made again (from the previous site folder or the
on-disk cache of :meth:`SearchBuild.save_warm`).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reflib.core.model import Library
from reflib.site import pagefind_index as pf
from reflib.site.sitecache import digest

SETTINGS_URI = "assets/reflib/search.json"
"""What the search script reads of this build's index (records, results per screen)."""


@dataclass
class IndexedPage:
    """A page to index: where it is written, its rendered content and head."""

    dest_uri: str
    content: str
    url: str
    title: str
    head: pf.Head


class SearchBuild:
    """Pagefind's part of a build (see the module's docstring)."""

    def __init__(self, log: logging.Logger | None = None) -> None:
        self.log = log or logging.getLogger("reflib")
        self.indexer = pf.Indexer()
        self.input = pf.SearchInput()
        self.depth = 6
        """The heading level down to which pages are cut into records (1: whole pages)."""
        self._logged_depth = 6
        self.early: dict[str, pf.Head] | None = None
        """Pages whose documents :meth:`start_early` wrote, with the head it predicted."""
        self._mismatch = 0
        self._early_pages = 0
        self._early_writes = 0
        self._early_kept = False
        self.bundle: str | None = None
        """The fingerprint of the bundle the previous process left in the site."""

    # --- lifecycle ----------------------------------------------------------------------

    def stop(self) -> None:
        """Stop a running indexer (a failed or abandoned build)."""
        self.indexer.stop()

    def close(self) -> None:
        self.indexer.stop()
        self.input.remove()

    def begin(self, warm: Path | None) -> None:
        """A new build: input kept in ``warm`` (the on-disk cache) when given."""
        self.indexer.stop()
        self.input.begin(warm)
        self.early = None

    def choose_depth(self, lib: Library, pages: int, sections: bool, budget: int) -> int:
        """The cut of this build's records within ``budget`` records (logged when it is
        shallower than every heading level)."""
        if not sections:
            self.depth = 1
            return 1
        depth = pf.section_depth((h.level for doc in lib.documents.values()
                                  for h in doc.headings), pages, budget)
        if depth != self._logged_depth and depth < 6:
            cut = "whole pages" if depth == 1 else "h2 sections" if depth == 2 \
                else f"h2-h{depth} sections"
            self.log.info(f"reflib: search records are {cut}, within search_records: "
                          f"{budget} (deeper sections show as sub-results)")
        self._logged_depth = self.depth = depth
        return depth

    def records(self, head: pf.Head, content: str, url: str, title: str) -> list[str]:
        return pf.records(head, content, url, title, self.depth)

    # --- input --------------------------------------------------------------------------

    def start_early(self, pages: Iterable[IndexedPage], site: Path, stash: Path | None,
                    warm: Path | None) -> None:
        """Write every page's documents now, with the head the theme is predicted to write
        (each is checked in :meth:`add`), and start Pagefind in the background, unless the
        previous index is of the very same documents (then it is kept)."""
        early: dict[str, pf.Head] = {}
        for page in pages:
            early[page.dest_uri] = page.head
            self.input.add(page.dest_uri, self.records(page.head, page.content, page.url,
                                                       page.title))
        self.early = early
        self._mismatch = 0
        self._early_pages = self.input.finish()
        self._early_writes = self.input.writes
        self._early_kept = self.keep_bundle(site, stash, warm)
        if not self._early_kept:
            pf.release_free_memory()
            assert self.input.folder is not None
            self.indexer.start(self.input.folder, site)

    def add(self, dest_uri: str, output: str, content: str, url: str, title: str,
            reused_from: Path | None) -> None:
        """A page as written: ``output`` the whole file (``reused_from``: the previous
        build's site, when the file written is that build's). After :meth:`start_early`,
        only a page whose head differs from the predicted one is written again."""
        if self.early is not None:
            predicted = self.early.get(dest_uri)
            if reused_from is not None and predicted is not None:
                return
            real = pf.head_of(output, content)
            if predicted is None or pf.head_key(real) != pf.head_key(predicted):
                self._mismatch += 1
                self.input.add(dest_uri, self.records(real, content, url, title))
            return
        if reused_from is not None:
            if self.input.keep(dest_uri):
                return
            with open(reused_from / dest_uri, encoding="utf-8", errors="replace") as f:
                output = f.read(65536)
        self.input.add(dest_uri, self.records(pf.head_of(output, content), content, url,
                                              title))

    # --- the index ----------------------------------------------------------------------

    def finish(self, site: Path, stash: Path | None, warm: Path | None, *,
               background: bool = False, keep_input: bool = False) -> None:
        """Leave the index of this build's documents in ``site`` (raises
        :class:`~reflib.core.errors.ReflibError` when Pagefind fails). ``background``
        (serve): keep the previous index until the new one is written. The input folder is
        deleted afterwards unless ``keep_input`` (serve, or an on-disk cache)."""
        if self.early is not None:
            self._finish_early(site, warm, keep_input)
            return
        pages = self.input.finish()
        pf.release_free_memory()  # the indexer runs while this process lives
        source = self.input.folder
        assert source is not None
        if background:
            if stash is not None and (stash / pf.BUNDLE_DIR).is_dir():
                (stash / pf.BUNDLE_DIR).rename(site / pf.BUNDLE_DIR)
            self.indexer.start(source, site)
            return
        if self.keep_bundle(site, stash, warm):
            self.log.info(f"reflib: Pagefind index unchanged ({pages} pages, "
                          f"{self.input.documents} sections): kept")
            return
        try:
            seconds = self.indexer.run(source, site)
            self.input.indexed()
        finally:
            if not keep_input:
                self.input.remove()
        self.log.info(f"reflib: Pagefind indexed {pages} pages ({self.input.documents} "
                      f"sections) in {seconds:.1f} s")

    def _finish_early(self, site: Path, warm: Path | None, keep_input: bool) -> None:
        pages = self._early_pages
        if self._early_kept and self.input.writes == self._early_writes:
            self.log.info(f"reflib: Pagefind index unchanged ({pages} pages, "
                          f"{self.input.documents} sections): kept")
            return
        self.indexer.wait()
        source = self.input.folder
        assert source is not None
        try:
            if self.input.writes != self._early_writes or self.indexer.error:
                if self._mismatch:
                    self.log.info(f"reflib: {self._mismatch} page(s) have another head than "
                                  f"Material's templates give; indexing again")
                seconds = self.indexer.run(source, site)
                when = ""
            else:
                seconds = self.indexer.seconds or 0.0
                when = ", while the pages were written"
            self.input.indexed()
        finally:
            if not keep_input:
                self.input.remove()
        self.log.info(f"reflib: Pagefind indexed {pages} pages ({self.input.documents} "
                      f"sections) in {seconds:.1f} s{when}")

    def keep_bundle(self, site: Path, stash: Path | None, warm: Path | None) -> bool:
        """Put the previous build's index in ``site`` when it is of the very same documents
        (from the previous site, moved, or the on-disk cache, copied)."""
        if self.input.dirty or self.bundle is None:
            return False
        if stash is not None and bundle_fingerprint(stash) == self.bundle:
            (stash / pf.BUNDLE_DIR).rename(site / pf.BUNDLE_DIR)
            return True
        if warm is not None and bundle_fingerprint(warm) == self.bundle:
            replace_tree(warm / pf.BUNDLE_DIR, site / pf.BUNDLE_DIR)
            return True
        return False

    def write_settings(self, site: Path) -> None:
        """What the search script needs to know of this build's index: how pages were cut
        into records and how many results to show at once, so that a query loads about as
        much whatever the cut (a whole page's fragment holds its whole text)."""
        depth = self.depth
        settings = {"records": "pages" if depth == 1 else "h2" if depth == 2 else f"h2-h{depth}",
                    "page_size": pf.PAGE_SIZE_PAGES if depth == 1 else pf.PAGE_SIZE_SECTIONS}
        target = site / SETTINGS_URI
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(settings) + "\n", encoding="utf-8")

    # --- the on-disk cache --------------------------------------------------------------

    def adopt_warm(self, warm: Path, state: Any) -> None:
        """Take the search input and bundle fingerprint a build in another process left in
        ``warm`` (see :meth:`save_warm`); anything unusable is deleted."""
        if not isinstance(state, dict):
            shutil.rmtree(warm / "search", ignore_errors=True)
            return
        claimed = warm / f"search.{os.getpid()}"
        try:
            (warm / "search").rename(claimed)
        except OSError:
            return
        if self.input.adopt(claimed, state.get("input")):
            bundle = state.get("bundle")
            self.bundle = bundle if isinstance(bundle, str) else None
        else:
            shutil.rmtree(claimed, ignore_errors=True)

    def save_warm(self, site: Path, warm: Path) -> dict[str, Any] | None:
        """Move this build's search input into ``warm``, with a copy of the bundle for a
        build with no site folder left (CI with this cache); the state to record, or None
        when there is nothing to keep."""
        folder = self.input.folder
        if folder is None or self.input.dirty:
            return None
        target = warm / "search"
        shutil.rmtree(target, ignore_errors=True)
        try:
            folder.rename(target)
        except OSError:
            return None
        bundle = bundle_fingerprint(site)
        if bundle is not None and bundle != bundle_fingerprint(warm):
            replace_tree(site / pf.BUNDLE_DIR, warm / pf.BUNDLE_DIR)
        state = {"input": self.input.state(), "bundle": bundle}
        self.input.detach()
        return state


def replace_tree(source: Path, target: Path) -> None:
    """``target`` becomes a copy of ``source`` (made beside it, then swapped in)."""
    tmp = target.with_name(target.name + ".reflib-tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(source, tmp)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)


def bundle_fingerprint(site: Path) -> str | None:
    """What identifies the search bundle in ``site`` (None when it has none)."""
    try:
        return digest((site / pf.BUNDLE_DIR / "pagefind-entry.json").read_text(encoding="utf-8"))
    except OSError:
        return None
