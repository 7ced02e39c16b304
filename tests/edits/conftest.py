"""Fixtures for the editor core: a minimal bundle folder and a set of derived steps."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

DURATION_US = 60_000_000
RECORDING_ID = "0b5e6a4e-1111-4c1e-9a51-5e2c3d4e5f60"


def make_steps() -> list[dict]:
    """Twelve steps, 5 s apart, 1 s long: clicks, typing bursts and a hotkey."""
    steps = []
    for i in range(12):
        t = i * 5_000_000
        kind = ["click", "type", "click", "hotkey"][i % 4]
        steps.append({
            "id": f"s{i}",
            "t_start_us": t,
            "t_end_us": t + 1_000_000,
            "type": kind,
            "text": "hello world" if kind == "type" else None,
            "raw_event_ids": list(range(i * 100 + 1, i * 100 + 23)),
        })
    return steps


def write_manifest(folder: Path, **extra) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"schema_version": 1, "id": RECORDING_ID, "status": "complete",
                "duration_us": DURATION_US,
                "pauses": [{"start_us": 40_000_000, "end_us": 42_000_000, "reason": "paused"}]}
    manifest.update(extra)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.fixture
def steps() -> list[dict]:
    return make_steps()


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return write_manifest(tmp_path / "rec")


@pytest.fixture
def session(bundle, steps):
    from annotator.edits import EditSession

    s = EditSession.open(bundle, steps=steps)
    yield s
    s.close(force=True)


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
