"""The CI workflow ``reflib init`` writes installs a reflib that runs: its install, check and
build steps are run here, offline, in a fresh virtual environment, against a reflib source
pushed to a git remote (the way a team installs an unreleased reflib)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from reflib.cli.main import main
from reflib.workflow import install_source

REPO = Path(__file__).resolve().parents[1]


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


def _reflib_remote(tmp_path: Path) -> Path:
    """This working tree's reflib (package and build files) committed in a clone whose
    ``origin`` is a bare repository it was pushed to."""
    src = tmp_path / "reflib-src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(REPO / "plugins", src / "plugins", ignore=shutil.ignore_patterns(
        "__pycache__", "*.egg-info"))
    _git(src, "init", "-q", "-b", "main")
    _git(src, "add", "-A")
    _git(src, "commit", "-q", "-m", "reflib")
    remote = tmp_path / "remote.git"
    _git(tmp_path, "clone", "-q", "--bare", str(src), str(remote))
    _git(src, "remote", "add", "origin", str(remote))
    _git(src, "fetch", "-q", "origin")
    return src


def _venv_with_dependencies(tmp_path: Path) -> Path:
    """A fresh virtual environment that sees this environment's installed packages except
    reflib (so installing reflib needs no network)."""
    venv = tmp_path / "venv"
    # no pip or setuptools of its own: those of this environment (through the .pth below)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   capture_output=True)
    deps = tmp_path / "deps"
    deps.mkdir()
    purelib = Path(sysconfig.get_paths()["purelib"])
    for entry in purelib.iterdir():
        name = entry.name.lower()
        if name.startswith(("reflib", "__editable__")) or name.endswith(".pth"):
            continue
        (deps / entry.name).symlink_to(entry)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], check=True, capture_output=True, text=True)
    Path(site.stdout.strip(), "reflib-test-deps.pth").write_text(str(deps) + "\n")
    return venv


@pytest.mark.skipif(shutil.which("git") is None or sys.platform == "win32",
                    reason="needs git and a POSIX virtual environment")
def test_generated_workflow_installs_checks_and_builds(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    src = _reflib_remote(tmp_path)
    found = install_source.from_folder(src)
    assert found is not None
    commit = _git(src, "rev-parse", "HEAD")
    remote = (tmp_path / "remote.git").as_posix()
    assert found.spec == f"reflib @ git+file://localhost{remote}@{commit}"
    assert not found.portable and "local folder" in found.note

    lib = tmp_path / "lib"
    assert main(["init", str(lib), "--no-git", "--install", found.spec]) == 0
    assert main(["--root", str(lib), "new", "topic", "01-first"]) == 0
    capsys.readouterr()
    workflow = yaml.safe_load((lib / ".github/workflows/library.yml").read_text())
    steps = {s.get("name"): s.get("run") for s in workflow["jobs"]["check-and-build"]["steps"]}
    install = steps["Install reflib"]
    assert found.spec in install or f"'{found.spec}'" in install

    venv = _venv_with_dependencies(tmp_path)
    env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
           "PIP_DISABLE_PIP_VERSION_CHECK": "1", "NO_MKDOCS_2_WARNING": "1"}
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)

    def step(command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(command, shell=True, cwd=lib, env=env, capture_output=True,
                              text=True, timeout=600)

    # offline: dependencies come from this environment, the build backend too
    done = step(install + " --no-index --no-build-isolation")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    where = step("python -c 'import reflib; print(reflib.__file__)'")
    assert str(venv) in where.stdout, where.stdout + where.stderr  # the installed one
    checked = step(steps["Check the library"])
    assert checked.returncode == 0, checked.stdout + checked.stderr
    built = step(steps["Build the site"])
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    assert (lib / "site/index.html").is_file()
    assert (lib / "site/pagefind/pagefind-entry.json").is_file()


def test_install_source_of_remotes() -> None:
    assert install_source.git_url("git@github.com:org/reflib.git") == \
        "https://github.com/org/reflib.git"
    assert install_source.git_url("https://example.org/r.git") == "https://example.org/r.git"
    assert install_source.git_url("file:///srv/r.git") == "file://localhost/srv/r.git"
    assert install_source.index_spec("1.4.2") == "reflib~=1.4"


def test_init_says_where_ci_installs_from(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path / "lib"), "--no-git", "--install",
                 "reflib==0.1.0"]) == 0
    out = capsys.readouterr().out
    assert "CI installs reflib with: pip install reflib==0.1.0" in out
    workflow = (tmp_path / "lib/.github/workflows/library.yml").read_text()
    assert "pip install reflib==0.1.0" in workflow
