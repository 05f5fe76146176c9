"""Tests of reflib.fetch.external.check_urls against a local server on 127.0.0.1."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from localserver import (
    LocalServer,
    Route,
    flaky_route,
    free_port,
    html_route,
    no_head_route,
    offline_http,
    redirect_route,
    slow_route,
)
from reflib.fetch import external, http
from reflib.fetch.external import UrlResult, check_urls, default_cache_dir


@pytest.fixture(autouse=True)
def _fast_and_local(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    offline_http(monkeypatch)
    # never touch the real cache
    monkeypatch.setenv("REFLIB_CACHE_DIR", str(tmp_path / "default-cache"))


@pytest.fixture
def server() -> Any:
    routes: dict[str, Route] = {
        "/ok": html_route("fine"),
        "/ok2": html_route("fine too"),
        "/moved": redirect_route("/ok", 301),
        "/missing": html_route("gone", 404),
        "/no-head": no_head_route,
        "/slow": slow_route(3),
        "/flaky": flaky_route(1, 503),
    }
    with LocalServer(routes) as srv:
        yield srv


def test_results_for_each_kind_of_url(server: LocalServer, tmp_path: Path) -> None:
    refused = f"http://127.0.0.1:{free_port()}/x"
    urls = [server.url("/ok"), server.url("/moved"), server.url("/missing"),
            server.url("/no-head"), server.url("/slow"), server.url("/flaky"), refused,
            "mailto:someone@example.com"]
    start = time.monotonic()
    res = check_urls(urls, timeout=0.5, cache_dir=tmp_path)
    assert time.monotonic() - start < 3
    assert list(res) == urls
    assert res[server.url("/ok")] == UrlResult(True, 200, None, False)
    assert res[server.url("/moved")] == UrlResult(True, 200, None, False)
    assert res[server.url("/missing")] == UrlResult(False, 404, "HTTP 404 Not Found", False)
    assert res[server.url("/no-head")].ok and res[server.url("/no-head")].status == 206
    slow = res[server.url("/slow")]
    assert not slow.ok and slow.status is None and "timed out" in (slow.error or "")
    assert res[server.url("/flaky")].ok
    assert res[refused].error == "connection refused" and res[refused].status is None
    assert res["mailto:someone@example.com"] == UrlResult(False, None, "not an http(s) URL")


def test_only_successes_are_cached(server: LocalServer, tmp_path: Path) -> None:
    urls = [server.url("/ok"), server.url("/missing")]
    check_urls(urls, timeout=1, cache_dir=tmp_path)
    data = json.loads((tmp_path / "urls.json").read_text())
    assert data["version"] == 1 and set(data["urls"]) == {server.url("/ok")}
    again = check_urls(urls, timeout=1, cache_dir=tmp_path)
    assert again[server.url("/ok")] == UrlResult(True, 200, None, cached=True)
    assert not again[server.url("/missing")].cached
    assert server.hits["/ok"] == 1 and server.hits["/missing"] == 2


def test_cache_expires_after_ttl(server: LocalServer, tmp_path: Path) -> None:
    url = server.url("/ok")
    stale = {"version": 1, "urls": {url: {"status": 200, "checked": time.time() - 100}}}
    (tmp_path / "urls.json").write_text(json.dumps(stale))
    res = check_urls([url], timeout=1, cache_dir=tmp_path, ttl=50)
    assert res[url].ok and not res[url].cached
    assert server.hits["/ok"] == 1
    fresh = json.loads((tmp_path / "urls.json").read_text())["urls"][url]["checked"]
    assert fresh > time.time() - 10


@pytest.mark.parametrize("content", ["{not json", "[]", '{"version": 1, "urls": [1]}',
                                     '{"version": 99, "urls": {}}',
                                     '{"version": 1, "urls": {"u": {"status": "x"}}}'])
def test_corrupt_cache_is_ignored(server: LocalServer, tmp_path: Path, content: str) -> None:
    (tmp_path / "urls.json").write_text(content)
    res = check_urls([server.url("/ok")], timeout=1, cache_dir=tmp_path)
    assert res[server.url("/ok")].ok and not res[server.url("/ok")].cached
    assert json.loads((tmp_path / "urls.json").read_text())["version"] == 1


def test_cache_merges_with_entries_of_other_runs(server: LocalServer, tmp_path: Path) -> None:
    check_urls([server.url("/ok")], timeout=1, cache_dir=tmp_path)
    check_urls([server.url("/ok2")], timeout=1, cache_dir=tmp_path)
    urls = json.loads((tmp_path / "urls.json").read_text())["urls"]
    assert set(urls) == {server.url("/ok"), server.url("/ok2")}
    assert not [p for p in tmp_path.iterdir() if p.name != "urls.json"]  # no temp files left


def test_fragments_share_one_request(server: LocalServer, tmp_path: Path) -> None:
    urls = [server.url("/ok#a"), server.url("/ok#b"), server.url("/ok")]
    res = check_urls(urls, timeout=1, cache_dir=tmp_path)
    assert all(r.ok for r in res.values()) and list(res) == urls
    assert server.hits["/ok"] == 1


def test_use_cache_false_writes_nothing(server: LocalServer, tmp_path: Path) -> None:
    res = check_urls([server.url("/ok")], timeout=1, cache_dir=tmp_path, use_cache=False)
    assert res[server.url("/ok")].ok
    assert not (tmp_path / "urls.json").exists()


def test_unwritable_cache_does_not_fail(server: LocalServer, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    res = check_urls([server.url("/ok")], timeout=1, cache_dir=blocker / "cache")
    assert res[server.url("/ok")].ok


def test_default_cache_dir_is_used(server: LocalServer, tmp_path: Path) -> None:
    check_urls([server.url("/ok")], timeout=1)
    assert (tmp_path / "default-cache" / "urls.json").is_file()


def test_many_urls_run_concurrently(server: LocalServer, tmp_path: Path) -> None:
    urls = [server.url(f"/slow?{i}") for i in range(8)]
    start = time.monotonic()
    res = check_urls(urls, timeout=0.4, workers=8, cache_dir=tmp_path)
    # PER_HOST=4 in flight: two waves of 0.4 s, not eight
    assert time.monotonic() - start < 2.0
    assert not any(r.ok for r in res.values())


def test_empty_input(tmp_path: Path) -> None:
    assert check_urls([], cache_dir=tmp_path) == {}


def test_default_cache_dir_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REFLIB_CACHE_DIR", str(tmp_path / "a"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert default_cache_dir() == tmp_path / "a"
    monkeypatch.delenv("REFLIB_CACHE_DIR")
    assert default_cache_dir() == tmp_path / "x" / "reflib"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "reflib"


def test_a_crashing_check_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def boom(url: str, timeout: float) -> http.Response:
        raise RuntimeError("odd")
    monkeypatch.setattr(external.http, "head_or_get", boom)
    res = check_urls(["https://example.invalid/"], cache_dir=tmp_path)
    assert res["https://example.invalid/"] == UrlResult(False, None, "RuntimeError: odd")
