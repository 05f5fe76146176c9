"""Integrating a finished unit of work (the other half of a brief from :mod:`reflib.workflow.briefs`):
validate what an agent or a person wrote, register it, and optionally commit exactly it.

All or nothing: the unit is first applied to a staging copy of the library (hard links under
``.cache/reflib/integrate/``, with the unit's files and manifest edit written as new files, so
the library itself is never touched), checked there (every ``reflib check`` finding that
concerns the resource) and built there (every site warning about the resource's pages); only
when both are clean is it applied to the library, and then the files it writes are compared
with what was validated.

Units, by the resource's status:

* ``link_only`` with its raw files in place: status ``fetched``;
* ``fetched`` with a ``full.md``: a hand (or hand-fixed) conversion registered as
  ``reflib convert --manual`` does (provenance, hashes, status ``converted``);
* ``converted`` with a card: the card enters the review queue (``review: draft``,
  ``drafted_by``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reflib.checks import check
from reflib.core import frontmatter, manifest, paths
from reflib.core.errors import ReflibError
from reflib.core.fsutil import atomic_write
from reflib.core.model import Library

SKIP_DIRS = {".git", ".cache", "site", ".venv", "venv", "node_modules", "__pycache__"}
"""Folders of the library root the staging copy leaves out."""


class IntegrateError(ReflibError):
    """The unit cannot be integrated; ``findings`` says why (nothing was changed)."""

    def __init__(self, message: str, findings: list[str] | None = None) -> None:
        super().__init__(message)
        self.findings = findings or []


@dataclass
class Plan:
    """What integrating a unit changes."""

    id: str
    action: str
    """``fetch``, ``fulltext`` or ``card``."""
    writes: dict[str, str] = field(default_factory=dict)
    """Root-relative path -> its new text."""
    originals: dict[str, bytes] = field(default_factory=dict)
    """Root-relative path -> its bytes when planned (checked again before writing)."""
    status: str | None = None
    """The manifest status to set (None: unchanged)."""
    files: list[str] = field(default_factory=list)
    """The unit's files (what ``--commit`` commits, with the manifest when it changes)."""
    notes: list[str] = field(default_factory=list)


def plan(lib: Library, rid: str, by: str | None) -> Plan:
    """The unit of ``rid`` as its files are now. Raises :class:`IntegrateError` when there
    is nothing to integrate."""
    from reflib.convert.manual import register

    res = lib.resources.get(rid)
    if res is None:
        raise IntegrateError(f"unknown resource '{rid}'{check.did_you_mean(rid, lib.resources)}")
    root = lib.root
    full, card = paths.fulltext_rel(rid), paths.card_rel(rid)
    if res.status == "link_only":
        raws = [f"{paths.SOURCES_DIR}/{rid}/{r}" for r in res.raw]
        missing = [r for r in raws if not (root / r).exists()]
        if not raws or missing:
            raise IntegrateError(f"'{rid}' is link_only: save its raw files under "
                                 f"{paths.SOURCES_DIR}/{rid}/raw/ and list them under 'raw' "
                                 f"(missing: {', '.join(missing) or 'no raw listed'}), or run "
                                 f"'reflib fetch {rid}'")
        files = []
        for r in raws:
            p = root / r
            files.extend(sorted(q.relative_to(root).as_posix() for q in p.rglob("*")
                                if q.is_file()) if p.is_dir() else [r])
        return Plan(rid, "fetch", status="fetched", files=files)
    if res.status == "fetched":
        if not (root / full).is_file():
            raise IntegrateError(f"'{rid}' is fetched: write {full} first ('reflib new "
                                 f"fulltext {rid}' starts one; 'reflib convert {rid}' converts)")
        try:
            done = register(root, res.entry.data, by=by)
        except ReflibError as exc:
            raise IntegrateError(str(exc), [str(exc)]) from None
        return Plan(rid, "fulltext", writes={full: done.text},
                    originals={full: (root / full).read_bytes()}, status="converted",
                    files=[full], notes=[f"set {', '.join(done.filled)}; body unchanged"])
    if res.status == "converted":
        path = root / card
        if not path.is_file():
            raise IntegrateError(f"'{rid}' is converted: write {card} first ('reflib new card "
                                 f"{rid}')")
        text = path.read_text(encoding="utf-8")
        try:
            parsed = frontmatter.split(text, card)
        except ReflibError as exc:
            raise IntegrateError(str(exc), [str(exc)]) from None
        meta = parsed.meta or {}
        if meta.get("review") == "approved":
            raise IntegrateError(f"{card} is approved already: nothing to integrate")
        changes: dict[str, str] = {}
        if meta.get("review") != "draft":
            changes["review"] = "draft"
        if by and not meta.get("drafted_by"):
            changes["drafted_by"] = by
        writes = {}
        if changes:
            writes[card] = (frontmatter.set_keys(text, changes) if parsed.meta is not None
                            else frontmatter.set_keys("---\n---\n", changes) + text)
        return Plan(rid, "card", writes=writes, originals={card: path.read_bytes()},
                    files=[card], notes=["enters the review queue as a draft"])
    raise IntegrateError(f"'{rid}' is {res.status}: nothing to integrate")


def _concerns(f: check.Finding, rid: str) -> bool:
    own = (f"{paths.SOURCES_DIR}/{rid}/", paths.card_rel(rid))
    return f.path.startswith(own) or f"'{rid}'" in f.message or \
        f"{paths.SOURCES_DIR}/{rid}/" in f.message


def _stage(root: Path, into: Path) -> None:
    """A copy of the library at ``into`` made of hard links (copies where linking fails)."""
    for folder, dirs, names in os.walk(root):
        rel = Path(folder).relative_to(root)
        dirs[:] = [d for d in dirs if not (rel == Path(".") and d in SKIP_DIRS)
                   and d != "__pycache__" and not os.path.islink(os.path.join(folder, d))]
        (into / rel).mkdir(parents=True, exist_ok=True)
        for name in names:
            src, dst = Path(folder) / name, into / rel / name
            if src.is_symlink():
                continue  # never followed (the checker reports them in the library itself)
            try:
                os.link(src, dst)
            except OSError:
                shutil.copy2(src, dst)


def _apply(root: Path, unit: Plan) -> None:
    """Write the unit's changes at ``root``: new files (a hard link is replaced, never
    written through) and the manifest status, under the manifest's lock."""
    for rel, text in unit.writes.items():
        atomic_write(root / rel, text)
    if unit.status is not None:
        manifest.update_entry(root / paths.MANIFEST, unit.id, {"status": unit.status})


def validate(root: Path, unit: Plan) -> list[str]:
    """The problems the unit would leave, found on a staging copy: ``reflib check``'s
    findings that concern the resource and the site build's warnings about its pages."""
    parent = root / ".cache" / "reflib" / "integrate"
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{unit.id}-", dir=parent))
    try:
        _stage(root, staging)
        _apply(staging, unit)
        problems = [f.text() for f in check.check_loaded(staging)[1] if _concerns(f, unit.id)]
        if not problems and (staging / "mkdocs.yml").is_file():
            problems = _build_warnings(staging, unit)
        return problems
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _build_warnings(staging: Path, unit: Plan) -> list[str]:
    """Warnings of a site build of the staging copy that name the unit's pages."""
    mine = (f"{paths.SOURCES_DIR}/{unit.id}/", paths.card_rel(unit.id),
            f"resources/{unit.id}.md", f"resources/{unit.id}/")
    env: dict[str, Any] = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-d",
                           str(staging / ".cache" / "reflib-integrate-site")],
                          cwd=staging, capture_output=True, text=True, env=env, timeout=3600)
    out = proc.stdout + proc.stderr
    warnings = [line.strip() for line in out.splitlines()
                if line.startswith(("WARNING", "ERROR")) and any(m in line for m in mine)]
    if proc.returncode != 0 and not warnings:
        tail = "\n".join(out.strip().splitlines()[-5:])
        warnings.append(f"the site does not build with this unit: {tail}")
    return warnings


def integrate(lib: Library, rid: str, by: str | None) -> Plan:
    """Validate and register the unit of ``rid``. Raises :class:`IntegrateError` (with the
    findings) and changes nothing when it is not valid."""
    unit = plan(lib, rid, by)
    problems = validate(lib.root, unit)
    if problems:
        raise IntegrateError(f"'{rid}': {len(problems)} problem(s); nothing was changed",
                             problems)
    for rel, data in unit.originals.items():
        if (lib.root / rel).read_bytes() != data:
            raise IntegrateError(f"{rel} changed while it was being checked; nothing was "
                                 f"changed, run it again")
    _apply(lib.root, unit)
    return unit


def _git(root: Path, *args: str, input: str | None = None,
         env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                          input=input, env={**os.environ, **(env or {})}, timeout=120)
    if proc.returncode != 0:
        raise ReflibError(f"git {args[0]} failed: {(proc.stderr or proc.stdout).strip()}")
    return proc.stdout


def commit(root: Path, unit: Plan, by: str | None) -> str:
    """Commit exactly the unit: its files as they are, and the manifest as the last commit
    has it plus this unit's status (other uncommitted edits of the manifest and anything
    else staged stay out). Returns the new commit's hash."""
    top = Path(_git(root, "rev-parse", "--show-toplevel").strip())
    prefix = root.resolve().relative_to(top.resolve()).as_posix()

    def in_repo(rel: str) -> str:
        return f"{prefix}/{rel}" if prefix not in ("", ".") else rel

    blobs: dict[str, str] = {}
    for rel in unit.files:
        blobs[in_repo(rel)] = _git(root, "hash-object", "-w", "--", str(root / rel)).strip()
    if unit.status is not None:
        rel = in_repo(paths.MANIFEST)
        try:
            base = _git(top, "show", f"HEAD:{rel}")
        except ReflibError:
            base = (root / paths.MANIFEST).read_text(encoding="utf-8")
        text = manifest.edit_text(base, paths.MANIFEST, unit.id, {"status": unit.status})
        blobs[rel] = _git(top, "hash-object", "-w", "--stdin", input=text).strip()
    index = Path(tempfile.mkdtemp(prefix="reflib-index-")) / "index"
    try:
        env = {"GIT_INDEX_FILE": str(index)}
        has_head = subprocess.run(["git", "-C", str(top), "rev-parse", "--verify", "-q", "HEAD"],
                                  capture_output=True).returncode == 0
        if has_head:
            _git(top, "read-tree", "HEAD", env=env)
        for rel, blob in blobs.items():
            _git(top, "update-index", "--add", "--cacheinfo", f"100644,{blob},{rel}", env=env)
        tree = _git(top, "write-tree", env=env).strip()
        who = f" by {by}" if by else ""
        message = f"reflib integrate {unit.id}: {unit.action}{who}\n\n" + "\n".join(
            f"- {f}" for f in sorted(blobs))
        parents = ["-p", "HEAD"] if has_head else []
        sha = _git(top, "commit-tree", tree, *parents, "-m", message).strip()
        _git(top, "update-ref", "HEAD", sha)
    finally:
        shutil.rmtree(index.parent, ignore_errors=True)
    # the real index follows the commit for these paths (nothing else of it changes)
    _git(top, "reset", "-q", "--", *blobs)
    return sha


__all__ = ["IntegrateError", "Plan", "commit", "integrate", "plan", "validate"]
