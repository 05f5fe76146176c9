"""Statuses over time, read from the git history of ``refs/manifest.yaml``.

Each commit that touched the manifest is read once: all manifests not seen before come from one
``git cat-file --batch`` call, and their counts are kept per commit hash (a commit's manifest
never changes), so ``mkdocs serve`` rebuilds read nothing again. Only ``id`` and ``status``
matter here, so the manifests are parsed with PyYAML's C loader, not the round-trip parser;
commits whose manifest does not parse are skipped. Used by the site's burn-down chart.
"""

from __future__ import annotations

import datetime as _dt
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from reflib.core import paths
from reflib.core.schema import STATUSES

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

MAX_COMMITS = 200
_COUNTS: dict[str, dict[str, int] | None] = {}
"""Counts per commit hash, for every commit read in this process (``None``: unparsable)."""


@dataclass
class Snapshot:
    """Counts per status in the manifest of one commit."""

    commit: str
    date: _dt.datetime
    counts: dict[str, int]


def _git(root: Path, *args: str, stdin: bytes | None = None) -> str | None:
    raw = _git_bytes(root, *args, stdin=stdin)
    return None if raw is None else raw.decode("utf-8", "replace")


def _git_bytes(root: Path, *args: str, stdin: bytes | None = None) -> bytes | None:
    try:
        proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True,
                              check=False, timeout=60, input=stdin)
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout


def _manifests_at(root: Path, commits: list[str]) -> dict[str, str]:
    """The manifest text at each commit (commits where it is missing are left out), read
    with one ``git cat-file --batch``."""
    if not commits:
        return {}
    request = "".join(f"{c}:{paths.MANIFEST}\n" for c in commits).encode()
    out = _git_bytes(root, "cat-file", "--batch", stdin=request)
    if out is None:
        return {}
    texts: dict[str, str] = {}
    pos = 0
    for commit in commits:
        end = out.find(b"\n", pos)
        if end < 0:
            break
        header = out[pos:end].split()
        pos = end + 1
        if len(header) != 3 or header[1] != b"blob":
            continue  # "<name> missing" and the like: no body follows
        size = int(header[2])
        texts[commit] = out[pos:pos + size].decode("utf-8", "replace")
        pos += size + 1
    return texts


def is_git_checkout(root: Path) -> bool:
    """True when ``root`` is inside a git work tree (and git is installed)."""
    out = _git(root, "rev-parse", "--is-inside-work-tree")
    return out is not None and out.strip() == "true"


def counts_of(text: str) -> dict[str, int] | None:
    """Counts per status of a manifest's text, or ``None`` when it does not parse."""
    try:
        data = yaml.load(text, Loader=_Loader)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError):
        return None
    if not isinstance(data, dict) or "resources" not in data:
        return None
    entries = data["resources"] if data["resources"] is not None else []
    if not isinstance(entries, list):
        return None
    entries = [e for e in entries if isinstance(e, dict)]
    if not entries and data.get("resources"):
        return None
    out = dict.fromkeys(STATUSES, 0)
    seen: set[str] = set()
    for entry in entries:
        rid = entry.get("id")
        status = entry.get("status")
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
    commits: list[tuple[str, str]] = []
    for line in log.splitlines():
        commit, _, date = line.partition("\x00")
        if commit and date:
            commits.append((commit, date))
    unseen = [c for c, _ in commits if c not in _COUNTS]
    for commit, text in _manifests_at(root, unseen).items():
        _COUNTS[commit] = counts_of(text)
    snapshots: list[Snapshot] = []
    for commit, date in commits:
        counts = _COUNTS.get(commit)
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
