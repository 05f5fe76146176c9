"""Where the running reflib was installed from, as a ``pip install`` argument that another
machine (a CI runner) can use to install the same reflib.

Read from the installed distribution's ``direct_url.json`` (PEP 610):

* installed from a git URL: ``reflib @ git+URL@COMMIT``;
* installed from a local folder (an editable checkout, say) that is a git clone with a remote:
  ``reflib @ git+REMOTE@COMMIT`` (an ``scp``-style GitHub remote becomes its https URL),
  with a note when that commit is not on the remote yet;
* installed from a package index (no ``direct_url.json``): ``reflib~=MAJOR.MINOR``;
* anything else (a folder without a remote, an archive): no spec another machine can use,
  only a note saying so (the caller passes ``--install``).
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlsplit

from reflib import __version__

DIST = "reflib"
_SCP_REMOTE = re.compile(r"^(?:[\w.-]+@)?([\w.-]+):(?!//)(.+)$")


@dataclass(frozen=True)
class InstallSource:
    """A ``pip install`` argument (``spec``) and, when it may not work elsewhere, why."""

    spec: str
    note: str = ""
    portable: bool = True
    """Whether another machine can install from ``spec``."""


def index_spec(version: str = __version__) -> str:
    """``reflib~=MAJOR.MINOR`` of ``version``."""
    major, minor = [*version.split("."), "0"][:2]
    return f"{DIST}~={major}.{minor}"


def _git(folder: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(["git", "-C", str(folder), *args], capture_output=True,
                              text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def git_url(remote: str) -> str:
    """A remote as pip takes it after ``git+``: an ``scp``-style remote
    (``git@github.com:org/repo.git``) as https, a local path as ``file://localhost/...``
    (pip's requirement parser refuses a ``git+file:`` URL with an empty host; git takes
    both)."""
    remote = remote.strip()
    if remote.startswith("file:///"):
        return "file://localhost/" + remote[len("file:///"):]
    if "://" in remote:
        return remote
    m = _SCP_REMOTE.match(remote)
    if m and not Path(remote).exists():
        return f"https://{m.group(1)}/{m.group(2)}"
    return "file://localhost" + Path(remote).expanduser().resolve().as_posix()


def from_folder(folder: Path) -> InstallSource | None:
    """The spec of a reflib checkout at ``folder`` pushed to its ``origin`` remote (or
    ``None`` when the folder is not a git clone with a remote)."""
    remote = _git(folder, "remote", "get-url", "origin")
    commit = _git(folder, "rev-parse", "HEAD")
    if not remote or not commit:
        return None
    spec = f"{DIST} @ git+{git_url(remote)}@{commit}"
    note = ""
    on_remote = _git(folder, "branch", "-r", "--contains", commit)
    if not on_remote:
        note = (f"commit {commit[:12]} of {folder} is not on its remote '{remote}' yet: push it "
                "before CI runs")
    dirty = _git(folder, "status", "--porcelain", "--untracked-files=no")
    if dirty:
        note = (note + "; " if note else "") + (f"{folder} has uncommitted changes, which CI "
                                                "will not have")
    local = urlsplit(git_url(remote)).scheme == "file"
    if local:
        note = (note + "; " if note else "") + (f"the remote '{remote}' is a local folder: "
                                                "CI on another machine cannot reach it")
    return InstallSource(spec, note, portable=not local)


def detect() -> InstallSource:
    """The install spec of the running reflib (see the module docstring)."""
    try:
        dist = metadata.distribution(DIST)
    except metadata.PackageNotFoundError:
        return InstallSource(index_spec(), "reflib is not installed as a package (running "
                             "from a source folder): pass --install", portable=False)
    raw = dist.read_text("direct_url.json")
    if not raw:
        return InstallSource(index_spec())
    try:
        direct = json.loads(raw)
    except ValueError:
        return InstallSource(index_spec())
    url = str(direct.get("url", ""))
    vcs = direct.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") == "git":
        commit = vcs.get("commit_id") or vcs.get("requested_revision")
        return InstallSource(f"{DIST} @ git+{url}" + (f"@{commit}" if commit else ""))
    parts = urlsplit(url)
    if parts.scheme == "file" and "dir_info" in direct:
        folder = Path(unquote(parts.path))
        found = from_folder(folder)
        if found is not None:
            return found
        return InstallSource(index_spec(), f"reflib was installed from {folder}, which has no "
                             "git remote: pass --install (a git URL, or a version once "
                             "reflib is on a package index)", portable=False)
    return InstallSource(index_spec(), f"reflib was installed from {url}: pass --install with "
                         "a source CI can reach", portable=False)
