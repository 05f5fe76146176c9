"""``reflib next``: the next unit(s) of the library's work, each with a complete brief.

Units come in queue order (priority, then phase), one per resource: fetch it, convert it
(a PDF: read it page by page into the scaffold), write its card, or review its draft card.
Each brief names the files to write, gives the scaffold to start from, the format's policy
for the resource's type, one or two approved cards to follow (same topic first), the
evidence rules and the commands that verify the result. ``--batch N`` gives N units that
touch disjoint files, for agents working in parallel; ``--by NAME`` leases them to NAME for
four hours (under ``.cache/reflib/leases/``), so that another agent's ``reflib next`` skips
them. The text form is markdown, one brief after another; ``--json`` prints a list of the
same fields. Exit status: 0 with units, 1 when there is no work left (or all of it is
leased to others).
"""

from __future__ import annotations

import argparse
import json
import sys

from reflib.cli._util import agent_name, error
from reflib.core.model import load
from reflib.workflow.briefs import markdown, next_units

HELP = "the next unit(s) of work in queue order, each with a brief an agent can follow"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--batch", type=int, default=1, metavar="N",
                        help="N units touching disjoint files (default 1)")
    parser.add_argument("--json", action="store_true", help="a JSON list of the briefs")
    parser.add_argument("--by", metavar="NAME",
                        help="lease the units to NAME (default: $REFLIB_AGENT); others skip "
                        "them for four hours")


def run(args: argparse.Namespace) -> int:
    if args.batch < 1:
        error("next: --batch must be at least 1")
        return 2
    lib = load(args.root)
    units = next_units(lib, args.batch, agent_name(args.by, "REFLIB_AGENT"))
    if args.json:
        json.dump([u.as_dict() for u in units], sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write("\n---\n\n".join(markdown(u) for u in units))
    if not units:
        print("next: no work left in the queue (or all of it is leased to others)",
              file=sys.stderr)
        return 1
    return 0
