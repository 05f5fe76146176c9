"""A fresh build starts warm from ``.cache/reflib/build/``: what did not change is neither
rendered nor written nor indexed again, and the site is byte for byte a cold build's."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from libfactory import make_library
from sitebuild import SMALLEST_CONFIG, Build, build

CACHE = Path(".cache/reflib/build")


def _stats(result: Build) -> dict[str, int]:
    match = re.search(r"reflib: pages rendered (\d+) \(in workers \d+\), from the cache (\d+), "
                      r"written files reused (\d+)", result.log)
    assert match, result.log[-3000:]
    return dict(zip(("rendered", "cached", "reused"), map(int, match.groups()), strict=True))


def _tree(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes()
            for p in sorted(site.rglob("*")) if p.is_file()}


def _cold(root: Path, tmp: Path) -> dict[str, bytes]:
    """The site a cold build of ``root`` makes (in a copy, without the cache)."""
    copy = tmp / "cold"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".cache", "site"))
    result = build(copy)
    assert result.returncode == 0, result.log
    return _tree(result.site)


def _diff(a: dict[str, bytes], b: dict[str, bytes]) -> list[str]:
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


@pytest.fixture()
def library(tmp_path: Path) -> Path:
    return make_library(tmp_path / "lib")


def test_unchanged_library_builds_warm_and_identical(library: Path, tmp_path: Path) -> None:
    first = build(library, extra=["-v"])
    assert first.returncode == 0, first.log
    assert _stats(first)["cached"] == 0
    assert (library / CACHE / "output.json").is_file()
    assert (library / CACHE / "search").is_dir()

    second = build(library, extra=["-v"])
    assert second.returncode == 0, second.log
    stats = _stats(second)
    assert stats["rendered"] <= 1, stats  # the dashboard is made afresh each time
    assert stats["cached"] > 5 and stats["reused"] >= stats["cached"], stats
    assert "Pagefind index unchanged" in second.log
    assert _diff(_tree(second.site), _cold(library, tmp_path)) == []


def test_an_edit_renders_what_it_changes_and_indexes_again(library: Path,
                                                           tmp_path: Path) -> None:
    assert build(library).returncode == 0
    full = library / "sources/alpha/full.md"
    full.write_text(full.read_text().replace("Micro-batches shrink the bubble.",
                                             "Micro-batches shrink the pipeline bubble."))
    result = build(library, extra=["-v"])
    assert result.returncode == 0, result.log
    stats = _stats(result)
    # the full text, the card whose evidence preview quotes it, the dashboard
    assert 1 <= stats["rendered"] <= 4, stats
    assert stats["cached"] > 3, stats
    assert "Pagefind index unchanged" not in result.log
    assert "Pagefind indexed" in result.log
    assert _diff(_tree(result.site), _cold(library, tmp_path)) == []


def test_a_site_folder_changed_by_hand_is_not_reused(library: Path, tmp_path: Path) -> None:
    assert build(library).returncode == 0
    page = library / "site/resources/alpha/index.html"
    page.write_text(page.read_text().replace("</body>", "<p>edited</p></body>"))
    result = build(library, extra=["-v"])
    assert result.returncode == 0, result.log
    assert "<p>edited</p>" not in page.read_text()
    assert _diff(_tree(result.site), _cold(library, tmp_path)) == []


@pytest.mark.parametrize("damage", ["garbage", "other code", "truncated page"])
def test_a_damaged_cache_is_ignored(library: Path, tmp_path: Path, damage: str) -> None:
    assert build(library).returncode == 0
    state = library / CACHE / "output.json"
    if damage == "garbage":
        state.write_text("{not json")
    elif damage == "other code":
        data = json.loads(state.read_text())
        data["code"] = "0" * 32
        state.write_text(json.dumps(data))
    else:
        for entry in (library / CACHE / "pages").rglob("*.json"):
            entry.write_text(entry.read_text()[:40])
    result = build(library, extra=["-v"])
    assert result.returncode == 0, result.log
    if damage == "truncated page":
        assert _stats(result)["cached"] == 0
    else:
        assert "Pagefind index unchanged" not in result.log
    assert _diff(_tree(result.site), _cold(library, tmp_path)) == []


def test_no_cache_on_disk_with_cache_off(library: Path) -> None:
    config = SMALLEST_CONFIG.replace("  - reflib\n", "  - reflib:\n      cache: false\n")
    assert build(library, config).returncode == 0
    assert not (library / ".cache/reflib/build").exists()


def test_cache_without_the_site_folder_still_starts_warm(library: Path, tmp_path: Path) -> None:
    """CI that restores only .cache/: pages come from the cache, the index from its copy."""
    assert build(library).returncode == 0
    shutil.rmtree(library / "site")
    result = build(library, extra=["-v"])
    assert result.returncode == 0, result.log
    stats = _stats(result)
    assert stats["reused"] == 0 and stats["cached"] > 5, stats
    assert "Pagefind index unchanged" in result.log
    assert _diff(_tree(result.site), _cold(library, tmp_path)) == []
