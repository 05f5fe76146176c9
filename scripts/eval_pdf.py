"""Evaluate the PDF converter on the corpus PDFs: word recall and speed against pymupdf4llm.

For each ``<corpus>/pdf/*.pdf`` it reports:

- **recall**: the share of the words of PyMuPDF's own text layer (``page.get_text("words")``,
  as a multiset of normalised words, see :func:`reflib.convert.pdf.word_recall`) that occur
  in reflib's markdown. Target: at least 0.99 on every file.
- **docling**: the share of the words of docling's expected markdown (``expected/*.md``)
  that occur in reflib's markdown, a rough cross-check made with a different extractor.
- **pages/s** of reflib and of ``pymupdf4llm.to_markdown`` on the same file in the same run
  (best of ``--repeat`` runs, after one warm-up call each), and their ratio. Target: reflib
  at least 5 times as fast over the whole corpus.

pymupdf4llm is a bench-only dependency (``pip install -e .[bench]``); without it the speed
comparison is skipped. Exit status 0 when the targets are met, 1 otherwise, 2 when the
corpus is missing.

Usage::

    python scripts/eval_pdf.py [--corpus ../shared/corpus] [--repeat 3] [--no-baseline]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pymupdf

from reflib.convert.pdf import markdown_tokens, pdf_to_markdown, word_recall

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
MIN_RECALL = 0.99
MIN_SPEEDUP = 5.0


@dataclass
class Row:
    """Figures for one PDF."""

    name: str
    pages: int
    recall: float
    docling: float | None
    ours: float
    """Seconds per conversion (best run)."""
    baseline: float | None


def best_time(func: Callable[[], object], repeat: int) -> float:
    """Fastest of ``repeat`` timed calls, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def load_baseline() -> Callable[[Path], str] | None:
    """``pymupdf4llm.to_markdown`` with its console chatter silenced, or None if missing."""
    try:
        import pymupdf4llm
    except ImportError:
        return None

    def run(path: Path) -> str:
        with quiet():
            return str(pymupdf4llm.to_markdown(str(path)))

    return run


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence stdout and stderr, also at the file-descriptor level (C extensions print)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        os.dup2(null.fileno(), 2)
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def docling_recall(markdown: str, expected: Path) -> float | None:
    """Share of the words of docling's expected markdown found in ``markdown``."""
    if not expected.is_file():
        return None
    reference = Counter(markdown_tokens(expected.read_text(encoding="utf-8")))
    total = sum(reference.values())
    found = reference & Counter(markdown_tokens(markdown))
    return sum(found.values()) / total if total else None


def expected_path(pdf: Path) -> Path:
    """docling's expected markdown for a corpus PDF (``docling_x.pdf`` -> ``expected/x.md``)."""
    stem = pdf.stem.removeprefix("docling_")
    return pdf.parent / "expected" / f"{stem}.md"


def evaluate(pdf: Path, repeat: int, baseline: Callable[[Path], str] | None) -> Row:
    """Convert one PDF, score it, and time both converters."""
    with pymupdf.open(pdf) as doc:
        pages = doc.page_count
    body, _notes = pdf_to_markdown(pdf)
    ours = best_time(lambda: pdf_to_markdown(pdf), repeat)
    base = None
    if baseline is not None:
        baseline(pdf)  # warm-up: the first call loads its layout model
        base = best_time(lambda: baseline(pdf), repeat)
    return Row(
        pdf.name, pages, word_recall(body, pdf), docling_recall(body, expected_path(pdf)),
        ours, base,
    )


def rate(pages: int, seconds: float | None) -> str:
    """Pages per second as text."""
    return f"{pages / seconds:8.1f}" if seconds else "       -"


def report(rows: list[Row]) -> bool:
    """Print the table and the totals; True when the targets are met."""
    print(f"{'file':36} {'pages':>5} {'recall':>7} {'docling':>7} {'ours p/s':>9} "
          f"{'p4llm p/s':>9} {'ratio':>6}")
    for r in rows:
        ratio = f"{r.baseline / r.ours:6.1f}" if r.baseline else "     -"
        doc = f"{r.docling:7.4f}" if r.docling is not None else "      -"
        print(f"{r.name:36} {r.pages:5d} {r.recall:7.4f} {doc} {rate(r.pages, r.ours)} "
              f"{rate(r.pages, r.baseline)}  {ratio}")
    pages = sum(r.pages for r in rows)
    ours = sum(r.ours for r in rows)
    recall_ok = all(r.recall >= MIN_RECALL for r in rows)
    print(f"\nminimum word recall: {min(r.recall for r in rows):.4f} (target >= {MIN_RECALL})")
    print(f"reflib: {pages} pages in {ours:.3f} s = {pages / ours:.1f} pages/s")
    if any(r.baseline is None for r in rows):
        print("pymupdf4llm not installed: speed comparison skipped")
        return recall_ok
    base = sum(r.baseline or 0.0 for r in rows)
    speedup = base / ours
    print(f"pymupdf4llm: {pages} pages in {base:.3f} s = {pages / base:.1f} pages/s")
    print(f"speed ratio (reflib / pymupdf4llm): {speedup:.1f}x (target >= {MIN_SPEEDUP}x)")
    return recall_ok and speedup >= MIN_SPEEDUP


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per file (best kept)")
    parser.add_argument("--no-baseline", action="store_true", help="skip pymupdf4llm")
    args = parser.parse_args(argv)
    pdfs = sorted((args.corpus / "pdf").glob("*.pdf"))
    if not pdfs:
        print(f"no PDFs under {args.corpus / 'pdf'}", file=sys.stderr)
        return 2
    baseline = None if args.no_baseline else load_baseline()
    rows = [evaluate(pdf, max(1, args.repeat), baseline) for pdf in pdfs]
    ok = report(rows)
    print("targets met" if ok else "targets NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
