"""``reflib find``: ranked lookup over full texts, cards, topics and other pages.

Each hit is one section (a heading and its body up to the next heading) named ``id#anchor``,
with its path, line, title and a snippet with the matches highlighted; ``reflib show
id#anchor`` prints the whole section. The ranking is BM25 with headings and titles weighted
up; ``"quoted phrases"`` boost sections containing the exact phrase. The index is cached in
``.cache/reflib/`` under the library root and refreshed per changed file on every call.
Exit status: 0 with hits, 1 without (like grep), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.text import Text

from reflib.cli._util import console, error
from reflib.core import manifest, paths
from reflib.core.errors import ReflibError
from reflib.core.schema import TYPES
from reflib.lookup.search import Hit, find

HELP = "ranked lookup over full texts, cards and topics; each hit as id#anchor, path and snippet"
KINDS = ("fulltext", "card", "topic", "doc")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``reflib find``."""
    parser.add_argument("query", nargs="+", metavar="QUERY",
                        help='words to look up; "quoted words" boost sections holding that '
                        "exact phrase")
    parser.add_argument("--json", action="store_true",
                        help='print a JSON list of {"id", "anchor", "path", "title", "snippet", '
                        '"heading", "line", "kind", "score"}')
    parser.add_argument("--limit", "-n", type=int, default=10, metavar="N",
                        help="at most N hits (default 10)")
    parser.add_argument("--type", choices=TYPES, metavar="T", dest="rtype",
                        help="only resources of this manifest type (" + ", ".join(TYPES) + ")")
    parser.add_argument("--kind", choices=KINDS, action="append", default=[],
                        help="only this kind of page: fulltext, card, topic or doc "
                        "(repeatable; default all)")


def _ids_of_type(root: Path, rtype: str) -> set[str]:
    """Ids of the manifest entries of type ``rtype`` (none when the manifest is unreadable)."""
    try:
        doc = manifest.load(root / paths.MANIFEST)
    except ReflibError:
        return set()
    return {str(e.data.get("id")) for e in doc.entries if e.data.get("type") == rtype}


def print_hits(hits: list[Hit]) -> None:
    """The terminal form: ``id#anchor  path:line  title`` then the highlighted snippet."""
    con = console()
    for n, hit in enumerate(hits, 1):
        head = Text(f"{n:>2}. ")
        head.append(hit.ref, style="bold cyan")
        head.append(f"  {hit.path}:{hit.line}", style="dim")
        head.append(f"  {hit.title}")
        if hit.heading and hit.heading != hit.title:
            head.append(f" › {hit.heading}", style="italic")
        con.print(head)
        snippet = Text("    " + hit.snippet)
        for start, end in hit.highlights:
            snippet.stylize("bold yellow", start + 4, end + 4)
        con.print(snippet)


def run(args: argparse.Namespace) -> int:
    """Look up ``args.query`` in the library at ``args.root``."""
    query = " ".join(args.query).strip()
    if not query or not any(ch.isalnum() for ch in query):
        error("find: the query has no words to look up")
        return 2
    if args.limit < 1:
        error("find: --limit must be at least 1")
        return 2
    if not (args.root / paths.MANIFEST).is_file() and not (args.root / paths.REFS_DIR).is_dir():
        error(f"find: {args.root} is not a library (no {paths.MANIFEST}); pass --root")
        return 2
    ids = _ids_of_type(args.root, args.rtype) if args.rtype else None
    kinds = set(args.kind)
    if args.rtype and not kinds:
        kinds = {"fulltext", "card"}
    hits = find(args.root, query, limit=args.limit, kinds=kinds, ids=ids)
    if args.json:
        json.dump([h.as_dict() for h in hits], sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    elif hits:
        print_hits(hits)
    else:
        print(f"no match for {query!r}", file=sys.stderr)
    return 0 if hits else 1
