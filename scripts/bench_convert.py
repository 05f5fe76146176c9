"""Benchmark: ``reflib convert`` per resource as the library grows, and ``--jobs`` speed-up.

Two measurements, each in the same run, each a fresh ``reflib convert`` process as a user runs
it:

1. **Cost per resource against the library's size.** Libraries of ``--small`` and ``4 x
   --small`` entries are generated, a quarter of them ``fetched`` with tiny HTML pages (so the
   conversion itself is negligible and what grows with the library shows); all of them are
   converted; the time per converted resource in the larger library is printed as a ratio of
   the smaller one's (linear cost per resource: about 1).
2. **Parallel conversion.** ``--cpu-bound`` resources with large HTML pages are converted with
   ``--jobs 1`` and with ``--jobs N`` (N = the number of CPUs); the speed-up is printed beside N.

    python scripts/bench_convert.py [--small 200] [--cpu-bound 8]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_library(root: Path, entries: int, fetched: int, page: str) -> None:
    """``entries`` manifest entries, the first ``fetched`` of them fetched with ``page``."""
    (root / "refs").mkdir(parents=True)
    lines = ["# benchmark library: comments must survive", "resources:"]
    for i in range(entries):
        rid = f"res-{i:05d}"
        status = "fetched" if i < fetched else "link_only"
        lines += [f"  - id: {rid}   # entry {i}", f'    title: "Resource {i}"', "    type: blog",
                  f"    url: https://example.org/{rid}", f"    status: {status}"]
        if i < fetched:
            raw = root / "sources" / rid / "raw" / "page.html"
            raw.parent.mkdir(parents=True)
            raw.write_text(page.replace("{i}", str(i)))
            lines.append("    raw: [raw/page.html]")
    (root / "refs" / "manifest.yaml").write_text("\n".join(lines) + "\n")


def convert(root: Path, jobs: int) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "reflib.cli.main", "--root", str(root), "convert",
                           "--all", "--jobs", str(jobs)], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"convert failed:\n{proc.stdout}\n{proc.stderr}")
    return seconds


TINY = ("<html><body><article><h1>Resource {i}</h1><p>A short page of resource {i}, long "
        "enough to be a paragraph of prose.</p></article></body></html>")


def big_page() -> str:
    paragraphs = "".join(f"<div class='block'><h3>Section {n}</h3><p>Paragraph {n} of a long "
                         f"documentation page, with <a href='/x{n}'>a link</a>, <code>code"
                         f"</code> and enough words to count as running prose.</p></div>"
                         for n in range(4000))
    return f"<html><body><main><article><h1>Big {{i}}</h1>{paragraphs}</article></main></body></html>"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=200, help="entries of the smaller library")
    parser.add_argument("--cpu-bound", type=int, default=8, help="large pages to convert")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="reflib-bench-convert-"))
    try:
        print("== per-resource cost against library size (tiny pages, --jobs 1)")
        per: dict[int, float] = {}
        for entries in (args.small, 4 * args.small):
            root = work / f"lib-{entries}"
            make_library(root, entries, entries // 4, TINY)
            seconds = convert(root, 1)
            per[entries] = seconds / (entries // 4)
            print(f"  {entries:6d} entries, {entries // 4:5d} converted: {seconds:7.2f} s = "
                  f"{1000 * per[entries]:6.1f} ms per resource")
        ratio = per[4 * args.small] / per[args.small]
        print(f"  per-resource time, 4x larger library / smaller: {ratio:.2f} (target <= 1.5)")
        cpus = os.cpu_count() or 1
        print(f"== --jobs speed-up on {args.cpu_bound} large pages ({cpus} CPUs)")
        times = {}
        for jobs in sorted({1, cpus}):
            root = work / f"big-{jobs}"
            make_library(root, args.cpu_bound, args.cpu_bound, big_page())
            times[jobs] = convert(root, jobs)
            print(f"  --jobs {jobs}: {times[jobs]:7.2f} s")
        if cpus > 1:
            print(f"  speed-up with --jobs {cpus}: {times[1] / times[cpus]:.2f}x "
                  f"(ideal {cpus}x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
