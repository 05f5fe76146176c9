"""YAML front matter: split it from a markdown file, and write it back.

Front matter is a YAML mapping between a first line ``---`` and the next line ``---`` (or
``...``). Parsing uses PyYAML's C loader when present: it is on the hot path of ``check``.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reflib.core.errors import ReflibError, SyntaxProblem

FRONT_MATTER_SYNTAX = "front-matter-syntax"
"""Finding code of front matter that cannot be parsed."""
MAX_FRONT_MATTER = 1024 * 1024
"""Front matter larger than this is refused."""

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

_KEY_LINE = re.compile(r"^([A-Za-z0-9_][A-Za-z0-9_.-]*)[ \t]*:")


@dataclass
class FrontMatter:
    """A markdown file split into its front matter and body."""

    meta: dict[str, Any] | None
    """The front matter mapping, or ``None`` when the file has none."""
    body: str
    """Everything after the closing ``---`` line (the whole text when there is no front matter)."""
    body_line: int = 1
    """1-based line number in the file of the body's first line."""
    key_lines: dict[str, int] = field(default_factory=dict)
    """1-based file line of each top-level key."""


def normalize_newlines(text: str) -> str:
    """CRLF and CR line endings to LF, and a leading BOM removed."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _load_plain(yaml_text: str, path: str | Path | None) -> Any:
    """The YAML's values; anchors and aliases are refused before any value is built (an
    alias bomb would otherwise exhaust memory in whatever walks the values)."""
    loader = _Loader(yaml_text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        seen: set[int] = set()
        stack = [node]
        while stack:
            current = stack.pop()
            if id(current) in seen:
                raise SyntaxProblem("front matter: anchors and aliases (&name / *name) are not "
                                    "supported; write the values out", path,
                                    current.start_mark.line + 2, current.start_mark.column + 1,
                                    code=FRONT_MATTER_SYNTAX)
            seen.add(id(current))
            if isinstance(current, yaml.MappingNode):
                for key, value in current.value:
                    stack.extend((key, value))
            elif isinstance(current, yaml.SequenceNode):
                stack.extend(current.value)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def split(text: str, path: str | Path | None = None) -> FrontMatter:
    """Split ``text`` into front matter and body.

    Raises :class:`ReflibError` naming ``path``, line and column when the front matter is
    not closed, is not valid YAML, or is not a mapping.
    """
    text = normalize_newlines(text)
    if not (text.startswith("---\n") or text == "---" or text.startswith("---\r")):
        return FrontMatter(None, text, 1)
    end = None
    pos = 4
    line_no = 2
    while True:
        nl = text.find("\n", pos)
        line = text[pos:] if nl == -1 else text[pos:nl]
        if line.rstrip() in ("---", "..."):
            end = pos
            after = len(text) if nl == -1 else nl + 1
            break
        if nl == -1:
            break
        pos = nl + 1
        line_no += 1
    if end is None:
        raise SyntaxProblem(
            "front matter opened with '---' on line 1 is never closed; add a line '---' after it",
            path,
            1,
            code=FRONT_MATTER_SYNTAX,
        )
    yaml_text = text[4:end]
    if len(yaml_text) > MAX_FRONT_MATTER:
        raise SyntaxProblem(f"front matter is larger than {MAX_FRONT_MATTER // 1024} KB; keep "
                            "it to metadata", path, 1, code=FRONT_MATTER_SYNTAX)
    try:
        meta = _load_plain(yaml_text, path) if yaml_text.strip() else {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        err_line = mark.line + 2 if mark else None
        err_column = mark.column + 1 if mark else None
        problem = exc.problem or str(exc)
        raise SyntaxProblem(f"front matter is not valid YAML: {problem}", path, err_line,
                            err_column, code=FRONT_MATTER_SYNTAX) from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        raise SyntaxProblem(f"front matter is not valid YAML: {exc}", path, 2,
                            code=FRONT_MATTER_SYNTAX) from None
    if not isinstance(meta, dict):
        raise SyntaxProblem(
            f"front matter must be a YAML mapping of keys to values, not {type(meta).__name__}",
            path,
            2,
            code=FRONT_MATTER_SYNTAX,
        )
    meta = {str(k): v for k, v in meta.items()}
    key_lines: dict[str, int] = {}
    for offset, raw in enumerate(yaml_text.split("\n")):
        m = _KEY_LINE.match(raw)
        if m and m.group(1) not in key_lines:
            key_lines[m.group(1)] = offset + 2
    return FrontMatter(meta, text[after:], line_no + 1, key_lines)


class _Dumper(yaml.SafeDumper):
    pass


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str_representer)


def dump_meta(meta: dict[str, Any]) -> str:
    """The YAML text of a front-matter mapping, keys in the given order."""
    clean = {k: (v.isoformat() if isinstance(v, _dt.datetime) else v) for k, v in meta.items()}
    return yaml.dump(
        clean,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )


def render(meta: dict[str, Any], body: str) -> str:
    """A markdown file with ``meta`` as front matter followed by ``body``."""
    if not body.endswith("\n"):
        body += "\n"
    return f"---\n{dump_meta(meta)}---\n{body}"


# --- editing keys in place ------------------------------------------------------------

_CLOSE = re.compile(r"^(---|\.\.\.)[ \t]*$")


def set_keys(text: str, changes: dict[str, str], after: str | None = None) -> str:
    """``text`` with top-level front-matter keys set to the YAML scalars in ``changes``.

    Only the lines of the changed keys are rewritten (a comment after a plain value is kept);
    a missing key is inserted after ``after`` (or after the previous key of ``changes``), else
    at the end of the front matter. Everything else stays byte-identical, line endings
    included. Raises :class:`ReflibError` when there is no front matter or the result would
    not parse back to the requested values.
    """
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n") != "---":
        raise ReflibError("the file has no front matter ('---' on the first line)")
    close = next((i for i in range(1, len(lines)) if _CLOSE.match(lines[i].rstrip("\r\n"))),
                 None)
    if close is None:
        raise ReflibError("the front matter is never closed with '---'")
    newline = "\r\n" if lines[0].endswith("\r\n") else "\n"
    anchor_key = after
    for key, value in changes.items():
        # a block value (a mapping) starts on the next line: "key:" then indented lines
        entry = (f"{key}:{value}" if value.startswith("\n") else f"{key}: {value}")
        entry = entry.replace("\n", newline)
        key_re = re.compile(rf"^{re.escape(key)}[ \t]*:(.*)$")
        idx = next((i for i in range(1, close) if key_re.match(lines[i].rstrip("\r\n"))), None)
        if idx is not None:
            rest = key_re.match(lines[idx].rstrip("\r\n")).group(1)  # type: ignore[union-attr]
            comment = ""
            m = re.search(r"\s+#.*$", rest)
            if m and not rest.strip().startswith(("'", '"', "|", ">")):
                comment = m.group(0)
            end = idx + 1
            while end < close and (lines[end].startswith((" ", "\t"))
                                   or not lines[end].strip()):
                end += 1
            while end - 1 > idx and not lines[end - 1].strip():
                end -= 1
            if value.startswith("\n"):
                comment = ""
            lines[idx:end] = [f"{entry}{comment}{newline}"]
            close -= end - idx - 1
        else:
            pos = close
            if anchor_key is not None:
                a_re = re.compile(rf"^{re.escape(anchor_key)}[ \t]*:")
                a_idx = next((i for i in range(1, close) if a_re.match(lines[i])), None)
                if a_idx is not None:
                    pos = a_idx + 1
                    while pos < close and lines[pos].startswith((" ", "\t")):
                        pos += 1
            lines.insert(pos, f"{entry}{newline}")
            close += 1
        anchor_key = key
    result = "".join(lines)
    fm = split(result)
    meta = fm.meta or {}
    for key, value in changes.items():
        got = meta.get(key)
        want = split(f"---\nv:{'' if value.startswith(chr(10)) else ' '}{value}"
                                 f"\n---\n").meta or {}
        if got != want.get("v"):
            raise ReflibError(f"could not set '{key}' in the front matter without reformatting; "
                              "edit it by hand")
    return result
