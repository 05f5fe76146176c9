"""``reflib add``: add a resource you have (a file, a folder or a URL) to the library.

``reflib add PATH`` copies a file (a PDF, a saved HTML page, an issue's JSON) or a folder (a
repository checkout, without its ``.git``) into ``sources/<id>/raw/`` and appends an entry to
``refs/manifest.yaml`` with status ``fetched``; a file already saved at
``sources/<id>/raw/<name>`` is registered where it is. ``reflib add URL`` fetches the URL as
``reflib fetch`` would (``--no-fetch``: the entry stays ``link_only``). The id, type and title
are guessed from the source unless given (the output says which were guessed): the id from
the file name or URL, the type from the extension or the URL (a PDF or a paper site:
``paper``; a GitHub repository: ``repo``, an issue or pull request: ``issue``; an RFC:
``rfc``; a blog: ``blog``; otherwise ``docs``), the title from the page's title, the PDF's
metadata or first line, or the README's first heading. ``--convert`` converts it right away.

The manifest keeps its comments and layout: the entry is appended as the last item of
``resources:`` with the existing items' indentation. All or nothing: when the entry cannot be
written, the files saved for it are removed. Exit status: 0 added (and converted), 1 the
resource cannot be added or its conversion failed, 2 usage error or unreadable manifest.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from reflib.cli._util import error
from reflib.core.errors import ReflibError
from reflib.core.paths import MANIFEST, SOURCES_DIR
from reflib.core.schema import PRIORITIES, TYPES
from reflib.fetch import http
from reflib.fetch.resource import FetchOptions
from reflib.workflow import add as adding

HELP = "add a resource from a file, a folder or a URL: manifest entry and raw artifacts"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``reflib add``."""
    parser.add_argument("source", metavar="URL|PATH",
                        help="an http(s) URL, or a file or folder on disk (or a file:// URL)")
    parser.add_argument("--id", dest="rid", metavar="ID",
                        help="resource id (default: from the file name or the URL)")
    parser.add_argument("--type", dest="type_", choices=TYPES, metavar="TYPE",
                        help=f"resource type, one of {', '.join(TYPES)} (default: guessed)")
    parser.add_argument("--title", help="title (default: the source's own title)")
    parser.add_argument("--priority", choices=PRIORITIES, metavar="P",
                        help="high, medium or low (default medium)")
    parser.add_argument("--phase", type=int, metavar="N", help="planning wave (a positive "
                        "integer)")
    parser.add_argument("--topic", dest="topics", action="append", default=[], metavar="STEM",
                        help="a topic this resource feeds (a file stem under refs/topics/); "
                        "repeat for several")
    parser.add_argument("--url", help="for a file or folder: where it came from (recorded as "
                        "the entry's url)")
    parser.add_argument("--no-fetch", dest="fetch", action="store_false",
                        help="for a URL: only add the entry (status link_only)")
    parser.add_argument("--convert", action="store_true",
                        help="convert it to sources/<id>/full.md right away")
    parser.add_argument("--by", metavar="NAME", help="with --convert: who converts it")
    parser.add_argument("--allow-private", action="store_true",
                        help="allow a URL whose host is a private, loopback or link-local "
                        "address (refused by default)")
    parser.add_argument("--timeout", type=float, default=30.0, metavar="S",
                        help="seconds each request attempt may take (default 30)")
    parser.add_argument("--max-mb", type=float, default=50.0, metavar="N",
                        help="size cap of each download in MiB (default 50)")


def run(args: argparse.Namespace) -> int:
    """Add the resource; print what was added and what to do next."""
    root: Path = args.root
    if not (root / MANIFEST).is_file():
        error(f"no {MANIFEST} here or above: run 'reflib init' first, or pass --root")
        return 2
    if args.timeout <= 0 or args.max_mb <= 0:
        error("--timeout and --max-mb must be positive")
        return 2
    if args.convert and not args.fetch:
        error("--convert needs the raw artifacts: drop --no-fetch")
        return 2
    if args.allow_private:
        os.environ[http.ALLOW_PRIVATE_ENV] = "1"
    try:
        planned = adding.plan(root, args.source, rid=args.rid, type_=args.type_,
                              title=args.title, priority=args.priority, phase=args.phase,
                              topics=args.topics, url=args.url, fetch=args.fetch)
    except adding.AddError as exc:
        error(str(exc))
        return 1
    options = FetchOptions(timeout=args.timeout, max_bytes=int(args.max_mb * http.MIB))
    try:
        added = adding.add(root, planned, options)
    except (ReflibError, OSError) as exc:
        error(f"cannot add {args.source}: {exc}")
        return 1
    entry = added.entry
    rid = entry["id"]
    saved = ", ".join(f"{SOURCES_DIR}/{rid}/{rel} ({http.format_size(size)})"
                      for rel, size in added.sizes.items())
    print(f"added {rid} ({entry['type']}, {entry['status']}): {entry['title']}")
    if saved:
        print(f"  saved {saved}")
    if planned.guessed:
        print(f"  guessed {', '.join(planned.guessed)}: edit the entry in {MANIFEST} if wrong")
    if not args.convert:
        nxt = f"reflib fetch {rid}" if entry["status"] == "link_only" else f"reflib convert {rid}"
        print(f"next: {nxt}")
        return 0
    from reflib.cli import convert

    parser = argparse.ArgumentParser(prog="reflib convert")
    convert.add_arguments(parser)
    convert_args = parser.parse_args([rid, "--jobs", "1"] + (["--by", args.by] if args.by
                                                             else []))
    convert_args.root = root
    return convert.run(convert_args)
