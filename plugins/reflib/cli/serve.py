"""``reflib serve``: the library's site on a local address while you edit it.

``--engine mkdocs`` (default, or ``properdocs``) runs that engine's live-reloading server.
``--engine zensical`` builds the site with Zensical once (see ``reflib build``) and serves the
built folder on ``--dev-addr``; build again to see edits.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import tempfile
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
    site = Path(tempfile.mkdtemp(prefix="reflib-site-"))
    try:
        zbuild.build(args.root, site, config_file=args.config_file)
    except ReflibError as exc:
        error(f"serve: {exc}")
        return 2
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    with http.server.ThreadingHTTPServer((host, int(port)), handler) as server:
        print(f"serving {site} on http://{host}:{port}/ (Ctrl-C stops)")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0
