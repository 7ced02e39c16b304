"""Pay rates, monthly payouts and the work's figures."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse

from annotator.server import authz
from annotator.server.deps import C, Me, plain_dict, plain_list
from annotator.workflow.states import Role

router = APIRouter()


@router.get("/v1/rates", tags=["payments"])
def list_rates(me: Me, c: C) -> list[dict[str, Any]]:
    return plain_list(c.svc.list_rates(actor=me.actor))


@router.post("/v1/rates", tags=["payments"], status_code=201)
def set_rates(me: Me, c: C, per_approved_minute_cents: Annotated[int, Body()],
              per_approved_task_cents: Annotated[int, Body()],
              currency: Annotated[str, Body()] = "EUR",
              effective_from: Annotated[dt.datetime | None, Body()] = None
              ) -> dict[str, Any]:
    return plain_dict(c.svc.set_rates(actor=me.actor,
                                      per_approved_minute_cents=per_approved_minute_cents,
                                      per_approved_task_cents=per_approved_task_cents,
                                      currency=currency, effective_from=effective_from))


@router.get("/v1/payouts/unverified", tags=["payments"])
def unverified_payouts(me: Me, c: C) -> list[dict[str, Any]]:
    """Closed payouts made on minutes no file backs (paid before the server measured
    packages, or more than measured since): for admins to settle."""
    from annotator.workflow.payouts import unverified_payouts as listing

    authz.require_role(me, Role.ADMIN, doing="see unverified payouts")
    with c.store.read() as s:
        return plain_list(listing(s))


@router.get("/v1/payouts/{month}", tags=["payments"])
def payouts(month: str, me: Me, c: C) -> dict[str, Any]:
    from annotator.workflow.payouts import report_to_json  # pandas: only when asked

    return report_to_json(c.svc.payouts(actor=me.actor, month=month))


@router.post("/v1/payouts/{month}/close", tags=["payments"])
def close_month(month: str, me: Me, c: C) -> dict[str, Any]:
    from annotator.workflow.payouts import report_to_json

    return report_to_json(c.svc.close_month(actor=me.actor, month=month))


@router.get("/v1/stats", tags=["admin"])
def stats(me: Me, c: C, weeks: Annotated[int, Query(ge=1, le=520)] = 12
          ) -> JSONResponse:
    """The admin's charts: approved minutes per week, queue size per day, rejection
    reasons (tables of columns and rows; ``times`` names the UTC time columns)."""
    from annotator.workflow.payouts import stats_to_json  # pandas: only when asked

    return JSONResponse(stats_to_json(c.svc.work_stats(actor=me.actor, weeks=weeks)))
