"""``reflib find``: BM25 ranking at heading granularity, tokenizer, on-disk index refresh."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reflib.cli.main import main
from reflib.lookup.search import INDEX_PATH, Index, parse_query, stem, tokenize


def find_json(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> list[dict]:
    capsys.readouterr()
    code = main(["--root", str(root), "find", "--json", *args])
    out = capsys.readouterr().out
    hits = json.loads(out)
    assert code == (0 if hits else 1)
    return hits


def append(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_tokenizer_keeps_identifiers_and_stems() -> None:
    assert tokenize("fsync_dir") == ["fsync_dir", "fsync", "dir"]
    assert tokenize("O_DIRECT") == ["o_direct", "o", "direct"]
    assert tokenize("Micro-batches") == ["micro", "batch"]
    assert stem("batches") == stem("batch")
    assert stem("pipelines") == stem("pipelining") == stem("pipeline")
    assert tokenize("Ünïcode Wörter") == ["ünïcode", "wörter"]
    q = parse_query('"fsync dir" rename')
    assert q.phrases == ["fsync dir"]
    assert "fsync" in q.terms and "dir" in q.terms


def test_rare_term_ranks_its_section_first(library: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    append(library / "sources/beta/full.md", "Configure it.",
           "Configure it with the zanzibarium switch.")
    hits = find_json(library, capsys, "zanzibarium")
    assert hits[0]["id"] == "beta"
    assert hits[0]["anchor"] == "setup-1"
    assert hits[0]["path"] == "sources/beta/full.md"
    assert hits[0]["title"] == "Beta docs"
    assert hits[0]["kind"] == "fulltext"
    assert "zanzibarium" in hits[0]["snippet"]
    assert set(hits[0]) >= {"id", "anchor", "path", "title", "snippet", "score", "line"}
    lines = (library / "sources/beta/full.md").read_text().split("\n")
    setups = [n for n, line in enumerate(lines, 1) if line == "## Setup"]
    assert hits[0]["line"] == setups[1]


def test_section_line_points_at_heading(library: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    hits = find_json(library, capsys, "micro-batches", "bubble", "--kind", "fulltext")
    top = hits[0]
    assert (top["id"], top["anchor"]) == ("alpha", "22-performance-optimization")
    lines = (library / "sources/alpha/full.md").read_text().split("\n")
    assert lines[top["line"] - 1] == "## 2.2 Performance Optimization"


def test_heading_and_phrase_boost(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = library / "refs/notes.md"
    doc.write_text(
        "# Notes\n\n## Quorum writes\n\nText about something else entirely here.\n\n"
        "## Other\n\nWe mention quorum once in a body of the same length.\n\n"
        "## Bubble pipeline\n\nthe bubble of the pipeline is small\n\n"
        "## Third\n\nthe pipeline bubble is small\n", encoding="utf-8")
    hits = find_json(library, capsys, "quorum")
    assert [h["anchor"] for h in hits[:2]] == ["quorum-writes", "other"]
    hits = find_json(library, capsys, '"pipeline bubble"', "--kind", "doc")
    assert hits[0]["anchor"] == "third"


def test_identifier_lookup(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    append(library / "sources/alpha/full.md", "First results.",
           "First results with `fsync_dir()` and `O_DIRECT`.")
    for query in ("fsync_dir", "o_direct", "O_DIRECT", "fsync"):
        hits = find_json(library, capsys, query)
        assert (hits[0]["id"], hits[0]["anchor"]) == ("alpha", "results"), query
    hits = find_json(library, capsys, "fsync_dir")
    assert "fsync_dir" in hits[0]["snippet"]


def test_filters_and_limit(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hits = find_json(library, capsys, "setup", "--kind", "card")
    assert hits and all(h["kind"] == "card" for h in hits)
    hits = find_json(library, capsys, "results", "--type", "docs")
    assert all(h["id"] == "beta" for h in hits)
    hits = find_json(library, capsys, "results", "--type", "paper")
    assert hits and all(h["id"] == "alpha" for h in hits)
    hits = find_json(library, capsys, "setup", "--limit", "1")
    assert len(hits) == 1
    hits = find_json(library, capsys, "mental model", "--kind", "topic")
    assert hits[0]["id"] in ("01-first", "02-second")
    assert hits[0]["anchor"] == "mental-model"


def test_index_refreshes_only_changed_files(library: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert find_json(library, capsys, "quetzalcoatl") == []
    assert (library / INDEX_PATH).is_file()
    with Index(library) as index:
        assert index.refresh() == []
    target = library / "sources/beta/full.md"
    append(target, "Install it.", "Install it, then feed the quetzalcoatl.")
    with Index(library) as index:
        assert index.refresh() == ["sources/beta/full.md"]
    append(target, "quetzalcoatl", "axolotl")  # same size: the mtime tells
    st = target.stat()
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    hits = find_json(library, capsys, "axolotl")
    assert (hits[0]["id"], hits[0]["anchor"]) == ("beta", "setup")
    assert find_json(library, capsys, "quetzalcoatl") == []
    target.unlink()
    assert find_json(library, capsys, "axolotl") == []


def test_corrupt_index_is_rebuilt(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = library / INDEX_PATH
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database" * 100)
    hits = find_json(library, capsys, "micro-batches")
    assert hits[0]["id"] == "alpha"


def test_terminal_output_and_exit_codes(library: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(library), "find", "performance", "optimization"]) == 0
    out = capsys.readouterr().out
    assert "alpha#22-performance-optimization" in out
    assert "sources/alpha/full.md:" in out
    assert main(["--root", str(library), "find", "nothingmatchesthis"]) == 1
    assert "no match" in capsys.readouterr().err
    assert main(["--root", str(library), "find", "--", "!!"]) == 2


def test_bad_input_does_not_crash(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (library / "sources/beta/full.md").write_text(
        "---\nid: beta\ntitle: [unclosed\n---\n# One\n\nborked frontmatter words\n")
    (library / "refs/bad.md").write_bytes(b"# caf\xe9 not utf-8\n")
    manifest = library / "refs/manifest.yaml"
    manifest.write_text(manifest.read_text().replace("status: fetched", "status: fetchd"))
    hits = find_json(library, capsys, "borked")
    assert hits[0]["id"] == "beta"
    assert find_json(library, capsys, "micro-batches")[0]["id"] == "alpha"


def test_read_only_index_falls_back_to_memory(library: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert find_json(library, capsys, "micro-batches")[0]["id"] == "alpha"
    append(library / "sources/beta/full.md", "Install it.", "Install it, then the wombat.")
    index_file = library / INDEX_PATH
    index_file.chmod(0o444)
    index_file.parent.chmod(0o555)
    try:
        if os.access(index_file, os.W_OK):
            pytest.skip("running as a user who can write anyway")
        assert find_json(library, capsys, "wombat")[0]["id"] == "beta"
    finally:
        index_file.parent.chmod(0o755)
        index_file.chmod(0o644)


def test_concurrent_lookups_do_not_double_index(library: Path) -> None:
    import threading

    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with Index(library) as index:
                index.refresh()
                assert index.search("micro-batches")[0].id == "alpha"
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Index(library) as index:
        n_files = index.conn.execute("SELECT COUNT(*) FROM files").fetchone()[0]
    assert n_files == 7


def test_unwritable_cache_folder_uses_memory(library: Path) -> None:
    blocked = library / "refs/manifest.yaml" / "index.sqlite3"  # parent is a file
    with Index(library, db_path=blocked) as index:
        assert index.in_memory
        assert len(index.refresh()) == 7
        assert index.search("micro-batches")[0].anchor == "22-performance-optimization"
