"""The in-memory model of a library: resources, tiers, documents, headings, evidence.

:func:`load` reads ``refs/manifest.yaml``, every ``sources/<id>/full.md``, every card, topic
and other markdown page under ``refs/``. It never renders markdown and never writes. A
problem in one file (unreadable, bad front matter) is recorded on that document and reported
by the checker; only an unreadable manifest raises :class:`~reflib.core.errors.ReflibError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from reflib.core import frontmatter, manifest, mdscan, paths
from reflib.core.errors import ReflibError
from reflib.core.mdscan import EvidenceLine, Heading, Link, ScanResult

KIND_FULLTEXT = "fulltext"
KIND_CARD = "card"
KIND_TOPIC = "topic"
KIND_DOC = "doc"
TODO_MARK = "reflib:todo"
"""Marks a placeholder of ``reflib new fulltext`` that is still to be transcribed."""


@dataclass
class Claim:
    """A numbered claim of a card (or a cited passage of a topic) and its evidence."""

    number: int | None
    text: str
    line: int
    anchor: str
    """``claim-N`` for numbered claims, else the anchor of the section holding the evidence."""
    citations: list[Link] = field(default_factory=list)


@dataclass
class Document:
    """A markdown file of the library."""

    kind: str
    rel: str
    """Path relative to the library root, POSIX."""
    path: Path
    meta: dict[str, Any] | None = None
    key_lines: dict[str, int] = field(default_factory=dict)
    body_line: int = 1
    scan: ScanResult = field(default_factory=ScanResult)
    error: ReflibError | None = None
    """Why the file could not be read or its front matter parsed."""
    line_count: int = 0
    claims: list[Claim] = field(default_factory=list)
    outside: bool = False
    """The file is a symbolic link to a place outside the library: it is never read, and the
    site never publishes it."""
    todo_lines: list[int] = field(default_factory=list)
    """Full texts: file lines that still hold a :data:`TODO_MARK` placeholder."""

    @property
    def headings(self) -> list[Heading]:
        return self.scan.headings

    @property
    def links(self) -> list[Link]:
        return self.scan.links

    @property
    def evidence(self) -> list[EvidenceLine]:
        return self.scan.evidence

    @cached_property
    def anchors(self) -> set[str]:
        return self.scan.anchors()

    @property
    def stem(self) -> str:
        return self.path.stem

    @property
    def title(self) -> str:
        """Front-matter title, else the first level-1 heading, else the file stem."""
        if self.meta and isinstance(self.meta.get("title"), str) and self.meta["title"].strip():
            return str(self.meta["title"]).strip()
        for h in self.headings:
            if h.level == 1:
                return h.text
        return self.stem

    def read_text(self) -> str:
        """The file's text with normalised newlines (re-read from disk)."""
        return frontmatter.normalize_newlines(self.path.read_text(encoding="utf-8"))


@dataclass
class Resource:
    """A manifest entry with the files on disk that belong to it."""

    entry: manifest.Entry
    fulltext: Document | None = None
    card: Document | None = None

    def _get(self, key: str, default: Any = None) -> Any:
        return self.entry.data.get(key, default)

    @property
    def id(self) -> str:
        return str(self._get("id", ""))

    @property
    def title(self) -> str:
        return str(self._get("title") or self.id)

    @property
    def type(self) -> str:
        return str(self._get("type", "other"))

    @property
    def url(self) -> str | None:
        url = self._get("url")
        return str(url) if url else None

    @property
    def priority(self) -> str:
        return str(self._get("priority") or "medium")

    @property
    def phase(self) -> int | None:
        phase = self._get("phase")
        return phase if isinstance(phase, int) and not isinstance(phase, bool) else None

    @property
    def status(self) -> str:
        return str(self._get("status", "link_only"))

    @property
    def topics(self) -> list[str]:
        topics = self._get("topics") or []
        return [str(t) for t in topics] if isinstance(topics, list) else []

    @property
    def raw(self) -> list[str]:
        raw = self._get("raw") or []
        return [str(r) for r in raw] if isinstance(raw, list) else []

    @property
    def notes(self) -> str | None:
        notes = self._get("notes")
        return str(notes) if notes else None

    @property
    def review(self) -> str | None:
        """``draft`` or ``approved`` when a card exists."""
        if self.card is None or not self.card.meta:
            return None
        review = self.card.meta.get("review")
        return str(review) if review else None


@dataclass
class Library:
    """A whole library: the manifest's resources and every markdown file."""

    root: Path
    manifest: manifest.ManifestDoc
    resources: dict[str, Resource]
    """By id, in manifest order (the first entry wins on a duplicate id)."""
    documents: dict[str, Document]
    """Every markdown file, by root-relative path."""

    # Derived once (a library's documents are not changed after :func:`load`): pages ask
    # for them per resource, which would otherwise make a build quadratic in the library.

    @cached_property
    def cards(self) -> dict[str, Document]:
        return {d.stem: d for d in self.documents.values() if d.kind == KIND_CARD}

    @cached_property
    def topics(self) -> dict[str, Document]:
        return {d.stem: d for d in self.documents.values() if d.kind == KIND_TOPIC}

    @cached_property
    def fulltexts(self) -> dict[str, Document]:
        out = {}
        for d in self.documents.values():
            if d.kind == KIND_FULLTEXT:
                rid = paths.fulltext_id(d.rel)
                if rid:
                    out[rid] = d
        return out

    def topic_resources(self, stem: str) -> list[Resource]:
        """Resources whose ``topics`` name ``stem``, in manifest order."""
        return [r for r in self.resources.values() if stem in r.topics]

    def document(self, rel: str) -> Document | None:
        return self.documents.get(rel)


def _kind_of(rel: str) -> str:
    if paths.fulltext_id(rel):
        return KIND_FULLTEXT
    if rel.startswith(paths.CARDS_DIR + "/") and rel.count("/") == 2:
        return KIND_CARD
    if rel.startswith(paths.TOPICS_DIR + "/") and rel.count("/") == 2:
        return KIND_TOPIC
    return KIND_DOC


_CLAIM_ITEM = re.compile(r"^ {0,3}(\d{1,9})[.)]\s+(.*)$")


def _claims(doc: Document, body_lines: list[str]) -> list[Claim]:
    """Numbered claims of a card (and evidence-citing passages of other pages)."""
    claims: list[Claim] = []
    headings = doc.headings
    heading_lines = {h.line: h for h in headings}
    evidence_by_line = {e.line: e for e in doc.evidence}
    if not evidence_by_line and doc.kind != KIND_CARD:
        return claims
    section: Heading | None = None
    current: Claim | None = None
    first = doc.body_line
    for offset, raw in enumerate(body_lines):
        line_no = first + offset
        if line_no in heading_lines:
            section = heading_lines[line_no]
            current = None
            continue
        in_claims = section is not None and section.text.strip().lower() == "claims"
        m = _CLAIM_ITEM.match(raw)
        if m and in_claims and line_no not in evidence_by_line:
            number = int(m.group(1))
            current = Claim(number, m.group(2).strip(), line_no, f"claim-{number}")
            claims.append(current)
            continue
        ev = evidence_by_line.get(line_no)
        if ev is not None:
            if current is None:
                anchor = section.anchor if section else ""
                current = Claim(None, section.text if section else doc.title, line_no, anchor)
                claims.append(current)
            current.citations.extend(link for link in ev.links)
            if not in_claims:
                current = None
            continue
        if current is not None and in_claims and raw.strip() and raw.startswith(" ") and \
                current.number is not None and not current.citations:
            current.text += " " + raw.strip()
    return claims


def load_document(root: Path, path: Path, kind: str | None = None) -> Document:
    """Read and scan one markdown file; problems are recorded on the document."""
    rel = paths.to_posix(path, root)
    doc = Document(kind or _kind_of(rel), rel, path)
    if path.is_symlink() and paths.outside(path, root):
        doc.outside = True
        doc.error = ReflibError("is a symbolic link to a file outside the library; it is not "
                                "read or published: copy the file into the library instead",
                                rel)
        return doc
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        doc.error = ReflibError(f"not valid UTF-8 (byte {exc.start}); re-save it as UTF-8", rel)
        return doc
    except OSError as exc:
        doc.error = ReflibError(f"cannot read: {exc.strerror or exc}", rel)
        return doc
    try:
        fm = frontmatter.split(text, rel)
    except ReflibError as exc:
        doc.error = exc
        fm = frontmatter.FrontMatter(None, frontmatter.normalize_newlines(text), 1)
    doc.meta, doc.key_lines, doc.body_line = fm.meta, fm.key_lines, fm.body_line
    doc.scan = mdscan.scan(fm.body, fm.body_line)
    body_lines = fm.body.split("\n")
    doc.line_count = fm.body_line - 1 + len(body_lines)
    if doc.kind != KIND_FULLTEXT:
        doc.claims = _claims(doc, body_lines)
    elif TODO_MARK in fm.body:
        doc.todo_lines = [fm.body_line + i for i, line in enumerate(body_lines)
                          if TODO_MARK in line]
    return doc


def library_files(root: Path) -> list[Path]:
    """Every markdown file of a library, sorted: ``refs/**/*.md`` and ``sources/*/full.md``."""
    files: list[Path] = []
    refs = root / paths.REFS_DIR
    if refs.is_dir():
        files.extend(p for p in refs.rglob("*.md") if p.is_file())
    sources = root / paths.SOURCES_DIR
    if sources.is_dir():
        for folder in sorted(sources.iterdir()):
            full = folder / paths.FULLTEXT_NAME
            if folder.is_dir() and (full.is_file() or full.is_symlink()):
                files.append(full)
    return sorted(files)


DocumentCache = dict[str, tuple[tuple[int, int], Document]]
"""Root-relative path -> ((mtime_ns, size), document), for :func:`load` to reuse."""


@dataclass
class ManifestCache:
    """The parsed manifest and the (mtime_ns, size) it was read at, for :func:`load`."""

    key: tuple[int, int] | None = None
    doc: manifest.ManifestDoc | None = None
    reloaded: bool = False
    """Whether the last :func:`load` parsed the manifest again."""


def _stat_key(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def load(root: str | Path, cache: DocumentCache | None = None,
         manifest_cache: ManifestCache | None = None) -> Library:
    """Load the library at ``root``. Raises :class:`ReflibError` if the manifest is unreadable.

    With ``cache`` (kept by the caller between loads, e.g. a long-running ``mkdocs serve``),
    a markdown file whose modification time and size are unchanged is not read again; the
    cache is updated in place to hold exactly the current files. Likewise ``manifest_cache``
    keeps the parsed manifest (parsing it is most of the cost of a load at 1,000 entries).
    """
    root = Path(root).resolve()
    mdoc = _load_manifest(root, manifest_cache)
    documents = {}
    seen: set[str] = set()
    for path in library_files(root):
        rel = paths.to_posix(path, root)
        key = _stat_key(path) if cache is not None else None
        hit = cache.get(rel) if cache is not None else None
        if hit is not None and key is not None and hit[0] == key:
            doc = hit[1]
        else:
            doc = load_document(root, path)
            if cache is not None and key is not None:
                cache[rel] = (key, doc)
        documents[doc.rel] = doc
        seen.add(rel)
    if cache is not None:
        for rel in set(cache) - seen:
            del cache[rel]
    resources: dict[str, Resource] = {}
    for entry in mdoc.entries:
        rid = entry.data.get("id")
        if not isinstance(rid, str) or rid in resources:
            continue
        res = Resource(entry)
        res.fulltext = documents.get(paths.fulltext_rel(rid))
        res.card = documents.get(paths.card_rel(rid))
        resources[rid] = res
    return Library(root, mdoc, resources, documents)


def load_without_manifest(root: str | Path) -> Library:
    """The library's pages with no resources: for checking the pages of a library whose
    manifest cannot be parsed."""
    root = Path(root).resolve()
    documents = {}
    for path in library_files(root):
        doc = load_document(root, path)
        documents[doc.rel] = doc
    empty = manifest.ManifestDoc(Path(paths.MANIFEST), [], {}, [])
    return Library(root, empty, {}, documents)


def _load_manifest(root: Path, cache: ManifestCache | None) -> manifest.ManifestDoc:
    path = root / paths.MANIFEST
    key = _stat_key(path) if cache is not None else None
    if cache is not None:
        cache.reloaded = False
        if key is not None and cache.key == key and cache.doc is not None:
            return cache.doc
    try:
        mdoc = manifest.load(path)
    except ReflibError as exc:
        exc.path = paths.MANIFEST
        raise
    mdoc.path = Path(paths.MANIFEST)
    if cache is not None:
        cache.key, cache.doc, cache.reloaded = key, mdoc, True
    return mdoc
