"""Review quality: the blind-review mix, gold items, blind reviews, reviewers' agreement."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from annotator.server import authz
from annotator.server.deps import C, Me, plain, plain_dict
from annotator.server.objects import accepted_key
from annotator.workflow.contract import SubmissionId

router = APIRouter()


@router.put("/v1/review-mix", tags=["review"])
def set_review_mix(me: Me, c: C, gold_rate: Annotated[float, Body()],
                   second_rate: Annotated[float, Body()]) -> dict[str, float]:
    return c.svc.set_review_mix(actor=me.actor, gold_rate=gold_rate, second_rate=second_rate)


@router.post("/v1/submissions/{sid}/gold", tags=["review"])
def mark_gold(sid: int, me: Me, c: C, decision: Annotated[str, Body()],
              quality: Annotated[int | None, Body()] = None,
              note: Annotated[str | None, Body()] = None) -> dict[str, Any]:
    c.svc.mark_gold(actor=me.actor, submission_id=SubmissionId(sid), decision=decision,
                    quality=quality, note=note)
    return {"submission_id": sid, "gold": True}


@router.post("/v1/blind-reviews/next", tags=["review"])
def next_blind_review(me: Me, c: C) -> JSONResponse:
    return JSONResponse(plain(c.svc.next_blind_review(actor=me.actor)))


@router.get("/v1/blind-reviews/{review_id}", tags=["review"])
def open_blind_review(review_id: int, me: Me, c: C) -> JSONResponse:
    return JSONResponse(plain(c.svc.open_blind_review(actor=me.actor, review_id=review_id)))


@router.get("/v1/blind-reviews/{review_id}/files/{path:path}", tags=["review"])
def blind_file_url(review_id: int, path: str, me: Me, c: C) -> dict[str, Any]:
    """A short-lived presigned URL to one file of a blind review's package (by content: the
    URL names no submission)."""
    f = authz.readable_blind_file(c.svc, me, review_id, path)
    ttl = c.cfg.download_url_ttl_s
    return {"path": f.path, "sha256": f.sha256, "size": f.size, "expires_in": ttl,
            "url": c.objects.presign_get(accepted_key(f.sha256), ttl,
                                         filename=f.path.rsplit("/", 1)[-1])}


@router.post("/v1/blind-reviews/{review_id}/decide", tags=["review"])
def decide_blind_review(review_id: int, me: Me, c: C, decision: Annotated[str, Body()],
                        quality: Annotated[int | None, Body()] = None) -> dict[str, Any]:
    return plain_dict(c.svc.decide_blind_review(actor=me.actor, review_id=review_id,
                                                decision=decision, quality=quality))


@router.get("/v1/reviewers/agreement", tags=["review"])
def reviewer_agreement(me: Me, c: C) -> JSONResponse:
    return JSONResponse(plain(c.svc.reviewer_agreement(actor=me.actor)))
