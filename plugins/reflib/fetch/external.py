"""Check that external URLs answer, concurrently, with an on-disk cache of successes.

:func:`check_urls` sends each distinct URL (fragment removed) one HEAD request, or a ranged GET
where HEAD is refused (see :func:`reflib.fetch.http.head_or_get`), from a thread pool, with at most
:data:`PER_HOST` requests in flight per host. ``timeout`` bounds each URL's whole check,
retries included.

A URL is *ok* when its final status (after redirects) is below 400. Successes are remembered in
``<cache dir>/urls.json`` for ``ttl`` seconds so a repeated ``reflib check --external`` stays fast;
failures are never cached, so a fixed link is seen at once. The cache is a plain JSON file
written atomically; a missing, unreadable or corrupt one is treated as empty.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

from reflib.core.fsutil import atomic_write
from reflib.fetch import http

CACHE_FILE = "urls.json"
CACHE_VERSION = 1
PER_HOST = 4
"""Most requests in flight to one host at a time (be polite, avoid 429s)."""


@dataclass(frozen=True)
class UrlResult:
    """The outcome of checking one URL."""

    ok: bool
    status: int | None
    """The final HTTP status, or ``None`` when no response arrived."""
    error: str | None
    """``None`` when ok; ``"HTTP 404 Not Found"`` for an error status; else the network
    failure (``"timed out after 10s"``, ``"connection refused"``, ...)."""
    cached: bool = False
    """The result came from the cache, not from a request made now."""


def default_cache_dir() -> Path:
    """``$REFLIB_CACHE_DIR``, else ``$XDG_CACHE_HOME/reflib``, else ``~/.cache/reflib``."""
    explicit = os.environ.get("REFLIB_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg).expanduser() / "reflib"
    return Path.home() / ".cache" / "reflib"


def _load_cache(path: Path) -> dict[str, dict[str, Any]]:
    """The cache's ``{url: {"status": int, "checked": epoch}}``; ``{}`` if absent or corrupt."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
        return {}
    urls = data.get("urls")
    if not isinstance(urls, dict):
        return {}
    good: dict[str, dict[str, Any]] = {}
    for url, item in urls.items():
        if (isinstance(url, str) and isinstance(item, dict)
                and isinstance(item.get("status"), int) and not isinstance(item["status"], bool)
                and isinstance(item.get("checked"), (int, float))):
            good[url] = {"status": item["status"], "checked": float(item["checked"])}
    return good


def _fresh(item: dict[str, Any], now: float, ttl: float) -> bool:
    age = now - float(item["checked"])
    return 0 <= age < ttl


def _save_cache(path: Path, new: dict[str, dict[str, Any]], ttl: float) -> None:
    """Merge ``new`` into the cache file (re-read now, so parallel runs do not lose entries)."""
    now = time.time()
    merged = {u: i for u, i in _load_cache(path).items() if _fresh(i, now, ttl)}
    merged.update(new)
    payload = {"version": CACHE_VERSION, "urls": dict(sorted(merged.items()))}
    # the cache is an optimisation; a read-only home must not fail the check
    with contextlib.suppress(OSError):
        atomic_write(path, json.dumps(payload, indent=1, sort_keys=True) + "\n")


def _check_one(url: str, timeout: float, gate: threading.Semaphore) -> UrlResult:
    with gate:
        try:
            resp = http.head_or_get(url, timeout)
        except http.HttpError as exc:
            message = str(exc)
            prefix = f"{url}: "
            return UrlResult(False, exc.status,
                             message[len(prefix):] if message.startswith(prefix) else message)
        except Exception as exc:  # a checker must report, never crash on one odd URL
            return UrlResult(False, None, f"{type(exc).__name__}: {exc}")
    if resp.status < 400:
        return UrlResult(True, resp.status, None)
    reason = f" {resp.reason}" if resp.reason else ""
    return UrlResult(False, resp.status, f"HTTP {resp.status}{reason}")


def check_urls(urls: Iterable[str], *, timeout: float = 10.0, workers: int = 16,
               cache_dir: Path | None = None, ttl: float = 86400,
               use_cache: bool = True) -> dict[str, UrlResult]:
    """Check every URL; return ``{url: UrlResult}`` with one key per URL given.

    ``cache_dir`` defaults to :func:`default_cache_dir`; ``use_cache=False`` neither reads nor
    writes it, and ``ttl <= 0`` forces fresh checks (successes are still recorded). URLs that
    differ only in their ``#fragment`` are requested once. A URL that is not http(s) is not
    requested and comes back not ok with status ``None``.
    """
    given = list(dict.fromkeys(urls))
    results: dict[str, UrlResult] = {}
    targets: dict[str, list[str]] = {}
    for url in given:
        bare = urldefrag(url.strip())[0]
        if urlsplit(bare).scheme.lower() not in ("http", "https") or not urlsplit(bare).netloc:
            results[url] = UrlResult(False, None, "not an http(s) URL")
            continue
        targets.setdefault(bare, []).append(url)

    cache_path = (cache_dir if cache_dir is not None else default_cache_dir()) / CACHE_FILE
    now = time.time()
    cache = _load_cache(cache_path) if use_cache and ttl > 0 else {}
    todo: list[str] = []
    for bare, originals in targets.items():
        item = cache.get(bare)
        if item is not None and _fresh(item, now, ttl):
            for url in originals:
                results[url] = UrlResult(True, int(item["status"]), None, cached=True)
        else:
            todo.append(bare)

    gates: dict[str, threading.Semaphore] = {}
    for bare in todo:
        host = (urlsplit(bare).hostname or "").lower()
        gates.setdefault(host, threading.Semaphore(PER_HOST))

    fresh: dict[str, UrlResult] = {}
    if todo:
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(todo)))) as pool:
            futures = {
                bare: pool.submit(_check_one, bare, timeout,
                                  gates[(urlsplit(bare).hostname or "").lower()])
                for bare in todo
            }
            for bare, future in futures.items():
                fresh[bare] = future.result()
    for bare, result in fresh.items():
        for url in targets[bare]:
            results[url] = result

    if use_cache:
        stamp = time.time()
        successes = {bare: {"status": r.status, "checked": stamp}
                     for bare, r in fresh.items() if r.ok}
        if successes:
            _save_cache(cache_path, successes, max(ttl, 0.0) or 86400.0)
    return {url: results[url] for url in given}
