"""Adding a resource you have: a file or folder on disk, or a URL, becomes a manifest entry
with its raw artifacts saved under ``sources/<id>/raw/``.

:func:`plan` works out the entry (id, type and title guessed from the source unless given)
without writing anything; :func:`add` saves the raw artifacts (copied, or fetched with
:func:`reflib.fetch.resource.fetch_resource`) and appends the entry to the manifest under its lock,
all or nothing: when the manifest cannot take the entry, the files saved for it are removed.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from reflib.core import manifest
from reflib.core.errors import ReflibError
from reflib.core.paths import MANIFEST, RAW_DIR, SOURCES_DIR, outside
from reflib.core.schema import ID_PATTERN, PRIORITIES, TYPES
from reflib.fetch.resource import (
    FetchOptions,
    fetch_resource,
    github_issue_parts,
    github_repo_parts,
    url_slug,
)

MAX_ID = 60
"""Length cap of a guessed id."""

_PAPER_HOSTS = re.compile(r"(^|\.)(arxiv\.org|openreview\.net|doi\.org|aclanthology\.org|"
                          r"dl\.acm\.org|usenix\.org|proceedings\.\w+|papers\.nips\.cc|"
                          r"semanticscholar\.org|biorxiv\.org|medrxiv\.org)$", re.I)
_RFC_URL = re.compile(r"(rfc-editor\.org|ietf\.org|datatracker\.ietf\.org)/.*rfc[-_ ]?\d+", re.I)
_BLOG_PATH = re.compile(r"/(blog|blogs|posts?|articles?|news|\d{4}/\d{2})/", re.I)
_BLOG_HOSTS = re.compile(r"(^|\.)(medium\.com|substack\.com|dev\.to|hashnode\.dev|"
                         r"wordpress\.com|blogspot\.com)$|^blog\.", re.I)
_PAGE_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml")
_TITLE_SPACE = re.compile(r"\s+")
_JUNK_PDF_TITLES = re.compile(r"^(untitled|microsoft word|document\d*|\S+\.(docx?|pdf|tex|dvi))",
                              re.I)


class AddError(ReflibError):
    """The resource cannot be added (the message says why and what to do)."""


@dataclass
class Plan:
    """What :func:`add` will do."""

    entry: dict[str, Any]
    """The manifest entry, in key order."""
    source: Path | None = None
    """The local file or folder to copy (``None``: fetch ``entry['url']``)."""
    in_place: bool = False
    """The source already is ``sources/<id>/raw/<name>``: nothing is copied."""
    guessed: list[str] = field(default_factory=list)
    """Which of id, type and title were guessed (said in the command's output)."""


@dataclass
class Added:
    """What :func:`add` did."""

    entry: dict[str, Any]
    sizes: dict[str, int]
    """Bytes per saved raw entry (``raw/<name>``)."""


def is_url(text: str) -> bool:
    """Whether ``text`` is an http(s) URL."""
    return urlsplit(text).scheme.lower() in ("http", "https")


def local_path(text: str) -> Path:
    """The path of ``text``, a path or a ``file://`` URL."""
    parts = urlsplit(text)
    if parts.scheme.lower() == "file":
        return Path(unquote(parts.path))
    return Path(text).expanduser()


def guess_type_of_url(url: str) -> str:
    """The resource type a URL most likely is (``docs`` when nothing says otherwise)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if github_issue_parts(url):
        return "issue"
    if github_repo_parts(url) or (
            host in ("gitlab.com", "codeberg.org") and parts.path.strip("/").count("/") == 1):
        return "repo"
    if _RFC_URL.search(url):
        return "rfc"
    if _PAPER_HOSTS.search(host) or parts.path.lower().endswith(".pdf"):
        return "paper"
    if _BLOG_HOSTS.search(host) or _BLOG_PATH.search(parts.path + "/"):
        return "blog"
    return "docs"


def guess_type_of_path(path: Path) -> str:
    """The resource type of a local file or folder: a PDF is a paper, an HTML page docs, a
    folder a repo (a checkout), a JSON file an issue (as ``reflib fetch`` saves them)."""
    if path.is_dir():
        return "repo"
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return "paper"
    if suffix in _PAGE_SUFFIXES:
        return "docs"
    if suffix == ".json":
        return "issue"
    return "other"


def slug(text: str, max_len: int = MAX_ID) -> str:
    """An id from free text: lowercase ASCII letters, digits and dashes."""
    value = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    value = value[:max_len].rstrip("-")
    return value or "resource"


def guess_id(source: str, taken: set[str]) -> str:
    """An unused id from a URL or a file name (``-2``, ``-3``, ... when taken)."""
    if is_url(source):
        parts = urlsplit(source)
        issue = github_issue_parts(source)
        repo = github_repo_parts(source)
        if issue:
            base = slug(f"{issue[1]}-{issue[2]}")
        elif repo:
            base = slug(repo[1])
        else:
            stem = url_slug(source, MAX_ID)
            base = slug(stem if stem != "index" else (parts.hostname or "page"))
            if stem == "index" or len(base) < 3:
                base = slug(f"{parts.hostname or ''}-{base}")
    else:
        path = local_path(source)
        base = slug(path.stem if path.is_file() else path.name)
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base[:MAX_ID - 4]}-{n}"
    return candidate


def _clean_title(text: str | None) -> str:
    return _TITLE_SPACE.sub(" ", text or "").strip()[:300]


def title_of(path: Path) -> str:
    """The title a saved raw artifact gives itself ('' when it gives none): an HTML page's
    ``og:title`` or ``<title>`` or first ``h1``; a PDF's metadata title (when it is not a
    word processor's file name) or its first line of text; an issue's ``title``; a folder's
    README first heading."""
    try:
        if path.is_dir():
            for name in ("README.md", "README.rst", "README.txt", "README"):
                readme = path / name
                if readme.is_file():
                    for line in readme.read_text(encoding="utf-8", errors="replace").splitlines():
                        if line.startswith("# "):
                            return _clean_title(line[2:])
            return ""
        suffix = path.suffix.lower()
        if suffix == ".pdf":
            return _pdf_title(path)
        if suffix in _PAGE_SUFFIXES:
            return _html_title(path.read_bytes())
        if suffix == ".json":
            import json

            data = json.loads(path.read_text(encoding="utf-8", errors="replace"))
            if isinstance(data, dict):
                issue = data.get("issue", data)
                if isinstance(issue, dict) and isinstance(issue.get("title"), str):
                    return _clean_title(issue["title"])
    except (OSError, ValueError):
        return ""
    return ""


def _html_title(data: bytes) -> str:
    from lxml import html as lxml_html

    from reflib.convert.html.decode import decode_html

    try:
        text, _ = decode_html(data)
        tree = lxml_html.document_fromstring(text)
    except Exception:  # an unreadable page has no title; the file name stands in
        return ""
    for xpath in ('//meta[@property="og:title"]/@content', "//title//text()", "//h1//text()"):
        found = _clean_title(" ".join(str(t) for t in tree.xpath(xpath)))
        if found:
            return found
    return ""


def _pdf_title(path: Path) -> str:
    import pymupdf

    try:
        with pymupdf.open(path) as doc:
            meta = _clean_title((doc.metadata or {}).get("title"))
            if len(meta) >= 4 and not _JUNK_PDF_TITLES.match(meta):
                return meta
            if doc.page_count:
                for line in doc[0].get_text().splitlines():
                    line = _clean_title(line)
                    if len(line) >= 4:
                        return line
    except Exception:  # pymupdf raises its own error types for damaged files
        return ""
    return ""


def plan(root: Path, source: str, *, rid: str | None = None, type_: str | None = None,
         title: str | None = None, priority: str | None = None, phase: int | None = None,
         topics: Sequence[str] = (), url: str | None = None, fetch: bool = True) -> Plan:
    """The entry for ``source`` (a URL, a path or a ``file://`` URL); raises
    :class:`AddError` naming what is wrong and what to do. Writes nothing."""
    doc = manifest.load(root / MANIFEST)
    if doc.shape_problems:
        line, message = doc.shape_problems[0]
        raise AddError(message, MANIFEST, line)
    taken = {str(e.data.get("id")) for e in doc.entries}
    guessed: list[str] = []
    local: Path | None = None
    in_place = False
    if not is_url(source):
        local = local_path(source)
        if not local.exists():
            raise AddError(f"no such file or folder: {source} (give a path or an http(s) URL)")
        local = local.resolve()
        placed = _in_raw_folder(root, local)
        if placed is not None:
            in_place = True
            rid = rid or placed
            if rid != placed:
                raise AddError(f"{source} is already in {SOURCES_DIR}/{placed}/{RAW_DIR}/: "
                               f"its id is '{placed}', not '{rid}'")
    if rid is None:
        rid = guess_id(source, taken)
        guessed.append("id")
    if not re.match(ID_PATTERN, rid) or len(rid) > 200:
        raise AddError(f"invalid id '{rid}': lowercase letters, digits, '.', '_' and '-', "
                       "starting with a letter or digit")
    if rid in taken:
        holder = next(e for e in doc.entries if str(e.data.get("id")) == rid)
        raise AddError(f"the id '{rid}' is taken; choose another with --id", MANIFEST,
                       holder.line)
    if type_ is None:
        type_ = guess_type_of_path(local) if local is not None else guess_type_of_url(source)
        guessed.append("type")
    if type_ not in TYPES:
        raise AddError(f"unknown type '{type_}': one of {', '.join(TYPES)}")
    if priority is not None and priority not in PRIORITIES:
        raise AddError(f"unknown priority '{priority}': one of {', '.join(PRIORITIES)}")
    if phase is not None and phase < 1:
        raise AddError("--phase is a positive integer")
    known_topics = sorted(p.stem for p in (root / "refs" / "topics").glob("*.md"))
    for topic in topics:
        if topic not in known_topics:
            import difflib

            close = difflib.get_close_matches(topic, known_topics, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise AddError(f"no topic '{topic}' (refs/topics/{topic}.md){hint}; write it first "
                           f"with 'reflib new topic {topic}'")
    source_dir = root / SOURCES_DIR / rid
    if not in_place and (source_dir.exists() or source_dir.is_symlink()):
        raise AddError(f"{SOURCES_DIR}/{rid}/ exists already: choose another id with --id, or "
                       "remove the folder")
    link = url if url is not None else (source if local is None else None)
    if local is None and not fetch and not link:
        raise AddError("a resource added without fetching needs its URL")
    entry: dict[str, Any] = {"id": rid, "title": "", "type": type_}
    if link:
        entry["url"] = link
    entry["priority"] = priority or "medium"
    if phase is not None:
        entry["phase"] = phase
    entry["status"] = "fetched" if (local is not None or fetch) else "link_only"
    if topics:
        entry["topics"] = list(dict.fromkeys(topics))
    if local is not None:
        entry["raw"] = [f"{RAW_DIR}/{local.name}"]
    if title is not None:
        if not _clean_title(title):
            raise AddError("--title is empty")
        entry["title"] = _clean_title(title)
    elif local is not None:
        entry["title"] = title_of(local) or local.stem.replace("_", " ").replace("-", " ")
        guessed.append("title")
    else:
        guessed.append("title")  # from the fetched page, or the URL (see :func:`add`)
    return Plan(entry, local, in_place, guessed)


def _in_raw_folder(root: Path, path: Path) -> str | None:
    """The id when ``path`` is ``<root>/sources/<id>/raw/<name>``."""
    try:
        rel = path.relative_to(root.resolve())
    except ValueError:
        return None
    parts = rel.parts
    if len(parts) == 4 and parts[0] == SOURCES_DIR and parts[2] == RAW_DIR:
        return parts[1]
    return None


def _copy(source: Path, source_dir: Path) -> dict[str, int]:
    """Copy ``source`` into ``source_dir/raw/``: into a temporary folder first, then moved."""
    source_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".add-", dir=source_dir))
    try:
        target = tmp / source.name
        if source.is_dir():
            # a checkout: its symbolic links stay links (the checker reports any that lead
            # outside the library); the .git folder is history, not content
            shutil.copytree(source, target, symlinks=True,
                            ignore=shutil.ignore_patterns(".git"))
            size = sum(p.stat().st_size for p in target.rglob("*")
                       if p.is_file() and not p.is_symlink())
        else:
            shutil.copyfile(source, target)
            size = target.stat().st_size
        raw = source_dir / RAW_DIR
        raw.mkdir(exist_ok=True)
        os.replace(target, raw / source.name)
        return {f"{RAW_DIR}/{source.name}": size}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def add(root: Path, planned: Plan, options: FetchOptions | None = None) -> Added:
    """Save the raw artifacts of ``planned`` and append its entry to the manifest; on any
    failure nothing is left behind (a ``sources/<id>/`` folder made for it is removed)."""
    entry = dict(planned.entry)
    rid = str(entry["id"])
    source_dir = root / SOURCES_DIR / rid
    made = not source_dir.exists()
    if (root / SOURCES_DIR).exists() and outside(root / SOURCES_DIR, root):
        raise AddError(f"{SOURCES_DIR}/ is a symbolic link to a place outside the library; "
                       "nothing is written outside it")
    try:
        sizes: dict[str, int] = {}
        if planned.in_place:
            assert planned.source is not None
            sizes = {f"{RAW_DIR}/{planned.source.name}": planned.source.stat().st_size}
        elif planned.source is not None:
            sizes = _copy(planned.source, source_dir)
        elif entry["status"] == "fetched":
            fetched = fetch_resource(root, entry, options or FetchOptions())
            entry["raw"] = fetched.raw
            sizes = fetched.sizes
        if not entry["title"]:
            first = source_dir / entry["raw"][0] if entry.get("raw") else None
            entry["title"] = (title_of(first) if first is not None else "") or \
                _title_from_url(str(entry.get("url", rid)))
        manifest.append_entry(root / MANIFEST, entry)
    except BaseException:
        if made and not planned.in_place:
            shutil.rmtree(source_dir, ignore_errors=True)
        raise
    return Added(entry, sizes)


def _title_from_url(url: str) -> str:
    parts = urlsplit(url)
    words = [w for w in re.split(r"[/_.-]+", unquote(parts.path)) if w and w not in (
        "index", "html", "htm")]
    return " ".join(words[-4:]) or (parts.hostname or url)


__all__ = ["AddError", "Added", "Plan", "add", "guess_id", "guess_type_of_path",
           "guess_type_of_url", "is_url", "local_path", "plan", "title_of"]
