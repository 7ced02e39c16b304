"""What a withdrawal reaches on the team server, beyond ``Services`` (which deletes the
submission's blobs from ``accepted/``, clears its content columns and keeps a tombstone):

- ``purge_exports``: every training set the server made that holds a withdrawn submission
  is deleted from ``exports/`` at once, and the export's record no longer lists it (nor its
  goal or files): an export fetched later says it was withdrawn.
- ``cancel_uploads``: "withdraw everything" and account deletion cancel the contributor's
  uploads not yet verified: open multipart uploads are aborted (their parts deleted),
  completed archives deleted from ``incoming/``, their verification jobs cancelled; a job
  already verifying one finds it cancelled and never makes it a submission
  (``annotator.server.verifyjob``).

Both run inside the withdrawal's request: when it answers, nothing of the content is left
in ``incoming/``, ``accepted/`` (except blobs other submissions share) or ``exports/``.
SeaweedFS keeps a deleted object's bytes in its volume files until the volume is vacuumed
(``server-up`` has the master vacuum any volume with garbage every few minutes); presigned
URLs issued before answer 404 at once, the object being gone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from annotator.server.lifecycles import (
    OPEN_UPLOAD_STATES,
    JobAction,
    JobState,
    UploadAction,
    UploadState,
    move_job,
    move_upload,
)
from annotator.server.objects import ObjectStore
from annotator.store.db import Store
from annotator.store.server_models import Job, Upload


def cancel_uploads(store: Store, objects: ObjectStore, *, user_id: int, now: Any,
                   reason: str) -> int:
    """Cancel every upload of ``user_id`` not yet verified; delete what it put in the
    store.  Returns how many were cancelled."""
    gone: list[tuple[str, str | None, str]] = []
    with store.write() as s:
        ups = s.execute(sa.select(Upload).where(
            Upload.user_id == user_id,
            Upload.state.in_([x.value for x in OPEN_UPLOAD_STATES]))
            .with_for_update()).scalars().all()
        for up in ups:
            gone.append((up.object_key, up.s3_upload_id, up.state))
            move_upload(s, up, UploadAction.CANCEL, now=now, actor_id=user_id, reason=reason)
            job = s.get(Job, f"verify-{up.id}", with_for_update=True)
            if job is not None and job.state in (JobState.QUEUED, JobState.DEAD):
                move_job(s, job, JobAction.CANCEL, now=now, reason=reason)
    for key, s3_id, state in gone:
        with contextlib.suppress(Exception):  # the reaper deletes what could not be
            if state == UploadState.UPLOADING and s3_id:
                objects.abort_multipart(key, s3_id)
            else:
                objects.delete(key)
    return len(gone)


def _holds(result: dict[str, Any], ids: set[int]) -> set[int]:
    found = {s.get("id") for s in result.get("submissions", [])} & ids
    ds = result.get("dataset") or {}
    found |= set(ds.get("submission_ids") or []) & ids
    return found


def purge_exports(store: Store, objects: ObjectStore, submission_ids: Iterable[int]) -> int:
    """Delete every server-made export archive that holds one of ``submission_ids``, and
    take them out of the exports' records.  Returns how many exports were touched."""
    ids = set(submission_ids)
    if not ids:
        return 0
    keys: list[str] = []
    touched = 0
    with store.write() as s:
        for job in s.execute(sa.select(Job).where(Job.kind == "export",
                                                  Job.result.is_not(None))
                             .with_for_update()).scalars().all():
            result = dict(job.result or {})
            hit = _holds(result, ids)
            if not hit:
                continue
            touched += 1
            result["submissions"] = [x for x in result.get("submissions", [])
                                     if x.get("id") not in ids]
            ds = result.get("dataset")
            if ds and set(ds.get("submission_ids") or []) & ids:
                keys.append(ds["key"])
                result["dataset"] = {
                    "withdrawn_since": sorted(set(ds["submission_ids"]) & ids),
                    "params": ds.get("params"),
                    "message": "Submissions in this export were withdrawn since it was "
                               "made: its archive was deleted; start a new export."}
            job.result = result  # what was in it, not a state: no lifecycle change
    for key in keys:
        with contextlib.suppress(Exception):
            objects.delete(key)
    return touched
