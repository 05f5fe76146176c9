"""Build speed-ups that must not change a byte: the navigation memo and the render workers.

Each case builds the same library twice in this process, once with ``nav_cache: false`` and
``workers: 1`` (everything rendered in place, as plain MkDocs does) and once with the memo and
two worker processes, and compares every file of the two sites and the warnings logged.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config

from reflib.engines.mkdocs.navcache import NavMemo, _norm_parts

EXTRA_FULLTEXT_LINES = """

## Links

See [the card](../../refs/resources/alpha.md#claims), [Setup](#setup),
[no such anchor](../../refs/resources/alpha.md#nosuch) and [outside](https://example.org/x).
"""


def _build(root: Path, config: str, site: str,
           caplog: pytest.LogCaptureFixture) -> tuple[dict[str, bytes], list[str], object]:
    (root / "mkdocs.yml").write_text(config, encoding="utf-8")
    caplog.clear()
    cfg = load_config(str(root / "mkdocs.yml"), site_dir=str(root / site))
    with caplog.at_level(logging.INFO):
        mkdocs_build(cfg)
    warnings = [f"{r.name} {r.levelname} {r.getMessage()}" for r in caplog.records
                if r.levelno >= logging.INFO and "Documentation built" not in r.getMessage()
                and "Building documentation" not in r.getMessage()
                and "Cleaning site" not in r.getMessage()]
    files = {str(p.relative_to(root / site)): p.read_bytes()
             for p in sorted((root / site).rglob("*")) if p.is_file()}
    return files, warnings, cfg.plugins["reflib"]


@pytest.mark.parametrize("extra", [
    "",
    "  features: [navigation.tabs, navigation.sections, navigation.indexes, toc.integrate]\n"
    "use_directory_urls: false\n",
])
def test_memo_and_workers_are_byte_identical(tmp_path: Path, extra: str,
                                             caplog: pytest.LogCaptureFixture) -> None:
    from libfactory import make_library

    root = make_library(tmp_path / "lib")
    full = root / "sources/beta/full.md"
    full.write_text(full.read_text() + EXTRA_FULLTEXT_LINES)
    base = ("site_name: Test library\ndocs_dir: refs\ntheme:\n  name: material\n" + extra
            + "plugins:\n  - reflib:\n      search: none\n")
    plain, plain_log, _ = _build(root, base + "      nav_cache: false\n      workers: 1\n",
                                 "site-plain", caplog)
    fast, fast_log, plugin = _build(root, base + "      workers: 2\n", "site-fast", caplog)
    stats = plugin.stats  # type: ignore[attr-defined]
    memo = plugin.nav_memo  # type: ignore[attr-defined]
    assert stats.rendered_elsewhere == 2, "both full texts were rendered by workers"
    assert memo is not None and memo.hits > 0
    assert sorted(plain) == sorted(fast)
    different = [name for name in plain if plain[name] != fast[name]]
    assert not different
    assert sorted(plain_log) == sorted(fast_log)
    assert any("'#nosuch'" in line for line in fast_log), "a worker's links are validated"


def test_worker_rendering_logs_what_mkdocs_logs() -> None:
    """A worker's messages come back with the rendering and are logged by the build."""
    from mkdocs.structure.files import InclusionLevel

    from reflib.engines.mkdocs import renderpool

    ctx = renderpool.BuildContext(
        [renderpool.SELF, "toc"], {}, True,
        {"not_found": logging.WARNING, "absolute_links": logging.INFO,
         "unrecognized_links": logging.INFO},
        {"sources/a.md": ("sources/a/", InclusionLevel.NOT_IN_NAV),
         "b.md": ("b/", InclusionLevel.INCLUDED)}, logging.DEBUG)
    import pickle

    task = renderpool.Task("t", pickle.dumps(ctx), "sources/a.md",
                           "# A\n\n[b](../b.md#x) [gone](gone.md)\n", "a", {})
    result = renderpool.render(task)
    assert '<a href="../../b/#x">b</a>' in result.html
    assert result.links == {"b.md": {"x": "../b.md#x"}}
    assert result.title == "A" and "a" in result.anchor_ids
    assert [r[:2] for r in result.records if "gone.md" in r[2]] == [
        ("mkdocs.structure.pages", logging.WARNING)]


def test_memo_keys_pages_by_their_links() -> None:
    """Pages share a memo entry only when every link into the item's subtree is the same."""
    from mkdocs.utils import get_relative_url

    targets = ["resources/a/", "resources/b/", "topics/t/", "index.html", "", "x/y/z.html"]
    pages = ["", "sources/a/", "sources/b/", "resources/a/", "resources/c/", "topics/t/",
             "dashboard/", "sources/a/index.html", "x/y/", "a/b/c/d/"]
    memo = NavMemo()
    for subset in (targets, targets[:2], targets[2:3], targets[3:]):
        prefixes = {parts[:j] for t in subset for parts in [_norm_parts(t or ".")]
                    for j in range(len(parts) + 1)}
        seen: dict[object, list[str]] = {}
        for url in pages:
            page = type("P", (), {"url": url})()
            key = memo._link_key({"page": page}, prefixes)
            links = [get_relative_url(t or ".", url) for t in subset]
            assert seen.setdefault(key, links) == links, (url, key)
