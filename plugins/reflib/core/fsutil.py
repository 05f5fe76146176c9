"""File-system helpers: atomic writes and content hashes."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

CHUNK = 1 << 20


def _write_temp(path: Path, raw: bytes) -> str:
    """Write ``raw`` to a new fsynced temporary file beside ``path``; return its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


def atomic_write(path: str | Path, data: str | bytes, *, encoding: str = "utf-8") -> None:
    """Write ``data`` to ``path`` so that readers see the old or the new file, never a mix.

    The data goes to a temporary file in the same folder, is flushed and fsynced, then
    renamed over the target. The target's permission bits are kept when it exists.
    """
    path = Path(path)
    raw = data.encode(encoding) if isinstance(data, str) else data
    tmp = _write_temp(path, raw)
    try:
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_create(path: str | Path, data: str | bytes, *, encoding: str = "utf-8") -> None:
    """Write a new file at ``path`` atomically; ``FileExistsError`` if it exists.

    The data goes to a fsynced temporary file that is then hard-linked to ``path`` (which
    fails when ``path`` exists, even if another process creates it meanwhile); where hard
    links are not supported the file is created with ``O_EXCL``.
    """
    path = Path(path)
    if path.exists() or path.is_symlink():
        raise FileExistsError(str(path))
    raw = data.encode(encoding) if isinstance(data, str) else data
    tmp = _write_temp(path, raw)
    try:
        os.chmod(tmp, 0o644)
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise
        except OSError:
            with open(path, "xb") as out:
                out.write(raw)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_tree(folder: str | Path) -> str:
    """Hex SHA-256 of a folder: each file's relative POSIX path and hash, sorted by path.

    This is the digest recorded in ``raw_sha256`` for a raw entry that is a folder (for
    example a repository checkout). Symbolic links are hashed by their target text.
    """
    folder = Path(folder)
    digest = hashlib.sha256()
    for file in sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink()):
        rel = file.relative_to(folder).as_posix()
        content = "link:" + os.readlink(file) if file.is_symlink() else sha256_file(file)
        digest.update(f"{rel}\0{content}\n".encode())
    return digest.hexdigest()


def sha256_path(path: str | Path) -> str:
    """:func:`sha256_file` for a file, :func:`sha256_tree` for a folder."""
    path = Path(path)
    return sha256_tree(path) if path.is_dir() else sha256_file(path)


def sha256_text(text: str) -> str:
    """Hex SHA-256 of a string's UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
