"""Benchmark: the reflib site (Pagefind search, rebuild cache) against plain Material + lunr.

For each size N (default 200 and 1000 resources with ~100 KB full texts) a synthetic library
is generated with :mod:`synthlib`, and a plain MkDocs project holding the same markdown
(``refs/`` and every ``full.md``, Material's lunr search on) is the baseline. Printed in one
run, each beside the baseline measured in the same run:

* full build time and peak memory: the resident memory of a fresh ``mkdocs build`` and all
  its processes at once (render workers, Pagefind's indexer), sampled every 50 ms, and the
  largest single process;
* a warm build: the same library built again in a fresh process (the on-disk cache and the
  previous site folder), and once more with the site folder deleted (the cache alone);
* rebuild after editing one card, in-process as ``mkdocs serve`` does it (the config loaded
  again, the same plugin instance; the median of three edits), split into the time in
  reflib's event handlers and the rest (MkDocs and the theme), against a plain full build;
* bytes a browser loads per query, for several kinds of query named by their rank in
  synthlib's Zipf vocabulary (a rare word, a mid-frequency word, two mid-frequency words, and
  the worst case, the most common content word): real queries in headless Chromium (Debian's
  ``/usr/bin/chromium``), each in a fresh browser context, summing the responses under
  ``/pagefind/`` (split into the search data and Pagefind's UI code); the headline is the
  median of the typical (rare, mid, two-word) queries. Against it: ``search_index.json`` and
  the lunr worker, which Material loads whatever the query;
* ``reflib build --engine zensical`` beside plain Zensical on the same markdown (when Zensical
  is installed);
* ``reflib check`` time.

    python scripts/bench.py [--sizes 200,1000] [--size-kb 100] [--keep DIR] [--builds-only]
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_check import plain_site
from synthlib import first_content_rank, generate, term

CONFIG = "site_name: bench\ndocs_dir: refs\ntheme:\n  name: material\nplugins:\n  - reflib\n"
CHROMIUM = "/usr/bin/chromium"
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}

_MEASURE = textwrap.dedent("""\
    import json, os, resource, subprocess, sys, threading, time
    PAGE = os.sysconf("SC_PAGE_SIZE")

    def tree_rss(root):
        \"\"\"Resident bytes of ``root`` and all its descendants, now.\"\"\"
        parent = {}
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    with open(f"/proc/{name}/stat") as f:
                        parent[int(name)] = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    pass
        pids, todo = {root}, [root]
        while todo:
            p = todo.pop()
            for child, ppid in parent.items():
                if ppid == p and child not in pids:
                    pids.add(child)
                    todo.append(child)
        total = 0
        for p in pids:
            try:
                with open(f"/proc/{p}/statm") as f:
                    total += int(f.read().split()[1]) * PAGE
            except (OSError, IndexError, ValueError):
                pass
        return total

    t = time.perf_counter()
    proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = [0]
    def sample():
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss(proc.pid))
            time.sleep(0.05)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    rc = proc.wait()
    secs = time.perf_counter() - t
    sampler.join()
    print(json.dumps([secs, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                      peak[0] // 1024, rc]))
    """)
"""Runs a command; prints its seconds, the largest max RSS (KB) of any one of its processes,
the peak (KB) of the resident memory of all its processes at once (sampled every 50 ms: the
build process, its render workers and Pagefind's indexer), and its exit status."""

_REBUILD = textwrap.dedent("""\
    import functools, json, resource, sys, time
    from pathlib import Path
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    root = Path(sys.argv[1])
    def config():
        return load_config(str(root / "mkdocs.yml"), site_dir=str(root / "site-serve"))
    first = config()
    first.plugins.on_startup(command="serve", dirty=False)
    t = time.perf_counter(); build(first); first_s = time.perf_counter() - t
    plugin = first.plugins["reflib"]
    plugin.indexer.wait()
    # time spent in reflib's event handlers; the rest of a rebuild is MkDocs and the theme
    hooks = [0.0]
    def timed(method):
        @functools.wraps(method)
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                hooks[0] += time.perf_counter() - t
        return wrapper
    for name in dir(plugin):
        if name.startswith("on_") and name not in ("on_startup", "on_shutdown", "on_serve"):
            setattr(plugin, name, timed(getattr(plugin, name)))
    card = sorted((root / "refs/resources").glob("*.md"))[0]
    times = []
    for i in range(3):
        card.write_text(card.read_text() + f"\\nAn edited sentence about lighthouses {i}.\\n")
        hooks[0] = 0.0
        t = time.perf_counter()
        second = config()
        build(second)
        times.append((time.perf_counter() - t, hooks[0]))
        plugin.indexer.wait(); index_s = plugin.indexer.seconds
    rebuild_s, hooks_s = sorted(times)[1]
    s = plugin.stats
    print(json.dumps({"first": first_s, "rebuild": rebuild_s, "hooks": hooks_s,
                      "rebuilds": [round(x[0], 2) for x in times],
                      "index_background": index_s,
                      "rendered": s.rendered, "cached": s.cached, "reused": s.reused,
                      "model_reloaded": s.model_reloaded,
                      "manifest_reparsed": s.manifest_reparsed, "checked": s.checked,
                      "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
    plugin.on_shutdown()
    """)


def measure(cmd: list[str], cwd: Path) -> tuple[float, int, int, int]:
    """(seconds, the largest peak RSS in KB of one of its processes, the peak in KB of all
    its processes' resident memory at once, exit status)."""
    out = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], cwd=cwd, env=ENV,
                         capture_output=True, text=True, check=True).stdout
    secs, rss, total, rc = json.loads(out.strip().splitlines()[-1])
    return secs, rss, total, rc


def rebuild(lib: Path) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-c", _REBUILD, str(lib)], cwd=lib, env=ENV,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


QUERY_KINDS = ("rare", "mid", "two mid", "worst")
"""Typical queries (the headline is their median) and the worst case, the most common
content word of the vocabulary (on nearly every page)."""


def queries() -> dict[str, str]:
    """One query per kind, named by their rank in synthlib's Zipf vocabulary."""
    return {"rare": term(10_000), "mid": term(1_000),
            "two mid": f"{term(800)} {term(1_300)}", "worst": term(first_content_rank())}


def _record_responses(page: Any, wanted: Callable[[str], bool]) -> list[tuple[str, int, int]]:
    """Record (url, bytes, gzipped bytes) of every response whose URL ``wanted`` accepts."""
    loaded: list[tuple[str, int, int]] = []

    def on_response(resp: Any) -> None:
        if wanted(resp.url):
            try:
                body = resp.body()
            except Exception:
                return
            loaded.append((resp.url, len(body), len(gzip.compress(body, 6))))

    page.on("response", on_response)
    return loaded


def _pagefind_query(browser: Any, url: str, query: str) -> dict[str, Any]:
    """One search in a fresh browser context (empty cache): what it fetched from /pagefind/."""
    context = browser.new_context()
    page = context.new_page()
    loaded = _record_responses(page, lambda u: "/pagefind/" in u)
    page.goto(url + "topics/01-topic-1/")
    page.click(".reflib-search-button")
    page.fill(".pagefind-ui__search-input", query)
    page.locator(".pagefind-ui__result").first.wait_for(timeout=60000)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1500)
    message = page.locator(".pagefind-ui__message").first.inner_text()
    context.close()
    # code: Pagefind's JS and the UI (cached after the first search); data: the entry
    # file, metadata, wasm, index chunks, filters and result fragments
    code_names = ("pagefind-ui.", "/pagefind.js", "pagefind-worker.js")
    code = [x for x in loaded if any(c in x[0] for c in code_names)]
    data = [x for x in loaded if x not in code]

    def of(part: str) -> int:
        return sum(x[1] for x in data if f"/{part}/" in x[0])

    return {"query": query, "message": message, "requests": len(loaded),
            "data_bytes": sum(x[1] for x in data), "data_gzip": sum(x[2] for x in data),
            "code_bytes": sum(x[1] for x in code), "code_gzip": sum(x[2] for x in code),
            "index_bytes": of("index"), "fragment_bytes": of("fragment"),
            "fragments": sum(1 for x in data if "/fragment/" in x[0])}


def _lunr_query(browser: Any, url: str, query: str) -> dict[str, Any]:
    """Material's lunr search loads one index whatever the query: its size and the worker."""
    context = browser.new_context()
    page = context.new_page()
    loaded = _record_responses(
        page, lambda u: "search_index.json" in u or "/workers/search" in u)
    page.goto(url + "topics/01-topic-1/")
    page.click(".md-search__input")
    page.fill(".md-search__input", query)
    page.locator(".md-search-result__item").first.wait_for(timeout=120000)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1500)
    context.close()
    return {"data_bytes": sum(x[1] for x in loaded), "data_gzip": sum(x[2] for x in loaded)}


def query_bytes(reflib_site: Path, plain_site_dir: Path,
                kinds: dict[str, str]) -> dict[str, Any]:
    """Bytes loaded per query in headless Chromium: Pagefind per query kind, and lunr."""
    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        server, url = _serve(reflib_site)
        try:
            out["pagefind"] = {kind: _pagefind_query(browser, url, q)
                               for kind, q in kinds.items()}
        finally:
            server.shutdown()
        server, url = _serve(plain_site_dir)
        try:
            out["lunr"] = _lunr_query(browser, url, kinds["mid"])
        finally:
            server.shutdown()
        browser.close()
    return out


def run_size(work: Path, n: int, size_kb: int, builds_only: bool = False) -> None:
    lib = work / f"lib{n}"
    t0 = time.perf_counter()
    generate(lib, n, size_kb)
    (lib / "mkdocs.yml").write_text(CONFIG)
    size = sum(p.stat().st_size for p in lib.rglob("*.md"))
    plain = plain_site(lib, work / f"plain{n}")
    print(f"\n## {n} resources, {size / 1e6:.1f} MB of markdown "
          f"(generated in {time.perf_counter() - t0:.1f} s)", flush=True)

    plain_s, plain_rss, plain_all, prc = measure(
        [sys.executable, "-m", "mkdocs", "build", "-q"], plain)
    print(f"plain Material+lunr build: {plain_s:8.1f} s  peak {plain_all / 1024:7.0f} MB "
          f"(largest process {plain_rss / 1024:.0f} MB)  (exit {prc})", flush=True)
    ours_s, ours_rss, ours_all, orc = measure(
        [sys.executable, "-m", "mkdocs", "build", "-q"], lib)
    print(f"reflib + Pagefind build:   {ours_s:8.1f} s  peak {ours_all / 1024:7.0f} MB "
          f"(largest process {ours_rss / 1024:.0f} MB)  (exit {orc})", flush=True)
    print(f"  ratio build time {ours_s / plain_s:.2f}, peak memory {ours_all / plain_all:.2f}"
          f"  (target: time <= 1, memory < 2 GB; peak: all processes at once)", flush=True)
    if not builds_only:
        warm_s, _, warm_all, wrc = measure([sys.executable, "-m", "mkdocs", "build", "-q"], lib)
        print(f"reflib warm build (the same library again, a fresh process): {warm_s:8.1f} s  peak "
              f"{warm_all / 1024:7.0f} MB (exit {wrc}); ratio to the cold build "
              f"{warm_s / ours_s:.2f}  (target <= 0.33)", flush=True)
        shutil.rmtree(lib / "site")
        cached_s, _, _, crc2 = measure([sys.executable, "-m", "mkdocs", "build", "-q"], lib)
        print(f"reflib build from the on-disk cache alone (no site folder, as CI restoring "
              f".cache/): {cached_s:.1f} s (exit {crc2}); ratio to the cold build "
              f"{cached_s / ours_s:.2f}", flush=True)

        r = rebuild(lib)
        print(f"serve rebuild after editing one card: {r['rebuild']:.2f} s, median of 3 "
              f"{r['rebuilds']} (first serve build {r['first']:.1f} s; rendered {r['rendered']}, "
              f"cached {r['cached']}, reused files {r['reused']}, files re-read "
              f"{r['model_reloaded']}, manifest parsed again {r['manifest_reparsed']}, documents "
              f"whose links were checked again {r['checked']}; Pagefind re-index in the "
              f"background {r['index_background'] or 0:.1f} s)", flush=True)
        print(f"  of which reflib's event handlers {r['hooks']:.2f} s, MkDocs and the theme "
              f"(files, navigation, reading pages, templates, writing) "
              f"{r['rebuild'] - r['hooks']:.2f} s", flush=True)
        print(f"  ratio rebuild / plain full build {r['rebuild'] / plain_s:.3f}  (target <= 0.1)",
              flush=True)

        q = query_bytes(lib / "site", plain / "site", queries())
        lunr = q["lunr"]
        for kind, r in q["pagefind"].items():
            print(f"query {kind:7} '{r['query']}' ({r['message'].strip()}): Pagefind data "
                  f"{r['data_bytes'] / 1024:.0f} KB ({r['data_gzip'] / 1024:.0f} KB gzipped; index "
                  f"chunks {r['index_bytes'] / 1024:.0f} KB, {r['fragments']} fragments "
                  f"{r['fragment_bytes'] / 1024:.0f} KB, {r['requests']} requests in all) + code "
                  f"{r['code_bytes'] / 1024:.0f} KB ({r['code_gzip'] / 1024:.0f} KB gzipped)",
                  flush=True)
        typical = statistics.median(q["pagefind"][k]["data_bytes"] for k in ("rare", "mid", "two mid"))
        worst = q["pagefind"]["worst"]["data_bytes"]
        code = q["pagefind"]["mid"]["code_bytes"]
        print(f"  one typical query (median of rare, mid, two mid) loads {typical / 1024:.0f} KB data "
              f"+ {code / 1024:.0f} KB code (cached after the first search)  (target: data "
              f"< 300 KB); worst case {worst / 1024:.0f} KB data; lunr index + worker "
              f"{lunr['data_bytes'] / 1024:.0f} KB ({lunr['data_gzip'] / 1024:.0f} KB gzipped), "
              f"ratio typical / lunr {typical / max(1, lunr['data_bytes']):.4f}", flush=True)
        index_json = plain / "site/search/search_index.json"
        if index_json.is_file():
            print(f"  lunr search_index.json: {index_json.stat().st_size / 1e6:.1f} MB", flush=True)

    if not builds_only:
        check_s, _, _, crc = measure([sys.executable, "-m", "reflib", "--root", str(lib), "check"], lib)
        print(f"reflib check: {check_s:.2f} s (exit {crc}); ratio to plain build "
              f"{check_s / plain_s:.3f}", flush=True)
    if importlib.util.find_spec("zensical") is not None:
        # last: Zensical writes plain/site over plain Material's
        zen_plain_s, _, zen_plain_all, zprc = measure(
            [sys.executable, "-m", "zensical", "build", "-c"], plain)
        print(f"plain Zensical build:      {zen_plain_s:8.1f} s  peak "
              f"{zen_plain_all / 1024:7.0f} MB  (exit {zprc}; the same markdown and "
              f"mkdocs.yml as plain Material)", flush=True)
        zen_s, zen_rss, zen_all, zrc = measure(
            [sys.executable, "-m", "reflib", "--root", str(lib), "build", "--engine",
             "zensical", "-d", str(work / f"zsite{n}")], lib)
        print(f"reflib + Zensical build:   {zen_s:8.1f} s  peak {zen_all / 1024:7.0f} MB "
              f"(largest process {zen_rss / 1024:.0f} MB)  (exit {zrc})", flush=True)
        print(f"  ratio to plain Material {zen_s / plain_s:.2f}, to plain Zensical "
              f"{zen_s / zen_plain_s:.2f}, to reflib + MkDocs {zen_s / ours_s:.2f}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="200,1000",
                        help="comma-separated resource counts (default 200,1000)")
    parser.add_argument("--size-kb", type=int, default=100)
    parser.add_argument("--keep", type=Path, help="work in DIR and keep it")
    parser.add_argument("--builds-only", action="store_true",
                        help="only the cold builds: plain Material, reflib + MkDocs, plain "
                             "Zensical, reflib + Zensical")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="reflib-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    pagefind = subprocess.run([sys.executable, "-m", "pagefind", "--version"],
                              capture_output=True, text=True).stdout.strip().splitlines()
    print(f"{pagefind[-1] if pagefind else 'pagefind: not installed'}; "
          f"{os.cpu_count()} CPUs", flush=True)
    try:
        for n in [int(x) for x in args.sizes.split(",") if x.strip()]:
            run_size(work, n, args.size_kb, args.builds_only)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
