"""A small HTTP client on :mod:`urllib`: redirects, retries, a size cap, and link checks.

Every request carries ``User-Agent: reflib/<version>``. Requests to ``api.github.com`` carry
``Authorization: Bearer $GITHUB_TOKEN`` when that variable is set (and never any other host:
the header is dropped when a redirect leaves the host it was meant for).

Behaviour of :func:`get`:

- redirects (301, 302, 303, 307, 308) are followed by hand, up to :data:`MAX_REDIRECTS`, to
  http and https targets only; :attr:`Response.url` is the final URL;
- connection errors, time-outs, 5xx and 429 are retried ``retries`` times with exponential
  back-off (``backoff``, ``2 * backoff``, ...), or after the server's ``Retry-After`` (seconds or
  an HTTP date) capped at ``max_retry_after``; when the retries run out, the last 5xx/429
  response is returned and a network failure raises :class:`HttpError`;
- any other status is returned as it is (check :attr:`Response.ok` or call
  :meth:`Response.raise_for_status`);
- a body larger than ``max_bytes`` aborts the download with :class:`HttpError` (a declared
  ``Content-Length`` over the cap aborts before anything is read);
- a host that is, or resolves to, a private, loopback or link-local address is refused before
  connecting, on every redirect hop (``$REFLIB_ALLOW_PRIVATE=1`` or ``--allow-private``
  allows it);
- ``timeout`` bounds each attempt as a whole (connecting, waiting and reading: a server that
  sends a byte now and then cannot hold it longer); the optional ``deadline`` bounds the whole
  call, retries included.
"""

from __future__ import annotations

import contextlib
import email.utils
import http.client
import ipaddress
import json
import os
import re
import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

from reflib import __version__
from reflib.core.errors import ReflibError

MIB = 1024 * 1024
DEFAULT_MAX_BYTES = 50 * MIB
USER_AGENT = f"reflib/{__version__}"
MAX_REDIRECTS = 10
MAX_RETRY_AFTER = 60.0
"""Longest wait (seconds) honoured from a ``Retry-After`` header."""
DEFAULT_BACKOFF = 0.5
"""First retry delay in seconds; it doubles with every further attempt."""
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
HEAD_FALLBACK_STATUSES = frozenset({403, 405, 501})
GITHUB_API_HOST = "api.github.com"
CHUNK = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class HttpError(ReflibError):
    """A request that failed without a usable response: network error, time-out, size cap,
    redirect loop, or (from :meth:`Response.raise_for_status`) an error status."""

    def __init__(self, message: str, url: str, status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


@dataclass
class Response:
    """A finished HTTP response."""

    status: int
    url: str
    """The final URL, after redirects."""
    headers: dict[str, str]
    """Header names lower-cased; repeated headers joined with ``", "``."""
    body: bytes
    reason: str = ""
    truncated: bool = False
    """The body was cut at the byte limit on purpose (link checks only)."""
    history: list[str] = field(default_factory=list)
    """The URLs that redirected here, in order."""

    @property
    def ok(self) -> bool:
        """True for a 2xx status."""
        return 200 <= self.status < 300

    def header(self, name: str, default: str | None = None) -> str | None:
        """The value of header ``name`` (any case), or ``default``."""
        return self.headers.get(name.lower(), default)

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower-cased (``""`` when absent)."""
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    def text(self, encoding: str | None = None) -> str:
        """The body decoded with ``encoding``, the declared charset, or UTF-8 (with replacement)."""
        if encoding is None:
            m = re.search(r"charset=([\w.:-]+)", self.header("content-type") or "", re.I)
            encoding = m.group(1) if m else "utf-8"
        try:
            return self.body.decode(encoding, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON (raises :class:`ValueError` when it is not)."""
        return json.loads(self.body.decode("utf-8"))

    def links(self) -> dict[str, str]:
        """The ``Link`` header as ``{rel: absolute URL}`` (e.g. ``links()["next"]``)."""
        return parse_link_header(self.header("link") or "", self.url)

    def raise_for_status(self) -> None:
        """Raise :class:`HttpError` unless the status is 2xx."""
        if not self.ok:
            reason = f" {self.reason}" if self.reason else ""
            raise HttpError(f"HTTP {self.status}{reason} from {self.url}", self.url, self.status)


_LINK_PART = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]+(?:=(?:\"[^\"]*\"|[^;,]*))?)*)")
_LINK_REL = re.compile(r";\s*rel\s*=\s*(?:\"([^\"]*)\"|([^;,\s]+))", re.I)


def parse_link_header(value: str, base: str = "") -> dict[str, str]:
    """Parse an RFC 8288 ``Link`` header into ``{rel: URL}``; relative URLs join ``base``."""
    out: dict[str, str] = {}
    for m in _LINK_PART.finditer(value):
        target = urljoin(base, m.group(1).strip())
        for rel_m in _LINK_REL.finditer(m.group(2)):
            for rel in (rel_m.group(1) or rel_m.group(2) or "").split():
                out.setdefault(rel.lower(), target)
    return out


def format_size(n: float) -> str:
    """``n`` bytes as a short human-readable size."""
    for unit in ("B", "KiB", "MiB"):
        if n < 1024 or unit == "MiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"  # pragma: no cover


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hands 3xx responses back as :class:`urllib.error.HTTPError` so redirects are ours."""

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int,
                         msg: str, headers: http.client.HTTPMessage,
                         newurl: str) -> urllib.request.Request | None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect())


class _Transient(Exception):
    """A failure worth retrying (connection error, time-out, cut-off body)."""


def _describe(exc: BaseException, timeout: float) -> str:
    reason: Any = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return f"timed out after {timeout:g}s"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, ConnectionResetError):
        return "connection reset by the server"
    if isinstance(reason, socket.gaierror):
        return "host name not found"
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted: {reason.verify_message or reason}"
    if isinstance(reason, http.client.IncompleteRead):
        return "connection closed before the whole body arrived"
    if isinstance(reason, http.client.RemoteDisconnected):
        return "server closed the connection without a response"
    text = str(reason) or type(reason).__name__
    return text


def _is_github_api(url: str) -> bool:
    return (urlsplit(url).hostname or "").lower() == GITHUB_API_HOST


def _request_headers(url: str, extra: Mapping[str, str] | None, original_host: str) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    host = (urlsplit(url).hostname or "").lower()
    for key, value in (extra or {}).items():
        if key.lower() in {"authorization", "cookie"} and host != original_host:
            continue  # never carry credentials to another host
        headers[key] = value
    token = os.environ.get("GITHUB_TOKEN", "").strip()
    if token and _is_github_api(url) and not any(k.lower() == "authorization" for k in headers):
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _read_body(fp: Any, url: str, max_bytes: int, truncate: bool,
               deadline_at: float | None, timeout: float) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    total = 0
    while True:
        if deadline_at is not None and time.monotonic() > deadline_at:
            raise _Transient(f"timed out after {timeout:g}s")
        try:
            # read1: return what has arrived (read() would wait for the whole chunk, one
            # slow byte at a time, past any deadline)
            reader = getattr(fp, "read1", None) or fp.read
            chunk = reader(min(CHUNK, max_bytes - total + 1))
        except (OSError, http.client.HTTPException) as exc:
            raise _Transient(_describe(exc, timeout)) from exc
        if not chunk:
            return b"".join(chunks), False
        total += len(chunk)
        if total > max_bytes:
            if truncate:
                chunks.append(chunk[: len(chunk) - (total - max_bytes)])
                return b"".join(chunks), True
            raise HttpError(
                f"download of {url} aborted: larger than the size cap of "
                f"{format_size(max_bytes)}", url)
        chunks.append(chunk)


ALLOW_PRIVATE_ENV = "REFLIB_ALLOW_PRIVATE"
"""Set to 1 to let requests reach private, loopback and link-local addresses."""


def private_allowed(explicit: bool | None = None) -> bool:
    """Whether requests may reach private addresses: ``explicit`` when given, else
    ``$REFLIB_ALLOW_PRIVATE``."""
    if explicit is not None:
        return explicit
    return os.environ.get(ALLOW_PRIVATE_ENV, "").strip().lower() in ("1", "true", "yes")


def refuse_private(url: str) -> None:
    """Raise :class:`HttpError` when the host of ``url`` is, or resolves to, a private,
    loopback, link-local, multicast or reserved address (a library fetched on a shared
    runner must not reach its internal network). Checked before connecting, on every
    redirect hop."""
    host = (urlsplit(url).hostname or "").strip("[]")
    if not host:
        return
    try:
        addresses = {ipaddress.ip_address(host)}
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return  # the connection attempt reports it
        addresses = set()
        for info in infos:
            with contextlib.suppress(ValueError):
                addresses.add(ipaddress.ip_address(str(info[4][0]).split("%")[0]))
    for address in addresses:
        if (address.is_private or address.is_loopback or address.is_link_local
                or address.is_multicast or address.is_reserved or address.is_unspecified):
            raise HttpError(f"{url}: {host} is a private or local address ({address}); "
                            f"refused (set {ALLOW_PRIVATE_ENV}=1, or pass --allow-private, to "
                            f"allow it)", url)


def _one_attempt(method: str, url: str, *, timeout: float, max_bytes: int, truncate: bool,
                 headers: Mapping[str, str] | None, deadline_at: float | None,
                 allow_private: bool = True) -> Response:
    """One request with its redirects; raises :class:`_Transient` or :class:`HttpError`."""
    original_host = (urlsplit(url).hostname or "").lower()
    history: list[str] = []
    current = url
    while True:
        scheme = urlsplit(current).scheme.lower()
        if scheme not in ("http", "https"):
            raise HttpError(f"not an http(s) URL: {current}", current)
        if not allow_private:
            refuse_private(current)
        sock_timeout = timeout
        if deadline_at is not None:
            sock_timeout = min(timeout, deadline_at - time.monotonic())
            if sock_timeout <= 0:
                raise _Transient(f"timed out after {timeout:g}s")
        req = urllib.request.Request(
            current, method=method, headers=_request_headers(current, headers, original_host))
        try:
            resp: Any = _OPENER.open(req, timeout=sock_timeout)
        except urllib.error.HTTPError as exc:
            resp = exc
        except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
            if isinstance(exc, ValueError):
                raise HttpError(f"invalid URL {current}: {exc}", current) from None
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            if isinstance(reason, ssl.SSLCertVerificationError):
                raise HttpError(_describe(exc, timeout), current) from None
            raise _Transient(_describe(exc, timeout)) from exc
        try:
            status = int(resp.status if hasattr(resp, "status") else resp.code)
            hdrs: dict[str, str] = {}
            for key, value in (resp.headers.items() if resp.headers is not None else []):
                k = key.lower()
                hdrs[k] = f"{hdrs[k]}, {value}" if k in hdrs else value
            reason = str(getattr(resp, "reason", "") or "")
            if status in _REDIRECTS and hdrs.get("location"):
                history.append(current)
                if len(history) > MAX_REDIRECTS:
                    raise HttpError(f"too many redirects from {url}", url, status)
                current = urljoin(current, hdrs["location"].strip())
                if status == 303 and method != "HEAD":
                    method = "GET"
                continue
            length = hdrs.get("content-length", "")
            if not truncate and length.isdigit() and int(length) > max_bytes:
                raise HttpError(
                    f"download of {current} aborted: {format_size(int(length))} is larger than "
                    f"the size cap of {format_size(max_bytes)}", current, status)
            body, cut = (b"", False) if method == "HEAD" or resp.fp is None else _read_body(
                resp, current, max_bytes, truncate, deadline_at, timeout)
            return Response(status, current, hdrs, body, reason, cut, history)
        finally:
            resp.close()


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _request(method: str, url: str, *, timeout: float, retries: int, max_bytes: int,
             headers: Mapping[str, str] | None, backoff: float | None,
             max_retry_after: float, deadline: float | None, truncate: bool,
             allow_private: bool | None = None) -> Response:
    base = DEFAULT_BACKOFF if backoff is None else backoff
    deadline_at = None if deadline is None else time.monotonic() + deadline
    attempt = 0
    while True:
        attempt_at = time.monotonic() + timeout
        if deadline_at is not None:
            attempt_at = min(attempt_at, deadline_at)
        try:
            resp = _one_attempt(method, url, timeout=timeout, max_bytes=max_bytes,
                                truncate=truncate, headers=headers, deadline_at=attempt_at,
                                allow_private=private_allowed(allow_private))
        except _Transient as exc:
            if attempt >= retries:
                raise HttpError(f"{url}: {exc}", url) from None
            delay = base * (2 ** attempt)
            failure: Response | None = None
            message = str(exc)
        else:
            if resp.status not in RETRY_STATUSES or attempt >= retries:
                return resp
            wait = retry_after_seconds(resp.header("retry-after"))
            delay = min(wait, max_retry_after) if wait is not None else base * (2 ** attempt)
            failure = resp
            message = f"HTTP {resp.status}"
        if deadline_at is not None and time.monotonic() + delay >= deadline_at:
            if failure is not None:
                return failure
            raise HttpError(f"{url}: {message}", url)
        time.sleep(delay)
        attempt += 1


def get(url: str, *, timeout: float = 20.0, retries: int = 2,
        max_bytes: int = DEFAULT_MAX_BYTES, headers: Mapping[str, str] | None = None,
        backoff: float | None = None, max_retry_after: float = MAX_RETRY_AFTER,
        deadline: float | None = None) -> Response:
    """GET ``url`` and return the final :class:`Response` (any status; see the module doc).

    Raises :class:`HttpError` for a network failure or time-out that outlasted the retries, a
    body over ``max_bytes``, a redirect loop, or a non-http(s) URL.
    """
    return _request("GET", url, timeout=timeout, retries=retries, max_bytes=max_bytes,
                    headers=headers, backoff=backoff, max_retry_after=max_retry_after,
                    deadline=deadline, truncate=False)


def head_or_get(url: str, timeout: float = 10.0, *, retries: int = 1,
                headers: Mapping[str, str] | None = None,
                backoff: float | None = None) -> Response:
    """Check that ``url`` answers: HEAD, or a ranged GET when HEAD gives 403, 405 or 501.

    ``timeout`` bounds the whole check (each socket wait, the retries and the fallback). The
    GET asks for ``Range: bytes=0-0`` and reads at most 64 KiB even when the server ignores the
    range; a 416 answer to the range is retried once without it.
    """
    deadline_at = time.monotonic() + timeout

    def remaining() -> float:
        left = deadline_at - time.monotonic()
        if left <= 0:
            raise HttpError(f"{url}: timed out after {timeout:g}s", url)
        return left

    common: dict[str, Any] = {"timeout": timeout, "retries": retries, "backoff": backoff,
                              "max_retry_after": min(MAX_RETRY_AFTER, timeout), "truncate": True}
    resp = _request("HEAD", url, max_bytes=0, headers=headers, deadline=remaining(), **common)
    if resp.status not in HEAD_FALLBACK_STATUSES:
        return resp
    ranged = {**(headers or {}), "Range": "bytes=0-0"}
    resp = _request("GET", url, max_bytes=CHUNK, headers=ranged, deadline=remaining(), **common)
    if resp.status == 416:
        resp = _request("GET", url, max_bytes=CHUNK, headers=headers, deadline=remaining(),
                        **common)
    return resp
