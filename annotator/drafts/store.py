"""``drafts.json`` in the bundle: drafts made earlier, reused while their inputs are the same.

Derived data, like ``steps.json`` and ``cache/``: it may be deleted at any time and is never
part of a submission.  Each draft carries the key of its inputs (``Drafter.key``: the step,
its neighbours, the redactions over it, the drafter's version, the OCR engine); a draft
whose key no longer matches is made again, so a redaction added later re-drafts exactly the
steps it concerns.  The file holds only drafts (already checked by ``privacy.Guard``), never
OCR output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from annotator.drafts.model import DRAFTER_VERSION, Draft
from annotator.fsutil import write_json_atomic

DRAFTS_FILE = "drafts.json"
FORMAT_NAME = "annotator-drafts"
FORMAT_VERSION = 1


def read_drafts(folder: str | Path) -> dict[str, Draft]:
    """The stored drafts by step id; empty when missing, damaged, or of another version
    (they are only a cache: made again)."""
    path = Path(folder) / DRAFTS_FILE
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME \
            or data.get("format_version") != FORMAT_VERSION \
            or data.get("drafter_version") != DRAFTER_VERSION:
        return {}
    out: dict[str, Draft] = {}
    for sid, d in (data.get("drafts") or {}).items():
        try:
            out[str(sid)] = Draft.from_dict(d)
        except (KeyError, TypeError, ValueError):
            continue
    return out


def write_drafts(folder: str | Path, drafts: dict[str, Draft], *,
                 meta: dict[str, Any] | None = None) -> bool:
    """Store drafts atomically; False (nothing written) on a read-only folder."""
    data = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION,
            "drafter_version": DRAFTER_VERSION, **(meta or {}),
            "drafts": {sid: d.to_dict() for sid, d in sorted(drafts.items())}}
    try:
        write_json_atomic(Path(folder) / DRAFTS_FILE, data)
    except OSError:
        return False
    return True
