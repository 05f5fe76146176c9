"""Trust: hand conversions register, quotes are verified, approvals lapse when cited text
changes, syntax errors are findings, and strict builds are strict at every log level.

Every test works on a real library in ``tmp_path`` (``libfactory``), through the command line
or a real ``mkdocs``/``properdocs`` build.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from reflib.checks.check import check_root
from reflib.cli.main import main
from reflib.core.frontmatter import split
from sitebuild import build

REPO = Path(__file__).resolve().parents[1]
PAPER_PDF = REPO / "sources/atomic-replace-paper/raw/atomic-replace.pdf"
PAPER_FULL = REPO / "sources/atomic-replace-paper/full.md"


def run(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--root", str(root), *args])
    out, err = capsys.readouterr()
    return code, out, err


def codes(root: Path) -> list[tuple[str, str, int]]:
    return [(f.code, f.path, f.line) for f in check_root(root)]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def add_paper(root: Path, status: str = "fetched") -> None:
    """A paper resource with a real PDF (the example library's, made by this project)."""
    raw = root / "sources/paper/raw"
    raw.mkdir(parents=True)
    shutil.copy(PAPER_PDF, raw / "paper.pdf")
    manifest = root / "refs/manifest.yaml"
    manifest.write_text(manifest.read_text() + (
        "\n  # read page by page by an agent: keep this comment\n"
        "  - id: paper\n"
        '    title: "Crash-Consistent Atomic Replace"\n'
        "    type: paper\n"
        "    url: https://example.org/paper.pdf\n"
        f"    status: {status}   # status comment\n"
        "    raw: [raw/paper.pdf]\n"))


def transcription() -> str:
    """A faithful page-by-page transcription: the PDF converter's body of the same PDF."""
    return split(PAPER_FULL.read_text(encoding="utf-8")).body


# --- hand conversions ---------------------------------------------------------------------


def test_hand_conversion_without_hashes_passes_check(library: Path) -> None:
    """A full.md with only id, title, source_url, tier and notes (converter: manual or none)
    is a valid Tier 2 file, and an approved card citing it passes too."""
    for converter in ("converter: manual\n", ""):
        (library / "sources/alpha/full.md").write_text(
            "---\nid: alpha\ntitle: Alpha\nsource_url: https://example.org/alpha\ntier: 2\n"
            f"{converter}conversion_notes: |\n  p.2: equation kept as text\n---\n"
            "# Alpha: a paper\n\n## 1 Introduction\n\nAlpha introduces the idea.\n\n"
            "## 2.2 Performance Optimization\n\nMicro-batches shrink the bubble.\n\n"
            "## Results\n\nFirst results.\n\n## Results\n\nSecond results.\n")
        assert check_root(library) == [], converter


def test_converter_output_still_needs_its_provenance(library: Path) -> None:
    edit(library / "sources/alpha/full.md", "converted: 2026-11-01\n", "")
    found = [f for f in check_root(library) if f.code == "fulltext-missing-key"]
    assert len(found) == 1 and "'converted' is missing" in found[0].message


def test_new_fulltext_then_manual_registration(library: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    add_paper(library)
    code, out, err = run(library, capsys, "new", "fulltext", "paper", "--by", "agent-7")
    assert code == 0, err
    full = library / "sources/paper/full.md"
    scaffold = full.read_text()
    # a page marker and a placeholder for each of the PDF's three pages
    assert re.findall(r'<a id="(page-\d+)"></a>', scaffold) == ["page-1", "page-2", "page-3"]
    assert scaffold.count("reflib:todo raw/paper.pdf page") == 3
    meta = split(scaffold).meta
    assert meta == {"id": "paper", "title": "Crash-Consistent Atomic Replace",
                    "source_url": "https://example.org/paper.pdf", "tier": 2,
                    "converter": "manual", "converted_by": "agent-7"}
    found = codes(library)
    assert ("fulltext-unfinished", "sources/paper/full.md", 11) in found
    behind = [f for f in check_root(library) if f.code == "status-behind-disk"]
    assert "reflib convert paper --manual" in behind[0].message
    # an unfinished transcription is not registered
    code, _, err = run(library, capsys, "convert", "paper", "--manual")
    assert code == 1 and "placeholder" in err and "line(s) 11, 15, 19" in err
    # the agent transcribes every page (here: the converter's faithful text) ...
    body = transcription()
    front_matter_end = scaffold.index("\n---\n", 3) + len("\n---\n")
    full.write_text(scaffold[:front_matter_end] + body)
    before = full.read_bytes()
    manifest_before = (library / "refs/manifest.yaml").read_text()
    code, out, err = run(library, capsys, "convert", "paper", "--manual", "--by", "agent-7")
    assert code == 0, err
    assert "registered sources/paper/full.md" in out
    assert "100% of its words" in out or "99% of its words" in out
    after = full.read_bytes()
    # the body is byte-identical; only front-matter lines were added
    assert split(after.decode()).body.encode() == split(before.decode()).body.encode()
    meta = split(after.decode()).meta
    assert meta["converter"] == "manual" and meta["converted_by"] == "agent-7"
    assert str(meta["converted"]) and set(meta["raw_sha256"]) == {"raw/paper.pdf"}
    assert meta["coverage"] >= 0.99
    manifest = (library / "refs/manifest.yaml").read_text()
    assert manifest == manifest_before.replace("status: fetched   # status comment",
                                               "status: converted   # status comment")
    assert "# read page by page by an agent: keep this comment" in manifest
    assert check_root(library) == []
    # a later change of the raw file is reported like any conversion's
    with open(library / "sources/paper/raw/paper.pdf", "ab") as f:
        f.write(b"\n%changed\n")
    stale = [f for f in check_root(library) if f.code == "fulltext-stale"]
    assert len(stale) == 1 and "reflib convert paper --manual" in stale[0].message
    # and the converter never overwrites the hand conversion
    code, out, _ = run(library, capsys, "convert", "paper")
    assert code == 1 and "a hand conversion" in out
    assert split(full.read_text()).body == body


def test_manual_registration_of_a_file_without_front_matter(
        library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    add_paper(library)
    body = transcription()
    full = library / "sources/paper/full.md"
    full.write_text(body)
    code, _out, err = run(library, capsys, "convert", "paper", "--manual")
    assert code == 0, err
    text = full.read_text()
    assert text.endswith(body) and text.startswith("---\nid: paper\n")
    meta = split(text).meta
    assert meta["tier"] == 2 and meta["converter"] == "manual"
    assert meta["source_url"] == "https://example.org/paper.pdf"
    assert check_root(library) == []


def test_manual_registration_flags_a_skipped_page(library: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    add_paper(library)
    body = transcription()
    cut = body.index('<a id="page-2"></a>')
    end = body.index('<a id="page-3"></a>')
    (library / "sources/paper/full.md").write_text(body[:cut] + '<a id="page-2"></a>\n\n' +
                                                   body[end:])
    code, _out, err = run(library, capsys, "convert", "paper", "--manual")
    assert code == 0
    assert re.search(r"warning: raw/paper\.pdf page 2: only \d+% of its \d+ words", err), err
    meta = split((library / "sources/paper/full.md").read_text()).meta
    assert meta["coverage"] < 0.8


# --- quotes -----------------------------------------------------------------------------------


def quote_card(library: Path, evidence: str) -> None:
    edit(library / "refs/resources/beta.md",
         "Evidence: [One setup](../../sources/beta/full.md#setup); "
         "[Two setup](../../sources/beta/full.md#setup-1)", evidence)


def beta_body(library: Path) -> None:
    full = library / "sources/beta/full.md"
    text = full.read_text()
    head, body = text.split("---\n", 2)[1], text.split("---\n", 2)[2]
    body = body.replace("## Setup\n", "## Setup\n\nInstall the *package* with `pip`, then run\n"
                        "the tool once.\n", 1)
    full.write_text("---\n" + head + "---\n" + body)


def test_a_true_quote_passes(library: Path) -> None:
    beta_body(library)
    quote_card(library, 'Evidence: [One setup](../../sources/beta/full.md#setup) '
               '"install the package with pip, then run the tool"')
    assert check_root(library) == []


def test_a_quote_spanning_lines_passes(library: Path) -> None:
    beta_body(library)
    quote_card(library, 'Evidence: [One setup](../../sources/beta/full.md#setup) "install\n'
               '   the package with pip"')
    assert check_root(library) == []


def test_a_false_quote_is_reported(library: Path) -> None:
    beta_body(library)
    quote_card(library, 'Evidence: [One setup](../../sources/beta/full.md#setup) '
               '"install the package with conda"')
    found = [f for f in check_root(library) if f.code == "evidence-quote"]
    assert [(f.path, f.line) for f in found] == [("refs/resources/beta.md", 10)]
    assert "its first 4 of 5 words are" in found[0].message


def test_a_quote_from_another_section_is_reported(library: Path) -> None:
    beta_body(library)
    quote_card(library, 'Evidence: [Two setup](../../sources/beta/full.md#setup-1) '
               '"run the tool once"')
    found = [f for f in check_root(library) if f.code == "evidence-quote"]
    assert len(found) == 1
    assert "is under 'Setup' (#setup)" in found[0].message


def test_an_unclosed_quote_is_reported(library: Path) -> None:
    quote_card(library, 'Evidence: [One setup](../../sources/beta/full.md#setup) "never closed')
    assert ("evidence-quote-unclosed", "refs/resources/beta.md", 10) in codes(library)


# --- approval fingerprints ----------------------------------------------------------------------


def approve(library: Path, capsys: pytest.CaptureFixture[str], rid: str) -> str:
    code, out, err = run(library, capsys, "review", rid, "--approve", "--by", "Rev")
    assert code == 0, out + err
    return out


def test_changed_cited_section_is_reported_until_reapproved(
        library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = approve(library, capsys, "beta")
    assert "2 cited sections recorded" in out
    assert check_root(library) == []
    full = library / "sources/beta/full.md"
    # re-wrapping lines and changing emphasis is not a change of what the section says
    edit(full, "# Two\n\n## Setup\n", "# Two\n\n## Setup\n\n\n")
    assert check_root(library) == []
    # text that no claim cites changes nothing
    full.write_text(full.read_text() + "\n## Appendix\n\nNew text nobody cites.\n")
    assert check_root(library) == []
    # the cited section changes: the claim is reported with card, claim and section
    edit(full, "# Two\n\n## Setup\n", "# Two\n\n## Setup\n\nA new sentence here.\n")
    found = [f for f in check_root(library) if f.code == "evidence-changed"]
    card_lines = (library / "refs/resources/beta.md").read_text().split("\n")
    evidence_line = next(i for i, line in enumerate(card_lines, 1) if "Evidence:" in line)
    assert [(f.path, f.line) for f in found] == [("refs/resources/beta.md", evidence_line)]
    assert found[0].message.startswith("claim 1: the cited section 'Setup' (beta#setup-1) "
                                       "changed since the card was approved")
    assert "reflib review beta --approve" in found[0].message
    # status and the card's review checklist name it; approving again records it
    code, out, _ = run(library, capsys, "status")
    assert code == 0
    assert "Approved cards to review again (1)" in out and "beta#setup-1" in out
    out = approve(library, capsys, "beta")
    assert check_root(library) == []


def test_a_citation_added_after_approval_is_reported(
        library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    approve(library, capsys, "beta")
    card = library / "refs/resources/beta.md"
    card.write_text(card.read_text() + "2. One more.\n   Evidence: "
                    "[Two](../../sources/beta/full.md#two)\n")
    found = [f for f in check_root(library) if f.code == "evidence-unapproved"]
    assert len(found) == 1 and found[0].message.startswith("claim 2 cites 'Two' (beta#two)")


def test_cards_approved_before_fingerprints_are_not_errors(library: Path,
                                                           capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    # alpha is approved without approved_sections (as every card before this feature)
    edit(library / "sources/alpha/full.md", "Micro-batches shrink the bubble.",
         "Micro-batches shrink the bubble a lot.")
    assert not [f for f in check_root(library) if f.code.startswith("evidence")]
    # an approved, condensed card is approved again to record its sections
    out = approve(library, capsys, "alpha")
    assert "3 cited sections recorded" in out
    code, out, _ = run(library, capsys, "review", "alpha", "--approve", "--by", "Rev")
    assert code == 0 and "nothing to do" in out


def test_reconversion_names_the_approved_cards_it_touched(
        library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (library / "sources/beta/raw/one.html").write_text(
        "<html><body><h1>One</h1><h2>Setup</h2><p>First setup text.</p></body></html>\n")
    (library / "sources/beta/raw/two.html").write_text(
        "<html><body><h1>Two</h1><h2>Setup</h2><p>Changed setup text.</p></body></html>\n")
    (library / "sources/beta/full.md").unlink()
    code, _, err = run(library, capsys, "convert", "beta")
    assert code == 0, err
    approve(library, capsys, "beta")
    (library / "sources/beta/raw/two.html").write_text(
        "<html><body><h1>Two</h1><h2>Setup</h2><p>Different setup text.</p></body></html>\n")
    code, out, err = run(library, capsys, "convert", "beta")
    assert code == 0, err
    assert ("approved card refs/resources/beta.md cites sections this conversion changed "
            "(claim 1: 'Setup')") in out


# --- the site -----------------------------------------------------------------------------------


def test_site_shows_quotes_and_marks_changed_evidence(library: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    beta_body(library)
    quote_card(library, 'Evidence: [One setup](../../sources/beta/full.md#setup) '
               '"install the package with pip"; [Two setup](../../sources/beta/full.md#setup-1)')
    approve(library, capsys, "beta")
    edit(library / "sources/beta/full.md", "# Two\n\n## Setup\n", "# Two\n\n## Setup\n\nNew.\n")
    result = build(library, strict=False)
    assert result.returncode == 0, result.log
    card = result.article("resources/beta/index.html")
    link = card.select_one("a.reflib-evidence")
    assert link["href"].startswith("../../sources/beta/?quote=install%20the%20package")
    assert link["href"].endswith("#setup")
    assert link["data-reflib-quote"] == "install the package with pip"
    start, end = (int(x) for x in link["data-reflib-mark"].split(","))
    assert link["data-reflib-preview"][start:end].lower() == "install the package with pip"
    assert card.select_one("q.reflib-quote").get_text() == "install the package with pip"
    flag = card.select_one(".reflib-problem--evidence-changed")
    assert flag is not None and "changed since approval" in flag.get_text()
    assert "claim 1: the cited section 'Setup' (beta#setup-1)" in flag["title"]
    dash = result.article("dashboard/index.html")
    rereview = dash.select_one(".reflib-rereview")
    assert rereview is not None and "Beta docs" in rereview.get_text()
    assert rereview.select_one('a[href$="#claim-1"]') is not None


# --- strict builds --------------------------------------------------------------------------------


@pytest.mark.parametrize("tool", ["mkdocs", "properdocs"])
@pytest.mark.parametrize("flag", ["", "-q", "-v"])
def test_strict_fails_on_a_broken_anchor_at_every_log_level(library: Path, tool: str,
                                                            flag: str) -> None:
    edit(library / "refs/resources/alpha.md", "full.md#results-1", "full.md#results-9")
    result = build(library, strict=True, tool=tool, extra=[flag] if flag else [])
    assert result.returncode != 0, result.log
    assert "aborted with 1 reflib warning in strict mode" in result.log
    if flag == "-q":  # the warning the log level hid is in the error itself
        assert "refs/resources/alpha.md:13:" in result.log


@pytest.mark.parametrize("flag", ["-q", "-v"])
def test_strict_passes_a_valid_library_at_every_log_level(library: Path, flag: str) -> None:
    result = build(library, strict=True, extra=[flag])
    assert result.returncode == 0, result.log


def test_strict_fails_on_a_false_quote_as_check_does(library: Path) -> None:
    quote_card(library, 'Evidence: [One setup](../../sources/beta/full.md#setup) "not there"')
    assert [c for c, _, _ in codes(library)] == ["evidence-quote"]
    result = build(library, strict=True, extra=["-q"])
    assert result.returncode != 0 and "[evidence-quote]" in result.log
