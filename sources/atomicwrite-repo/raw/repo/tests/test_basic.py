import os

import pytest

from atomicwrite_mini import atomic_write, fsync_dir


def test_creates_new_file(tmp_path):
    target = tmp_path / "state.json"
    atomic_write(str(target), b"{}")
    assert target.read_bytes() == b"{}"


def test_replaces_and_keeps_mode(tmp_path):
    target = tmp_path / "state.json"
    target.write_bytes(b"old")
    os.chmod(target, 0o600)
    atomic_write(str(target), b"new")
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o600


def test_failed_write_leaves_target_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "state.json"
    target.write_bytes(b"old")

    def broken_replace(src, dst):
        raise OSError("simulated rename failure")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        atomic_write(str(target), b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_fsync_dir_accepts_a_directory(tmp_path):
    fsync_dir(str(tmp_path))
