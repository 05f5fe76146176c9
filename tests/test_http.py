"""Tests of reflib.http against a threaded local server on 127.0.0.1.

:class:`LocalServer` is also used by ``test_external.py`` and ``test_fetch.py``.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from reflib import __version__, http

Route = Callable[["Handler"], None]
SAFETY_SECONDS = 60.0


class Handler(BaseHTTPRequestHandler):
    """Dispatches to the server's routes by path (with the query first, then without)."""

    server: _Server
    protocol_version = "HTTP/1.0"

    def _dispatch(self) -> None:
        path = self.path
        self.server.owner.hits[path] += 1
        self.server.owner.requests.append((self.command, path, dict(self.headers.items())))
        route = self.server.owner.routes.get(path) or self.server.owner.routes.get(
            urlsplit(path).path)
        if route is None:
            self.send(404, b"not found")
            return
        route(self)

    do_GET = _dispatch
    do_HEAD = _dispatch

    def send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
             *, length: bool = True) -> None:
        """Answer with ``status``, ``headers`` and ``body`` (no body for HEAD)."""
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # silence the test output
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: LocalServer


class LocalServer:
    """A threaded HTTP server on 127.0.0.1 for one test; stops on exit or after a minute."""

    def __init__(self, routes: dict[str, Route]) -> None:
        self.routes = routes
        self.hits: Counter[str] = Counter()
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.stop = threading.Event()
        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.owner = self
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._timer = threading.Timer(SAFETY_SECONDS, self.close)
        self._timer.daemon = True

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        return self.base + path

    def __enter__(self) -> LocalServer:
        self._thread.start()
        self._timer.start()
        return self

    def close(self) -> None:
        """Stop serving and release slow handlers."""
        self.stop.set()
        self._server.shutdown()
        self._server.server_close()

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        self.close()
        self._thread.join(timeout=5)


def html_route(body: str, status: int = 200) -> Route:
    """A route answering an HTML page."""
    return lambda h: h.send(status, body.encode(), {"Content-Type": "text/html; charset=utf-8"})


def redirect_route(location: str, status: int = 302) -> Route:
    """A route redirecting to ``location``."""
    return lambda h: h.send(status, b"", {"Location": location})


def flaky_route(failures: int, status: int = 500, headers: dict[str, str] | None = None,
                body: bytes = b"<p>finally</p>") -> Route:
    """Fails ``failures`` times with ``status``, then answers 200 with ``body``."""
    count = {"n": 0}

    def route(h: Handler) -> None:
        count["n"] += 1
        if count["n"] <= failures:
            h.send(status, b"busy", headers)
        else:
            h.send(200, body, {"Content-Type": "text/html"})
    return route


def slow_route(seconds: float) -> Route:
    """Waits ``seconds`` (or until the server stops) before answering."""
    def route(h: Handler) -> None:
        h.server.owner.stop.wait(seconds)
        h.send(200, b"late")
    return route


def big_route(size: int, *, declare: bool) -> Route:
    """Streams ``size`` bytes, with or without a Content-Length."""
    def route(h: Handler) -> None:
        h.send_response(200)
        if declare:
            h.send_header("Content-Length", str(size))
        h.end_headers()
        try:
            for _ in range(size // 65536 + 1):
                h.wfile.write(b"x" * 65536)
        except (BrokenPipeError, ConnectionResetError):
            pass
    return route


def echo_route(h: Handler) -> None:
    """Answers the request headers as JSON."""
    h.send(200, json.dumps(dict(h.headers.items())).encode(), {"Content-Type": "application/json"})


def no_head_route(h: Handler) -> None:
    """405 for HEAD, 206 for a ranged GET."""
    if h.command == "HEAD":
        h.send(405)
    else:
        h.send(206 if h.headers.get("Range") else 200, b"x")


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(autouse=True)
def _fast_and_local(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http, "DEFAULT_BACKOFF", 0.01)
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "GITHUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server() -> Any:
    routes: dict[str, Route] = {
        "/page": html_route("<h1>Hello</h1>"),
        "/redirect": redirect_route("/page"),
        "/redirect2": redirect_route("/redirect", 301),
        "/loop": redirect_route("/loop"),
        "/to-ftp": redirect_route("ftp://example.invalid/x"),
        "/missing": html_route("gone", 404),
        "/flaky": flaky_route(1),
        "/always500": flaky_route(99),
        "/busy": flaky_route(1, 429, {"Retry-After": "0"}),
        "/slow": slow_route(3),
        "/big": big_route(2 * 1024 * 1024, declare=True),
        "/big-stream": big_route(2 * 1024 * 1024, declare=False),
        "/echo": echo_route,
        "/no-head": no_head_route,
        "/linked": lambda h: h.send(200, b"[]", {
            "Link": '</linked?page=2>; rel="next", <https://x.test/last>; rel="last"'}),
    }
    with LocalServer(routes) as srv:
        yield srv


def test_get_html_page(server: LocalServer) -> None:
    resp = http.get(server.url("/page"), timeout=1)
    assert resp.ok and resp.status == 200
    assert resp.body == b"<h1>Hello</h1>"
    assert resp.content_type == "text/html"
    assert resp.text() == "<h1>Hello</h1>"
    assert resp.header("Content-Type") == "text/html; charset=utf-8"


def test_user_agent_is_sent(server: LocalServer) -> None:
    resp = http.get(server.url("/echo"), timeout=1, headers={"X-Extra": "1"})
    sent = {k.lower(): v for k, v in resp.json().items()}
    assert sent["user-agent"] == f"reflib/{__version__}"
    assert sent["x-extra"] == "1"
    assert "authorization" not in sent


def test_redirects_are_followed_and_final_url_reported(server: LocalServer) -> None:
    resp = http.get(server.url("/redirect2"), timeout=1)
    assert resp.status == 200
    assert resp.url == server.url("/page")
    assert resp.history == [server.url("/redirect2"), server.url("/redirect")]


def test_redirect_loop_is_an_error(server: LocalServer) -> None:
    with pytest.raises(http.HttpError, match="too many redirects"):
        http.get(server.url("/loop"), timeout=1)


def test_redirect_to_other_scheme_is_refused(server: LocalServer) -> None:
    with pytest.raises(http.HttpError, match="not an http"):
        http.get(server.url("/to-ftp"), timeout=1)


def test_404_is_returned_not_raised(server: LocalServer) -> None:
    resp = http.get(server.url("/missing"), timeout=1)
    assert resp.status == 404 and not resp.ok
    assert server.hits["/missing"] == 1  # 4xx is not retried
    with pytest.raises(http.HttpError, match="HTTP 404"):
        resp.raise_for_status()


def test_500_then_200_is_retried(server: LocalServer) -> None:
    resp = http.get(server.url("/flaky"), timeout=1)
    assert resp.status == 200 and resp.body == b"<p>finally</p>"
    assert server.hits["/flaky"] == 2


def test_429_respects_retry_after(server: LocalServer) -> None:
    resp = http.get(server.url("/busy"), timeout=1)
    assert resp.status == 200
    assert server.hits["/busy"] == 2


def test_retries_run_out_and_last_response_is_returned(server: LocalServer) -> None:
    resp = http.get(server.url("/always500"), timeout=1, retries=2)
    assert resp.status == 500
    assert server.hits["/always500"] == 3


def test_slow_response_times_out(server: LocalServer) -> None:
    start = time.monotonic()
    with pytest.raises(http.HttpError, match="timed out"):
        http.get(server.url("/slow"), timeout=0.3, retries=0)
    assert time.monotonic() - start < 2


def test_deadline_bounds_retries(server: LocalServer) -> None:
    start = time.monotonic()
    with pytest.raises(http.HttpError, match="timed out"):
        http.get(server.url("/slow"), timeout=0.3, retries=5, backoff=0.2, deadline=0.8)
    assert time.monotonic() - start < 2


def test_declared_oversized_body_is_refused(server: LocalServer) -> None:
    with pytest.raises(http.HttpError, match=r"size cap of 1\.0 MiB"):
        http.get(server.url("/big"), timeout=1, max_bytes=1024 * 1024)


def test_streamed_oversized_body_is_aborted(server: LocalServer) -> None:
    with pytest.raises(http.HttpError, match="larger than the size cap"):
        http.get(server.url("/big-stream"), timeout=1, max_bytes=100_000)


def test_connection_refused_is_an_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/x"
    with pytest.raises(http.HttpError, match="connection refused") as info:
        http.get(url, timeout=1, retries=1)
    assert info.value.url == url and info.value.status is None


def test_link_header(server: LocalServer) -> None:
    resp = http.get(server.url("/linked"), timeout=1)
    assert resp.links() == {"next": server.url("/linked?page=2"), "last": "https://x.test/last"}


def test_parse_link_header_variants() -> None:
    value = '<a?p=2>; rel=next; title="x, y", <https://h/b>; rel="prev first"'
    assert http.parse_link_header(value, "https://h/dir/") == {
        "next": "https://h/dir/a?p=2", "prev": "https://h/b", "first": "https://h/b"}
    assert http.parse_link_header("") == {}


def test_retry_after_parsing() -> None:
    assert http.retry_after_seconds("5") == 5.0
    assert http.retry_after_seconds(None) is None
    assert http.retry_after_seconds("soon") is None
    later = http.retry_after_seconds(formatdate(time.time() + 30, usegmt=True))
    assert later is not None and 25 <= later <= 31
    assert http.retry_after_seconds(formatdate(time.time() - 30, usegmt=True)) == 0.0


def test_github_token_only_for_api_github_com(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "t0k")
    api = http._request_headers("https://api.github.com/repos/o/r", None, "api.github.com")
    assert api["Authorization"] == "Bearer t0k"
    other = http._request_headers("https://example.com/", None, "example.com")
    assert "Authorization" not in other


def test_credentials_dropped_on_cross_host_redirect() -> None:
    given = {"Authorization": "Bearer x", "Accept": "a/b"}
    same = http._request_headers("https://h.test/2", given, "h.test")
    assert same["Authorization"] == "Bearer x"
    moved = http._request_headers("https://other.test/2", given, "h.test")
    assert "Authorization" not in moved and moved["Accept"] == "a/b"


def test_head_or_get_uses_head(server: LocalServer) -> None:
    resp = http.head_or_get(server.url("/page"), 1)
    assert resp.status == 200 and resp.body == b""
    assert [r[0] for r in server.requests] == ["HEAD"]


def test_head_or_get_falls_back_to_ranged_get(server: LocalServer) -> None:
    resp = http.head_or_get(server.url("/no-head"), 1)
    assert resp.status == 206
    methods = [(m, h.get("Range")) for m, _, h in server.requests]
    assert methods == [("HEAD", None), ("GET", "bytes=0-0")]


def test_head_or_get_reads_little_of_a_big_body(server: LocalServer) -> None:
    # HEAD works here; a GET fallback would cut the body, never raise
    resp = http.head_or_get(server.url("/big-stream"), 1)
    assert resp.status == 200


def test_head_or_get_timeout_bounds_the_whole_check(server: LocalServer) -> None:
    start = time.monotonic()
    with pytest.raises(http.HttpError, match="timed out"):
        http.head_or_get(server.url("/slow"), 0.4, retries=3)
    assert time.monotonic() - start < 1.5


def test_format_size() -> None:
    assert http.format_size(10) == "10 B"
    assert http.format_size(2048) == "2.0 KiB"
    assert http.format_size(50 * http.MIB) == "50.0 MiB"
