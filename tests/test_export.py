"""``reflib.lookup.export``: catalog.json and llms.txt, and the ``reflib export`` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reflib.cli.main import main
from reflib.core import paths
from reflib.core.model import load
from reflib.lookup.export import catalog, llms_txt


def test_site_urls() -> None:
    assert paths.site_url_for("refs/index.md") == ""
    assert paths.site_url_for("refs/resources/alpha.md") == "resources/alpha/"
    assert paths.site_url_for("refs/topics/01-first.md") == "topics/01-first/"
    assert paths.site_url_for("refs/guide/index.md") == "guide/"
    assert paths.site_url_for("sources/alpha/full.md") == "sources/alpha/"
    assert paths.resource_page_url("delta") == "resources/delta/"
    assert paths.markdown_url_for("refs/resources/alpha.md") == "resources/alpha.md"
    assert paths.markdown_url_for("sources/alpha/full.md") == "sources/alpha/full.md"
    assert paths.page_id("refs/implementation-context.md") == "implementation-context"
    assert paths.page_id("refs/topics/01-first.md") == "01-first"
    assert paths.page_id("sources/beta/full.md") == "beta"


def test_catalog(library: Path) -> None:
    data = catalog(load(library))
    json.dumps(data)  # serialisable as it is
    assert data["counts"] == {"link_only": 1, "fetched": 1, "converted": 1, "condensed": 1}
    res = {r["id"]: r for r in data["resources"]}
    assert list(res) == ["alpha", "beta", "gamma", "delta"]
    alpha = res["alpha"]
    assert alpha["title"] == "Alpha: a paper"
    assert (alpha["type"], alpha["priority"], alpha["phase"]) == ("paper", "high", 1)
    assert (alpha["status"], alpha["review"]) == ("condensed", "approved")
    assert alpha["topics"] == ["01-first"]
    assert alpha["paths"] == {"card": "refs/resources/alpha.md",
                              "fulltext": "sources/alpha/full.md",
                              "raw": ["sources/alpha/raw/alpha.html"]}
    assert alpha["site"] == {"page": "resources/alpha/", "card": "resources/alpha/",
                             "fulltext": "sources/alpha/"}
    assert alpha["headings"] == 5
    assert alpha["converted"] == "2026-11-01"
    assert [c["number"] for c in alpha["claims"]] == [1, 2]
    first = alpha["claims"][0]["evidence"][0]
    full_lines = (library / "sources/alpha/full.md").read_text().split("\n")
    assert first["path"] == "sources/alpha/full.md"
    assert first["anchor"] == "22-performance-optimization"
    assert first["text"] == "§2.2 Performance Optimization"
    assert full_lines[first["line"] - 1] == "## 2.2 Performance Optimization"
    assert first["resolved"] is True
    second = [e["anchor"] for e in alpha["claims"][1]["evidence"]]
    assert second == ["results", "results-1"]
    delta = res["delta"]
    assert delta["paths"] == {"card": None, "fulltext": None, "raw": []}
    assert delta["site"]["page"] == "resources/delta/"
    assert delta["claims"] == []
    assert [t["id"] for t in data["topics"]] == ["01-first", "02-second"]
    assert data["topics"][1]["resources"] == ["beta", "delta"]
    assert data["docs"] == [{"id": "implementation-context", "title": "Implementation context",
                             "path": "refs/implementation-context.md",
                             "url": "implementation-context/"}]


def test_catalog_marks_unresolved_evidence(library: Path) -> None:
    card = library / "refs/resources/beta.md"
    card.write_text(card.read_text().replace("#setup-1)", "#nope)"))
    beta = next(r for r in catalog(load(library))["resources"] if r["id"] == "beta")
    evidence = beta["claims"][0]["evidence"]
    assert [e["resolved"] for e in evidence] == [True, False]
    assert evidence[1]["line"] is None


def test_llms_txt(library: Path) -> None:
    text = llms_txt(load(library), "Test library", "https://example.org/lib/")
    lines = text.split("\n")
    assert lines[0] == "# Test library"
    assert lines[2].startswith("> A reference library of 4 resources")
    first = text.index("## First topic")
    second = text.index("## Second topic")
    other = text.index("## Other")
    section = text[first:second]
    assert ("- [First topic](https://example.org/lib/topics/01-first.md): topic synthesis"
            in section)
    assert "- [Alpha: a paper: card](https://example.org/lib/resources/alpha.md): card " \
           "(approved), 2 claims" in section
    assert "- [Alpha: a paper: full text](https://example.org/lib/sources/alpha/full.md): " \
           "full text" in section
    assert "[Beta docs: card](https://example.org/lib/resources/beta.md)" in section
    assert "[Delta blog](https://example.org/delta)" in text[second:other]
    assert "[Gamma issue](https://example.org/gamma)" in text[other:]
    assert "(https://example.org/lib/implementation-context.md)" in text
    for line in lines:
        assert not line.startswith("- ") or ("](" in line and "): " in line)
    relative = llms_txt(load(library), "Test library")
    assert "- [Alpha: a paper: card](resources/alpha.md)" in relative


def test_export_command(library: Path, tmp_path: Path,
                        capsys: pytest.CaptureFixture[str]) -> None:
    (library / "mkdocs.yml").write_text(
        "site_name: From config\nsite_url: https://docs.example/\ndocs_dir: refs\n"
        "extra:\n  key: !ENV [HOME]\n")
    assert main(["--root", str(library), "export"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["format"] == "reflib-catalog"
    out_catalog = tmp_path / "out/catalog.json"
    out_llms = tmp_path / "out/llms.txt"
    assert main(["--root", str(library), "export", "--catalog", str(out_catalog),
                 "--llms", str(out_llms)]) == 0
    assert json.loads(out_catalog.read_text()) == data
    llms = out_llms.read_text()
    assert llms.startswith("# From config\n")
    assert "https://docs.example/resources/alpha.md" in llms
    assert main(["--root", str(library), "export", "--llms", "-", "--site-name", "X",
                 "--site-url", ""]) == 0
    assert capsys.readouterr().out.startswith("# X\n")


def test_export_on_a_broken_library(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = library / "refs/manifest.yaml"
    manifest.write_text(manifest.read_text().replace("status: fetched", "status: fetchd"))
    (library / "sources/beta/full.md").write_text("---\nid: [beta\n---\n# One\n")
    (library / "sources/alpha/full.md").unlink()
    assert main(["--root", str(library), "export", "--llms", "-"]) == 0
    assert "## Other" in capsys.readouterr().out
    data = catalog(load(library))
    alpha = next(r for r in data["resources"] if r["id"] == "alpha")
    assert alpha["paths"]["fulltext"] is None
    assert alpha["claims"][0]["evidence"][0]["resolved"] is False


def test_llms_txt_html_links(library: Path) -> None:
    text = llms_txt(load(library), "L", "https://example.org", markdown=False)
    assert "- [Alpha: a paper: card](https://example.org/resources/alpha/)" in text
    assert "- [Alpha: a paper: full text](https://example.org/sources/alpha/)" in text
    assert "(https://example.org/topics/01-first/)" in text
