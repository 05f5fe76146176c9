"""Built test sites served on 127.0.0.1 and a headless Chromium, for browser tests.

A pytest plugin (``conftest.py`` loads it): the fixtures ``site_url`` (the libfactory library
with the smallest configuration), ``palette_site_url`` (the same library with Material's
light and dark schemes) and ``browser``.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sitebuild import SMALLEST_CONFIG, build

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

PALETTE_CONFIG = SMALLEST_CONFIG.replace("  name: material\n", """\
  name: material
  palette:
    - scheme: default
      toggle: {icon: material/brightness-7, name: Dark mode}
    - scheme: slate
      toggle: {icon: material/brightness-4, name: Light mode}
""")


def require_browser() -> None:
    """Skip (or fail, when CI requires it) without Chromium and Playwright."""
    required = os.environ.get("REFLIB_REQUIRE_BROWSER") == "1"  # set by .ci/run
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        if required:
            pytest.fail("REFLIB_REQUIRE_BROWSER=1 but there is no Chromium at /usr/bin/chromium")
        pytest.skip("no Chromium at /usr/bin/chromium")
    pytest.importorskip("playwright.sync_api")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve_folder(site: Path) -> Iterator[str]:
    """Serve ``site`` on 127.0.0.1; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _library(folder: Path) -> Path:
    from libfactory import make_library

    root = make_library(folder / "lib")
    card = root / "refs/resources/alpha.md"
    card.write_text(card.read_text().replace(
        "[first](../../sources/alpha/full.md#results);",
        '[first](../../sources/alpha/full.md#results) "first results";'))
    return root


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_browser()
    result = build(_library(tmp_path_factory.mktemp("browser")))
    assert result.returncode == 0, result.log
    with serve_folder(result.site) as url:
        yield url


@pytest.fixture(scope="module")
def palette_site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_browser()
    result = build(_library(tmp_path_factory.mktemp("palette")), PALETTE_CONFIG)
    assert result.returncode == 0, result.log
    with serve_folder(result.site) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()
