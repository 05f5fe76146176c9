"""``reflib build``: build the library's site with MkDocs (default), ProperDocs or Zensical.

``--engine mkdocs`` (and ``properdocs``) runs that engine's own build with the library's
``mkdocs.yml`` and its ``reflib`` plugin. ``--engine zensical`` stages the site's sources for
Zensical, which runs no MkDocs plugin, lets it build them, then adds the Pagefind index,
``catalog.json`` and ``llms.txt`` (see :mod:`reflib.engines.zensical.build`). Exit status 1
with ``--strict`` when reflib warned (a check finding, a missing anchor).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from reflib.cli._util import error
from reflib.core.errors import ReflibError

HELP = "build the library's site (--engine mkdocs, properdocs or zensical)"
ENGINES = ("mkdocs", "properdocs", "zensical")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--engine", choices=ENGINES, default="mkdocs",
                        help="the site engine (default: mkdocs)")
    parser.add_argument("-d", "--site-dir", type=Path, default=None,
                        help="where to write the site (default: site_dir of mkdocs.yml, else "
                             "site/)")
    parser.add_argument("-f", "--config-file", type=Path, default=None,
                        help="the site configuration (default: mkdocs.yml at the root)")
    parser.add_argument("--strict", action="store_true",
                        help="fail (exit status 1) on any warning")


def run(args: argparse.Namespace) -> int:
    if not (args.root / "refs" / "manifest.yaml").is_file():
        error(f"build: no library at {args.root} (no refs/manifest.yaml); pass --root")
        return 2
    site_dir = args.site_dir.resolve() if args.site_dir else None
    if args.engine != "zensical":
        from reflib.engines.mkdocs.run import run as run_engine

        code = run_engine(args.engine, "build", args.root, config_file=args.config_file,
                          site_dir=site_dir, strict=args.strict)
        return 1 if code else 0
    from reflib.engines.zensical import build as zbuild

    zbuild.main_log()
    try:
        return zbuild.build(args.root, site_dir, config_file=args.config_file,
                            strict=args.strict)
    except ReflibError as exc:
        error(f"build: {exc}")
        return 2
