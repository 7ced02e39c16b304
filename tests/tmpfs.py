"""A small tmpfs for tests of full disks and read-only folders (root only: CI runs as
root); a pytest plugin, so the ``tmpfs`` fixture is available to every test."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest


class Mount:
    """A tmpfs we can flip between read-write and read-only (root only)."""

    def __init__(self, path: Path, size: str) -> None:
        self.path = path
        self.size = size

    def _mount(self, *args: str) -> None:
        subprocess.run(["mount", *args], check=True, capture_output=True, timeout=30)

    def read_only(self) -> None:
        self._mount("-o", "remount,ro", str(self.path))

    def read_write(self) -> None:
        self._mount("-o", f"remount,rw,size={self.size}", str(self.path))


@pytest.fixture
def tmpfs(tmp_path: Path):
    """A small tmpfs at a fresh folder; skipped unless running as root with mount(8)."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("needs root to mount a tmpfs (CI runs as root)")
    mounts: list[Path] = []

    def make(size: str = "1m") -> Mount:
        path = tmp_path / f"mnt{len(mounts)}"
        path.mkdir()
        try:
            subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs",
                            str(path)], check=True, capture_output=True, timeout=30)
        except subprocess.CalledProcessError as exc:
            pytest.skip(f"cannot mount a tmpfs here: {exc.stderr.decode().strip()}")
        mounts.append(path)
        return Mount(path, size)

    yield make
    for path in mounts:
        with contextlib.suppress(subprocess.CalledProcessError):
            subprocess.run(["umount", "-l", str(path)], check=True, capture_output=True,
                           timeout=30)
