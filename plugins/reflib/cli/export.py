"""``reflib export``: write ``catalog.json`` and ``llms.txt`` for tools and language models.

``--catalog PATH`` writes the catalog (every resource with metadata, status, paths, site URLs
and claims with their evidence targets), ``--llms PATH`` writes ``llms.txt``; ``-`` means
standard output, and with neither option the catalog goes to standard output. Files are
written atomically. The site name and URL come from ``mkdocs.yml`` unless given. The built
site carries the same two files at its root. Exit status 0 (2 when the manifest is unreadable).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from reflib.core.fsutil import atomic_write
from reflib.core.model import load
from reflib.lookup import export

HELP = "write catalog.json (--catalog PATH) and llms.txt (--llms PATH); '-' is stdout"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``reflib export``."""
    parser.add_argument("--catalog", metavar="PATH",
                        help="write catalog.json here ('-': standard output)")
    parser.add_argument("--llms", metavar="PATH", help="write llms.txt here ('-': standard output)")
    parser.add_argument("--site-name", help="title of llms.txt (default: site_name of mkdocs.yml)")
    parser.add_argument("--site-url",
                        help="absolute prefix of llms.txt links (default: site_url of mkdocs.yml; "
                        "none: links relative to the site root)")


class _Loader(yaml.SafeLoader):
    """Safe YAML that reads mkdocs.yml with its ``!ENV`` / ``!!python/name`` tags as null."""


_Loader.add_multi_constructor("", lambda loader, suffix, node: None)


def mkdocs_config(root: Path) -> dict[str, Any]:
    """``mkdocs.yml`` (or ``mkdocs.yaml``) at ``root`` as a mapping; ``{}`` when unreadable."""
    for name in ("mkdocs.yml", "mkdocs.yaml"):
        path = root / name
        if path.is_file():
            try:
                data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                return {}
            return data if isinstance(data, dict) else {}
    return {}


def _emit(target: str, text: str) -> None:
    if target == "-":
        sys.stdout.write(text)
    else:
        atomic_write(Path(target), text)
        print(f"wrote {target}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """Write the requested exports of the library at ``args.root``."""
    lib = load(args.root)
    config = mkdocs_config(args.root)
    catalog_to = args.catalog if args.catalog or args.llms else "-"
    if catalog_to:
        text = json.dumps(export.catalog(lib), indent=2, ensure_ascii=False) + "\n"
        _emit(catalog_to, text)
    if args.llms:
        name = args.site_name or str(config.get("site_name") or args.root.name)
        url = args.site_url if args.site_url is not None else config.get("site_url")
        _emit(args.llms, export.llms_txt(lib, name, str(url) if url else None))
    return 0
