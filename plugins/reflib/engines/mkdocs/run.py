"""``reflib build`` and ``reflib serve`` with MkDocs (or ProperDocs): the engine's own command,
with the library's ``mkdocs.yml`` and the ``reflib`` plugin, in a child process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TOOLS = {"mkdocs": "mkdocs", "properdocs": "properdocs"}


def command(engine: str, action: str, root: Path, *, config_file: Path | None = None,
            site_dir: Path | None = None, strict: bool = False,
            dev_addr: str | None = None) -> list[str]:
    """The command line that builds or serves the library at ``root``."""
    cmd = [sys.executable, "-m", TOOLS[engine], action,
           "-f", str(config_file or root / "mkdocs.yml")]
    if strict:
        cmd.append("--strict")
    if site_dir is not None and action == "build":
        cmd += ["--site-dir", str(site_dir)]
    if dev_addr is not None and action == "serve":
        cmd += ["--dev-addr", dev_addr]
    return cmd


def run(engine: str, action: str, root: Path, **options: object) -> int:
    """Run it (in ``root``); its exit status."""
    return subprocess.run(command(engine, action, root, **options),  # type: ignore[arg-type]
                          cwd=root).returncode
