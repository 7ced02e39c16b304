"""Ingest: resumable package uploads (presigned parts), verified by a job; submitting a draft."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Body
from sqlalchemy.orm import Session

from annotator.errors import AnnotatorError
from annotator.server import authz
from annotator.server.deps import _SHA, MAX_PARTS, S3_MIN_PART, C, Ctx, Me, log, plain_dict
from annotator.server.jobs import QueueUnavailable, record_job
from annotator.server.lifecycles import (
    OPEN_UPLOAD_STATES,
    UploadAction,
    UploadState,
    move_upload,
)
from annotator.server.objects import incoming_key
from annotator.server.tokens import Principal
from annotator.store import models as m
from annotator.store.errors import BlobMissing
from annotator.store.server_models import Job, Upload, UploadTransition
from annotator.workflow import errors as we
from annotator.workflow.states import Role

router = APIRouter()


MAX_ID = (1 << 31) - 1  # database ids are 32-bit


def _upload_view(up: Upload) -> dict[str, Any]:
    return {"id": up.id, "state": up.state, "size": up.size, "part_size": up.part_size,
            "part_count": up.part_count, "manifest_sha256": up.manifest_sha256,
            "submission_id": up.submission_id, "error": up.error,
            "previous_id": up.previous_id, "submit": up.submit, "figures": up.figures,
            "created_at": up.created_at.isoformat(),
            "updated_at": up.updated_at.isoformat()}


def _part_size(up: Upload, n: int) -> int:
    return up.part_size if n < up.part_count else up.size - up.part_size * (n - 1)


@router.post("/v1/uploads", tags=["uploads"], status_code=201)
def create_upload(me: Me, c: C, size: Annotated[int, Body(ge=1, le=1 << 62)],
                  manifest_sha256: Annotated[str, Body(pattern=_SHA)],
                  previous_id: Annotated[int | None, Body(ge=1, le=MAX_ID)] = None,
                  submit: Annotated[bool, Body()] = True) -> dict[str, Any]:
    """Start uploading a package archive; the server picks the object key and the part
    size.  Asking again for the same manifest returns the upload in progress.  A user's
    unfinished uploads (not yet verified) hold at most ``ANNOTATOR_MAX_OPEN_UPLOAD_BYTES``."""
    c.limiter.hit("upload", c.cfg.upload_rate, str(me.actor.user_id))
    if me.actor.role not in (Role.CONTRIBUTOR, Role.REVIEWER, Role.ADMIN):
        raise we.PermissionDenied("This account cannot submit.")
    if size > c.cfg.max_package_bytes:
        raise we.InvalidInput(
            f"The package is {size / 2**20:.1f} MiB; this server takes packages up to "
            f"{c.cfg.max_package_bytes / 2**20:.0f} MiB.",
            "Record a shorter demonstration, or ask the admin to raise the limit.")
    part = max(c.cfg.part_size, -(-size // MAX_PARTS), S3_MIN_PART)
    count = max(1, -(-size // part))
    now = c.svc.now()
    with c.store.read() as s:
        existing = _in_progress(s, me, manifest_sha256, size)
        if existing is not None:
            return _upload_view(existing)
        _check_room(s, me, c, size)
    # The object store is called outside any transaction (a slow store must not hold the
    # user's row lock, nor SQLite's write lock): the multipart upload is made first and
    # given up when the transaction does not record it; the reaper aborts what a crash left.
    upload_id = uuid.uuid4().hex
    key = incoming_key(me.actor.user_id, upload_id)
    s3_id = c.objects.create_multipart(key)
    recorded = False
    try:
        with c.store.write() as s:
            # One user's uploads are created one at a time (their bytes are counted).
            s.execute(sa.select(m.User.id).where(m.User.id == me.actor.user_id)
                      .with_for_update())
            existing = _in_progress(s, me, manifest_sha256, size)
            if existing is not None:
                return _upload_view(existing)
            _check_room(s, me, c, size)
            up = Upload(id=upload_id, user_id=me.actor.user_id, object_key=key,
                        s3_upload_id=s3_id, size=size, part_size=part, part_count=count,
                        manifest_sha256=manifest_sha256, previous_id=previous_id,
                        submit=submit, created_at=now)
            move_upload(s, up, UploadAction.CREATE, now=now, actor_id=me.actor.user_id)
            view = _upload_view(up)
        recorded = True
        return view
    finally:
        if not recorded:
            _give_up(c, key, s3_id)


def _in_progress(s: Session, me: Principal, manifest_sha256: str, size: int) -> Upload | None:
    """The user's upload of this manifest still being sent, if any (asking again resumes)."""
    return s.execute(sa.select(Upload).where(
        Upload.user_id == me.actor.user_id, Upload.manifest_sha256 == manifest_sha256,
        Upload.state == UploadState.UPLOADING.value, Upload.size == size)
        .order_by(Upload.created_at)).scalars().first()


def _check_room(s: Session, me: Principal, c: Ctx, size: int) -> None:
    open_states = [x.value for x in OPEN_UPLOAD_STATES]
    held = s.execute(sa.select(sa.func.coalesce(sa.func.sum(Upload.size), 0)).where(
        Upload.user_id == me.actor.user_id, Upload.state.in_(open_states))).scalar_one()
    if held + size > c.cfg.max_open_upload_bytes:
        raise we.InvalidInput(
            f"You have {held / 2**20:.0f} MiB in uploads not yet verified; with this "
            f"one it would be more than the {c.cfg.max_open_upload_bytes / 2**20:.0f} MiB "
            "this server holds for one person.",
            "Let those finish (or abort them with DELETE /v1/uploads/{id}), then send "
            "this one.")


def _give_up(c: Ctx, key: str, s3_id: str | None) -> None:
    """Abort a multipart upload no row records, or delete an object none keeps, at once;
    if the store fails now, the reaper does it later (neither belongs to a live upload)."""
    try:
        if s3_id is None:
            c.objects.delete(key)
        else:
            c.objects.abort_multipart(key, s3_id)
    except AnnotatorError as exc:
        log.warning("left for the reaper: %s (%s)", key, exc.message)


@router.get("/v1/uploads", tags=["uploads"])
def my_uploads(me: Me, c: C, state: str | None = None) -> list[dict[str, Any]]:
    with c.store.read() as s:
        q = sa.select(Upload).where(Upload.user_id == me.actor.user_id)
        if state:
            q = q.where(Upload.state == state)
        return [_upload_view(u) for u in s.execute(q.order_by(Upload.created_at)).scalars()]


@router.get("/v1/uploads/{upload_id}", tags=["uploads"])
def get_upload(upload_id: str, me: Me, c: C) -> dict[str, Any]:
    """The upload's state; once rejected, ``refusal`` says why as an API error does
    (``{"error": <class>, "message", "hint"}``), so that the client raises what the embedded
    services raise."""
    with c.store.read() as s:
        view = _upload_view(authz.own_upload(s, me, upload_id))
        if view["state"] == "rejected":
            job = s.get(Job, f"verify-{upload_id}")
            view["refusal"] = (job.result or {}).get("refusal") if job is not None else None
        return view


@router.get("/v1/uploads/{upload_id}/history", tags=["uploads"])
def upload_history(upload_id: str, me: Me, c: C) -> list[dict[str, Any]]:
    """Every state change of the upload, oldest first (append-only)."""
    with c.store.read() as s:
        up = authz.own_upload(s, me, upload_id)
        rows = s.execute(sa.select(UploadTransition).where(
            UploadTransition.upload_id == up.id).order_by(UploadTransition.id)).scalars()
        return [{"action": t.action, "from": t.from_state, "to": t.to_state,
                 "at": t.at.isoformat(), "reason": t.reason} for t in rows]


def _uploading(up: Upload) -> None:
    if up.state != UploadState.UPLOADING:
        raise we.Conflict(f"Upload {up.id} is {up.state}: no more parts can be sent.",
                          "Check its state with GET /v1/uploads/{id}.")


def _multipart(up: Upload) -> str:
    """The object store's id of the upload's multipart upload (every upload being sent has
    one: it is made with the upload)."""
    if up.s3_upload_id is None:
        raise we.Conflict(f"Upload {up.id} has no multipart upload in the object store.",
                          "Start the upload again (POST /v1/uploads).")
    return up.s3_upload_id


@router.post("/v1/uploads/{upload_id}/part-urls", tags=["uploads"])
def part_urls(upload_id: str, me: Me, c: C,
              parts: Annotated[list[int], Body(embed=True, max_length=1000)]
              ) -> dict[str, Any]:
    """Presigned PUT URLs for these part numbers (valid ``expires_in`` seconds), each for
    exactly its part's length: the store refuses a body of another size."""
    with c.store.read() as s:
        up = authz.own_upload(s, me, upload_id)
    _uploading(up)
    bad = [p for p in parts if not 1 <= p <= up.part_count]
    if bad:
        raise we.InvalidInput(f"Upload {upload_id} has parts 1 to {up.part_count}; "
                              f"there is no part {bad[0]}.")
    ttl = c.cfg.part_url_ttl_s
    return {"expires_in": ttl, "urls": {str(p): c.objects.presign_part(
        up.object_key, _multipart(up), p, ttl, _part_size(up, p)) for p in parts},
        "sizes": {str(p): _part_size(up, p) for p in parts}}


@router.get("/v1/uploads/{upload_id}/parts", tags=["uploads"])
def list_parts(upload_id: str, me: Me, c: C) -> dict[str, Any]:
    """Which parts arrived (to resume after a crash or a lost connection)."""
    with c.store.read() as s:
        up = authz.own_upload(s, me, upload_id)
    if up.state != UploadState.UPLOADING:
        return {"state": up.state, "parts": []}
    parts = c.objects.list_parts(up.object_key, _multipart(up))
    return {"state": up.state, "parts": [{"number": p.number, "size": p.size}
                                         for p in parts]}


@router.post("/v1/uploads/{upload_id}/complete", tags=["uploads"], status_code=202)
def complete(upload_id: str, me: Me, c: C) -> dict[str, Any]:
    """Every part arrived: assemble the archive and queue its verification."""
    now = c.svc.now()
    with c.store.read() as s:
        up = authz.own_upload(s, me, upload_id)
    _not_completed_yet(up)
    # The parts are assembled outside any transaction (it can take a while for a big
    # package); the state changes below only if no other request changed it meanwhile.
    got = c.objects.head_size(up.object_key)  # not None: assembled by a complete cut short
    if got is None:
        try:
            parts = c.objects.list_parts(up.object_key, _multipart(up))
            _check_parts(up, parts)
            c.objects.complete_multipart(up.object_key, _multipart(up), parts)
        except BlobMissing:  # another complete or an abort got there first
            with c.store.read() as s:
                _not_completed_yet(authz.own_upload(s, me, upload_id))
            raise we.Conflict(f"The parts of upload {upload_id} are gone from the store.",
                              "Start the upload again (POST /v1/uploads).") from None
        got = c.objects.head_size(up.object_key)
    refused = None
    with c.store.write() as s:
        up = authz.own_upload(s, me, upload_id, lock=True)
        _not_completed_yet(up)
        if got != up.size:  # cannot happen if the parts added up; never trust it
            refused = f"The upload assembled to {got} bytes, not {up.size}."
            move_upload(s, up, UploadAction.REJECT, now=now, actor_id=me.actor.user_id,
                        reason=refused)
        else:
            move_upload(s, up, UploadAction.COMPLETE, now=now, actor_id=me.actor.user_id,
                        completed_at=now)
            record_job(s, job_id=f"verify-{up.id}", kind="verify", ref=up.id, now=now)
        view = _upload_view(up)
    if refused:
        _give_up(c, up.object_key, None)
        raise we.InvalidInput(refused, "Upload the package again.")
    try:
        c.queue.enqueue(f"verify-{upload_id}", "verify")
    except QueueUnavailable as exc:  # recorded: the reconciler queues it later
        log.warning("%s", exc.message)
    return view


def _not_completed_yet(up: Upload) -> None:
    if up.state != UploadState.UPLOADING:
        raise we.Conflict(f"Upload {up.id} was completed already ({up.state}).",
                          "Follow its state with GET /v1/uploads/{id}.")


def _check_parts(up: Upload, parts: list[Any]) -> None:
    have = {p.number: p.size for p in parts}
    missing = [n for n in range(1, up.part_count + 1) if n not in have]
    extra = sorted(n for n in have if n > up.part_count)
    wrong = []
    for n in range(1, up.part_count + 1):
        want = _part_size(up, n)
        if n in have and have[n] != want:
            wrong.append(f"part {n} has {have[n]} bytes instead of {want}")
    if missing or extra or wrong:
        bits = []
        if missing:
            bits.append("missing part(s) " + ", ".join(map(str, missing[:10])))
        if extra:
            bits.append("unexpected part(s) " + ", ".join(map(str, extra[:10])))
        bits += wrong[:5]
        raise we.InvalidInput(
            f"The parts of upload {up.id} do not add up to {up.size} bytes: "
            + "; ".join(bits) + ".",
            "Ask which parts arrived (GET .../parts) and send the missing or wrong ones "
            "again.")


@router.delete("/v1/uploads/{upload_id}", tags=["uploads"])
def abort_upload(upload_id: str, me: Me, c: C) -> dict[str, Any]:
    with c.store.write() as s:
        up = authz.own_upload(s, me, upload_id, lock=True)
        _uploading(up)
        move_upload(s, up, UploadAction.ABORT, now=c.svc.now(), actor_id=me.actor.user_id,
                    reason="aborted by the contributor")
        view = _upload_view(up)
    # After the commit: a complete running now finds the upload aborted.
    _give_up(c, up.object_key, up.s3_upload_id)
    return view


@router.post("/v1/submissions/{sid}/submit", tags=["submissions"])
def submit(sid: int, me: Me, c: C) -> dict[str, Any]:
    return plain_dict(c.svc.submit(actor=me.actor, submission_id=sid))
