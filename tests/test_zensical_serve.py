"""``reflib serve --engine zensical``: Zensical's live-reloading server over the staged
library, staged again when a library file changes (a real server on 127.0.0.1)."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from libfactory import make_library
from sitebuild import SMALLEST_CONFIG

pytestmark = pytest.mark.skipif(importlib.util.find_spec("zensical") is None,
                                reason="Zensical is not installed (pip install 'reflib[zensical]')")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode("utf-8"))
    except OSError:
        return None


def _wait_for(url: str, wanted: str, seconds: float) -> str | None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        page = _get(url)
        if page is not None and wanted in page:
            return page
        time.sleep(0.3)
    return None


def test_an_edited_card_shows_without_a_restart(tmp_path: Path) -> None:
    root = make_library(tmp_path / "lib")
    (root / "mkdocs.yml").write_text(SMALLEST_CONFIG, encoding="utf-8")
    port = _free_port()
    base = f"http://127.0.0.1:{port}/"
    proc = subprocess.Popen([sys.executable, "-m", "reflib", "--root", str(root), "serve",
                             "--engine", "zensical", "-a", f"127.0.0.1:{port}"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    try:
        page = _wait_for(base + "resources/alpha/", "Micro-batches shrink", 60)
        assert page is not None, "the server did not answer with the card"
        assert "reflib-evidence" in page and "reflib-badges" in page
        card = root / "refs/resources/alpha.md"
        card.write_text(card.read_text(encoding="utf-8").replace(
            "Micro-batches shrink the pipeline bubble.",
            "Micro-batches shrink the bubble, as edited."), encoding="utf-8")
        assert _wait_for(base + "resources/alpha/", "as edited", 60) is not None
        # the full text's backlink to that claim is still there after the change
        fulltext = _get(base + "sources/alpha/")
        assert fulltext is not None and "reflib-backlinks" in fulltext
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
