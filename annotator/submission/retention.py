"""What happens to the raw local recording once its submission is approved.

One vocabulary (``annotator.preferences.RETENTION_CHOICES``): ``ask`` (the default: the
contributor is asked once it is approved), ``delete`` (deleted then, without asking) or
``keep``.  The contributor chooses per recording when consenting
(``Workspace.set_retention_for``), with a workspace default (``Workspace.retention()``).  The
store never holds anything raw in any case: only the rendered package.

One function applies it, ``review_retention``, and both faces call it whenever they learn the
states of the contributor's submissions (the desktop's "My submissions", the command line's
``annotator submissions``, ``annotator remote list|send`` and ``annotator retention``): it
deletes what the contributor chose to delete and returns what to ask about.  A recording whose
``delete`` was stored before anything applied it is asked about instead
(``Workspace.retention_needs_confirmation``): never deleted without asking.

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
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.bundle import schema
from annotator.errors import AnnotatorError
from annotator.submission.local import SubmissionError, recorded_submissions, submitted_folders
from annotator.workflow.contract import Actor, WorkflowServices
from annotator.workflow.errors import NotFound, PermissionDenied
from annotator.workspace import Workspace

APPROVED = "approved"
PENDING_STATES = ("draft", "submitted", "in_review", "changes_requested")
DELETE, ASK, KEEP, WAIT, NOTHING = "delete", "ask", "keep", "wait", "nothing"


@dataclass(frozen=True)
class RetentionStatus:
    """``action``: ``delete`` (approved, and the choice is delete), ``ask`` (approved; ask
    the contributor), ``keep`` (approved; the choice is keep), ``wait`` (submitted, not
    approved yet), ``nothing`` (nothing submitted from this recording).  ``preference`` is
    the choice in force for the recording; ``text`` says it in a sentence for either face."""

    action: str
    preference: str
    approved: tuple[int, ...]
    pending: tuple[int, ...]
    text: str
    folder: Path | None = None


@dataclass(frozen=True)
class RetentionResult:
    deleted: bool
    status: RetentionStatus
    message: str
    path: Path | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class RetentionReview:
    """What ``review_retention`` did and what is left to the contributor."""

    deleted: list[RetentionResult] = field(default_factory=list)
    to_ask: list[RetentionStatus] = field(default_factory=list)
    statuses: list[RetentionStatus] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _states_from(submissions: Iterable[Any]) -> dict[int, tuple[str, str | None]]:
    return {int(s.id): (getattr(s.state, "value", str(s.state)), s.manifest_sha256)
            for s in submissions}


def _state(services: WorkflowServices, actor: Actor, entry: dict[str, Any],
           known: dict[int, tuple[str, str | None]] | None) -> tuple[str | None, str | None]:
    """(state, manifest_sha256) of a recorded submission in the store, or (None, None)."""
    if known is not None:
        return known.get(entry["submission_id"], (None, None))
    try:
        info = services.get_submission(actor=actor, submission_id=entry["submission_id"]).info
    except (NotFound, PermissionDenied):  # gone, or of another store or account
        return None, None
    return getattr(info.state, "value", str(info.state)), info.manifest_sha256


def retention_status(bundle_dir: str | os.PathLike[str], *, services: WorkflowServices, actor: Actor,
                     workspace: Workspace,
                     submissions: Iterable[Any] | None = None) -> RetentionStatus:
    """Where one recording stands.  ``submissions``: the actor's submissions as the store
    listed them (``my_submissions``), to spare a call per recorded submission."""
    folder = Path(bundle_dir)
    known = _states_from(submissions) if submissions is not None else None
    pref = workspace.retention_for(folder)
    approved, pending = [], []
    for entry in recorded_submissions(folder):
        state, sha = _state(services, actor, entry, known)
        if state == APPROVED and sha == entry.get("manifest_sha256"):
            approved.append(entry["submission_id"])
        elif state in PENDING_STATES:
            pending.append(entry["submission_id"])
    if not approved:
        if pending:
            return RetentionStatus(WAIT, pref, (), tuple(pending),
                                   "Submitted; waiting for review. The recording stays.",
                                   folder)
        return RetentionStatus(NOTHING, pref, (), (),
                               "No approved submission from this recording.", folder)
    ids = ", ".join(f"#{i}" for i in approved)
    action = pref
    if pref == DELETE and workspace.retention_needs_confirmation(folder):
        action = ASK
        text = (f"Submission {ids} was approved. You chose to delete its raw recording "
                f"({folder.name}) once approved, but an earlier version of annotator kept "
                "it: delete it now? The approved submission stays in the store.")
    else:
        text = {
            DELETE: f"Submission {ids} was approved: its raw local recording ({folder.name}) "
                    "is deleted, as you chose.",
            ASK: f"Submission {ids} was approved. Delete its raw local recording "
                 f"({folder.name})? The approved submission stays in the store.",
            KEEP: f"Submission {ids} was approved; you chose to keep its raw recording "
                  f"({folder.name}).",
        }[pref]
    return RetentionStatus(action, pref, tuple(approved), tuple(pending), text, folder)


def apply_retention(bundle_dir: str | os.PathLike[str], *, services: WorkflowServices, actor: Actor,
                    workspace: Workspace, confirmed: bool = False,
                    submissions: Iterable[Any] | None = None) -> RetentionResult:
    """Delete the raw recording if one of its submissions is approved and either its
    choice is ``delete`` (confirmed, see the module) or the contributor just confirmed
    (``confirmed=True``, the answer to ``ask``).  Otherwise nothing happens; the result
    says why."""
    folder = Path(bundle_dir)
    status = retention_status(folder, services=services, actor=actor, workspace=workspace,
                              submissions=submissions)
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
    with contextlib.suppress(OSError):
        workspace.forget_retention(folder)
    ids = ", ".join(f"#{i}" for i in status.approved)
    return RetentionResult(True, status, f"Submission {ids} was approved; its raw local "
                           f"recording was deleted ({folder.name}), as you chose. The "
                           "approved submission stays in the store.", folder, notes)


def review_retention(workspace: Workspace, *, services: WorkflowServices, actor: Actor,
                     submissions: Iterable[Any] | None = None) -> RetentionReview:
    """Apply the retention choices of every local recording something was submitted from:
    delete what the contributor chose to delete once approved, and return what to ask about
    (``to_ask``, oldest question first) and where each recording stands (``statuses``).

    ``submissions``: the actor's submissions as just listed (else they are listed here)."""
    if submissions is None:
        submissions = services.my_submissions(actor=actor)
    subs = list(submissions)
    review = RetentionReview()
    for folder in submitted_folders(workspace):
        try:
            result = apply_retention(folder, services=services, actor=actor,
                                     workspace=workspace, submissions=subs)
        except (AnnotatorError, OSError) as exc:
            review.errors.append(f"{folder}: {getattr(exc, 'message', None) or exc}")
            continue
        review.statuses.append(result.status)
        if result.deleted:
            review.deleted.append(result)
        elif result.status.action == ASK:
            review.to_ask.append(result.status)
    return review


def keep_recording(workspace: Workspace, bundle_dir: str | os.PathLike[str]) -> None:
    """The contributor's answer "keep it" to ``ask``: it is not asked again."""
    workspace.set_retention_for(bundle_dir, KEEP)


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
