"""Full-text search with Pagefind: page attributes and running the indexer on a built site.

Pagefind (https://pagefind.app, the PyPI packages ``pagefind`` and ``pagefind-bin``) indexes
the built HTML after the generator is done and writes a static search bundle to
``<site>/pagefind/``; the browser then loads only the index chunks and fragments a query
needs. The plugin marks what to index: :func:`wrap` puts a page's article content in a
``data-pagefind-body`` element (site chrome is left out) and adds its filters and metadata;
:class:`Indexer` runs ``python -m pagefind --site DIR`` in the foreground (``mkdocs build``)
or in the background (``mkdocs serve``, so a rebuild does not wait for the index).
"""

from __future__ import annotations

import html
import importlib.util
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from .errors import ReflibError

BUNDLE_DIR = "pagefind"
ENTRY = f"{BUNDLE_DIR}/pagefind-entry.json"
FILTERS = ("kind", "type", "status", "priority", "topic")
"""The filters the search UI offers, in this order."""

_PAGEFIND_ATTR = re.compile(r'\sdata-pagefind-[a-z-]*(?:="[^"]*")?')


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


def wrap(fragment: str, filters: Iterable[tuple[str, str]],
         meta: Iterable[tuple[str, str]]) -> str:
    """The page content in a ``data-pagefind-body`` element with its filters and metadata.

    Each filter value and meta value is an empty element of its own (``key:value`` attribute
    form), so values may hold commas and colons.
    """
    parts = ['<div class="reflib-search-body" data-pagefind-body>']
    for key, value in filters:
        parts.append(f'<span data-pagefind-filter="{html.escape(key)}:'
                     f'{html.escape(value, quote=True)}"></span>')
    for key, value in meta:
        parts.append(f'<span data-pagefind-meta="{html.escape(key)}:'
                     f'{html.escape(value, quote=True)}"></span>')
    parts.append(fragment)
    parts.append("</div>")
    return "".join(parts)


def ignore_headerlinks(fragment: str) -> str:
    """Keep the toc permalink character (``¶``) out of indexed heading text."""
    return fragment.replace('class="headerlink"', 'class="headerlink" data-pagefind-ignore')


class Indexer:
    """Runs ``python -m pagefind`` over a built site; at most one run at a time."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.thread: threading.Thread | None = None
        self.seconds: float | None = None
        """Duration of the last completed run."""
        self.error: str | None = None

    @staticmethod
    def command(site: Path, output_subdir: str = BUNDLE_DIR) -> list[str]:
        return [sys.executable, "-m", "pagefind", "--site", str(site),
                "--output-subdir", output_subdir, "--quiet"]

    def run(self, site: Path) -> float:
        """Index ``site`` now; returns the seconds it took. Raises :class:`ReflibError`."""
        self.stop()
        start = time.perf_counter()
        proc = subprocess.run(self.command(site), capture_output=True, text=True)
        if proc.returncode != 0:
            raise ReflibError("pagefind failed: " + (proc.stderr or proc.stdout).strip()[-2000:])
        self.seconds = time.perf_counter() - start
        return self.seconds

    def start(self, site: Path) -> None:
        """Index ``site`` in the background into a fresh folder, then swap it into place."""
        self.stop()
        tmp = f"{BUNDLE_DIR}.reflib-next"
        shutil.rmtree(site / tmp, ignore_errors=True)
        start = time.perf_counter()
        proc = subprocess.Popen(self.command(site, tmp), stdout=subprocess.PIPE,
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
