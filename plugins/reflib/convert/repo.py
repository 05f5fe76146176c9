"""Repository converter: a checkout folder or a .zip / .tar.gz archive to one markdown body.

The body starts with ``## File tree`` (an indented tree in a fenced block), then every text
file verbatim under a ``## File: path`` heading, in a fenced block that no backtick run in
the file can close. Order: the manifest's ``repo_priority`` glob patterns, in order; then the
README files at the top; then everything else by path.

``.git/`` is skipped and ``.gitignore`` files are honoured (nested ones too, with git's
rules). Binary files (NUL bytes or not UTF-8), oversized files (``repo_max_file_kb``,
default 512) and symbolic links are shown in the tree with the reason they were skipped and
listed in the conversion notes; nothing is dropped silently.

Archives are read in memory, never extracted, so a hostile member path cannot escape.
"""

from __future__ import annotations

import fnmatch
import math
import os
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import pathspec

from reflib.convert import escape_inline, fenced_block, inline_code
from reflib.convert.base import ConversionError, ConvertRequest, ConvertResult, RawInput

DEFAULT_MAX_FILE_KB = 512
ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tar.xz")

LANGUAGES = {
    "py": "python", "pyi": "python", "pyx": "cython", "ipynb": "json", "js": "javascript",
    "mjs": "javascript", "cjs": "javascript", "jsx": "jsx", "ts": "typescript", "tsx": "tsx",
    "rs": "rust", "go": "go", "c": "c", "h": "c", "cc": "cpp", "cpp": "cpp", "cxx": "cpp",
    "hpp": "cpp", "hh": "cpp", "hxx": "cpp", "cu": "cuda", "cuh": "cuda", "java": "java",
    "kt": "kotlin", "scala": "scala", "swift": "swift", "m": "objectivec", "rb": "ruby",
    "php": "php", "pl": "perl", "lua": "lua", "r": "r", "jl": "julia", "cs": "csharp",
    "fs": "fsharp", "hs": "haskell", "ml": "ocaml", "ex": "elixir", "exs": "elixir",
    "erl": "erlang", "clj": "clojure", "zig": "zig", "nim": "nim", "dart": "dart",
    "sh": "bash", "bash": "bash", "zsh": "zsh", "fish": "fish", "ps1": "powershell",
    "bat": "batch", "md": "markdown", "markdown": "markdown", "rst": "rst", "txt": "text",
    "toml": "toml", "yaml": "yaml", "yml": "yaml", "json": "json", "jsonc": "jsonc",
    "ini": "ini", "cfg": "ini", "conf": "ini", "html": "html", "htm": "html", "css": "css",
    "scss": "scss", "sass": "sass", "less": "less", "xml": "xml", "svg": "xml", "sql": "sql",
    "proto": "protobuf", "graphql": "graphql", "tex": "latex", "cmake": "cmake",
    "mk": "makefile", "dockerfile": "dockerfile", "tf": "hcl", "hcl": "hcl", "vue": "vue",
    "svelte": "svelte", "diff": "diff", "patch": "diff", "csv": "csv", "s": "asm",
    "asm": "asm", "ll": "llvm", "mlir": "mlir", "td": "tablegen", "bzl": "python",
    "cl": "opencl", "metal": "metal", "glsl": "glsl", "hlsl": "hlsl", "wgsl": "wgsl",
}
NAME_LANGUAGES = {
    "makefile": "makefile", "gnumakefile": "makefile", "dockerfile": "dockerfile",
    "cmakelists.txt": "cmake", "build": "python", "workspace": "python",
    "build.bazel": "python", "workspace.bazel": "python", "gemfile": "ruby",
    "rakefile": "ruby", "justfile": "just", "vagrantfile": "ruby", ".gitignore": "gitignore",
    ".gitattributes": "gitattributes", ".editorconfig": "editorconfig",
}


@dataclass
class Member:
    """One path of a repository tree, from a folder or an archive."""

    path: str
    """POSIX path relative to the repository root."""
    size: int
    read: Callable[[], bytes]
    link: str | None = None
    """Target of a symbolic link (its content is not read)."""


@dataclass
class Item:
    """A member after classification: its text, or why it was skipped."""

    path: str
    """Path as shown in headings and the tree (prefixed when there are several roots)."""
    local: str
    """Path relative to its own root (what ``repo_priority`` patterns match too)."""
    text: str | None = None
    skipped: str | None = None


@dataclass
class Root:
    """One raw entry: a folder or an archive, with its classified files."""

    label: str
    items: list[Item] = field(default_factory=list)
    ignored: int = 0


# --- .gitignore --------------------------------------------------------------------------------


class GitIgnore:
    """The ``.gitignore`` files of a tree, applied with git's precedence rules.

    A path is decided by the deepest ``.gitignore`` that has a matching pattern (its last
    matching pattern wins, ``!`` re-includes); a path inside an ignored folder stays ignored.
    """

    def __init__(self) -> None:
        self.specs: dict[str, pathspec.GitIgnoreSpec] = {}
        self.hits = 0
        """How many paths :meth:`ignored` said yes to."""

    def add(self, folder: str, text: str) -> None:
        """Register the ``.gitignore`` found in ``folder`` ("" for the root)."""
        lines = text.splitlines()
        if any(line.strip() and not line.startswith("#") for line in lines):
            self.specs[folder] = pathspec.GitIgnoreSpec.from_lines(lines)

    def _decide(self, path: str, is_dir: bool) -> bool:
        parts = path.split("/")
        for depth in range(len(parts) - 1, -1, -1):
            folder = "/".join(parts[:depth])
            spec = self.specs.get(folder)
            if spec is None:
                continue
            rel = "/".join(parts[depth:]) + ("/" if is_dir else "")
            result = spec.check_file(rel)
            if result.include is not None:
                return bool(result.include)
        return False

    def ignored(self, path: str, is_dir: bool = False) -> bool:
        """True when git would ignore ``path`` (or one of the folders above it)."""
        if not self.specs:
            return False
        parts = path.split("/")
        hit = any(self._decide("/".join(parts[:d]), True) for d in range(1, len(parts)))
        if hit or self._decide(path, is_dir):
            self.hits += 1
            return True
        return False


def _is_git_path(path: str) -> bool:
    return ".git" in path.split("/")


# --- reading folders and archives --------------------------------------------------------------


def _file_reader(path: Path) -> Callable[[], bytes]:
    return path.read_bytes


def _raise(exc: OSError) -> None:
    raise ConversionError(f"cannot read {exc.filename}: {exc.strerror}")


def walk_folder(folder: Path, gitignore: GitIgnore) -> Iterator[Member]:
    """The members of a checkout folder, pruning ``.git`` and ignored folders as it goes."""
    for dirpath, dirnames, filenames in os.walk(folder, onerror=_raise):
        here = Path(dirpath)
        rel_dir = here.relative_to(folder).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir
        prefix = f"{rel_dir}/" if rel_dir else ""
        if ".gitignore" in filenames and not (here / ".gitignore").is_symlink():
            gitignore.add(rel_dir, _decode_lenient((here / ".gitignore").read_bytes()))
        kept = []
        for name in sorted(dirnames):
            full = here / name
            if name == ".git" or gitignore.ignored(prefix + name, True):
                continue
            if full.is_symlink():
                yield Member(prefix + name, 0, bytes, os.readlink(full))
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            full = here / name
            if name == ".git" or gitignore.ignored(prefix + name):
                continue
            link = os.readlink(full) if full.is_symlink() else None
            size = 0 if link else full.stat().st_size
            yield Member(prefix + name, size, _file_reader(full), link)


def _strip_single_top(members: list[Member], default: str) -> tuple[str, list[Member]]:
    """Drop the one top folder that GitHub-style archives wrap everything in."""
    tops = {m.path.split("/", 1)[0] for m in members}
    if len(tops) == 1 and all("/" in m.path for m in members):
        top = tops.pop()
        return top, [
            Member(m.path.split("/", 1)[1], m.size, m.read, m.link) for m in members
        ]
    return default, members


def _clean_member_path(name: str) -> str | None:
    parts = [p for p in PurePosixPath(name.replace("\\", "/")).parts if p not in ("", ".", "/")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def _zip_members(path: Path, max_bytes: int) -> list[Member]:
    """Members of a zip archive; files over ``max_bytes`` are not read."""
    members = []
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            clean = _clean_member_path(info.filename)
            if info.is_dir() or clean is None:
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                target = archive.read(info).decode("utf-8", "replace")
                members.append(Member(clean, 0, bytes, target))
            else:
                data = archive.read(info) if info.file_size <= max_bytes else b""
                members.append(Member(clean, info.file_size, _constant(data)))
    return members


def _tar_members(path: Path, max_bytes: int) -> list[Member]:
    """Members of a tar archive, read in one sequential pass (compressed tars cannot seek).

    Files over ``max_bytes`` are not read: they are skipped by size anyway.
    """
    members = []
    with tarfile.open(path, "r:*") as archive:
        for info in archive:
            clean = _clean_member_path(info.name)
            if clean is None or info.isdir():
                continue
            if info.issym() or info.islnk():
                members.append(Member(clean, 0, bytes, info.linkname))
            elif info.isfile():
                data = b""
                if info.size <= max_bytes:
                    handle = archive.extractfile(info)
                    data = handle.read() if handle else b""
                members.append(Member(clean, info.size, _constant(data)))
    return members


def _constant(data: bytes) -> Callable[[], bytes]:
    return lambda: data


def is_archive(path: Path) -> bool:
    """True for a raw file that this converter reads as an archive."""
    return path.name.lower().endswith(ARCHIVE_SUFFIXES)


def _archive_stem(name: str) -> str:
    lower = name.lower()
    for suffix in ARCHIVE_SUFFIXES:
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return name


def read_archive(raw: RawInput, shown: str, gitignore: GitIgnore,
                 max_bytes: int) -> tuple[str, list[Member]]:
    """The label and members of an archive; ignored paths are filtered out afterwards."""
    try:
        if raw.path.name.lower().endswith(".zip"):
            members = _zip_members(raw.path, max_bytes)
        else:
            members = _tar_members(raw.path, max_bytes)
    except (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError, OSError,
            ValueError) as exc:
        raise ConversionError(f"{shown}: cannot read archive: {exc}") from None
    label, members = _strip_single_top(members, _archive_stem(raw.path.name))
    members = [m for m in members if not _is_git_path(m.path)]
    for m in sorted(members, key=lambda m: m.path.count("/")):
        if PurePosixPath(m.path).name == ".gitignore" and m.link is None:
            folder = m.path.rpartition("/")[0]
            gitignore.add(folder, _decode_lenient(_read_member(m, shown)))
    return label, members


def _read_member(member: Member, shown: str) -> bytes:
    try:
        return member.read()
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError, ValueError) as exc:
        raise ConversionError(f"{shown}: cannot read {member.path}: {exc}") from None


def _decode_lenient(data: bytes) -> str:
    return data.decode("utf-8", "replace")


# --- classification ----------------------------------------------------------------------------


def kib(size: int) -> str:
    """A size in KiB for a skip reason, rounded up so that it never looks under the limit."""
    return f"{math.ceil(size / 1024)} KiB"


def classify(member: Member, max_bytes: int, shown: str) -> tuple[str | None, str, str]:
    """``(text, "", "")`` for a text file, ``(None, reason, detail)`` for a skipped one.

    ``reason`` goes in the tree, ``detail`` in the conversion notes. Line endings of a text
    file are normalised to LF; a UTF-8 byte-order mark is dropped.
    """
    if member.link is not None:
        target = member.link
        inside = not target.startswith(("/", "\\")) and ".." not in target.replace("\\", "/").split("/")
        # a target outside the repository is not shown: it would publish a path of the
        # machine that fetched it
        reason = f"symlink -> {target}" if inside else "symlink to a place outside the repository"
        return None, reason, f"{reason} (links are not followed)"
    limit = f"{kib(max_bytes)} (repo_max_file_kb)"
    if member.size > max_bytes:
        return None, f"{kib(member.size)} > {kib(max_bytes)}", f"{kib(member.size)} > {limit}"
    data = _read_member(member, shown)
    if len(data) > max_bytes:
        return None, f"{kib(len(data))} > {kib(max_bytes)}", f"{kib(len(data))} > {limit}"
    if b"\0" in data:
        return None, "binary", "binary (contains NUL bytes)"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, "binary", f"binary (not UTF-8 at byte {exc.start})"
    return text.replace("\r\n", "\n").replace("\r", "\n"), "", ""


def load_root(raw: RawInput, shown: str, max_bytes: int) -> tuple[Root, list[str]]:
    """Read one raw entry into a :class:`Root`; returns it with its skip notes."""
    gitignore = GitIgnore()
    if raw.path.is_dir():
        label = raw.path.name
        members = list(walk_folder(raw.path, gitignore))
    elif is_archive(raw.path):
        label, members = read_archive(raw, shown, gitignore, max_bytes)
        members = [m for m in members if not gitignore.ignored(m.path)]
    else:
        raise ConversionError(f"{shown}: not a folder or a .zip/.tar.gz archive")
    root = Root(label, ignored=gitignore.hits)
    notes: list[str] = []
    for member in sorted(members, key=lambda m: m.path):
        text, reason, detail = classify(member, max_bytes, shown)
        root.items.append(Item(member.path, member.path, text, reason or None))
        if reason:
            notes.append(f"{member.path}: skipped, {detail}")
    return root, notes


# --- ordering ----------------------------------------------------------------------------------


def matches(pattern: str, path: str) -> bool:
    """Does a ``repo_priority`` pattern select ``path``?

    Shell-style globs on the path from the repository root (``*`` also crosses ``/``, so
    ``src/core/*`` takes the whole folder); a pattern that names a folder (``src/core`` or
    ``src/core/``) takes everything under it; a pattern without ``/`` also matches a file
    name at any depth (``*.md``).
    """
    pattern = pattern.strip().lstrip("/")
    if not pattern:
        return False
    folder = pattern.rstrip("/")
    if path.startswith(folder + "/") or fnmatch.fnmatchcase(path, pattern):
        return True
    if "/" not in pattern:
        return fnmatch.fnmatchcase(path.rpartition("/")[2], pattern)
    return False


def _is_top_readme(path: str) -> bool:
    return "/" not in path and path.lower().startswith("readme")


def order(items: list[Item], priority: list[str]) -> list[Item]:
    """``items`` in output order: priority patterns, then top-level READMEs, then by path."""
    rest = sorted(items, key=lambda i: i.path)
    out: list[Item] = []
    for pattern in priority:
        picked = [i for i in rest if matches(pattern, i.local) or matches(pattern, i.path)]
        out.extend(picked)
        rest = [i for i in rest if i not in picked]
    readmes = [i for i in rest if _is_top_readme(i.local)]
    return out + readmes + [i for i in rest if i not in readmes]


# --- rendering ---------------------------------------------------------------------------------


def language(path: str) -> str:
    """The fenced-code language for a file, from its name or extension ("" when unknown)."""
    name = path.rpartition("/")[2].lower()
    if name in NAME_LANGUAGES:
        return NAME_LANGUAGES[name]
    if name.startswith("dockerfile"):
        return "dockerfile"
    ext = name.rpartition(".")[2] if "." in name.lstrip(".") else ""
    return LANGUAGES.get(ext, "")


def tree_lines(label: str, items: Iterable[Item], strip: str = "") -> list[str]:
    """An indented tree: folders end with ``/``, skipped files carry their reason."""
    nodes: dict[str, Any] = {}
    for item in items:
        parts = item.path[len(strip):].split("/")
        node = nodes
        for part in parts[:-1]:
            node = node.setdefault(part + "/", {})
        node[parts[-1]] = item
    lines = [f"{label}/"]

    def emit(node: dict[str, Any], depth: int) -> None:
        for name in sorted(node):
            value = node[name]
            pad = "  " * depth
            if isinstance(value, dict):
                lines.append(pad + name)
                emit(value, depth + 1)
            elif value.skipped:
                lines.append(f"{pad}{name}  (skipped: {value.skipped})")
            else:
                lines.append(pad + name)

    emit(nodes, 1)
    return lines


def file_heading(path: str) -> str:
    """``## File: path``; a path that markdown would mangle goes in a code span."""
    shown = path if escape_inline(path) == path and "`" not in path else inline_code(path)
    return f"## File: {shown}"


def render(roots: list[Root], priority: list[str]) -> str:
    """The markdown body for the classified roots."""
    tree: list[str] = []
    for root in roots:
        strip = f"{root.label}/" if len(roots) > 1 else ""
        tree.extend(tree_lines(root.label, root.items, strip))
    parts = ["## File tree\n", fenced_block("\n".join(tree) + "\n", "text")]
    items = [i for root in roots for i in root.items]
    for item in order(items, priority):
        if item.text is None:
            continue
        parts.append(f"{file_heading(item.path)}\n")
        parts.append(fenced_block(item.text, language(item.path)))
    return "\n".join(parts)


# --- options and entry point -------------------------------------------------------------------


def _options(request: ConvertRequest) -> tuple[list[str], int]:
    priority = request.options.get("repo_priority") or []
    if isinstance(priority, str):
        priority = [priority]
    if not isinstance(priority, list) or not all(isinstance(p, str) for p in priority):
        raise ConversionError("repo_priority must be a list of glob patterns")
    max_kb = request.options.get("repo_max_file_kb", DEFAULT_MAX_FILE_KB)
    if isinstance(max_kb, bool) or not isinstance(max_kb, (int, float)) or max_kb <= 0:
        raise ConversionError(f"repo_max_file_kb must be a positive number, not {max_kb!r}")
    return priority, int(max_kb * 1024)


def convert(request: ConvertRequest) -> ConvertResult:
    """Convert the repository checkout(s) or archive(s) of ``request`` to markdown."""
    priority, max_bytes = _options(request)
    if not request.raw:
        raise ConversionError("no raw folder or archive to convert")
    roots: list[Root] = []
    notes: list[str] = []
    for raw in request.raw:
        shown = f"sources/{request.resource_id}/{raw.rel}"
        root, root_notes = load_root(raw, shown, max_bytes)
        if len(request.raw) > 1:
            for item in root.items:
                item.path = f"{root.label}/{item.local}"
            root_notes = [f"{root.label}/{note}" for note in root_notes]
        roots.append(root)
        notes.extend(root_notes)
        if root.ignored:
            notes.append(f"{raw.rel}: {root.ignored} path(s) left out as .gitignore says")
    return ConvertResult(body=render(roots, priority), kind="repo", notes=notes)

