"""Generate synthetic reference libraries for benchmarks (not product logic).

``generate(root, n, size_kb)`` writes a valid library of ``n`` resources whose full texts are
about ``size_kb`` KB of varied markdown (headings, paragraphs, lists, tables, code), with
cards citing evidence for a fifth of them, and topics. ``reflib check`` passes on it.
"""

from __future__ import annotations

import random
from pathlib import Path

from reflib.fsutil import sha256_path
from reflib.paths import Slugger

WORDS = (
    "pipeline bubble micro batch gradient tensor shard rank stage schedule latency throughput "
    "memory activation checkpoint fsync rename durability journal extent inode page cache "
    "barrier commit replica quorum leader follower snapshot compaction index query planner "
    "kernel driver interrupt buffer queue socket packet congestion window retry backoff"
).split()
TOPICS = [f"{i:02d}-topic-{i}" for i in range(1, 11)]
STATUSES = ["converted"] * 6 + ["condensed"] * 2 + ["fetched", "link_only"]


def _sentence(rng: random.Random, n: int = 14) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def _section(rng: random.Random, level: int, title: str) -> str:
    parts = [f"{'#' * level} {title}\n"]
    for _ in range(rng.randint(2, 4)):
        parts.append(" ".join(_sentence(rng) for _ in range(rng.randint(3, 6))) + "\n")
    kind = rng.random()
    if kind < 0.3:
        parts.append("\n".join(f"- {_sentence(rng, 8)}" for _ in range(4)) + "\n")
    elif kind < 0.5:
        parts.append("| step | time | note |\n|---|---|---|\n" + "\n".join(
            f"| {i} | {rng.randint(1, 99)} ms | {_sentence(rng, 4)} |" for i in range(4)) + "\n")
    elif kind < 0.7:
        parts.append("```python\ndef step(x):\n    return x * 2  # " + _sentence(rng, 5)
                     + "\n```\n")
    return "\n".join(parts)


def fulltext_body(rng: random.Random, title: str, size_kb: int) -> tuple[str, list[str]]:
    """A markdown body of about ``size_kb`` KB, and the anchors of its headings."""
    slugger = Slugger()
    parts = [f"# {title}\n"]
    anchors = [slugger.slug(title)]
    size = len(parts[0])
    n = 0
    while size < size_kb * 1024:
        n += 1
        heading = f"{n} {rng.choice(WORDS).capitalize()} {rng.choice(WORDS)}"
        level = 2 if n % 4 == 1 else 3
        section = _section(rng, level, heading)
        anchors.append(slugger.slug(heading))
        parts.append(section)
        size += len(section) + 1
    return "\n".join(parts), anchors


def generate(root: Path, n: int, size_kb: int = 100, seed: int = 7) -> Path:
    """Write a synthetic library of ``n`` resources under ``root``."""
    rng = random.Random(seed)
    (root / "refs/resources").mkdir(parents=True, exist_ok=True)
    (root / "refs/topics").mkdir(parents=True, exist_ok=True)
    manifest = ["# synthetic benchmark library", "resources:"]
    for topic in TOPICS:
        (root / f"refs/topics/{topic}.md").write_text(
            f"# {topic}\n\n" + "\n".join(
                f"## {s}\n\n{_sentence(rng)}\n" for s in (
                    "Mental model", "Key concepts", "Cross-resource agreement and disagreement",
                    "Practical checklist", "Experiments to run")))
    for i in range(n):
        rid = f"res-{i:05d}"
        status = STATUSES[i % len(STATUSES)]
        title = f"Resource {i} on {rng.choice(WORDS)} {rng.choice(WORDS)}"
        topic = TOPICS[i % len(TOPICS)]
        entry = [f"  - id: {rid}", f'    title: "{title}"', "    type: paper",
                 f"    url: https://example.org/{rid}",
                 f"    priority: {('high', 'medium', 'low')[i % 3]}",
                 f"    phase: {1 + i % 4}", f"    status: {status}", f"    topics: [{topic}]"]
        if status != "link_only":
            raw = root / f"sources/{rid}/raw/page.html"
            raw.parent.mkdir(parents=True, exist_ok=True)
            raw.write_text(f"<html><body><h1>{title}</h1></body></html>\n")
            entry.append("    raw: [raw/page.html]")
        manifest.extend(entry)
        if status in ("converted", "condensed"):
            body, anchors = fulltext_body(rng, title, size_kb)
            digest = sha256_path(root / f"sources/{rid}/raw/page.html")
            (root / f"sources/{rid}/full.md").write_text(
                f"---\nid: {rid}\ntitle: \"{title}\"\ntier: 2\nconverter: reflib 0.1.0 html\n"
                f"converted: 2026-11-01\nraw_sha256:\n  raw/page.html: {digest}\n---\n{body}")
            if status == "condensed":
                claims = []
                for c in range(1, 6):
                    anchor = rng.choice(anchors[1:])
                    claims.append(f"{c}. {_sentence(rng)}\n   Evidence: [§](../../sources/"
                                  f"{rid}/full.md#{anchor})")
                (root / f"refs/resources/{rid}.md").write_text(
                    f"---\nid: {rid}\nreview: approved\nreviewed_by: bench\n---\n# {title}\n\n"
                    "## Claims\n\n" + "\n".join(claims) + "\n")
    (root / "refs/manifest.yaml").write_text("\n".join(manifest) + "\n")
    return root
