"""``reflib convert`` end to end: real libraries in tmp_path, real converters, real manifest."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from reflib import __version__
from reflib.cli.main import main
from reflib.convert.base import ConversionError, RawInput
from reflib.convert.run import convert_resource, pick_kind
from reflib.core.frontmatter import split
from reflib.core.fsutil import sha256_file, sha256_text, sha256_tree
from reflib.core.manifest import load

MANIFEST = """\
# Library manifest: these comments must survive `reflib convert`.
resources:
  # --- code ---
  - id: demo-repo
    title: Demo repository
    type: repo
    url: https://github.com/o/demo
    status: fetched   # fetched last week
    raw: [raw/demo]
    repo_priority: [src/core.py]

  # --- discussions ---
  - id: demo-issue
    title: "Demo issue #7"
    type: issue
    url: https://github.com/o/demo/issues/7
    status: fetched
    raw: [raw/issue.json]

  - id: broken-issue
    title: Broken issue
    type: issue
    status: fetched
    raw: [raw/issue.json]   # truncated download

  - id: done-issue
    title: Already condensed
    type: issue
    status: condensed
    raw: [raw/issue.json]

  - id: later
    title: Not fetched yet
    type: blog
    url: https://example.org/later
    status: link_only
"""

ISSUE = {
    "source": "test",
    "issue": {"number": 7, "title": "Demo issue", "state": "open", "user": {"login": "alice"},
              "created_at": "2024-01-01T00:00:00Z", "body": "Line one\r\nLine two",
              "labels": [], "html_url": "https://github.com/o/demo/issues/7", "comments": 1},
    "comments": [{"user": {"login": "ci[bot]", "type": "Bot"}, "body": "Bot says hi\r\n",
                  "created_at": "2024-01-02T00:00:00Z"}],
}


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def make_library(root: Path) -> Path:
    write(root / "refs/manifest.yaml", MANIFEST)
    repo = root / "sources/demo-repo/raw/demo"
    write(repo / "README.md", "# Demo\n")
    write(repo / ".gitignore", "*.tmp\n")
    write(repo / "scratch.tmp", "ignored\n")
    write(repo / "src/core.py", "FENCE = '````'\n")
    write(repo / "img.bin", b"\x00\x01\x02")
    write(repo / "huge.txt", "x" * (600 * 1024))
    for rid in ("demo-issue", "done-issue"):
        write(root / f"sources/{rid}/raw/issue.json", json.dumps(ISSUE))
    write(root / "sources/broken-issue/raw/issue.json", '{"issue": {"title": "x"')
    return root


@pytest.fixture
def lib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("REFLIB_AGENT", raising=False)
    return make_library(tmp_path / "lib")


def reflib(root: Path, *args: str) -> int:
    return main(["convert", "--root", str(root), *args])


def fulltext(root: Path, rid: str) -> tuple[dict, str]:
    parsed = split((root / f"sources/{rid}/full.md").read_text(encoding="utf-8"))
    assert parsed.meta is not None
    return parsed.meta, parsed.body


def statuses(root: Path) -> dict[str, str]:
    return {str(e.data["id"]): str(e.data.get("status"))
            for e in load(root / "refs/manifest.yaml").entries}


def test_converts_fetched_resources_and_keeps_manifest_comments(
        lib: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert reflib(lib, "--jobs", "1") == 1  # broken-issue fails
    text = (lib / "refs/manifest.yaml").read_text(encoding="utf-8")
    for comment in ("# Library manifest: these comments must survive `reflib convert`.",
                    "# --- code ---", "status: converted   # fetched last week",
                    "raw: [raw/issue.json]   # truncated download"):
        assert comment in text
    assert text == MANIFEST.replace("status: fetched   #", "status: converted   #").replace(
        "    status: fetched\n    raw: [raw/issue.json]\n\n  - id: broken",
        "    status: converted\n    raw: [raw/issue.json]\n\n  - id: broken")
    assert statuses(lib) == {"demo-repo": "converted", "demo-issue": "converted",
                             "broken-issue": "fetched", "done-issue": "condensed",
                             "later": "link_only"}
    out = capsys.readouterr()
    assert "converted 2, up to date 0, skipped 0, failed 1" in out.out
    assert "broken-issue: failed: sources/broken-issue/raw/issue.json:1:" in out.out
    assert "[1/3] demo-repo: converted" in out.err


def test_front_matter_fields_in_order(lib: Path) -> None:
    assert reflib(lib, "demo-repo", "demo-issue", "--by", "agent-7") == 0
    meta, body = fulltext(lib, "demo-repo")
    assert list(meta) == ["id", "title", "source_url", "tier", "converter", "converted",
                          "raw_sha256", "body_sha256", "converted_by", "conversion_notes"]
    assert meta["id"] == "demo-repo"
    assert meta["title"] == "Demo repository"
    assert meta["source_url"] == "https://github.com/o/demo"
    assert meta["tier"] == 2
    assert meta["converter"] == f"reflib {__version__} repo"
    assert meta["converted"] == dt.date.today()
    assert meta["raw_sha256"] == {"raw/demo": sha256_tree(lib / "sources/demo-repo/raw/demo")}
    assert meta["body_sha256"] == sha256_text(body)
    assert meta["converted_by"] == "agent-7"
    assert "img.bin: skipped, binary" in meta["conversion_notes"]
    assert "huge.txt: skipped, 600 KiB > 512 KiB" in meta["conversion_notes"]
    assert body.index("## File: src/core.py") < body.index("## File: README.md")
    assert "scratch.tmp" not in body
    imeta, ibody = fulltext(lib, "demo-issue")
    assert imeta["converter"] == f"reflib {__version__} issue"
    assert imeta["raw_sha256"] == {
        "raw/issue.json": sha256_file(lib / "sources/demo-issue/raw/issue.json")}
    assert "conversion_notes" not in imeta
    assert "### ci[bot] (bot) commented on 2024-01-02" in ibody
    raw_text = (lib / "sources/demo-issue/full.md").read_bytes()
    assert b"\r" not in raw_text


def test_converted_by_from_environment_or_omitted(
        lib: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert reflib(lib, "demo-issue") == 0
    assert "converted_by" not in fulltext(lib, "demo-issue")[0]
    monkeypatch.setenv("REFLIB_AGENT", "env-agent")
    assert reflib(lib, "demo-issue", "--force") == 0
    assert fulltext(lib, "demo-issue")[0]["converted_by"] == "env-agent"


def test_hand_edits_are_protected_unless_forced(
        lib: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert reflib(lib, "demo-issue") == 0
    path = lib / "sources/demo-issue/full.md"
    edited = path.read_text(encoding="utf-8") + "\nA note added by hand.\n"
    path.write_text(edited, encoding="utf-8")
    capsys.readouterr()
    assert reflib(lib, "demo-issue") == 1
    assert path.read_text(encoding="utf-8") == edited
    out = capsys.readouterr().out
    assert "demo-issue: skipped: edited by hand since conversion; use --force" in out
    assert "skipped 1" in out
    assert reflib(lib, "demo-issue", "--force") == 0
    assert "A note added by hand." not in path.read_text(encoding="utf-8")


def test_full_text_without_body_hash_counts_as_hand_written(lib: Path) -> None:
    path = write(lib / "sources/demo-issue/full.md", "---\nid: demo-issue\n---\n# Mine\n")
    before = path.read_bytes()
    assert reflib(lib, "demo-issue") == 1
    assert path.read_bytes() == before
    assert statuses(lib)["demo-issue"] == "fetched"


def test_corrupt_input_leaves_its_files_and_entry_untouched(lib: Path) -> None:
    old = write(lib / "sources/broken-issue/full.md", "---\nid: broken-issue\n---\nold\n")
    before = old.read_bytes()
    assert reflib(lib, "broken-issue", "demo-issue", "--force") == 1
    assert old.read_bytes() == before
    assert statuses(lib)["broken-issue"] == "fetched"
    assert statuses(lib)["demo-issue"] == "converted"
    assert not list((lib / "sources/broken-issue").glob(".full.md.*"))


def test_parallel_jobs(lib: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for n in range(4):
        rid = f"extra-{n}"
        write(lib / f"sources/{rid}/raw/issue.json", json.dumps(ISSUE))
        with (lib / "refs/manifest.yaml").open("a", encoding="utf-8") as handle:
            handle.write(f"\n  - id: {rid}   # extra {n}\n    title: Extra {n}\n    type: issue\n"
                         "    status: fetched\n    raw: [raw/issue.json]\n")
    assert reflib(lib, "--jobs", "2") == 1
    out = capsys.readouterr().out
    assert "converted 6, up to date 0, skipped 0, failed 1" in out
    state = statuses(lib)
    assert all(state[f"extra-{n}"] == "converted" for n in range(4))
    text = (lib / "refs/manifest.yaml").read_text(encoding="utf-8")
    assert all(f"# extra {n}" in text for n in range(4))
    for n in range(4):
        meta, body = fulltext(lib, f"extra-{n}")
        assert meta["body_sha256"] == sha256_text(body)


def test_rerun_is_idempotent_and_keeps_the_date(lib: Path) -> None:
    entry = next(e.data for e in load(lib / "refs/manifest.yaml").entries
                 if e.data["id"] == "demo-repo")
    first = convert_resource(lib, entry, force=False, by=None, today=dt.date(2026, 1, 1))
    assert first.result == "converted"
    content = (lib / "sources/demo-repo/full.md").read_bytes()
    again = convert_resource(lib, entry, force=False, by=None, today=dt.date(2026, 2, 2))
    assert again.result == "unchanged"
    assert (lib / "sources/demo-repo/full.md").read_bytes() == content
    write(lib / "sources/demo-repo/raw/demo/NEW.md", "new file\n")
    changed = convert_resource(lib, entry, force=False, by=None, today=dt.date(2026, 3, 3))
    assert changed.result == "converted"
    meta, body = fulltext(lib, "demo-repo")
    assert meta["converted"] == dt.date(2026, 3, 3)
    assert "## File: NEW.md" in body


def test_condensed_is_never_downgraded(lib: Path) -> None:
    assert reflib(lib, "done-issue") == 0
    assert statuses(lib)["done-issue"] == "condensed"
    assert (lib / "sources/done-issue/full.md").is_file()


def test_unknown_id_suggests_a_close_one(lib: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert reflib(lib, "demo-isue") == 1
    assert "unknown resource id 'demo-isue'; did you mean 'demo-issue'?" in capsys.readouterr().err
    assert not (lib / "sources/demo-issue/full.md").exists()


def test_nothing_to_convert(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "refs/manifest.yaml", "resources:\n  - id: a\n    title: A\n    type: blog\n"
          "    status: link_only\n    url: https://example.org\n")
    assert reflib(tmp_path) == 0
    assert "nothing to convert" in capsys.readouterr().out


def test_named_resource_without_raw_fails(lib: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert reflib(lib, "later") == 1
    assert "later: failed: no 'raw' files listed; fetch it first: reflib fetch later" in \
        capsys.readouterr().out
    assert statuses(lib)["later"] == "link_only"


def test_missing_raw_file_fails(lib: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (lib / "sources/demo-issue/raw/issue.json").unlink()
    assert reflib(lib, "demo-issue") == 1
    assert "sources/demo-issue/raw/issue.json is listed in 'raw' but does not exist" in \
        capsys.readouterr().out


def test_bad_jobs_is_a_usage_error(lib: Path) -> None:
    with pytest.raises(SystemExit) as info:
        reflib(lib, "--jobs", "0")
    assert info.value.code == 2


def test_unreadable_manifest_is_exit_2(tmp_path: Path) -> None:
    write(tmp_path / "refs/manifest.yaml", "resources: [\n")
    assert reflib(tmp_path) == 2


def test_dispatch_by_raw_kind(tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    folder.mkdir()

    def raws(*names: str) -> list[RawInput]:
        out = []
        for name in names:
            path = folder if name == "repo" else write(tmp_path / name, "x")
            out.append(RawInput(f"raw/{name}", path))
        return out

    assert pick_kind(raws("a.html", "b.htm"), "docs") == "html"
    assert pick_kind(raws("p.pdf"), "paper") == "pdf"
    assert pick_kind(raws("repo", "r.tar.gz", "r.zip"), "repo") == "repo"
    assert pick_kind(raws("i.json"), "rfc") == "issue"
    with pytest.raises(ConversionError, match="need different converters"):
        pick_kind(raws("a.html", "p.pdf"), "docs")
    with pytest.raises(ConversionError, match="type issue or rfc"):
        pick_kind(raws("i.json"), "docs")
    with pytest.raises(ConversionError, match="no converter for this kind of file"):
        pick_kind(raws("notes.docx"), "other")


def test_mixed_raw_kinds_fail_cleanly(lib: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(lib / "sources/mixed/raw/a.html", "<p>x</p>")
    write(lib / "sources/mixed/raw/b.pdf", b"%PDF-1.4")
    with (lib / "refs/manifest.yaml").open("a", encoding="utf-8") as handle:
        handle.write("\n  - id: mixed\n    title: Mixed\n    type: docs\n    status: fetched\n"
                     "    raw: [raw/a.html, raw/b.pdf]\n")
    assert reflib(lib, "mixed") == 1
    assert "mixed: failed: raw files need different converters" in capsys.readouterr().out
    assert not (lib / "sources/mixed/full.md").exists()


def test_all_adds_fetched_resources_to_named_ones(
        lib: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert reflib(lib, "done-issue", "--all", "--jobs", "1") == 1
    out = capsys.readouterr()
    assert "converted 3, up to date 0, skipped 0, failed 1" in out.out
    assert out.err.splitlines()[0].startswith("[1/4] done-issue: converted")
    assert reflib(lib, "demo-issue") == 0
    assert "converted 0, up to date 1" in capsys.readouterr().out


def test_html_resource_goes_to_the_html_converter(lib: Path) -> None:
    pytest.importorskip("reflib.convert.html")
    write(lib / "sources/page/raw/page.html",
          "<html><body><main><h1>Title</h1><p>Every word stays.</p></main></body></html>")
    with (lib / "refs/manifest.yaml").open("a", encoding="utf-8") as handle:
        handle.write("\n  - id: page\n    title: Page\n    type: blog\n    status: fetched\n"
                     "    raw: [raw/page.html]\n")
    assert reflib(lib, "page") == 0
    meta, body = fulltext(lib, "page")
    assert meta["converter"] == f"reflib {__version__} html"
    assert "Every word stays." in body
    assert statuses(lib)["page"] == "converted"


def test_low_coverage_is_recorded_warned_listed_and_shown(
        lib: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A page whose body holds little of its prose: the coverage is recorded in the front
    matter, ``reflib convert`` warns, ``reflib status`` and the dashboard list it."""
    from reflib.convert.html import opinion

    story = "".join(f"<p>The main story paragraph {i} explains how the harbour bridge was "
                    f"repaired over two years, one cable at a time.</p>" for i in range(4))
    essay = "".join(f"<p>An unrelated essay paragraph {i} wanders through the history of the "
                    f"lighthouses on the northern coast.</p>" for i in range(6))
    write(lib / "sources/page/raw/page.html",
          f"<html><body><div class='entry-content'><h1>Bridge</h1>{story}</div>"
          f"<nav><a href='/a'>Alpha</a> <a href='/b'>Beta</a> <a href='/c'>Gamma</a></nav>"
          f"<div class='essay'>{essay}</div></body></html>")
    with (lib / "refs/manifest.yaml").open("a", encoding="utf-8") as handle:
        handle.write("\n  - id: page\n    title: Page\n    type: blog\n    status: fetched\n"
                     "    raw: [raw/page.html]\n")
    # a second opinion that agrees with the article container (as an extractor would here)
    story_text = " ".join(f"The main story paragraph {i} explains how the harbour bridge was "
                          f"repaired over two years, one cable at a time." for i in range(4))
    monkeypatch.setattr(opinion, "trafilatura_text", lambda html, url: story_text)
    capsys.readouterr()
    assert reflib(lib, "page", "--jobs", "1") == 0
    captured = capsys.readouterr()
    meta, body = fulltext(lib, "page")
    assert 0 < meta["coverage"] < 0.6
    assert meta["extraction"] == "article container article body class; trafilatura agrees"
    assert "The main story paragraph 3" in body and "lighthouses" not in body
    assert "coverage" in meta.get("conversion_notes", "")
    assert f"warning: page: the body holds {meta['coverage']:.0%} of the page's prose" \
        in captured.err
    assert "low coverage (1): page" in captured.out
    assert main(["status", "--root", str(lib)]) == 0
    status = capsys.readouterr().out
    assert "Low coverage (1)" in status and "sources/page/full.md" in status
    assert main(["status", "--root", str(lib), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [item["id"] for item in data["low_coverage"]] == ["page"]
    from bs4 import BeautifulSoup

    from reflib.core.model import load as load_library
    from reflib.site.sitegen import Pages

    dashboard = Pages(load_library(lib)).dashboard_page(None)
    section = dashboard[dashboard.index("## Low coverage"):]
    assert (f"| [page](sources/page/index.md) | {round(meta['coverage'] * 100)}% | article "
            f"container article body class; trafilatura agrees |") in section
    assert BeautifulSoup(dashboard, "html.parser").find("div", class_="reflib-low-coverage")
