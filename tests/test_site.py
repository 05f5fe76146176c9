"""The MkDocs plugin: real ``mkdocs build --strict`` runs on small libraries."""

from __future__ import annotations

import importlib.util
import posixpath
import re
import subprocess
import textwrap
from pathlib import Path

import pytest

from reflib.core import paths, progress
from reflib.core.model import load
from reflib.core.schema import STATUSES
from reflib.site import mdrewrite
from sitebuild import SMALLEST_CONFIG, Build, assert_nothing_runs, build


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The libfactory library built once with the smallest configuration."""
    from libfactory import make_library

    root = make_library(tmp_path_factory.mktemp("site") / "lib")
    result = build(root)
    assert result.returncode == 0, result.log
    return result


def _page_of(src_uri: str) -> str:
    """The built HTML file of a docs-relative page (use_directory_urls)."""
    stem = src_uri[:-3]
    if stem == "index" or stem.endswith("/index"):
        return stem + ".html"
    return stem + "/index.html"


# --- the path mapping ----------------------------------------------------------------


def test_site_paths() -> None:
    assert paths.site_src_uri("refs/resources/a.md") == "resources/a.md"
    assert paths.site_src_uri("sources/a/full.md") == "sources/a/index.md"
    assert paths.site_src_uri("sources/a/raw/page.html") == "sources/a/raw/page.html.txt"
    assert paths.site_src_uri("sources/a/raw/p.svg") == "sources/a/raw/p.svg.txt"
    assert paths.site_src_uri("sources/a/raw/paper.pdf") == "sources/a/raw/paper.pdf"
    assert paths.site_src_uri("mkdocs.yml") is None
    assert paths.site_fulltext_id("sources/a/index.md") == "a"
    assert paths.site_rewrite_link("refs/resources/x.md", "../../sources/x/full.md#a") \
        == "../sources/x/index.md#a"
    assert paths.site_rewrite_link("refs/index.md", "../sources/x/full.md") \
        == "sources/x/index.md"
    assert paths.site_rewrite_link("sources/x/full.md", "../y/full.md#b") \
        == "../y/index.md#b"
    assert paths.site_rewrite_link("refs/resources/x.md", "../topics/t.md") is None
    assert paths.site_rewrite_link("refs/resources/x.md", "https://e.org/") is None


def test_rewrite_marks_evidence_and_claims() -> None:
    text = textwrap.dedent("""\
        ## Claims

        1. A claim.
           Evidence: [a](../../sources/x/full.md#h); [b](../../sources/x/full.md#h-1)
        2. Other, see `[not](../../sources/x/full.md)` and [c](../../sources/x/full.md#h).
        """)
    out = mdrewrite.rewrite(text, "refs/resources/x.md", 1, [(3, 1), (5, 2)])
    assert out.evidence == 2
    assert "[a](../sources/x/index.md#h){: .reflib-evidence }" in out.markdown
    assert "[c](../sources/x/index.md#h)." in out.markdown
    assert "`[not](../../sources/x/full.md)`" in out.markdown
    assert out.claims == ["claim-1", "claim-2"]
    assert '1. <a id="claim-1"' in out.markdown


# --- the built site ------------------------------------------------------------------


def test_every_manifest_entry_has_a_page(built: Build) -> None:
    lib = load(built.root)
    for rid, res in lib.resources.items():
        art = built.article(f"resources/{rid}/index.html")
        badge = art.select_one(f".reflib-badge--status[data-reflib-value={res.status}]")
        assert badge is not None, rid
        header = art.select_one(".reflib-resource")
        assert header is not None
        if res.url:
            assert header.select_one(f'a[href="{res.url}"]') is not None
    for rid in lib.fulltexts:
        assert (built.site / "sources" / rid / "index.html").is_file()
    # review badges: approved card, draft card
    assert built.article("resources/alpha/index.html").select_one(
        ".reflib-badge--review[data-reflib-value=approved]")
    assert built.article("resources/beta/index.html").select_one(
        ".reflib-badge--review[data-reflib-value=draft]")
    # topics are linked from the header
    assert built.article("resources/beta/index.html").select_one(
        '.reflib-resource a[href="../../topics/02-second/"]')


def test_raw_artifacts_never_served_as_html(built: Build) -> None:
    raw = sorted(p.relative_to(built.site).as_posix()
                 for p in (built.site / "sources").rglob("raw/*"))
    assert "sources/alpha/raw/alpha.html.txt" in raw
    assert "sources/gamma/raw/issue.json" in raw
    assert not [p for p in raw if re.search(r"\.(html?|svg|xhtml|xml)$", p)]
    art = built.article("resources/alpha/index.html")
    assert art.select_one('a[href="../../sources/alpha/raw/alpha.html.txt"]')


def test_nav_status(built: Build) -> None:
    soup = built.html("index.html")
    nav = soup.select_one("nav.md-nav--primary")
    assert nav is not None
    statuses = {a["href"]: a.select_one(".md-status")["class"][-1]
                for a in nav.select("a.md-nav__link") if a.select_one(".md-status")}
    assert statuses["resources/alpha/"] == "md-status--reflib-condensed"
    assert statuses["resources/beta/"] == "md-status--reflib-draft"
    assert statuses["resources/gamma/"] == "md-status--reflib-fetched"
    assert statuses["resources/delta/"] == "md-status--reflib-link-only"
    titles = [s.get_text(strip=True) for s in nav.select(".md-nav__link .md-ellipsis")]
    assert titles[:2] == ["Home", "Dashboard"]
    assert "Topics" in titles and "Resources" in titles
    assert not nav.select('a[href^="sources/"]'), "full texts stay out of the nav"
    css = (built.site / "assets/reflib/reflib.css").read_text()
    assert ".md-status--reflib-condensed" in css


def test_evidence_links_hit_existing_ids(built: Build) -> None:
    lib = load(built.root)
    expected = sum(len(cl.citations) for d in lib.documents.values() for cl in d.claims)
    found = 0
    for page in ("resources/alpha/index.html", "resources/beta/index.html",
                 "topics/01-first/index.html", "topics/02-second/index.html"):
        for a in built.article(page).select("a.reflib-evidence"):
            found += 1
            path, _, frag = a["href"].partition("#")
            target = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
            target_html = target + "/index.html"
            assert (built.site / target_html).is_file(), a["href"]
            assert built.article(target_html).find(id=frag) is not None, a["href"]
            assert a.get("data-reflib-preview"), a
            assert a.get("data-reflib-heading")
    assert found == expected
    alpha = built.article("resources/alpha/index.html")
    first = alpha.select_one("a.reflib-evidence")
    assert first["data-reflib-preview"] == "Micro-batches shrink the bubble."
    assert alpha.find(id="claim-1") and alpha.find(id="claim-2")


def test_backlinks_on_cited_headings(built: Build) -> None:
    art = built.article("sources/alpha/index.html")
    heading = art.find(id="22-performance-optimization")
    box = heading.find_next_sibling()
    assert "reflib-backlinks" in box["class"]
    hrefs = [a["href"] for a in box.select("a")]
    assert hrefs == ["../../resources/alpha/#claim-1"]
    intro = art.find(id="1-introduction").find_next_sibling()
    assert {a["href"] for a in intro.select("a")} == {
        "../../topics/01-first/#key-concepts", "../../topics/02-second/#key-concepts"}
    # the header links back to the resource page and the raw files
    header = art.select_one(".reflib-fulltext-header")
    assert header.select_one('a[href="../../resources/alpha/"]')
    assert header.select_one('a[href="raw/alpha.html.txt"]')


def test_heading_ids_equal_model_anchors(built: Build) -> None:
    lib = load(built.root)
    for rel, doc in lib.documents.items():
        uri = paths.site_src_uri(rel)
        assert uri is not None
        art = built.article(_page_of(uri))
        ids = [h["id"] for h in art.find_all(re.compile(r"^h[1-6]$"))]
        assert ids == [h.anchor for h in doc.headings], rel


def test_index_filters_and_badges(built: Build) -> None:
    art = built.article("index.html")
    filters = art.select_one("[data-reflib-filters]")
    keys = {s["data-reflib-filter"] for s in filters.select("[data-reflib-filter]")}
    assert keys == {"text", "type", "status", "priority", "phase", "topic"}
    rows = art.select(".reflib-index tbody tr")
    assert len(rows) == 4
    values = {(el["data-reflib-key"], el["data-reflib-value"])
              for el in rows[0].select("[data-reflib-key]")}
    assert {("status", "condensed"), ("type", "paper"), ("priority", "high"),
            ("phase", "1"), ("topic", "01-first")} <= values
    js = built.html("index.html").select('script[src$="assets/reflib/reflib.js"]')
    assert js, "the plugin's script is loaded"


def test_topic_page_lists_resources(built: Build) -> None:
    art = built.article("topics/02-second/index.html")
    box = art.select_one(".reflib-topic-resources")
    assert box is not None
    assert {a["href"] for a in box.select("a")} == {"../../resources/beta/",
                                                    "../../resources/delta/"}
    assert box.select(".reflib-badge--status")
    # the listing sits above the synthesis
    assert box.find_previous("h1") is not None and box.find_next("h2").get("id") == "mental-model"


def test_dashboard_counts(built: Build) -> None:
    lib = load(built.root)
    art = built.article("dashboard/index.html")
    for key in ("priority", "phase"):
        table = art.select_one(f'[data-reflib-counts="{key}"] table')
        got = {}
        for tr in table.select("tbody tr"):
            cells = [td.get_text(strip=True) for td in tr.select("td")]
            got[cells[0]] = dict(zip(STATUSES, map(int, cells[1:-1]), strict=True))
        assert got == progress.counts_by(lib, key)
    bars = {d["data-reflib-tier"]: d.select_one("progress") for d in art.select(".reflib-tier")}
    assert bars["fetched"]["value"] == "3" and bars["fetched"]["max"] == "4"
    queue = [tr.select("td")[2].get_text(strip=True) for tr in art.select(".reflib-queue tr")[1:]]
    assert queue == [q.action for q in progress.queue(lib)]
    assert art.select_one(".reflib-review a[href='../resources/beta/']")
    assert "not a git checkout" in art.get_text()
    assert art.select_one("svg") is None


def test_dashboard_problems_panel_lists_every_check_finding(tmp_path: Path,
                                                          built: Build) -> None:
    from libfactory import make_library
    from reflib.checks.check import check_root

    art = built.article("dashboard/index.html")
    assert art.select_one(".reflib-problems--none") is not None
    assert art.select_one(".reflib-problems table") is None

    root = make_library(tmp_path / "lib")
    manifest = root / "refs/manifest.yaml"
    manifest.write_text(manifest.read_text().replace("status: fetched", "status: converted", 1))
    card = root / "refs/resources/alpha.md"
    card.write_text(card.read_text().replace("#22-performance-optimization", "#22-speed|x", 1))
    full = root / "sources/alpha/full.md"
    full.write_text(full.read_text().replace("converter:", "convertor:", 1))
    findings = check_root(root)
    assert len({f.code for f in findings}) >= 3
    result = build(root, strict=False)
    assert result.returncode == 0, result.log
    panel = result.article("dashboard/index.html").select_one(".reflib-problems")
    rows = [[td.get_text(strip=True) for td in tr.select("td")]
            for tr in panel.select("tbody tr")]
    assert rows == [[f"{f.path}:{f.line}", f.message, f.code] for f in findings]
    assert f"{len(findings)} findings" in panel.select_one("p").get_text()
    links = {a.get_text(strip=True): a["href"] for a in panel.select("a")}
    evidence = next(f for f in findings if f.code == "evidence-anchor")
    assert links[f"{evidence.path}:{evidence.line}"] == "../resources/alpha/"
    assert links[next(f"{f.path}:{f.line}" for f in findings if f.path == full.relative_to(
        root).as_posix())] == "../sources/alpha/"

    off = build(root, SMALLEST_CONFIG.replace("  - reflib", "  - reflib:\n      checks: none"),
                strict=False)
    assert off.returncode == 0, off.log
    note = off.article("dashboard/index.html").get_text()
    assert "runs no checks" in note


def test_dashboard_burndown_from_git(tmp_path: Path) -> None:
    from libfactory import make_library

    root = make_library(tmp_path / "lib")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q", "."], cwd=root, check=True)
    manifest = root / "refs/manifest.yaml"
    final = manifest.read_text()
    manifest.write_text(final.replace("status: condensed", "status: link_only"))
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "start"], cwd=root, check=True)
    manifest.write_text("resources: [unparsable")
    subprocess.run([*git, "commit", "-qam", "broken"], cwd=root, check=True)
    manifest.write_text(final)
    subprocess.run([*git, "commit", "-qam", "done"], cwd=root, check=True)
    result = build(root)
    assert result.returncode == 0, result.log
    art = result.article("dashboard/index.html")
    svg = art.select_one(".reflib-chart svg")
    assert svg is not None and len(svg.select("polygon")) == 4
    assert "last 2 commits" in art.get_text()


def test_broken_evidence_anchor_fails_strict(tmp_path: Path) -> None:
    from libfactory import make_library

    root = make_library(tmp_path / "lib")
    card = root / "refs/resources/alpha.md"
    card.write_text(card.read_text().replace("#22-performance-optimization", "#no-such"))
    line = card.read_text().split("\n").index(next(
        x for x in card.read_text().split("\n") if "#no-such" in x)) + 1
    result = build(root)
    assert result.returncode != 0
    assert f"refs/resources/alpha.md:{line}:" in result.log
    assert "no-such" in result.log
    assert "Traceback" not in result.log


def test_broken_manifest_fails_with_message(tmp_path: Path) -> None:
    from libfactory import make_library

    root = make_library(tmp_path / "lib")
    (root / "refs/manifest.yaml").write_text("resources:\n  - id: [unclosed\n")
    result = build(root)
    assert result.returncode != 0
    assert "refs/manifest.yaml:" in result.log and "not valid YAML" in result.log
    assert "Traceback" not in result.log


INJECTION = """
<script>alert("xss-script")</script>

<img src="x" onerror="alert('xss-onerror')">

[click](javascript:alert('xss-js'))

<a href="javascript:alert('xss-a')">raw link</a>

<div onmouseover="alert('xss-div')">hover</div>

<svg><script>alert('xss-svg')</script></svg>
"""


def test_script_injection_neutralised(tmp_path: Path) -> None:
    from libfactory import make_library

    root = make_library(tmp_path / "lib")
    card = root / "refs/resources/alpha.md"
    card.write_text(card.read_text() + INJECTION)
    full = root / "sources/alpha/full.md"
    text = full.read_text().replace('title: "Alpha: a paper"',
                                    "title: '<img src=x onerror=alert(1)>'")
    text = text.replace("---\n# Alpha", "description: '\"><script>alert(2)</script>'\n"
                                        "template: main.html\n---\n# Alpha")
    full.write_text(text + INJECTION + "\n## Heading <img src=x onerror=alert('h')>\n")
    topic = root / "refs/topics/01-first.md"
    topic.write_text(topic.read_text() + INJECTION)
    result = build(root, strict=False)
    assert result.returncode == 0, result.log
    for page in ("resources/alpha/index.html", "sources/alpha/index.html",
                 "topics/01-first/index.html"):
        assert_nothing_runs((result.site / page).read_text(), page)


def test_refs_index_and_user_nav_are_kept(tmp_path: Path) -> None:
    from libfactory import make_library

    root = make_library(tmp_path / "lib")
    (root / "refs/index.md").write_text("# Our own home\n")
    config = SMALLEST_CONFIG + "nav:\n  - index.md\n  - dashboard.md\n  - resources/alpha.md\n"
    result = build(root, config)
    assert result.returncode == 0, result.log
    assert result.article("index.html").h1.get_text(strip=True) == "Our own home"
    nav = result.html("index.html").select_one("nav.md-nav--primary")
    assert len(nav.select("a.md-nav__link")) == 3
    assert (result.site / "resources/gamma/index.html").is_file()


def test_sources_are_watched_by_serve() -> None:
    from reflib.engines.mkdocs.plugin import ReflibPlugin

    plugin = ReflibPlugin()
    plugin.root = Path(__file__).resolve().parents[1]
    watched: list[str] = []

    class Server:
        def watch(self, path: str) -> None:
            watched.append(path)

    plugin.on_serve(Server(), config=None, builder=None)  # type: ignore[arg-type]
    assert str(plugin.root / "sources") in watched


@pytest.mark.skipif(importlib.util.find_spec("properdocs") is None,
                    reason="ProperDocs is not installed")
def test_properdocs_builds_the_library(tmp_path: Path) -> None:
    from libfactory import make_library

    root = make_library(tmp_path / "lib")
    result = build(root, tool="properdocs")
    assert result.returncode == 0, result.log
    art = result.article("sources/alpha/index.html")
    assert art.select(".reflib-backlinks")
    assert result.article("index.html").select_one("[data-reflib-filters]")


def test_fulltext_links_to_its_own_site_resolve_against_source_url() -> None:
    out = mdrewrite.rewrite(
        "![d](../assets/x.svg) [a](#b) [raw](raw/p.html) [o](../other/full.md#x)",
        "sources/t/full.md", base_url="https://d.example/0.9/start/",
        exists=lambda r: r in {"sources/t/raw/p.html", "sources/other/full.md"})
    assert out.markdown == ("![d](https://d.example/0.9/assets/x.svg) [a](#b) "
                            "[raw](raw/p.html.txt) [o](../other/index.md#x)")


def test_catalog_llms_and_markdown_sources(built: Build) -> None:
    import json

    catalog = json.loads((built.site / "catalog.json").read_text())
    assert catalog
    llms = (built.site / "llms.txt").read_text()
    assert llms.startswith("# Test library")
    assert (built.site / "sources/alpha/full.md").is_file()
    assert (built.site / "resources/alpha.md").is_file()


def test_resource_header_repeats_no_title(built: Build) -> None:
    """The header's Title row only when the page's heading is not the manifest's title."""
    def rows(page: str) -> list[str]:
        header = built.article(page).select_one(".reflib-resource dl.reflib-meta")
        return [dt.get_text(strip=True) for dt in header.select("dt")]

    # a generated page: its heading is the manifest title
    assert built.article("resources/gamma/index.html").select_one("h1").get_text(
        strip=True) == "Gamma issue"
    assert "Title" not in rows("resources/gamma/index.html")
    # a card headed "Alpha" for the manifest's "Alpha: a paper": the full title is shown
    assert built.article("resources/alpha/index.html").select_one("h1").get_text(
        strip=True).startswith("Alpha")
    assert rows("resources/alpha/index.html")[0] == "Title"
