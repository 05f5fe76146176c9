"""``reflib new``: scaffold a draft card or a topic from templates.

``reflib new card ID`` writes ``refs/resources/<id>.md``: front matter (``id``, ``review:
draft``, ``drafted_by`` from ``--by`` or ``$REFLIB_AGENT``), the resource's title, a link to
its full text and ``## Claims`` with the full text's headings as ready-to-paste evidence links
(in an HTML comment, so the fresh card passes ``reflib check``), ``## Actionables`` and ``##
Open questions``. ``reflib new topic NN-slug`` writes ``refs/topics/<NN-slug>.md`` with the five
synthesis sections. Templates: ``scaffold/card.md.j2`` and ``scaffold/topic.md.j2``,
overridable under ``.reflib/templates/``. An existing file is never replaced. Exit status: 0
written, 1 the file exists or the resource is unknown or not converted, 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import paths, scaffold
from ..errors import ReflibError
from ..model import load
from ._util import agent_name, error, suggestion

HELP = "scaffold a draft card (new card ID) or a topic page (new topic NN-slug) from templates"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``reflib new``: the ``card`` and ``topic`` sub-commands."""
    sub = parser.add_subparsers(dest="what", metavar="WHAT", required=True)
    card = sub.add_parser("card", help="a draft card refs/resources/<id>.md for a converted "
                          "resource", description="Write a draft card whose skeleton comes "
                          "from the resource's full text.")
    card.add_argument("id", metavar="ID", help="resource id from the manifest")
    card.add_argument("--by", metavar="NAME",
                      help="who drafts it (front matter drafted_by); default $REFLIB_AGENT")
    topic = sub.add_parser("topic", help="a topic page refs/topics/<NN-slug>.md",
                           description="Write a topic page with the five synthesis sections.")
    topic.add_argument("stem", metavar="NN-slug", help="file stem, e.g. 01-atomic-writes")
    topic.add_argument("--title", help="page title (default: the slug in words)")
    for p in (card, topic):
        p.add_argument("--root", type=Path, default=argparse.SUPPRESS,
                       help="library root (the folder holding refs/manifest.yaml)")


def _write(root_rel: str, args: argparse.Namespace, text: str) -> int:
    path = args.root / root_rel
    try:
        scaffold.create_new(path, text)
    except FileExistsError:
        error(f"new: {root_rel} already exists; not replacing it")
        return 1
    print(root_rel)
    return 0


def run(args: argparse.Namespace) -> int:
    """Write the scaffold named by ``args.what``."""
    lib = load(args.root)
    if args.what == "card":
        rid = args.id
        rel = paths.card_rel(rid)
        if rid not in lib.resources:
            error(f"new: unknown resource '{rid}'{suggestion(rid, lib.resources)}")
            return 1
        if (args.root / rel).exists():
            error(f"new: {rel} already exists; not replacing it")
            return 1
        try:
            text = scaffold.card_text(lib, rid, agent_name(args.by, "REFLIB_AGENT"))
        except ReflibError as exc:
            error(f"new: {exc}")
            return 1
        code = _write(rel, args, text)
        if code == 0:
            print(f"next: write claims with evidence, then 'reflib review {rid}'",
                  file=sys.stderr)
        return code
    stem = args.stem
    rel = paths.topic_rel(stem)
    try:
        text = scaffold.topic_text(args.root, stem, args.title)
    except ReflibError as exc:
        error(f"new: {exc.message}")
        return 2
    if (args.root / rel).exists():
        error(f"new: {rel} already exists; not replacing it")
        return 1
    code = _write(rel, args, text)
    if code == 0:
        print(f"next: add '{stem}' to the topics of its resources in {paths.MANIFEST}",
              file=sys.stderr)
    return code
