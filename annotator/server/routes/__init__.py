"""The team server's routes, one router per concern (the same concerns as
``annotator.workflow.ops``): each route reads its request, calls one operation of the
services and returns its result as JSON."""

from __future__ import annotations

from annotator.server.routes import (
    accounts,
    exports,
    ingest,
    jobs,
    leaks,
    payouts,
    queries,
    review,
    reviewquality,
    signals,
    terms_tasks,
    withdrawal,
)

ROUTERS = [accounts.router, terms_tasks.router, payouts.router, ingest.router, queries.router,
           review.router, withdrawal.router, exports.router, jobs.router,
           signals.router, reviewquality.router, leaks.router]
