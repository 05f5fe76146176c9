"""``reflib add``: a local PDF, a saved page, a folder and a URL become entries that pass
``reflib check``; bad input is refused with nothing written."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pymupdf
import pytest

from localserver import LocalServer, html_route, offline_http
from reflib.checks.check import check_root
from reflib.cli.main import main
from reflib.core import manifest
from reflib.core.model import load
from reflib.workflow.add import guess_type_of_url
from sitebuild import build

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
PAGE = CORPUS / "html_pages" / "mkdocs_material" / "pydantic_ai_cli.html"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "lib"
    assert main(["init", str(root), "--no-git"]) == 0
    assert main(["--root", str(root), "new", "topic", "01-durability"]) == 0
    manifest_path = root / "refs/manifest.yaml"
    manifest_path.write_text(manifest_path.read_text().replace(
        "resources: []\n", "resources:  # keep this comment\n"
        "  - id: existing   # and this one\n    title: Existing\n    type: blog\n"
        "    url: https://example.org/existing\n    status: link_only\n"))
    return root


def _pdf(path: Path, title: str | None, first_line: str) -> Path:
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), first_line, fontsize=16)
    page.insert_text((72, 110), "Directory fsync makes the rename durable.", fontsize=11)
    if title is not None:
        doc.set_metadata({"title": title})
    doc.save(path)
    return path


def _add(root: Path, *args: str) -> int:
    return main(["--root", str(root), "add", *args])


def _entry(root: Path, rid: str) -> dict[str, object]:
    doc = manifest.load(root / "refs/manifest.yaml")
    return next(e.data for e in doc.entries if e.data.get("id") == rid)


def test_local_pdf(root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pdf = _pdf(tmp_path / "Crash_Safe-Rename.pdf", "Crash-Safe Rename on Linux", "ignored")
    assert _add(root, str(pdf), "--priority", "high", "--topic", "01-durability",
                "--phase", "2") == 0
    out = capsys.readouterr().out
    assert "added crash-safe-rename (paper, fetched): Crash-Safe Rename on Linux" in out
    assert "guessed id, type, title" in out and "next: reflib convert crash-safe-rename" in out
    entry = _entry(root, "crash-safe-rename")
    assert entry == {"id": "crash-safe-rename", "title": "Crash-Safe Rename on Linux",
                     "type": "paper", "priority": "high", "phase": 2, "status": "fetched",
                     "topics": ["01-durability"], "raw": ["raw/Crash_Safe-Rename.pdf"]}
    saved = root / "sources/crash-safe-rename/raw/Crash_Safe-Rename.pdf"
    assert hashlib.sha256(saved.read_bytes()).digest() == \
        hashlib.sha256(pdf.read_bytes()).digest()
    text = (root / "refs/manifest.yaml").read_text()
    assert "resources:  # keep this comment" in text and "id: existing   # and this one" in text
    assert check_root(root) == []
    # and converted, it still passes, and builds strictly
    assert main(["--root", str(root), "convert", "crash-safe-rename", "--jobs", "1"]) == 0
    assert check_root(root) == []
    result = build(root, config=(root / "mkdocs.yml").read_text(), strict=True)
    assert result.returncode == 0, result.log


def test_pdf_title_from_first_line_when_metadata_is_a_file_name(root: Path,
                                                                tmp_path: Path) -> None:
    pdf = _pdf(tmp_path / "paper.pdf", "Microsoft Word - draft7.docx", "Atomic Replace Revisited")
    assert _add(root, str(pdf)) == 0
    assert _entry(root, "paper")["title"] == "Atomic Replace Revisited"


def test_saved_page_converted_right_away(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not PAGE.is_file():
        pytest.skip("no ../shared/corpus")
    assert _add(root, str(PAGE), "--id", "cli-docs", "--url",
                "https://ai.pydantic.dev/cli/", "--convert") == 0
    out = capsys.readouterr().out
    assert "guessed type, title" in out and "converted 1" in out
    entry = _entry(root, "cli-docs")
    assert entry["type"] == "docs" and entry["status"] == "converted"
    assert entry["url"] == "https://ai.pydantic.dev/cli/"
    assert "Command Line Interface" in str(entry["title"])
    full = load(root).fulltexts["cli-docs"]
    assert full.meta["source_url"] == "https://ai.pydantic.dev/cli/"
    assert check_root(root) == []


def test_folder_is_a_repo_without_its_git(root: Path, tmp_path: Path) -> None:
    repo = tmp_path / "tiny-kv"
    (repo / ".git").mkdir(parents=True)
    (repo / ".git/HEAD").write_text("ref: refs/heads/main\n")
    (repo / "README.md").write_text("# tiny-kv: a small key-value store\n\nText.\n")
    (repo / "kv.py").write_text("def put(k, v):\n    pass\n")
    assert _add(root, str(repo)) == 0
    entry = _entry(root, "tiny-kv")
    assert entry["type"] == "repo" and entry["title"] == "tiny-kv: a small key-value store"
    saved = root / "sources/tiny-kv/raw/tiny-kv"
    assert (saved / "kv.py").is_file() and not (saved / ".git").exists()
    assert check_root(root) == []


def test_file_already_in_place_is_registered(root: Path, tmp_path: Path) -> None:
    raw = root / "sources/placed/raw"
    raw.mkdir(parents=True)
    pdf = _pdf(raw / "placed.pdf", "Placed Paper", "x")
    before = pdf.read_bytes()
    assert _add(root, str(pdf)) == 0
    assert _entry(root, "placed")["raw"] == ["raw/placed.pdf"]
    assert pdf.read_bytes() == before and sorted(p.name for p in raw.iterdir()) == ["placed.pdf"]
    assert check_root(root) == []


def test_url_fetched_from_a_local_server(root: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    offline_http(monkeypatch)
    page = ("<html><head><title>Durability modes - Tidewater</title></head><body><main>"
            "<h1>Durability modes</h1><p>" + "Every put is fsynced before it returns. " * 20 +
            "</p></main></body></html>")
    with LocalServer({"/docs/durability.html": html_route(page)}) as server:
        url = server.url("/docs/durability.html")
        assert _add(root, url, "--timeout", "2", "--topic", "01-durability") == 0
        # --no-fetch: only the entry
        assert _add(root, server.url("/docs/other/"), "--no-fetch", "--id", "other",
                    "--title", "Other page") == 0
        assert server.hits["/docs/other/"] == 0
    out = capsys.readouterr().out
    assert "added docs-durability (docs, fetched): Durability modes - Tidewater" in out
    entry = _entry(root, "docs-durability")
    assert entry["url"] == url and entry["raw"] == ["raw/docs-durability.html"]
    assert (root / "sources/docs-durability/raw/docs-durability.html").read_text() == page
    assert _entry(root, "other") == {"id": "other", "title": "Other page", "type": "docs",
                                     "url": server.url("/docs/other/"), "priority": "medium",
                                     "status": "link_only"}
    assert check_root(root) == []
    assert main(["--root", str(root), "convert", "docs-durability", "--jobs", "1"]) == 0
    assert check_root(root) == []


def test_private_url_refused_without_allow_private(root: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    before = (root / "refs/manifest.yaml").read_bytes()
    # refused by the address guard before any connection (no server listens here)
    assert _add(root, "http://127.0.0.1:9/page.html", "--timeout", "1") == 1
    assert "private" in capsys.readouterr().err
    assert (root / "refs/manifest.yaml").read_bytes() == before
    assert not (root / "sources/page").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--id", "existing"], "refs/manifest.yaml:{existing}: the id 'existing' is taken"),
    (["--topic", "01-durabilty"], "no topic '01-durabilty' (refs/topics/01-durabilty.md) "
     "(did you mean '01-durability'?)"),
    (["--id", "Bad Id"], "invalid id 'Bad Id'"),
])
def test_refused_with_nothing_written(root: Path, tmp_path: Path, args: list[str], message: str,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    pdf = _pdf(tmp_path / "a.pdf", "A paper", "x")
    before = (root / "refs/manifest.yaml").read_bytes()
    assert _add(root, str(pdf), *args) == 1
    existing = 1 + next(n for n, line in enumerate(before.decode().splitlines())
                        if "id: existing" in line)
    assert message.format(existing=existing) in capsys.readouterr().err
    assert (root / "refs/manifest.yaml").read_bytes() == before
    assert [p.name for p in (root / "sources").iterdir()] == [".gitkeep"]


def test_missing_file_and_existing_folder(root: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert _add(root, str(tmp_path / "nope.pdf")) == 1
    assert "no such file or folder" in capsys.readouterr().err
    pdf = _pdf(tmp_path / "taken.pdf", "T", "x")
    (root / "sources/taken").mkdir(parents=True)
    assert _add(root, str(pdf)) == 1
    assert "sources/taken/ exists already" in capsys.readouterr().err


def test_failed_fetch_leaves_nothing(root: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    offline_http(monkeypatch)
    before = (root / "refs/manifest.yaml").read_bytes()
    with LocalServer({}) as server:
        assert _add(root, server.url("/missing.html"), "--id", "missing",
                    "--timeout", "1") == 1
    assert "cannot add" in capsys.readouterr().err
    assert (root / "refs/manifest.yaml").read_bytes() == before
    assert not (root / "sources/missing").exists()


def test_a_taken_guessed_id_gets_a_number(root: Path, tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    one = _pdf(tmp_path / "one/notes.pdf", "First notes", "x")
    two = _pdf(tmp_path / "two/notes.pdf", "Second notes", "x")
    assert _add(root, str(one)) == 0
    assert _add(root, str(two)) == 0
    assert _entry(root, "notes")["title"] == "First notes"
    assert _entry(root, "notes-2")["title"] == "Second notes"
    assert check_root(root) == []


@pytest.mark.parametrize(("url", "kind"), [
    ("https://arxiv.org/abs/1811.06965", "paper"),
    ("https://example.org/papers/atomic.pdf", "paper"),
    ("https://github.com/psf/requests", "repo"),
    ("https://github.com/psf/requests/tree/main/docs", "repo"),
    ("https://github.com/psf/requests/issues/42", "issue"),
    ("https://github.com/psf/requests/pull/7", "issue"),
    ("https://www.rfc-editor.org/rfc/rfc9110", "rfc"),
    ("https://datatracker.ietf.org/doc/html/rfc6455", "rfc"),
    ("https://example.org/blog/fsync-errors/", "blog"),
    ("https://danluu.com/2024/01/fsync/", "blog"),
    ("https://someone.substack.com/p/durability", "blog"),
    ("https://docs.python.org/3/library/os.html", "docs"),
])
def test_type_guessed_from_url(url: str, kind: str) -> None:
    assert guess_type_of_url(url) == kind


# --- appending to the manifest text ---------------------------------------------------------

ENTRY = {"id": "new-one", "title": "A: title", "type": "paper", "priority": "high",
         "status": "fetched", "raw": ["raw/a.pdf"]}


@pytest.mark.parametrize("text", [
    "resources: []\n",
    "# head\nresources:\n",
    "resources:\n  - id: a  # keep\n    title: A\n    type: paper\n    url: https://x\n"
    "    status: link_only\n\n  - id: b\n    title: B\n    type: docs\n    url: https://y\n"
    "    status: link_only\n# trailing comment\n",
    "resources:\n- id: a\n  title: A\n  type: paper\n  url: https://x\n  status: link_only\n"
    "other: 1\n",
    "\ufeffresources:\r\n  - {id: a, title: A, type: docs, status: link_only, url: 'https://x'}"
    "\r\n",
])
def test_append_keeps_everything_else(text: str) -> None:
    new = manifest.append_text(text, "refs/manifest.yaml", ENTRY)
    doc = manifest.parse(new, "refs/manifest.yaml")
    assert doc.entries[-1].data == ENTRY
    assert [e.data for e in doc.entries[:-1]] == [
        e.data for e in manifest.parse(text, "m").entries]
    kept = text.replace("resources: []", "resources:")
    for line in kept.lstrip("\ufeff").splitlines():
        assert line in new, line
    assert new.startswith("\ufeff") == text.startswith("\ufeff")
    assert ("\r\n" in new) == ("\r\n" in text)
    if "\r\n" in text:
        assert new.count("\r\n") == new.count("\n")


def test_append_refuses_a_taken_id_and_a_full_flow_list() -> None:
    with pytest.raises(manifest.ReflibError, match="taken"):
        manifest.append_text("resources:\n  - id: new-one\n    title: x\n", "m", ENTRY)
    with pytest.raises(manifest.ReflibError, match="flow list"):
        manifest.append_text("resources: [{id: a, title: A}]\n", "m", ENTRY)
