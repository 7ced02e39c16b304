"""``suggestions.json``: the redaction suggestions kept beside a recording, so the editor
shows them again without looking again.  The matched text is never written (the editor
shows kind and place); what is read back are ``Suggestion`` objects without it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from annotator.fsutil import write_json_atomic
from annotator.redaction.suggest import Suggestion

SUGGESTIONS_FILE = "suggestions.json"
FORMAT_VERSION = 1


def save_suggestions(bundle_dir: str | os.PathLike[str], found: Iterable[Suggestion]) -> None:
    write_json_atomic(Path(bundle_dir) / SUGGESTIONS_FILE,
                      {"version": FORMAT_VERSION, "suggestions": [s.to_dict() for s in found]})


def load_suggestions(bundle_dir: str | os.PathLike[str]) -> list[Suggestion]:
    """The kept suggestions (none if the file is missing or damaged: look again)."""
    try:
        data = json.loads((Path(bundle_dir) / SUGGESTIONS_FILE).read_text("utf-8"))
        items = data.get("suggestions", []) if isinstance(data, dict) else []
        return [_suggestion(d) for d in items if isinstance(d, dict)]
    except (OSError, ValueError, TypeError, KeyError):
        return []


def _suggestion(d: dict[str, Any]) -> Suggestion:
    span = d.get("span")
    return Suggestion(
        id=str(d["id"]), kind=str(d.get("kind") or ""), source=str(d.get("source") or ""),
        rect=list(d["rect"]) if d.get("rect") else None,
        t_start_us=int(d["t_start_us"]), t_end_us=int(d["t_end_us"]),
        step_id=d.get("step_id"), span=(int(span[0]), int(span[1])) if span else None,
        score=float(d.get("score") or 0.0), reason=str(d.get("reason") or ""),
        first_seen_us=d.get("first_seen_us"), last_seen_us=d.get("last_seen_us"),
        frames_read=int(d.get("frames_read") or 0))
