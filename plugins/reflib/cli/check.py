"""``reflib check``: every consistency check of the format, one line per problem."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from reflib.checks import check as checker
from reflib.checks.check import Finding
from reflib.core.manifest import MANIFEST_SYNTAX
from reflib.fetch.http import ALLOW_PRIVATE_ENV

HELP = ("check the manifest, front matter, links, anchors, evidence, quotes and approvals; "
        "exit 1 on problems")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json", "github"), default="text",
                        help="text: 'path:line: message [code]' lines; json: a list of "
                        "objects; github: workflow annotations (default: text)")
    parser.add_argument("--external", action="store_true",
                        help="also check that each resource url answers (concurrent, cached)")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="S",
                        help="per-URL time limit for --external (default 10)")
    parser.add_argument("--allow-private", action="store_true",
                        help="with --external, also check URLs on private, loopback or "
                        "link-local addresses (refused by default)")
    parser.add_argument("--no-cache", action="store_true",
                        help="with --external, ignore cached successes")
    parser.add_argument("--ignore", action="append", default=[], metavar="CODE",
                        help="leave out findings with this code (repeatable), e.g. "
                        "fulltext-stale")


def _github(f: Finding) -> str:
    def esc(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    col = f",col={f.column}" if f.column else ""
    return (f"::error file={esc(f.path)},line={f.line}{col},title=reflib {f.code}::"
            f"{esc(f.message)}")


def run_command(root: Path, fmt: str, external: bool, timeout: float, use_cache: bool,
                ignore: list[str]) -> int:
    lib, found = checker.check_loaded(root, external=external, timeout=timeout,
                                      use_cache=use_cache)
    findings = [f for f in found if f.code not in ignore]
    out = sys.stdout
    if fmt == "json":
        json.dump([f.as_dict() for f in findings], out, indent=2)
        out.write("\n")
    elif fmt == "github":
        for f in findings:
            out.write(_github(f) + "\n")
    else:
        for f in findings:
            out.write(f.text() + "\n")
        n = len(findings)
        r = len(lib.resources)
        resources = f"{r} resource{'s' if r != 1 else ''}"
        summary = (f"{n} problem{'s' if n != 1 else ''} in {resources}" if n
                   else f"ok: {resources}, {len(lib.documents)} pages")
        if any(f.code == MANIFEST_SYNTAX for f in found):
            summary = (f"{n} problem{'s' if n != 1 else ''}: the manifest is not valid YAML, "
                       f"so only the {len(lib.documents)} pages were checked")
        print(summary, file=sys.stderr)
    return 1 if findings else 0


def run(args: argparse.Namespace) -> int:
    if args.allow_private:
        os.environ[ALLOW_PRIVATE_ENV] = "1"
    return run_command(args.root, args.format, args.external, args.timeout,
                       not args.no_cache, args.ignore)
