"""The repository converter: file tree, verbatim files, ordering, .gitignore, skips, archives."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from reflib.convert import fenced_block, unclosed_fence
from reflib.convert.base import ConversionError, ConvertRequest, RawInput
from reflib.convert.repo import GitIgnore, convert, language, matches
from reflib.core.paths import Slugger, heading_plain_text

BACKTICKS = "Use ```` to fence.\n```python\nnot a fence for us\n```\n"


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8", newline="")
    return path


def make_repo(folder: Path) -> Path:
    """A checkout with every case: ignores, binary, oversized, backticks, a .git folder."""
    write(folder / "README.md", "# Demo\n")
    write(folder / ".gitignore", "build/\n*.log\n!keep.log\n/secret.txt\n")
    write(folder / "src/pkg/__init__.py", "VERSION = 1\r\n")
    write(folder / "src/pkg/core.py", "def f():\n    return 1\n")
    write(folder / "docs/guide.md", BACKTICKS)
    write(folder / "docs/.gitignore", "draft.md\n")
    write(folder / "docs/draft.md", "draft\n")
    write(folder / "build/out.txt", "generated\n")
    write(folder / "debug.log", "log\n")
    write(folder / "keep.log", "kept\n")
    write(folder / "secret.txt", "secret\n")
    write(folder / "sub/secret.txt", "not ignored: the pattern is anchored\n")
    write(folder / "logo.png", b"\x89PNG\r\n\x1a\n\x00\x00")
    write(folder / "latin1.txt", "caf\xe9\n".encode("latin-1"))
    write(folder / "big.txt", "a" * (700 * 1024))
    write(folder / ".git/HEAD", "ref: refs/heads/main\n")
    write(folder / "Makefile", "all:\n\ttrue\n")
    return folder


def request(*paths: Path, **options: object) -> ConvertRequest:
    raws = [RawInput(f"raw/{p.name}", p) for p in paths]
    return ConvertRequest("demo", "Demo", "repo", None, raws, dict(options))


def headings(body: str) -> list[str]:
    return [line[len("## File: "):].strip("`") for line in body.splitlines()
            if line.startswith("## File: ")]


def tree(body: str) -> str:
    start = body.index("```text\n") + len("```text\n")
    return body[start: body.index("```\n", start)]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "demo")


def test_tree_comes_first_and_lists_kept_and_skipped_files(repo: Path) -> None:
    body = convert(request(repo)).body
    assert body.startswith("## File tree\n\n```text\ndemo/\n")
    lines = tree(body).splitlines()
    assert "  README.md" in lines
    assert "  src/" in lines and "    pkg/" in lines and "      core.py" in lines
    assert "  logo.png  (skipped: binary)" in lines
    assert "  latin1.txt  (skipped: binary)" in lines
    assert "  big.txt  (skipped: 700 KiB > 512 KiB)" in lines


def test_gitignore_rules_and_git_folder(repo: Path) -> None:
    result = convert(request(repo))
    text = tree(result.body)
    for gone in ("build", "debug.log", "draft.md", "HEAD"):
        assert gone not in text
    assert "  .git/" not in text.splitlines()
    assert "keep.log" in text  # re-included with !
    assert "  secret.txt" not in text.splitlines()  # anchored /secret.txt
    assert "sub/secret.txt" in headings(result.body)
    assert any("left out as .gitignore says" in n for n in result.notes)


def test_skipped_files_are_noted_never_dropped(repo: Path) -> None:
    notes = convert(request(repo)).notes
    assert "logo.png: skipped, binary (contains NUL bytes)" in notes
    assert any(n.startswith("latin1.txt: skipped, binary (not UTF-8") for n in notes)
    assert "big.txt: skipped, 700 KiB > 512 KiB (repo_max_file_kb)" in notes


def test_max_file_kb_option(repo: Path) -> None:
    result = convert(request(repo, repo_max_file_kb=1024))
    assert "big.txt" in headings(result.body)
    small = convert(request(repo, repo_max_file_kb=0.001))
    assert "  README.md  (skipped: 1 KiB > 1 KiB)" in tree(small.body).splitlines()
    with pytest.raises(ConversionError, match="repo_max_file_kb"):
        convert(request(repo, repo_max_file_kb="big"))


def test_order_priority_then_readme_then_sorted(repo: Path) -> None:
    body = convert(request(repo, repo_priority=["src/pkg/core.py", "docs"])).body
    order = headings(body)
    assert order[:4] == ["src/pkg/core.py", "docs/.gitignore", "docs/guide.md", "README.md"]
    rest = order[4:]
    assert rest == sorted(rest)
    default = headings(convert(request(repo)).body)
    assert default[0] == "README.md"


def test_priority_pattern_semantics() -> None:
    assert matches("src/*", "src/a/b.py")
    assert matches("src/core", "src/core/x.py")
    assert matches("src/core/", "src/core/x.py")
    assert matches("*.md", "docs/deep/x.md")
    assert not matches("src/core", "src/core2/x.py")
    assert not matches("docs/*.md", "src/docs/x.md")


def test_files_are_verbatim_in_unclosable_fences(repo: Path) -> None:
    body = convert(request(repo)).body
    assert "`````markdown\n" + BACKTICKS + "`````\n" in body
    tokens = MarkdownIt("commonmark").parse(body)
    fences = [t for t in tokens if t.type == "fence"]
    assert BACKTICKS in [t.content for t in fences]
    assert "VERSION = 1\n" in [t.content for t in fences]  # CRLF normalised


def test_languages() -> None:
    assert language("a/b.py") == "python"
    assert language("Makefile") == "makefile"
    assert language("x/CMakeLists.txt") == "cmake"
    assert language("Dockerfile.dev") == "dockerfile"
    assert language("LICENSE") == ""
    assert language(".gitignore") == "gitignore"


def test_awkward_paths_get_code_span_headings_with_github_anchors(repo: Path) -> None:
    body = convert(request(repo)).body
    assert "## File: `src/pkg/__init__.py`" in body.splitlines()
    assert "## File: src/pkg/core.py" in body.splitlines()
    slugger = Slugger()
    anchors = [slugger.slug(heading_plain_text(line[3:])) for line in body.splitlines()
               if line.startswith("## ")]
    assert "file-srcpkg__init__py" in anchors
    assert "file-srcpkgcorepy" in anchors


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_symlinks_are_shown_not_followed(tmp_path: Path) -> None:
    folder = tmp_path / "linky"
    write(folder / "real.txt", "real\n")
    os.symlink("real.txt", folder / "alias.txt")
    os.symlink("/etc", folder / "etc")
    result = convert(request(folder))
    lines = tree(result.body).splitlines()
    assert "  alias.txt  (skipped: symlink -> real.txt)" in lines
    assert "  etc  (skipped: symlink to a place outside the repository)" in lines
    assert headings(result.body) == ["real.txt"]


def _archive_members(repo: Path) -> list[tuple[str, Path]]:
    return sorted((f"demo-1.0/{p.relative_to(repo).as_posix()}", p)
                  for p in repo.rglob("*") if p.is_file())


def make_zip(repo: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for name, path in _archive_members(repo):
            archive.write(path, name)
    return target


def make_tar(repo: Path, target: Path) -> Path:
    with tarfile.open(target, "w:gz") as archive:
        for name, path in _archive_members(repo):
            archive.add(path, name)
    return target


@pytest.mark.parametrize("maker,name", [(make_zip, "demo.zip"), (make_tar, "demo.tar.gz")])
def test_archives_match_the_folder(repo: Path, tmp_path: Path,
                                   maker: Callable[[Path, Path], Path], name: str) -> None:
    archive = maker(repo, tmp_path / name)
    folder_result = convert(request(repo))
    archive_result = convert(request(archive))
    assert archive_result.body == folder_result.body.replace("demo/\n", "demo-1.0/\n", 1)
    assert sorted(archive_result.notes) == sorted(
        n.replace("raw/demo:", f"raw/{name}:") for n in folder_result.notes)


def test_corrupt_archive_is_a_conversion_error(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.zip", b"PK\x03\x04 not really a zip")
    with pytest.raises(ConversionError, match=r"sources/demo/raw/bad.zip: cannot read archive"):
        convert(request(bad))
    bad_tar = write(tmp_path / "bad.tar.gz", b"\x1f\x8b garbage")
    with pytest.raises(ConversionError, match="cannot read archive"):
        convert(request(bad_tar))


def test_archive_member_paths_cannot_escape(tmp_path: Path) -> None:
    target = tmp_path / "evil.tar.gz"
    with tarfile.open(target, "w:gz") as archive:
        for name in ("../../etc/passwd", "/abs.txt", "ok.txt"):
            data = b"x\n"
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    result = convert(request(target))
    assert headings(result.body) == ["abs.txt", "ok.txt"]


def test_several_roots_are_prefixed(tmp_path: Path) -> None:
    one = tmp_path / "one"
    two = tmp_path / "two"
    write(one / "a.py", "a = 1\n")
    write(two / "a.py", "a = 2\n")
    write(two / "blob.bin", b"\x00")
    result = convert(request(one, two))
    assert headings(result.body) == ["one/a.py", "two/a.py"]
    assert "one/\n  a.py\ntwo/\n  a.py\n  blob.bin  (skipped: binary)\n" in result.body
    assert result.notes == ["two/blob.bin: skipped, binary (contains NUL bytes)"]


def test_not_a_folder_or_archive(tmp_path: Path) -> None:
    plain = write(tmp_path / "notes.txt", "x")
    with pytest.raises(ConversionError, match=r"not a folder or a \.zip/\.tar\.gz archive"):
        convert(request(plain))


def test_gitignore_folder_cannot_be_reincluded() -> None:
    ignore = GitIgnore()
    ignore.add("", "logs/\n!logs/keep.txt\n")
    ignore.add("pkg", "*.tmp\n!important.tmp\n")
    assert ignore.ignored("logs/keep.txt")
    assert ignore.ignored("pkg/x.tmp")
    assert not ignore.ignored("pkg/important.tmp")
    assert not ignore.ignored("x.tmp")
    assert ignore.ignored("logs", is_dir=True)
    assert not ignore.ignored("logs")  # a file named logs is not the folder pattern


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("`~ \nab\t"), max_size=60), st.sampled_from(["", "py"]))
def test_fenced_block_round_trips_through_commonmark(text: str, lang: str) -> None:
    block = fenced_block(text, lang)
    tokens = [t for t in MarkdownIt("commonmark").parse(block) if t.type == "fence"]
    assert len(tokens) == 1
    expected = text if not text or text.endswith("\n") else text + "\n"
    assert tokens[0].content == expected
    assert unclosed_fence(block) is None


def test_zip_with_a_damaged_member(tmp_path: Path) -> None:
    target = tmp_path / "damaged.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.txt", "hello " * 200)
    data = bytearray(target.read_bytes())
    start = data.index(b"a.txt") + len(b"a.txt")
    data[start + 5: start + 25] = b"\xff" * 20
    target.write_bytes(bytes(data))
    with pytest.raises(ConversionError, match="cannot read archive"):
        convert(request(target))
