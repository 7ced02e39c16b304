"""Quality signals: a submission's set, the contributor's answers, the rates per contributor."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse

from annotator.server.deps import C, Me, plain, plain_dict
from annotator.workflow.contract import SubmissionId

router = APIRouter()


@router.get("/v1/submissions/{sid}/signals", tags=["signals"])
def submission_signals(sid: int, me: Me, c: C) -> JSONResponse:
    return JSONResponse(plain(c.svc.submission_signals(actor=me.actor,
                                                       submission_id=SubmissionId(sid))))


@router.post("/v1/submissions/{sid}/signals/answers", tags=["signals"])
def answer_signal(sid: int, me: Me, c: C, signal_key: Annotated[str, Body()],
                  body: Annotated[str, Body()]) -> dict[str, Any]:
    return plain_dict(c.svc.answer_signal(actor=me.actor, submission_id=SubmissionId(sid),
                                          signal_key=signal_key, body=body))


@router.get("/v1/signals/rates", tags=["signals"])
def signal_rates(me: Me, c: C, weeks: Annotated[int, Query(ge=1, le=520)] = 12
                 ) -> JSONResponse:
    return JSONResponse(plain(c.svc.signal_rates(actor=me.actor, weeks=weeks)))
