"""The manifest's rules: keys and values of every entry, and each status against the files on disk."""

from __future__ import annotations

import datetime as _dt
import posixpath
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reflib.checks.findings import (
    _FP_RE,
    _ID_RE,
    _STATUS_RANK,
    MANIFEST,
    Finding,
    _f,
    did_you_mean,
    is_hand_conversion,
)
from reflib.core import paths
from reflib.core.model import (
    Library,
    Resource,
)
from reflib.core.schema import (
    RESOURCE_FIELDS,
    Field,
)

# --- YAML fields --------------------------------------------------------------------------


def _check_fields(
    data: dict[str, Any],
    fields: tuple[Field, ...],
    path: str,
    line_of: Any,
    code: str,
    what: str,
    converter_output: bool = False,
) -> Iterator[Finding]:
    """Required keys, unknown keys (with did-you-mean) and value types of one mapping.

    ``converter_output``: the mapping is a full text's front matter written by a reflib
    converter, so the provenance keys only a converter writes are required too."""
    known = {f.name: f for f in fields}
    for key in data:
        if key not in known:
            yield _f(path, line_of(key), f"{code}-unknown-key",
                     f"{what}: unknown key '{key}'{did_you_mean(key, known)}")
    for spec in fields:
        required = spec.required or (spec.by_converter and converter_output)
        if required and (spec.name not in data or data[spec.name] in (None, "")):
            why = f" (written by every reflib converter; this file says converter: " \
                  f"{data.get('converter')})" if not spec.required else ""
            yield _f(path, line_of(spec.name), f"{code}-missing-key",
                     f"{what}: required key '{spec.name}' is missing{why}")
    for key, value in data.items():
        found = known.get(key)
        if found is None or value is None:
            continue
        problem = _value_problem(found, value)
        if problem:
            yield _f(path, line_of(key), f"{code}-bad-value", f"{what}: '{key}' {problem}")


def _value_problem(f: Field, value: Any) -> str | None:
    if f.kind == "enum":
        if not isinstance(value, str) or value not in f.choices:
            return (f"is {value!r}, not one of {', '.join(f.choices)}"
                    f"{did_you_mean(str(value), f.choices)}")
    elif f.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return f"must be a whole number, not {value!r}"
    elif f.kind == "ratio":
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not 0 <= value <= 1:
            return f"must be a number from 0 to 1, not {value!r}"
    elif f.kind == "url":
        if not isinstance(value, str) or not re.match(r"^[a-z][a-z0-9+.-]*://\S+$", value, re.I):
            return f"must be an absolute URL such as https://..., not {value!r}"
    elif f.kind == "date":
        if isinstance(value, str):
            try:
                _dt.date.fromisoformat(value[:10])
            except ValueError:
                return f"must be a date YYYY-MM-DD, not {value!r}"
        elif not isinstance(value, _dt.date):
            return f"must be a date YYYY-MM-DD, not {value!r}"
    elif f.kind == "list":
        if isinstance(value, str):
            return f"must be a list such as [{value}], not a single string"
        if not isinstance(value, list):
            return f"must be a list, not {type(value).__name__}"
        bad = [v for v in value if not isinstance(v, str)]
        if bad:
            return f"must list strings only, not {bad[0]!r}"
        if f.pattern:
            wrong = [v for v in value if not re.match(f.pattern, v)]
            if wrong:
                return f"entry {wrong[0]!r} does not match {f.pattern}"
    elif f.kind == "map":
        if not isinstance(value, dict):
            return f"must be a mapping of file to hash, not {type(value).__name__}"
    elif f.kind == "fingerprints":
        if not isinstance(value, dict):
            return (f"must be a mapping of '<id>#<anchor>' to a fingerprint, not "
                    f"{type(value).__name__}")
        bad = [k for k, v in value.items() if not isinstance(v, str) or not _FP_RE.match(v)]
        if bad:
            return (f"entry '{bad[0]}' must map to a hex fingerprint; re-approve the card to "
                    f"record it again")
    elif f.kind == "str":
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            return f"must be text, not {type(value).__name__}"
        if f.pattern and not re.match(f.pattern, str(value)):
            return f"{value!r} does not match {f.pattern}"
    return None


# --- manifest ----------------------------------------------------------------------------


def check_manifest(lib: Library) -> Iterator[Finding]:
    """Shape, keys, values, ids and topics of the manifest."""
    doc = lib.manifest
    for line, message in doc.shape_problems:
        yield _f(MANIFEST, line, "manifest-shape", message)
    for key, line in doc.top_keys.items():
        if key != "resources":
            yield _f(MANIFEST, line, "manifest-unknown-key",
                     f"unknown top-level key '{key}'{did_you_mean(key, ['resources'])}")
    seen: dict[str, int] = {}
    topics = set(lib.topics)
    for entry in doc.entries:
        rid = entry.data.get("id")
        label = f"resource '{rid}'" if isinstance(rid, str) else f"resources[{entry.index}]"
        yield from _check_fields(entry.data, RESOURCE_FIELDS, MANIFEST, entry.line_of,
                                 "manifest", label)
        if isinstance(rid, str):
            if "/" in rid or "\\" in rid or ".." in rid:
                yield _f(MANIFEST, entry.line_of("id"), "manifest-unsafe-id",
                         f"id '{rid}' must not contain path separators or '..'")
            elif not _ID_RE.match(rid):
                yield _f(MANIFEST, entry.line_of("id"), "manifest-bad-id",
                         f"id '{rid}' must be lowercase letters, digits, '.', '_' or '-' "
                         f"and start with a letter or digit (try '{_suggest_id(rid)}')")
            if rid in seen:
                yield _f(MANIFEST, entry.line_of("id"), "manifest-duplicate-id",
                         f"id '{rid}' is used again; first used on line {seen[rid]}")
            else:
                seen[rid] = entry.line_of("id")
        elif rid is not None:
            yield _f(MANIFEST, entry.line_of("id"), "manifest-bad-value",
                     f"{label}: 'id' must be text, not {rid!r}")
        status = entry.data.get("status")
        if status == "link_only" and not entry.data.get("url"):
            yield _f(MANIFEST, entry.line_of("status"), "manifest-missing-key",
                     f"{label}: a link_only resource needs a 'url'")
        for topic in entry.data.get("topics") or [] if isinstance(entry.data.get("topics"),
                                                                  list) else []:
            if isinstance(topic, str) and topic not in topics:
                yield _f(MANIFEST, entry.line_of("topics"), "manifest-unknown-topic",
                         f"{label}: topic '{topic}' has no page {paths.topic_rel(topic)}"
                         f"{did_you_mean(topic, topics)}")
        raw = entry.data.get("raw")
        if isinstance(raw, list):
            for item in raw:
                if isinstance(item, str) and not paths.is_safe_relative(item):
                    yield _f(MANIFEST, entry.line_of("raw"), "manifest-unsafe-raw",
                             f"{label}: raw entry '{item}' must be a relative path inside "
                             f"sources/{rid}/ (no '..', no absolute path)")


def _suggest_id(rid: str) -> str:
    out = re.sub(r"[^a-z0-9._-]+", "-", rid.lower()).strip("-._")
    return out or "resource"


# --- status against the files on disk -------------------------------------------------------


def _raw_files_on_disk(folder: Path) -> set[str]:
    """Files under ``raw/``, relative to the resource folder."""
    raw = folder / paths.RAW_DIR
    if not raw.is_dir():
        return set()
    return {p.relative_to(folder).as_posix() for p in raw.rglob("*")
            if p.is_file() and not p.name.startswith(".")}


def check_status(lib: Library) -> Iterator[Finding]:
    """The manifest's status of each resource against what exists on disk, both ways."""
    for res in lib.resources.values():
        yield from _check_resource_status(lib, res)
    yield from _check_git_ignored_raw(lib)
    known = set(lib.resources)
    sources = lib.root / paths.SOURCES_DIR
    if sources.is_dir():
        for folder in sorted(p for p in sources.iterdir() if p.is_dir()):
            if folder.name not in known and not folder.name.startswith("."):
                yield _f(f"{paths.SOURCES_DIR}/{folder.name}", 1, "orphan-source",
                         f"folder has no manifest entry with id '{folder.name}'"
                         f"{did_you_mean(folder.name, known)}; add one or remove the folder")
    for stem, card in lib.cards.items():
        if stem not in known:
            yield _f(card.rel, 1, "orphan-card",
                     f"card for unknown resource '{stem}'{did_you_mean(stem, known)}; "
                     f"add a manifest entry or rename the card")


def _check_resource_status(lib: Library, res: Resource) -> Iterator[Finding]:
    status = res.status
    if status not in _STATUS_RANK or not _ID_RE.match(res.id):
        return
    rank = _STATUS_RANK[status]
    line = res.entry.line_of("status")
    folder = lib.root / paths.source_dir_rel(res.id)
    src_rel = paths.source_dir_rel(res.id)
    on_disk = _raw_files_on_disk(folder)
    listed = [r for r in res.raw if paths.is_safe_relative(r)]
    for item in listed:
        target = folder / item
        if (target.exists() or target.is_symlink()) and paths.outside(target, lib.root):
            yield _f(MANIFEST, res.entry.line_of("raw"), "raw-outside-library",
                     f"'{res.id}': {src_rel}/{item} is a symbolic link to a place outside the "
                     f"library; it is not converted or published: copy the files in instead")
    if rank >= 1:
        if not res.raw:
            yield _f(MANIFEST, line, "status-raw-missing",
                     f"'{res.id}' is {status} but lists no raw files; add 'raw: [raw/...]'")
        for item in listed:
            target = folder / item
            if not target.exists():
                yield _f(MANIFEST, res.entry.line_of("raw"), "status-raw-missing",
                         f"'{res.id}': raw file {src_rel}/{item} does not exist"
                         f"{did_you_mean(item, on_disk)}")
    covered: set[str] = set()
    for item in listed:
        target = folder / item
        if target.is_dir():
            covered.update(f for f in on_disk if f == item or f.startswith(item.rstrip("/") + "/"))
        else:
            covered.add(posixpath.normpath(item))
    unlisted = sorted(on_disk - covered)
    if rank == 0 and on_disk:
        yield _f(MANIFEST, line, "status-behind-disk",
                 f"'{res.id}' is link_only but {src_rel}/raw/ holds {len(on_disk)} file(s); "
                 f"set 'status: fetched' and list them in 'raw'")
    elif unlisted:
        shown = ", ".join(unlisted[:3]) + (" ..." if len(unlisted) > 3 else "")
        yield _f(MANIFEST, res.entry.line_of("raw"), "status-raw-unlisted",
                 f"'{res.id}': {len(unlisted)} file(s) in {src_rel}/raw/ are not listed in "
                 f"'raw': {shown}")
    full_rel = paths.fulltext_rel(res.id)
    if rank >= 2 and res.fulltext is None:
        yield _f(MANIFEST, line, "status-fulltext-missing",
                 f"'{res.id}' is {status} but {full_rel} does not exist; run "
                 f"'reflib convert {res.id}' or set 'status: fetched'")
    if rank < 2 and res.fulltext is not None:
        how = (f"register it with 'reflib convert {res.id} --manual'"
               if is_hand_conversion(res.fulltext) else "set 'status: converted'")
        yield _f(MANIFEST, line, "status-behind-disk",
                 f"'{res.id}' is {status} but {full_rel} exists; {how}")
    review = res.review
    if status == "condensed":
        if res.card is None:
            yield _f(MANIFEST, line, "status-card-missing",
                     f"'{res.id}' is condensed but has no card {paths.card_rel(res.id)}")
        elif review != "approved":
            yield _f(MANIFEST, line, "status-card-not-approved",
                     f"'{res.id}' is condensed but its card is '{review or 'unreviewed'}'; "
                     f"approve it with 'reflib review {res.id} --approve' or set "
                     f"'status: converted'")
    elif review == "approved" and res.card is not None:
        yield _f(MANIFEST, line, "status-behind-disk",
                 f"'{res.id}' has an approved card but is {status}; set 'status: condensed'")


def _check_git_ignored_raw(lib: Library) -> Iterator[Finding]:
    """Raw files that git would not commit (an ignore rule, often a fetched repo's own
    ``.gitignore``, matches them and they are not tracked): a fresh clone would lack them."""
    if not (lib.root / ".git").exists():
        return
    files = sorted(
        f"{paths.source_dir_rel(rid)}/{rel}"
        for rid in lib.resources
        if paths.is_safe_relative(rid)
        for rel in _raw_files_on_disk(lib.root / paths.source_dir_rel(rid)))
    if not files:
        return
    try:
        proc = subprocess.run(["git", "-C", str(lib.root), "check-ignore", "--stdin", "-z"],
                              input="\0".join(files) + "\0", capture_output=True, text=True,
                              timeout=60)
    except (OSError, subprocess.SubprocessError):
        return
    if proc.returncode not in (0, 1):
        return
    for rel in sorted(p for p in proc.stdout.split("\0") if p):
        rid = rel.split("/")[1]
        res = lib.resources.get(rid)
        line = res.entry.line_of("raw") if res else 1
        yield _f(MANIFEST, line, "raw-git-ignored",
                 f"'{rid}': {rel} is ignored by git (a .gitignore rule matches it), so a "
                 f"clone will lack it; commit it with 'git add -f {rel}'")
