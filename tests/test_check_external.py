"""``reflib check --external`` against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from reflib.cli.main import main

HITS: list[str] = []


class Handler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        HITS.append(self.path)
        code = 404 if self.path.startswith("/gone") else 200
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = _answer
    do_GET = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_external_reports_dead_urls_and_caches_live_ones(
    library: Path, server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("REFLIB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("REFLIB_ALLOW_PRIVATE", raising=False)  # --allow-private is passed
    manifest = library / "refs/manifest.yaml"
    text = manifest.read_text().replace("https://example.org/alpha", f"{server}/ok/alpha")
    text = text.replace("https://example.org/beta", f"{server}/gone/beta")
    text = text.replace("https://example.org/gamma", f"{server}/ok/gamma")
    text = text.replace("https://example.org/delta", "http://127.0.0.1:9/refused")
    manifest.write_text(text)
    HITS.clear()
    assert main(["--root", str(library), "check", "--external", "--allow-private", "--timeout", "2"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("refs/manifest.yaml:17:") and "'beta'" in line and "404" in line
               for line in lines), lines
    assert any(line.startswith("refs/manifest.yaml:35:") and "'delta'" in line
               for line in lines), lines
    assert not any("'alpha'" in line or "'gamma'" in line for line in lines)
    assert sorted(h.split("/")[1] for h in HITS) == ["gone", "ok", "ok"]
    # successes are cached: a second run asks the server only for the dead URL again
    HITS.clear()
    assert main(["--root", str(library), "check", "--external", "--allow-private", "--timeout", "2"]) == 1
    capsys.readouterr()
    assert [h.split("/")[1] for h in HITS] == ["gone"]
    # the check without --external makes no request at all
    HITS.clear()
    assert main(["--root", str(library), "check"]) == 0
    assert HITS == []
