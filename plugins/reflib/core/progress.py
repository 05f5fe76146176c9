"""Progress of a library: counts per status, the queue of next work, cards awaiting review.

Pure functions over the model, shared by ``reflib status`` and the site's dashboard.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from reflib.core.model import Library, Resource
from reflib.core.schema import LOW_COVERAGE, PRIORITIES, STATUSES

PRIORITY_RANK = {p: i for i, p in enumerate(PRIORITIES)}
NEXT_ACTION = {
    "link_only": "fetch",
    "fetched": "convert",
    "converted": "condense",
}


@dataclass
class QueueItem:
    """One piece of next work."""

    id: str
    title: str
    action: str
    """``fetch``, ``convert``, ``condense`` or ``review``."""
    status: str
    priority: str
    phase: int | None
    command: str
    """The command that does it (or starts it)."""


def _sort_key(res: Resource) -> tuple[int, int, int]:
    phase = res.phase if res.phase is not None else 1_000_000
    return (PRIORITY_RANK.get(res.priority, len(PRIORITIES)), phase, 0)


def counts(lib: Library) -> dict[str, int]:
    """Resources per status (every status present, zero when none)."""
    out = dict.fromkeys(STATUSES, 0)
    for res in lib.resources.values():
        if res.status in out:
            out[res.status] += 1
    return out


def counts_by(lib: Library, key: str) -> dict[str, dict[str, int]]:
    """Resources per status for each value of ``key`` (``priority`` or ``phase``).

    Phase values are strings (``"1"``, ``"2"``...; ``"none"`` for resources without a phase),
    ordered numerically; priorities in the order high, medium, low.
    """
    groups: dict[str, dict[str, int]] = {}
    for res in lib.resources.values():
        value = getattr(res, key)
        label = "none" if value is None else str(value)
        row = groups.setdefault(label, dict.fromkeys(STATUSES, 0))
        if res.status in row:
            row[res.status] += 1

    def order(label: str) -> tuple[int, int | str]:
        if key == "priority":
            return (PRIORITY_RANK.get(label, 99), label)
        return (1, 0) if label == "none" else (0, int(label))

    return {k: groups[k] for k in sorted(groups, key=order)}


def tier_progress(lib: Library) -> dict[str, float]:
    """Share of resources (0..1) that have reached at least each tier."""
    total = len(lib.resources) or 1
    rank = {s: i for i, s in enumerate(STATUSES)}
    out = {}
    for i, status in enumerate(STATUSES):
        out[status] = sum(1 for r in lib.resources.values()
                          if rank.get(r.status, -1) >= i) / total
    return out


def awaiting_review(lib: Library) -> list[Resource]:
    """Resources with a draft card, by priority then phase."""
    items = [r for r in lib.resources.values() if r.card is not None and r.review == "draft"]
    return sorted(items, key=_sort_key)


def queue(lib: Library) -> list[QueueItem]:
    """The next work for every resource not yet condensed, by priority then phase.

    A converted resource with a draft card is queued for ``review`` instead of ``condense``.
    """
    items = []
    for res in sorted(lib.resources.values(), key=_sort_key):
        action = NEXT_ACTION.get(res.status)
        if action is None:
            continue
        if action == "condense" and res.card is not None and res.review == "draft":
            action = "review"
        command = {
            "fetch": f"reflib fetch {res.id}",
            "convert": f"reflib convert {res.id}",
            "condense": f"reflib new card {res.id}",
            "review": f"reflib review {res.id} --approve",
        }[action]
        items.append(QueueItem(res.id, res.title, action, res.status, res.priority,
                               res.phase, command))
    return items


def low_coverage(lib: Library) -> list[dict[str, Any]]:
    """Full texts whose recorded ``coverage`` is below :data:`LOW_COVERAGE`: the converter
    (or a transcription) may have left part of the source out; a person should look."""
    out = []
    for rid, doc in lib.fulltexts.items():
        value = (doc.meta or {}).get("coverage")
        if isinstance(value, (int, float)) and not isinstance(value, bool) \
                and value < LOW_COVERAGE:
            out.append({"id": rid, "path": doc.rel, "coverage": float(value),
                        "extraction": str((doc.meta or {}).get("extraction") or "")})
    return sorted(out, key=lambda item: (item["coverage"], item["id"]))


def summary(lib: Library) -> dict[str, Any]:
    """Everything ``reflib status --json`` prints (the format's minimum and more)."""
    return {
        "counts": counts(lib),
        "total": len(lib.resources),
        "by_priority": counts_by(lib, "priority"),
        "by_phase": counts_by(lib, "phase"),
        "tiers": tier_progress(lib),
        "queue": [asdict(item) for item in queue(lib)],
        "awaiting_review": [{"id": r.id, "title": r.title, "card": r.card.rel if r.card else None}
                            for r in awaiting_review(lib)],
        "low_coverage": low_coverage(lib),
    }
