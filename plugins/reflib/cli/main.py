"""The ``reflib`` command: one sub-command per module under :mod:`reflib.cli`.

Each command module defines ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int``. Exit status: 0 all good, 1 problems found, 2 usage error or
unreadable input.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from reflib import __version__
from reflib.core.errors import ReflibError

COMMANDS = (
    "add", "check", "convert", "fetch", "status", "find", "show", "new", "init", "review", "schema",
    "export", "mcp", "next", "integrate", "build", "serve",
)


def find_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` that holds ``refs/manifest.yaml``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "refs" / "manifest.yaml").is_file():
            return folder
    return start


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reflib",
        description="Check, convert, look up and render a reference library kept in git.",
        epilog="Exit status: 0 all good, 1 problems found, 2 usage error or unreadable input.",
    )
    parser.add_argument("--version", action="version", version=f"reflib {__version__}")
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        help="library root (the folder holding refs/manifest.yaml); default: the nearest "
        "such folder at or above the current directory",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"reflib.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name and exc.name == f"reflib.cli.{name}":
                continue
            raise
        p = sub.add_parser(name, help=module.HELP, description=module.__doc__ or module.HELP,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("--root", type=Path, default=argparse.SUPPRESS,
                       help="library root (the folder holding refs/manifest.yaml)")
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)
        return 2
    args.root = find_root(args.root if args.root is not None else Path.cwd())
    try:
        return int(args._run(args))
    except ReflibError as exc:
        print(f"reflib: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
