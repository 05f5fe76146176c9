"""What ``reflib check`` accepts builds under ``--strict``, on real converted pages.

A library made by ``reflib init`` (its own ``mkdocs.yml``), a docs resource from real Material
pages of the shared corpus (code blocks with file names, admonitions, tables), converted by
reflib, a card citing headings that come after those code blocks, approved: ``reflib check``
passes, the strict build passes, and every cited heading exists in the built page.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reflib.checks.check import check_root
from reflib.cli.main import main
from reflib.core.model import load
from sitebuild import build

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
PAGES = ("pydantic_ai_agents.html", "pydantic_ai_cli.html")


@pytest.mark.corpus
def test_converted_corpus_pages_pass_check_and_strict_build(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = CORPUS / "html_pages" / "mkdocs_material"
    if not all((folder / p).is_file() for p in PAGES):
        pytest.skip("no ../shared/corpus")
    root = tmp_path / "lib"
    assert main(["init", str(root), "--no-git"]) == 0
    raw = root / "sources/agents-docs/raw"
    raw.mkdir(parents=True)
    for page in PAGES:
        shutil.copy(folder / page, raw / page)
    manifest = root / "refs/manifest.yaml"
    manifest.write_text(manifest.read_text().replace("resources: []\n", (
        "resources:\n  - id: agents-docs\n    title: Agent docs\n    type: docs\n"
        "    url: https://ai.pydantic.dev/agents/\n    status: fetched\n"
        f"    raw: [raw/{PAGES[0]}, raw/{PAGES[1]}]\n")))
    assert main(["--root", str(root), "convert", "agents-docs", "--jobs", "1"]) == 0
    full = load(root).fulltexts["agents-docs"]
    body = full.read_text()
    assert 'title="' in body, "the pages' code blocks carry file names"
    fences = [i for i, line in enumerate(body.split("\n")) if line.startswith("```") and
              'title="' in line]
    # cite the headings that come after titled code blocks (a build without SuperFences lost them)
    after = [h for h in full.headings if h.level >= 2 and h.line > fences[0] + full.body_line]
    assert len(after) >= 3
    cited = after[:3]
    claims = "".join(f"{n}. A claim about {h.text}.\n   Evidence: [{h.text}]"
                     f"(../../sources/agents-docs/full.md#{h.anchor})\n"
                     for n, h in enumerate(cited, start=1))
    (root / "refs/resources/agents-docs.md").write_text(
        "---\nid: agents-docs\nreview: draft\n---\n# Agent docs\n\n## Claims\n\n" + claims)
    assert main(["--root", str(root), "review", "agents-docs", "--approve", "--by", "rev"]) == 0
    assert check_root(root) == []
    result = build(root, config=(root / "mkdocs.yml").read_text(), strict=True)
    assert result.returncode == 0, result.log
    page = result.html("sources/agents-docs/index.html")
    for heading in cited:
        assert page.find(id=heading.anchor) is not None, heading.anchor
    # every heading check found is a heading of the built page
    ids = {el.get("id") for el in page.select("h1, h2, h3, h4, h5, h6")}
    assert {h.anchor for h in full.headings} <= ids


def _break_status(root: Path) -> None:
    manifest = root / "refs/manifest.yaml"
    manifest.write_text(manifest.read_text().replace("status: fetched", "status: converted", 1))


def _break_front_matter(root: Path) -> None:
    full = root / "sources/alpha/full.md"
    full.write_text(full.read_text().replace("converter:", "convertor:", 1))


def _break_raw(root: Path) -> None:
    raw = root / "sources/alpha/raw/alpha.html"
    raw.write_text(raw.read_text() + "<p>changed after the conversion</p>\n")


def _break_evidence(root: Path) -> None:
    card = root / "refs/resources/alpha.md"
    card.write_text(card.read_text().replace("#22-performance-optimization", "#22-speed", 1))


@pytest.mark.parametrize("breakage", [None, _break_status, _break_front_matter, _break_raw,
                                      _break_evidence])
def test_check_and_strict_build_agree_both_ways(tmp_path: Path, breakage: object) -> None:
    """Whatever ``reflib check`` rejects fails ``mkdocs build --strict`` (with the smallest
    configuration, as the README gives it), and what it accepts builds."""
    from libfactory import make_library

    root = make_library(tmp_path / "lib")
    if breakage is not None:
        breakage(root)  # type: ignore[operator]
    findings = check_root(root)
    result = build(root, strict=True)
    if breakage is None:
        assert findings == [] and result.returncode == 0, result.log
        return
    assert findings, "the breakage is a finding"
    assert result.returncode != 0, result.log
    for finding in findings:
        assert f"[{finding.code}]" in result.log, (finding.code, result.log[-2000:])
