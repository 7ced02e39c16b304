"""Bundle format constants, and the manifest: read, validated and upgraded in one place.

Times in a bundle are integer microseconds since the recording started, on one monotonic
clock (CLOCK_MONOTONIC on Linux) that stamps frames and input events alike.  The wall-clock
anchor is stored once, in the manifest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from annotator.errors import BundleError, NewerSchemaError

SCHEMA_VERSION = 2

MANIFEST = "manifest.json"
VIDEO = "video.mp4"
FRAME_INDEX = "frames.idx"  # version 2: binary, one 8-byte record per grab (frameindex.py)
FRAMES = "frames.jsonl"  # version 1: one JSON line per grab
EVENTS = "events.jsonl"
WINDOWS = "windows.jsonl"
ELEMENTS = "elements.jsonl"  # optional: accessibility hits and focus (docs/bundle-format.md)

STATUS_RECORDING = "recording"  # being written, or cut off by a crash (see recover)
STATUS_COMPLETE = "complete"
STATUS_RECOVERED = "recovered"

EVENT_KINDS = frozenset(
    {
        "mouse_move",
        "mouse_down",
        "mouse_up",
        "scroll",
        "key_down",
        "key_up",
        "pause",
        "resume",
    }
)


# The manifest is only ever replaced whole (write_json_atomic), so a crash cannot leave it
# half written, and `annotator recover` needs it to rebuild the rest: it was damaged later.
_DAMAGED_MANIFEST = (
    "It was changed after the recording was made (a disk or sync error, or an edit by "
    "hand); the recorded streams beside it are untouched. Put manifest.json back from a "
    "backup or a copy of the folder.")


def read_manifest(folder: Path) -> dict[str, Any]:
    """Read and validate a bundle's manifest, upgrading older schema versions in memory."""
    path = folder / MANIFEST
    if not folder.is_dir():
        raise BundleError(
            f"{folder} is not a folder.",
            "Give the path of a recording folder (one that holds manifest.json).",
        )
    if not path.is_file():
        raise BundleError(
            f"{folder} is not a recording bundle: it has no {MANIFEST}.",
            "Give the path of a recording folder made by `annotator record`.",
        )
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BundleError(
            f"The manifest {path} cannot be read: {exc}.", _DAMAGED_MANIFEST) from exc
    if not isinstance(data, dict) or "schema_version" not in data:
        raise BundleError(
            f"The manifest {path} has no schema_version.", _DAMAGED_MANIFEST)
    version = data["schema_version"]
    if not isinstance(version, int):
        raise BundleError(f"The manifest {path} has an invalid schema_version {version!r}.")
    if version > SCHEMA_VERSION:
        raise NewerSchemaError(
            f"{folder} is a bundle of schema version {version}, but this annotator "
            f"reads versions up to {SCHEMA_VERSION}.",
            "Update annotator to open it.",
        )
    return upgrade_manifest(data)


def upgrade_manifest(data: dict[str, Any]) -> dict[str, Any]:
    """Bring a manifest of an older schema version up to the current one.

    Each schema change adds one step here, so a newer annotator opens every older bundle.
    """
    version = data["schema_version"]
    if version < 1:
        raise BundleError(f"Unknown bundle schema version {version}.")
    data.setdefault("pauses", [])
    if version < 2:
        # Version 1: the whole screen was grabbed at every tick (no DAMAGE), the frame index
        # is frames.jsonl, and no event says which device it came from.
        data.setdefault("capture", {}).setdefault("method", "full grabs")
        data.setdefault("input_devices", {"source": "none",
                                          "reason": "not recorded (bundle version 1)"})
    data.setdefault("problems", [])
    # Bundles recorded before accessibility capture: focus unknown, nothing masked.
    data.setdefault("a11y", {"available": False,
                             "reason": "not recorded (made before accessibility capture)",
                             "focus_source": "none", "password_masking": False,
                             "elements_file": None})
    data.setdefault("input_devices", {"source": "none", "reason": "not recorded"})
    return data
