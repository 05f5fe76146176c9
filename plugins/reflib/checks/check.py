"""Every consistency rule of the library format, as pure functions over the model.

:func:`run` returns :class:`Finding` objects sorted by file and line. Nothing here writes to
the library or renders markdown. Each finding has a stable ``code`` (the rule) so tools can
filter; its text form is ``path:line: message [code]``.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import posixpath
import re
import stat
import subprocess
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reflib.core import approval, evidence, paths
from reflib.core.errors import ReflibError, SyntaxProblem
from reflib.core.fsutil import sha256_path
from reflib.core.model import (
    KIND_CARD,
    KIND_DOC,
    KIND_FULLTEXT,
    KIND_TOPIC,
    TODO_MARK,
    Document,
    Library,
    Resource,
    load_document,
)
from reflib.core.schema import (
    CARD_FIELDS,
    FULLTEXT_FIELDS,
    ID_PATTERN,
    RESOURCE_FIELDS,
    STATUSES,
    TOPIC_FIELDS,
    TOPIC_PATTERN,
    TOPIC_SECTIONS,
    Field,
    is_reflib_converter,
)

MANIFEST = paths.MANIFEST
_STATUS_RANK = {s: i for i, s in enumerate(STATUSES)}
_ID_RE = re.compile(ID_PATTERN)
_TOPIC_RE = re.compile(TOPIC_PATTERN)
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_FP_RE = re.compile(r"^[0-9a-f]{16,64}$")


@dataclass(frozen=True, order=True)
class Finding:
    """One problem, at one place."""

    path: str
    line: int
    column: int
    code: str
    message: str

    def text(self) -> str:
        """``path:line: message [code]``, or ``path:line:column: ...`` when the column is
        known (the form compilers use, which editors jump to)."""
        col = f":{self.column}" if self.column else ""
        return f"{self.path}:{self.line}{col}: {self.message} [{self.code}]"

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "column": self.column,
                "code": self.code, "message": self.message}


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or an empty string."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


def _f(path: str, line: int, code: str, message: str, column: int = 0) -> Finding:
    return Finding(path, max(line, 1), column, code, message)


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


# --- front matter -----------------------------------------------------------------------


def check_documents(lib: Library) -> Iterator[Finding]:
    """Readability and front matter of full texts, cards and topics; topic sections."""
    for doc in lib.documents.values():
        if doc.error is not None:
            code = doc.error.code if isinstance(doc.error, SyntaxProblem) else (
                "outside-library" if doc.outside else "unreadable")
            yield _f(doc.rel, doc.error.line or 1, code, doc.error.message,
                     doc.error.column or 0)
            continue
        if doc.kind == KIND_FULLTEXT:
            yield from _check_fulltext(lib, doc)
        elif doc.kind == KIND_CARD:
            yield from _check_card(doc)
        elif doc.kind == KIND_TOPIC:
            yield from _check_topic(doc)
        yield from _check_duplicate_anchors(doc)


def _line_of(doc: Document) -> Callable[[str], int]:
    return lambda key: doc.key_lines.get(key, 1)


def is_hand_conversion(doc: Document) -> bool:
    """True for a full text that no reflib converter wrote (``converter: manual``, another
    tool's name, or no front matter or converter at all)."""
    return not is_reflib_converter((doc.meta or {}).get("converter"))


def _check_fulltext(lib: Library, doc: Document) -> Iterator[Finding]:
    rid = paths.fulltext_id(doc.rel) or ""
    res = lib.resources.get(rid)
    for line in doc.todo_lines:
        yield _f(doc.rel, line, "fulltext-unfinished",
                 f"placeholder '{TODO_MARK}' left from 'reflib new fulltext': transcribe this "
                 f"part, then remove the comment")
    if doc.meta is None:
        yield _f(doc.rel, 1, "fulltext-front-matter",
                 f"full text has no front matter; a hand conversion needs id, title, "
                 f"source_url and tier: register it with 'reflib convert {rid} --manual' "
                 f"(or run 'reflib convert {rid}')")
        return
    yield from _check_fields(doc.meta, FULLTEXT_FIELDS, doc.rel, _line_of(doc),
                             "fulltext", "front matter",
                             converter_output=not is_hand_conversion(doc))
    if res is not None and res.url and not doc.meta.get("source_url"):
        yield _f(doc.rel, 1, "fulltext-missing-key",
                 f"front matter: required key 'source_url' is missing (the manifest's url is "
                 f"{res.url})")
    fid = doc.meta.get("id")
    if fid is not None and str(fid) != rid:
        yield _f(doc.rel, doc.key_lines.get("id", 1), "fulltext-id-mismatch",
                 f"front matter id '{fid}' does not match its folder '{rid}'")
    tier = doc.meta.get("tier")
    if tier is not None and tier != 2:
        yield _f(doc.rel, doc.key_lines.get("tier", 1), "fulltext-bad-value",
                 f"front matter: 'tier' must be 2 for a full text, not {tier!r}")
    hashes = doc.meta.get("raw_sha256")
    if isinstance(hashes, dict) and res is not None:
        yield from _check_raw_hashes(lib, doc, res, hashes)


def _check_raw_hashes(lib: Library, doc: Document, res: Resource,
                      hashes: dict[str, Any]) -> Iterator[Finding]:
    line = doc.key_lines.get("raw_sha256", 1)
    folder = lib.root / paths.source_dir_rel(res.id)
    redo = (f"update the transcription and register it again with 'reflib convert {res.id} "
            f"--manual'" if is_hand_conversion(doc) else f"re-convert with 'reflib convert "
            f"{res.id}'")
    for rel, digest in hashes.items():
        rel = str(rel)
        if not isinstance(digest, str) or not _SHA_RE.match(digest):
            yield _f(doc.rel, line, "fulltext-bad-value",
                     f"raw_sha256: '{rel}' must map to a 64-digit hex SHA-256")
            continue
        target = folder / rel
        if not paths.is_safe_relative(rel) or not target.exists():
            yield _f(doc.rel, line, "fulltext-stale",
                     f"raw_sha256 names {rel}, which does not exist in "
                     f"{paths.source_dir_rel(res.id)}/")
            continue
        try:
            actual = _sha256(target)
        except OSError as exc:
            yield _f(doc.rel, line, "unreadable", f"cannot read {rel}: {exc}")
            continue
        if actual != digest:
            yield _f(doc.rel, line, "fulltext-stale",
                     f"{rel} changed since its conversion (sha256 differs); {redo}")
    recorded = {posixpath.normpath(str(k)) for k in hashes}
    for item in res.raw:
        if posixpath.normpath(item) not in recorded:
            yield _f(doc.rel, line, "fulltext-stale",
                     f"raw file {item} is listed in the manifest but was not part of the "
                     f"conversion; {redo}")


_HASHES: dict[tuple[str, int, int, int], str] = {}
"""SHA-256 of raw files (not folders) by path, modification time, size and inode: a long-running process
(``mkdocs serve`` with ``checks: all``) hashes an unchanged raw file once."""


def _sha256(path: Path) -> str:
    st = path.stat()
    if not stat.S_ISREG(st.st_mode):  # a folder is hashed as a tree: its files may change
        return sha256_path(path)
    key = (str(path), st.st_mtime_ns, st.st_size, st.st_ino)
    digest = _HASHES.get(key)
    if digest is None:
        digest = sha256_path(path)
        if len(_HASHES) > 100_000:
            _HASHES.clear()
        _HASHES[key] = digest
    return digest


def _check_card(doc: Document) -> Iterator[Finding]:
    if doc.meta is None:
        yield _f(doc.rel, 1, "card-front-matter",
                 f"card has no front matter; start it with '---', 'id: {doc.stem}', "
                 f"'review: draft', '---'")
        return
    yield from _check_fields(doc.meta, CARD_FIELDS, doc.rel, _line_of(doc), "card",
                             "front matter")
    cid = doc.meta.get("id")
    if cid is not None and str(cid) != doc.stem:
        yield _f(doc.rel, doc.key_lines.get("id", 1), "card-id-mismatch",
                 f"front matter id '{cid}' does not match the file name '{doc.stem}'")
    if doc.meta.get("review") == "approved" and not doc.meta.get("reviewed_by"):
        yield _f(doc.rel, doc.key_lines.get("review", 1), "card-missing-key",
                 "an approved card needs 'reviewed_by' (who approved it)")
    for claim in doc.claims:
        if claim.number is not None and not claim.citations:
            yield _f(doc.rel, claim.line, "card-claim-without-evidence",
                     f"claim {claim.number} has no 'Evidence:' line citing a heading of a "
                     f"full.md")


def _check_topic(doc: Document) -> Iterator[Finding]:
    if not _TOPIC_RE.match(doc.stem):
        yield _f(doc.rel, 1, "topic-bad-name",
                 f"topic file name '{doc.stem}' must look like NN-slug (e.g. 01-{doc.stem})")
    if doc.meta:
        yield from _check_fields(doc.meta, TOPIC_FIELDS, doc.rel, _line_of(doc), "topic",
                                 "front matter")
    have = {h.text.strip().lower() for h in doc.headings}
    for section in TOPIC_SECTIONS:
        if section.lower() not in have:
            yield _f(doc.rel, 1, "topic-missing-section",
                     f"topic has no '## {section}' section")


def _check_duplicate_anchors(doc: Document) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    for h in doc.headings:
        if h.anchor in seen and h.pinned:
            yield _f(doc.rel, h.line, "anchor-duplicate",
                     f"pinned id '{h.anchor}' is already used on line {seen[h.anchor]}")
        seen.setdefault(h.anchor, h.line)


# --- links and evidence ---------------------------------------------------------------------


class _Targets:
    """Files and anchors that links may point at, loading extra markdown files on demand;
    the text of cited full texts, read once per run."""

    def __init__(self, lib: Library) -> None:
        self.lib = lib
        self.extra: dict[str, Document | None] = {}
        self.texts = approval.Texts()

    def document(self, rel: str) -> Document | None:
        doc = self.lib.documents.get(rel)
        if doc is not None:
            return doc
        if rel not in self.extra:
            path = self.lib.root / rel
            self.extra[rel] = load_document(self.lib.root, path, KIND_DOC) \
                if path.is_file() else None
        return self.extra[rel]


def check_links(lib: Library) -> Iterator[Finding]:
    """Every relative link, image and evidence citation in cards, topics and other pages."""
    targets = _Targets(lib)
    for doc in lib.documents.values():
        if _has_links_to_check(doc):
            yield from _document_links(lib, targets, doc)


def _has_links_to_check(doc: Document) -> bool:
    return doc.kind != KIND_FULLTEXT and doc.error is None


EVIDENCE_CHANGED = "evidence-changed"
EVIDENCE_UNAPPROVED = "evidence-unapproved"
APPROVAL_CODES = (EVIDENCE_CHANGED, EVIDENCE_UNAPPROVED)
"""Findings about approved cards whose cited sections are not what was approved: re-approving
the card is the remedy, so they never block an approval."""


def _document_links(lib: Library, targets: _Targets, doc: Document) -> Iterator[Finding]:
    for ev in doc.evidence:
        if not ev.links:
            yield _f(doc.rel, ev.line, "evidence-no-link",
                     "'Evidence:' line has no link; cite a heading of a full.md as "
                     "[text](../../sources/<id>/full.md#anchor)")
        if ev.unclosed_quote:
            yield _f(doc.rel, ev.line, "evidence-quote-unclosed",
                     'a quote after an evidence link opens with " but is never closed; close '
                     "it on this line or the lines right after it")
    for link in doc.links:
        found = list(_check_link(lib, targets, doc, link))
        yield from found
        if link.evidence and link.quotes and not found:
            yield from _check_quotes(lib, targets, doc, link)
    yield from approval_findings(lib, doc, targets.texts)


def _check_quotes(lib: Library, targets: _Targets, doc: Document, link: Any) -> Iterator[Finding]:
    """Each quote of a resolving evidence link occurs in the cited section."""
    target = paths.resolve_link(doc.rel, link.target)
    if target.rel is None or not target.fragment:
        return
    tdoc = targets.document(target.rel.rstrip("/"))
    if tdoc is None or tdoc.error is not None or target.fragment not in tdoc.anchors:
        return
    lines = targets.texts.lines(tdoc)
    for quote in link.quotes:
        result = evidence.find_quote(lines, tdoc.scan, target.fragment, quote)
        if not result.found:
            yield _f(doc.rel, link.line, "evidence-quote",
                     f"evidence '{link.target}': {result.explain(quote)}", link.column)


def approval_findings(lib: Library, doc: Document,
                      texts: approval.Texts | None = None) -> Iterator[Finding]:
    """``evidence-changed`` / ``evidence-unapproved`` for an approved card (see
    :mod:`reflib.core.approval`)."""
    for change in approval.changes(lib, doc, texts):
        code = EVIDENCE_CHANGED if change.kind == approval.CHANGED else EVIDENCE_UNAPPROVED
        link = change.cited.link
        yield _f(doc.rel, link.line, code, change.message(doc.stem), link.column)


class LinkChecks:
    """:func:`check_links` for a library loaded again and again (``mkdocs serve``).

    A document's findings are kept while the document and every target of its links are
    unchanged, so after an edit only the edited documents and the documents linking *into*
    them are checked again (a renamed heading in a full text breaks the evidence of the
    unchanged cards citing it). "Unchanged" is: the same :class:`Document` object (which
    :func:`~reflib.core.model.load` reuses for a file whose modification time and size did not
    change), for other files the same modification time and size, and the same manifest
    object. A document with findings is checked again when the set of documents changes too
    (its hints name the closest existing file).
    """

    def __init__(self) -> None:
        self._entries: dict[str, tuple[Document, list[Any], list[Finding]]] = {}
        self._manifest: Any = None
        self._names: frozenset[str] = frozenset()
        self.checked = 0
        """Documents checked by the last :meth:`run` (the others kept their findings)."""

    def run(self, lib: Library) -> list[Finding]:
        """The findings of :func:`check_links` for ``lib`` (in the same order)."""
        targets = _Targets(lib)
        names = frozenset(lib.documents)
        same_manifest = lib.manifest is self._manifest
        same_names = names == self._names
        entries: dict[str, tuple[Document, list[Any], list[Finding]]] = {}
        findings: list[Finding] = []
        self.checked = 0
        for doc in lib.documents.values():
            if not _has_links_to_check(doc):
                continue
            deps = self._dependencies(lib, doc)
            old = self._entries.get(doc.rel)
            if (old is not None and old[0] is doc and same_manifest
                    and (same_names or not old[2]) and _same_dependencies(old[1], deps)):
                found = old[2]
            else:
                found = list(_document_links(lib, targets, doc))
                self.checked += 1
            entries[doc.rel] = (doc, deps, found)
            findings.extend(found)
        self._entries, self._manifest, self._names = entries, lib.manifest, names
        return findings

    @staticmethod
    def _dependencies(lib: Library, doc: Document) -> list[Any]:
        """What the findings of ``doc``'s links read besides ``doc``: per link target, the
        library document (by identity) or the file's modification time and size."""
        deps: list[Any] = []
        for link in doc.links:
            target = paths.resolve_link(doc.rel, link.target)
            if target.external or target.escapes or target.rel is None:
                continue
            rel = target.rel.rstrip("/")
            tdoc = lib.documents.get(rel)
            deps.append(tdoc if tdoc is not None else _stat_key(lib.root / rel))
        return deps


def _same_dependencies(old: list[Any], new: list[Any]) -> bool:
    return len(old) == len(new) and all(
        a is b if isinstance(a, Document) or isinstance(b, Document) else a == b
        for a, b in zip(old, new, strict=True))


def _stat_key(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


def _check_link(lib: Library, targets: _Targets, doc: Document, link: Any) -> Iterator[Finding]:
    target = paths.resolve_link(doc.rel, link.target)
    where = (doc.rel, link.line)
    what = "evidence" if link.evidence else ("image" if link.image else "link")
    code = "evidence" if link.evidence else "link"
    if target.external:
        if link.evidence:
            yield _f(*where, "evidence-not-fulltext",
                     f"evidence '{link.target}' is an external URL; cite a heading of a "
                     f"full.md instead", link.column)
        return
    if target.escapes:
        yield _f(*where, f"{code}-escapes",
                 f"{what} '{link.target}' points outside the library root", link.column)
        return
    assert target.rel is not None
    rel = target.rel.rstrip("/")
    if link.evidence and not paths.fulltext_id(rel):
        yield _f(*where, "evidence-not-fulltext",
                 f"evidence '{link.target}' must cite a heading of a sources/<id>/full.md",
                 link.column)
        return
    path = lib.root / rel
    if rel and not (rel in lib.documents or path.exists()):
        hint = _missing_file_hint(lib, rel)
        yield _f(*where, f"{code}-broken", f"{what} '{link.target}': {rel} does not exist{hint}",
                 link.column)
        return
    if link.evidence and not target.fragment:
        yield _f(*where, "evidence-no-anchor",
                 f"evidence '{link.target}' must cite a heading: add '#anchor'", link.column)
        return
    if target.fragment and rel.endswith(".md"):
        tdoc = targets.document(rel)
        if tdoc is not None and tdoc.error is None and target.fragment not in tdoc.anchors:
            yield _f(*where, f"{code}-anchor",
                     f"{what} '{link.target}': {rel} has no heading with anchor "
                     f"'#{target.fragment}'{did_you_mean(target.fragment, tdoc.anchors)}",
                     link.column)


def _missing_file_hint(lib: Library, rel: str) -> str:
    rid = paths.fulltext_id(rel)
    if rid:
        res = lib.resources.get(rid)
        if res is None:
            return f"; no resource '{rid}'{did_you_mean(rid, lib.resources)}"
        return f"; '{rid}' is {res.status}, run 'reflib convert {rid}'"
    return did_you_mean(rel, lib.documents)


# --- external URLs ------------------------------------------------------------------------


def check_external(lib: Library, *, timeout: float = 10.0, workers: int = 16,
                   cache_dir: Path | None = None, use_cache: bool = True) -> Iterator[Finding]:
    """Each resource ``url`` answered (2xx/3xx), checked concurrently with a cache."""
    from reflib.fetch.external import check_urls

    urls: dict[str, list[Resource]] = {}
    for res in lib.resources.values():
        if res.url and re.match(r"^https?://", res.url):
            urls.setdefault(res.url, []).append(res)
    results = check_urls(list(urls), timeout=timeout, workers=workers,
                         cache_dir=cache_dir, ttl=86400 if use_cache else 0)
    # reported in manifest order, one finding per resource
    for url, resources in urls.items():
        outcome = results.get(url)
        if outcome is None or outcome.ok:
            continue
        reason = f"HTTP {outcome.status}" if outcome.status else (outcome.error or "no answer")
        for res in resources:
            yield _f(MANIFEST, res.entry.line_of("url"), "url-unreachable",
                     f"'{res.id}': {url} did not answer ({reason})")


# --- all ----------------------------------------------------------------------------------

RULES = (check_manifest, check_status, check_documents, check_links)


def run(lib: Library, *, external: bool = False, links: LinkChecks | None = None,
        **external_options: Any) -> list[Finding]:
    """All findings for ``lib``, sorted by path and line. With ``links``, the link rule
    keeps the findings of unchanged documents from the previous run (see
    :class:`LinkChecks`)."""
    findings: list[Finding] = []
    for rule in RULES:
        if rule is check_links and links is not None:
            findings.extend(links.run(lib))
        else:
            findings.extend(rule(lib))
    if external:
        findings.extend(check_external(lib, **external_options))
    return sorted(set(findings))


def check_root(root: str | Path, **options: Any) -> list[Finding]:
    """Load the library at ``root`` and check it. A manifest that is not valid YAML is a
    finding (with the pages' own findings beside it); raises :class:`ReflibError` when the
    manifest cannot be read at all."""
    return check_loaded(root, **options)[1]


def check_loaded(root: str | Path, **options: Any) -> tuple[Library, list[Finding]]:
    """:func:`check_root`, also returning the library as loaded (with no resources when the
    manifest is not valid YAML: its pages are still checked on their own)."""
    from reflib.core.model import load, load_without_manifest

    try:
        lib = load(root)
    except SyntaxProblem as exc:
        lib = load_without_manifest(root)
        syntax = _f(exc.path or MANIFEST, exc.line or 1, exc.code, exc.message,
                    exc.column or 0)
        page_rules = [f for rule in (check_documents, check_links) for f in rule(lib)]
        return lib, sorted({syntax, *page_rules})
    return lib, run(lib, **options)


__all__ = ["Finding", "LinkChecks", "ReflibError", "check_loaded", "check_root", "did_you_mean",
           "run"]
