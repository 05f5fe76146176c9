"""Helpers for tests that build a library into a site with MkDocs (or ProperDocs)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bs4 import BeautifulSoup

SMALLEST_CONFIG = """\
site_name: Test library
docs_dir: refs
theme:
  name: material
plugins:
  - reflib
"""


@dataclass
class Build:
    """The outcome of one site build."""

    root: Path
    returncode: int
    log: str

    @property
    def site(self) -> Path:
        return self.root / "site"

    def html(self, rel: str) -> BeautifulSoup:
        """The parsed HTML of a built file, e.g. ``resources/alpha/index.html``."""
        return BeautifulSoup((self.site / rel).read_text(encoding="utf-8"), "html.parser")

    def article(self, rel: str) -> BeautifulSoup:
        art = self.html(rel).select_one("article")
        assert art is not None, rel
        return art


def build(root: Path, config: str = SMALLEST_CONFIG, strict: bool = True,
          tool: str = "mkdocs", extra: list[str] | None = None) -> Build:
    """Write ``mkdocs.yml`` and build the site of the library at ``root`` (``extra``: more
    command-line options, e.g. ``-q``)."""
    (root / "mkdocs.yml").write_text(config, encoding="utf-8")
    cmd = [sys.executable, "-m", tool, "build", "-f", "mkdocs.yml"]
    if strict:
        cmd.append("--strict")
    cmd.extend(extra or [])
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    return Build(root, proc.returncode, proc.stdout + proc.stderr)


def assert_nothing_runs(text: str, page: str) -> None:
    """No event handler, ``javascript:`` URL or script of the library's content in the
    written page ``text`` (the theme's own scripts carry no ``alert``)."""
    soup = BeautifulSoup(text, "html.parser")
    for el in soup.find_all(True):
        for name, value in el.attrs.items():
            assert not name.lower().startswith("on"), (page, el)
            values = value if isinstance(value, list) else [value]
            assert not any("javascript:" in str(v).lower() for v in values), (page, el)
    for script in soup.find_all("script"):
        assert "alert" not in script.get_text(), page
    assert "<script>alert" not in text and "<img src=x onerror" not in text, page

