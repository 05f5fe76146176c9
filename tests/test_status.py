"""``reflib status``: counts, queue, awaiting review, stale conversions; robust on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reflib.cli.main import main


def status_json(root: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    capsys.readouterr()
    assert main(["--root", str(root), "status", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_counts_queue_review(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = status_json(library, capsys)
    assert data["counts"] == {"link_only": 1, "fetched": 1, "converted": 1, "condensed": 1}
    assert data["total"] == 4
    assert data["by_priority"]["high"]["condensed"] == 1
    assert data["by_priority"]["low"] == {"link_only": 1, "fetched": 1, "converted": 0,
                                          "condensed": 0}
    assert list(data["by_phase"]) == ["1", "2", "3", "none"]
    # by priority, then phase (no phase last): beta (medium), delta (low, 3), gamma (low)
    assert [(q["id"], q["action"]) for q in data["queue"]] == [
        ("beta", "review"), ("delta", "fetch"), ("gamma", "convert")]
    assert data["queue"][0]["command"] == "reflib review beta --approve"
    assert [a["id"] for a in data["awaiting_review"]] == ["beta"]
    assert data["stale"] == []
    assert data["problems"] == []


def test_stale_conversion_reported(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (library / "sources/alpha/raw/alpha.html").write_text("<p>changed</p>\n", encoding="utf-8")
    data = status_json(library, capsys)
    assert len(data["stale"]) == 1
    stale = data["stale"][0]
    assert stale["id"] == "alpha"
    assert stale["path"] == "sources/alpha/full.md"
    assert "changed since its conversion" in stale["message"]
    assert main(["--root", str(library), "status"]) == 0
    out = capsys.readouterr().out
    assert "Stale conversions (1)" in out
    assert "sources/alpha/full.md" in out


def test_terminal_tables(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(library), "status"]) == 0
    out = capsys.readouterr().out
    assert "4 resources: link_only 1 · fetched 1 · converted 1 · condensed 1" in out
    assert "By priority" in out and "By phase" in out
    assert "Queue of next work (3)" in out
    assert "reflib fetch delta" in out
    assert "Awaiting review (1)" in out
    assert "refs/resources/beta.md" in out


def test_bad_input_is_reported_not_fatal(library: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    manifest = library / "refs/manifest.yaml"
    manifest.write_text(manifest.read_text().replace("status: fetched", "status: fetchd"))
    full = library / "sources/beta/full.md"
    full.write_text("---\nid: beta\ntitle: [unclosed\n---\n# One\n", encoding="utf-8")
    (library / "sources/alpha/full.md").unlink()
    data = status_json(library, capsys)
    assert data["counts"]["fetched"] == 0
    messages = " | ".join(p["message"] for p in data["problems"])
    assert "unknown status 'fetchd'" in messages
    assert any(p["path"] == "sources/beta/full.md" for p in data["problems"])
    assert main(["--root", str(library), "status"]) == 0
    assert "Problems" in capsys.readouterr().out


def test_unreadable_manifest_exits_2(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (library / "refs/manifest.yaml").write_text("resources: [\n", encoding="utf-8")
    assert main(["--root", str(library), "status"]) == 2
    assert "manifest is not valid YAML" in capsys.readouterr().err


def test_empty_library(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "refs").mkdir()
    (tmp_path / "refs/manifest.yaml").write_text("resources: []\n", encoding="utf-8")
    data = status_json(tmp_path, capsys)
    assert data["counts"] == {"link_only": 0, "fetched": 0, "converted": 0, "condensed": 0}
    assert data["queue"] == []
    assert main(["--root", str(tmp_path), "status"]) == 0
    assert "Queue of next work: empty" in capsys.readouterr().out
