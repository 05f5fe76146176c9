from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from libfactory import make_library

pytest_plugins = ["browsersite"]  # the site_url and browser fixtures of the browser tests

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture(autouse=True)
def _environment_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    """``--allow-private`` sets $REFLIB_ALLOW_PRIVATE in the process: undo it after each test
    (setenv records the variable's absence, so teardown removes it whatever happened)."""
    monkeypatch.setenv("REFLIB_ALLOW_PRIVATE", "0")
    monkeypatch.delenv("REFLIB_ALLOW_PRIVATE")


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """A valid library in a temporary folder."""
    return make_library(tmp_path / "lib")


@pytest.fixture
def corpus() -> Path:
    """../shared/corpus; tests that use it are skipped when it is absent."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    return CORPUS
