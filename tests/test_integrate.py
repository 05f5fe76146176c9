"""``reflib integrate``: a valid unit is registered (and committed exactly), an invalid one
changes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from libfactory import make_library

GAMMA = """\
---
id: gamma
title: Gamma issue
source_url: https://example.org/gamma
tier: 2
converter: manual
---
# Gamma issue

State: open. Author: someone.

## Comments

The first comment, transcribed by hand.
"""


def _reflib(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reflib", "--root", str(root), *args],
                          capture_output=True, text=True, timeout=300)


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                          check=True).stdout


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()
            and not p.relative_to(root).as_posix().startswith((".git/", ".cache/", "site/"))}


@pytest.fixture()
def library(tmp_path: Path) -> Path:
    root = make_library(tmp_path / "lib")
    (root / "mkdocs.yml").write_text(
        "site_name: Test\ndocs_dir: refs\ntheme:\n  name: material\nplugins:\n  - reflib:\n"
        "      search: none\n")
    _git(root, "init", "-q")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", "-A")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m",
         "library")
    return root


def test_hand_conversion_registered_and_committed_exactly(library: Path) -> None:
    (library / "sources/gamma/full.md").write_text(GAMMA)
    manifest = library / "refs/manifest.yaml"
    # someone else's uncommitted manifest edit: kept, but not in this unit's commit
    manifest.write_text(manifest.read_text().replace("    phase: 3\n",
                                                     "    phase: 3\n    notes: later\n"))
    (library / "unrelated.txt").write_text("not part of the unit\n")
    _git(library, "add", "unrelated.txt")
    proc = subprocess.run([sys.executable, "-m", "reflib", "--root", str(library), "integrate",
                           "gamma", "--by", "agent-x", "--commit"], capture_output=True,
                          text=True, timeout=300,
                          env={**__import__("os").environ, "GIT_AUTHOR_NAME": "t",
                               "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
                               "GIT_COMMITTER_EMAIL": "t@example.org"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "integrated gamma: fulltext; status converted" in proc.stdout
    text = (library / "sources/gamma/full.md").read_text()
    assert "converted_by: agent-x" in text and "raw_sha256:" in text
    assert text.endswith(GAMMA.split("---\n", 2)[2])  # the body as written
    assert "status: converted" in manifest.read_text().split("id: gamma")[1].split("- id:")[0]
    assert "notes: later" in manifest.read_text()
    # the commit: exactly the full text and the manifest with this unit's status only
    message = _git(library, "log", "-1", "--format=%B")
    assert "gamma" in message and "agent-x" in message
    changed = _git(library, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(changed) == ["refs/manifest.yaml", "sources/gamma/full.md"]
    committed = _git(library, "show", "HEAD:refs/manifest.yaml")
    assert "notes: later" not in committed
    assert "status: converted" in committed.split("id: gamma")[1].split("- id:")[0]
    status = _git(library, "status", "--porcelain")
    assert " M refs/manifest.yaml" in status  # the other edit, still uncommitted
    assert "A  unrelated.txt" in status  # staged before, still staged, not committed
    assert "sources/gamma" not in status
    assert _reflib(library, "check").returncode == 0


def test_invalid_unit_changes_nothing(library: Path) -> None:
    card = library / "refs/resources/beta.md"
    card.write_text(card.read_text().replace("full.md#setup)", "full.md#set-up)"))
    (library / "sources/gamma/full.md").write_text(
        GAMMA.replace("The first comment", "<!-- reflib:todo transcribe --> The first"))
    before = _snapshot(library)
    head = _git(library, "rev-parse", "HEAD")
    for rid in ("beta", "gamma"):
        proc = _reflib(library, "integrate", rid, "--commit")
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "nothing was changed" in proc.stderr or "placeholder" in proc.stderr
    assert "set-up" in _reflib(library, "integrate", "beta").stdout
    assert _snapshot(library) == before
    assert _git(library, "rev-parse", "HEAD") == head
    leftovers = library / ".cache/reflib/integrate"
    assert not leftovers.exists() or not any(leftovers.iterdir())


def test_draft_card_enters_review_and_fetch_registers(library: Path) -> None:
    proc = _reflib(library, "integrate", "beta", "--by", "agent-y")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    card = (library / "refs/resources/beta.md").read_text()
    assert "review: draft" in card and "drafted_by: agent-y" in card
    # a link_only resource whose raw files were saved by hand
    (library / "sources/delta/raw").mkdir(parents=True)
    (library / "sources/delta/raw/delta.html").write_text("<p>Delta</p>\n")
    manifest = library / "refs/manifest.yaml"
    manifest.write_text(manifest.read_text().replace(
        "    status: link_only\n    topics: [02-second]\n",
        "    status: link_only\n    topics: [02-second]\n    raw: [raw/delta.html]\n"))
    proc = _reflib(library, "integrate", "delta")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "status fetched" in proc.stdout
    assert _reflib(library, "check").returncode == 0
    # nothing left to do
    again = _reflib(library, "integrate", "alpha")
    assert again.returncode == 1 and "nothing to integrate" in again.stderr
