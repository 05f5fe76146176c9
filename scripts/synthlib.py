"""Generate synthetic reference libraries for benchmarks (not product logic).

``generate(root, n, size_kb)`` writes a valid library of ``n`` resources whose full texts are
about ``size_kb`` KB of varied markdown (headings, paragraphs, lists, tables, code), with
cards citing evidence for a fifth of them, and topics. ``reflib check`` passes on it.

The text has the term statistics of technical prose, so a search index built over it is
shaped like one built over real documents: words are drawn from a fixed vocabulary of about
30,000 words (English function words first, the benchmark's technical words among the common
ones, then pseudo-words built from syllables, shorter ones more common) with Zipf frequencies
(the word of rank ``r`` has probability proportional to ``1 / r``), sentence lengths vary, and
each full text has its own recurring terms and phrases (about a third of its words), so words
cluster in documents and the text compresses about like real prose (gzip to about 39%; the
text of real technical pages: about 35%).
:func:`term` names a word by rank, so a benchmark can query rare, mid-frequency and common
words.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import random
from dataclasses import dataclass, field
from pathlib import Path

from reflib.core.fsutil import sha256_path
from reflib.core.paths import Slugger

WORDS = (
    "pipeline bubble micro batch gradient tensor shard rank stage schedule latency throughput "
    "memory activation checkpoint fsync rename durability journal extent inode page cache "
    "barrier commit replica quorum leader follower snapshot compaction index query planner "
    "kernel driver interrupt buffer queue socket packet congestion window retry backoff"
).split()
"""Technical words: resource titles use them, and they are among the vocabulary's common
words (ranks 60 to about 1,600)."""
FUNCTION_WORDS = (
    "the of and to a in is that for it as with be on by this are from or at which an not "
    "can we when each its if one more than two has only but all into also these so after "
    "between both their then other each such per how most may while over where every"
).split()
"""The vocabulary's most common words, in rank order (duplicates are dropped)."""
VOCABULARY_SIZE = 30_000
ZIPF_EXPONENT = 1.0
TOPICS = [f"{i:02d}-topic-{i}" for i in range(1, 11)]
STATUSES = ["converted"] * 6 + ["condensed"] * 2 + ["fetched", "link_only"]

_ONSETS = ("", "b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v",
           "w", "z", "br", "ch", "cl", "cr", "dr", "fl", "gr", "pl", "pr", "sh", "sl", "sp",
           "st", "str", "th", "tr")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ea", "ee", "io", "ou", "oa", "y")
_CODAS = ("", "", "", "n", "r", "s", "t", "l", "m", "nd", "nt", "rk", "st", "ck", "ng", "x")


@functools.lru_cache(maxsize=1)
def vocabulary() -> tuple[tuple[str, ...], tuple[float, ...]]:
    """The words by rank (most common first) and their cumulative Zipf weights.

    Always the same (its own fixed seed), whatever seed :func:`generate` gets."""
    rng = random.Random("reflib-synthlib-vocabulary-1")
    functions = list(dict.fromkeys(FUNCTION_WORDS))
    taken = set(functions) | set(WORDS)
    pseudo: list[tuple[float, str]] = []
    while len(pseudo) < VOCABULARY_SIZE - len(functions) - len(WORDS):
        syllables = rng.choices((1, 2, 3, 4), weights=(2, 5, 4, 1))[0]
        word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)
                       for _ in range(syllables))
        if len(word) < 3 or word in taken:
            continue
        taken.add(word)
        pseudo.append((len(word) + rng.gauss(0, 2.5), word))  # shorter words more common
    ranked = functions + [w for _, w in sorted(pseudo)]
    for i, word in enumerate(WORDS):  # technical words at ranks 60, 86, 112, ...
        ranked.insert(60 + 26 * i, word)
    weights = [1.0 / (r ** ZIPF_EXPONENT) for r in range(1, len(ranked) + 1)]
    return tuple(ranked), tuple(itertools.accumulate(weights))


def term(rank: int) -> str:
    """The vocabulary's word of ``rank`` (1 is the most common)."""
    return vocabulary()[0][rank - 1]


def rank_of(word: str) -> int:
    """The rank of ``word`` in the vocabulary (1 is the most common)."""
    return vocabulary()[0].index(word) + 1


def first_content_rank() -> int:
    """The rank of the most common word that is not a function word."""
    functions = set(FUNCTION_WORDS)
    return next(r for r, w in enumerate(vocabulary()[0], 1) if w not in functions)


@dataclass
class _Voice:
    """What makes one document's words depend on each other, as in real text: its own terms
    (drawn again and again, bursty) and recurring phrases."""

    terms: list[str] = field(default_factory=list)
    phrases: list[list[str]] = field(default_factory=list)

    @classmethod
    def of(cls, rng: random.Random) -> _Voice:
        functions = set(FUNCTION_WORDS)
        terms = [w for w in dict.fromkeys(_words(rng, 2000)) if w not in functions][:300]
        rng.shuffle(terms)
        return cls(terms, [_words(rng, rng.randint(2, 3)) for _ in range(40)])


_TERM_CUM = tuple(itertools.accumulate(1.0 / (r + 3) for r in range(1, 301)))
"""Cumulative weights of a document's 300 terms (its most common term is 1.1% of its words)."""
TERM_SHARE = 0.25
"""Of a document's words, the share drawn from its own terms (Zipf-like among them)."""
PHRASE_SHARE = 0.1
"""The share of places where one of the document's recurring phrases is used."""


def _words(rng: random.Random, n: int, voice: _Voice | None = None) -> list[str]:
    words, cum = vocabulary()
    total = cum[-1]
    hi = len(words) - 1
    if voice is None or not voice.terms:
        return [words[bisect.bisect(cum, rng.random() * total, 0, hi)] for _ in range(n)]
    out: list[str] = []
    last = min(len(voice.terms), len(_TERM_CUM)) - 1
    while len(out) < n:
        r = rng.random()
        if r < PHRASE_SHARE:
            out.extend(rng.choice(voice.phrases))
        elif r < PHRASE_SHARE + TERM_SHARE:
            out.append(voice.terms[bisect.bisect(_TERM_CUM, rng.random() * _TERM_CUM[-1],
                                                 0, last)])
        else:
            out.append(words[bisect.bisect(cum, rng.random() * total, 0, hi)])
    return out


def _length(rng: random.Random) -> int:
    """A sentence length in words: mostly 8 to 25, sometimes short, rarely long."""
    return max(3, min(60, round(rng.lognormvariate(2.75, 0.45))))


def _sentence(rng: random.Random, n: int | None = None, voice: _Voice | None = None) -> str:
    words = _words(rng, n or _length(rng), voice)
    if len(words) > 8 and rng.random() < 0.4:
        at = rng.randint(3, len(words) - 3)
        words[at] += ","
    return " ".join(words).capitalize() + "."


def _section(rng: random.Random, level: int, title: str, voice: _Voice) -> str:
    parts = [f"{'#' * level} {title}\n"]
    for _ in range(rng.randint(2, 4)):
        parts.append(" ".join(_sentence(rng, voice=voice) for _ in range(rng.randint(3, 6))) + "\n")
    kind = rng.random()
    if kind < 0.3:
        parts.append("\n".join(f"- {_sentence(rng, 8, voice)}" for _ in range(4)) + "\n")
    elif kind < 0.5:
        parts.append("| step | time | note |\n|---|---|---|\n" + "\n".join(
            f"| {i} | {rng.randint(1, 99)} ms | {_sentence(rng, 4, voice)} |" for i in range(4)) + "\n")
    elif kind < 0.7:
        parts.append("```python\ndef step(x):\n    return x * 2  # " + _sentence(rng, 5, voice)
                     + "\n```\n")
    return "\n".join(parts)


def fulltext_body(rng: random.Random, title: str, size_kb: int) -> tuple[str, list[str]]:
    """A markdown body of about ``size_kb`` KB, and the anchors of its headings."""
    slugger = Slugger()
    voice = _Voice.of(rng)
    parts = [f"# {title}\n"]
    anchors = [slugger.slug(title)]
    size = len(parts[0])
    n = 0
    while size < size_kb * 1024:
        n += 1
        first, second = _words(rng, 2, voice)[:2]
        heading = f"{n} {first.capitalize()} {second}"
        level = 2 if n % 4 == 1 else 3
        section = _section(rng, level, heading, voice)
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
            # one in five is a hand conversion (read page by page): no hashes, as authors write it
            provenance = ("converter: manual\nconversion_notes: |\n  p.3: table kept as text\n"
                          if i % 5 == 4 else
                          f"converter: reflib 0.1.0 html\nconverted: 2026-11-01\n"
                          f"raw_sha256:\n  raw/page.html: {digest}\n")
            (root / f"sources/{rid}/full.md").write_text(
                f"---\nid: {rid}\ntitle: \"{title}\"\nsource_url: https://example.org/{rid}\n"
                f"tier: 2\n{provenance}---\n{body}")
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
