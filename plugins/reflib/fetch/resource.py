"""Tier 1: download the raw artifacts of a resource into ``sources/<id>/raw/``.

What is saved, by the entry's ``type``:

``docs``, ``blog``, ``other``
    the ``url`` page, then every URL of the entry's optional ``fetch:`` list (sub-pages,
    relative URLs resolved against ``url``), each as ``raw/<slug>.html`` where the slug comes
    from the URL's path (and query); names are stable and made unique with ``-2``, ``-3`` ...
    A page served as PDF or plain text keeps ``.pdf`` / ``.txt``.
``paper``
    the PDF, as ``raw/<id>.pdf``: an arXiv ``/abs/`` URL becomes its ``/pdf/`` URL, an
    OpenReview ``forum`` URL its ``pdf`` URL; a landing page can name its PDF as the first
    entry of ``fetch:``. The body must start with ``%PDF``.
``issue``
    a GitHub issue or pull request (``https://github.com/O/R/issues/N``): the REST API issue
    object and every page of its comments (following ``Link: rel="next"``), as
    ``raw/issue.json`` = ``{"source": url, "issue": {...}, "comments": [...]}``.
``repo``
    a GitHub repository (optionally ``/tree/<ref>``): its codeload tarball, extracted into
    ``raw/repo/`` without the archive's top folder. Absolute paths, ``..``, links that leave
    the folder and device files are refused (the whole archive is rejected).
``rfc``
    the page as it is: ``raw/rfcNNNN.html``, or ``.txt`` for a plain-text RFC.

Everything is downloaded into a temporary folder beside ``raw/`` and moved into place only when
the whole resource succeeded, so a failure leaves no partial file behind. The GitHub API and
codeload bases can be pointed elsewhere with ``REFLIB_GITHUB_API`` and
``REFLIB_GITHUB_CODELOAD`` (tests, GitHub Enterprise).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import posixpath
import re
import shutil
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from reflib.core.errors import ReflibError
from reflib.core.fsutil import atomic_write
from reflib.core.paths import RAW_DIR, SOURCES_DIR, outside
from reflib.core.schema import ID_PATTERN
from reflib.fetch import http

DEFAULT_GITHUB_API = "https://api.github.com"
DEFAULT_GITHUB_CODELOAD = "https://codeload.github.com"
MAX_COMMENT_PAGES = 500
EXTRACT_FACTOR = 10
"""An archive may unpack to at most this many times the download size cap."""
MAX_ARCHIVE_MEMBERS = 200_000
PAGE_TYPES = ("docs", "blog", "other")
GITHUB_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


class FetchError(ReflibError):
    """A resource could not be fetched; nothing was saved."""


@dataclass
class FetchOptions:
    """Network limits for one ``reflib fetch`` run."""

    timeout: float = 30.0
    """Seconds for each request attempt as a whole (connecting, waiting and reading)."""
    max_bytes: int = http.DEFAULT_MAX_BYTES
    """Size cap of each download."""
    retries: int = 2


@dataclass
class Fetched:
    """The result of fetching one resource."""

    raw: list[str]
    """The new ``raw`` list, relative to ``sources/<id>/`` (``raw/...``), in reading order."""
    sizes: dict[str, int] = field(default_factory=dict)
    """Bytes saved per raw entry (a folder counts its files)."""


def github_api_base() -> str:
    """``$REFLIB_GITHUB_API`` or ``https://api.github.com``, without a trailing slash."""
    return (os.environ.get("REFLIB_GITHUB_API") or DEFAULT_GITHUB_API).rstrip("/")


def github_codeload_base() -> str:
    """``$REFLIB_GITHUB_CODELOAD`` or ``https://codeload.github.com``, without a trailing slash."""
    return (os.environ.get("REFLIB_GITHUB_CODELOAD") or DEFAULT_GITHUB_CODELOAD).rstrip("/")


# --- URL helpers ------------------------------------------------------------------------------

_GITHUB = r"^https?://(?:www\.)?github\.com/"
_ISSUE_URL = re.compile(_GITHUB + r"([^/?#]+)/([^/?#]+)/(?:issues|pull)/(\d+)(?:[/?#].*)?$", re.I)
_REPO_URL = re.compile(_GITHUB + r"([^/?#]+)/([^/?#]+?)(?:\.git)?(?:/tree/([^?#]+?))?/?(?:[?#].*)?$",
                       re.I)
_ARXIV = re.compile(r"^https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/([^?#]+?)(?:\.pdf)?/?"
                    r"(?:[?#].*)?$", re.I)
_OPENREVIEW = re.compile(r"^(https?://(?:www\.)?openreview\.net)/forum\?(.*)$", re.I)
_RFC_NUMBER = re.compile(r"rfc[-_ ]?(\d{1,5})(?!\d)", re.I)
_PAGE_EXTENSIONS = (".html", ".htm", ".xhtml", ".shtml")


def github_issue_parts(url: str) -> tuple[str, str, int] | None:
    """``(owner, repo, number)`` of a GitHub issue or pull-request URL, else ``None``."""
    m = _ISSUE_URL.match(url.strip())
    return (m.group(1), m.group(2), int(m.group(3))) if m else None


def github_repo_parts(url: str) -> tuple[str, str, str] | None:
    """``(owner, repo, ref)`` of a GitHub repository URL (ref ``HEAD`` unless ``/tree/<ref>``)."""
    m = _REPO_URL.match(url.strip())
    if not m:
        return None
    return m.group(1), m.group(2), (m.group(3) or "HEAD").strip("/")


def paper_pdf_url(url: str) -> str:
    """The PDF URL of a paper URL: arXiv ``abs`` -> ``pdf``, OpenReview ``forum`` -> ``pdf``."""
    url = url.strip()
    m = _ARXIV.match(url)
    if m:
        return f"https://arxiv.org/pdf/{m.group(1)}"
    m = _OPENREVIEW.match(url)
    if m:
        return f"{m.group(1)}/pdf?{m.group(2)}"
    return url


def url_slug(url: str, max_len: int = 80) -> str:
    """A stable file stem from a URL's path and query: ``/docs/env.html`` -> ``docs-env``."""
    parts = urlsplit(url)
    path = parts.path
    lower = path.lower()
    for ext in _PAGE_EXTENSIONS:
        if lower.endswith(ext):
            path = path[: -len(ext)]
            break
    text = path + ("-" + parts.query if parts.query else "")
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "index"
    if len(slug) > max_len:
        digest = hashlib.sha1(url.encode("utf-8")).hexdigest()[:8]
        slug = slug[: max_len - 9].rstrip("-") + "-" + digest
    return slug


def _unique(stem: str, ext: str, taken: set[str]) -> str:
    name, n = stem + ext, 1
    while name in taken:
        n += 1
        name = f"{stem}-{n}{ext}"
    taken.add(name)
    return name


# --- downloads --------------------------------------------------------------------------------


def _get(url: str, opts: FetchOptions, headers: Mapping[str, str] | None = None) -> http.Response:
    resp = http.get(url, timeout=opts.timeout, retries=opts.retries, max_bytes=opts.max_bytes,
                    headers=headers)
    if not resp.ok:
        hint = ""
        if resp.status in (401, 403, 404) and "github" in (urlsplit(resp.url).hostname or ""):
            if resp.header("x-ratelimit-remaining") == "0":
                hint = " (GitHub API rate limit reached; set GITHUB_TOKEN)"
            elif resp.status == 404:
                hint = " (private repository? set GITHUB_TOKEN)"
        reason = f" {resp.reason}" if resp.reason else ""
        raise FetchError(f"HTTP {resp.status}{reason} from {resp.url}{hint}")
    if not resp.body:
        raise FetchError(f"empty response from {resp.url}")
    return resp


def _page_extension(resp: http.Response) -> str:
    if resp.body[:1024].lstrip().startswith(b"%PDF") or resp.content_type == "application/pdf":
        return ".pdf"
    if resp.content_type == "text/plain":
        return ".txt"
    return ".html"


def _fetch_pages(entry: Mapping[str, Any], url: str, tmp: Path, opts: FetchOptions) -> list[str]:
    extra = entry.get("fetch") or []
    if not isinstance(extra, list) or not all(isinstance(u, str) and u.strip() for u in extra):
        raise FetchError("'fetch' must be a list of URLs")
    urls = list(dict.fromkeys([url, *(urljoin(url, u.strip()) for u in extra)]))
    taken: set[str] = set()
    names: list[str] = []
    for page in urls:
        resp = _get(page, opts)
        name = _unique(url_slug(page), _page_extension(resp), taken)
        (tmp / name).write_bytes(resp.body)
        names.append(name)
    return names


def _fetch_paper(entry: Mapping[str, Any], url: str, tmp: Path, opts: FetchOptions) -> list[str]:
    extra = entry.get("fetch")
    if extra and isinstance(extra, list) and isinstance(extra[0], str):
        pdf = urljoin(url, extra[0].strip())
    else:
        pdf = paper_pdf_url(url)
    resp = _get(pdf, opts)
    if not resp.body[:1024].lstrip().startswith(b"%PDF"):
        got = resp.content_type or "no content type"
        raise FetchError(f"{resp.url} is not a PDF (got {got}); point 'url' at the PDF or "
                         "list the PDF URL first under 'fetch:'")
    name = f"{entry['id']}.pdf"
    (tmp / name).write_bytes(resp.body)
    return [name]


def _fetch_issue(url: str, tmp: Path, opts: FetchOptions) -> list[str]:
    parts = github_issue_parts(url)
    if parts is None:
        raise FetchError(f"not a GitHub issue URL (https://github.com/OWNER/REPO/issues/N): {url}")
    owner, repo, number = parts
    api = f"{github_api_base()}/repos/{quote(owner)}/{quote(repo)}/issues/{number}"
    try:
        issue = _get(api, opts, GITHUB_HEADERS).json()
    except ValueError as exc:
        raise FetchError(f"the GitHub API answered {api} with invalid JSON: {exc}") from None
    if not isinstance(issue, dict):
        raise FetchError(f"the GitHub API answered {api} with no issue object")
    comments: list[Any] = []
    next_url: str | None = f"{api}/comments?per_page=100"
    seen: set[str] = set()
    while next_url:
        if next_url in seen or len(seen) >= MAX_COMMENT_PAGES:
            raise FetchError(f"comment pages of {url} do not end (stopped at {next_url})")
        seen.add(next_url)
        resp = _get(next_url, opts, GITHUB_HEADERS)
        try:
            page = resp.json()
        except ValueError as exc:
            raise FetchError(f"invalid JSON in comments page {next_url}: {exc}") from None
        if not isinstance(page, list):
            raise FetchError(f"comments page {next_url} is not a JSON list")
        comments.extend(page)
        next_url = resp.links().get("next")
    record = {"source": url, "issue": issue, "comments": comments}
    (tmp / "issue.json").write_text(
        json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return ["issue.json"]


def _fetch_rfc(url: str, tmp: Path, opts: FetchOptions) -> list[str]:
    resp = _get(url, opts)
    m = _RFC_NUMBER.search(urlsplit(resp.url).path) or _RFC_NUMBER.search(urlsplit(url).path)
    stem = f"rfc{int(m.group(1))}" if m else url_slug(url)
    path = urlsplit(url).path.lower()
    if path.endswith(".txt") or resp.content_type == "text/plain":
        ext = ".txt"
    elif path.endswith(".pdf") or resp.body[:5] == b"%PDF-":
        ext = ".pdf"
    else:
        ext = ".html"
    (tmp / (stem + ext)).write_bytes(resp.body)
    return [stem + ext]


def _fetch_repo(url: str, tmp: Path, opts: FetchOptions) -> list[str]:
    parts = github_repo_parts(url)
    if parts is None:
        raise FetchError(f"only GitHub repositories can be fetched (https://github.com/OWNER/REPO"
                         f"): {url}; put a checkout in raw/repo/ by hand")
    owner, repo, ref = parts
    archive = (f"{github_codeload_base()}/{quote(owner)}/{quote(repo)}/tar.gz/"
               f"{quote(ref, safe='/')}")
    resp = _get(archive, opts)
    extract_tar(resp.body, tmp / "repo", max_total=opts.max_bytes * EXTRACT_FACTOR)
    return ["repo"]


# --- safe tar extraction ----------------------------------------------------------------------


def _safe_member_path(name: str) -> PurePosixPath | None:
    """The member's relative path, or ``None`` when it is absolute or climbs with ``..``."""
    if not name or name.startswith(("/", "\\")) or "\\" in name or "\x00" in name:
        return None
    if re.match(r"^[A-Za-z]:", name):
        return None
    path = PurePosixPath(name)
    if ".." in path.parts:
        return None
    parts = [p for p in path.parts if p not in ("", ".")]
    return PurePosixPath(*parts) if parts else PurePosixPath(".")


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _open_tar(data: bytes) -> tarfile.TarFile:
    try:
        return tarfile.open(fileobj=io.BytesIO(data), mode="r:*")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise FetchError(f"not a readable tar archive: {exc}") from None


def extract_tar(data: bytes, dest: Path, *, max_total: int) -> None:
    """Extract a (compressed) tar archive into the new folder ``dest``, refusing tar slip.

    The archive's single top folder (``repo-<sha>/`` in a GitHub archive) is dropped. Regular
    files and folders are written with modes 0644/0755; a symbolic link is kept only when its
    target stays inside ``dest``; a hard link becomes a copy of its (inside) target. Absolute
    names, ``..``, escaping links, device files and archives that unpack to more than
    ``max_total`` bytes raise :class:`FetchError`.
    """
    with _open_tar(data) as tar:
        try:
            members = tar.getmembers()
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise FetchError(f"corrupt tar archive: {exc}") from None
        if len(members) > MAX_ARCHIVE_MEMBERS:
            raise FetchError(f"archive has more than {MAX_ARCHIVE_MEMBERS} entries")
        planned: list[tuple[tarfile.TarInfo, PurePosixPath]] = []
        for member in members:
            rel = _safe_member_path(member.name)
            if rel is None:
                raise FetchError(f"unsafe path in archive: {member.name!r}")
            if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
                raise FetchError(f"archive holds a device file or fifo: {member.name!r}")
            planned.append((member, rel))
        tops = {rel.parts[0] for _, rel in planned if rel.parts and str(rel) != "."}
        strip = len(tops) == 1 and all(
            m.isdir() for m, rel in planned if len(rel.parts) == 1 and str(rel) != ".")
        total = sum(m.size for m, _ in planned if m.isfile())
        if total > max_total:
            raise FetchError(f"archive unpacks to {http.format_size(total)}, more than the "
                             f"limit of {http.format_size(max_total)}")

        def target(rel: PurePosixPath) -> str | None:
            parts = rel.parts[1:] if strip else rel.parts
            parts = tuple(p for p in parts if p != ".")
            return posixpath.join(*parts) if parts else None

        dest.mkdir(parents=True)
        root = os.path.realpath(dest)
        links: list[tuple[tarfile.TarInfo, str]] = []
        for member, rel in planned:
            out = target(rel)
            if out is None:
                continue
            path = dest / out
            if member.isdir():
                path.mkdir(parents=True, exist_ok=True)
            elif member.isfile():
                path.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                if source is None:  # pragma: no cover - isfile() members always have data
                    raise FetchError(f"cannot read {member.name!r} from the archive")
                with source, open(path, "wb") as handle:
                    shutil.copyfileobj(source, handle)
                os.chmod(path, 0o755 if member.mode & 0o111 else 0o644)
            else:
                links.append((member, out))
        # links last, so files above are never written through a link
        for member, out in links:
            path = dest / out
            parent = os.path.realpath(path.parent)
            if not _inside(parent, root):
                raise FetchError(f"link escapes the archive: {member.name!r}")
            if os.path.lexists(path):
                raise FetchError(f"link would replace an existing path: {member.name!r}")
            if member.issym():
                link = member.linkname
                if not link or link.startswith("/") or "\\" in link:
                    raise FetchError(f"link escapes the archive: {member.name!r} -> {link!r}")
                if not _inside(os.path.realpath(os.path.join(parent, link)), root):
                    raise FetchError(f"link escapes the archive: {member.name!r} -> {link!r}")
                os.makedirs(path.parent, exist_ok=True)
                os.symlink(link, path)
            else:
                link_rel = _safe_member_path(member.linkname)
                link_out = target(link_rel) if link_rel is not None else None
                source_path = os.path.realpath(dest / link_out) if link_out else ""
                if not link_out or not _inside(source_path, root) or not os.path.isfile(
                        source_path):
                    raise FetchError(
                        f"hard link escapes the archive: {member.name!r} -> {member.linkname!r}")
                shutil.copyfile(source_path, path)
                os.chmod(path, 0o755 if member.mode & 0o111 else 0o644)


# --- one resource -----------------------------------------------------------------------------


def download(entry: Mapping[str, Any], tmp: Path, opts: FetchOptions) -> list[str]:
    """Download the raw artifacts of ``entry`` into the empty folder ``tmp``.

    Returns the saved names (files or one folder) relative to ``tmp``, in reading order.
    Raises :class:`FetchError` (or :class:`reflib.fetch.http.HttpError`).
    """
    url = entry.get("url")
    if not isinstance(url, str) or not url.strip():
        raise FetchError("the entry has no 'url'")
    url = url.strip()
    kind = entry.get("type")
    if kind in PAGE_TYPES:
        return _fetch_pages(entry, url, tmp, opts)
    if kind == "paper":
        return _fetch_paper(entry, url, tmp, opts)
    if kind == "issue":
        return _fetch_issue(url, tmp, opts)
    if kind == "repo":
        return _fetch_repo(url, tmp, opts)
    if kind == "rfc":
        return _fetch_rfc(url, tmp, opts)
    raise FetchError(f"cannot fetch a resource of type {kind!r}")


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    return path.stat().st_size


def fetch_resource(root: Path, entry: Mapping[str, Any], opts: FetchOptions) -> Fetched:
    """Fetch one resource into ``<root>/sources/<id>/raw/``; all or nothing.

    The downloads land in a temporary folder inside ``sources/<id>/`` and are moved into
    ``raw/`` (replacing files of the same name) only after all of them succeeded; on failure
    the temporary folder, and the ``sources/<id>/`` (and ``sources/``) folder created for it,
    are removed. The manifest is not touched here.
    """
    rid = str(entry.get("id", ""))
    if not re.match(ID_PATTERN, rid):
        raise FetchError(f"invalid id {rid!r}")
    source_dir = root / SOURCES_DIR / rid
    for folder, shown in ((source_dir, f"{SOURCES_DIR}/{rid}"),
                          (source_dir / RAW_DIR, f"{SOURCES_DIR}/{rid}/{RAW_DIR}")):
        if (folder.exists() or folder.is_symlink()) and outside(folder, root):
            raise FetchError(f"{shown} is a symbolic link to a place outside the library; "
                             "nothing is written outside it: remove the link")
    created = [d for d in (root / SOURCES_DIR, source_dir) if not d.exists()]
    source_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".fetch-", dir=source_dir))
    try:
        names = download(entry, tmp, opts)
        raw_dir = source_dir / RAW_DIR
        raw_dir.mkdir(exist_ok=True)
        sizes: dict[str, int] = {}
        for name in names:
            new, final = tmp / name, raw_dir / name
            sizes[f"{RAW_DIR}/{name}"] = _size(new)
            if final.is_dir() and not final.is_symlink():
                old = Path(tempfile.mkdtemp(prefix=".old-", dir=source_dir))
                os.replace(final, old / name)
                os.replace(new, final)
                shutil.rmtree(old, ignore_errors=True)
            elif new.is_dir():
                if final.exists() or final.is_symlink():
                    final.unlink()
                os.replace(new, final)
            else:
                atomic_write(final, new.read_bytes())
        return Fetched([f"{RAW_DIR}/{n}" for n in names], sizes)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        for folder in reversed(created):  # folders made for this fetch, if left empty
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
