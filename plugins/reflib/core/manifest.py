"""Read ``refs/manifest.yaml`` with line numbers, and edit it without losing anything.

Reading composes the YAML with PyYAML's C parser (libyaml): one pass gives the values and the
position of every key and value (a 1,000-entry manifest reads in about 0.2 s). Anchors and
aliases (``&x`` / ``*x``) are refused: the format needs none, and an alias bomb would make every
tool that walks the values run out of memory.

Editing is positional: a value's characters are replaced in the text as it is, and a missing
key is added after the entry's last line. So the authors' comments (after a value too, quoted
or not), key order, quoting, flow-style entries (``- {id: x, status: fetched}``), line endings
(LF or CRLF) and a byte-order mark all survive. :func:`update_entries` applies a batch of
edits with one read, one parse, one check of the result and one atomic write, under an
exclusive lock (:func:`locked`): runs editing the same manifest at once (two ``reflib
convert``) wait for each other and never lose each other's changes.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reflib.core.errors import ReflibError, SyntaxProblem
from reflib.core.frontmatter import normalize_newlines
from reflib.core.fsutil import atomic_write

MANIFEST_SYNTAX = "manifest-syntax"
"""Finding code of a manifest that is not valid YAML."""
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
"""A manifest larger than this is refused (a library of 100,000 entries takes about 20 MB)."""
LOCK_NAME = "manifest.lock"
"""The lock file, under ``.cache/reflib/`` of the library (not committed)."""
LOCK_TIMEOUT = 120.0

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader


@dataclass
class Entry:
    """One manifest entry as written, with the line of each key."""

    data: dict[str, Any]
    """The entry's keys and values, in file order (values are plain Python objects)."""
    line: int
    """1-based line of the entry's first key."""
    key_lines: dict[str, int] = field(default_factory=dict)
    index: int = 0
    """Position in the ``resources`` list."""

    def line_of(self, key: str) -> int:
        """The line of ``key``, or of the entry when the key is absent."""
        return self.key_lines.get(key, self.line)


@dataclass
class ManifestDoc:
    """The parsed manifest: its entries and the problems of its outer shape."""

    path: Path
    entries: list[Entry]
    top_keys: dict[str, int]
    """Top-level keys with their lines."""
    shape_problems: list[tuple[int, str]]
    """(line, message) for a manifest whose structure is wrong (not a list, not a mapping)."""


# --- parsing -----------------------------------------------------------------------------------


def _syntax(message: str, path: Path, mark: Any = None, line: int | None = None) -> SyntaxProblem:
    return SyntaxProblem(
        f"manifest is not valid YAML: {message}; fix the YAML at this line (an indent, a "
        f"missing ':' or an unclosed quote are the usual causes)",
        path,
        mark.line + 1 if mark is not None else line,
        mark.column + 1 if mark is not None else None,
        code=MANIFEST_SYNTAX,
    )


def _compose(text: str, path: Path) -> tuple[yaml.Node | None, Any]:
    """The node tree and the plain values of ``text`` (aliases refused)."""
    if len(text) > MAX_MANIFEST_BYTES:
        raise SyntaxProblem(f"manifest is larger than {MAX_MANIFEST_BYTES // 2**20} MB; split "
                            "the library", path, 1, code=MANIFEST_SYNTAX)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _refuse_aliases(node, path)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise _syntax(exc.problem or exc.context or "invalid YAML", path, mark) from None
    except SyntaxProblem:
        raise
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise _syntax(str(exc), path, line=1) from None
    finally:
        loader.dispose()
    return node, data


def _refuse_aliases(node: yaml.Node, path: Path) -> None:
    """An alias shows as a node met twice in the tree: refused (before any value is built)."""
    seen: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            raise SyntaxProblem(
                "anchors and aliases (&name / *name) are not supported in the manifest; write "
                "the values out", path, current.start_mark.line + 1,
                current.start_mark.column + 1, code=MANIFEST_SYNTAX)
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                stack.extend((key, value))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)


def _key(node: yaml.Node) -> str:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else "?"


def parse(text: str, path: str | Path) -> ManifestDoc:
    """Parse manifest text. Raises :class:`SyntaxProblem` with line and column for bad YAML."""
    path = Path(path)
    text = normalize_newlines(text)
    node, data = _compose(text, path)
    problems: list[tuple[int, str]] = []
    entries: list[Entry] = []
    top_keys: dict[str, int] = {}
    if node is None or data is None:
        problems.append((1, "manifest is empty; it needs a top-level 'resources:' list"))
        return ManifestDoc(path, entries, top_keys, problems)
    if not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
        problems.append((1, "manifest must be a mapping with a top-level 'resources:' list"))
        return ManifestDoc(path, entries, top_keys, problems)
    seq_node: yaml.Node | None = None
    for key_node, value_node in node.value:
        name = _key(key_node)
        top_keys.setdefault(name, key_node.start_mark.line + 1)
        if name == "resources":
            seq_node = value_node
    resources = data.get("resources")
    if "resources" not in data:
        problems.append((1, "manifest has no top-level 'resources:' list"))
    elif resources is None:
        pass
    elif not isinstance(resources, list) or not isinstance(seq_node, yaml.SequenceNode):
        problems.append((top_keys["resources"], "'resources' must be a list of entries"))
    else:
        for index, (item_node, item) in enumerate(zip(seq_node.value, resources, strict=True)):
            line = item_node.start_mark.line + 1
            if not isinstance(item, dict) or not isinstance(item_node, yaml.MappingNode):
                problems.append((line, f"resources[{index}] must be a mapping with id, title, ..."))
                continue
            key_lines: dict[str, int] = {}
            for key_node, _ in item_node.value:
                key_lines.setdefault(_key(key_node), key_node.start_mark.line + 1)
            first = min(key_lines.values(), default=line)
            entries.append(Entry({str(k): v for k, v in item.items()}, first, key_lines, index))
    return ManifestDoc(path, entries, top_keys, problems)


def load(path: str | Path) -> ManifestDoc:
    """Read and parse the manifest at ``path``; an unreadable file is a :class:`ReflibError`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReflibError("manifest not found; create it or pass --root", path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReflibError(f"cannot read manifest: {exc}", path) from None
    return parse(text, path)


# --- editing -------------------------------------------------------------------------------------

_SIMPLE_SCALAR = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$")
_YAML_WORDS = {"true", "false", "null", "yes", "no", "on", "off", "~", "y", "n"}


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_scalar_text(v) for v in value) + "]"
    text = str(value)
    if _SIMPLE_SCALAR.match(text) and text.lower() not in _YAML_WORDS and \
            not re.fullmatch(r"[0-9._-]+", text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _entries_by_id(node: yaml.Node | None, path: Path) -> dict[str, yaml.MappingNode]:
    if not isinstance(node, yaml.MappingNode):
        raise ReflibError("manifest has no 'resources:' list", path, 1)
    seq = next((v for k, v in node.value if _key(k) == "resources"), None)
    if not isinstance(seq, yaml.SequenceNode):
        raise ReflibError("manifest has no 'resources:' list", path, 1)
    out: dict[str, yaml.MappingNode] = {}
    for item in seq.value:
        if not isinstance(item, yaml.MappingNode):
            continue
        for key_node, value_node in item.value:
            if _key(key_node) == "id" and isinstance(value_node, yaml.ScalarNode):
                out.setdefault(str(value_node.value), item)
    return out


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _line_end(text: str, index: int) -> int:
    end = text.find("\n", index)
    return len(text) if end < 0 else end


def _edits_for(text: str, item: yaml.MappingNode, changes: Mapping[str, Any]
               ) -> list[tuple[int, int, str]]:
    """(start, end, replacement) character edits that set ``changes`` in one entry."""
    edits: list[tuple[int, int, str]] = []
    pairs = {_key(k): (k, v) for k, v in item.value}
    added: list[str] = []
    for key, value in changes.items():
        new = _scalar_text(value)
        if key in pairs:
            key_node, value_node = pairs[key]
            start, end = value_node.start_mark.index, value_node.end_mark.index
            if isinstance(value_node, yaml.ScalarNode) and value_node.value == "" and \
                    value_node.style is None:
                # an empty value (``key:``): write after the colon
                colon = text.index(":", key_node.end_mark.index)
                start = end = colon + 1
                new = " " + new
            elif value_node.start_mark.line != key_node.start_mark.line:
                # a block value below its key: the new value goes on the key's line
                colon = text.index(":", key_node.end_mark.index)
                start = colon + 1
                end = _block_end(text, value_node)
                new = " " + new
            edits.append((start, end, new))
        else:
            added.append(f"{key}: {new}")
    if added:
        if item.flow_style:
            close = item.end_mark.index - 1  # the '}'
            edits.append((close, close, "".join(f", {a}" for a in added)))
        else:
            column = item.value[0][0].start_mark.column if item.value else 2
            end = _block_end(text, item)
            insert = "".join("\n" + " " * column + a for a in added)
            edits.append((end, end, insert))
    return edits


def _block_end(text: str, node: yaml.Node) -> int:
    """The end of the line holding the last character of ``node`` (so a trailing comment on
    that line stays before anything inserted; comment lines after it are not the node's)."""
    while isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and not node.flow_style \
            and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
    end = node.end_mark.index
    while end > 0 and text[end - 1] in " \t\n":
        end -= 1
    return _line_end(text, max(end - 1, 0))


def edit_entries(text: str, path: str | Path, edits: Mapping[str, Mapping[str, Any]]) -> str:
    """Return manifest ``text`` with the keys of each entry of ``edits`` (id -> changes) set.

    Only the characters of the changed values are rewritten; a missing key is added after the
    entry's last key with the entry's indentation (inside the braces of a flow entry). Line
    endings and a byte-order mark are kept. Raises :class:`ReflibError` when an id is not in
    the manifest or the result would not read back as the requested values.
    """
    path = Path(path)
    bom = text.startswith("\ufeff")
    crlf = "\r\n" in text and text.count("\r\n") == text.count("\n")
    body = normalize_newlines(text)
    node, _ = _compose(body, path)
    by_id = _entries_by_id(node, path)
    missing = [rid for rid in edits if rid not in by_id]
    if missing:
        raise ReflibError(f"no entry with id '{missing[0]}' in the manifest", path)
    all_edits: list[tuple[int, int, str]] = []
    for rid, changes in edits.items():
        if changes:
            all_edits.extend(_edits_for(body, by_id[rid], changes))
    for start, end, new in sorted(all_edits, key=lambda e: (e[0], e[1]), reverse=True):
        body = body[:start] + new + body[end:]
    result = parse(body, path)
    found = {str(e.data.get("id")): e.data for e in result.entries}
    for rid, changes in edits.items():
        for key, value in changes.items():
            if found.get(rid, {}).get(key) != _plain(value):
                raise ReflibError(f"could not set {key!r} of '{rid}' without reformatting; "
                                  f"edit it by hand", path)
    if crlf:
        body = body.replace("\n", "\r\n")
    return ("\ufeff" if bom else "") + body


def edit_text(text: str, path: str | Path, resource_id: str, changes: Mapping[str, Any]) -> str:
    """:func:`edit_entries` for one entry."""
    return edit_entries(text, path, {resource_id: changes})


def append_text(text: str, path: str | Path, entry: Mapping[str, Any]) -> str:
    """Return manifest ``text`` with ``entry`` added as the last item of ``resources:``.

    The entry is written in block style with the indentation of the existing items (the
    first one if ``resources:`` is empty); everything else is kept byte for byte, comments,
    line endings and a byte-order mark included. An empty flow list (``resources: []``)
    becomes a block list. Raises :class:`ReflibError` when the id is already taken, the
    manifest has no ``resources:`` list, or the result would not read back as ``entry``.
    """
    path = Path(path)
    bom = text.startswith("\ufeff")
    crlf = "\r\n" in text and text.count("\r\n") == text.count("\n")
    body = normalize_newlines(text).lstrip("\ufeff")
    node, _ = _compose(body, path)
    rid = str(entry.get("id"))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if _key(key_node) == "resources" and isinstance(value_node, yaml.ScalarNode) and \
                    value_node.tag.endswith(":null"):
                # ``resources:`` with nothing after it
                colon = body.index(":", key_node.end_mark.index)
                end = _line_end(body, colon)
                body = body[:colon + 1] + "\n" + dump_new_entry(
                    entry, key_node.start_mark.column + 2).rstrip("\n") + body[end:]
                return _finish_append(body, path, entry, bom, crlf)
    by_id = _entries_by_id(node, path)
    if rid in by_id:
        raise ReflibError(f"the id '{rid}' is taken (line {by_id[rid].start_mark.line + 1}); "
                          "choose another with --id", path, by_id[rid].start_mark.line + 1)
    assert isinstance(node, yaml.MappingNode)
    key_node, seq = next((k, v) for k, v in node.value if _key(k) == "resources")
    assert isinstance(seq, yaml.SequenceNode)
    if seq.flow_style:
        if seq.value:
            raise ReflibError("'resources:' is a flow list ([...]) with entries: write it as "
                              "a block list (one '- id: ...' per entry) to add to it", path,
                              seq.start_mark.line + 1)
        indent = key_node.start_mark.column + 2
        start, end = seq.start_mark.index, seq.end_mark.index
        block = dump_new_entry(entry, indent).rstrip("\n")
        body = body[:start].rstrip(" ") + "\n" + block + body[end:]
    else:
        indent = seq.start_mark.column  # the column of the items' dashes
        end = _block_end(body, seq)
        block = dump_new_entry(entry, indent).rstrip("\n")
        separator = "\n\n" if len(seq.value) > 0 and _blank_between(body, seq) else "\n"
        body = body[:end] + separator + block + body[end:]
        if not body.endswith("\n"):
            body += "\n"
    return _finish_append(body, path, entry, bom, crlf)


def _finish_append(body: str, path: Path, entry: Mapping[str, Any], bom: bool,
                   crlf: bool) -> str:
    """Check that ``body`` reads back with ``entry``; restore line endings and BOM."""
    rid = str(entry.get("id"))
    result = parse(body, path)
    added = next((e.data for e in result.entries if str(e.data.get("id")) == rid), None)
    if added is None or any(added.get(k) != _plain(v) for k, v in entry.items()):
        raise ReflibError(f"could not add '{rid}' without reformatting the manifest; add it by "
                          "hand", path)
    if crlf:
        body = body.replace("\n", "\r\n")
    return ("\ufeff" if bom else "") + body


def _blank_between(text: str, seq: yaml.SequenceNode) -> bool:
    """Whether the authors separate entries with a blank line (the last two, if any)."""
    if len(seq.value) < 2:
        return True
    gap = text[_block_end(text, seq.value[-2]):seq.value[-1].start_mark.index]
    return "\n\n" in gap.replace(" ", "").replace("\t", "")


# --- the lock and the writes ----------------------------------------------------------------


def _lock_path(manifest_path: Path) -> Path:
    root = manifest_path.resolve().parent.parent
    return root / ".cache" / "reflib" / LOCK_NAME


@contextlib.contextmanager
def locked(manifest_path: str | Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the library's manifest lock (an exclusive ``flock`` on
    ``.cache/reflib/manifest.lock``) for a read-edit-write of the manifest. Raises
    :class:`ReflibError` when another run holds it for longer than ``timeout`` seconds."""
    lock = _lock_path(Path(manifest_path))
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock, "a+b")  # noqa: SIM115 - held for the block
    except OSError:
        yield  # a read-only library: nothing to lock (and nothing will be written)
        return
    try:
        _acquire(handle, timeout, Path(manifest_path))
        yield
    finally:
        with contextlib.suppress(OSError):
            _release(handle)
        handle.close()


def _acquire(handle: io.BufferedRandom, timeout: float, path: Path) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            _try_lock(handle)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise ReflibError(f"another reflib run has held the manifest lock for "
                                  f"{timeout:.0f} s; try again when it has finished",
                                  path) from None
            time.sleep(0.02)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(handle: io.BufferedRandom) -> None:
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

    def _release(handle: io.BufferedRandom) -> None:
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(handle: io.BufferedRandom) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _release(handle: io.BufferedRandom) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def update_entries(path: str | Path, edits: Mapping[str, Mapping[str, Any]]) -> None:
    """Apply ``edits`` (id -> changes) to the manifest at ``path`` under the lock: one read of
    the file as it is now, one parse, one atomic write. Comments and layout are kept."""
    path = Path(path)
    if not any(edits.values()):
        return
    with locked(path):
        raw = path.read_bytes()
        text = raw.decode("utf-8")
        new = edit_entries(text, path, edits)
        if new != text:
            atomic_write(path, new)


def update_entry(path: str | Path, resource_id: str, changes: Mapping[str, Any]) -> None:
    """Set keys of one manifest entry in place (see :func:`update_entries`)."""
    update_entries(path, {resource_id: changes})


def append_entry(path: str | Path, entry: Mapping[str, Any]) -> None:
    """Add ``entry`` to the manifest at ``path`` under the lock (see :func:`append_text`)."""
    path = Path(path)
    with locked(path):
        text = path.read_bytes().decode("utf-8")
        atomic_write(path, append_text(text, path, entry))


def dump_new_entry(entry: Mapping[str, Any], indent: int = 2) -> str:
    """YAML text of a new entry for appending under ``resources:``."""
    buf = io.StringIO()
    pad = " " * indent
    first = True
    for key, value in entry.items():
        prefix = pad + ("- " if first else "  ")
        buf.write(f"{prefix}{key}: {_scalar_text(value)}\n")
        first = False
    return buf.getvalue()


__all__ = [
    "MANIFEST_SYNTAX", "Entry", "ManifestDoc", "append_entry", "append_text", "dump_new_entry",
    "edit_entries", "edit_text", "load", "locked", "parse", "update_entries", "update_entry",
]
