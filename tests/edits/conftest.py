"""Fixtures for the editor core: a minimal bundle folder and a set of derived steps."""

from __future__ import annotations

import json
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


