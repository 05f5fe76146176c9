"""``reflib new``: scaffold a draft card, a hand-made full text or a topic from templates.

``reflib new card ID`` writes ``refs/resources/<id>.md``: front matter (``id``, ``review:
draft``, ``drafted_by`` from ``--by`` or ``$REFLIB_AGENT``), the resource's title, a link to
its full text and ``## Claims`` with the full text's headings as ready-to-paste evidence links
(in an HTML comment, so the fresh card passes ``reflib check``), ``## Actionables`` and ``##
Open questions``. ``reflib new fulltext ID`` writes ``sources/<id>/full.md`` for a hand
conversion (template ``scaffold/fulltext.md.j2``): front matter with ``converter: manual``
and, for a PDF, a page marker per page with a placeholder to transcribe it into; register it
when done with ``reflib convert ID --manual``. ``reflib new topic NN-slug`` writes
``refs/topics/<NN-slug>.md`` with the five synthesis sections. Templates:
``scaffold/card.md.j2``, ``scaffold/fulltext.md.j2`` and ``scaffold/topic.md.j2``, overridable
under ``.reflib/templates/``. An existing file is never replaced. Exit status: 0
written, 1 the file exists or the resource is unknown or not converted, 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reflib.cli._util import agent_name, error, suggestion
from reflib.core import paths
from reflib.core.errors import ReflibError
from reflib.core.model import TODO_MARK, Library, load
from reflib.workflow import scaffold

HELP = ("scaffold a draft card (new card ID), a full text to fill by hand (new fulltext ID) or "
        "a topic page (new topic NN-slug)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``reflib new``: the ``card`` and ``topic`` sub-commands."""
    sub = parser.add_subparsers(dest="what", metavar="WHAT", required=True)
    card = sub.add_parser("card", help="a draft card refs/resources/<id>.md for a converted "
                          "resource", description="Write a draft card whose skeleton comes "
                          "from the resource's full text.")
    card.add_argument("id", metavar="ID", help="resource id from the manifest")
    card.add_argument("--by", metavar="NAME",
                      help="who drafts it (front matter drafted_by); default $REFLIB_AGENT")
    full = sub.add_parser("fulltext", help="a full.md to fill by hand (a PDF: a page marker "
                          "and a placeholder per page)", description="Write sources/<id>/full.md "
                          "for a hand conversion: front matter (converter: manual) and, for a "
                          "PDF, one page marker per page with a placeholder to fill page by "
                          "page. When it is filled: reflib convert ID --manual --by NAME.")
    full.add_argument("id", metavar="ID", help="resource id from the manifest (raw files saved)")
    full.add_argument("--by", metavar="NAME",
                      help="who converts it (converted_by); default $REFLIB_AGENT")
    topic = sub.add_parser("topic", help="a topic page refs/topics/<NN-slug>.md",
                           description="Write a topic page with the five synthesis sections.")
    topic.add_argument("stem", metavar="NN-slug", help="file stem, e.g. 01-atomic-writes")
    topic.add_argument("--title", help="page title (default: the slug in words)")
    for p in (card, full, topic):
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


def _new_fulltext(args: argparse.Namespace, lib: Library) -> int:
    from reflib.convert.manual import scaffold as fulltext_scaffold

    rid = args.id
    res = lib.resources.get(rid)
    if res is None:
        error(f"new: unknown resource '{rid}'{suggestion(rid, lib.resources)}")
        return 1
    rel = paths.fulltext_rel(rid)
    if (args.root / rel).exists():
        error(f"new: {rel} already exists; not replacing it")
        return 1
    try:
        text = fulltext_scaffold(lib.root, res.entry.data, by=agent_name(args.by, "REFLIB_AGENT"))
    except ReflibError as exc:
        error(f"new: {exc}")
        return 1
    code = _write(rel, args, text)
    if code == 0:
        print(f"next: replace each '{TODO_MARK}' placeholder with the text it names, then "
              f"'reflib convert {rid} --manual --by NAME' and 'reflib check'", file=sys.stderr)
    return code


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
    if args.what == "fulltext":
        return _new_fulltext(args, lib)
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
