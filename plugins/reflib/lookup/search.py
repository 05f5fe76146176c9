"""Ranked lookup over a library's markdown at heading granularity (``reflib find``).

Every markdown file (full texts, cards, topics and other pages under ``refs/``) is cut into
sections: a heading and its body up to the next heading of any level (text before the first
heading is a section of its own, with an empty anchor). Sections are ranked with BM25
(``k1 = 1.2``, ``b = 0.75``); a term's frequency counts the body once, the section's heading
:data:`HEADING_WEIGHT` times and the document's title :data:`TITLE_WEIGHT` times, so a match
in a heading or title weighs more than one in running text. Quoted phrases in the query
multiply the score of sections that contain the phrase verbatim (case and spacing ignored).

Tokens are lower-cased unicode words (letters, digits and ``_``); an identifier such as
``fsync_dir`` or ``O_DIRECT`` is kept whole and also split on ``_``; plain alphabetic words get
a light English suffix stemming (``batches`` and ``batch`` match).

The index is an SQLite file, ``<root>/.cache/reflib/find-index.sqlite3``. Each lookup compares
every file's modification time and size with the index and re-indexes only the files that
changed (and drops deleted ones), so calling ``find`` in a loop stays fast. When the folder
is not writable the index is built in memory for the one lookup.
"""

from __future__ import annotations

import math
import re
import sqlite3
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import closing, suppress
from dataclasses import dataclass, field
from pathlib import Path

from reflib.core import paths
from reflib.core.frontmatter import normalize_newlines
from reflib.core.model import Document, library_files, load_document

INDEX_PATH = ".cache/reflib/find-index.sqlite3"
SCHEMA_VERSION = "1"
K1 = 1.2
B = 0.75
HEADING_WEIGHT = 3.0
TITLE_WEIGHT = 1.5
PHRASE_BOOST = 2.0
MAX_TOKEN = 64
SNIPPET_CHARS = 220

_WORD = re.compile(r"\w+")
_ALPHA = re.compile(r"^[a-z]+$")
_VOWEL = re.compile(r"[aeiouy]")

# --- tokens ---------------------------------------------------------------------------------


def stem(word: str) -> str:
    """A light English stemmer for lower-case ASCII words (others are returned unchanged).

    Plural ``-s``/``-es``/``-ies``, ``-ing``, ``-ed`` and a final ``-e`` are removed, and a
    doubled final consonant left by ``-ing``/``-ed`` is undoubled, so ``batches``, ``batch``;
    ``pipelines``, ``pipelining``, ``pipeline``; ``stopped``, ``stop`` meet.
    """
    if len(word) <= 3 or not _ALPHA.match(word):
        return word
    w = word
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith(("sses", "ches", "shes", "xes", "zes")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ing", "ed"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and _VOWEL.search(w[: -len(suffix)]):
            w = w[: -len(suffix)]
            if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiouslz":
                w = w[:-1]
            break
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    return w


def _word_tokens(word: str) -> list[str]:
    """Index terms of one lower-case ``\\w+`` word."""
    if len(word) > MAX_TOKEN:
        return []
    if "_" not in word:
        return [stem(word)]
    out = [word]
    out.extend(stem(part) for part in word.split("_") if part)
    return out


def tokenize(text: str) -> list[str]:
    """Index terms of ``text``, in order (an identifier yields itself and its parts)."""
    text = unicodedata.normalize("NFKC", text).lower()
    out: list[str] = []
    for m in _WORD.finditer(text):
        out.extend(_word_tokens(m.group(0)))
    return out


@dataclass
class Query:
    """A parsed query: its terms and its quoted phrases."""

    terms: list[str]
    phrases: list[str] = field(default_factory=list)
    """Lower-cased phrases with single spaces."""


def parse_query(text: str) -> Query:
    """Split a query into terms and ``"quoted phrases"`` (a phrase's words are terms too)."""
    phrases = []
    for m in re.finditer(r'"([^"]+)"', text):
        phrase = _squash(m.group(1))
        if phrase:
            phrases.append(phrase)
    terms = list(dict.fromkeys(tokenize(text.replace('"', " "))))
    return Query(terms, phrases)


def _squash(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


# --- sections -------------------------------------------------------------------------------

_LINK = re.compile(r"!?\[([^\]]*)\]\((?:[^()\s]|\([^)]*\))*(?:\s+\"[^\"]*\")?\)")
REF_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S+.*$", re.M)
_TAG = re.compile(r"</?[A-Za-z][^>\n]*>")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")


def clean_text(markdown: str) -> str:
    """Markdown reduced to the words a reader sees: link targets, tags and comments removed."""
    text = _COMMENT.sub(" ", markdown)
    text = _LINK.sub(lambda m: m.group(1), text)
    text = REF_DEF.sub(" ", text)
    return _TAG.sub(" ", text)


@dataclass
class Section:
    """One indexed section of a file."""

    anchor: str
    heading: str
    level: int
    line: int
    """File line of the heading (of the first body line for the part before any heading)."""
    text: str
    """The body, cleaned (see :func:`clean_text`)."""


def sections_of(doc: Document, text: str) -> list[Section]:
    """The sections of ``doc`` whose file text (newlines normalised) is ``text``."""
    lines = text.split("\n")
    out: list[Section] = []
    headings = doc.headings
    first = doc.body_line
    stop = headings[0].line if headings else len(lines) + 1
    pre = "\n".join(lines[first - 1: stop - 1])
    if pre.strip():
        out.append(Section("", "", 0, first, clean_text(pre)))
    for i, h in enumerate(headings):
        end = headings[i + 1].line if i + 1 < len(headings) else len(lines) + 1
        start = h.line  # index of the line after the heading
        if not lines[h.line - 1].lstrip().startswith("#"):
            # a setext heading: its text may span lines, then comes the underline
            while start < end - 1 and not _UNDERLINE.match(lines[start - 1]):
                start += 1
        body = "\n".join(lines[start: end - 1])
        out.append(Section(h.anchor, h.text, h.level, h.line, clean_text(body)))
    return out


# --- index ----------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files(
    fid INTEGER PRIMARY KEY, rel TEXT UNIQUE NOT NULL, mtime_ns INTEGER, size INTEGER,
    kind TEXT, id TEXT, title TEXT);
CREATE TABLE IF NOT EXISTS sections(
    sid INTEGER PRIMARY KEY, fid INTEGER NOT NULL, anchor TEXT, heading TEXT, level INTEGER,
    line INTEGER, length INTEGER, text TEXT);
CREATE TABLE IF NOT EXISTS postings(term TEXT NOT NULL, sid INTEGER NOT NULL, tf REAL);
CREATE INDEX IF NOT EXISTS postings_term ON postings(term);
CREATE INDEX IF NOT EXISTS postings_sid ON postings(sid);
CREATE INDEX IF NOT EXISTS sections_fid ON sections(fid);
"""


@dataclass
class Hit:
    """One ranked section."""

    id: str
    anchor: str
    path: str
    title: str
    heading: str
    line: int
    kind: str
    score: float
    snippet: str
    highlights: list[tuple[int, int]]
    """``(start, end)`` character spans of ``snippet`` that match the query."""

    @property
    def ref(self) -> str:
        """``id#anchor`` (just ``id`` for the part of a file before its first heading)."""
        return f"{self.id}#{self.anchor}" if self.anchor else self.id

    def as_dict(self) -> dict[str, object]:
        """The JSON object ``reflib find --json`` prints for this hit."""
        return {"id": self.id, "anchor": self.anchor, "path": self.path, "title": self.title,
                "snippet": self.snippet, "heading": self.heading, "line": self.line,
                "kind": self.kind, "score": round(self.score, 4)}


class Index:
    """The on-disk search index of one library; use as a context manager."""

    def __init__(self, root: str | Path, db_path: str | Path | None = None) -> None:
        self.root = Path(root).resolve()
        self.db_path = Path(db_path) if db_path is not None else self.root / INDEX_PATH
        self.conn = self._open()
        self.reindexed: list[str] = []
        """Files (re-)indexed by the last :meth:`refresh`."""

    # -- storage --

    def _open(self) -> sqlite3.Connection:
        self.in_memory = False
        try:
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
            conn = self._connect(str(self.db_path))
        except (OSError, sqlite3.Error):
            conn = self._connect(":memory:")
            self.in_memory = True
        return conn

    def _connect(self, target: str) -> sqlite3.Connection:
        conn = sqlite3.connect(target, timeout=30, isolation_level=None)
        try:
            version = None
            with suppress(sqlite3.OperationalError):
                row = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
                version = row[0] if row else None
            if version != SCHEMA_VERSION:
                conn.executescript(
                    "DROP TABLE IF EXISTS postings; DROP TABLE IF EXISTS sections;"
                    "DROP TABLE IF EXISTS files; DROP TABLE IF EXISTS meta;" + _SCHEMA)
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
                conn.commit()
            return conn
        except sqlite3.DatabaseError:
            conn.close()
            if target == ":memory:":
                raise
            # a corrupt or foreign file: start again
            Path(target).unlink(missing_ok=True)
            return self._connect_fresh(target)

    def _connect_fresh(self, target: str) -> sqlite3.Connection:
        conn = sqlite3.connect(target, timeout=30, isolation_level=None)
        conn.executescript(_SCHEMA)
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        conn.commit()
        return conn

    def close(self) -> None:
        """Close the database."""
        self.conn.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- refresh --

    def refresh(self) -> list[str]:
        """Bring the index up to date with the files on disk; returns the files re-indexed.

        Changes are applied in one write transaction that re-reads the index state first, so
        concurrent lookups never index a file twice. When the index file cannot be written
        (a read-only checkout), the lookup falls back to an index in memory.
        """
        current: dict[str, tuple[Path, int, int]] = {}
        for path in library_files(self.root):
            try:
                st = path.stat()
            except OSError:
                continue
            current[paths.to_posix(path, self.root)] = (path, st.st_mtime_ns, st.st_size)
        self.reindexed = []
        changed, gone, _ = self._changes(current)
        if not changed and not gone:
            return []
        try:
            self._apply(current)
        except sqlite3.OperationalError:
            if self.in_memory:
                raise
            self.conn.close()
            self.conn = self._connect(":memory:")
            self.in_memory = True
            self.reindexed = []
            self._apply(current)
        return self.reindexed

    def _changes(self, current: dict[str, tuple[Path, int, int]]
                 ) -> tuple[list[str], list[str], dict[str, int]]:
        """Files to (re-)index, files gone, and the id of each indexed file."""
        known = {rel: (fid, mtime, size) for fid, rel, mtime, size in
                 self.conn.execute("SELECT fid, rel, mtime_ns, size FROM files")}
        changed = sorted(rel for rel, (_, mtime, size) in current.items()
                         if known.get(rel, (0, -1, -1))[1:] != (mtime, size))
        gone = [rel for rel in known if rel not in current]
        return changed, gone, {rel: v[0] for rel, v in known.items()}

    def _apply(self, current: dict[str, tuple[Path, int, int]]) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            changed, gone, fids = self._changes(current)
            for rel in gone:
                self._drop(fids[rel])
            for rel in changed:
                path, mtime, size = current[rel]
                if rel in fids:
                    self._drop(fids[rel])
                self._add(rel, path, mtime, size)
                self.reindexed.append(rel)
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()

    def _drop(self, fid: int) -> None:
        self.conn.execute(
            "DELETE FROM postings WHERE sid IN (SELECT sid FROM sections WHERE fid=?)", (fid,))
        self.conn.execute("DELETE FROM sections WHERE fid=?", (fid,))
        self.conn.execute("DELETE FROM files WHERE fid=?", (fid,))

    def _add(self, rel: str, path: Path, mtime: int, size: int) -> None:
        doc = load_document(self.root, path)
        pid = paths.page_id(rel) or rel
        try:
            text = normalize_newlines(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            text = ""  # unreadable: listed (so it is not re-read each time) but not searchable
        title = doc.title if text else pid
        cur = self.conn.execute(
            "INSERT INTO files(rel, mtime_ns, size, kind, id, title) VALUES (?,?,?,?,?,?)",
            (rel, mtime, size, doc.kind, pid, title))
        fid = cur.lastrowid
        if not text:
            return
        title_terms = Counter(tokenize(title))
        for sec in sections_of(doc, text):
            body_terms = Counter(tokenize(sec.text))
            heading_terms = Counter(tokenize(sec.heading))
            length = sum(body_terms.values()) + sum(heading_terms.values())
            cur = self.conn.execute(
                "INSERT INTO sections(fid, anchor, heading, level, line, length, text) "
                "VALUES (?,?,?,?,?,?,?)",
                (fid, sec.anchor, sec.heading, sec.level, sec.line, length, sec.text))
            sid = cur.lastrowid
            weights: dict[str, float] = dict.fromkeys(body_terms, 0.0)
            for term, n in body_terms.items():
                weights[term] += n
            for term, n in heading_terms.items():
                weights[term] = weights.get(term, 0.0) + HEADING_WEIGHT * n
            for term, n in title_terms.items():
                weights[term] = weights.get(term, 0.0) + TITLE_WEIGHT * n
            self.conn.executemany("INSERT INTO postings(term, sid, tf) VALUES (?,?,?)",
                                  [(t, sid, w) for t, w in weights.items()])

    # -- search --

    def search(self, query: str | Query, *, limit: int = 10, kinds: Iterable[str] = (),
               ids: set[str] | None = None) -> list[Hit]:
        """The ``limit`` best sections for ``query`` (call :meth:`refresh` first).

        ``kinds`` keeps only files of those kinds (``fulltext``, ``card``, ``topic``,
        ``doc``); ``ids`` keeps only files whose id is in the set.
        """
        q = parse_query(query) if isinstance(query, str) else query
        if not q.terms:
            return []
        n_sections, avgdl = self.conn.execute(
            "SELECT COUNT(*), AVG(length) FROM sections").fetchone()
        if not n_sections:
            return []
        avgdl = avgdl or 1.0
        lengths: dict[int, int] = {}
        scores: dict[int, float] = {}
        for term in q.terms:
            rows = self.conn.execute(
                "SELECT p.sid, p.tf, s.length FROM postings p JOIN sections s ON s.sid=p.sid "
                "WHERE p.term=?", (term,)).fetchall()
            if not rows:
                continue
            df = len(rows)
            idf = math.log(1 + (n_sections - df + 0.5) / (df + 0.5))
            for sid, tf, length in rows:
                lengths[sid] = length
                norm = K1 * (1 - B + B * length / avgdl)
                scores[sid] = scores.get(sid, 0.0) + idf * tf * (K1 + 1) / (tf + norm)
        kinds = set(kinds)
        ranked = sorted(scores.items(), key=lambda item: -item[1])
        hits: list[Hit] = []
        pool = max(200, limit * 10) if q.phrases else limit
        for chunk in _chunks(ranked, 256):
            for hit in self._hits(chunk, q, kinds, ids):
                hits.append(hit)
            if len(hits) >= pool:
                break
        hits.sort(key=lambda h: (-h.score, h.path, h.line))
        return hits[:limit]

    def _hits(self, chunk: list[tuple[int, float]], q: Query, kinds: set[str],
              ids: set[str] | None) -> Iterator[Hit]:
        marks = ",".join("?" * len(chunk))
        rows = self.conn.execute(
            f"SELECT s.sid, s.anchor, s.heading, s.line, s.text, f.rel, f.kind, f.id, f.title "
            f"FROM sections s JOIN files f ON f.fid=s.fid WHERE s.sid IN ({marks})",
            [sid for sid, _ in chunk]).fetchall()
        info = {row[0]: row[1:] for row in rows}
        for sid, score in chunk:
            if sid not in info:
                continue
            anchor, heading, line, text, rel, kind, pid, title = info[sid]
            if kinds and kind not in kinds:
                continue
            if ids is not None and pid not in ids:
                continue
            if q.phrases:
                squashed = _squash(heading + " " + text)
                for phrase in q.phrases:
                    if phrase in squashed:
                        score *= PHRASE_BOOST
            snippet, spans = make_snippet(text or heading, q)
            yield Hit(pid, anchor, rel, title, heading, line, kind, score, snippet, spans)


def _chunks(items: list[tuple[int, float]], size: int) -> Iterator[list[tuple[int, float]]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def make_snippet(text: str, q: Query, width: int = SNIPPET_CHARS) -> tuple[str, list[tuple[int, int]]]:
    """A one-line excerpt of ``text`` around the densest cluster of query matches, and the
    character spans of the matches inside it."""
    flat = " ".join(text.split())
    terms = set(q.terms)
    matches: list[tuple[int, int, frozenset[str]]] = []
    for m in _WORD.finditer(flat):
        found = frozenset(t for t in _word_tokens(unicodedata.normalize("NFKC", m.group(0)).lower())
                          if t in terms)
        if found:
            matches.append((m.start(), m.end(), found))
    for phrase in q.phrases:
        pos = flat.lower().find(phrase)
        if pos >= 0:
            matches.append((pos, pos + len(phrase), frozenset({"\0" + phrase})))
    matches.sort()
    start = 0
    if matches:
        best, best_key = 0, (-1, -1)
        for i, (s, _, _) in enumerate(matches):
            seen: set[str] = set()
            for s2, _, found in matches[i:]:
                if s2 - s > width - 40:
                    break
                seen |= found
            key = (len(seen), -i)
            if key > best_key:
                best, best_key = i, key
        start = max(0, matches[best][0] - 40)
        if start:
            space = flat.rfind(" ", 0, start)
            start = space + 1 if space >= 0 and start - space < 20 else start
    end = min(len(flat), start + width)
    if end < len(flat):
        space = flat.rfind(" ", start, end)
        if space > start + width // 2:
            end = space
    snippet = flat[start:end]
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(flat) else ""
    shift = len(prefix) - start
    spans = []
    for s, e, _ in matches:
        if s >= start and e <= end:
            spans.append((s + shift, e + shift))
    return prefix + snippet + suffix, _merge(spans)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def find(root: str | Path, query: str, *, limit: int = 10, kinds: Iterable[str] = (),
         ids: set[str] | None = None) -> list[Hit]:
    """Refresh the index of the library at ``root`` and return the best sections."""
    with closing(Index(root)) as index:
        index.refresh()
        return index.search(query, limit=limit, kinds=kinds, ids=ids)


__all__ = ["Hit", "Index", "Query", "find", "parse_query", "stem", "tokenize"]
