"""Exports: queued on the job queue, fetched through short-lived URLs; the caller's own data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from annotator.server import authz
from annotator.server.deps import C, Me, log, plain
from annotator.server.jobs import QueueUnavailable, new_export_id, record_job
from annotator.server.objects import accepted_key
from annotator.store.server_models import Job
from annotator.workflow import errors as we
from annotator.workflow.states import Role

router = APIRouter()


@router.get("/v1/me/data", tags=["auth"])
def my_data(me: Me, c: C) -> JSONResponse:
    """Everything the server holds about the caller (the files are listed: fetch each
    through ``/v1/submissions/{sid}/files/{path}``)."""
    return JSONResponse(plain(c.svc.my_data(actor=me.actor)))


@router.post("/v1/exports", tags=["exports"], status_code=202)
def start_export(me: Me, c: C, body: Annotated[dict[str, Any] | None, Body()] = None
                 ) -> dict[str, Any]:
    """Queue an export.  Without a body: the approved submissions' files, listed.  With
    ``{"format": ..., "dialect", "filter", "split", "image_format", "max_side"}`` (the
    options of ``annotator export``): also the training set, made on the server."""
    authz.require_role(me, Role.ADMIN, doing="export")
    params = _export_params(body or {})
    export_id = new_export_id()
    now = c.svc.now()
    with c.store.write() as s:
        record_job(s, job_id=f"export-{export_id}", kind="export", ref=export_id, now=now,
                   created_by=me.actor.user_id, params=params or None)
    try:
        c.queue.enqueue(f"export-{export_id}", "export")
    except QueueUnavailable as exc:
        log.warning("%s", exc.message)
    return {"id": export_id, "state": "queued"}


@router.get("/v1/exports/{export_id}", tags=["exports"])
def get_export(export_id: str, me: Me, c: C) -> dict[str, Any]:
    """The export's submissions with fresh short-lived URLs; a submission withdrawn
    since the export was made is left out."""
    authz.require_role(me, Role.ADMIN, doing="export")
    with c.store.read() as s:
        job = s.get(Job, f"export-{export_id[:40]}")
        if job is None or job.kind != "export":
            raise we.NotFound(f"There is no export {export_id[:40]!r}.")
        out: dict[str, Any] = {"id": export_id, "state": job.state, "error": job.error}
        if job.state != "done" or not job.result:
            return out
        withdrawn: set[int] = set(s.execute(sa.select(sa.literal_column("submission_id")).select_from(
            sa.table("tombstones"))).scalars())
    ttl = c.cfg.download_url_ttl_s
    ds = job.result.get("dataset")
    if ds is not None and "key" not in ds:  # deleted at a withdrawal (the record says)
        out["dataset"] = ds
    elif ds is not None:
        gone = sorted(set(ds["submission_ids"]) & withdrawn)
        if gone:  # made before a withdrawal: never handed out again
            c.objects.delete(ds["key"])
            out["dataset"] = {"withdrawn_since": gone, "params": ds["params"],
                              "message": "Submissions in this export were withdrawn "
                              "since it was made: start a new export."}
        elif c.objects.head_size(ds["key"]) is None:  # the reaper deleted it
            out["dataset"] = {"params": ds["params"], "message": "This export's archive "
                              "was deleted as too old: start a new export."}
        else:
            out["dataset"] = dict(ds, url=c.objects.presign_get(
                ds["key"], ttl, filename=f"export-{export_id}.tar"))
    subs = []
    for sub in job.result["submissions"]:
        if sub["id"] in withdrawn:
            continue
        sub = dict(sub, files=[dict(f, url=c.objects.presign_get(
            accepted_key(f["sha256"]), ttl)) for f in sub["files"]])
        subs.append(sub)
    out.update(created_at=job.result["created_at"], expires_in=ttl, submissions=subs,
               withdrawn_submission_ids=sorted(withdrawn))
    return out


def _export_params(body: dict[str, Any]) -> dict[str, Any]:
    from annotator.export.run import ExportRequest, validate_request
    from annotator.server.jobs import EXPORT_NAME, EXPORT_PARAMS

    unknown = sorted(set(body) - {*EXPORT_PARAMS, "name"})
    if unknown:
        raise we.InvalidInput(f"Unknown export option(s): {', '.join(unknown)}.",
                              f"Options: {', '.join(EXPORT_PARAMS)}, name.")
    params = {k: v for k, v in body.items() if v is not None}
    if not params:
        return {}
    if "format" not in params:
        raise we.InvalidInput("An export with options needs a format.")
    name = params.get("name")
    if name is not None and not (isinstance(name, str) and EXPORT_NAME.fullmatch(name)):
        raise we.InvalidInput(f"{name!r} cannot name an export.",
                              "Use letters, digits, '.', '_' and '-' (up to 64).")
    try:
        req = ExportRequest(out=Path("unused"), **{k: v for k, v in params.items()
                                                   if k != "name"})
        validate_request(req)
    except TypeError:
        raise we.InvalidInput("Export options are strings (max_side a number).") from None
    return params
