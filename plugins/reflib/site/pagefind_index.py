"""Full-text search with Pagefind: page attributes and running the indexer on a built site.

Pagefind (https://pagefind.app, the PyPI packages ``pagefind`` and ``pagefind-bin``) indexes
the built HTML after the generator is done and writes a static search bundle to
``<site>/pagefind/``; the browser then loads only the index chunks and fragments a query
needs. The plugin marks what to index: :func:`wrap` puts a page's article content in a
``data-pagefind-body`` element (site chrome is left out) and adds its filters and metadata.

Pagefind does not read the built site: :class:`SearchInput` keeps a folder laid out like the
site that holds, per indexed page, a small HTML document with only what Pagefind reads (the
page's language and title and the marked article). With a large library the site's pages are
mostly navigation (900 MB of HTML for 100 MB of full text at 1,000 resources), which Pagefind
would parse only to skip. Under ``mkdocs serve`` the folder persists and only changed pages
are written again. :class:`Indexer` runs ``python -m pagefind`` over that folder in the
foreground (``mkdocs build``) or in the background (``mkdocs serve``, so a rebuild does not
wait for the index).
"""

from __future__ import annotations

import atexit
import ctypes
import hashlib
import html
import importlib.util
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from reflib.core.errors import ReflibError

BUNDLE_DIR = "pagefind"
ENTRY = f"{BUNDLE_DIR}/pagefind-entry.json"
FILTERS = ("kind", "type", "status", "priority", "topic")
"""The filters the search UI offers, in this order."""

BODY_START = '<div class="reflib-search-body" data-pagefind-body>'
"""How :func:`wrap` opens the indexed content."""

_PAGEFIND_ATTR = re.compile(r'\sdata-pagefind-[a-z-]*(?:="[^"]*")?')
_HTML_TAG = re.compile(r"<html\b[^>]*>", re.IGNORECASE)
_H1 = re.compile(r"<h1\b[^>]*>.*?</h1>", re.IGNORECASE | re.DOTALL)
_TITLE = re.compile(r"<title\b[^>]*>.*?</title>", re.IGNORECASE | re.DOTALL)


def available() -> bool:
    """Whether the Pagefind package and its binary are installed."""
    return (importlib.util.find_spec("pagefind") is not None
            and (importlib.util.find_spec("pagefind_bin") is not None
                 or importlib.util.find_spec("pagefind_bin_extended") is not None))


def strip_attributes(fragment: str) -> str:
    """``fragment`` without ``data-pagefind-*`` attributes (untrusted pages may not steer the
    index: only the plugin's wrapper sets them). Expects serialized HTML as nh3 writes it."""
    if "data-pagefind-" not in fragment:
        return fragment
    return _PAGEFIND_ATTR.sub("", fragment)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def plain_label(value: str) -> str:
    """A filter or metadata value that cannot become markup: Pagefind's UI writes filter
    labels and titles as HTML, so the angle brackets of a manifest value (or a title) are
    replaced by the look-alike quotation marks ``‹ ›`` and control characters dropped."""
    return _CONTROL.sub("", value).replace("<", "\u2039").replace(">", "\u203a")


def wrap(fragment: str, filters: Iterable[tuple[str, str]],
         meta: Iterable[tuple[str, str]]) -> str:
    """The page content in a ``data-pagefind-body`` element with its filters and metadata.

    Each filter value and meta value is an empty element of its own (``key:value`` attribute
    form), so values may hold commas and colons.
    """
    parts = [BODY_START]
    for key, value in filters:
        parts.append(f'<span data-pagefind-filter="{html.escape(key)}:'
                     f'{html.escape(plain_label(value), quote=True)}"></span>')
    for key, value in meta:
        parts.append(f'<span data-pagefind-meta="{html.escape(key)}:'
                     f'{html.escape(plain_label(value), quote=True)}"></span>')
    parts.append(fragment)
    parts.append("</div>")
    return "".join(parts)


def ignore_headerlinks(fragment: str) -> str:
    """Keep the toc permalink character (``¶``) out of indexed heading text."""
    return fragment.replace('class="headerlink"', 'class="headerlink" data-pagefind-ignore')


def release_free_memory() -> None:
    """Return the build process's freed heap to the system before the indexer starts
    (glibc keeps it otherwise: about 110 MB of a 580 MB build process at 1,000 resources).
    A no-op where the C library has no ``malloc_trim``."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError, TypeError):  # not glibc; Windows has no CDLL(None)
        return
    trim(0)


def is_marked(content: str) -> bool:
    """Whether a page's content is wrapped by :func:`wrap` (the page is indexed)."""
    return content.startswith(BODY_START)


Head = tuple[str, str]
"""The start of a search document (``<html>`` tag, ``<title>``) and the theme ``h1`` that
precedes the marked content (or "")."""


def document(output: str, content: str) -> str:
    """What Pagefind reads of a written page: its ``<html>`` tag (``lang`` picks the
    stemmer), ``<title>``, an ``h1`` that precedes the marked content (the theme's, for a
    page whose markdown has none: Pagefind takes the first ``h1`` as the result title, not
    indexing it) and the marked content."""
    return document_with(head_of(output, content), content)


def document_with(head: Head, content: str) -> str:
    """:func:`document` from the page's :data:`Head`."""
    return f"{head[0]}{head[1]}{content}</body></html>\n"


def head_of(output: str, content: str) -> Head:
    """The :data:`Head` of a written page (``output``)."""
    tag = _HTML_TAG.search(output)
    title = _TITLE.search(output)
    h1 = _H1.search(output)
    start = output.find(BODY_START)
    heading = h1.group(0) if h1 and (start < 0 or h1.start() < start) else ""
    return (f"<!doctype html>\n{tag.group(0) if tag else '<html>'}<head><meta charset=\"utf-8\">"
            f"{title.group(0) if title else ''}</head><body>", heading)


def predicted_head(lang: str, page_title: str | None, site_name: str, homepage: bool,
                   content: str) -> Head:
    """The :data:`Head` Material's templates give a page, before they run: ``<html
    lang>`` from the theme's language, ``<title>`` "page - site" (the site's name on the
    home page) and, when the content has no ``h1``, the page title as one. Checked against
    the written page (:func:`head_key`), since a theme override may differ."""
    title = site_name if homepage or not page_title else f"{page_title} - {site_name}"
    heading = "" if "<h1" in content else f"<h1>{html.escape(page_title or site_name)}</h1>"
    return (f'<!doctype html>\n<html lang="{html.escape(lang, quote=True)}"><head>'
            f'<meta charset="utf-8"><title>{html.escape(title)}</title></head><body>', heading)


_LANG = re.compile(r'\blang="([^"]*)"', re.IGNORECASE)


def head_key(head: Head) -> tuple[str, str, str]:
    """What Pagefind takes from a :data:`Head`: the language, the title's text and the
    heading's text (two heads with the same key index alike)."""
    tag = _HTML_TAG.search(head[0])
    lang = _LANG.search(tag.group(0)) if tag else None
    title = _TITLE.search(head[0])

    def text(markup: str) -> str:
        return " ".join(html.unescape(_MARKUP.sub("", markup)).split())

    return (lang.group(1).lower() if lang else "", text(title.group(0)) if title else "",
            text(head[1]))


_SECTION_HEADING = re.compile(r'<h([2-6])\b[^>]*?\bid="([^"]+)"[^>]*>(.*?)</h\1>',
                              re.IGNORECASE | re.DOTALL)
RECORD_COST = 50_000
"""About what one more Pagefind record costs its indexer in memory, in bytes (measured with
Pagefind 1.4: a 300-resource library of 100 KB full texts indexed as 550 page records peaks
at 357 MB, as 15,829 section records at 1,120 MB)."""
_CONTAINER = re.compile(
    r"<(/?)(?:div|details|blockquote|section|article|aside|ul|ol|dl|table|figure|li|dd)\b",
    re.IGNORECASE)
_MARKUP = re.compile(r"<[^>]*>")
_HEADERLINK = re.compile(r'<a\b[^>]*class="headerlink"[^>]*>.*?</a>', re.DOTALL)
_WRAPPER_META = re.compile(r'(?:<span data-pagefind-(?:filter|meta)="[^"]*"></span>)*')
PAGE_SIZE_SECTIONS = 8
"""Results the search shows at once when pages are cut into sections (small fragments)."""
PAGE_SIZE_PAGES = 4
"""... when records are whole pages: each result's fragment holds its page's whole text
(about 40 KB for a 100 KB full text), so four keep a query near what three did before."""
SECTION_SUFFIX = ".reflib-section-"
"""Section documents of the page ``a/index.html`` are ``a/index.reflib-section-N.html``."""


def section_depth(levels: Iterable[int], pages: int, budget: int) -> int:
    """The deepest heading level (6 down to 2) at which pages are cut into sections when the
    whole index may hold ``budget`` records: ``levels`` are the levels of the headings of
    the indexed pages (an upper bound of the cuts), ``pages`` how many pages there are (one
    record each before their first heading). 1 when even ``h2`` cuts would exceed the
    budget: whole pages, their sections as sub-results."""
    counts = Counter(level for level in levels if 2 <= level <= 6)
    records = pages
    depth = 1
    for level in range(2, 7):
        records += counts[level]
        if records > budget:
            break
        depth = level
    return depth


def heading_text(markup: str) -> str:
    """A rendered heading's text: tags and the permalink removed, entities decoded."""
    return html.unescape(_MARKUP.sub("", _HEADERLINK.sub("", markup))).strip()


def page_title(content: str) -> str:
    """The text of the first ``h1`` of rendered content ("" when it has none)."""
    m = _H1.search(content)
    return heading_text(m.group(0)) if m else ""


def split_sections(fragment: str, depth: int = 6) -> list[tuple[str, str, str]]:
    """``fragment`` cut before each top-level heading from ``h2`` (the ``h1`` is the page's
    title) to ``h<depth>`` that has an id: ``(anchor, heading text, html)`` per part, the
    first with an empty anchor (what precedes the first heading). Headings inside a
    container (an admonition, a list, a table) and deeper ones stay in their section.
    Expects serialized HTML as Python-Markdown and nh3 write it."""
    parts: list[tuple[str, str, str]] = []
    nesting = 0
    pos = 0  # where the container nesting was counted up to
    start, anchor, title = 0, "", ""
    for match in _SECTION_HEADING.finditer(fragment):
        if int(match.group(1)) > depth:
            continue
        for tag in _CONTAINER.finditer(fragment, pos, match.start()):
            nesting += -1 if tag.group(1) else 1
        pos = match.start()
        if nesting > 0:
            continue
        parts.append((anchor, title, fragment[start:match.start()]))
        start, anchor = match.start(), match.group(2)
        title = heading_text(match.group(3))
    parts.append((anchor, title, fragment[start:]))
    return parts


def documents(output: str, content: str, page_url: str, page_title: str,
              depth: int = 6) -> list[str]:
    """:func:`documents_with` the head of the written page ``output``."""
    return documents_with(head_of(output, content), content, page_url, page_title, depth)


def records(head: Head, content: str, page_url: str, page_title: str, depth: int) -> list[str]:
    """The documents of a page: cut into sections down to ``h<depth>``, or (``depth`` 1)
    the whole page as one."""
    if depth > 1:
        return documents_with(head, content, page_url, page_title, depth)
    return [document_with(head, content)]


def documents_with(head_and_heading: Head, content: str, page_url: str, page_title: str,
                   depth: int = 6) -> list[str]:
    """The documents Pagefind indexes for a written page: one per section (the page cut at
    its headings down to ``h<depth>``, :func:`split_sections`), so that a query finds the
    section that answers it, ranked on that section's text alone, rather than a long page
    with the answer somewhere in it. The first document is the page's start (its title and what precedes
    the first heading), as :func:`document` would give it; each further one holds a
    section with the page's filters and metadata, the page's title (``title``), the
    section's heading (``section``) and metadata that take the result to the section
    (``page``: the page's URL relative to the site; ``anchor``: the heading's id; the
    search script builds the result's title and link from them).
    """
    head, heading = head_and_heading
    if not is_marked(content) or not content.endswith("</div>"):
        return [f"{head}{heading}{content}</body></html>\n"]
    wrapper = _WRAPPER_META.match(content, len(BODY_START))
    assert wrapper is not None
    prefix = content[:wrapper.end()]
    fragment = content[wrapper.end():-len("</div>")]
    parts = split_sections(fragment, depth)
    first = parts[0][2]
    docs = [f"{head}{heading}{prefix}{first}</div></body></html>\n"]
    where = "".join(f'<span data-pagefind-meta="{key}:{html.escape(plain_label(value), quote=True)}">'
                    "</span>" for key, value in (("page", page_url), ("title", page_title)))
    for anchor, title, part in parts[1:]:
        meta = (f'{where}<span data-pagefind-meta="anchor:'
                f'{html.escape(plain_label(anchor), quote=True)}"></span>'
                f'<span data-pagefind-meta="section:'
                f'{html.escape(plain_label(title), quote=True)}"></span>')
        docs.append(f"{head}{prefix}{meta}{part}</div></body></html>\n")
    return docs


class SearchInput:
    """The folder Pagefind indexes: per indexed page, its :func:`documents` (the first at
    the page's output path, the sections beside it).

    One build: :meth:`begin`, then :meth:`add` (or :meth:`keep`, for a page whose written
    output is the previous build's) for every indexed page, then :meth:`finish`, which
    removes the documents of pages that are gone. Files are written only when their text
    changed, so a rebuild under ``mkdocs serve`` writes a handful, and :attr:`dirty` says
    whether any was since the last index run. :meth:`state` and :meth:`adopt` carry the
    folder over to a later process (a warm start).
    """

    def __init__(self) -> None:
        self.folder: Path | None = None
        self._digests: dict[str, bytes] = {}
        self._files: dict[str, list[str]] = {}
        self._seen: set[str] = set()
        self.documents = 0
        """How many documents the folder holds (after :meth:`finish`)."""
        self.writes = 0
        """Documents written or removed so far (a caller compares two readings)."""
        self._indexed_at: int | None = None
        """:attr:`writes` when the folder was last said to be indexed (None: never)."""

    def begin(self, parent: Path | None = None) -> Path:
        """Start a build; returns the folder (a new temporary one the first time, in
        ``parent`` when given)."""
        if self.folder is None or not self.folder.is_dir():
            if parent is not None:
                parent.mkdir(parents=True, exist_ok=True)
            self.folder = Path(tempfile.mkdtemp(prefix="reflib-pagefind-", dir=parent))
            self._digests = {}
            self._files = {}
            # also when the build stops early or serve ends without the shutdown event
            atexit.register(shutil.rmtree, self.folder, True)
            self._indexed_at = None
        self._seen = set()
        return self.folder

    def state(self) -> dict[str, Any]:
        """What :meth:`adopt` needs to take the folder over (JSON data)."""
        return {"files": self._files, "digests": {k: v.hex() for k, v in self._digests.items()}}

    def adopt(self, folder: Path, state: Any) -> bool:
        """Take over ``folder``, written by another process whose :meth:`state` was
        ``state``; False (nothing taken) when ``state`` does not describe a folder."""
        try:
            files = {str(k): [str(n) for n in v] for k, v in state["files"].items()}
            digests = {str(k): bytes.fromhex(v) for k, v in state["digests"].items()}
        except (TypeError, KeyError, ValueError, AttributeError):
            return False
        if not folder.is_dir():
            return False
        self.folder, self._files, self._digests = folder, files, digests
        self._indexed_at = self.writes
        atexit.register(shutil.rmtree, folder, True)
        return True

    def detach(self) -> None:
        """Forget the folder without deleting it (another process takes it over)."""
        self.folder = None
        self._digests = {}
        self._files = {}
        self._indexed_at = None

    def indexed(self) -> None:
        """Say that an index was made of the folder as it is now."""
        self._indexed_at = self.writes

    @property
    def dirty(self) -> bool:
        """Whether a document was written or removed since the folder was last said to be
        indexed (:meth:`indexed`; a folder taken over with :meth:`adopt` was)."""
        return self._indexed_at != self.writes

    @staticmethod
    def names(dest_uri: str, count: int) -> list[str]:
        """Where the ``count`` documents of the page at ``dest_uri`` go."""
        stem = dest_uri[:-5] if dest_uri.endswith(".html") else dest_uri
        return [dest_uri] + [f"{stem}{SECTION_SUFFIX}{n}.html" for n in range(1, count)]

    def add(self, dest_uri: str, texts: str | list[str]) -> None:
        """Write the documents of the page at ``dest_uri`` (those that changed)."""
        assert self.folder is not None, "begin() first"
        if isinstance(texts, str):
            texts = [texts]
        self._seen.add(dest_uri)
        names = self.names(dest_uri, len(texts))
        for name in self._files.get(dest_uri, [])[len(names):]:
            self._digests.pop(name, None)
            (self.folder / name).unlink(missing_ok=True)
            self.writes += 1
        self._files[dest_uri] = names
        for name, text in zip(names, texts, strict=True):
            digest = hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
            if self._digests.get(name) == digest:
                continue
            target = self.folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            # a scratch copy, read only by Pagefind, which is not running now: no fsync
            target.write_text(text, encoding="utf-8")
            self._digests[name] = digest
            self.writes += 1

    def keep(self, dest_uri: str) -> bool:
        """Keep the page's documents from the previous build; False when there are none."""
        if dest_uri in self._files:
            self._seen.add(dest_uri)
            return True
        return False

    def finish(self) -> int:
        """Remove the documents of pages not added in this build; returns how many pages
        the folder holds (:attr:`documents`: how many documents)."""
        assert self.folder is not None, "begin() first"
        for dest_uri in set(self._files) - self._seen:
            self.writes += 1
            for name in self._files.pop(dest_uri):
                self._digests.pop(name, None)
                (self.folder / name).unlink(missing_ok=True)
        self.documents = sum(len(names) for names in self._files.values())
        return len(self._seen)

    def remove(self) -> None:
        """Delete the folder."""
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None
        self._digests = {}
        self._files = {}
        self._indexed_at = None


class Indexer:
    """Runs ``python -m pagefind`` over a :class:`SearchInput` folder; at most one run at a
    time."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.thread: threading.Thread | None = None
        self.seconds: float | None = None
        """Duration of the last completed run."""
        self.error: str | None = None

    @staticmethod
    def command(source: Path, output: Path) -> list[str]:
        """Index the pages in ``source`` and write the bundle to ``output``."""
        return [sys.executable, "-m", "pagefind", "--site", str(source),
                "--output-path", str(output), "--quiet"]

    def run(self, source: Path, site: Path) -> float:
        """Index ``source`` now into ``site``'s bundle folder; returns the seconds it took.
        Raises :class:`ReflibError`."""
        self.stop()
        start = time.perf_counter()
        proc = subprocess.run(self.command(source, site / BUNDLE_DIR), capture_output=True,
                              text=True)
        if proc.returncode != 0:
            raise ReflibError("pagefind failed: " + (proc.stderr or proc.stdout).strip()[-2000:])
        self.seconds = time.perf_counter() - start
        return self.seconds

    def start(self, source: Path, site: Path) -> None:
        """Index ``source`` in the background into a fresh folder, then swap it into place
        as ``site``'s bundle."""
        self.stop()
        tmp = f"{BUNDLE_DIR}.reflib-next"
        shutil.rmtree(site / tmp, ignore_errors=True)
        start = time.perf_counter()
        proc = subprocess.Popen(self.command(source, site / tmp), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        self.proc = proc

        def finish() -> None:
            out, _ = proc.communicate()
            if proc.returncode != 0:
                self.error = out.strip()[-2000:] or f"exit {proc.returncode}"
                shutil.rmtree(site / tmp, ignore_errors=True)
                return
            old = site / f"{BUNDLE_DIR}.reflib-old"
            shutil.rmtree(old, ignore_errors=True)
            if (site / BUNDLE_DIR).exists():
                (site / BUNDLE_DIR).rename(old)
            (site / tmp).rename(site / BUNDLE_DIR)
            shutil.rmtree(old, ignore_errors=True)
            self.seconds = time.perf_counter() - start
            self.error = None

        self.thread = threading.Thread(target=finish, name="reflib-pagefind", daemon=True)
        self.thread.start()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a background run to finish."""
        if self.thread is not None:
            self.thread.join(timeout)

    def stop(self) -> None:
        """Stop a background run that is still going (its output is discarded)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.thread is not None:
            self.thread.join(10)
        self.proc = None
        self.thread = None
