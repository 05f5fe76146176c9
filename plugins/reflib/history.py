"""Statuses over time, read from the git history of ``refs/manifest.yaml``.

Each commit that touched the manifest is parsed with :func:`reflib.manifest.parse`; commits
whose manifest does not parse are skipped. Used by the site's burn-down chart.
"""

from __future__ import annotations

import datetime as _dt
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import manifest, paths
from .errors import ReflibError
from .schema import STATUSES

MAX_COMMITS = 200


@dataclass
class Snapshot:
    """Counts per status in the manifest of one commit."""

    commit: str
    date: _dt.datetime
    counts: dict[str, int]


def _git(root: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True,
                              check=False, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout.decode("utf-8", "replace")


def is_git_checkout(root: Path) -> bool:
    """True when ``root`` is inside a git work tree (and git is installed)."""
    out = _git(root, "rev-parse", "--is-inside-work-tree")
    return out is not None and out.strip() == "true"


def counts_of(text: str) -> dict[str, int] | None:
    """Counts per status of a manifest's text, or ``None`` when it does not parse."""
    try:
        doc = manifest.parse(text, paths.MANIFEST)
    except ReflibError:
        return None
    if doc.shape_problems and not doc.entries:
        return None
    out = dict.fromkeys(STATUSES, 0)
    seen: set[str] = set()
    for entry in doc.entries:
        rid = entry.data.get("id")
        status = entry.data.get("status")
        if not isinstance(rid, str) or rid in seen:
            continue
        seen.add(rid)
        if status in out:
            out[status] += 1
    return out


def status_history(root: Path, max_commits: int = MAX_COMMITS) -> list[Snapshot] | None:
    """Snapshots oldest first, or ``None`` when ``root`` is not a git checkout.

    Only the newest ``max_commits`` commits that touched the manifest are read.
    """
    root = Path(root)
    if not is_git_checkout(root):
        return None
    log = _git(root, "log", f"-n{max_commits}", "--format=%H%x00%cI", "--", paths.MANIFEST)
    if log is None:
        return None
    snapshots: list[Snapshot] = []
    for line in log.splitlines():
        commit, _, date = line.partition("\x00")
        if not commit or not date:
            continue
        text = _git(root, "show", f"{commit}:{paths.MANIFEST}")
        if text is None:
            continue
        counts = counts_of(text)
        if counts is None:
            continue
        try:
            when = _dt.datetime.fromisoformat(date.strip())
        except ValueError:
            continue
        snapshots.append(Snapshot(commit, when, counts))
    snapshots.reverse()
    snapshots.sort(key=lambda s: s.date)  # stable: commit order for equal dates
    return snapshots
