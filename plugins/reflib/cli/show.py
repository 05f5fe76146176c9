"""``reflib show``: print a card, a full text, a topic or page, or one section of it.

``ID`` is a resource id (its card by default, ``--full`` for its full text), a topic stem
(``01-atomic-writes``) or a page under ``refs/`` without ``.md``; a path such as
``sources/x/full.md`` works too. ``#ANCHOR`` narrows the output to one section: the heading and
its body up to the next heading of the same or higher level (for a card's ``#claim-N``, that
claim). Without ``--card``/``--full``, an anchor is looked up in the card first, then the full
text. The markdown goes to standard output as written; the file and line range to standard
error. Exit status: 0 printed, 1 unknown id or anchor (with the closest matches).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from dataclasses import dataclass
from pathlib import Path

from reflib.cli._util import closest, error, suggestion
from reflib.core import paths
from reflib.core.frontmatter import normalize_newlines
from reflib.core.mdscan import section_range
from reflib.core.model import (
    KIND_CARD,
    KIND_DOC,
    KIND_FULLTEXT,
    KIND_TOPIC,
    Document,
    Library,
    load,
)
from reflib.core.progress import NEXT_ACTION

HELP = "print a card, a full text, or one section of it (ID[#ANCHOR] or PATH[#ANCHOR])"
ORDER = (KIND_CARD, KIND_FULLTEXT, KIND_TOPIC, KIND_DOC)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``reflib show``."""
    parser.add_argument("ref", metavar="ID[#ANCHOR]",
                        help="resource id, topic stem, page name or path, optionally with "
                        "#anchor (as printed by 'reflib find')")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--card", action="store_const", const=KIND_CARD, dest="want",
                       help="the resource's card (refs/resources/<id>.md)")
    which.add_argument("--full", action="store_const", const=KIND_FULLTEXT, dest="want",
                       help="the resource's full text (sources/<id>/full.md)")


@dataclass
class Target:
    """What ``show`` prints: a document and an optional anchor."""

    doc: Document
    anchor: str | None


class NotFound(Exception):
    """An id, path or anchor that does not resolve; the message names the closest matches."""


def pages_by_id(lib: Library) -> dict[str, dict[str, Document]]:
    """Every page of the library by its id (see :func:`reflib.core.paths.page_id`) and kind."""
    out: dict[str, dict[str, Document]] = {}
    for doc in lib.documents.values():
        pid = paths.page_id(doc.rel)
        if pid is not None:
            out.setdefault(pid, {}).setdefault(doc.kind, doc)
    return out


def _path_doc(lib: Library, target: str) -> Document | None:
    """The document named by a path (root-relative, relative to the current folder, absolute
    or copied from a link such as ``../../sources/x/full.md``)."""
    candidates = [target]
    path = Path(target)
    for base in (Path.cwd(), lib.root):
        full = path if path.is_absolute() else base / path
        with contextlib.suppress(ValueError, OSError):
            candidates.append(full.resolve().relative_to(lib.root).as_posix())
    stripped = target
    while stripped.startswith(("../", "./")):
        stripped = stripped.split("/", 1)[1]
    candidates.append(stripped)
    for rel in candidates:
        doc = lib.documents.get(rel)
        if doc is not None:
            return doc
    return None


def resolve(lib: Library, ref: str, want: str | None = None) -> Target:
    """The document and anchor ``ref`` names. Raises :class:`NotFound` with a hint."""
    name, _, anchor = ref.partition("#")
    name = name.strip()
    anchor_or_none = anchor.strip() or None
    if "/" in name or name.endswith(".md"):
        doc = _path_doc(lib, name)
        if doc is None:
            raise NotFound(f"no library page '{name}'{suggestion(name, lib.documents)}")
        return _with_anchor([doc], anchor_or_none, name)
    pages = pages_by_id(lib)
    found = pages.get(name, {})
    res = lib.resources.get(name)
    if not found:
        if res is not None:
            action = NEXT_ACTION.get(res.status)
            hint = f"; next: reflib {action} {name}" if action in ("fetch", "convert") else ""
            raise NotFound(f"'{name}' is {res.status}: it has no card and no full text yet"
                           f"{hint}")
        known = set(pages) | set(lib.resources)
        raise NotFound(f"unknown id '{name}'{suggestion(name, known)}")
    if want is not None:
        doc = found.get(want)
        if doc is None:
            what = "card" if want == KIND_CARD else "full text"
            have = ", ".join(f"--{'full' if k == KIND_FULLTEXT else k}" for k in found
                             if k in (KIND_CARD, KIND_FULLTEXT)) or "none"
            raise NotFound(f"'{name}' has no {what} (available: {have})")
        return _with_anchor([doc], anchor_or_none, ref)
    docs = [found[k] for k in ORDER if k in found]
    return _with_anchor(docs, anchor_or_none, ref)


def _claim_anchors(doc: Document) -> set[str]:
    return {c.anchor for c in doc.claims if c.number is not None}


def _with_anchor(docs: list[Document], anchor: str | None, ref: str) -> Target:
    if anchor is None:
        return Target(docs[0], None)
    for doc in docs:
        if anchor in doc.anchors or anchor in _claim_anchors(doc):
            return Target(doc, anchor)
    known: set[str] = set()
    for doc in docs:
        known |= doc.anchors | _claim_anchors(doc)
    where = " or ".join(d.rel for d in docs)
    near = closest(anchor, known)
    hint = ("; closest: " + ", ".join(f"#{a}" for a in near)) if near else ""
    raise NotFound(f"{where} has no heading with anchor '#{anchor}'{hint}")


def extract(doc: Document, anchor: str | None) -> tuple[str, int, int]:
    """The text ``show`` prints and its file lines ``(start, end)`` (end inclusive)."""
    text = normalize_newlines(doc.path.read_text(encoding="utf-8"))
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    if anchor is None:
        return text, 1, len(lines)
    span = section_range(doc.headings, anchor, len(lines))
    if span is None:
        span = _claim_range(doc, anchor, len(lines)) or _html_id_range(doc, anchor, len(lines))
    start, end = span or (1, len(lines) + 1)
    chunk = lines[start - 1: end - 1]
    while chunk and not chunk[-1].strip():
        chunk.pop()
    return "\n".join(chunk) + "\n", start, start + len(chunk) - 1


def _claim_range(doc: Document, anchor: str, total: int) -> tuple[int, int] | None:
    claims = [c for c in doc.claims if c.number is not None]
    for i, claim in enumerate(claims):
        if claim.anchor == anchor:
            end = total + 1
            if i + 1 < len(claims):
                end = claims[i + 1].line
            later = [h.line for h in doc.headings if h.line > claim.line]
            if later:
                end = min(end, later[0])
            return claim.line, end
    return None


def _html_id_range(doc: Document, anchor: str, total: int) -> tuple[int, int] | None:
    line = doc.scan.html_ids.get(anchor)
    if line is None:
        return None
    later = [h.line for h in doc.headings if h.line > line]
    return line, later[0] if later else total + 1


def run(args: argparse.Namespace) -> int:
    """Print what ``args.ref`` names in the library at ``args.root``."""
    lib = load(args.root)
    try:
        target = resolve(lib, args.ref, args.want)
    except NotFound as exc:
        error(f"show: {exc}")
        return 1
    doc = target.doc
    if doc.error is not None and doc.meta is None and not doc.headings and doc.line_count == 0:
        error(f"show: {doc.error}")
        return 1
    try:
        text, start, end = extract(doc, target.anchor)
    except (OSError, UnicodeDecodeError) as exc:
        error(f"show: cannot read {doc.rel}: {exc}")
        return 1
    if doc.error is not None:
        error(f"show: warning: {doc.error}")
    print(f"{doc.rel}:{start}-{end}", file=sys.stderr)
    sys.stdout.write(text)
    sys.stdout.flush()
    return 0


__all__ = ["NotFound", "Target", "extract", "pages_by_id", "resolve"]
