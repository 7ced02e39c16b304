"""What happens to the raw local recording once its submission is approved.

The contributor chooses, per recording when consenting (``Workspace.set_retention_for``),
with a workspace default (``Workspace.retention()``): ``ask`` (the default: the app asks
when it sees the approval), ``delete`` (deleted then, without asking) or ``keep``.  The store never holds anything raw in any case: only the rendered package.

Only the recording's own folder is ever deleted, and only after confirming that it is a
recording, that its ``submissions.json`` names a submission the store says is approved, and
that the store's copy is the very package made from it (same manifest hash).  The folder is
first renamed to a hidden sibling (so the library never shows half a recording), then
removed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.bundle import schema
from annotator.submission.builder import SubmissionError, recorded_submissions
from annotator.workflow.errors import NotFound, PermissionDenied
from annotator.workspace import Workspace

APPROVED = "approved"
DELETE, ASK, KEEP, WAIT, NOTHING = "delete", "ask", "keep", "wait", "nothing"


@dataclass(frozen=True)
class RetentionStatus:
    """``action``: ``delete`` (approved, and the preference says delete), ``ask`` (approved;
    ask the contributor), ``keep`` (approved; the preference says keep), ``wait`` (submitted,
    not approved yet), ``nothing`` (nothing submitted from this recording)."""

    action: str
    preference: str
    approved: tuple[int, ...]
    pending: tuple[int, ...]
    text: str


@dataclass(frozen=True)
class RetentionResult:
    deleted: bool
    status: RetentionStatus
    message: str
    path: Path | None = None
    notes: list[str] = field(default_factory=list)


def _state(services: Any, actor: Any, entry: dict[str, Any]) -> tuple[str | None, str | None]:
    """(state, manifest_sha256) of a recorded submission in the store, or (None, None)."""
    try:
        info = services.get_submission(actor=actor, submission_id=entry["submission_id"]).info
    except (NotFound, PermissionDenied):  # gone, or of another store or account
        return None, None
    return getattr(info.state, "value", str(info.state)), info.manifest_sha256


def retention_status(bundle_dir: str | os.PathLike[str], *, services: Any, actor: Any,
                     workspace: Workspace) -> RetentionStatus:
    pref = workspace.retention_for(bundle_dir)
    approved, pending = [], []
    for entry in recorded_submissions(bundle_dir):
        state, sha = _state(services, actor, entry)
        if state == APPROVED and sha == entry.get("manifest_sha256"):
            approved.append(entry["submission_id"])
        elif state in ("draft", "submitted", "in_review", "changes_requested"):
            pending.append(entry["submission_id"])
    if not approved:
        if pending:
            return RetentionStatus(WAIT, pref, (), tuple(pending),
                                   "Submitted; waiting for review. The recording stays.")
        return RetentionStatus(NOTHING, pref, (), (),
                               "No approved submission from this recording.")
    ids = ", ".join(f"#{i}" for i in approved)
    text = {DELETE: f"Submission {ids} was approved: the raw recording will be deleted.",
            ASK: f"Submission {ids} was approved: delete the raw recording from this computer?",
            KEEP: f"Submission {ids} was approved; you chose to keep raw recordings."}[pref]
    return RetentionStatus(pref, pref, tuple(approved), tuple(pending), text)


def apply_retention(bundle_dir: str | os.PathLike[str], *, services: Any, actor: Any,
                    workspace: Workspace, confirmed: bool = False) -> RetentionResult:
    """Delete the raw recording if one of its submissions is approved and either the
    preference is ``delete`` or the contributor just confirmed (``confirmed=True``, the
    answer to ``ask``).  Otherwise nothing happens; the result says why."""
    folder = Path(bundle_dir)
    status = retention_status(folder, services=services, actor=actor, workspace=workspace)
    if not status.approved:
        return RetentionResult(False, status, status.text)
    if not (status.action == DELETE or confirmed):
        return RetentionResult(False, status, status.text)
    _check_deletable(folder, workspace)
    gone = folder.with_name(f".deleting-{folder.name}-{uuid.uuid4().hex[:8]}")
    os.rename(folder, gone)
    notes: list[str] = []
    try:
        shutil.rmtree(gone)
    except OSError as exc:
        notes.append(f"Some files of {gone} could not be deleted ({exc}); delete it by hand.")
    with contextlib.suppress(OSError):
        fd = os.open(folder.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    return RetentionResult(True, status, f"The raw recording {folder.name} was deleted; "
                           "the approved submission stays in the store.", folder, notes)


def _check_deletable(folder: Path, workspace: Workspace) -> None:
    if folder.is_symlink() or not folder.is_dir():
        raise SubmissionError(f"{folder} is not a recording folder (a link or not a folder).",
                              "Nothing was deleted.")
    if not (folder / schema.MANIFEST).is_file():
        raise SubmissionError(f"{folder} is not a recording: it has no manifest.json.",
                              "Nothing was deleted.")
    real = folder.resolve()
    for protected in (workspace.root, workspace.recordings_dir, workspace.packages_dir,
                      Path.home(), Path("/")):
        with contextlib.suppress(OSError):
            p = protected.resolve()
            if real == p or p.is_relative_to(real):
                raise SubmissionError(f"{folder} holds {protected}: it is not deleted.",
                                      "Only a recording's own folder is ever deleted.")
