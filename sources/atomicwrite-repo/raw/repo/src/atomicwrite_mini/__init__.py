"""Crash-safe atomic file replacement: write a temp file, fsync, rename, fsync the directory."""

from __future__ import annotations

import os
import tempfile

__all__ = ["atomic_write", "fsync_dir"]
__version__ = "0.3.1"


def fsync_dir(path: str) -> None:
    """Make the entries of directory ``path`` (creations, renames) durable."""
    if os.name == "nt":  # directories cannot be opened for fsync on Windows
        return
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str, data: bytes, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data``: readers see the old or the new file, never a mix."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".atomicwrite-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())  # 1: the data is on disk before the name points at it
        try:
            mode = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            pass
        os.chmod(tmp, mode)
        os.replace(tmp, path)  # 2: atomic within one file system
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(directory)  # 3: the rename itself is durable
