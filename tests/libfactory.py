"""Builds small, valid libraries in a temporary folder for tests.

``make_library(root)`` writes a library that passes ``reflib check``: every status, a full
text with front matter and real raw hashes, an approved and a draft card with evidence, two
topics and a bridge doc. Tests then break one thing and look for the finding.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from reflib.core.fsutil import sha256_path

MANIFEST = """\
# Example manifest: comments must survive every tool.
resources:
  # --- papers ---
  - id: alpha
    title: "Alpha: a paper"
    type: paper
    url: https://example.org/alpha
    priority: high
    phase: 1
    status: condensed
    topics: [01-first]
    raw: [raw/alpha.html]

  - id: beta
    title: Beta docs
    type: docs
    url: https://example.org/beta
    priority: medium
    phase: 2
    status: converted   # draft card awaiting review
    topics: [01-first, 02-second]
    raw: [raw/one.html, raw/two.html]

  - id: gamma
    title: Gamma issue
    type: issue
    url: https://example.org/gamma
    priority: low
    status: fetched
    raw: [raw/issue.json]

  - id: delta
    title: Delta blog
    type: blog
    url: https://example.org/delta
    priority: low
    phase: 3
    status: link_only
    topics: [02-second]
"""

ALPHA_BODY = """\
# Alpha: a paper

## 1 Introduction

Alpha introduces the idea.

## 2.2 Performance Optimization

Micro-batches shrink the bubble.

## Results

First results.

## Results

Second results.
"""

BETA_BODY = """\
# One

## Setup

Install it.

# Two

## Setup

Configure it.
"""


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def fulltext(root: Path, rid: str, title: str, body: str, raw: list[str]) -> Path:
    """Write sources/<rid>/full.md with front matter whose raw hashes match the disk."""
    folder = root / "sources" / rid
    hashes = "\n".join(f"  {r}: {sha256_path(folder / r)}" for r in raw)
    text = (
        "---\n"
        f"id: {rid}\n"
        f'title: "{title}"\n'
        f"source_url: https://example.org/{rid}\n"
        "tier: 2\n"
        'converter: "reflib 0.1.0 html"\n'
        "converted: 2026-11-01\n"
        f"raw_sha256:\n{hashes}\n"
        "---\n" + body
    )
    return _write(folder / "full.md", text)


def make_library(root: Path) -> Path:
    """Write a valid library under ``root`` and return ``root``."""
    _write(root / "refs" / "manifest.yaml", MANIFEST)
    _write(root / "sources/alpha/raw/alpha.html", "<html><body><h1>Alpha</h1></body></html>\n")
    _write(root / "sources/beta/raw/one.html", "<html><body><h1>One</h1></body></html>\n")
    _write(root / "sources/beta/raw/two.html", "<html><body><h1>Two</h1></body></html>\n")
    _write(root / "sources/gamma/raw/issue.json", '{"issue": {"title": "Gamma"}, "comments": []}\n')
    fulltext(root, "alpha", "Alpha: a paper", ALPHA_BODY, ["raw/alpha.html"])
    fulltext(root, "beta", "Beta docs", BETA_BODY, ["raw/one.html", "raw/two.html"])
    _write(root / "refs/resources/alpha.md", textwrap.dedent("""\
        ---
        id: alpha
        review: approved
        reviewed_by: maintainer
        ---
        # Alpha

        ## Claims

        1. Micro-batches shrink the pipeline bubble.
           Evidence: [§2.2 Performance Optimization](../../sources/alpha/full.md#22-performance-optimization)
        2. Results were measured twice.
           Evidence: [first](../../sources/alpha/full.md#results); [second](../../sources/alpha/full.md#results-1)

        ## Actionables

        - Try it, see [the topic](../topics/01-first.md#mental-model).
        """))
    _write(root / "refs/resources/beta.md", textwrap.dedent("""\
        ---
        id: beta
        review: draft
        ---
        # Beta

        ## Claims

        1. Setup happens twice.
           Evidence: [One setup](../../sources/beta/full.md#setup); [Two setup](../../sources/beta/full.md#setup-1)
        """))
    for stem, title in (("01-first", "First topic"), ("02-second", "Second topic")):
        _write(root / f"refs/topics/{stem}.md", textwrap.dedent(f"""\
            # {title}

            ## Mental model

            A model, see [alpha](../resources/alpha.md).

            ## Key concepts

            Concepts.
            Evidence: [§1](../../sources/alpha/full.md#1-introduction)

            ## Cross-resource agreement and disagreement

            They agree.

            ## Practical checklist

            - check

            ## Experiments to run

            - run
            """))
    _write(root / "refs/implementation-context.md", textwrap.dedent("""\
        # Implementation context

        Our code follows [Alpha](resources/alpha.md#claims) and
        [the full text](../sources/alpha/full.md#1-introduction).
        """))
    return root
