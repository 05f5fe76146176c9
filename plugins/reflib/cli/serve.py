"""``reflib serve``: the library's site on a local address while you edit it.

``--engine mkdocs`` (default, or ``properdocs``) runs that engine's live-reloading server.
``--engine zensical`` stages the library for Zensical (see ``reflib build``) and runs Zensical's
live-reloading server over it, staging again whenever a file of the library changes; search
and the exports come with ``reflib build``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from reflib.cli._util import error
from reflib.core.errors import ReflibError

HELP = "serve the library's site locally (--engine mkdocs, properdocs or zensical)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--engine", choices=("mkdocs", "properdocs", "zensical"),
                        default="mkdocs", help="the site engine (default: mkdocs)")
    parser.add_argument("-a", "--dev-addr", default="127.0.0.1:8000", metavar="IP:PORT",
                        help="where to serve (default: 127.0.0.1:8000)")
    parser.add_argument("-f", "--config-file", type=Path, default=None,
                        help="the site configuration (default: mkdocs.yml at the root)")


def run(args: argparse.Namespace) -> int:
    if not (args.root / "refs" / "manifest.yaml").is_file():
        error(f"serve: no library at {args.root} (no refs/manifest.yaml); pass --root")
        return 2
    if args.engine != "zensical":
        from reflib.engines.mkdocs.run import run as run_engine

        return run_engine(args.engine, "serve", args.root, config_file=args.config_file,
                          dev_addr=args.dev_addr)
    host, _, port = args.dev_addr.rpartition(":")
    if not host or not port.isdigit():
        error(f"serve: --dev-addr must be IP:PORT, not {args.dev_addr!r}")
        return 2
    from reflib.engines.zensical import build as zbuild

    zbuild.main_log()
    try:
        zbuild.serve(args.root, args.dev_addr, config_file=args.config_file)
    except ReflibError as exc:
        error(f"serve: {exc}")
        return 2
    except KeyboardInterrupt:
        pass
    return 0
