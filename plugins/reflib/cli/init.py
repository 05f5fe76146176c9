"""``reflib init``: start a new library repository.

Writes the smallest ``mkdocs.yml`` of the format, ``refs/manifest.yaml`` (commented, with an
empty ``resources: []``), the folders ``refs/resources/``, ``refs/topics/`` and ``sources/``
(each with a ``.gitkeep``), a GitHub Actions workflow ``.github/workflows/library.yml`` that
installs reflib and runs ``reflib check --format github`` and ``mkdocs build --strict``, a
``.pre-commit-config.yaml`` with a local ``reflib check`` hook, a ``.gitignore`` and a
README, then runs ``git init`` unless the folder is already in a git work tree. Templates:
``scaffold/init/*.j2``, overridable under ``DIR/.reflib/templates/``. With ``--json`` it
prints ``{"root", "created", "kept", "git"}`` (files written, existing files left as they
were, whether ``git init`` ran) instead of the messages. Exit status: 0 created,
1 the folder already holds a library (mkdocs.yml or refs/manifest.yaml); other existing files
are kept and reported.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from reflib.cli._util import error
from reflib.core import paths
from reflib.workflow import install_source, scaffold

HELP = "create a new library repository in DIR (mkdocs.yml, manifest, folders, CI, pre-commit)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``reflib init``."""
    parser.add_argument("dir", metavar="DIR", type=Path, help="folder to create (or fill)")
    parser.add_argument("--name", help="site name (default: the folder name)")
    parser.add_argument("--install", metavar="SPEC",
                        help="what the generated CI workflow passes to 'pip install' (default: "
                        "where this reflib was installed from: its git URL and commit, or "
                        "'reflib~=MAJOR.MINOR' when it came from a package index)")
    parser.add_argument("--no-git", action="store_true", help="do not run 'git init'")
    parser.add_argument("--json", action="store_true",
                        help="print what was created and kept as JSON")


def _in_git_tree(folder: Path) -> bool:
    return any((parent / ".git").exists() for parent in (folder, *folder.parents))


def run(args: argparse.Namespace) -> int:
    """Create the library in ``args.dir``."""
    target: Path = args.dir.expanduser().resolve()
    if target.exists() and not target.is_dir():
        error(f"init: {args.dir} exists and is not a folder")
        return 1
    blocking = [rel for rel in ("mkdocs.yml", paths.MANIFEST) if (target / rel).exists()]
    if blocking:
        error(f"init: {args.dir} already holds a library ({', '.join(blocking)}); "
              "not touching it")
        return 1
    name = args.name or target.name
    source = install_source.InstallSource(args.install) if args.install else \
        install_source.detect()
    files = scaffold.init_files(target, name, source.spec)
    for folder in scaffold.INIT_DIRS:
        files[f"{folder}/.gitkeep"] = ""
    git = not args.no_git and shutil.which("git") is not None and not _in_git_tree(target)
    created, kept = [], []
    for rel, text in files.items():
        try:
            scaffold.create_new(target / rel, text)
            created.append(rel)
        except FileExistsError:
            kept.append(rel)
    if not args.json:
        for rel in kept:
            print(f"kept existing {rel}", file=sys.stderr)
    if git:
        result = subprocess.run(["git", "init", "-q", str(target)], capture_output=True,
                                text=True, check=False)
        if result.returncode != 0:
            git = False
            print(f"reflib: init: git init failed: {result.stderr.strip()}", file=sys.stderr)
    if args.json:
        print(json.dumps({"root": str(target), "created": sorted(created),
                          "kept": sorted(kept), "git": git, "install": source.spec,
                          "install_note": source.note or None}, indent=2))
        return 0
    print(f"created library in {target}")
    print(f"CI installs reflib with: pip install {shlex.quote(source.spec)}")
    if source.note:
        print(f"reflib: init: warning: {source.note}; the workflow is "
              ".github/workflows/library.yml (or run init with --install SPEC)", file=sys.stderr)
    print("next: add resources with 'reflib add URL|PATH' (or edit refs/manifest.yaml), "
          "then 'reflib status'", file=sys.stderr)
    return 0
