"""Benchmark: does search find the section that answers a lookup? reflib beside plain Material.

Two query sets, each query with the full-text section that answers it:

* the example library: hand-written lookups (a heading named, or the words of its answer);
* a generated library (``scripts/synthlib.py``): sections drawn at random, each looked up by
  the words of its heading.

Each library is built twice in the same run: with reflib (Pagefind search) and as a plain
MkDocs + Material site of the same markdown (Material's lunr search, which indexes every
section). Both are served on 127.0.0.1 and searched in headless Chromium through their own
search boxes, as a reader would; the rank of the first result that links to the expected
section (page and anchor) gives the reciprocal rank (0 when it is not among the first
``--depth`` results). The mean reciprocal rank of each site is printed side by side, with
the queries where reflib does worse.

The generated library is searched again with its pages cut at fewer heading levels (the
plugin's ``search_records`` budget set so that pages are cut at ``h2`` only, or not at all:
what a large library gets), ``--cuts``.

    python scripts/bench_search.py [--generated 60] [--queries 20] [--depth 20] [--cuts 2,1]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_check import plain_site
from synthlib import generate

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

EXAMPLE_QUERIES = [
    ("directory fsync", "atomic-replace-paper", "22-directory-fsync"),
    ("rename protocol", "atomic-replace-paper", "21-the-rename-protocol"),
    ("durability modes", "tidewater-docs", "durability-modes"),
    ("errors are sticky", "fsync-blog", "errors-are-sticky--until-they-arent"),
    ("what survives a crash", "tidewater-docs", "what-survives-a-crash"),
    ("verifying durability", "tidewater-docs", "verifying-durability"),
    ("how a put becomes durable", "tidewater-docs", "how-a-put-becomes-durable"),
    ("install tidewater", "tidewater-docs", "install"),
    ("fsync checklist", "fsync-blog", "a-checklist"),
    ("lost updates per power cut", "atomic-replace-paper", "4-evaluation"),
    ("probability of losing an update", "atomic-replace-paper", "3-method"),
    ("writeback error reported next fsync", "fsync-blog", "errors-are-sticky--until-they-arent"),
    ("atomicwrite-mini limits on network file systems", "atomicwrite-repo", "file-readmemd"),
]


@dataclass
class Query:
    text: str
    resource: str
    anchor: str


GITHUB_ANCHORS = ("markdown_extensions:\n  - toc:\n      slugify: !!python/object/apply:"
                  "pymdownx.slugs.slugify {kwds: {case: lower}}\n")
"""The plain site's headings get GitHub's anchors, as reflib's do (links compare equal)."""


def build(project: Path, site: Path) -> None:
    """Build the project (a folder with ``mkdocs.yml``, or a config file) into ``site``."""
    config = project if project.is_file() else project / "mkdocs.yml"
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-f",
                           str(config), "-d", str(site)],
                          capture_output=True, text=True, cwd=config.parent)
    if proc.returncode != 0:
        raise SystemExit(f"build of {project} failed:\n{proc.stderr[-3000:]}")


def with_cut(lib: Path, cut: int, default_site: Path) -> Path:
    """``lib`` with a ``mkdocs.yml`` whose ``search_records`` budget makes the plugin cut
    pages at ``h2``-``h<cut>`` (1: whole pages): the pages it builds (counted in
    ``default_site``) and the headings down to that level."""
    from reflib.core.model import load

    pages = sum(1 for _ in default_site.rglob("index.html"))
    levels = [h.level for doc in load(lib).documents.values() for h in doc.headings]
    budget = pages + sum(1 for level in levels if 2 <= level <= cut)
    config = lib / f"mkdocs-cut-{cut}.yml"
    config.write_text((lib / "mkdocs.yml").read_text().replace(
        "  - reflib\n", f"  - reflib:\n      search_records: {budget}\n"))
    return config


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(site: Path) -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _target(href: str, base: str) -> tuple[str, str]:
    """(resource id, anchor) a result link points at ('' when not a full text)."""
    parts = urlsplit(href)
    path = unquote(parts.path)
    match = re.search(r"/sources/([^/]+)/(?:full/)?$", path)
    return (match.group(1) if match else "", parts.fragment)


def _settle(page, query: str) -> None:  # type: ignore[no-untyped-def]
    """Wait until the results are the query's (not the previous one's) and every result
    shown has its link (Pagefind fills them in as their fragments load)."""
    page.wait_for_function("""(query) => {
        const message = document.querySelector('.reflib-search .pagefind-ui__message');
        if (!message || !message.innerText.includes(query)) return false;
        const shown = document.querySelectorAll('.reflib-search .pagefind-ui__result').length;
        const linked = document.querySelectorAll('.reflib-search .pagefind-ui__result-inner'
            + ' > .pagefind-ui__result-title .pagefind-ui__result-link[href]').length;
        return shown > 0 && shown === linked; }""", arg=query, timeout=15000)
    page.wait_for_timeout(200)


def reflib_results(page, base: str, query: str, depth: int) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    page.goto(base)
    page.click(".md-header .reflib-search-button")
    box = page.locator(".reflib-search .pagefind-ui__search-input")
    box.wait_for(state="visible", timeout=15000)
    box.fill(query)
    try:
        page.locator(".pagefind-ui__result-link").first.wait_for(timeout=15000)
    except Exception:
        return []
    _settle(page, query)
    links: list[str] = []
    # in the order a reader sees them: each result, then its sub-results
    for _ in range(10):
        links = page.evaluate("""() => Array.from(document.querySelectorAll(
            '.reflib-search .pagefind-ui__result-link')).map(a => a.href)""")
        more = page.locator(".reflib-search .pagefind-ui__button")
        if len(links) >= depth or more.count() == 0 or not more.first.is_visible():
            break
        more.first.click()
        _settle(page, query)
    return [_target(h, base) for h in links[:depth]]


def material_results(page, base: str, query: str, depth: int) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    page.goto(base + "404.html")  # a page with the header (the plain site has no home page)
    page.wait_for_load_state("networkidle")
    page.evaluate("() => { const t = document.getElementById('__search'); "
                  "if (t) { t.checked = true; t.dispatchEvent(new Event('change')); } }")
    box = page.locator("input.md-search__input")
    box.focus()
    for _ in range(6):  # the first query may come before the search worker is ready
        box.fill("")
        box.type(query, delay=10)
        try:
            page.locator(".md-search-result__item").first.wait_for(timeout=3000)
            break
        except Exception:
            continue
    else:
        return []
    page.wait_for_timeout(400)
    # Material folds a page's further sections under "more"; open them so every link counts
    page.evaluate("""() => document.querySelectorAll('.md-search-result__more details')
        .forEach(d => d.open = true)""")
    links = page.evaluate("""() => Array.from(document.querySelectorAll(
        '.md-search-result__link')).map(a => a.href)""")
    return [_target(h, base) for h in links[:depth]]


def reciprocal_rank(results: list[tuple[str, str]], q: Query) -> float:
    for rank, (rid, anchor) in enumerate(results, start=1):
        if rid == q.resource and anchor == q.anchor:
            return 1.0 / rank
    return 0.0


def generated_queries(lib: Path, n: int, seed: int = 3) -> list[Query]:
    rng = random.Random(seed)
    from reflib.core.model import load

    model = load(lib)
    sections = [(rid, h) for rid, doc in model.fulltexts.items() for h in doc.headings
                if h.level >= 2]
    picked = rng.sample(sections, min(n, len(sections)))
    return [Query(re.sub(r"^\d+\s+", "", h.text), rid, h.anchor) for rid, h in picked]


def run_set(name: str, lib: Path, queries: list[Query], depth: int, work: Path,
            reflib_site: Path | None = None) -> None:
    """Search the reflib site of ``lib`` (built now unless ``reflib_site`` is given) and a
    plain Material site of the same markdown with ``queries``; print both MRRs."""
    from playwright.sync_api import sync_playwright

    plain_built = work / f"{name}-plain"
    if reflib_site is None:
        reflib_site = work / f"{name}-reflib"
        build(lib, reflib_site)
    build(plain_site(lib, work / f"{name}-plain-project", GITHUB_ANCHORS), plain_built)
    rows = []
    with serve(reflib_site) as ours, serve(plain_built) as plain, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for q in queries:
            r1 = reciprocal_rank(reflib_results(page, ours, q.text, depth), q)
            r2 = reciprocal_rank(material_results(page, plain, q.text, depth), q)
            rows.append((q, r1, r2))
        browser.close()
    ours_mrr = sum(r[1] for r in rows) / len(rows)
    plain_mrr = sum(r[2] for r in rows) / len(rows)
    firsts = sum(1 for r in rows if r[1] == 1.0), sum(1 for r in rows if r[2] == 1.0)
    print(f"== {name}: {len(rows)} queries, MRR reflib {ours_mrr:.3f} (first {firsts[0]}) vs "
          f"plain Material {plain_mrr:.3f} (first {firsts[1]})")
    for q, r1, r2 in rows:
        mark = "  <" if r1 < r2 else ""
        print(f"  {q.text[:40]:<40} -> {q.resource}#{q.anchor[:30]:<30} reflib "
              f"{r1:.2f}  material {r2:.2f}{mark}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--generated", type=int, default=60,
                        help="resources of the generated library (0: skip it)")
    parser.add_argument("--queries", type=int, default=20, help="queries on the generated one")
    parser.add_argument("--depth", type=int, default=20, help="results looked at per query")
    parser.add_argument("--cuts", default="2,1",
                        help="heading levels the generated library is also cut at (1: whole "
                             "pages; '' for none)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="reflib-bench-search-"))
    try:
        run_set("example library", REPO,
                [Query(*q) for q in EXAMPLE_QUERIES], args.depth, work)
        if args.generated:
            lib = work / "generated"
            generate(lib, args.generated, size_kb=30)
            (lib / "mkdocs.yml").write_text(
                "site_name: generated\ndocs_dir: refs\ntheme:\n  name: material\n"
                "plugins:\n  - reflib\n")
            queries = generated_queries(lib, args.queries)
            run_set("generated library", lib, queries, args.depth, work)
            for cut in [int(c) for c in args.cuts.split(",") if c.strip()]:
                site = work / f"generated-cut-{cut}"
                build(with_cut(lib, cut, work / "generated library-reflib"), site)
                run_set(f"generated library cut at {'whole pages' if cut == 1 else f'h{cut}'}",
                        lib, queries, args.depth, work, site)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
