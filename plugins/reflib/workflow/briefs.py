"""Work briefs: the next units of a library's work, each with what an agent (or a person)
needs to do it without asking: the action at the resource's status, the files to write, a
scaffold, the format's policy for its type, peer examples, the evidence rules and the
commands that verify the result.

Pure functions over a loaded :class:`~reflib.core.model.Library`, plus the leases that keep two
agents from taking the same unit (files under ``.cache/reflib/leases/``).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from reflib.core import paths, progress
from reflib.core.errors import ReflibError
from reflib.core.model import Library, Resource

LEASE_DIR = Path(".cache") / "reflib" / "leases"
LEASE_SECONDS = 4 * 3600
"""How long a unit handed to an agent (``reflib next --by NAME``) stays its own."""

VERIFY = ["reflib check", "mkdocs build --strict"]

TIER2_POLICY = {
    "html": "Strip site chrome only (navigation, header, footer, sidebars, breadcrumbs, "
            "permalink pilcrows, cookie banners); keep every part of the article body verbatim, "
            "in order: headings, lists, tables, code blocks with their language, admonitions, "
            "images with alt text. A multi-page docs resource becomes one full.md with each page "
            "under its own top heading.",
    "paper": "Every word of the text layer, in reading order; headings as markdown headings; "
             "tables as markdown tables where the structure is recoverable; page markers so "
             "that evidence can cite a page; conversion_notes lists what was lost or "
             "approximated, page by page.",
    "repo": "A file tree first, then every text file verbatim under '## File: path/to/file' "
            "headings, in a priority order (the package that matters first); binary and "
            "oversized files appear in the tree marked as skipped, never silently dropped.",
    "issue": "Title, state, author, dates, labels, the body, then every comment in order with "
             "author and date.",
}
"""The format's Tier 2 policies (lossless: no summarising, no selecting, no interpretation)."""

TIER3_POLICY = (
    "A condensed card: YAML front matter (id, review: draft until a reviewer approves), an h1 "
    "title, '## Claims' as a numbered list of self-contained claims, each followed by an "
    "'Evidence:' line, then '## Actionables'. Condense, do not copy: each claim states one "
    "finding in your words, precise enough to act on (numbers, conditions, limits).")

EVIDENCE_RULES = (
    "Evidence is a relative markdown link to a heading of the full text, on a line starting "
    "with 'Evidence:' (several links separated by ';'), e.g. "
    "'Evidence: [§2.2 Title](../../sources/<id>/full.md#22-title)'. Anchors follow GitHub's "
    "slug rules; every link must resolve to an existing heading (reflib show <id>#<anchor> "
    "prints the section). Add the exact words a claim relies on as a quote after the link, "
    "in double quotes: the checker verifies each quote occurs in the cited section. Approved "
    "evidence stays approved only while the cited sections are unchanged.")


@dataclass
class Unit:
    """One unit of work with its brief."""

    id: str
    title: str
    type: str
    status: str
    priority: str
    phase: int | None
    action: str
    """``fetch``, ``convert``, ``read`` (a PDF converted by hand, page by page),
    ``write-card`` or ``review``."""
    targets: list[str]
    """The files (or folder) the unit writes, relative to the library root."""
    steps: list[str]
    commands: list[str]
    """The commands that do (or start, or register) the work, in order."""
    verify: list[str]
    policy: str
    evidence_rules: str | None = None
    scaffold: dict[str, str] | None = None
    """``{"path", "text"}``: the file to start from (also what ``reflib new`` writes)."""
    peers: list[dict[str, str]] = field(default_factory=list)
    leased_by: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _policy(res: Resource) -> str:
    if res.type == "paper" or any(r.lower().endswith(".pdf") for r in res.raw):
        return TIER2_POLICY["paper"]
    if res.type == "repo":
        return TIER2_POLICY["repo"]
    if res.type in ("issue", "rfc"):
        return TIER2_POLICY["issue"]
    return TIER2_POLICY["html"]


def _is_pdf(res: Resource) -> bool:
    return any(r.lower().endswith(".pdf") for r in res.raw)


def _peers(lib: Library, res: Resource, limit: int = 2) -> list[dict[str, str]]:
    """Approved cards to follow: those sharing a topic with ``res`` first, then of its type,
    then any; by priority and phase."""
    done = [r for r in lib.resources.values()
            if r.id != res.id and r.card is not None and r.review == "approved"]
    topics = set(res.topics)

    def rank(r: Resource) -> tuple[int, int, int, int]:
        return (0 if topics & set(r.topics) else 1, 0 if r.type == res.type else 1,
                *progress._sort_key(r)[:2])

    return [{"id": r.id, "title": r.title, "card": paths.card_rel(r.id)}
            for r in sorted(done, key=rank)[:limit]]


def unit_for(lib: Library, item: progress.QueueItem, by: str | None = None) -> Unit:
    """The brief of one queue item."""
    from reflib.convert.manual import scaffold as fulltext_scaffold
    from reflib.workflow.scaffold import card_text

    res = lib.resources[item.id]
    rid = res.id
    full, card = paths.fulltext_rel(rid), paths.card_rel(rid)
    who = f" --by {by}" if by else " --by NAME"

    def unit(**kw: Any) -> Unit:
        return Unit(id=rid, title=res.title, type=res.type, status=res.status,
                    priority=res.priority, phase=res.phase, verify=list(VERIFY), **kw)

    if item.action == "fetch":
        return unit(action="fetch", targets=[f"{paths.SOURCES_DIR}/{rid}/raw/"],
                    steps=[f"Save the raw artifacts of {res.url or 'the resource'} under "
                           f"{paths.SOURCES_DIR}/{rid}/raw/ (reflib fetch does it for web "
                           f"pages, PDFs, repositories and GitHub issues), list them under "
                           f"'raw' in the manifest entry and set its status to fetched."],
                    commands=[f"reflib fetch {rid}"], policy=_policy(res))
    if item.action == "convert" and _is_pdf(res):
        scaffold = None
        with contextlib.suppress(ReflibError):  # a raw file missing: the checker says so
            scaffold = {"path": full, "text": fulltext_scaffold(lib.root, res.entry.data, by=by)}
        return unit(action="read", targets=[full], scaffold=scaffold,
                    steps=[f"Write {full} from the PDF, page by page: 'reflib new fulltext {rid}' "
                           "writes the scaffold (front matter, one page marker and placeholder "
                           "per page); replace every placeholder with that page's text.",
                           f"Register it: 'reflib convert {rid} --manual{who}' (provenance, "
                           f"hashes, status converted; the body stays as written).",
                           f"Or convert it mechanically: 'reflib convert {rid}', then read its "
                           f"conversion_notes and fix what they name."],
                    commands=[f"reflib new fulltext {rid}", f"reflib convert {rid} --manual{who}"],
                    policy=_policy(res))
    if item.action == "convert":
        return unit(action="convert", targets=[full],
                    steps=[f"Convert: 'reflib convert {rid}'. Then compare {full} with the raw "
                           f"artifacts: its conversion_notes say what the converter doubted; "
                           f"fix any loss by hand (the checker keeps hand edits)."],
                    commands=[f"reflib convert {rid}"], policy=_policy(res))
    peers = _peers(lib, res)
    if item.action == "review":
        return unit(action="review", targets=[card], peers=peers,
                    steps=[f"Read {card} against {full}: every claim must hold in its cited "
                           f"sections (reflib show {rid}#<anchor> prints one), quotes must be "
                           f"the section's words.",
                           f"Approve: 'reflib review {rid} --approve{who}' (or edit the card and "
                           f"leave it a draft)."],
                    commands=[f"reflib review {rid} --approve{who}"], policy=TIER3_POLICY,
                    evidence_rules=EVIDENCE_RULES)
    scaffold = None
    with contextlib.suppress(ReflibError):
        scaffold = {"path": card, "text": card_text(lib, rid, by)}
    follow = " Follow " + " and ".join(p["card"] for p in peers) + "." if peers else ""
    return unit(action="write-card", targets=[card], scaffold=scaffold, peers=peers,
                steps=[f"Write {card}: 'reflib new card {rid}{who}' writes the scaffold with "
                       f"the headings of {full} as evidence links.{follow}",
                       "Leave review: draft; a reviewer approves it."],
                commands=[f"reflib new card {rid}{who}"], policy=TIER3_POLICY,
                evidence_rules=EVIDENCE_RULES)


# --- leases ------------------------------------------------------------------------------

def _lease_path(root: Path, rid: str) -> Path:
    return root / LEASE_DIR / f"{rid}.json"


def lease_holder(root: Path, rid: str, now: float | None = None) -> str | None:
    """Who holds an unexpired lease on ``rid`` (None when nobody)."""
    try:
        data = json.loads(_lease_path(root, rid).read_text(encoding="utf-8"))
        by, at = str(data["by"]), float(data["at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return by if (now if now is not None else time.time()) - at < LEASE_SECONDS else None


def take_lease(root: Path, rid: str, by: str) -> bool:
    """Lease ``rid`` to ``by`` (renewed when ``by`` holds it); False when someone else does.
    Two agents asking at once cannot both get it: the lease file is created exclusively."""
    holder = lease_holder(root, rid)
    if holder is not None and holder != by:
        return False
    path = _lease_path(root, rid)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps({"by": by, "at": time.time()})
    if holder == by:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(data, encoding="utf-8")
        os.replace(tmp, path)
        return True
    path.unlink(missing_ok=True)  # an expired lease
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return lease_holder(root, rid) == by
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(data)
    return True


def release(root: Path, rid: str) -> None:
    """End the lease on ``rid`` (the unit is done or given up)."""
    _lease_path(root, rid).unlink(missing_ok=True)


def next_units(lib: Library, batch: int = 1, by: str | None = None) -> list[Unit]:
    """The next ``batch`` units in queue order (priority, then phase), touching disjoint
    files, skipping units another agent holds; with ``by``, each is leased to ``by``."""
    units: list[Unit] = []
    taken: set[str] = set()
    for item in progress.queue(lib):
        if len(units) >= batch:
            break
        holder = lease_holder(lib.root, item.id)
        if holder is not None and holder != by:
            continue
        unit = unit_for(lib, item, by)
        if taken & set(unit.targets):
            continue
        if by is not None and not take_lease(lib.root, item.id, by):
            continue
        unit.leased_by = by
        taken.update(unit.targets)
        units.append(unit)
    return units


def markdown(unit: Unit) -> str:
    """The brief as markdown an agent can be handed as is."""
    lines = [f"# {unit.action}: {unit.id}", "",
             f"**{unit.title}** ({unit.type}; status {unit.status}, priority {unit.priority}"
             f"{f', phase {unit.phase}' if unit.phase is not None else ''})", "",
             "## Write", ""]
    lines += [f"- `{t}`" for t in unit.targets]
    lines += ["", "## Steps", ""]
    lines += [f"{i}. {s}" for i, s in enumerate(unit.steps, 1)]
    lines += ["", "## Policy", "", unit.policy]
    if unit.evidence_rules:
        lines += ["", "## Evidence", "", unit.evidence_rules]
    if unit.peers:
        lines += ["", "## Examples to follow", ""]
        lines += [f"- `{p['card']}`: {p['title']}" for p in unit.peers]
    if unit.scaffold:
        fence = "````" if "```" in unit.scaffold["text"] else "```"
        lines += ["", f"## Start from (`{unit.scaffold['path']}`)", "", f"{fence}markdown",
                  unit.scaffold["text"].rstrip("\n"), fence]
    lines += ["", "## Verify", ""]
    lines += [f"- `{c}`" for c in unit.verify]
    if unit.leased_by:
        lines += ["", f"Leased to {unit.leased_by} for {LEASE_SECONDS // 3600} hours."]
    return "\n".join(lines) + "\n"


__all__ = ["EVIDENCE_RULES", "LEASE_SECONDS", "TIER2_POLICY", "TIER3_POLICY", "Unit",
           "lease_holder", "markdown", "next_units", "release", "take_lease", "unit_for"]
