"""Tests of ``reflib fetch`` against a local server on 127.0.0.1."""

from __future__ import annotations

import io
import json
import os
import re
import tarfile
from pathlib import Path
from typing import Any

import pytest

from localserver import (
    Handler,
    LocalServer,
    Route,
    big_route,
    flaky_route,
    html_route,
    offline_http,
    slow_route,
)
from reflib.cli.main import main
from reflib.fetch.resource import (
    FetchError,
    extract_tar,
    github_issue_parts,
    github_repo_parts,
    paper_pdf_url,
    url_slug,
)

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def make_tar(files: dict[str, bytes | str], *, links: dict[str, str] | None = None,
             hardlinks: dict[str, str] | None = None) -> bytes:
    """A tar.gz with regular files (``str`` value: a folder entry) and links."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            if isinstance(data, str):
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            else:
                info.size = len(data)
                info.mode = 0o755 if name.endswith(".sh") else 0o644
                tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
        for name, target in (hardlinks or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.LNKTYPE
            info.linkname = target
            tar.addfile(info)
    return buf.getvalue()


GOOD_TAR = make_tar(
    {"r-abc123/": "dir", "r-abc123/README.md": b"# r\n", "r-abc123/src/m.py": b"x = 1\n",
     "r-abc123/run.sh": b"#!/bin/sh\n"},
    links={"r-abc123/docs": "src"},
)
EVIL_TAR = make_tar({"r-abc/": "dir", "r-abc/ok.txt": b"ok", "r-abc/../evil": b"pwned"})


def comments_route(h: Handler) -> None:
    """Three pages of comments linked with ``Link: rel="next"``."""
    m = re.search(r"[?&]page=(\d+)", h.path)
    page = int(m.group(1)) if m else 1
    base = h.server.owner.base + "/api/repos/o/r/issues/7/comments"
    headers = {"Content-Type": "application/json"}
    if page < 3:
        headers["Link"] = (f'<{base}?per_page=100&page={page + 1}>; rel="next", '
                           f'<{base}?per_page=100&page=3>; rel="last"')
    body = [{"id": page * 10 + i, "body": f"comment {page}.{i}"} for i in range(2)]
    h.send(200, json.dumps(body).encode(), headers)


def routes() -> dict[str, Route]:
    """The fake web, GitHub API and codeload."""
    return {
        "/docs/intro.html": html_route("<h1>Intro</h1>"),
        "/docs/guide/": html_route("<h1>Guide</h1>"),
        "/docs/env": html_route("<h1>Env</h1>"),
        "/other/docs/env": html_route("<h1>Other env</h1>"),
        "/docs/broken": html_route("nope", 404),
        "/docs/flaky": flaky_route(1, 500, body=b"<h1>Flaky</h1>"),
        "/docs/slow": slow_route(3),
        "/docs/big": big_route(300_000, declare=False),
        "/paper.pdf": lambda h: h.send(200, PDF, {"Content-Type": "application/pdf"}),
        "/abs/landing": html_route("<html>landing</html>"),
        "/api/repos/o/r/issues/7": lambda h: h.send(
            200, json.dumps({"number": 7, "title": "Hang", "body": "It hangs"}).encode(),
            {"Content-Type": "application/json"}),
        "/api/repos/o/r/issues/7/comments": comments_route,
        "/api/repos/o/gone/issues/1": lambda h: h.send(404, b'{"message": "Not Found"}'),
        "/codeload/o/r/tar.gz/HEAD": lambda h: h.send(200, GOOD_TAR),
        "/codeload/o/evil/tar.gz/HEAD": lambda h: h.send(200, EVIL_TAR),
        "/rfc/rfc9110.txt": lambda h: h.send(200, b"RFC 9110 text\n",
                                             {"Content-Type": "text/plain"}),
    }


MANIFEST = """\
# Library manifest: keep this comment
resources:
  # --- docs ---
  - id: intro-docs
    title: "Intro docs"   # the title
    type: docs
    url: {base}/docs/intro.html
    fetch: [{base}/docs/guide/, env]   # sub-pages
    priority: high
    status: link_only     # not yet fetched
  - id: broken-docs
    title: Broken docs
    type: blog
    url: {base}/docs/intro.html
    fetch: [{base}/docs/broken]
    status: link_only
  - id: gpipe
    title: GPipe
    type: paper
    url: {base}/paper.pdf
    status: link_only
  - id: landing
    title: Landing page only
    type: paper
    url: {base}/abs/landing
    status: link_only
  - id: hang-issue
    title: A hang
    type: issue
    url: https://github.com/o/r/issues/7
    status: link_only
  - id: gone-issue
    title: Gone
    type: issue
    url: https://github.com/o/gone/issues/1
    status: link_only
  - id: the-repo
    title: The repo
    type: repo
    url: https://github.com/o/r
    status: link_only
  - id: evil-repo
    title: Evil repo
    type: repo
    url: https://github.com/o/evil
    status: link_only
  - id: rfc9110
    title: HTTP Semantics
    type: rfc
    url: {base}/rfc/rfc9110.txt
    status: link_only
  - id: done
    title: Already converted
    type: docs
    url: {base}/docs/env
    status: converted
    raw: [raw/old.html]
"""


@pytest.fixture(autouse=True)
def _fast_and_local(monkeypatch: pytest.MonkeyPatch) -> None:
    offline_http(monkeypatch)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Any:
    with LocalServer(routes()) as srv:
        monkeypatch.setenv("REFLIB_GITHUB_API", srv.url("/api/"))
        monkeypatch.setenv("REFLIB_GITHUB_CODELOAD", srv.url("/codeload"))
        yield srv


@pytest.fixture
def lib(tmp_path: Path, server: LocalServer) -> Path:
    root = tmp_path / "lib"
    (root / "refs").mkdir(parents=True)
    (root / "refs" / "manifest.yaml").write_text(MANIFEST.format(base=server.base))
    return root


def fetch(lib: Path, *args: str) -> int:
    return main(["--root", str(lib), "fetch", "--timeout", "1", *args])


def entry(lib: Path, rid: str) -> dict[str, Any]:
    from reflib.core import manifest
    doc = manifest.load(lib / "refs" / "manifest.yaml")
    return next(e.data for e in doc.entries if e.data["id"] == rid)


def manifest_text(lib: Path) -> str:
    return (lib / "refs" / "manifest.yaml").read_text()


def test_docs_pages_saved_in_order_and_manifest_comments_kept(lib: Path) -> None:
    before = manifest_text(lib)
    assert fetch(lib, "intro-docs") == 0
    raw = lib / "sources" / "intro-docs" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == ["docs-env.html", "docs-guide.html",
                                                      "docs-intro.html"]
    assert (raw / "docs-intro.html").read_text() == "<h1>Intro</h1>"
    assert (raw / "docs-env.html").read_text() == "<h1>Env</h1>"  # relative sub-page
    data = entry(lib, "intro-docs")
    assert data["status"] == "fetched"
    assert data["raw"] == ["raw/docs-intro.html", "raw/docs-guide.html", "raw/docs-env.html"]
    after = manifest_text(lib)
    for comment in ("# Library manifest: keep this comment", "# --- docs ---",
                    '"Intro docs"   # the title', "# sub-pages"):
        assert comment in after
    assert "status: fetched     # not yet fetched" in after
    # nothing else changed
    changed = [line for line in after.splitlines() if line not in before.splitlines()]
    assert changed == ["    status: fetched     # not yet fetched",
                       "    raw: [raw/docs-intro.html, raw/docs-guide.html, raw/docs-env.html]"]
    assert not [p for p in (lib / "sources" / "intro-docs").iterdir() if p.name != "raw"]


def test_failed_subpage_leaves_nothing_behind(lib: Path, capsys: pytest.CaptureFixture[str]
                                              ) -> None:
    before = manifest_text(lib)
    assert fetch(lib, "broken-docs") == 1
    err = capsys.readouterr().err
    assert "fetch broken-docs failed: HTTP 404" in err
    assert "refs/manifest.yaml:14:" in err  # the url line of the entry
    assert not (lib / "sources" / "broken-docs").exists()
    assert manifest_text(lib) == before


def test_paper_pdf(lib: Path) -> None:
    assert fetch(lib, "gpipe") == 0
    pdf = lib / "sources" / "gpipe" / "raw" / "gpipe.pdf"
    assert pdf.read_bytes() == PDF
    assert entry(lib, "gpipe")["raw"] == ["raw/gpipe.pdf"]


def test_paper_that_is_not_a_pdf_fails(lib: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = manifest_text(lib)
    assert fetch(lib, "landing") == 1
    assert "is not a PDF (got text/html)" in capsys.readouterr().err
    assert not (lib / "sources" / "landing").exists()
    assert manifest_text(lib) == before


def test_paper_pdf_named_under_fetch(lib: Path, server: LocalServer) -> None:
    path = lib / "refs" / "manifest.yaml"
    path.write_text(manifest_text(lib).replace(
        f"    url: {server.base}/abs/landing\n",
        f"    url: {server.base}/abs/landing\n    fetch: [/paper.pdf]\n"))
    assert fetch(lib, "landing") == 0
    assert (lib / "sources" / "landing" / "raw" / "landing.pdf").read_bytes() == PDF


def test_issue_with_all_comment_pages(lib: Path, server: LocalServer) -> None:
    assert fetch(lib, "hang-issue") == 0
    saved = json.loads((lib / "sources" / "hang-issue" / "raw" / "issue.json").read_text())
    assert saved["source"] == "https://github.com/o/r/issues/7"
    assert saved["issue"]["title"] == "Hang"
    assert [c["id"] for c in saved["comments"]] == [10, 11, 20, 21, 30, 31]
    assert entry(lib, "hang-issue")["raw"] == ["raw/issue.json"]
    accept = [h.get("Accept") for _, p, h in server.requests if p.startswith("/api/")]
    assert accept == ["application/vnd.github+json"] * 4


def test_missing_issue_fails(lib: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert fetch(lib, "gone-issue") == 1
    assert "HTTP 404" in capsys.readouterr().err
    assert not (lib / "sources" / "gone-issue").exists()


def test_repo_archive_extracted(lib: Path) -> None:
    assert fetch(lib, "the-repo") == 0
    repo = lib / "sources" / "the-repo" / "raw" / "repo"
    assert (repo / "README.md").read_text() == "# r\n"
    assert (repo / "src" / "m.py").read_text() == "x = 1\n"
    assert (repo / "docs").is_symlink() and (repo / "docs" / "m.py").is_file()
    assert (repo / "run.sh").stat().st_mode & 0o111
    assert entry(lib, "the-repo")["raw"] == ["raw/repo"]
    # fetching again with --force replaces the folder
    assert fetch(lib, "the-repo", "--force") == 0
    assert sorted(p.name for p in repo.iterdir()) == ["README.md", "docs", "run.sh", "src"]
    assert sorted(p.name for p in repo.parent.parent.iterdir()) == ["raw"]


def test_tar_slip_is_rejected(lib: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = manifest_text(lib)
    assert fetch(lib, "evil-repo") == 1
    assert "unsafe path in archive: 'r-abc/../evil'" in capsys.readouterr().err
    assert not (lib / "sources" / "evil-repo").exists()
    assert not list(lib.parent.rglob("evil"))
    assert manifest_text(lib) == before


def test_rfc_text(lib: Path) -> None:
    assert fetch(lib, "rfc9110") == 0
    assert (lib / "sources" / "rfc9110" / "raw" / "rfc9110.txt").read_bytes() == b"RFC 9110 text\n"


def test_all_fetches_only_link_only_and_reports(lib: Path, capsys: pytest.CaptureFixture[str]
                                                ) -> None:
    assert fetch(lib, "--all") == 1
    out, err = capsys.readouterr()
    assert "5 fetched, 4 failed" in out
    assert "fetched gpipe: raw/gpipe.pdf (" in out
    assert entry(lib, "done")["status"] == "converted"
    assert not (lib / "sources" / "done").exists()
    for rid in ("broken-docs", "landing", "gone-issue", "evil-repo"):
        assert f"fetch {rid} failed" in err
        assert entry(lib, rid)["status"] == "link_only"
    assert fetch(lib, "--all") == 1  # the failures are still link_only
    assert "0 fetched, 4 failed" in capsys.readouterr().out


def test_named_resource_past_link_only_is_refused(lib: Path, capsys: pytest.CaptureFixture[str]
                                                  ) -> None:
    assert fetch(lib, "done") == 1
    assert "refused done: status is converted" in capsys.readouterr().err
    assert not (lib / "sources" / "done").exists()


def test_force_refetches_and_keeps_a_later_status(lib: Path) -> None:
    assert fetch(lib, "done", "--force") == 0
    data = entry(lib, "done")
    assert data["status"] == "converted"
    assert data["raw"] == ["raw/docs-env.html"]


def test_failed_refetch_keeps_the_old_files(lib: Path) -> None:
    old = lib / "sources" / "done" / "raw" / "old.html"
    old.parent.mkdir(parents=True)
    old.write_text("old")
    (lib / "refs" / "manifest.yaml").write_text(manifest_text(lib).replace(
        "/docs/env\n    status: converted", "/docs/broken\n    status: converted"))
    before = manifest_text(lib)
    assert fetch(lib, "done", "--force") == 1
    assert [p.name for p in (lib / "sources" / "done").rglob("*")] == ["raw", "old.html"]
    assert old.read_text() == "old"
    assert manifest_text(lib) == before


def test_unknown_id_suggests(lib: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = manifest_text(lib)
    assert fetch(lib, "gpip", "gpipe") == 1
    assert "no resource 'gpip' in refs/manifest.yaml; did you mean 'gpipe'?" in (
        capsys.readouterr().err)
    assert not (lib / "sources").exists()  # nothing fetched when an id is wrong
    assert manifest_text(lib) == before


def test_usage_errors(lib: Path) -> None:
    assert fetch(lib) == 2
    assert fetch(lib, "gpipe", "--all") == 2
    assert fetch(lib, "gpipe", "--max-mb", "0") == 2


def test_unreadable_manifest(tmp_path: Path) -> None:
    (tmp_path / "refs").mkdir()
    (tmp_path / "refs" / "manifest.yaml").write_text("resources: [\n")
    assert fetch(tmp_path, "--all") == 2
    (tmp_path / "refs" / "manifest.yaml").write_text("- just a list\n")
    assert fetch(tmp_path, "--all") == 2


def test_retry_then_success(lib: Path, server: LocalServer) -> None:
    (lib / "refs" / "manifest.yaml").write_text(manifest_text(lib).replace(
        "/docs/env\n    status: converted", "/docs/flaky\n    status: converted"))
    assert fetch(lib, "done", "--force") == 0
    assert (lib / "sources" / "done" / "raw" / "docs-flaky.html").read_text() == "<h1>Flaky</h1>"
    assert server.hits["/docs/flaky"] == 2


def test_timeout_and_size_cap_fail_cleanly(lib: Path, capsys: pytest.CaptureFixture[str]
                                           ) -> None:
    text = manifest_text(lib)
    (lib / "refs" / "manifest.yaml").write_text(text.replace("/docs/env\n", "/docs/slow\n"))
    assert main(["--root", str(lib), "fetch", "done", "--force", "--timeout", "0.2"]) == 1
    assert "timed out after 0.2s" in capsys.readouterr().err
    (lib / "refs" / "manifest.yaml").write_text(text.replace("/docs/env\n", "/docs/big\n"))
    assert fetch(lib, "done", "--force", "--max-mb", "0.1") == 1
    assert "larger than the size cap of 102.4 KiB" in capsys.readouterr().err
    assert not (lib / "sources").exists()


def test_slugs_are_stable_and_unique(lib: Path, server: LocalServer) -> None:
    (lib / "refs" / "manifest.yaml").write_text(manifest_text(lib).replace(
        f"    fetch: [{server.base}/docs/guide/, env]",
        f"    fetch: [{server.base}/other/docs/env, {server.base}/docs/env, /docs/intro.html]"))
    assert fetch(lib, "intro-docs") == 0
    assert entry(lib, "intro-docs")["raw"] == [
        "raw/docs-intro.html", "raw/other-docs-env.html", "raw/docs-env.html"]


# --- helpers --------------------------------------------------------------------------------


def test_url_helpers() -> None:
    assert paper_pdf_url("https://arxiv.org/abs/1811.06965") == "https://arxiv.org/pdf/1811.06965"
    assert paper_pdf_url("http://arxiv.org/abs/1811.06965v2/") == (
        "https://arxiv.org/pdf/1811.06965v2")
    assert paper_pdf_url("https://arxiv.org/pdf/1811.06965.pdf") == (
        "https://arxiv.org/pdf/1811.06965")
    assert paper_pdf_url("https://openreview.net/forum?id=abc") == (
        "https://openreview.net/pdf?id=abc")
    assert paper_pdf_url("https://x.test/p.pdf") == "https://x.test/p.pdf"
    assert github_issue_parts("https://github.com/NVIDIA/nccl/issues/1234#c") == (
        "NVIDIA", "nccl", 1234)
    assert github_issue_parts("https://github.com/o/r/pull/5") == ("o", "r", 5)
    assert github_issue_parts("https://gitlab.com/o/r/issues/5") is None
    assert github_repo_parts("https://github.com/o/r.git") == ("o", "r", "HEAD")
    assert github_repo_parts("https://github.com/o/r/") == ("o", "r", "HEAD")
    assert github_repo_parts("https://github.com/o/r/tree/v1.2/x") == ("o", "r", "v1.2/x")
    assert github_repo_parts("https://github.com/o") is None
    assert url_slug("https://h/") == "index"
    assert url_slug("https://h/a/B_c.HTML") == "a-b-c"
    assert url_slug("https://h/w/index.php?title=Foo") == "w-index-php-title-foo"
    long = url_slug("https://h/" + "seg/" * 40)
    assert len(long) <= 80 and long == url_slug("https://h/" + "seg/" * 40)
    assert long != url_slug("https://h/" + "seg/" * 41)


@pytest.mark.parametrize(("files", "links", "hardlinks", "message"), [
    ({"/etc/x": b"1"}, None, None, "unsafe path"),
    ({"a/../../x": b"1"}, None, None, "unsafe path"),
    ({"a/b": b"1"}, {"a/l": "/etc/passwd"}, None, "link escapes"),
    ({"a/b": b"1"}, {"a/l": "../../x"}, None, "link escapes"),
    # each link looks inside by itself; together they leave the folder
    ({"a/b/c": b"1"}, {"a/b/up": "..", "a/b/up/up2": "../.."}, None, "escapes"),
    ({"a/b": b"1"}, None, {"a/h": "../../etc/passwd"}, "unsafe path|hard link escapes"),
])
def test_extract_tar_rejects_escapes(tmp_path: Path, files: dict[str, bytes | str],
                                     links: dict[str, str] | None,
                                     hardlinks: dict[str, str] | None, message: str) -> None:
    data = make_tar(files, links=links, hardlinks=hardlinks)
    with pytest.raises(FetchError, match=message):
        extract_tar(data, tmp_path / "out" / "repo", max_total=10_000)
    assert not (tmp_path / "x").exists()


def test_extract_tar_rejects_devices_bombs_and_garbage(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("r/dev")
        info.type = tarfile.CHRTYPE
        tar.addfile(info)
    with pytest.raises(FetchError, match="device"):
        extract_tar(buf.getvalue(), tmp_path / "a", max_total=10)
    with pytest.raises(FetchError, match="unpacks to"):
        extract_tar(make_tar({"r/big": b"x" * 100}), tmp_path / "b", max_total=10)
    with pytest.raises(FetchError, match="not a readable tar"):
        extract_tar(b"garbage", tmp_path / "c", max_total=10)


def test_extract_tar_hardlink_inside_is_copied(tmp_path: Path) -> None:
    data = make_tar({"r/": "d", "r/a.txt": b"A"}, hardlinks={"r/b.txt": "r/a.txt"})
    extract_tar(data, tmp_path / "out", max_total=100)
    assert (tmp_path / "out" / "b.txt").read_bytes() == b"A"
    assert not (tmp_path / "out" / "b.txt").is_symlink()


def test_never_writes_through_a_symlink_outside_the_library(
        lib: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (lib / "sources" / "intro-docs").mkdir(parents=True)
    os.symlink(outside, lib / "sources" / "intro-docs" / "raw")
    assert fetch(lib, "intro-docs") == 1
    assert "sources/intro-docs/raw is a symbolic link to a place outside the library" in \
        capsys.readouterr().err
    assert list(outside.iterdir()) == []
