"""Read ``refs/manifest.yaml`` with line numbers, and edit it without losing anything.

Reading and editing both use ruamel.yaml's round-trip parser: it records the line of every
key, and editing changes only the text of the values it sets, so the authors' comments, key
order, quoting and indentation survive every tool that writes the manifest.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from .errors import ReflibError, SyntaxProblem
from .frontmatter import normalize_newlines
from .fsutil import atomic_write

MANIFEST_SYNTAX = "manifest-syntax"
"""Finding code of a manifest that is not valid YAML."""


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


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    return yaml


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def parse(text: str, path: str | Path) -> ManifestDoc:
    """Parse manifest text. Raises :class:`ReflibError` with line and column for bad YAML."""
    path = Path(path)
    text = normalize_newlines(text)
    try:
        data = _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise SyntaxProblem(
            f"manifest is not valid YAML: {problem}; fix the YAML at this line (an indent, a "
            f"missing ':' or an unclosed quote are the usual causes)",
            path,
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
            code=MANIFEST_SYNTAX,
        ) from None
    except (YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise SyntaxProblem(f"manifest is not valid YAML: {exc}", path, 1,
                            code=MANIFEST_SYNTAX) from None
    problems: list[tuple[int, str]] = []
    entries: list[Entry] = []
    top_keys: dict[str, int] = {}
    if data is None:
        problems.append((1, "manifest is empty; it needs a top-level 'resources:' list"))
        return ManifestDoc(path, entries, top_keys, problems)
    if not isinstance(data, CommentedMap):
        problems.append((1, "manifest must be a mapping with a top-level 'resources:' list"))
        return ManifestDoc(path, entries, top_keys, problems)
    for key in data:
        top_keys[str(key)] = data.lc.key(key)[0] + 1
    resources = data.get("resources")
    if "resources" not in data:
        problems.append((1, "manifest has no top-level 'resources:' list"))
    elif resources is None:
        pass
    elif not isinstance(resources, CommentedSeq):
        problems.append((top_keys["resources"], "'resources' must be a list of entries"))
    else:
        for index, item in enumerate(resources):
            line = resources.lc.item(index)[0] + 1
            if not isinstance(item, CommentedMap):
                problems.append((line, f"resources[{index}] must be a mapping with id, title, ..."))
                continue
            key_lines = {str(k): item.lc.key(k)[0] + 1 for k in item}
            first = min(key_lines.values(), default=line)
            entries.append(Entry(_plain(item), first, key_lines, index))
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


_SIMPLE_SCALAR = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$")


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_scalar_text(v) for v in value) + "]"
    text = str(value)
    if _SIMPLE_SCALAR.match(text) and text.lower() not in {"true", "false", "null", "yes", "no",
                                                           "on", "off", "~"}:
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _value_end(lines: list[str], start: int, key_indent: int) -> int:
    """Index after the last line of a value starting on ``lines[start]``."""
    end = start + 1
    while end < len(lines):
        line = lines[end]
        stripped = line.strip()
        indent = len(line) - len(line.lstrip(" "))
        if stripped and not stripped.startswith("#") and indent <= key_indent:
            break
        end += 1
    while end - 1 > start and not lines[end - 1].strip():
        end -= 1
    return end


def edit_text(text: str, path: str | Path, resource_id: str, changes: Mapping[str, Any]) -> str:
    """Return manifest ``text`` with the keys of entry ``resource_id`` set to ``changes``.

    Only the lines of the changed values are rewritten; a missing key is added after the
    entry's last key with the entry's indentation. Raises :class:`ReflibError` when the id
    is not in the manifest or the result would not parse back to the requested values.
    """
    text = normalize_newlines(text)
    yaml = _yaml()
    try:
        data = yaml.load(text)
    except (YAMLError, ValueError) as exc:
        raise ReflibError(f"manifest is not valid YAML: {exc}", path) from None
    resources = data.get("resources") if isinstance(data, CommentedMap) else None
    if not isinstance(resources, CommentedSeq):
        raise ReflibError("manifest has no 'resources:' list", path, 1)
    target: CommentedMap | None = None
    for item in resources:
        if isinstance(item, CommentedMap) and str(item.get("id")) == resource_id:
            target = item
            break
    if target is None:
        raise ReflibError(f"no entry with id '{resource_id}' in the manifest", path)
    lines = text.split("\n")
    for key, value in changes.items():
        if key in target:
            line_idx, col = target.lc.key(key)
            line = lines[line_idx]
            colon = line.index(":", col)
            rest = line[colon + 1:]
            comment = ""
            m = re.search(r"\s+#.*$", rest)
            if m and not rest.strip().startswith(("'", '"')):
                comment = m.group(0)
            end = _value_end(lines, line_idx, col)
            lines[line_idx:end] = [line[: colon + 1] + " " + _scalar_text(value) + comment]
        else:
            keys = list(target.keys())
            last = keys[-1]
            line_idx, col = target.lc.key(last)
            end = _value_end(lines, line_idx, col)
            lines.insert(end, " " * col + f"{key}: {_scalar_text(value)}")
        # re-parse so later keys see the new line numbers
        new_text = "\n".join(lines)
        data = yaml.load(new_text)
        target = next(i for i in data["resources"]
                      if isinstance(i, CommentedMap) and str(i.get("id")) == resource_id)
        lines = new_text.split("\n")
    result = "\n".join(lines)
    check = _plain(next(i for i in _yaml().load(result)["resources"]
                        if isinstance(i, CommentedMap) and str(i.get("id")) == resource_id))
    for key, value in changes.items():
        want = _plain(list(value) if isinstance(value, tuple) else value)
        if check.get(key) != want:
            raise ReflibError(
                f"could not set {key!r} of '{resource_id}' without reformatting; edit it by hand",
                path,
            )
    return result


def update_entry(path: str | Path, resource_id: str, changes: Mapping[str, Any]) -> None:
    """Set keys of one manifest entry in place, atomically, keeping comments and layout."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    new = edit_text(text, path, resource_id, changes)
    if new != normalize_newlines(text):
        atomic_write(path, new)


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
