"""Links, anchors, evidence quotes and approvals; :class:`LinkChecks` re-checks only what changed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reflib.checks.findings import Finding, _f, did_you_mean
from reflib.core import approval, evidence, paths
from reflib.core.model import (
    KIND_DOC,
    KIND_FULLTEXT,
    Document,
    Library,
    load_document,
)

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
