"""``reflib mcp``: serve the library to an MCP client (a coding agent) over stdio.

The server offers the tools ``find``, ``show``, ``status``, ``check`` and ``claims`` for the
library at ``--root`` (or the nearest one at or above the current folder), read afresh on
every call. Add it to a client's configuration as a stdio server whose command is
``reflib`` with the arguments ``mcp --root /path/to/library`` (see the README).
Nothing is printed on standard output but the protocol; it runs until the client closes it.
"""

from __future__ import annotations

import argparse
import sys

from reflib.cli._util import error

HELP = "serve the library to an MCP client (find, show, status, check, claims) over stdio"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``reflib mcp`` takes no arguments beyond ``--root``."""


def run(args: argparse.Namespace) -> int:
    if not (args.root / "refs" / "manifest.yaml").is_file():
        error(f"mcp: no library at {args.root} (no refs/manifest.yaml); pass --root")
        return 2
    try:
        from reflib.cli.mcpserver import run as serve
    except ImportError as exc:
        error(f"mcp: the MCP SDK is missing ({exc}); pip install 'mcp>=2.3,<3'")
        return 2
    serve(args.root)
    sys.stdout.flush()
    return 0
