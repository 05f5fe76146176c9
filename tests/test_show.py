"""``reflib show``: cards, full texts, single sections, paths; unknown ids and anchors."""

from __future__ import annotations

from pathlib import Path

import pytest

from reflib.cli.main import main


def show(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--root", str(root), "show", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_card_is_default_full_on_request(library: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = show(library, capsys, "alpha")
    assert code == 0
    assert out == (library / "refs/resources/alpha.md").read_text()
    assert "refs/resources/alpha.md:1-" in err
    code, out, _ = show(library, capsys, "alpha", "--full")
    assert code == 0
    assert out == (library / "sources/alpha/full.md").read_text()
    code, out, _ = show(library, capsys, "alpha", "--card")
    assert out.startswith("---\nid: alpha\nreview: approved")


def test_one_section_exactly(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = show(library, capsys, "alpha#22-performance-optimization")
    assert code == 0
    assert out == "## 2.2 Performance Optimization\n\nMicro-batches shrink the bubble.\n"
    assert err.strip().startswith("sources/alpha/full.md:")
    # a section runs to the next heading of the same or higher level, sub-sections included
    code, out, _ = show(library, capsys, "beta#one", "--full")
    assert out == "# One\n\n## Setup\n\nInstall it.\n"
    code, out, _ = show(library, capsys, "beta#setup-1")
    assert out == "## Setup\n\nConfigure it.\n"


def test_card_sections_and_claims(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = show(library, capsys, "alpha#actionables")
    assert code == 0
    assert out.startswith("## Actionables\n")
    code, out, _ = show(library, capsys, "alpha#claim-2")
    assert out.startswith("2. Results were measured twice.\n")
    assert "Evidence:" in out and "1. Micro" not in out and "## Actionables" not in out


def test_paths_topics_and_docs(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = show(library, capsys, "sources/alpha/full.md#results-1")
    assert (code, out) == (0, "## Results\n\nSecond results.\n")
    code, out, _ = show(library, capsys, "../../sources/alpha/full.md#results")
    assert (code, out) == (0, "## Results\n\nFirst results.\n")
    code, out, _ = show(library, capsys, "refs/resources/beta.md")
    assert out.startswith("---\nid: beta\n")
    code, out, _ = show(library, capsys, "01-first#key-concepts")
    assert code == 0 and out.startswith("## Key concepts\n\nConcepts.\n")
    code, out, _ = show(library, capsys, "implementation-context")
    assert code == 0 and out.startswith("# Implementation context\n")


def test_unknown_id_and_anchor_suggest(library: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = show(library, capsys, "alpah")
    assert code == 1 and out == ""
    assert "unknown id 'alpah'" in err and "'alpha'" in err
    code, _, err = show(library, capsys, "alpha#resluts")
    assert code == 1
    assert "#results" in err
    code, _, err = show(library, capsys, "sources/alpah/full.md")
    assert code == 1 and "sources/alpha/full.md" in err
    code, _, err = show(library, capsys, "delta")
    assert code == 1 and "link_only" in err and "reflib fetch delta" in err
    code, _, err = show(library, capsys, "gamma", "--card")
    assert code == 1
    code, _, err = show(library, capsys, "beta", "--card")
    assert code == 0


def test_broken_front_matter_still_shown(library: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    full = library / "sources/alpha/full.md"
    text = full.read_text().replace("tier: 2", "tier: [2")
    full.write_text(text)
    code, out, err = show(library, capsys, "alpha", "--full")
    assert code == 0 and out == text
    assert "warning" in err
    code, out, _ = show(library, capsys, "alpha#results-1")
    assert (code, out) == (0, "## Results\n\nSecond results.\n")
