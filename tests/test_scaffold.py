"""``reflib init`` / ``reflib new``: scaffolds from templates that pass ``reflib check``, and
never overwrite."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from libfactory import fulltext
from reflib.checks.check import check_root
from reflib.cli.main import main
from reflib.core.model import load

ENTRY = """\
resources:
  - id: paper-one      # added by hand
    title: "Paper one: pipelines"
    type: paper
    url: https://example.org/paper-one
    priority: high
    status: converted
    topics: [01-pipelines]
    raw: [raw/paper.html]
"""

BODY = """\
# Paper one

## 1 Introduction

Text.

### 1.1 Motivation [sic]

More text.

## 2 Method

The method.
"""


def cli(*args: str) -> int:
    return main(list(args))


def test_init_creates_a_clean_library(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "newlib"
    assert cli("init", str(root), "--name", "My library", "--no-git") == 0
    for rel in ("mkdocs.yml", "refs/manifest.yaml", "refs/resources/.gitkeep",
                "refs/topics/.gitkeep", "sources/.gitkeep", ".github/workflows/library.yml",
                ".pre-commit-config.yaml", "README.md", ".gitignore"):
        assert (root / rel).is_file(), rel
    assert yaml.safe_load((root / "mkdocs.yml").read_text()) == {
        "site_name": "My library", "docs_dir": "refs", "theme": {"name": "material"},
        "plugins": ["reflib"]}
    manifest = (root / "refs/manifest.yaml").read_text()
    assert manifest.startswith("# My library")
    assert yaml.safe_load(manifest) == {"resources": []}
    workflow = yaml.safe_load((root / ".github/workflows/library.yml").read_text())
    runs = [s.get("run", "") for s in workflow["jobs"]["check-and-build"]["steps"]]
    assert any("pip install" in r and "reflib" in r for r in runs)
    assert "reflib check --format github" in runs
    assert "mkdocs build --strict" in runs
    hook = yaml.safe_load((root / ".pre-commit-config.yaml").read_text())
    assert hook["repos"][0]["repo"] == "local"
    assert hook["repos"][0]["hooks"][0]["entry"] == "reflib check"
    capsys.readouterr()
    assert check_root(root) == []
    assert cli("--root", str(root), "check") == 0


def test_init_refuses_an_existing_library(library: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    before = (library / "refs/manifest.yaml").read_text()
    assert cli("init", str(library), "--no-git") == 1
    assert "already holds a library" in capsys.readouterr().err
    assert (library / "refs/manifest.yaml").read_text() == before
    assert not (library / "mkdocs.yml").exists()


def test_init_keeps_existing_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "README.md").write_text("mine\n")
    assert cli("init", str(root), "--no-git") == 0
    assert (root / "README.md").read_text() == "mine\n"
    assert "kept existing README.md" in capsys.readouterr().err


def test_init_json_lists_created_and_kept_files(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "README.md").write_text("mine\n")
    capsys.readouterr()
    assert cli("init", str(root), "--no-git", "--json") == 0
    out = capsys.readouterr()
    report = json.loads(out.out)
    assert report["root"] == str(root.resolve())
    assert report["kept"] == ["README.md"]
    assert "mkdocs.yml" in report["created"] and "refs/manifest.yaml" in report["created"]
    assert "README.md" not in report["created"]
    assert all((root / rel).is_file() for rel in report["created"])
    assert report["git"] is False
    assert out.err == ""


def test_init_then_topic_card_review_passes_check(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "lib"
    assert cli("init", str(root), "--no-git") == 0
    manifest = root / "refs/manifest.yaml"
    manifest.write_text(manifest.read_text().replace("resources: []\n", ENTRY))
    raw = root / "sources/paper-one/raw/paper.html"
    raw.parent.mkdir(parents=True)
    raw.write_text("<h1>Paper one</h1>\n")
    fulltext(root, "paper-one", "Paper one", BODY, ["raw/paper.html"])
    assert cli("--root", str(root), "new", "topic", "01-pipelines") == 0
    topic = (root / "refs/topics/01-pipelines.md").read_text()
    assert topic.startswith("# Pipelines\n")
    for section in ("Mental model", "Key concepts", "Cross-resource agreement and disagreement",
                    "Practical checklist", "Experiments to run"):
        assert f"\n## {section}\n" in topic
    monkeypatch.setenv("REFLIB_AGENT", "agent-7")
    assert cli("--root", str(root), "new", "card", "paper-one") == 0
    card_path = root / "refs/resources/paper-one.md"
    card = card_path.read_text()
    assert card.startswith("---\nid: paper-one\nreview: draft\ndrafted_by: agent-7\n---\n"
                           "# Paper one: pipelines\n")
    for heading in ("## Claims", "## Actionables", "## Open questions"):
        assert f"\n{heading}\n" in card
    # the headings of the full text, as evidence links that resolve
    links = re.findall(r"- \[(.*?)\]\((\.\./\.\./sources/paper-one/full\.md#[^)]+)\)", card)
    assert [target for _, target in links] == [
        "../../sources/paper-one/full.md#paper-one",
        "../../sources/paper-one/full.md#1-introduction",
        "../../sources/paper-one/full.md#11-motivation-sic",
        "../../sources/paper-one/full.md#2-method"]
    assert links[2][0] == "1.1 Motivation \\[sic\\]"
    assert "\n    - [1.1 Motivation" in card  # nested under its parent
    capsys.readouterr()
    assert check_root(root) == [], "a fresh scaffold card passes check"
    # paste a heading as evidence: still clean, then approve
    claim = f"1. The method works.\n   Evidence: [{links[3][0]}]({links[3][1]})\n\n"
    card_path.write_text(card.replace("## Actionables", claim + "## Actionables"))
    assert check_root(root) == []
    assert cli("--root", str(root), "review", "paper-one", "--approve", "--by", "rev") == 0
    assert check_root(root) == []
    assert load(root).resources["paper-one"].status == "condensed"
    assert "# added by hand" in manifest.read_text()


def test_new_never_overwrites(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    card = library / "refs/resources/alpha.md"
    before = card.read_text()
    assert cli("--root", str(library), "new", "card", "alpha") == 1
    assert "already exists" in capsys.readouterr().err
    assert card.read_text() == before
    topic = library / "refs/topics/01-first.md"
    before = topic.read_text()
    assert cli("--root", str(library), "new", "topic", "01-first") == 1
    assert topic.read_text() == before


def test_new_card_needs_a_known_converted_resource(library: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("--root", str(library), "new", "card", "gamma") == 1
    err = capsys.readouterr().err
    assert "no full text" in err and "reflib convert gamma" in err
    assert not (library / "refs/resources/gamma.md").exists()
    assert cli("--root", str(library), "new", "card", "gama") == 1
    assert "'gamma'" in capsys.readouterr().err


def test_new_card_by_and_template_override(library: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    (library / "refs/resources/beta.md").unlink()
    assert cli("--root", str(library), "new", "card", "beta", "--by", "Ann: the \"reviewer\"") == 0
    meta = load(library).cards["beta"].meta
    assert meta == {"id": "beta", "review": "draft", "drafted_by": 'Ann: the "reviewer"'}
    override = library / ".reflib/templates/scaffold/topic.md.j2"
    override.parent.mkdir(parents=True)
    override.write_text("# {{ title }}\n\nOur own template.\n"
                        "{% for s in sections %}\n## {{ s.title }}\n{% endfor %}\n")
    assert cli("--root", str(library), "new", "topic", "03-third", "--title", "Third!") == 0
    text = (library / "refs/topics/03-third.md").read_text()
    assert text.startswith("# Third!\n\nOur own template.\n")


def test_new_topic_bad_name_is_usage_error(library: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("--root", str(library), "new", "topic", "pipelines") == 2
    assert "NN-slug" in capsys.readouterr().err
