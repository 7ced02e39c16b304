"""Reading submissions (with short-lived file URLs), their history and checks; the review queue."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from annotator.server import authz
from annotator.server.deps import C, Me, plain, plain_dict, plain_list, queue_filter
from annotator.server.objects import accepted_key

router = APIRouter()


@router.get("/v1/submissions", tags=["submissions"])
def my_submissions(me: Me, c: C, include_withdrawn: bool = True) -> list[dict[str, Any]]:
    return plain_list(c.svc.my_submissions(actor=me.actor,
                                           include_withdrawn=include_withdrawn))


@router.get("/v1/submissions/{sid}", tags=["submissions"])
def get_submission(sid: int, me: Me, c: C) -> dict[str, Any]:
    return plain_dict(c.svc.get_submission(actor=me.actor, submission_id=sid))


@router.get("/v1/submissions/{sid}/files/{path:path}", tags=["submissions"])
def file_url(sid: int, path: str, me: Me, c: C) -> dict[str, Any]:
    """A short-lived presigned URL to one file of a verified submission."""
    f = authz.readable_file(c.svc, me, sid, path)
    ttl = c.cfg.download_url_ttl_s
    return {"path": f.path, "sha256": f.sha256, "size": f.size, "expires_in": ttl,
            "url": c.objects.presign_get(accepted_key(f.sha256), ttl,
                                         filename=f.path.rsplit("/", 1)[-1])}


@router.get("/v1/submissions/{sid}/history", tags=["submissions"])
def history(sid: int, me: Me, c: C) -> JSONResponse:
    return JSONResponse(plain(c.svc.history(actor=me.actor, submission_id=sid)))


@router.get("/v1/submissions/{sid}/checks", tags=["submissions"])
def checks(sid: int, me: Me, c: C) -> dict[str, Any]:
    """The server's own checks of an accepted submission (the leak check, the latest: a
    package made before the current check is checked again, ``leak_jobs``)."""
    from annotator.submission.leak_rescan import latest_checks

    c.svc.get_submission(actor=me.actor, submission_id=sid)  # visible to the caller?
    with c.store.read() as s:
        job = latest_checks(s, [sid]).get(sid)
        if job is None:
            return {"ocr": None}
        return {"ocr": {"state": job.state, "result": job.result, "error": job.error,
                        "job": job.id}}


@router.get("/v1/queue", tags=["review"])
def queue(me: Me, c: C, limit: Annotated[int, Query(ge=1, le=500)] = 50,
          offset: Annotated[int, Query(ge=0)] = 0,
          state: Annotated[list[str] | None, Query()] = None, task_id: int | None = None,
          contributor: str | None = None, claimed_by: str | None = None,
          claimable: bool = False, application: str | None = None,
          text: str | None = None, include_own: bool = False,
          submitted_after: dt.datetime | None = None,
          submitted_before: dt.datetime | None = None, signal: str | None = None,
          order: str | None = None) -> JSONResponse:
    f = queue_filter(state=state, task_id=task_id, contributor=contributor,
                     claimed_by=claimed_by, claimable=claimable, application=application,
                     text=text, include_own=include_own, submitted_after=submitted_after,
                     submitted_before=submitted_before, signal=signal, order=order)
    items = c.svc.list_queue(actor=me.actor, filters=f, limit=limit, offset=offset)
    # Already plain JSON: skip FastAPI's generic encoder on the hottest page.
    return JSONResponse([plain(i) for i in items])


@router.get("/v1/queue/counts", tags=["review"])
def queue_counts(me: Me, c: C) -> dict[str, int]:
    return c.svc.queue_counts(actor=me.actor)
