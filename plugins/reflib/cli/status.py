"""``reflib status``: where the library stands and what to do next.

Prints the resources per status (overall, per priority and per phase), the queue of next work
(fetch, convert, condense, review; by priority then phase, each with the command that does
it), the cards awaiting review, approved cards to review again (a cited section changed since
approval), full texts with a low coverage (the converter's self-check: part of the source may
be missing), and stale conversions: full texts whose raw files changed since they were converted
(the checker's ``fulltext-stale`` rule). With ``--json`` it prints
:func:`reflib.core.progress.summary` plus ``rereview``, ``stale`` and ``problems`` (entries with an
unknown status, unreadable pages) for tools. Exit status 0 (2 when the manifest cannot be read).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.table import Table

from reflib.checks import check as checker
from reflib.cli._util import console
from reflib.core import approval, progress
from reflib.core.model import Library, load
from reflib.core.schema import STATUSES

HELP = ("counts per status, priority and phase, the queue of next work, cards awaiting review "
        "and stale conversions")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``reflib status``."""
    parser.add_argument("--json", action="store_true",
                        help="print a JSON object (progress summary, 'stale' and 'problems') "
                        "instead of tables")


def stale(lib: Library) -> list[dict[str, Any]]:
    """Full texts whose raw files changed since conversion (``fulltext-stale`` findings)."""
    out = []
    for f in checker.check_documents(lib):
        if f.code == "fulltext-stale":
            rid = f.path.split("/")[1] if f.path.count("/") == 2 else None
            out.append({"id": rid, "path": f.path, "line": f.line, "message": f.message})
    return sorted(out, key=lambda item: (item["path"], item["line"], item["message"]))


def problems(lib: Library) -> list[dict[str, Any]]:
    """What keeps the counts from adding up: unknown statuses and unreadable pages."""
    out: list[dict[str, Any]] = []
    for res in lib.resources.values():
        if res.status not in STATUSES:
            out.append({"id": res.id, "path": "refs/manifest.yaml",
                        "line": res.entry.line_of("status"),
                        "message": f"'{res.id}' has unknown status '{res.status}'; it is not "
                        f"counted or queued"})
    for line, message in lib.manifest.shape_problems:
        out.append({"id": None, "path": "refs/manifest.yaml", "line": line, "message": message})
    for doc in lib.documents.values():
        if doc.error is not None:
            out.append({"id": None, "path": doc.rel, "line": doc.error.line or 1,
                        "message": doc.error.message})
    return out


def report(lib: Library) -> dict[str, Any]:
    """The object ``reflib status --json`` prints."""
    data = progress.summary(lib)
    data["rereview"] = approval.rereview_summary(lib)
    data["stale"] = stale(lib)
    data["problems"] = problems(lib)
    return data


def _counts_table(title: str, label: str, rows: dict[str, dict[str, int]]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(label)
    for status in STATUSES:
        table.add_column(status, justify="right")
    table.add_column("total", justify="right")
    for key, row in rows.items():
        table.add_row(key, *(str(row[s]) if row[s] else "·" for s in STATUSES),
                      str(sum(row.values())))
    return table


def print_report(data: dict[str, Any]) -> None:
    """The terminal form of :func:`report`."""
    con = console()
    counts = data["counts"]
    parts = " · ".join(f"{s} {counts[s]}" for s in STATUSES)
    con.print(f"[bold]{data['total']} resources[/bold]: {parts}")
    if data["total"]:
        con.print(_counts_table("By priority", "priority", data["by_priority"]))
        con.print(_counts_table("By phase", "phase", data["by_phase"]))
    if data["queue"]:
        table = Table(title=f"Queue of next work ({len(data['queue'])})", title_justify="left")
        for col in ("action", "id", "priority", "phase", "command"):
            table.add_column(col)
        for item in data["queue"]:
            phase = "" if item["phase"] is None else str(item["phase"])
            table.add_row(item["action"], item["id"], item["priority"], phase, item["command"])
        con.print(table)
    else:
        con.print("Queue of next work: empty")
    if data["awaiting_review"]:
        con.print(f"[bold]Awaiting review ({len(data['awaiting_review'])})[/bold]")
        for item in data["awaiting_review"]:
            con.print(f"  {item['id']}  {item['card']}  reflib review {item['id']}",
                      markup=False)
    if data["rereview"]:
        con.print(f"[bold]Approved cards to review again ({len(data['rereview'])})[/bold]: "
                  "cited sections changed since approval")
        for item in data["rereview"]:
            claims = "; ".join(f"{c['label']} ({c['section']}, {c['change']})"
                               for c in item["claims"])
            con.print(f"  {item['id']}  {claims}  {item['command']}", markup=False)
    if data["low_coverage"]:
        con.print(f"[bold]Low coverage ({len(data['low_coverage'])})[/bold]: the full text may "
                  "lack part of its source; look at it")
        for item in data["low_coverage"]:
            con.print(f"  {item['id']}  {item['coverage']:.0%}  {item['path']}  "
                      f"({item['extraction']})", markup=False)
    if data["stale"]:
        con.print(f"[bold]Stale conversions ({len(data['stale'])})[/bold]")
        for item in data["stale"]:
            con.print(f"  {item['path']}:{item['line']}: {item['message']}", markup=False)
    if data["problems"]:
        con.print(f"[bold]Problems ({len(data['problems'])})[/bold] — run 'reflib check' for all")
        for item in data["problems"]:
            con.print(f"  {item['path']}:{item['line']}: {item['message']}", markup=False)


def run(args: argparse.Namespace) -> int:
    """Print the status of the library at ``args.root``."""
    lib = load(args.root)
    data = report(lib)
    if args.json:
        json.dump(data, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        print_report(data)
    return 0
