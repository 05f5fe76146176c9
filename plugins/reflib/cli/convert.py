"""``reflib convert``: Tier 1 -> Tier 2 for the named (or all fetched) resources.

``reflib convert ID ...`` converts the named resources; with no ID, or with ``--all``, every
resource whose status is ``fetched`` is converted too. Resources are converted in parallel
worker processes (``--jobs``, default: one per CPU); the manifest is edited only by this
process, in batches (every 50 results or 2 seconds) under the manifest lock, so concurrent runs
never lose each other's edits and a crash loses at most one batch of status edits.

A full.md whose body was edited by hand since it was written, or that is a hand conversion
(``converter: manual``), is skipped unless ``--force``. ``reflib convert ID --manual``
registers a hand-made full.md instead of converting (see :mod:`reflib.convert.manual`).
After converting, the approved cards whose cited sections changed are named.
A resource that fails (corrupt input, missing raw file) keeps its files and manifest entry
as they were; the others go on. Exit status: 0 all converted or up to date, 1 something
failed, was skipped as hand-edited, or an id is unknown, 2 usage error or unreadable
manifest.
"""

from __future__ import annotations

import argparse
import difflib
import multiprocessing
import os
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from reflib.convert.run import Outcome, apply_status, apply_statuses, convert_resource
from reflib.core import manifest
from reflib.core.errors import ReflibError
from reflib.core.fsutil import atomic_write
from reflib.core.paths import MANIFEST, fulltext_rel
from reflib.core.schema import LOW_COVERAGE
from reflib.core.workers import die_with_parent

HELP = "convert raw artifacts to sources/<id>/full.md (Tier 2) and set the status converted"

RESULT_ORDER = ("converted", "unchanged", "skipped", "failed")
DEFAULT_TIMEOUT = 300.0
BATCH_SIZE = 50
BATCH_SECONDS = 2.0
RESULT_LABEL = {"converted": "converted", "unchanged": "up to date", "skipped": "skipped",
                "failed": "failed"}


def _jobs(value: str) -> int:
    try:
        jobs = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if jobs < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return jobs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``reflib convert``."""
    parser.add_argument("ids", nargs="*", metavar="ID",
                        help="resources to convert (default: every fetched resource)")
    parser.add_argument("--all", action="store_true",
                        help="also convert every resource whose status is fetched (the default "
                        "when no ID is given)")
    parser.add_argument("--force", action="store_true",
                        help="overwrite a full.md even if it was edited by hand, and rewrite "
                        "one that is already up to date")
    parser.add_argument("--jobs", "-j", type=_jobs, default=None, metavar="N",
                        help="worker processes (default: the number of CPUs)")
    parser.add_argument("--by", default=None, metavar="NAME",
                        help="recorded as converted_by (default: $REFLIB_AGENT, else omitted)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S",
                        help="stop a resource's conversion after S seconds and report it as "
                        f"failed, leaving it as it was (default {DEFAULT_TIMEOUT:g}; 0: no limit)")
    parser.add_argument("--manual", action="store_true",
                        help="register the hand-made sources/<id>/full.md of each ID instead "
                        "of converting: fill in converter: manual (if absent), converted, "
                        "converted_by and raw_sha256, keep the body byte-identical, set the "
                        "status converted; with --force, even with placeholders left")


# --- selection ---------------------------------------------------------------------------------


def load_entries(root: Path) -> dict[str, dict[str, Any]]:
    """Manifest entries by id, in file order (the first of duplicated ids wins)."""
    doc = manifest.load(root / MANIFEST)
    if doc.shape_problems and not doc.entries:
        line, message = doc.shape_problems[0]
        raise ReflibError(message, doc.path, line)
    entries: dict[str, dict[str, Any]] = {}
    for entry in doc.entries:
        entries.setdefault(str(entry.data.get("id")), entry.data)
    return entries


def unknown_ids(ids: list[str], entries: dict[str, dict[str, Any]]) -> list[str]:
    """One message per id that is not in the manifest, with a did-you-mean."""
    messages = []
    for rid in ids:
        if rid in entries:
            continue
        close = difflib.get_close_matches(rid, list(entries), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        messages.append(f"unknown resource id '{rid}'{hint}")
    return messages


def select(ids: list[str], all_fetched: bool,
           entries: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries to convert: the named ones, plus every fetched one when asked (or no ids)."""
    chosen = list(dict.fromkeys(ids))
    if all_fetched or not ids:
        chosen += [rid for rid, e in entries.items()
                   if e.get("status") == "fetched" and rid not in chosen]
    return [entries[rid] for rid in chosen]


# --- progress ----------------------------------------------------------------------------------


def coverage_warning(outcome: Outcome) -> str | None:
    """A warning line for a conversion whose coverage self-check is low."""
    if outcome.ok and outcome.coverage is not None and outcome.coverage < LOW_COVERAGE:
        return (f"warning: {outcome.id}: the body holds {outcome.coverage:.0%} of the page's "
                f"prose (coverage in {outcome.path}); check that the whole article is there")
    return None


class Reporter(Protocol):
    """Shows progress while resources are converted."""

    def done(self, outcome: Outcome) -> None:
        """One resource has finished."""


class PlainReporter:
    """One line per finished resource on stderr (for logs and CI)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.count = 0

    def done(self, outcome: Outcome) -> None:
        """Print ``[n/total] id: result: message`` (and a warning for a low coverage)."""
        self.count += 1
        print(f"[{self.count}/{self.total}] {outcome.id}: {RESULT_LABEL[outcome.result]}"
              f"{': ' + outcome.message if outcome.message else ''}", file=sys.stderr,
              flush=True)
        warning = coverage_warning(outcome)
        if warning:
            print(f"  {warning}", file=sys.stderr, flush=True)


class RichReporter:
    """A rich progress bar on a terminal; failures and skips are printed above it."""

    def __init__(self, progress: Any, task: Any) -> None:
        self.progress = progress
        self.task = task

    def done(self, outcome: Outcome) -> None:
        """Advance the bar; print the resource when it did not convert cleanly."""
        from rich.markup import escape

        self.progress.advance(self.task)
        self.progress.update(self.task,
                             description=escape(f"{RESULT_LABEL[outcome.result]} {outcome.id}"))
        if outcome.result in ("failed", "skipped"):
            colour = "red" if outcome.result == "failed" else "yellow"
            self.progress.console.print(
                f"[{colour}]{outcome.result}[/{colour}] {escape(outcome.id)}: "
                f"{escape(outcome.message)}",
                markup=True, highlight=False,
            )
        warning = coverage_warning(outcome)
        if warning:
            self.progress.console.print(f"[yellow]{escape(warning)}[/yellow]", markup=True,
                                        highlight=False)


@contextmanager
def reporter(total: int) -> Iterator[Reporter]:
    """A rich progress bar when stderr is a terminal, plain lines otherwise."""
    if not sys.stderr.isatty():
        yield PlainReporter(total)
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    console = Console(file=sys.stderr)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("converting", total=total)
        yield RichReporter(progress, task)


# --- running -----------------------------------------------------------------------------------


def _worker(root: Path, entry: dict[str, Any], force: bool, by: str | None,
            seconds: float | None = None) -> Outcome:
    """Convert one resource (in a worker process, or in this one); the manifest is left to the
    parent."""
    return convert_resource(root, entry, force=force, by=by, update_manifest=False,
                            seconds=seconds or None)


class StatusBatch:
    """Outcomes whose manifest status is still to be set: written together every
    :data:`BATCH_SIZE` results or :data:`BATCH_SECONDS`, and at the end, so a crash loses at
    most one batch of status edits (the full texts are written already) and a run of 1,000
    conversions parses the manifest a few dozen times, not 1,000."""

    def __init__(self, root: Path, report: Reporter) -> None:
        self.root = root
        self.report = report
        self.pending: list[Outcome] = []
        self.since = time.monotonic()

    def add(self, outcome: Outcome) -> None:
        self.pending.append(outcome)
        if len(self.pending) >= BATCH_SIZE or time.monotonic() - self.since >= BATCH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            apply_statuses(self.root, self.pending)
            for outcome in self.pending:
                self.report.done(outcome)
        self.pending = []
        self.since = time.monotonic()


def run_serial(root: Path, entries: list[dict[str, Any]], force: bool, by: str | None,
               report: Reporter, seconds: float | None = None) -> list[Outcome]:
    """Convert one resource after the other in this process."""
    outcomes = []
    batch = StatusBatch(root, report)
    for entry in entries:
        outcome = _worker(root, entry, force, by, seconds)
        batch.add(outcome)
        outcomes.append(outcome)
    batch.flush()
    return outcomes


def run_parallel(root: Path, entries: list[dict[str, Any]], force: bool, by: str | None,
                 jobs: int, report: Reporter, seconds: float | None = None) -> list[Outcome]:
    """Convert in worker processes; manifest edits happen here, in batches."""
    context = multiprocessing.get_context("spawn")
    outcomes: dict[str, Outcome] = {}
    batch = StatusBatch(root, report)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                             initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        futures: dict[Future[Outcome], str] = {
            pool.submit(_worker, root, entry, force, by, seconds): str(entry.get("id"))
            for entry in entries
        }
        try:
            for future in as_completed(futures):
                rid = futures[future]
                try:
                    outcome = future.result()
                except Exception as exc:  # a crashed worker fails its resource only
                    outcome = Outcome(rid, "failed", f"worker process failed: {exc!r}")
                batch.add(outcome)
                outcomes[rid] = outcome
        except KeyboardInterrupt:
            batch.flush()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    batch.flush()
    return [outcomes[str(e.get("id"))] for e in entries]


def summary(outcomes: list[Outcome]) -> list[str]:
    """Counts per result, then the resources that were skipped or failed, with reasons."""
    counts = {r: sum(1 for o in outcomes if o.result == r) for r in RESULT_ORDER}
    lines = [", ".join(f"{RESULT_LABEL[r]} {counts[r]}" for r in RESULT_ORDER)]
    for result in ("skipped", "failed"):
        for o in outcomes:
            if o.result == result:
                lines.append(f"  {o.id}: {result}: {o.message}")
    return lines


def run_manual(root: Path, ids: list[str], entries: dict[str, dict[str, Any]],
               force: bool, by: str | None) -> int:
    """``reflib convert ID ... --manual``: register hand conversions."""
    from reflib.convert.manual import LOW_PAGE_COVERAGE, MIN_PAGE_WORDS, register

    failed = 0
    who = _manual_who(by)
    for rid in ids:
        entry = entries[rid]
        try:
            done = register(root, entry, by=who, allow_placeholders=force)
            atomic_write(root / fulltext_rel(rid), done.text)
        except (ReflibError, OSError) as exc:
            print(f"reflib convert: {rid}: {exc}", file=sys.stderr)
            failed += 1
            continue
        outcome = apply_status(root, Outcome(rid, "converted", path=fulltext_rel(rid),
                                             status_before=str(entry.get("status") or "")))
        if not outcome.ok:
            print(f"reflib convert: {rid}: {outcome.message}", file=sys.stderr)
            failed += 1
            continue
        status = f"; status {outcome.status_after}" if outcome.status_after != \
            outcome.status_before else ""
        print(f"registered {fulltext_rel(rid)} (hand conversion; set {', '.join(done.filled)}; "
              f"body unchanged{status})")
        if done.coverage is not None:
            print(f"  text layer of the PDF: {done.coverage:.0%} of its words are in the "
                  f"transcription")
            for page in done.low_pages:
                print(f"  warning: {page.pdf} page {page.page}: only {page.share:.0%} of its "
                      f"{page.words} words are in the transcription of that page (below "
                      f"{LOW_PAGE_COVERAGE:.0%}); was it skipped or cut short?",
                      file=sys.stderr)
            if not done.low_pages:
                print(f"  every page with {MIN_PAGE_WORDS} words or more has at least "
                      f"{LOW_PAGE_COVERAGE:.0%} of them")
    return 1 if failed else 0


def _manual_who(by: str | None) -> str | None:
    """``--by``, else ``$REFLIB_AGENT``, else ``None`` (an existing converted_by is kept)."""
    who = by if by is not None else os.environ.get("REFLIB_AGENT", "")
    return who.strip() or None


def report_touched_cards(root: Path, outcomes: list[Outcome]) -> None:
    """Name the approved cards whose cited sections a conversion just changed."""
    from reflib.core import approval
    from reflib.core.model import load

    changed = {o.id for o in outcomes if o.result == "converted"}
    if not changed:
        return
    try:
        lib = load(root)
    except ReflibError:
        return
    for doc, found in approval.cards_to_rereview(lib):
        mine = [c for c in found if c.cited.resource_id in changed]
        if not mine:
            continue
        claims = "; ".join(f"{c.claim_label}: '{c.cited.title}'" for c in mine)
        print(f"approved card {doc.rel} cites sections this conversion changed ({claims}); "
              f"check them and re-approve: reflib review {doc.stem} --approve")


def run(args: argparse.Namespace) -> int:
    """Run ``reflib convert``."""
    root: Path = args.root
    entries = load_entries(root)
    problems = unknown_ids(args.ids, entries)
    if problems:
        for message in problems:
            print(f"reflib convert: {message}", file=sys.stderr)
        return 1
    if args.manual:
        if not args.ids or args.all:
            print("reflib convert: --manual registers the hand conversions you name: "
                  "reflib convert ID ... --manual [--by NAME]", file=sys.stderr)
            return 2
        return run_manual(root, list(dict.fromkeys(args.ids)), entries, args.force, args.by)
    chosen = select(args.ids, args.all, entries)
    if not chosen:
        print("nothing to convert: no resource has status fetched (name resources to "
              "convert them again)")
        return 0
    jobs = min(args.jobs or os.cpu_count() or 1, len(chosen))
    with reporter(len(chosen)) as report:
        if jobs == 1:
            outcomes = run_serial(root, chosen, args.force, args.by, report, args.timeout)
        else:
            outcomes = run_parallel(root, chosen, args.force, args.by, jobs, report,
                                    args.timeout)
    for line in summary(outcomes):
        print(line)
    low = [o for o in outcomes if coverage_warning(o)]
    if low:
        print(f"low coverage ({len(low)}): " + ", ".join(
            f"{o.id} {o.coverage:.0%}" for o in low) + "; see 'reflib status'")
    report_touched_cards(root, outcomes)
    return 0 if all(o.ok for o in outcomes) else 1
