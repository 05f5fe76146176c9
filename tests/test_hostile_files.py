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
