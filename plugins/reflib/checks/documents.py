"""The rules of each page: front matter of cards, topics and full texts, raw-file hashes, headings."""

from __future__ import annotations

import posixpath
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from reflib.checks.findings import _SHA_RE, _TOPIC_RE, Finding, _f, is_hand_conversion
from reflib.checks.manifest_rules import _check_fields
from reflib.core import paths
from reflib.core.errors import SyntaxProblem
from reflib.core.fsutil import sha256_path
from reflib.core.model import (
    KIND_CARD,
    KIND_FULLTEXT,
    KIND_TOPIC,
    TODO_MARK,
    Document,
    Library,
    Resource,
)
from reflib.core.schema import (
    CARD_FIELDS,
    FULLTEXT_FIELDS,
    TOPIC_FIELDS,
    TOPIC_SECTIONS,
)

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
