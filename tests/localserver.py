"""A threaded HTTP server on 127.0.0.1 with per-path routes, for tests (no other network).

Used by ``test_http.py``, ``test_external.py`` and ``test_fetch.py``.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from reflib.fetch import http


def offline_http(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fast retries, no proxy or token from the environment, and requests to the test's own
    server on 127.0.0.1 allowed (the private-address guard is tested on its own)."""
    monkeypatch.setattr(http, "DEFAULT_BACKOFF", 0.01)
    monkeypatch.setenv(http.ALLOW_PRIVATE_ENV, "1")
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "GITHUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)


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


def drip_route(interval: float, size: int = 1000) -> Route:
    """Sends a body one byte every ``interval`` seconds (a socket time-out never fires)."""
    def route(h: Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(size))
        h.end_headers()
        try:
            for _ in range(size):
                h.wfile.write(b"x")
                h.wfile.flush()
                if h.server.owner.stop.wait(interval):
                    return
        except (BrokenPipeError, ConnectionResetError):
            pass
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
