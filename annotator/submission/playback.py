"""A submission's files, out of the store, for playback: the rendered video, its steps and
labels, the task.  Read-only: nothing here can change the submission.  The desktop's review
and "My submissions" views show what this returns.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from annotator.display import duration
from annotator.media.video import VideoReader
from annotator.workflow.contract import Actor, SubmissionId, WorkflowServices

PLAYBACK_FILES = ("video.mp4", "steps.json", "task.json")


@dataclass
class StepRow:
    index: int
    id: str | None
    t_us: int | None
    kind: str
    instruction: str
    text: str
    flags: list[str] = field(default_factory=list)
    thought: str = ""
    origin: str = ""  # drafted (an accepted draft), edited (a reworked draft), written
    end_us: int | None = None  # when the action ended, on the rendered video's clock
    raw: dict[str, Any] = field(default_factory=dict, repr=False)  # the package step

    def line(self) -> str:
        t = f"{duration(self.t_us)}  " if self.t_us is not None else ""
        what = self.instruction or "(no instruction)"
        tags = ([self.origin] if self.origin else []) + self.flags
        extra = f"  [{', '.join(tags)}]" if tags else ""
        detail = f" — {self.kind}" + (f" “{self.text}”" if self.text else "")
        return f"{self.index + 1}. {t}{what}{detail}{extra}"


def _int(v: Any) -> int | None:
    return int(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _dict(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def parse_steps(data: Any) -> list[StepRow]:
    """The kept steps of a package's steps.json, tolerant of extra or missing keys (the file
    is the contributor's; a reviewer must still see what is there)."""
    steps = data.get("steps") if isinstance(data, dict) else data
    rows: list[StepRow] = []
    for i, s in enumerate(steps if isinstance(steps, list) else []):
        if not isinstance(s, dict):
            continue
        labels = _dict(s.get("labels"))
        # The frame the contributor saw before acting (the package's observation), else
        # the step's start, on the rendered video's clock.
        obs = _dict(s.get("observation"))
        t = _int(obs.get("t_us"))
        for key in ("t_us", "t_start_us", "start_us"):
            if t is None:
                t = _int(s.get(key))
        flags = [k for k in ("mistake", "redundant") if s.get(k) or labels.get(k)]
        source = _dict(s.get("text_source"))
        origin = str(source.get("low_level_instruction") or "")
        if not origin and (s.get("instruction") or labels.get("instruction")):
            origin = "written"  # packages made before drafts
        index = _int(s.get("index"))
        rows.append(StepRow(
            index=i if index is None else index,
            id=s.get("id") if isinstance(s.get("id"), str) else None,
            t_us=t,
            kind=str(s.get("type") or s.get("action") or ""),
            instruction=str(s.get("instruction") or labels.get("instruction") or ""),
            text=str(s.get("text") or "")[:60],
            flags=flags,
            thought=str(s.get("thought") or labels.get("thought") or ""),
            origin=origin,
            end_us=_int(s.get("t_end_us")),
            raw=s,
        ))
    return rows


def extract_package(services: WorkflowServices, actor: Actor, submission_id: SubmissionId, out: Path,
                    paths: tuple[str, ...] = PLAYBACK_FILES) -> dict[str, Any]:
    """Copy the files needed for playback out of the store into ``out`` (a private folder;
    slow: run it off the UI thread), with the steps parsed and the video's frame times."""
    detail = services.get_submission(actor=actor, submission_id=submission_id)
    result = _extract({f.path for f in detail.files}, lambda p: services.open_file(
        actor=actor, submission_id=submission_id, path=p), out, paths)
    result["detail"] = detail
    return result


def extract_blind_package(services: WorkflowServices, actor: Actor, review_id: int, out: Path,
                          paths: tuple[str, ...] = PLAYBACK_FILES) -> dict[str, Any]:
    """As ``extract_package``, for one of the reviewer's blind reviews: ``blind`` holds what
    the reviewer may know of it (``BlindReviewPackage``), ``detail`` is None."""
    pkg = services.open_blind_review(actor=actor, review_id=review_id)
    result = _extract({f.path for f in pkg.files}, lambda p: services.open_blind_file(
        actor=actor, review_id=review_id, path=p), out, paths)
    result.update(detail=None, blind=pkg)
    return result


def _extract(have: set[str], open_file: Callable[[str], BinaryIO], out: Path,
             paths: tuple[str, ...]) -> dict[str, Any]:
    result: dict[str, Any] = {"folder": out, "video": None, "steps": [], "task": {}}
    out.mkdir(parents=True, exist_ok=True)
    for p in paths:
        if p not in have:
            continue
        with open_file(p) as src, open(out / p, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    if (out / "video.mp4").is_file():
        result["video"] = out / "video.mp4"
    for name, key in (("steps.json", "steps"), ("task.json", "task")):
        try:
            data = json.loads((out / name).read_text("utf-8"))
        except (OSError, ValueError):
            continue
        result[key] = parse_steps(data) if key == "steps" else data
    if result["video"] is not None:
        try:
            with VideoReader(result["video"]) as r:
                result["pts"] = r.all_pts()
        except Exception as exc:  # noqa: BLE001 (a damaged video: say so, show the rest)
            result["video_error"] = str(exc)
    return result


class PlaybackFolders:
    """The private temporary folder of the submission being played: each new one replaces
    (and deletes) the one before; ``close()`` deletes the last."""

    def __init__(self) -> None:
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def next(self, submission_id: int) -> Path:
        self.close()
        self._tmp = tempfile.TemporaryDirectory(prefix="annotator-review-")
        return Path(self._tmp.name) / str(int(submission_id))

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
