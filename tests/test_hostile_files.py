"""Nothing from outside the library is read, converted or published; broken and hostile files
give findings, not tracebacks. Each probe runs on a real library in ``tmp_path``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from reflib.checks.check import check_root
from reflib.cli.main import main
from sitebuild import build

SECRET = "TOP-SECRET-LINE-4242"


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "id_key").write_text(f"{SECRET}\n")
    (folder / "page.html").write_text(f"<html><body><article><h1>Leak</h1><p>{SECRET} in a "
                                      f"paragraph long enough to be kept as prose.</p>"
                                      f"</article></body></html>")
    return folder


def _codes(root: Path) -> list[tuple[str, str]]:
    return [(f.code, f.path) for f in check_root(root)]


def test_raw_entry_symlinked_outside_is_refused(library: Path, secret: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    raw = library / "sources/beta/raw"
    (raw / "two.html").unlink()
    os.symlink(secret / "page.html", raw / "two.html")
    assert ("raw-outside-library", "refs/manifest.yaml") in _codes(library)
    code = main(["--root", str(library), "convert", "beta", "--force", "--jobs", "1"])
    out = capsys.readouterr()
    assert code == 1
    assert "is a symbolic link to a place outside the library" in out.out + out.err
    assert SECRET not in (library / "sources/beta/full.md").read_text()


def test_raw_folder_symlinked_outside_is_refused(library: Path, secret: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    manifest = library / "refs/manifest.yaml"
    manifest.write_text(manifest.read_text() + "\n  - id: leak\n    title: Leak\n    type: repo\n"
                        "    status: fetched\n    raw: [raw/repo]\n")
    (library / "sources/leak/raw").mkdir(parents=True)
    os.symlink(secret, library / "sources/leak/raw/repo")
    assert main(["--root", str(library), "convert", "leak", "--jobs", "1"]) == 1
    assert not (library / "sources/leak/full.md").exists()
    assert ("raw-outside-library", "refs/manifest.yaml") in _codes(library)


def test_symlinked_card_and_full_text_are_not_published(library: Path, secret: Path) -> None:
    card = library / "refs/resources/beta.md"
    card.unlink()
    os.symlink(secret / "id_key", card)
    os.symlink(secret / "id_key", library / "refs/notes.md")
    full = library / "sources/alpha/full.md"
    full.rename(library / "alpha-full.md")
    os.symlink(secret / "id_key", full)
    codes = _codes(library)
    assert ("outside-library", "refs/resources/beta.md") in codes
    assert ("outside-library", "refs/notes.md") in codes
    assert ("outside-library", "sources/alpha/full.md") in codes
    result = build(library, strict=False)
    assert result.returncode == 0, result.log
    assert "is a symbolic link to a place outside the library; it is not published" in result.log
    for path in result.site.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    assert build(library, strict=True).returncode != 0


def test_repo_symlink_targets_outside_are_not_shown(library: Path, secret: Path) -> None:
    manifest = library / "refs/manifest.yaml"
    manifest.write_text(manifest.read_text() + "\n  - id: code\n    title: Code\n    type: repo\n"
                        "    status: fetched\n    raw: [raw/repo]\n")
    repo = library / "sources/code/raw/repo"
    repo.mkdir(parents=True)
    (repo / "README.md").write_text("# Code\n")
    os.symlink(secret / "id_key", repo / "key")
    os.symlink("README.md", repo / "readme-link")
    assert main(["--root", str(library), "convert", "code", "--jobs", "1"]) == 0
    text = (library / "sources/code/full.md").read_text()
    assert str(secret) not in text and SECRET not in text
    assert "key  (skipped: symlink to a place outside the repository)" in text
    assert "readme-link  (skipped: symlink -> README.md)" in text


def _tiny_library(root: Path, n: int) -> list[str]:
    (root / "refs").mkdir(parents=True)
    ids = [f"page-{i:02d}" for i in range(n)]
    entries = []
    for rid in ids:
        raw = root / f"sources/{rid}/raw/page.html"
        raw.parent.mkdir(parents=True)
        raw.write_text(f"<html><body><article><h1>{rid}</h1><p>The text of {rid}, long "
                       f"enough to be kept as a paragraph of prose.</p></article></body></html>")
        entries.append(f"  - id: {rid}   # keep\n    title: {rid}\n    type: blog\n"
                       f"    status: fetched\n    raw: [raw/page.html]\n")
    (root / "refs/manifest.yaml").write_text("# comments stay\nresources:\n" + "".join(entries))
    return ids


def _statuses(root: Path) -> dict[str, str]:
    from reflib.core.manifest import load

    return {e.data["id"]: e.data["status"] for e in load(root / "refs/manifest.yaml").entries}


def test_concurrent_conversions_both_land(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = tmp_path / "lib"
    ids = _tiny_library(root, 24)
    cmd = [sys.executable, "-m", "reflib.cli.main", "--root", str(root), "convert", "--jobs", "1"]
    first = subprocess.Popen([*cmd, *ids[:12]], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    second = subprocess.Popen([*cmd, *ids[12:]], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert first.wait(timeout=300) == 0, first.stderr.read() if first.stderr else ""
    assert second.wait(timeout=300) == 0
    assert set(_statuses(root).values()) == {"converted"}
    assert (root / "refs/manifest.yaml").read_text().count("# keep") == 24


def test_an_edit_waits_for_the_lock_and_loses_nothing(tmp_path: Path) -> None:
    """While another run holds the manifest lock, ``reflib convert`` waits; afterwards both
    runs' edits are in the manifest."""
    import subprocess
    import sys
    import time

    from reflib.core import manifest

    root = tmp_path / "lib"
    ids = _tiny_library(root, 2)
    path = root / "refs/manifest.yaml"
    cmd = [sys.executable, "-m", "reflib.cli.main", "--root", str(root), "convert", ids[0],
           "--jobs", "1"]
    with manifest.locked(path):
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while not (root / f"sources/{ids[0]}/full.md").exists():  # converted, now waiting
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        time.sleep(0.5)
        assert proc.poll() is None, "the run must wait for the lock"
        # this run's own edit, made under the lock
        text = path.read_text()
        path.write_text(manifest.edit_text(text, path, ids[1], {"notes": "edited meanwhile"}))
    assert proc.wait(timeout=60) == 0
    statuses = _statuses(root)
    assert statuses[ids[0]] == "converted"
    assert "notes: \"edited meanwhile\"" in path.read_text()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_conversion_past_its_time_limit_fails_alone(tmp_path: Path, jobs: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "lib"
    ids = _tiny_library(root, 2)
    big = root / f"sources/{ids[0]}/raw/page.html"
    paragraphs = "".join(f"<div><p>Paragraph {i} of a very long page, with words.</p></div>"
                         for i in range(60000))
    big.write_text(f"<html><body><article>{paragraphs}</article></body></html>")
    code = main(["--root", str(root), "convert", "--jobs", jobs, "--timeout", "0.3"])
    out = capsys.readouterr()
    assert code == 1
    assert f"{ids[0]}: failed: the conversion took longer than 0.3 s and was stopped" in \
        out.out + out.err
    assert not (root / f"sources/{ids[0]}/full.md").exists()
    assert _statuses(root) == {ids[0]: "fetched", ids[1]: "converted"}


@pytest.mark.parametrize("fraction", [0.3, 0.8])
def test_a_truncated_pdf_fails_and_stays_fetched(tmp_path: Path, fraction: float,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    pdf = Path(__file__).resolve().parents[1] / "sources/atomic-replace-paper/raw/atomic-replace.pdf"
    root = tmp_path / "lib"
    (root / "refs").mkdir(parents=True)
    raw = root / "sources/paper/raw/paper.pdf"
    raw.parent.mkdir(parents=True)
    data = pdf.read_bytes()
    raw.write_bytes(data[: int(len(data) * fraction)])
    (root / "refs/manifest.yaml").write_text(
        "resources:\n  - id: paper\n    title: Paper\n    type: paper\n    status: fetched\n"
        "    raw: [raw/paper.pdf]\n")
    assert main(["--root", str(root), "convert", "paper", "--jobs", "1"]) == 1
    out = capsys.readouterr()
    assert "the PDF is truncated or damaged" in out.out + out.err
    assert not (root / "sources/paper/full.md").exists()
    assert _statuses(root) == {"paper": "fetched"}


def test_approval_is_refused_while_the_full_text_is_broken(
        library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    full = library / "sources/beta/full.md"
    full.write_text(full.read_text().replace("tier: 2", "tier: [2", 1))
    assert main(["--root", str(library), "review", "beta", "--approve", "--by", "x"]) == 1
    err = capsys.readouterr().err
    assert "sources/beta/full.md:" in err and "front matter is not valid YAML" in err
    assert "review: draft" in (library / "refs/resources/beta.md").read_text()


def test_a_status_typo_and_a_non_utf8_card_build_with_findings(library: Path) -> None:
    manifest = library / "refs/manifest.yaml"
    manifest.write_text(manifest.read_text().replace("status: converted", "status: convertd", 1))
    (library / "refs/resources/alpha.md").write_bytes(b"\xff\xfe not UTF-8\n# Alpha\n")
    result = build(library, strict=False)
    assert result.returncode == 0, result.log
    assert "Traceback" not in result.log
    assert "'status' is 'convertd'" in result.log and "(did you mean 'converted'?)" in result.log
    assert "refs/resources/alpha.md: not valid UTF-8" in result.log
    assert (result.site / "resources/alpha/index.html").is_file()  # the generated page
    assert build(library, strict=True).returncode != 0


def test_a_flow_style_entry_is_converted_and_edited_in_place(
        library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = library / "refs/manifest.yaml"
    text = manifest.read_text().replace(
        "  - id: gamma\n    title: Gamma issue\n    type: issue\n"
        "    url: https://example.org/gamma\n    priority: low\n    status: fetched\n"
        "    raw: [raw/issue.json]\n",
        "  - {id: gamma, title: Gamma issue, type: issue, url: 'https://example.org/gamma',"
        " priority: low, status: fetched, raw: [raw/issue.json]}   # flow style\n")
    assert "{id: gamma" in text
    manifest.write_text(text)
    assert main(["--root", str(library), "convert", "gamma", "--jobs", "1"]) == 0
    after = manifest.read_text()
    assert "status: converted, raw: [raw/issue.json]}   # flow style\n" in after
    assert main(["--root", str(library), "convert", "--all", "--jobs", "1"]) == 0


def test_force_keeps_a_copy_of_the_hand_edited_text(library: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    full = library / "sources/beta/full.md"
    assert main(["--root", str(library), "convert", "beta", "--force", "--jobs", "1"]) == 0
    replaced = library / ".cache/reflib/replaced/beta"
    before = set(replaced.iterdir()) if replaced.is_dir() else set()
    edited = full.read_text() + "\nA paragraph added by hand.\n"
    full.write_text(edited)
    capsys.readouterr()
    assert main(["--root", str(library), "convert", "beta", "--force", "--jobs", "1"]) == 0
    out = capsys.readouterr()
    backups = sorted(set(replaced.iterdir()) - before)
    assert len(backups) == 1 and backups[0].read_text() == edited
    assert str(backups[0].relative_to(library)) in out.out + out.err
    assert "A paragraph added by hand." not in full.read_text()


BOMB = ('a: &a ["x","x","x","x","x","x","x","x","x"]\n'
        + "".join(f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n"
                  for p, n in zip("abcdefgh", "bcdefghi", strict=True)))


def test_an_alias_bomb_is_refused_everywhere(library: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    manifest = library / "refs/manifest.yaml"
    manifest.write_text(manifest.read_text() + "extra:\n" + "".join(
        f"  {line}\n" for line in BOMB.splitlines()))
    assert main(["--root", str(library), "check", "--format", "json"]) == 1
    findings = __import__("json").loads(capsys.readouterr().out)
    assert [f["code"] for f in findings if f["path"] == "refs/manifest.yaml"] == \
        ["manifest-syntax"]
    assert "anchors and aliases" in findings[0]["message"]
    for command in (["status"], ["convert", "--all"], ["show", "alpha"]):
        assert main(["--root", str(library), *command]) == 2
        assert "anchors and aliases (&name / *name) are not supported" in capsys.readouterr().err
    result = build(library, strict=False)
    assert result.returncode != 0 and "refs/manifest.yaml:" in result.log
    assert "anchors and aliases" in result.log and "Traceback" not in result.log


def test_an_alias_bomb_in_front_matter_is_a_finding(library: Path) -> None:
    card = library / "refs/resources/beta.md"
    card.write_text(card.read_text().replace("review: draft\n", "review: draft\n" + BOMB, 1))
    found = [f for f in check_root(library) if f.path == "refs/resources/beta.md"]
    assert [f.code for f in found] == ["front-matter-syntax"]
    assert "anchors and aliases" in found[0].message


def test_manifest_edits_keep_crlf_bom_and_comments_after_quoted_values(library: Path) -> None:
    manifest = library / "refs/manifest.yaml"
    text = manifest.read_text().replace(
        'title: "Alpha: a paper"', 'title: "Alpha: a paper"   # quoted, with a comment')
    manifest.write_bytes(("\ufeff" + text.replace("\n", "\r\n")).encode("utf-8"))
    before = manifest.read_bytes()
    assert main(["--root", str(library), "convert", "gamma", "--jobs", "1"]) == 0
    after = manifest.read_bytes()
    assert after.startswith("\ufeff".encode()) and b"\r\n" in after and b"\n" not in \
        after.replace(b"\r\n", b"")
    changed = [pair for pair in zip(before.split(b"\r\n"), after.split(b"\r\n"), strict=True)
               if pair[0] != pair[1]]
    assert changed == [(b"    status: fetched", b"    status: converted")]
    assert b'"Alpha: a paper"   # quoted, with a comment' in after


def test_deeply_nested_html_converts_in_bounded_time(tmp_path: Path) -> None:
    import time

    root = tmp_path / "lib"
    ids = _tiny_library(root, 1)
    page = root / f"sources/{ids[0]}/raw/page.html"
    page.write_text("<html><body>" + "<div>" * 5000 + "<p>Deep text at the bottom of the "
                    "page, long enough to be prose.</p>" + "</div>" * 5000 + "</body></html>")
    start = time.monotonic()
    assert main(["--root", str(root), "convert", ids[0], "--jobs", "1"]) == 0
    assert time.monotonic() - start < 30
    assert "Deep text at the bottom" in (root / f"sources/{ids[0]}/full.md").read_text()


def _kill_once_workers_run(proc: Any, settle: float) -> dict[int, bytes]:
    """SIGKILL ``proc`` once it has two child processes (and ``settle`` seconds more); the
    children still running ten seconds later, with their command lines."""
    import signal
    import subprocess
    import time

    def workers() -> list[int]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(proc.pid)],
                             capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    deadline = time.monotonic() + 60
    while len(workers()) < 2:
        assert proc.poll() is None, "the parent ended before its workers started"
        assert time.monotonic() < deadline, "workers did not start"
        time.sleep(0.05)
    children = workers()
    time.sleep(settle)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    alive = children
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [p for p in children if Path(f"/proc/{p}").exists() and
                 "Z" not in Path(f"/proc/{p}/stat").read_text().split()[2]]
    return {p: Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ")[:200]
            for p in alive if Path(f"/proc/{p}").exists()}


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="Linux parent-death signal")
def test_workers_end_when_the_parent_is_killed(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = tmp_path / "lib"
    ids = _tiny_library(root, 4)
    paragraphs = "".join(f"<div><p>Paragraph {i} of a long page, with words.</p></div>"
                         for i in range(80000))
    for rid in ids:
        (root / f"sources/{rid}/raw/page.html").write_text(
            f"<html><body><article>{paragraphs}</article></body></html>")
    proc = subprocess.Popen([sys.executable, "-m", "reflib.cli.main", "--root", str(root),
                             "convert", "--jobs", "2", "--timeout", "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    alive = _kill_once_workers_run(proc, settle=1.0)  # the workers are converting then
    assert alive == {}, f"workers kept running after their parent was killed: {alive}"


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="Linux parent-death signal")
def test_render_workers_end_when_the_build_is_killed(tmp_path: Path) -> None:
    """A killed ``mkdocs build`` (or ``serve``) leaves no rendering worker behind."""
    import subprocess
    import sys

    from libfactory import make_library
    from sitebuild import SMALLEST_CONFIG

    root = make_library(tmp_path / "lib")
    (root / "mkdocs.yml").write_text(SMALLEST_CONFIG.replace(
        "  - reflib", "  - reflib:\n      workers: 2\n      search: none"))
    full = root / "sources/alpha/full.md"
    full.write_text(full.read_text() + "".join(
        f"\n## Part {i}\n\n" + "A long paragraph of words to render. " * 400 + "\n"
        for i in range(400)))
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "mkdocs", "build", "-q"], cwd=root, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    alive = _kill_once_workers_run(proc, settle=0.0)
    assert alive == {}, f"render workers kept running after the build was killed: {alive}"
