"""``reflib review``: checklist, approval by minimal edits, refusal on broken evidence."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import pytest

from reflib.checks.check import check_root
from reflib.cli.main import main
from reflib.core import approval
from reflib.core.errors import ReflibError
from reflib.core.frontmatter import set_keys as set_front_matter
from reflib.core.model import load

TODAY = _dt.date.today().isoformat()


def review(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--root", str(root), "review", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_checklist_lists_claims_and_evidence(library: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = review(library, capsys, "beta")
    assert code == 0
    assert "Review of beta: refs/resources/beta.md (review: draft; status: converted)" in out
    assert "1. Setup happens twice." in out
    assert "✓ [One setup] sources/beta/full.md#setup" in out
    assert "✓ [Two setup] sources/beta/full.md#setup-1" in out
    assert "Checklist:" in out
    assert "Ready: reflib review beta --approve" in out


def test_approve_edits_only_front_matter_and_status(library: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    card = library / "refs/resources/beta.md"
    manifest = library / "refs/manifest.yaml"
    card_before = card.read_text()
    manifest_before = manifest.read_text()
    code, out, _ = review(library, capsys, "beta", "--approve", "--by", "Jane Doe")
    assert code == 0, out
    assert "approved beta" in out
    lib = load(library)
    sections = approval.fingerprints(lib, lib.cards["beta"])
    assert list(sections) == ["beta#setup", "beta#setup-1"]  # every cited section
    block = "".join(f'  {key}: "{value}"\n' for key, value in sections.items())
    assert card.read_text() == card_before.replace(
        "review: draft\n", f"review: approved\nreviewed_by: Jane Doe\nreviewed: {TODAY}\n"
        f"approved_sections:\n{block}")
    expected = manifest_before.replace(
        "status: converted   # draft card awaiting review",
        "status: condensed   # draft card awaiting review")
    assert manifest.read_text() == expected  # comments and layout kept
    assert check_root(library) == []
    # approving again changes nothing
    code, out, _ = review(library, capsys, "beta", "--approve", "--by", "Other")
    assert code == 0 and "already approved" in out
    assert "reviewed_by: Jane Doe" in card.read_text()


def test_refused_on_broken_evidence(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    card = library / "refs/resources/beta.md"
    card.write_text(card.read_text().replace("#setup-1)", "#setup-9)"))
    card_before = card.read_text()
    manifest_before = (library / "refs/manifest.yaml").read_text()
    code, _, err = review(library, capsys, "beta", "--approve", "--by", "x")
    assert code == 1
    assert "cannot approve 'beta'" in err
    assert "#setup-9" in err
    assert card.read_text() == card_before
    assert (library / "refs/manifest.yaml").read_text() == manifest_before
    code, out, _ = review(library, capsys, "beta")
    assert code == 1
    assert "✗ [Two setup]" in out and "Blocking approval:" in out


@pytest.mark.parametrize(("old", "new", "fragment"), [
    ("   Evidence: [One setup](../../sources/beta/full.md#setup); "
     "[Two setup](../../sources/beta/full.md#setup-1)\n", "", "has no 'Evidence:' line"),
    ("1. Setup happens twice.\n   Evidence: [One setup](../../sources/beta/full.md#setup); "
     "[Two setup](../../sources/beta/full.md#setup-1)\n", "", "no numbered claims"),
    ("(../../sources/beta/full.md#setup)", "(https://example.org/beta#setup)",
     "external URL"),
])
def test_refused_without_valid_claims(library: Path, capsys: pytest.CaptureFixture[str],
                                      old: str, new: str, fragment: str) -> None:
    card = library / "refs/resources/beta.md"
    text = card.read_text()
    assert old in text
    card.write_text(text.replace(old, new))
    code, _, err = review(library, capsys, "beta", "--approve", "--by", "x")
    assert code == 1
    assert fragment in err


def test_refused_when_not_converted(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    card = library / "refs/resources/gamma.md"
    card.write_text("---\nid: gamma\nreview: draft\n---\n# Gamma\n\n## Claims\n\n"
                    "1. A claim.\n   Evidence: [x](../../sources/beta/full.md#setup)\n")
    code, _, err = review(library, capsys, "gamma", "--approve", "--by", "x")
    assert code == 1
    assert "'gamma' is fetched" in err
    assert "sources/gamma/full.md does not exist" in err


def test_unknown_id_and_missing_card(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = review(library, capsys, "btea")
    assert code == 1 and "'beta'" in err
    code, out, _ = review(library, capsys, "delta")
    assert code == 1 and "reflib new card delta" in out


def test_reviewer_from_environment(library: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFLIB_REVIEWER", "env-reviewer")
    code, _, _ = review(library, capsys, "beta", "--approve")
    assert code == 0
    assert "reviewed_by: env-reviewer\n" in (library / "refs/resources/beta.md").read_text()


def test_set_front_matter_minimal_edit() -> None:
    text = ("---\r\nid: x\r\nreview: draft   # set by the agent\r\ntags:\r\n  - a\r\n"
            "reviewed_by: old\r\n---\r\n# X\r\n")
    out = set_front_matter(text, {"review": "approved", "reviewed_by": "'New One'",
                                  "reviewed": "2026-01-02"}, after="id")
    assert out == ("---\r\nid: x\r\nreview: approved   # set by the agent\r\ntags:\r\n  - a\r\n"
                   "reviewed_by: 'New One'\r\nreviewed: 2026-01-02\r\n---\r\n# X\r\n")
    multi = "---\nid: x\nreviewed_by: >\n  folded\n  text\nreview: draft\n---\nbody\n"
    out = set_front_matter(multi, {"reviewed_by": "me"})
    assert out == "---\nid: x\nreviewed_by: me\nreview: draft\n---\nbody\n"
    with pytest.raises(ReflibError):
        set_front_matter("# no front matter\n", {"review": "approved"})
    with pytest.raises(ReflibError):
        set_front_matter("---\nid: x\n", {"review": "approved"})
