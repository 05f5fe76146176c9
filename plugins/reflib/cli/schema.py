"""``reflib schema``: print or write the JSON Schemas of the format for editors."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reflib.core.fsutil import atomic_write
from reflib.core.schema import SCHEMAS, schema_json

HELP = "print the JSON Schema of the manifest, full-text or card front matter (for editors)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", choices=sorted(SCHEMAS), default="manifest",
                        help="which schema (default: manifest)")
    parser.add_argument("--write", type=Path, metavar="DIR",
                        help="write every schema as DIR/<name>.schema.json instead of printing")


def run(args: argparse.Namespace) -> int:
    if args.write:
        for name in SCHEMAS:
            target = args.write / f"{name}.schema.json"
            atomic_write(target, schema_json(name))
            print(target, file=sys.stderr)
        return 0
    sys.stdout.write(schema_json(args.name))
    return 0
