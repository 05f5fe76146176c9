"""Pagefind search and fast rebuilds: real builds of small libraries."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from libfactory import make_library
from reflib.site import pagefind_index
from sitebuild import SMALLEST_CONFIG, Build, build

pytestmark = pytest.mark.skipif(not pagefind_index.available(),
                                reason="pagefind[bin] is not installed")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Build:
    root = make_library(tmp_path_factory.mktemp("search") / "lib")
    result = build(root)
    assert result.returncode == 0, result.log
    return result


def _filters(body: BeautifulSoup) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for el in body.select("[data-pagefind-filter]"):
        key, _, value = el["data-pagefind-filter"].partition(":")
        out.setdefault(key, []).append(value)
    return out


def test_pagefind_bundle_written(built: Build) -> None:
    entry = json.loads((built.site / "pagefind/pagefind-entry.json").read_text())
    assert entry["languages"]
    assert (built.site / "pagefind/pagefind-ui.js").is_file()
    assert not (built.site / "search/search_index.json").exists()
    assert "assets/reflib/reflib-search.js" in (built.site / "index.html").read_text()


@pytest.mark.parametrize(("page", "kind"), [
    ("sources/alpha/index.html", "full text"),
    ("resources/alpha/index.html", "card"),
    ("topics/01-first/index.html", "topic"),
    ("resources/gamma/index.html", "resource"),
])
def test_pages_marked_for_the_index(built: Build, page: str, kind: str) -> None:
    soup = built.html(page)
    bodies = soup.select("[data-pagefind-body]")
    assert len(bodies) == 1, page
    body = bodies[0]
    assert body.find_parent("article") is not None
    for chrome in ("header", "nav", "footer", ".md-sidebar"):
        for el in soup.select(chrome):
            assert not el.select("[data-pagefind-body]"), chrome
    filters = _filters(body)
    assert filters["kind"] == [kind]
    if kind == "topic":
        assert filters["topic"] == ["First topic"]
    else:
        assert filters["type"] and filters["status"] and filters["priority"]
    if page.startswith("sources/alpha"):
        assert filters == {"kind": ["full text"], "type": ["paper"], "status": ["condensed"],
                           "priority": ["high"], "topic": ["First topic"]}
        meta = dict(el["data-pagefind-meta"].split(":", 1)
                    for el in body.select("[data-pagefind-meta]"))
        assert meta["resource"] == "alpha"
        assert meta["resource_title"] == "Alpha: a paper"
        box = body.select_one(".reflib-backlinks")
        assert box is not None and box.has_attr("data-pagefind-ignore")
        assert body.select_one(".reflib-fulltext-header").has_attr("data-pagefind-ignore")
        assert body.select_one('h2[id="22-performance-optimization"]') is not None


def test_index_page_and_dashboard_not_indexed(built: Build) -> None:
    for page in ("index.html", "dashboard/index.html"):
        assert not built.html(page).select("[data-pagefind-body]"), page


def test_pagefind_attributes_in_content_are_dropped(tmp_path: Path) -> None:
    root = make_library(tmp_path / "lib")
    full = root / "sources/alpha/full.md"
    full.write_text(full.read_text() + '\n<div data-pagefind-filter="type:forged">x</div>\n')
    result = build(root, strict=False)
    assert result.returncode == 0, result.log
    body = result.html("sources/alpha/index.html").select_one("[data-pagefind-body]")
    assert _filters(body)["type"] == ["paper"]


def test_material_search_is_replaced_with_a_message(tmp_path: Path) -> None:
    root = make_library(tmp_path / "lib")
    config = SMALLEST_CONFIG.replace("  - reflib", "  - search\n  - reflib")
    result = build(root, config)
    assert result.returncode == 0, result.log
    assert result.log.count("replaced by Pagefind") == 1
    assert (result.site / "pagefind/pagefind-entry.json").is_file()
    assert not (result.site / "search/search_index.json").exists()
    assert result.html("index.html").select_one(".md-search") is None


def test_material_search_kept_without_full_texts(tmp_path: Path) -> None:
    root = make_library(tmp_path / "lib")
    config = SMALLEST_CONFIG.replace("  - reflib", "  - search\n  - reflib:\n      search: material")
    result = build(root, config)
    assert result.returncode == 0, result.log
    index = json.loads((result.site / "search/search_index.json").read_text())
    locations = {d["location"].split("#")[0] for d in index["docs"]}
    assert "resources/alpha/" in locations
    assert not any(loc.startswith("sources/") for loc in locations)
    assert not (result.site / "pagefind").exists()


# --- rebuilds under serve -----------------------------------------------------------------


def test_rebuild_renders_only_what_changed(tmp_path: Path) -> None:
    """What ``mkdocs serve`` does: load the config again, build, with the same plugin."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    root = make_library(tmp_path / "lib")
    (root / "mkdocs.yml").write_text(SMALLEST_CONFIG)
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")

    def config():  # type: ignore[no-untyped-def]
        return load_config(str(root / "mkdocs.yml"), site_dir=str(root / "site"))

    first = config()
    first.plugins.on_startup(command="serve", dirty=False)
    mkdocs_build(first)
    plugin = first.plugins["reflib"]
    assert plugin.stats.rendered > 8 and plugin.stats.cached == 0
    assert "sources/alpha/index.md" in plugin.stats.rendered_pages
    plugin.indexer.wait(60)
    search_input = plugin.search_input.folder
    # in the on-disk cache, outside what serve watches (refs/, sources/) and the site
    assert search_input is not None and search_input.is_relative_to(root / ".cache/reflib/build")
    alpha_doc = search_input / "sources/alpha/index.html"
    alpha_written = alpha_doc.stat().st_mtime_ns

    card = root / "refs/resources/beta.md"
    card.write_text(card.read_text() + "\nA freshly edited sentence about lighthouses.\n")
    second = config()
    assert second.plugins["reflib"] is plugin  # MkDocs keeps it (the plugin has on_startup)
    mkdocs_build(second)
    stats = plugin.stats
    assert stats.model_reloaded == 1
    assert not stats.manifest_reparsed  # unchanged: the parsed manifest is reused
    assert stats.checked == 1  # only the edited card's links are checked again
    assert "resources/beta.md" in stats.rendered_pages
    for unchanged in ("sources/alpha/index.md", "sources/beta/index.md",
                      "sources/delta/index.md", "resources/alpha.md", "topics/01-first.md"):
        assert unchanged not in stats.rendered_pages, unchanged
    assert stats.cached >= 8
    assert stats.reused >= 8
    page = (root / "site/resources/beta/index.html").read_text()
    assert "A freshly edited sentence about lighthouses." in page
    for rel in ("sources/alpha/index.html", "resources/alpha/index.html", "index.html"):
        assert (root / "site" / rel).is_file(), rel
    assert "Micro-batches shrink the bubble." in (
        root / "site/sources/alpha/index.html").read_text()
    # unchanged raw files and markdown sources are moved from the previous build's output
    assert (root / "site/sources/beta/raw/one.html.txt").read_bytes() == (
        root / "sources/beta/raw/one.html").read_bytes()
    assert (root / "site/sources/alpha/full.md").read_text() == (
        root / "sources/alpha/full.md").read_text()
    assert "lighthouses" in (root / "site/resources/beta.md").read_text()
    plugin.indexer.wait(60)
    assert plugin.indexer.error is None
    assert (root / "site/pagefind/pagefind-entry.json").is_file()
    assert not (root / "site.reflib-prev").exists()
    # the index has the edit; Pagefind's copy of the unchanged full text was not rewritten
    indexed = _fragments(root / "site/pagefind")
    assert any("lighthouses" in str(f["content"]) for url, f in indexed.items()
               if url.startswith("/resources/beta/"))
    assert alpha_doc.stat().st_mtime_ns == alpha_written

    # nothing changed: the model is not even reloaded
    third = config()
    mkdocs_build(third)
    assert plugin.stats.model_reused and plugin.stats.rendered <= 1
    assert (root / "site/sources/beta/raw/one.html.txt").is_file()

    # the manifest changed: parsed again, and every document's links are checked again
    # (generated headers and pages whose resource changed are rendered again)
    manifest = root / "refs/manifest.yaml"
    manifest.write_text(manifest.read_text().replace("title: Gamma issue", "title: Gamma report")
                        .replace("priority: high", "priority: medium"))
    mkdocs_build(config())
    assert plugin.stats.manifest_reparsed and plugin.stats.checked >= 3
    gamma = BeautifulSoup((root / "site/resources/gamma/index.html").read_text(), "html.parser")
    assert "Gamma report" in gamma.select_one("article").get_text()
    index = BeautifulSoup((root / "site/index.html").read_text(), "html.parser")
    assert "Gamma report" in index.select_one(".reflib-index").get_text()
    alpha = (root / "site/resources/alpha/index.html").read_text()
    assert "reflib-priority--medium" in alpha and "reflib-priority--high" not in alpha
    assert 'data-pagefind-filter="priority:medium"' in (
        root / "site/sources/alpha/index.html").read_text()
    plugin.on_shutdown()
    assert not search_input.exists()


def test_rebuild_rechecks_links_into_a_changed_file(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Renaming a heading of a full text breaks the evidence of the unchanged card citing
    it: the serve rebuild still warns about that card (and stops when it is fixed)."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    root = make_library(tmp_path / "lib")
    (root / "mkdocs.yml").write_text(SMALLEST_CONFIG)
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")

    def config():  # type: ignore[no-untyped-def]
        return load_config(str(root / "mkdocs.yml"), site_dir=str(root / "site"))

    def warnings() -> list[str]:
        return [r.getMessage() for r in caplog.records
                if r.levelname == "WARNING" and "reflib: refs/" in r.getMessage()]

    first = config()
    first.plugins.on_startup(command="serve", dirty=False)
    plugin = first.plugins["reflib"]
    try:
        with caplog.at_level("WARNING"):
            mkdocs_build(first)
        assert warnings() == []
        card = (root / "refs/resources/alpha.md").read_text()
        assert "full.md#22-performance-optimization" in card

        full = root / "sources/alpha/full.md"
        text = full.read_text()
        full.write_text(text.replace("## 2.2 Performance Optimization", "## 2.2 Speed"))
        caplog.clear()
        with caplog.at_level("WARNING"):
            mkdocs_build(config())
        assert plugin.stats.model_reloaded == 1  # only the full text was read again
        found = warnings()
        assert len(found) == 1, found
        assert found[0].startswith("reflib: refs/resources/alpha.md:")
        assert "#22-performance-optimization" in found[0] and "[evidence-anchor]" in found[0]
        assert plugin.stats.checked < 5  # not every document

        # an unrelated edit keeps the finding (kept, not checked again) ...
        topic = root / "refs/topics/02-second.md"
        topic.write_text(topic.read_text() + "\nOne more line.\n")
        caplog.clear()
        with caplog.at_level("WARNING"):
            mkdocs_build(config())
        assert len(warnings()) == 1
        # ... and restoring the heading clears it
        full.write_text(text)
        caplog.clear()
        with caplog.at_level("WARNING"):
            mkdocs_build(config())
        assert warnings() == []
    finally:
        plugin.indexer.wait(60)
        plugin.on_shutdown()


def _fragments(bundle: Path) -> dict[str, dict[str, object]]:
    """Every page Pagefind indexed in ``bundle``, by URL, as its fragment holds it."""
    import gzip

    out: dict[str, dict[str, object]] = {}
    for path in (bundle / "fragment").iterdir():
        data = gzip.decompress(path.read_bytes())
        assert data[:12] == b"pagefind_dcd"
        fragment = json.loads(data[12:])
        out[fragment["url"]] = fragment
    return out


def _page_of(url: str) -> str:
    """The page a fragment's URL belongs to (section documents sit beside their page)."""
    cut = url.find(pagefind_index.SECTION_SUFFIX)
    return url if cut < 0 else url[:cut].removesuffix("index")


@pytest.mark.parametrize("override", [False, True], ids=["material", "title-override"])
def test_index_holds_the_written_site_section_by_section(tmp_path: Path, override: bool) -> None:
    """Pagefind reads small documents, not the built pages, one per section: together a
    page's sections hold the same words, filters, metadata and language as indexing the
    written page, and each section names its page, heading and anchor (here with a doc that
    has no h1, so its title comes from the theme's). The documents are written before the
    theme's templates run, each page's head as Material writes it; with a template override
    that writes another head, the pages are indexed again from what was written."""
    import subprocess
    import sys

    root = make_library(tmp_path / "lib")
    (root / "refs/notes.md").write_text("Some notes on lighthouses, with no heading.\n\n"
                                        "## Later\n\nMore about beacons.\n")
    config = SMALLEST_CONFIG
    if override:
        (root / "overrides").mkdir()
        (root / "overrides/main.html").write_text(
            '{% extends "base.html" %}\n'
            "{% block htmltitle %}<title>Handbook: {{ page.title }}</title>{% endblock %}\n")
        config = config.replace("  name: material\n", "  name: material\n  custom_dir: overrides\n")
    built = build(root, config, strict=False)
    assert built.returncode == 0, built.log
    assert ("have another head than Material's templates give" in built.log) == override
    assert "while the pages were written" in built.log or override
    direct = tmp_path / "direct"
    subprocess.run([sys.executable, "-m", "pagefind", "--site", str(built.site),
                    "--output-path", str(direct), "--quiet"], check=True)
    ours = _fragments(built.site / "pagefind")
    theirs = _fragments(direct)
    pages: dict[str, list[dict[str, object]]] = {}
    for url, fragment in ours.items():
        pages.setdefault(_page_of(url), []).append(fragment)
    assert pages.keys() == theirs.keys()
    assert "/sources/alpha/" in pages and "/resources/alpha/" in pages
    assert ours["/notes/"]["meta"]["title"] == "Notes"  # type: ignore[index]
    for url, fragments in pages.items():
        whole = theirs[url]
        first = ours.get(url)  # none for a page with nothing before its first heading
        assert first is None or first["meta"] == whole["meta"], url
        words = sorted(w for f in fragments for w in str(f["content"]).split())
        assert words == sorted(str(whole["content"]).split()), url
        for fragment in fragments:
            assert fragment["filters"] == whole["filters"], url
    alpha = {f["meta"]["section"]: f for f in pages["/sources/alpha/"]  # type: ignore[index]
             if "section" in f["meta"]}  # type: ignore[operator]
    assert list(alpha) == ["1 Introduction", "2.2 Performance Optimization", "Results"] or \
        set(alpha) == {"1 Introduction", "2.2 Performance Optimization", "Results"}
    optimization = alpha["2.2 Performance Optimization"]["meta"]
    assert optimization == {"title": "Alpha: a paper", "page": "sources/alpha/",  # type: ignore[comparison-overlap]
                            "anchor": "22-performance-optimization",
                            "section": "2.2 Performance Optimization", "kind": "full text",
                            "resource": "alpha", "resource_title": "Alpha: a paper"}
    assert "Micro-batches shrink the bubble." in str(
        alpha["2.2 Performance Optimization"]["content"])
    assert ours["/notes/"]["meta"].get("section") is None  # type: ignore[union-attr]
    assert [f["meta"]["anchor"] for f in pages["/notes/"]  # type: ignore[index]
            if "anchor" in f["meta"]] == ["later"]  # type: ignore[operator]
    entry = json.loads((built.site / "pagefind/pagefind-entry.json").read_text())
    assert entry["languages"].keys() == {"en"}
    other = json.loads((direct / "pagefind-entry.json").read_text())
    assert {k: v["wasm"] for k, v in entry["languages"].items()} == \
        {k: v["wasm"] for k, v in other["languages"].items()}
    assert entry["languages"]["en"]["page_count"] == len(ours) > len(theirs)


def test_sections_cut_at_top_level_headings_only() -> None:
    fragment = ('<h1 id="t">T</h1><p>intro</p><h2 id="a">A <a class="headerlink" href="#a">¶</a></h2><p>one</p>'
                '<div class="admonition"><h3 id="inner">Inner</h3><p>kept</p></div>'
                '<ul><li><h4 id="listed">Listed</h4></li></ul>'
                '<h3 id="b">B &amp; <code>c</code></h3><p>two</p><h2>No id</h2><p>three</p>')
    parts = pagefind_index.split_sections(fragment)
    assert [(a, t) for a, t, _ in parts] == [("", ""), ("a", "A"), ("b", "B & c")]
    assert "".join(p for _, _, p in parts) == fragment
    assert 'id="inner"' in parts[1][2] and 'id="listed"' in parts[1][2]
    assert parts[2][2].endswith("<h2>No id</h2><p>three</p>")


def test_sections_cut_down_to_a_depth() -> None:
    fragment = ('<p>intro</p><h2 id="a">A</h2><p>one</p><h3 id="b">B</h3><p>two</p>'
                '<h4 id="c">C</h4><p>three</p><h2 id="d">D</h2><p>four</p>')
    assert [a for a, _, _ in pagefind_index.split_sections(fragment, 3)] == ["", "a", "b", "d"]
    two = pagefind_index.split_sections(fragment, 2)
    assert [a for a, _, _ in two] == ["", "a", "d"]
    assert 'id="b"' in two[1][2] and 'id="c"' in two[1][2]
    assert pagefind_index.split_sections(fragment, 1) == [("", "", fragment)]


@pytest.mark.parametrize(("budget", "depth"), [
    (10**6, 6), (10 + 3 + 20 + 40 + 1, 6), (10 + 3 + 20 + 40, 4), (10 + 3 + 20 + 39, 3),
    (10 + 3 + 20, 3), (10 + 3 + 19, 2), (10 + 3, 2), (12, 1), (0, 1)])
def test_section_depth_stays_within_the_budget(budget: int, depth: int) -> None:
    # 10 pages; 3 h2, 20 h3, 40 h4, 1 h5, no h6 (h5 fits: so does h6); h1 (titles) and
    # h7+ do not count
    levels = [1] * 10 + [2] * 3 + [3] * 20 + [4] * 40 + [5] + [7] * 100
    assert pagefind_index.section_depth(iter(levels), 10, budget) == depth


def test_documents_of_a_page() -> None:
    body = pagefind_index.wrap('<h1 id="t">Title</h1><p>intro</p><h2 id="s">S</h2><p>x</p>',
                               [("kind", "card")], [("resource", "r")])
    output = f'<html lang="fr"><head><title>T</title></head><body>{body}</body></html>'
    first, section = pagefind_index.documents(output, body, "resources/r/", "Ti<tle>")
    assert first.startswith('<!doctype html>\n<html lang="fr">')
    assert "<p>intro</p>" in first and "<p>x</p>" not in first
    assert 'data-pagefind-filter="kind:card"' in section
    assert 'data-pagefind-meta="resource:r"' in section
    assert 'data-pagefind-meta="page:resources/r/"' in section
    assert 'data-pagefind-meta="anchor:s"' in section
    assert 'data-pagefind-meta="title:Ti\u2039tle\u203a"' in section
    assert '<h2 id="s">S</h2><p>x</p></div></body>' in section and "intro" not in section
    # not marked: the page as one document
    assert pagefind_index.documents(output, "<p>plain</p>", "x/", "X") == [
        pagefind_index.document(output, "<p>plain</p>")]


def test_search_input_writes_changed_documents_and_drops_gone_pages() -> None:
    source = pagefind_index.SearchInput()
    folder = source.begin()
    source.add("a/index.html", "<p>one</p>")
    source.add("b/index.html", "<p>two</p>")
    assert source.finish() == 2
    a_written = (folder / "a/index.html").stat().st_mtime_ns

    assert source.begin() == folder  # kept between builds
    source.add("a/index.html", "<p>one</p>")  # unchanged: not written again
    assert source.keep("c/index.html") is False  # nothing to keep
    assert source.finish() == 1
    assert (folder / "a/index.html").stat().st_mtime_ns == a_written
    assert not (folder / "b/index.html").exists()

    source.begin()
    assert source.keep("a/index.html") is True
    source.add("b/index.html", "<p>back</p>")
    assert source.finish() == 2
    assert (folder / "b/index.html").read_text() == "<p>back</p>"
    # a page with sections: its documents sit beside it, and go when it shrinks
    source.begin()
    source.add("b/index.html", ["<p>b</p>", "<p>s1</p>", "<p>s2</p>"])
    source.add("c.html", ["<p>c</p>", "<p>c1</p>"])
    assert source.finish() == 2 and source.documents == 5
    assert (folder / "b/index.reflib-section-2.html").read_text() == "<p>s2</p>"
    assert (folder / "c.reflib-section-1.html").read_text() == "<p>c1</p>"
    source.begin()
    source.add("b/index.html", ["<p>b</p>", "<p>s1</p>"])
    assert source.finish() == 1 and source.documents == 2
    assert not (folder / "b/index.reflib-section-2.html").exists()
    assert not (folder / "c.html").exists() and not (folder / "c.reflib-section-1.html").exists()
    source.remove()
    assert not folder.exists()


def test_document_keeps_what_pagefind_reads() -> None:
    body = pagefind_index.wrap("<p>text</p>", [("kind", "card")], [])
    output = ('<!doctype html><html lang="de" class="no-js"><head><title>T - S</title>'
              '<link rel="stylesheet" href="x.css"></head><body><nav>chrome</nav><article>'
              f'<h1>Theme heading</h1>{body}</article><footer>f</footer></body></html>')
    doc = pagefind_index.document(output, body)
    assert doc.startswith('<!doctype html>\n<html lang="de" class="no-js">')
    assert "<title>T - S</title>" in doc and "<h1>Theme heading</h1>" + body in doc
    assert "chrome" not in doc and "x.css" not in doc and "<footer>" not in doc
    # an h1 inside the content stays where it is, and is not duplicated before it
    inner = pagefind_index.wrap("<h1>Own</h1><p>x</p>", [], [])
    doc = pagefind_index.document(f'<html lang="en"><body><article>{inner}</article>'
                                  '<h1>later</h1></body></html>', inner)
    assert doc.count("<h1>") == 1 and "later" not in doc
