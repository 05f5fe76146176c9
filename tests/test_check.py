"""``reflib check`` on real libraries in tmp_path: clean when valid, and each kind of breakage
reported with the file, line and rule."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from reflib.checks.check import check_root
from reflib.cli.main import main


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def manifest(root: Path) -> Path:
    return root / "refs/manifest.yaml"


def test_valid_library_is_clean(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_root(library) == []
    assert main(["--root", str(library), "check"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "ok: 4 resources" in err


def test_check_never_writes(library: Path) -> None:
    before = {p: p.stat().st_mtime_ns for p in library.rglob("*") if p.is_file()}
    edit(manifest(library), "status: fetched", "status: condensed")
    before[manifest(library)] = manifest(library).stat().st_mtime_ns
    assert main(["--root", str(library), "check"]) == 1
    after = {p: p.stat().st_mtime_ns for p in library.rglob("*") if p.is_file()}
    assert after == before


Breakage = Callable[[Path], None]

CASES: list[tuple[str, Breakage, str, str, int | None, str]] = [
    # (name, breakage, code, path, line, message fragment)
    ("unknown key", lambda r: edit(manifest(r), "    priority: high", "    priorty: high"),
     "manifest-unknown-key", "refs/manifest.yaml", 8, "did you mean 'priority'"),
    ("bad type", lambda r: edit(manifest(r), "type: paper", "type: papr"),
     "manifest-bad-value", "refs/manifest.yaml", 6, "did you mean 'paper'"),
    ("bad status", lambda r: edit(manifest(r), "status: fetched", "status: fetchd"),
     "manifest-bad-value", "refs/manifest.yaml", 29, "not one of link_only"),
    ("bad priority", lambda r: edit(manifest(r), "priority: low\n    phase: 3",
                                    "priority: urgent\n    phase: 3"),
     "manifest-bad-value", "refs/manifest.yaml", 36, "'priority'"),
    ("missing title", lambda r: edit(manifest(r), '    title: Gamma issue\n', ""),
     "manifest-missing-key", "refs/manifest.yaml", 24, "'title' is missing"),
    ("duplicate id", lambda r: edit(manifest(r), "id: gamma", "id: beta"),
     "manifest-duplicate-id", "refs/manifest.yaml", 24, "first used on line 14"),
    ("path in id", lambda r: edit(manifest(r), "id: delta", "id: ../delta"),
     "manifest-unsafe-id", "refs/manifest.yaml", 32, "path separators"),
    ("uppercase id", lambda r: edit(manifest(r), "id: delta", "id: Delta"),
     "manifest-bad-id", "refs/manifest.yaml", 32, "try 'delta'"),
    ("unknown topic", lambda r: edit(manifest(r), "topics: [02-second]", "topics: [02-secnd]"),
     "manifest-unknown-topic", "refs/manifest.yaml", 39, "did you mean '02-second'"),
    ("phase not int", lambda r: edit(manifest(r), "phase: 3", "phase: soon"),
     "manifest-bad-value", "refs/manifest.yaml", 37, "whole number"),
    ("topics as string", lambda r: edit(manifest(r), "topics: [02-second]", "topics: 02-second"),
     "manifest-bad-value", "refs/manifest.yaml", 39, "must be a list"),
    ("link_only without url",
     lambda r: edit(manifest(r), "    url: https://example.org/delta\n", ""),
     "manifest-missing-key", "refs/manifest.yaml", 37, "needs a 'url'"),
    ("unsafe raw", lambda r: edit(manifest(r), "raw: [raw/issue.json]", "raw: [../alpha/raw/alpha.html]"),
     "manifest-unsafe-raw", "refs/manifest.yaml", 30, "no '..'"),
    ("unknown top-level key", lambda r: edit(manifest(r), "resources:", "resorces: []\nresources:"),
     "manifest-unknown-key", "refs/manifest.yaml", 2, "did you mean 'resources'"),
    ("raw file missing", lambda r: (r / "sources/gamma/raw/issue.json").unlink(),
     "status-raw-missing", "refs/manifest.yaml", 30, "does not exist"),
    ("raw file unlisted", lambda r: (r / "sources/gamma/raw/extra.json").write_text("{}"),
     "status-raw-unlisted", "refs/manifest.yaml", 30, "raw/extra.json"),
    ("link_only with raw files", lambda r: ((r / "sources/delta/raw").mkdir(parents=True),
                                            (r / "sources/delta/raw/p.html").write_text("x")),
     "status-behind-disk", "refs/manifest.yaml", 38, "set 'status: fetched'"),
    ("converted without full text", lambda r: (r / "sources/beta/full.md").unlink(),
     "status-fulltext-missing", "refs/manifest.yaml", 20, "reflib convert beta"),
    ("fetched with full text", lambda r: shutil.copy(r / "sources/alpha/full.md",
                                                     r / "sources/gamma/full.md"),
     "status-behind-disk", "refs/manifest.yaml", 29, "set 'status: converted'"),
    ("condensed with draft card", lambda r: edit(r / "refs/resources/alpha.md",
                                                 "review: approved", "review: draft"),
     "status-card-not-approved", "refs/manifest.yaml", 10, "reflib review alpha --approve"),
    ("condensed without card", lambda r: (r / "refs/resources/alpha.md").unlink(),
     "status-card-missing", "refs/manifest.yaml", 10, "no card"),
    ("approved card not condensed", lambda r: edit(r / "refs/resources/beta.md",
                                                   "review: draft",
                                                   "review: approved\nreviewed_by: me"),
     "status-behind-disk", "refs/manifest.yaml", 20, "set 'status: condensed'"),
    ("card for unknown id", lambda r: (r / "refs/resources/alphaa.md").write_text(
        "---\nid: alphaa\nreview: draft\n---\n# A\n"),
     "orphan-card", "refs/resources/alphaa.md", 1, "did you mean 'alpha'"),
    ("source folder without entry", lambda r: (r / "sources/epsilon").mkdir(),
     "orphan-source", "sources/epsilon", 1, "no manifest entry"),
    ("full text id mismatch", lambda r: edit(r / "sources/beta/full.md", "id: beta", "id: bet"),
     "fulltext-id-mismatch", "sources/beta/full.md", 2, "does not match its folder 'beta'"),
    ("full text unknown key", lambda r: edit(r / "sources/beta/full.md", "tier: 2",
                                             "tier: 2\nconverterr: x"),
     "fulltext-unknown-key", "sources/beta/full.md", 6, "did you mean 'converter'"),
    ("full text missing key", lambda r: edit(r / "sources/beta/full.md", "tier: 2\n", ""),
     "fulltext-missing-key", "sources/beta/full.md", 1, "'tier' is missing"),
    ("converter output without hashes", lambda r: edit(r / "sources/beta/full.md",
                                                       "converted: 2026-11-01\n", ""),
     "fulltext-missing-key", "sources/beta/full.md", 1, "'converted' is missing (written by "
     "every reflib converter"),
    ("full text without source_url", lambda r: edit(r / "sources/beta/full.md",
                                                    "source_url: https://example.org/beta\n", ""),
     "fulltext-missing-key", "sources/beta/full.md", 1,
     "'source_url' is missing (the manifest's url is https://example.org/beta)"),
    ("full text without front matter", lambda r: (r / "sources/beta/full.md").write_text(
        "# One\n\n## Setup\n\n# Two\n\n## Setup\n"),
     "fulltext-front-matter", "sources/beta/full.md", 1, "no front matter"),
    ("raw changed since conversion", lambda r: (r / "sources/beta/raw/two.html").write_text(
        "<p>changed</p>"),
     "fulltext-stale", "sources/beta/full.md", 8, "raw/two.html changed since its conversion"),
    ("malformed front matter", lambda r: edit(r / "sources/beta/full.md", "tier: 2",
                                              "tier: [2"),
     "front-matter-syntax", "sources/beta/full.md", 6, "not valid YAML"),
    ("unclosed front matter", lambda r: (r / "refs/resources/beta.md").write_text(
        "---\nid: beta\nreview: draft\n# Beta\n"),
     "front-matter-syntax", "refs/resources/beta.md", 1, "never closed"),
    ("not utf-8", lambda r: (r / "refs/resources/beta.md").write_bytes(b"\xff\xfe# x\n"),
     "unreadable", "refs/resources/beta.md", 1, "UTF-8"),
    ("card id mismatch", lambda r: edit(r / "refs/resources/beta.md", "id: beta", "id: gamma"),
     "card-id-mismatch", "refs/resources/beta.md", 2, "file name 'beta'"),
    ("card bad review", lambda r: edit(r / "refs/resources/beta.md", "review: draft",
                                       "review: aproved"),
     "card-bad-value", "refs/resources/beta.md", 3, "did you mean 'approved'"),
    ("approved card without reviewer", lambda r: edit(r / "refs/resources/alpha.md",
                                                      "reviewed_by: maintainer\n", ""),
     "card-missing-key", "refs/resources/alpha.md", 3, "reviewed_by"),
    ("claim without evidence", lambda r: edit(
        r / "refs/resources/beta.md", "1. Setup happens twice.",
        "1. An unsupported claim.\n\n2. Setup happens twice."),
     "card-claim-without-evidence", "refs/resources/beta.md", 9, "claim 1"),
    ("evidence anchor missing", lambda r: edit(r / "refs/resources/alpha.md",
                                               "full.md#results-1", "full.md#results-2"),
     "evidence-anchor", "refs/resources/alpha.md", 13, "did you mean 'results-1'"),
    ("evidence file missing", lambda r: edit(r / "refs/resources/beta.md",
                                             "sources/beta/full.md#setup)",
                                             "sources/gamma/full.md#setup)"),
     "evidence-broken", "refs/resources/beta.md", 10, "'gamma' is fetched"),
    ("evidence without anchor", lambda r: edit(r / "refs/resources/beta.md",
                                               "full.md#setup)", "full.md)"),
     "evidence-no-anchor", "refs/resources/beta.md", 10, "add '#anchor'"),
    ("evidence not a full text", lambda r: edit(r / "refs/resources/beta.md",
                                                "../../sources/beta/full.md#setup)",
                                                "../topics/01-first.md#key-concepts)"),
     "evidence-not-fulltext", "refs/resources/beta.md", 10, "sources/<id>/full.md"),
    ("evidence without link", lambda r: edit(r / "refs/topics/01-first.md",
                                             "Evidence: [§1](../../sources/alpha/full.md#1-introduction)",
                                             "Evidence: section 1"),
     "evidence-no-link", "refs/topics/01-first.md", 10, "has no link"),
    ("broken link", lambda r: edit(r / "refs/implementation-context.md",
                                   "resources/alpha.md#claims", "resources/alfa.md#claims"),
     "link-broken", "refs/implementation-context.md", 3, "did you mean 'refs/resources/alpha.md'"),
    ("broken anchor", lambda r: edit(r / "refs/implementation-context.md",
                                     "resources/alpha.md#claims", "resources/alpha.md#claim"),
     "link-anchor", "refs/implementation-context.md", 3, "did you mean 'claims'"),
    ("link leaves the library", lambda r: edit(r / "refs/implementation-context.md",
                                               "(../sources/alpha/full.md#1-introduction)",
                                               "(../../outside.md)"),
     "link-escapes", "refs/implementation-context.md", 4, "outside the library root"),
    ("broken image", lambda r: edit(r / "refs/implementation-context.md", "Our code",
                                    "![diagram](img/missing.png) Our code"),
     "link-broken", "refs/implementation-context.md", 3, "image 'img/missing.png'"),
    ("topic missing section", lambda r: edit(r / "refs/topics/02-second.md",
                                             "## Practical checklist", "## Checklist"),
     "topic-missing-section", "refs/topics/02-second.md", 1, "'## Practical checklist'"),
    ("pinned duplicate anchor", lambda r: edit(r / "sources/alpha/full.md", "## Results\n\nFirst",
                                               "## Results {#pin}\n\n## Again {#pin}\n\nFirst"),
     "anchor-duplicate", "sources/alpha/full.md", 23, "already used on line 21"),
]


@pytest.mark.parametrize(("name", "breakage", "code", "path", "line", "fragment"), CASES,
                         ids=[c[0] for c in CASES])
def test_breakage_is_reported(
    library: Path, name: str, breakage: Breakage, code: str, path: str, line: int | None,
    fragment: str,
) -> None:
    breakage(library)
    findings = check_root(library)
    matching = [f for f in findings if f.code == code and f.path == path]
    assert matching, f"no {code} in {path}; got:\n" + "\n".join(f.text() for f in findings)
    hit = [f for f in matching if fragment in f.message]
    assert hit, f"no message with {fragment!r}: " + "; ".join(f.message for f in matching)
    if line is not None:
        assert line in [f.line for f in hit], [f.text() for f in hit]


def test_malformed_manifest_is_a_finding_in_every_format(
        library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A YAML syntax error is a finding with file, line, column and code (exit 1), in text,
    JSON and GitHub formats alike; the pages are still checked on their own."""
    edit(manifest(library), "    type: blog\n", "    type: [blog\n")
    edit(library / "refs/resources/alpha.md", "full.md#results-1", "full.md#results-9")
    assert main(["--root", str(library), "check"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^refs/manifest\.yaml:3[56]:\d+: manifest is not valid YAML: .* "
                     r"\[manifest-syntax\]$", out, re.M), out
    assert "refs/resources/alpha.md:13:" in out  # the pages' own findings are kept
    assert main(["--root", str(library), "check", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    syntax = [f for f in data if f["code"] == "manifest-syntax"]
    assert len(syntax) == 1
    assert syntax[0]["path"] == "refs/manifest.yaml"
    assert syntax[0]["line"] in (35, 36) and syntax[0]["column"] > 0
    assert main(["--root", str(library), "check", "--format", "github"]) == 1
    gh = capsys.readouterr().out
    assert re.search(r"^::error file=refs/manifest\.yaml,line=3[56],col=\d+,"
                     r"title=reflib manifest-syntax::manifest is not valid YAML", gh, re.M), gh


def test_malformed_front_matter_is_a_finding_with_column(library: Path) -> None:
    edit(library / "refs/resources/beta.md", "review: draft", "review: [draft")
    findings = [f for f in check_root(library) if f.code == "front-matter-syntax"]
    assert [(f.path, f.line > 1, f.column > 0) for f in findings] == [
        ("refs/resources/beta.md", True, True)]


def test_missing_manifest_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(tmp_path), "check"]) == 2
    assert "manifest not found" in capsys.readouterr().err


def test_json_and_github_formats(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(manifest(library), "type: paper", "type: papr")
    assert main(["--root", str(library), "check", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data == [{"path": "refs/manifest.yaml", "line": 6, "column": 0,
                     "code": "manifest-bad-value",
                     "message": "resource 'alpha': 'type' is 'papr', not one of paper, blog, "
                                "docs, repo, rfc, issue, other (did you mean 'paper'?)"}]
    assert main(["--root", str(library), "check", "--format", "github"]) == 1
    out = capsys.readouterr().out.strip()
    assert out.startswith("::error file=refs/manifest.yaml,line=6,title=reflib manifest-bad-value::")


def test_text_format_is_path_line_message(library: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    edit(library / "refs/resources/alpha.md", "full.md#results-1", "full.md#results-9")
    assert main(["--root", str(library), "check"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert re.match(r"refs/resources/alpha\.md:13:\d+: evidence ", lines[0]), lines[0]
    assert lines[0].endswith("[evidence-anchor]")


def test_ignore_option(library: Path) -> None:
    (library / "sources/beta/raw/two.html").write_text("changed")
    assert main(["--root", str(library), "check", "--ignore", "fulltext-stale"]) == 0


def test_repo_folder_raw_entry(library: Path) -> None:
    """A raw entry that is a folder (repo checkout) covers its files and is hashed as a tree."""
    from libfactory import fulltext

    repo = library / "sources/gamma/raw/repo"
    (repo / "src").mkdir(parents=True)
    (repo / "src/a.py").write_text("print('a')\n")
    edit(manifest(library), "raw: [raw/issue.json]", "raw: [raw/issue.json, raw/repo]")
    edit(manifest(library), "status: fetched", "status: converted")
    fulltext(library, "gamma", "Gamma", "# Gamma\n", ["raw/issue.json", "raw/repo"])
    assert check_root(library) == []
    (repo / "src/a.py").write_text("print('b')\n")
    codes = [f.code for f in check_root(library)]
    assert codes == ["fulltext-stale"]


def test_links_in_code_are_ignored(library: Path) -> None:
    edit(library / "refs/implementation-context.md", "Our code",
         "```md\n[broken](nope.md)\n```\n\n`[also](nope.md)` Our code")
    assert check_root(library) == []


def test_setext_and_html_anchors_resolve(library: Path) -> None:
    edit(library / "sources/alpha/full.md", "First results.",
         'First results.\n\nSetext Title\n------------\n\n<a id="page-3"></a>\n')
    edit(library / "refs/implementation-context.md", "Our code",
         "[s](../sources/alpha/full.md#setext-title) [p](../sources/alpha/full.md#page-3) Our code")
    assert check_root(library) == []


def test_raw_files_ignored_by_git_are_reported(library: Path) -> None:
    """A fetched repo's own .gitignore can hide raw files from the library's git."""
    import subprocess

    repo = library / "sources/gamma/raw/repo"
    repo.mkdir(parents=True)
    (repo / ".gitignore").write_text("*.log\n")
    (repo / "debug.log").write_text("kept as fetched\n")
    edit(manifest(library), "raw: [raw/issue.json]", "raw: [raw/issue.json, raw/repo]")
    subprocess.run(["git", "init", "-q", str(library)], check=True)
    findings = [f for f in check_root(library) if f.code == "raw-git-ignored"]
    assert [(f.path, f.line) for f in findings] == [("refs/manifest.yaml", 30)]
    assert "sources/gamma/raw/repo/debug.log" in findings[0].message
    assert "git add -f" in findings[0].message
    subprocess.run(["git", "-C", str(library), "add", "-f", "sources/gamma/raw/repo/debug.log"],
                   check=True)
    assert [f for f in check_root(library) if f.code == "raw-git-ignored"] == []
