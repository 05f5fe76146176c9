"""``reflib next``: units of work in queue order with their briefs, disjoint batches, leases."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pymupdf
import pytest

from libfactory import make_library

MORE = """
  - id: epsilon
    title: Epsilon blog
    type: blog
    url: https://example.org/epsilon
    priority: high
    phase: 1
    status: link_only
    topics: [01-first]

  - id: zeta
    title: Zeta paper
    type: paper
    url: https://example.org/zeta.pdf
    priority: high
    phase: 1
    status: fetched
    topics: [01-first]
    raw: [raw/zeta.pdf]

  - id: eta
    title: Eta paper
    type: paper
    url: https://example.org/eta
    priority: high
    phase: 2
    status: converted
    topics: [01-first]
    raw: [raw/alpha.html]
"""


@pytest.fixture()
def library(tmp_path: Path) -> Path:
    root = make_library(tmp_path / "lib")
    manifest = root / "refs/manifest.yaml"
    manifest.write_text(manifest.read_text() + MORE)
    doc = pymupdf.open()
    for text in ("Zeta begins here.", "Zeta ends here."):
        doc.new_page().insert_text((72, 72), text)
    (root / "sources/zeta/raw").mkdir(parents=True)
    doc.save(root / "sources/zeta/raw/zeta.pdf")
    (root / "sources/eta/raw").mkdir(parents=True)
    (root / "sources/eta/raw/alpha.html").write_bytes(
        (root / "sources/alpha/raw/alpha.html").read_bytes())
    alpha = (root / "sources/alpha/full.md").read_text()
    (root / "sources/eta/full.md").write_text(
        alpha.replace("id: alpha", "id: eta").replace("Alpha: a paper", "Eta paper"))
    check = _reflib(root, "check")
    assert check.returncode == 0, check.stdout + check.stderr
    return root


def _reflib(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reflib", "--root", str(root), *args],
                          capture_output=True, text=True, timeout=120)


def _next(root: Path, *args: str) -> list[dict[str, Any]]:
    proc = _reflib(root, "next", "--json", *args)
    assert proc.returncode in (0, 1), proc.stderr
    return list(json.loads(proc.stdout))


def test_batch_in_queue_order_with_targets_and_checks(library: Path) -> None:
    units = _next(library, "--batch", "3")
    status = json.loads(_reflib(library, "status", "--json").stdout)
    queue = [q["id"] for q in status["queue"]]
    assert [u["id"] for u in units] == queue[:3] == ["epsilon", "zeta", "eta"]
    assert [u["action"] for u in units] == ["fetch", "read", "write-card"]
    assert all(u["priority"] == "high" for u in units)
    for unit in units:
        assert unit["targets"] and "reflib check" in unit["verify"]
        assert unit["policy"]
    # disjoint files
    targets = [t for u in units for t in u["targets"]]
    assert len(targets) == len(set(targets))
    zeta = units[1]
    assert zeta["targets"] == ["sources/zeta/full.md"]
    assert "reflib convert zeta --manual" in " ".join(zeta["commands"])
    assert zeta["scaffold"]["path"] == "sources/zeta/full.md"
    # one page marker per page of the PDF, to be filled page by page
    assert '<a id="page-1"></a>' in zeta["scaffold"]["text"]
    assert '<a id="page-2"></a>' in zeta["scaffold"]["text"]
    eta = units[2]
    assert eta["targets"] == ["refs/resources/eta.md"]
    assert "../../sources/eta/full.md#22-performance-optimization" in eta["scaffold"]["text"]
    assert eta["peers"][0]["id"] == "alpha"  # an approved card on the same topic
    assert "Evidence:" in eta["evidence_rules"]


def test_text_brief_is_markdown_with_every_part(library: Path) -> None:
    proc = _reflib(library, "next", "--batch", "3")
    assert proc.returncode == 0, proc.stderr
    briefs = re.split(r"(?m)^(?=# (?:fetch|read|convert|write-card|review): )", proc.stdout)[1:]
    assert len(briefs) == 3, proc.stdout
    card = briefs[2]
    for part in ("# write-card: eta", "## Write", "`refs/resources/eta.md`", "## Steps",
                 "## Policy", "## Evidence", "## Examples to follow",
                 "`refs/resources/alpha.md`", "## Start from", "## Verify", "`reflib check`"):
        assert part in card, part


def test_leases_keep_agents_apart(library: Path) -> None:
    first = [u["id"] for u in _next(library, "--batch", "2", "--by", "agent-a")]
    second = [u["id"] for u in _next(library, "--batch", "2", "--by", "agent-b")]
    assert first == ["epsilon", "zeta"] and not set(first) & set(second)
    assert second == ["eta", "beta"]
    # the holder gets its own units again (renewed); an anonymous reader skips leased ones
    assert [u["id"] for u in _next(library, "--batch", "2", "--by", "agent-a")] == first
    assert [u["id"] for u in _next(library, "--batch", "5")] == ["delta", "gamma"]
    assert all(u["leased_by"] == "agent-a" for u in _next(library, "--by", "agent-a"))


def test_no_work_left_exits_1(tmp_path: Path) -> None:
    root = make_library(tmp_path / "lib")
    _next(root, "--batch", "9", "--by", "someone")
    proc = _reflib(root, "next", "--by", "other")
    assert proc.returncode == 1 and "no work left" in proc.stderr
    bad = _reflib(root, "next", "--batch", "0")
    assert bad.returncode == 2
