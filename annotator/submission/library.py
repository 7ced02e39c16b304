"""The workspace's recordings as the library lists them: when each was made, how long it
is, how many steps it has, whether it was edited and what was submitted from it.

The desktop's library draws these rows; nothing here needs Qt.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from annotator.bundle.schema import read_manifest
from annotator.edits import EDITS_FILE
from annotator.errors import AnnotatorError
from annotator.steps import StepsError, read_steps
from annotator.submission.local import recorded_submissions
from annotator.workspace import Workspace

NOT_DERIVED = "—"  # steps not derived yet
UNREADABLE = "?"


@dataclass(frozen=True)
class RecordingSummary:
    folder: Path
    started: dt.datetime | None = None  # UTC; None when the manifest does not say
    duration_us: int | None = None
    steps: int | str = NOT_DERIVED  # the count, NOT_DERIVED or UNREADABLE
    recorder_status: str = ""  # the manifest's ("complete", "recording", ...)
    edited: bool = False
    submissions: tuple[int, ...] = ()
    problem: str | None = None  # why the recording cannot be read (then nothing else is)

    @property
    def status(self) -> str:
        """``complete, edited, submitted #3, #5``; or why it cannot be read."""
        if self.problem is not None:
            return f"unreadable: {self.problem}"
        words = [self.recorder_status] if self.recorder_status else []
        if self.edited:
            words.append("edited")
        if self.submissions:
            words.append("submitted " + ", ".join(f"#{n}" for n in self.submissions))
        return ", ".join(words)


def summarize(folder: Path) -> RecordingSummary:
    """One recording's row; a damaged file makes a row that says so, never an error."""
    try:
        m = read_manifest(folder)
    except AnnotatorError as exc:
        return RecordingSummary(folder, problem=exc.message)
    return RecordingSummary(
        folder, started=_started(m.get("started_utc")), duration_us=m.get("duration_us"),
        steps=_steps(folder), recorder_status=str(m.get("status") or ""),
        edited=(folder / EDITS_FILE).is_file(), submissions=_submitted(folder))


def recording_summaries(ws: Workspace) -> list[RecordingSummary]:
    """Every recording of the workspace, newest first."""
    return [summarize(p) for p in ws.recordings()]


def assign_task(ws: Workspace, folder: Path, task_id: int, goal: str
                ) -> AnnotatorError | None:
    """The recording is for this published task: its id goes with the recording's
    submission, and its goal fills the recording's own goal if it has none yet.  Returns why
    the goal could not be filled in (the task is assigned all the same), else None."""
    from annotator.edits import EditSession
    from annotator.steps import load_or_derive

    problem: AnnotatorError | None = None
    try:
        doc = load_or_derive(folder)
        with EditSession.open(folder, steps=doc.steps) as session:
            if not session.edits.task.goal.strip():
                session.set_goal(goal)
    except AnnotatorError as exc:
        problem = exc
    ws.set_task_for(folder, task_id)
    return problem


def _started(text: object) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)


def _steps(folder: Path) -> int | str:
    try:
        doc = read_steps(folder)
    except (StepsError, OSError):
        return UNREADABLE
    return NOT_DERIVED if doc is None else len(doc.steps)


def _submitted(folder: Path) -> tuple[int, ...]:
    try:
        return tuple(int(s["submission_id"]) for s in recorded_submissions(folder))
    except (AnnotatorError, OSError, KeyError, TypeError, ValueError):
        return ()
