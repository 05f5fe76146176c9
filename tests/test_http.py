"""Tests of reflib.fetch.http against a threaded local server on 127.0.0.1.

The server lives in ``localserver.py``.
"""

from __future__ import annotations

import time
from email.utils import formatdate
from typing import Any

import pytest

from localserver import (
    LocalServer,
    Route,
    big_route,
    drip_route,
    echo_route,
    flaky_route,
    free_port,
    html_route,
    no_head_route,
    offline_http,
    redirect_route,
    slow_route,
)
from reflib import __version__
from reflib.fetch import http


@pytest.fixture(autouse=True)
def _fast_and_local(monkeypatch: pytest.MonkeyPatch) -> None:
    offline_http(monkeypatch)


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
        "/drip": drip_route(0.2),
        "/to-internal": lambda h: h.send(302, b"", {"Location": "http://internal.example/x"}),
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


def test_a_dripping_server_cannot_hold_a_request_past_its_timeout(server: LocalServer) -> None:
    """One byte every 0.2 s never trips a 0.5 s socket time-out; the attempt's total time
    bound does."""
    import time

    start = time.monotonic()
    with pytest.raises(http.HttpError, match="timed out"):
        http.get(server.url("/drip"), timeout=0.5, retries=0)
    assert time.monotonic() - start < 2.0
    start = time.monotonic()
    with pytest.raises(http.HttpError, match="timed out"):
        http.get(server.url("/drip"), timeout=0.5, retries=1, backoff=0.05)
    assert time.monotonic() - start < 3.0


@pytest.mark.parametrize("address", ["10.0.0.5", "127.0.0.1", "169.254.169.254", "::1",
                                     "192.168.1.20", "fd00::1"])
def test_private_addresses_are_refused_before_connecting(
        monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    """A host resolving to a private or local address is refused; the resolver is a stub and
    no connection is ever attempted."""
    import socket
    import urllib.request

    monkeypatch.delenv(http.ALLOW_PRIVATE_ENV, raising=False)
    family = socket.AF_INET6 if ":" in address else socket.AF_INET

    def resolver(host: str, port: object, *args: object, **kwargs: object) -> list[tuple]:
        assert host == "internal.example"
        return [(family, socket.SOCK_STREAM, 6, "", (address, 0))]

    def no_connection(*args: object, **kwargs: object) -> object:
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    monkeypatch.setattr(http._OPENER, "open", no_connection)
    monkeypatch.setattr(urllib.request, "urlopen", no_connection)
    with pytest.raises(http.HttpError, match="private or local address"):
        http.get("http://internal.example/secret", timeout=1, retries=0)
    with pytest.raises(http.HttpError, match="private or local address"):
        http.get(f"http://[{address}]/x" if ":" in address else f"http://{address}/x",
                 timeout=1, retries=0)


def test_a_public_address_passes_the_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    monkeypatch.delenv(http.ALLOW_PRIVATE_ENV, raising=False)
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 0))])
    http.refuse_private("https://www.example.com/page")  # no exception


def test_a_redirect_to_a_private_address_is_refused(server: LocalServer,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The first hop (the test's own server) is allowed by the stub; the redirect to a private
    address is refused before it is followed."""
    import socket

    monkeypatch.delenv(http.ALLOW_PRIVATE_ENV, raising=False)
    real = socket.getaddrinfo
    monkeypatch.setattr(http, "refuse_private", _guard_except_loopback(http.refuse_private))
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: (
        [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 0))]
        if host == "internal.example" else real(host, *a, **k)))
    with pytest.raises(http.HttpError, match=r"internal\.example is a private or local address"):
        http.get(server.url("/to-internal"), timeout=2, retries=0)


def _guard_except_loopback(guard):  # type: ignore[no-untyped-def]
    def checked(url: str) -> None:
        if "127.0.0.1" not in url:
            guard(url)
    return checked
