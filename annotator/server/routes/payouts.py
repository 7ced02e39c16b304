"""Pay rates, monthly payouts and the work's figures."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse

from annotator.server.deps import C, Me, plain
from annotator.workflow import errors as we

router = APIRouter()


@router.get("/v1/rates", tags=["payments"])
def list_rates(me: Me, c: C) -> list[dict[str, Any]]:
    return plain(c.svc.list_rates(actor=me.actor))


@router.post("/v1/rates", tags=["payments"], status_code=201)
def set_rates(me: Me, c: C, per_approved_minute_cents: Annotated[int, Body()],
              per_approved_task_cents: Annotated[int, Body()],
              currency: Annotated[str, Body()] = "EUR",
              effective_from: Annotated[dt.datetime | None, Body()] = None
              ) -> dict[str, Any]:
    if effective_from is not None and effective_from.tzinfo is None:
        raise we.InvalidInput("effective_from needs a time zone.")
    return plain(c.svc.set_rates(actor=me.actor,
                                 per_approved_minute_cents=per_approved_minute_cents,
                                 per_approved_task_cents=per_approved_task_cents,
                                 currency=currency, effective_from=effective_from))


def _report(r: Any) -> dict[str, Any]:
    import json

    return {"month": r.month, "closed": r.closed,
            "closed_at": r.closed_at.isoformat() if r.closed_at else None,
            "total_cents": r.total_cents,
            "items": json.loads(r.items.to_json(orient="records", date_format="iso")),
            "summary": json.loads(r.summary.to_json(orient="records", date_format="iso"))}


@router.get("/v1/payouts/{month}", tags=["payments"])
def payouts(month: str, me: Me, c: C) -> dict[str, Any]:
    return _report(c.svc.payouts(actor=me.actor, month=month))


@router.post("/v1/payouts/{month}/close", tags=["payments"])
def close_month(month: str, me: Me, c: C) -> dict[str, Any]:
    return _report(c.svc.close_month(actor=me.actor, month=month))


@router.get("/v1/stats", tags=["admin"])
def stats(me: Me, c: C, weeks: Annotated[int, Query(ge=1, le=520)] = 12
          ) -> dict[str, Any]:
    """The admin's charts: approved minutes per week, queue size per day, rejection
    reasons (tables of columns and rows; ``times`` names the UTC time columns)."""
    from annotator.workflow.payouts import stats_to_json  # pandas: only when asked

    return JSONResponse(stats_to_json(c.svc.work_stats(actor=me.actor, weeks=weeks)))
