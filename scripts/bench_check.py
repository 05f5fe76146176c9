"""Benchmark: ``reflib check`` against a plain ``mkdocs build`` of the same markdown.

Generates a synthetic library (default 1,000 resources with ~100 KB full texts), then in the
same run times ``reflib check`` (a fresh process, as CI runs it) and a plain MkDocs + Material
build (no reflib plugin, Material's search on) of the same markdown files, and prints both
with their ratio.

    python scripts/bench_check.py [--resources 1000] [--size-kb 100] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthlib import generate


def _timed(cmd: list[str], cwd: Path) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    return time.perf_counter() - start, proc.returncode


def plain_site(lib: Path, out: Path, extra_config: str = "") -> Path:
    """A plain MkDocs project holding the same markdown (refs/ and every full.md), with
    ``extra_config`` appended to its ``mkdocs.yml``."""
    docs = out / "docs"
    shutil.copytree(lib / "refs", docs, ignore=shutil.ignore_patterns("*.yaml"))
    for full in (lib / "sources").glob("*/full.md"):
        target = docs / "sources" / full.parent.name / "full.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(full, target)
    (out / "mkdocs.yml").write_text(
        "site_name: plain\ndocs_dir: docs\ntheme:\n  name: material\nplugins:\n  - search\n"
        + extra_config)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--resources", type=int, default=1000)
    parser.add_argument("--size-kb", type=int, default=100)
    parser.add_argument("--keep", type=Path, help="generate into DIR and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="reflib-bench-"))
    lib = work / "lib"
    t0 = time.perf_counter()
    generate(lib, args.resources, args.size_kb)
    size = sum(p.stat().st_size for p in lib.rglob("*.md"))
    print(f"library: {args.resources} resources, {size / 1e6:.1f} MB of markdown "
          f"(generated in {time.perf_counter() - t0:.1f} s)")
    check_s, rc = _timed([sys.executable, "-m", "reflib", "--root", str(lib), "check"], lib)
    print(f"reflib check:          {check_s:8.2f} s  (exit {rc})")
    plain = plain_site(lib, work / "plain")
    build_s, brc = _timed([sys.executable, "-m", "mkdocs", "build", "-q"], plain)
    print(f"plain mkdocs build:    {build_s:8.2f} s  (exit {brc})")
    print(f"ratio check/build:     {check_s / build_s:8.3f}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if rc == 0 and brc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
