"""The leak checks of stored packages: each submission's latest check for those who may
see it, and the admin's request to check again the packages made before the current check
(``annotator.submission.leak_rescan``, ``annotator.server.leak_jobs``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from annotator.server.deps import C, Me, plain

router = APIRouter()


@router.get("/v1/leak-reports", tags=["submissions"])
def leak_reports(me: Me, c: C) -> JSONResponse:
    """The latest leak check of each submission the caller may see (their own; all for
    reviewers and admins), with the server-made exports holding it."""
    from annotator.submission.leak_rescan import reports

    return JSONResponse(plain(reports(c.svc, actor=me.actor)))


@router.post("/v1/leak-reports/rescan", tags=["admin"])
def leak_rescan(me: Me, c: C) -> dict[str, Any]:
    """Admins: check again, as jobs, every package made before the current check."""
    from annotator.server import leak_jobs
    from annotator.submission.leak_rescan import require_admin

    require_admin(c.svc, me.actor)
    return {"scheduled": leak_jobs.schedule(c, c.svc.now())}
