"""``reflib fetch``: save the raw artifacts of link_only resources and mark them fetched.

``reflib fetch ID ...`` fetches the named resources, ``reflib fetch --all`` every ``link_only``
one. A named resource that is already past ``link_only`` is refused unless ``--force``; with
``--force`` it is downloaded again, its ``raw`` list is rewritten and its status is set to
``fetched`` only if it was ``link_only`` (a converted resource keeps its status, and the
checker then reports its full.md as stale if the raw files changed).

Each success sets the entry's ``raw`` list and ``status`` in the manifest, keeping its comments
and layout; a failure leaves the files and the manifest as they were. Exit status: 0 all
fetched, 1 a fetch failed, was refused, or an id is unknown, 2 usage error or unreadable
manifest.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from pathlib import Path
from typing import Any

from reflib.core import manifest
from reflib.core.errors import ReflibError
from reflib.core.paths import MANIFEST
from reflib.fetch import http
from reflib.fetch.resource import FetchOptions, fetch_resource

HELP = "save the raw artifacts of link_only resources into sources/<id>/raw/; sets fetched"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``reflib fetch``."""
    parser.add_argument("ids", nargs="*", metavar="ID", help="resources to fetch")
    parser.add_argument("--allow-private", action="store_true",
                        help="allow URLs whose host is a private, loopback or link-local "
                        "address (refused by default, so a library fetched on a shared runner "
                        "cannot reach its internal network)")
    parser.add_argument("--all", action="store_true",
                        help="fetch every resource whose status is link_only")
    parser.add_argument("--force", action="store_true",
                        help="also fetch named resources that are past link_only (re-download)")
    parser.add_argument("--timeout", type=float, default=30.0, metavar="S",
                        help="seconds each request attempt may take as a whole: connecting, "
                        "waiting and reading (default 30)")
    parser.add_argument("--max-mb", type=float, default=50.0, metavar="N",
                        help="size cap of each download in MiB (default 50)")


def _did_you_mean(rid: str, known: list[str]) -> str:
    close = difflib.get_close_matches(rid, known, n=3, cutoff=0.6)
    if not close:
        return ""
    return "; did you mean " + " or ".join(f"'{c}'" for c in close) + "?"


def _line(path: Path, rid: str, key: str) -> int:
    """The current line of ``key`` of entry ``rid`` (earlier edits may have moved it)."""
    try:
        doc = manifest.load(path)
    except ReflibError:
        return 1
    for entry in doc.entries:
        if str(entry.data.get("id")) == rid:
            return entry.line_of(key)
    return 1


def run(args: argparse.Namespace) -> int:
    """Fetch, print one line per resource and a summary; return the exit status."""
    if args.allow_private:
        os.environ[http.ALLOW_PRIVATE_ENV] = "1"
    path = args.root / MANIFEST
    if args.all and args.ids:
        print("reflib fetch: name IDs or pass --all, not both", file=sys.stderr)
        return 2
    if not args.all and not args.ids:
        print("reflib fetch: name the resources to fetch, or pass --all", file=sys.stderr)
        return 2
    if args.timeout <= 0 or args.max_mb <= 0:
        print("reflib fetch: --timeout and --max-mb must be positive", file=sys.stderr)
        return 2
    doc = manifest.load(path)
    if doc.shape_problems:
        for line, message in doc.shape_problems:
            print(f"{MANIFEST}:{line}: {message}", file=sys.stderr)
        return 2

    entries: dict[str, Any] = {}
    for entry in doc.entries:
        entries.setdefault(str(entry.data.get("id")), entry)

    failures = 0
    if args.all:
        chosen = [e for e in entries.values() if e.data.get("status") == "link_only"]
        if not chosen:
            print("nothing to fetch: no resource is link_only")
            return 0
    else:
        unknown = [rid for rid in dict.fromkeys(args.ids) if rid not in entries]
        for rid in unknown:
            print(f"reflib fetch: no resource '{rid}' in {MANIFEST}"
                  f"{_did_you_mean(rid, list(entries))}", file=sys.stderr)
        if unknown:
            return 1
        chosen = []
        for rid in dict.fromkeys(args.ids):
            entry = entries[rid]
            status = entry.data.get("status")
            if status != "link_only" and not args.force:
                print(f"{MANIFEST}:{entry.line_of('status')}: refused {rid}: status is "
                      f"{status}, not link_only; pass --force to fetch it again", file=sys.stderr)
                failures += 1
                continue
            chosen.append(entry)

    opts = FetchOptions(timeout=args.timeout, max_bytes=int(args.max_mb * http.MIB))
    fetched = 0
    for entry in chosen:
        rid = str(entry.data["id"])
        try:
            result = fetch_resource(args.root, entry.data, opts)
            changes: dict[str, Any] = {"raw": result.raw}
            if entry.data.get("status") in ("link_only", None):
                changes["status"] = "fetched"
            manifest.update_entry(path, rid, changes)
        except (ReflibError, OSError) as exc:
            print(f"{MANIFEST}:{_line(path, rid, 'url')}: fetch {rid} failed: {exc}",
                  file=sys.stderr)
            failures += 1
            continue
        fetched += 1
        saved = ", ".join(f"{rel} ({http.format_size(size)})"
                          for rel, size in result.sizes.items())
        print(f"fetched {rid}: {saved}")
    print(f"{fetched} fetched, {failures} failed")
    return 1 if failures else 0
