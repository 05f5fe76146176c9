"""``reflib build``: with ``--engine zensical``, a library Zensical has never seen builds with its
statuses, evidence links that land on the cited heading, backlinks, badges, index, dashboard,
exports and search, checked on the written HTML (and beside the MkDocs build of the same
library)."""

from __future__ import annotations

import importlib.util
import json
import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup

from libfactory import make_library
from reflib.cli.main import main
from sitebuild import SMALLEST_CONFIG, assert_nothing_runs, build

pytestmark = pytest.mark.skipif(importlib.util.find_spec("zensical") is None,
                                reason="Zensical is not installed (pip install 'reflib[zensical]')")


def _page(site: Path, url_path: str) -> BeautifulSoup:
    path = site / url_path
    if url_path.endswith("/") or path.is_dir():
        path = path / "index.html"
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _resolve(site: Path, page: str, href: str) -> tuple[str, str]:
    """The site path and fragment a relative link on ``page`` (a folder URL) leads to."""
    parts = urlsplit(href)
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page), unquote(parts.path)))
    return target + ("/" if parts.path.endswith("/") else ""), parts.fragment


@pytest.fixture(scope="module")
def zensical_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int]:
    root = make_library(tmp_path_factory.mktemp("lib") / "lib")
    (root / "mkdocs.yml").write_text(SMALLEST_CONFIG, encoding="utf-8")
    site = root.parent / "zsite"
    code = main(["--root", str(root), "build", "--engine", "zensical", "-d", str(site)])
    return root, site, code


def test_every_resource_has_its_page_with_status(zensical_site: tuple[Path, Path, int]) -> None:
    _root, site, code = zensical_site
    assert code == 0
    catalog = json.loads((site / "catalog.json").read_text(encoding="utf-8"))
    ids = [r["id"] for r in catalog["resources"]]
    assert len(ids) >= 3
    for rid in ids:
        page = _page(site, f"resources/{rid}/")
        badge = page.select_one(".reflib-badges .reflib-badge--status")
        assert badge is not None, rid
        status = next(r["status"] for r in catalog["resources"] if r["id"] == rid)
        assert badge["data-reflib-value"] == status, rid
    index = _page(site, "")
    assert {a.get_text(strip=True) for a in index.select("article a")} >= {
        r["title"] for r in catalog["resources"]}
    assert _page(site, "dashboard/").select_one("article h1") is not None
    assert (site / "llms.txt").is_file()


def test_evidence_links_land_on_the_cited_heading(zensical_site: tuple[Path, Path, int]) -> None:
    _, site, _ = zensical_site
    checked = 0
    for card in sorted((site / "resources").glob("*/index.html")):
        page = f"resources/{card.parent.name}/"
        for link in BeautifulSoup(card.read_text(encoding="utf-8"), "html.parser").select(
                "a.reflib-evidence"):
            target, fragment = _resolve(site, page, link["href"])
            assert fragment, link
            landed = _page(site, target).find(id=fragment)
            assert landed is not None and landed.name in {"h1", "h2", "h3", "h4", "h5", "h6"}, \
                (page, link["href"])
            assert link.get("data-reflib-heading"), link  # the preview of the cited passage
            checked += 1
    assert checked >= 3


def test_full_texts_show_who_cites_them(zensical_site: tuple[Path, Path, int]) -> None:
    _, site, _ = zensical_site
    page = "sources/alpha/"
    boxes = _page(site, page).select(".reflib-backlinks")
    assert boxes
    for a in boxes[0].select("a"):
        target, _ = _resolve(site, page, a["href"])
        assert (site / target / "index.html").is_file() or (site / target).is_file(), a["href"]


def test_the_same_library_builds_alike_with_mkdocs(zensical_site: tuple[Path, Path, int],
                                                  tmp_path: Path) -> None:
    """The engines agree on what the library holds: the same evidence links per card, the
    same backlinks per full text."""
    _root, site, _ = zensical_site
    copy = make_library(tmp_path / "lib")
    mk = build(copy, SMALLEST_CONFIG)
    assert mk.returncode == 0, mk.log

    def links(base: Path, selector: str) -> dict[str, list[str]]:
        return {p.parent.relative_to(base).as_posix(): [a["href"] for a in BeautifulSoup(
            p.read_text(encoding="utf-8"), "html.parser").select(selector)]
            for p in sorted(base.glob("*/*/index.html")) if p.parts[-3] in ("resources",
                                                                            "sources")}

    assert links(site, "a.reflib-evidence") == links(mk.site, "a.reflib-evidence")
    assert links(site, ".reflib-backlinks a") == links(mk.site, ".reflib-backlinks a")


def test_library_content_is_marked_for_search_and_indexed(
        zensical_site: tuple[Path, Path, int]) -> None:
    _, site, _ = zensical_site
    assert (site / "pagefind" / "pagefind-entry.json").is_file()
    text = (site / "sources/alpha/index.html").read_text(encoding="utf-8")
    assert text.count("data-pagefind-body") == 1


def test_a_broken_evidence_link_fails_a_strict_build(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    root = make_library(tmp_path / "lib")
    (root / "mkdocs.yml").write_text(SMALLEST_CONFIG, encoding="utf-8")
    card = root / "refs/resources/alpha.md"
    card.write_text(card.read_text(encoding="utf-8").replace(
        "#22-performance-optimization", "#no-such-heading"), encoding="utf-8")
    code = main(["--root", str(root), "build", "--engine", "zensical", "--strict",
                 "-d", str(tmp_path / "site")])
    err = capsys.readouterr().err
    assert code == 1
    assert "refs/resources/alpha.md:" in err and "no-such-heading" in err


def test_no_reflib_plugin_is_a_clear_error(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    root = make_library(tmp_path / "lib")
    (root / "mkdocs.yml").write_text("site_name: x\ndocs_dir: refs\n", encoding="utf-8")
    code = main(["--root", str(root), "build", "--engine", "zensical"])
    assert code == 2
    assert "mkdocs.yml" in capsys.readouterr().err


def test_check_warns_when_zensical_would_build_without_reflib(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_library(tmp_path / "lib")
    (root / "mkdocs.yml").write_text(SMALLEST_CONFIG, encoding="utf-8")
    assert main(["--root", str(root), "check"]) == 0
    (root / "zensical.toml").write_text('[project]\nsite_name = "x"\n', encoding="utf-8")
    capsys.readouterr()
    assert main(["--root", str(root), "check"]) == 1
    out = capsys.readouterr().out
    assert "zensical.toml:1:" in out and "reflib build --engine zensical" in out
    # and the MkDocs build agrees (a strict build fails on the same finding)
    assert build(root, SMALLEST_CONFIG).returncode != 0


@pytest.mark.parametrize("engine", ["mkdocs", "properdocs"])
def test_build_is_the_front_door_for_the_mkdocs_engines(tmp_path: Path, engine: str) -> None:
    if importlib.util.find_spec(engine) is None:
        pytest.skip(f"{engine} is not installed")
    root = make_library(tmp_path / "lib")
    (root / "mkdocs.yml").write_text(SMALLEST_CONFIG, encoding="utf-8")
    site = tmp_path / "site"
    assert main(["--root", str(root), "build", "--engine", engine, "--strict",
                 "-d", str(site)]) == 0
    page = BeautifulSoup((site / "sources/alpha/index.html").read_text(encoding="utf-8"),
                         "html.parser")
    assert page.select(".reflib-backlinks")
    card = root / "refs/resources/alpha.md"
    card.write_text(card.read_text(encoding="utf-8").replace(
        "#22-performance-optimization", "#no-such-heading"), encoding="utf-8")
    assert main(["--root", str(root), "build", "--engine", engine, "--strict",
                 "-d", str(site)]) == 1


def test_search_records_are_sections_and_theme_overrides_are_kept(tmp_path: Path) -> None:
    """Full texts are cut into section records as with MkDocs; a ``custom_dir`` of the
    library's configuration (relative to it) still overrides the theme."""
    root = make_library(tmp_path / "lib")
    (root / "overrides").mkdir()
    (root / "overrides/main.html").write_text(
        '{% extends "base.html" %}\n{% block announce %}OUR-ANNOUNCEMENT{% endblock %}\n',
        encoding="utf-8")
    (root / "mkdocs.yml").write_text(SMALLEST_CONFIG.replace(
        "  name: material\n", "  name: material\n  custom_dir: overrides\n"), encoding="utf-8")
    site = tmp_path / "site"
    assert main(["--root", str(root), "build", "--engine", "zensical", "-d", str(site)]) == 0
    assert "OUR-ANNOUNCEMENT" in (site / "index.html").read_text(encoding="utf-8")
    settings = json.loads((site / "assets/reflib/search.json").read_text(encoding="utf-8"))
    assert settings["records"] != "pages"
    entry = json.loads((site / "pagefind/pagefind-entry.json").read_text(encoding="utf-8"))
    records = sum(index["page_count"] for index in entry["languages"].values())
    marked = [p for p in site.rglob("*.html")
              if "data-pagefind-body" in p.read_text(encoding="utf-8")]
    assert records > len(marked) + 3  # the full texts' sections are records of their own


def test_docs_dir_must_be_refs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_library(tmp_path / "lib")
    (root / "mkdocs.yml").write_text(SMALLEST_CONFIG.replace("docs_dir: refs", "docs_dir: docs"),
                                     encoding="utf-8")
    assert main(["--root", str(root), "build", "--engine", "zensical"]) == 2
    assert "docs_dir must be the library's refs/ folder" in capsys.readouterr().err


def test_no_script_from_the_library_runs_in_the_zensical_site(tmp_path: Path) -> None:
    """The same hostile card, full text and topic as the MkDocs test: nothing of them runs."""
    from test_site import INJECTION

    root = make_library(tmp_path / "lib")
    (root / "mkdocs.yml").write_text(SMALLEST_CONFIG, encoding="utf-8")
    card = root / "refs/resources/alpha.md"
    card.write_text(card.read_text(encoding="utf-8") + INJECTION, encoding="utf-8")
    full = root / "sources/alpha/full.md"
    text = full.read_text(encoding="utf-8").replace(
        'title: "Alpha: a paper"', "title: '<img src=x onerror=alert(1)>'")
    text = text.replace("---\n# Alpha", "description: '\"><script>alert(2)</script>'\n---\n# Alpha")
    full.write_text(text + INJECTION + "\n## Heading <img src=x onerror=alert('h')>\n",
                    encoding="utf-8")
    site = tmp_path / "site"
    assert main(["--root", str(root), "build", "--engine", "zensical", "-d", str(site)]) == 0
    for page in ("resources/alpha/index.html", "sources/alpha/index.html", "index.html"):
        assert_nothing_runs((site / page).read_text(encoding="utf-8"), page)


def test_without_zensical_the_error_says_what_to_install(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    root = make_library(tmp_path / "lib")
    (root / "mkdocs.yml").write_text(SMALLEST_CONFIG, encoding="utf-8")
    monkeypatch.setitem(sys.modules, "zensical", None)  # import zensical raises ImportError
    assert main(["--root", str(root), "build", "--engine", "zensical"]) == 2
    assert "pip install 'reflib[zensical]'" in capsys.readouterr().err
