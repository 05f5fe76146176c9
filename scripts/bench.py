"""Benchmark: the reflib site (Pagefind search, rebuild cache) against plain Material + lunr.

For each size N (default 200 and 1000 resources with ~100 KB full texts) a synthetic library
is generated with :mod:`synthlib`, and a plain MkDocs project holding the same markdown
(``refs/`` and every ``full.md``, Material's lunr search on) is the baseline. Printed in one
run, each beside the baseline measured in the same run:

* full build time and peak memory (max RSS of a fresh ``mkdocs build`` process and its
  children, Pagefind's indexer included);
* rebuild after editing one card, in-process as ``mkdocs serve`` does it (the config loaded
  again, the same plugin instance), against a plain full build;
* bytes a browser loads for one query: a real query in headless Chromium (Debian's
  ``/usr/bin/chromium``), summing the responses under ``/pagefind/`` (split into the search
  data and Pagefind's UI code) against ``search_index.json`` and the lunr worker;
* ``reflib check`` time.

    python scripts/bench.py [--sizes 200,1000] [--size-kb 100] [--query WORDS] [--keep DIR]
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_check import plain_site
from synthlib import generate

CONFIG = "site_name: bench\ndocs_dir: refs\ntheme:\n  name: material\nplugins:\n  - reflib\n"
CHROMIUM = "/usr/bin/chromium"
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}

_MEASURE = textwrap.dedent("""\
    import json, resource, subprocess, sys, time
    t = time.perf_counter()
    rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    secs = time.perf_counter() - t
    print(json.dumps([secs, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc]))
    """)

_REBUILD = textwrap.dedent("""\
    import json, resource, sys, time
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
    card = sorted((root / "refs/resources").glob("*.md"))[0]
    card.write_text(card.read_text() + "\\nAn edited sentence about lighthouses.\\n")
    t = time.perf_counter()
    second = config()
    build(second)
    rebuild_s = time.perf_counter() - t
    t = time.perf_counter(); plugin.indexer.wait(); index_s = plugin.indexer.seconds
    s = plugin.stats
    print(json.dumps({"first": first_s, "rebuild": rebuild_s, "index_background": index_s,
                      "rendered": s.rendered, "cached": s.cached, "reused": s.reused,
                      "model_reloaded": s.model_reloaded,
                      "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
    plugin.on_shutdown()
    """)


def measure(cmd: list[str], cwd: Path) -> tuple[float, int, int]:
    """(seconds, peak RSS in KB of the command and its children, exit status)."""
    out = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], cwd=cwd, env=ENV,
                         capture_output=True, text=True, check=True).stdout
    secs, rss, rc = json.loads(out.strip().splitlines()[-1])
    return secs, rss, rc


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


def query_bytes(reflib_site: Path, plain_site_dir: Path, query: str) -> dict[str, Any]:
    """Bytes loaded for one query in headless Chromium, per site (raw and gzip-estimated)."""
    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        for name, folder in (("pagefind", reflib_site), ("lunr", plain_site_dir)):
            server, url = _serve(folder)
            page = browser.new_page()
            loaded: list[tuple[str, int, int]] = []

            def on_response(resp: Any, loaded: list[tuple[str, int, int]] = loaded) -> None:
                u = resp.url
                if "/pagefind/" in u or "search_index.json" in u or "/workers/search" in u:
                    try:
                        body = resp.body()
                    except Exception:
                        return
                    loaded.append((u, len(body), len(gzip.compress(body, 6))))

            page.on("response", on_response)
            page.goto(url + "topics/01-topic-1/")
            if name == "pagefind":
                page.click(".reflib-search-button")
                page.fill(".pagefind-ui__search-input", query)
                page.locator(".pagefind-ui__result").first.wait_for(timeout=60000)
            else:
                page.click(".md-search__input")
                page.fill(".md-search__input", query)
                page.locator(".md-search-result__item").first.wait_for(timeout=120000)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(1500)
            # code: Pagefind's JS and the UI (cached after the first search); data: the
            # entry file, metadata, wasm, index chunks, filters and result fragments
            code_names = ("pagefind-ui.", "/pagefind.js", "pagefind-worker.js")
            ui = [x for x in loaded if any(c in x[0] for c in code_names)]
            data = [x for x in loaded if x not in ui]
            out[name] = {
                "requests": len(loaded),
                "data_bytes": sum(x[1] for x in data),
                "data_gzip": sum(x[2] for x in data),
                "ui_bytes": sum(x[1] for x in ui),
                "ui_gzip": sum(x[2] for x in ui),
                "files": sorted({x[0].rsplit("/", 2)[-2] + "/" + x[0].rsplit("/", 1)[-1][:24]
                                 for x in loaded}),
            }
            page.close()
            server.shutdown()
        browser.close()
    return out


def run_size(work: Path, n: int, size_kb: int, query: str) -> None:
    lib = work / f"lib{n}"
    t0 = time.perf_counter()
    generate(lib, n, size_kb)
    (lib / "mkdocs.yml").write_text(CONFIG)
    size = sum(p.stat().st_size for p in lib.rglob("*.md"))
    plain = plain_site(lib, work / f"plain{n}")
    print(f"\n## {n} resources, {size / 1e6:.1f} MB of markdown "
          f"(generated in {time.perf_counter() - t0:.1f} s)", flush=True)

    plain_s, plain_rss, prc = measure([sys.executable, "-m", "mkdocs", "build", "-q"], plain)
    print(f"plain Material+lunr build: {plain_s:8.1f} s  peak {plain_rss / 1024:7.0f} MB"
          f"  (exit {prc})", flush=True)
    ours_s, ours_rss, orc = measure([sys.executable, "-m", "mkdocs", "build", "-q"], lib)
    print(f"reflib + Pagefind build:   {ours_s:8.1f} s  peak {ours_rss / 1024:7.0f} MB"
          f"  (exit {orc})", flush=True)
    print(f"  ratio build time {ours_s / plain_s:.2f}, peak memory {ours_rss / plain_rss:.2f}"
          f"  (target: time <= 1, memory < 2 GB)", flush=True)

    r = rebuild(lib)
    print(f"serve rebuild after editing one card: {r['rebuild']:.2f} s "
          f"(first serve build {r['first']:.1f} s; rendered {r['rendered']}, cached "
          f"{r['cached']}, reused files {r['reused']}, files re-read {r['model_reloaded']}; "
          f"Pagefind re-index in the background {r['index_background'] or 0:.1f} s)", flush=True)
    print(f"  ratio rebuild / plain full build {r['rebuild'] / plain_s:.3f}  (target <= 0.1)",
          flush=True)

    q = query_bytes(lib / "site", plain / "site", query)
    pf, lunr = q["pagefind"], q["lunr"]
    print(f"one query '{query}': Pagefind data (entry, meta, wasm, index chunks, filters, "
          f"fragments) {pf['data_bytes'] / 1024:.0f} KB ({pf['data_gzip'] / 1024:.0f} KB "
          f"gzipped, {pf['requests']} requests in all) + code (pagefind.js, worker, UI) "
          f"{pf['ui_bytes'] / 1024:.0f} KB ({pf['ui_gzip'] / 1024:.0f} KB gzipped); lunr "
          f"index + worker {lunr['data_bytes'] / 1024:.0f} KB "
          f"({lunr['data_gzip'] / 1024:.0f} KB gzipped)", flush=True)
    total = pf["data_bytes"] + pf["ui_bytes"]
    print(f"  ratio Pagefind data / lunr {pf['data_bytes'] / max(1, lunr['data_bytes']):.4f};"
          f" data + code {total / 1024:.0f} KB raw, "
          f"{(pf['data_gzip'] + pf['ui_gzip']) / 1024:.0f} KB gzipped  (target: < 300 KB)",
          flush=True)
    index_json = plain / "site/search/search_index.json"
    if index_json.is_file():
        print(f"  lunr search_index.json: {index_json.stat().st_size / 1e6:.1f} MB", flush=True)

    check_s, _, crc = measure([sys.executable, "-m", "reflib", "--root", str(lib), "check"], lib)
    print(f"reflib check: {check_s:.2f} s (exit {crc}); ratio to plain build "
          f"{check_s / plain_s:.3f}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="200,1000",
                        help="comma-separated resource counts (default 200,1000)")
    parser.add_argument("--size-kb", type=int, default=100)
    parser.add_argument("--query", default="snapshot quorum")
    parser.add_argument("--keep", type=Path, help="work in DIR and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="reflib-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        for n in [int(x) for x in args.sizes.split(",") if x.strip()]:
            run_size(work, n, args.size_kb, args.query)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
