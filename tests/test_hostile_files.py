"""Nothing from outside the library is read, converted or published; broken and hostile files
give findings, not tracebacks. Each probe runs on a real library in ``tmp_path``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reflib.check import check_root
from reflib.cli import main
from sitebuild import build

SECRET = "TOP-SECRET-LINE-4242"


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "id_key").write_text(f"{SECRET}\n")
    (folder / "page.html").write_text(f"<html><body><article><h1>Leak</h1><p>{SECRET} in a "
                                      f"paragraph long enough to be kept as prose.</p>"
                                      f"</article></body></html>")
    return folder


def _codes(root: Path) -> list[tuple[str, str]]:
    return [(f.code, f.path) for f in check_root(root)]


def test_raw_entry_symlinked_outside_is_refused(library: Path, secret: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    raw = library / "sources/beta/raw"
    (raw / "two.html").unlink()
    os.symlink(secret / "page.html", raw / "two.html")
    assert ("raw-outside-library", "refs/manifest.yaml") in _codes(library)
    code = main(["--root", str(library), "convert", "beta", "--force", "--jobs", "1"])
    out = capsys.readouterr()
    assert code == 1
    assert "is a symbolic link to a place outside the library" in out.out + out.err
    assert SECRET not in (library / "sources/beta/full.md").read_text()


def test_raw_folder_symlinked_outside_is_refused(library: Path, secret: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    manifest = library / "refs/manifest.yaml"
    manifest.write_text(manifest.read_text() + "\n  - id: leak\n    title: Leak\n    type: repo\n"
                        "    status: fetched\n    raw: [raw/repo]\n")
    (library / "sources/leak/raw").mkdir(parents=True)
    os.symlink(secret, library / "sources/leak/raw/repo")
    assert main(["--root", str(library), "convert", "leak", "--jobs", "1"]) == 1
    assert not (library / "sources/leak/full.md").exists()
    assert ("raw-outside-library", "refs/manifest.yaml") in _codes(library)


def test_symlinked_card_and_full_text_are_not_published(library: Path, secret: Path) -> None:
    card = library / "refs/resources/beta.md"
    card.unlink()
    os.symlink(secret / "id_key", card)
    os.symlink(secret / "id_key", library / "refs/notes.md")
    full = library / "sources/alpha/full.md"
    full.rename(library / "alpha-full.md")
    os.symlink(secret / "id_key", full)
    codes = _codes(library)
    assert ("outside-library", "refs/resources/beta.md") in codes
    assert ("outside-library", "refs/notes.md") in codes
    assert ("outside-library", "sources/alpha/full.md") in codes
    result = build(library, strict=False)
    assert result.returncode == 0, result.log
    assert "is a symbolic link to a place outside the library; it is not published" in result.log
    for path in result.site.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    assert build(library, strict=True).returncode != 0


def test_repo_symlink_targets_outside_are_not_shown(library: Path, secret: Path) -> None:
    manifest = library / "refs/manifest.yaml"
    manifest.write_text(manifest.read_text() + "\n  - id: code\n    title: Code\n    type: repo\n"
                        "    status: fetched\n    raw: [raw/repo]\n")
    repo = library / "sources/code/raw/repo"
    repo.mkdir(parents=True)
    (repo / "README.md").write_text("# Code\n")
    os.symlink(secret / "id_key", repo / "key")
    os.symlink("README.md", repo / "readme-link")
    assert main(["--root", str(library), "convert", "code", "--jobs", "1"]) == 0
    text = (library / "sources/code/full.md").read_text()
    assert str(secret) not in text and SECRET not in text
    assert "key  (skipped: symlink to a place outside the repository)" in text
    assert "readme-link  (skipped: symlink -> README.md)" in text


def _tiny_library(root: Path, n: int) -> list[str]:
    (root / "refs").mkdir(parents=True)
    ids = [f"page-{i:02d}" for i in range(n)]
    entries = []
    for rid in ids:
        raw = root / f"sources/{rid}/raw/page.html"
        raw.parent.mkdir(parents=True)
        raw.write_text(f"<html><body><article><h1>{rid}</h1><p>The text of {rid}, long "
                       f"enough to be kept as a paragraph of prose.</p></article></body></html>")
        entries.append(f"  - id: {rid}   # keep\n    title: {rid}\n    type: blog\n"
                       f"    status: fetched\n    raw: [raw/page.html]\n")
    (root / "refs/manifest.yaml").write_text("# comments stay\nresources:\n" + "".join(entries))
    return ids


def _statuses(root: Path) -> dict[str, str]:
    from reflib.manifest import load

    return {e.data["id"]: e.data["status"] for e in load(root / "refs/manifest.yaml").entries}


def test_concurrent_conversions_both_land(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = tmp_path / "lib"
    ids = _tiny_library(root, 24)
    cmd = [sys.executable, "-m", "reflib.cli", "--root", str(root), "convert", "--jobs", "1"]
    first = subprocess.Popen([*cmd, *ids[:12]], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    second = subprocess.Popen([*cmd, *ids[12:]], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert first.wait(timeout=300) == 0, first.stderr.read() if first.stderr else ""
    assert second.wait(timeout=300) == 0
    assert set(_statuses(root).values()) == {"converted"}
    assert (root / "refs/manifest.yaml").read_text().count("# keep") == 24


def test_an_edit_waits_for_the_lock_and_loses_nothing(tmp_path: Path) -> None:
    """While another run holds the manifest lock, ``reflib convert`` waits; afterwards both
    runs' edits are in the manifest."""
    import subprocess
    import sys
    import time

    from reflib import manifest

    root = tmp_path / "lib"
    ids = _tiny_library(root, 2)
    path = root / "refs/manifest.yaml"
    cmd = [sys.executable, "-m", "reflib.cli", "--root", str(root), "convert", ids[0],
           "--jobs", "1"]
    with manifest.locked(path):
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while not (root / f"sources/{ids[0]}/full.md").exists():  # converted, now waiting
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        time.sleep(0.5)
        assert proc.poll() is None, "the run must wait for the lock"
        # this run's own edit, made under the lock
        text = path.read_text()
        path.write_text(manifest.edit_text(text, path, ids[1], {"notes": "edited meanwhile"}))
    assert proc.wait(timeout=60) == 0
    statuses = _statuses(root)
    assert statuses[ids[0]] == "converted"
    assert "notes: \"edited meanwhile\"" in path.read_text()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_conversion_past_its_time_limit_fails_alone(tmp_path: Path, jobs: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "lib"
    ids = _tiny_library(root, 2)
    big = root / f"sources/{ids[0]}/raw/page.html"
    paragraphs = "".join(f"<div><p>Paragraph {i} of a very long page, with words.</p></div>"
                         for i in range(60000))
    big.write_text(f"<html><body><article>{paragraphs}</article></body></html>")
    code = main(["--root", str(root), "convert", "--jobs", jobs, "--timeout", "0.3"])
    out = capsys.readouterr()
    assert code == 1
    assert f"{ids[0]}: failed: the conversion took longer than 0.3 s and was stopped" in \
        out.out + out.err
    assert not (root / f"sources/{ids[0]}/full.md").exists()
    assert _statuses(root) == {ids[0]: "fetched", ids[1]: "converted"}
