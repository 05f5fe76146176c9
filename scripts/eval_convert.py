"""Evaluate the Tier 2 converters on ../shared/corpus in one run.

Runs ``eval_html`` (reflib, trafilatura and readability-lxml on the same pages: shingle
precision / recall / F1 per set, must-keep and must-drop snippets, docs-theme chrome, time)
and ``eval_pdf`` (word recall against PyMuPDF's
text layer, pages/s against pymupdf4llm on the same files). Exit 1 when a target is missed.

    python scripts/eval_convert.py [--corpus ../shared/corpus]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_html
import eval_pdf


def main() -> int:
    args = sys.argv[1:]
    corpus = args[args.index("--corpus"):args.index("--corpus") + 2] if "--corpus" in args else []
    print("##### HTML converter")
    html_rc = eval_html.main(corpus)
    print("\n##### PDF converter")
    pdf_rc = eval_pdf.main(corpus)
    return 1 if (html_rc or pdf_rc) else 0


if __name__ == "__main__":
    sys.exit(main())
