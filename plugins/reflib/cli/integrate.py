"""``reflib integrate ID``: validate, register and (``--commit``) commit a finished unit of
work, the other half of ``reflib next``.

By the resource's status: ``link_only`` with its raw files saved becomes ``fetched``;
``fetched`` with a ``full.md`` is registered as ``reflib convert --manual`` does (provenance,
hashes, status ``converted``); ``converted`` with a card puts the card in the review queue
(``review: draft``, ``drafted_by``). First the unit is applied to a staging copy of the
library and checked there: every ``reflib check`` finding that concerns the resource and
every site-build warning about its pages. On any, nothing is changed, the findings are
printed and the exit status is 1. ``--commit`` then commits exactly the unit's files and its
manifest status (other uncommitted edits stay out), with a message naming the unit and who
did it. The unit's lease (``reflib next --by``) ends.
"""

from __future__ import annotations

import argparse
import sys

from reflib.cli._util import agent_name, error
from reflib.core.errors import ReflibError
from reflib.core.model import load
from reflib.workflow.briefs import release
from reflib.workflow.integrate import IntegrateError, commit, integrate

HELP = "validate, register and optionally commit a finished unit of work (see reflib next)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", metavar="ID", help="the resource whose unit is done")
    parser.add_argument("--by", metavar="NAME",
                        help="who did it (default: $REFLIB_AGENT): converted_by or drafted_by, "
                        "and the commit message")
    parser.add_argument("--commit", action="store_true",
                        help="commit exactly the unit's files and manifest status")


def run(args: argparse.Namespace) -> int:
    by = agent_name(args.by, "REFLIB_AGENT")
    lib = load(args.root)
    try:
        unit = integrate(lib, args.id, by)
    except IntegrateError as exc:
        for finding in exc.findings:
            print(finding)
        error(f"integrate: {exc}")
        return 1
    status = f"; status {unit.status}" if unit.status else ""
    notes = f" ({'; '.join(unit.notes)})" if unit.notes else ""
    print(f"integrated {args.id}: {unit.action}{status}{notes}")
    release(lib.root, args.id)
    if args.commit:
        try:
            sha = commit(lib.root, unit, by)
        except ReflibError as exc:
            error(f"integrate: registered, but not committed: {exc}")
            return 2
        print(f"committed {sha[:12]}: {', '.join(unit.files)}"
              f"{' and the manifest' if unit.status else ''}")
    sys.stdout.flush()
    return 0
