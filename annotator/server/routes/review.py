"""Review: claims, comments and decisions."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse, Response

from annotator.server.deps import C, Me, plain, plain_dict, queue_filter
from annotator.workflow import errors as we
from annotator.workflow.contract import CommentIn

router = APIRouter()


@router.post("/v1/queue/claim-next", tags=["review"])
def claim_next(me: Me, c: C, task_id: Annotated[int | None, Body(embed=True)] = None,
               contributor: Annotated[str | None, Body(embed=True)] = None,
               claimed_by: Annotated[str | None, Body(embed=True)] = None,
               application: Annotated[str | None, Body(embed=True)] = None,
               text: Annotated[str | None, Body(embed=True)] = None,
               include_own: Annotated[bool, Body(embed=True)] = False,
               submitted_after: Annotated[dt.datetime | None, Body(embed=True)] = None,
               submitted_before: Annotated[dt.datetime | None, Body(embed=True)] = None
               ) -> Any:
    """Claim the oldest claimable submission that matches the filter (the queue's filter
    fields but the states); 204 if there is none."""
    f = queue_filter(task_id=task_id, contributor=contributor, claimed_by=claimed_by,
                     application=application, text=text, include_own=include_own,
                     submitted_after=submitted_after, submitted_before=submitted_before)
    r = c.svc.claim_next(actor=me.actor, filters=f)
    return Response(status_code=204) if r is None else JSONResponse(plain(r))


@router.post("/v1/submissions/{sid}/claim", tags=["review"])
def claim(sid: int, me: Me, c: C) -> JSONResponse:
    return JSONResponse(plain(c.svc.claim(actor=me.actor, submission_id=sid)))


@router.post("/v1/submissions/{sid}/release", tags=["review"])
def release(sid: int, me: Me, c: C) -> JSONResponse:
    return JSONResponse(plain(c.svc.release(actor=me.actor, submission_id=sid)))


def _comment(d: dict[str, Any]) -> CommentIn:
    try:
        return CommentIn(body=str(d["body"]), step_index=d.get("step_index"),
                         step_id=d.get("step_id"), t_start_us=d.get("t_start_us"),
                         t_end_us=d.get("t_end_us"))
    except (KeyError, TypeError):
        raise we.InvalidInput("A comment is {body, step_index?, step_id?, t_start_us?, "
                              "t_end_us?}.") from None


@router.post("/v1/submissions/{sid}/comments", tags=["review"], status_code=201)
def comment(sid: int, me: Me, c: C, body: Annotated[str, Body()],
            step_index: Annotated[int | None, Body()] = None,
            step_id: Annotated[str | None, Body()] = None,
            t_start_us: Annotated[int | None, Body()] = None,
            t_end_us: Annotated[int | None, Body()] = None) -> dict[str, Any]:
    return plain_dict(c.svc.add_comment(actor=me.actor, submission_id=sid, comment=CommentIn(
        body, step_index, step_id, t_start_us, t_end_us)))


@router.post("/v1/submissions/{sid}/approve", tags=["review"])
def approve(sid: int, me: Me, c: C, quality: Annotated[int, Body()],
            note: Annotated[str | None, Body()] = None) -> dict[str, Any]:
    return plain_dict(c.svc.approve(actor=me.actor, submission_id=sid, quality=quality,
                                    note=note))


@router.post("/v1/submissions/{sid}/request-changes", tags=["review"])
def request_changes(sid: int, me: Me, c: C,
                    comments: Annotated[list[dict[str, Any]], Body()],
                    reason: Annotated[str | None, Body()] = None) -> dict[str, Any]:
    return plain_dict(c.svc.request_changes(actor=me.actor, submission_id=sid,
                                            comments=[_comment(x) for x in comments],
                                            reason=reason))


@router.post("/v1/submissions/{sid}/reject", tags=["review"])
def reject(sid: int, me: Me, c: C, reason: Annotated[str, Body(embed=True)]
           ) -> dict[str, Any]:
    return plain_dict(c.svc.reject(actor=me.actor, submission_id=sid, reason=reason))
