"""The team server's HTTP API: ``create_app(config)``, a FastAPI application.

A thin layer over ``annotator.workflow.service.Services`` (every domain rule lives there;
the operations are those of ``annotator.workflow.contract.WorkflowServices``), the object
store (presigned URLs only: no package byte passes through the API) and the job queue.  The
routes are in ``annotator.server.routes``, one router per concern; this module makes the
application, its error handlers and the health check.  Versioned under ``/v1``; the OpenAPI
description is at ``/v1/openapi.json`` and browsable at ``/v1/docs``.

Errors are JSON ``{"error": <class>, "message": ..., "hint": ...}`` with the status of their
kind: 401 (no valid token), 403 (role, or a passphrase change due), 404 (not there, or not
yours), 409 (state), 413 (a request body over ``ANNOTATOR_MAX_REQUEST_BYTES``, refused before
it is read: ``annotator.server.bodylimit``), 422 (bad input, a number out of range, refused
package), 429 (rate limit), 503 (database, object store or queue down).
"""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from annotator import __version__
from annotator.errors import AnnotatorError
from annotator.server.bodylimit import ASGIApp, BodyLimit, Message, Receive, Scope, Send
from annotator.server.config import ServerConfig
from annotator.server.deps import Ctx, plain
from annotator.server.jobs import JobQueue
from annotator.server.objects import ObjectStore, S3BlobStore
from annotator.server.ratelimit import RateLimited, RateLimiter
from annotator.server.routes import ROUTERS
from annotator.store.db import open_store
from annotator.store.errors import StoreError, StoreUnavailable
from annotator.workflow import errors as we
from annotator.workflow.service import Services

__all__ = ["Ctx", "create_app", "plain"]


def _status(exc: AnnotatorError) -> int:
    if isinstance(exc, RateLimited):
        return 429
    if isinstance(exc, StoreUnavailable):
        return 503
    if isinstance(exc, we.AuthenticationFailed):
        return 401
    if isinstance(exc, we.NotFound):
        return 404
    if isinstance(exc, we.PermissionDenied):
        return 403
    if isinstance(exc, we.Conflict | we.ForbiddenTransition | we.SetupError):
        return 409
    if isinstance(exc, we.InvalidInput | we.ReasonRequired | we.PackageError):
        return 422
    if isinstance(exc, StoreError):
        return 502
    return 400


def _error(status: int, exc: AnnotatorError, headers: dict[str, str] | None = None
           ) -> JSONResponse:
    return JSONResponse({"error": type(exc).__name__, "message": exc.message,
                         "hint": exc.hint}, status_code=status, headers=headers)


class ServerTiming:
    """The API's own time for a request, until its answer starts, in a ``Server-Timing``
    header (the benchmark reads it).  Plain ASGI: Starlette's ``BaseHTTPMiddleware`` would
    run every request through a task group and a memory stream."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                ms = (time.perf_counter() - t0) * 1000
                message["headers"] = [*message.get("headers", ()),
                                      (b"server-timing", f"app;dur={ms:.1f}".encode())]
            await send(message)

        await self.app(scope, receive, timed_send)


def create_app(cfg: ServerConfig | None = None) -> FastAPI:
    cfg = cfg or ServerConfig.from_env()
    app = FastAPI(title="annotator team server", version=__version__,
                  description="Submission, review, withdrawal, payout and export services of "
                  "annotator over HTTP (docs/server.md).",
                  openapi_url="/v1/openapi.json", docs_url="/v1/docs", redoc_url=None)
    state: dict[str, Ctx] = {}

    def ctx() -> Ctx:
        # Opened lazily (per Uvicorn worker process) so that a database down at start-up
        # gives 503s with a reason, not a dead server.
        if "ctx" not in state:
            objects = ObjectStore(cfg)
            store = open_store(database_url=cfg.database_url, blobs=S3BlobStore(objects),
                               migrate="check")
            state["ctx"] = Ctx(cfg, store, Services(store), objects, JobQueue(cfg.redis_url),
                               RateLimiter(cfg.redis_url),
                               threading.BoundedSemaphore(cfg.login_concurrency))
        return state["ctx"]

    app.state.get_ctx = ctx

    @app.exception_handler(AnnotatorError)
    def _annotator_error(_request: Request, exc: AnnotatorError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, we.AuthenticationFailed) \
            else ({"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None)
        return _error(_status(exc), exc, headers)

    @app.exception_handler(RequestValidationError)
    def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        where = "; ".join(f"{'.'.join(str(x) for x in e.get('loc', ()))}: {e.get('msg')}"
                          for e in exc.errors()[:5])
        return _error(422, we.InvalidInput(f"The request is malformed: {where}.",
                                           "See the API description at /v1/docs."))

    @app.exception_handler(sa.exc.OperationalError)
    def _db_down(_request: Request, exc: sa.exc.OperationalError) -> JSONResponse:
        return _error(503, StoreUnavailable(
            f"The database cannot be reached: {str(exc.orig or exc).splitlines()[0]}.",
            "Try again shortly; nothing was changed."))

    @app.exception_handler(sa.exc.DataError)
    def _out_of_range(_request: Request, exc: sa.exc.DataError) -> JSONResponse:
        # The last line of defence: numbers are range-checked where they are read.
        return _error(422, we.InvalidInput(
            "A value of the request is out of range for this server (a number too large?).",
            "Check the numbers sent; ids and counts are positive and below 2**31."))

    @app.exception_handler(sa.exc.InterfaceError)
    def _db_down2(_request: Request, exc: sa.exc.InterfaceError) -> JSONResponse:
        return _error(503, StoreUnavailable("The database connection failed.",
                                            "Try again shortly; nothing was changed."))

    # -- health --------------------------------------------------------------------------
    @app.get("/v1/health", tags=["server"])
    def health() -> JSONResponse:
        problems = {}
        try:
            c = ctx()
            with c.store.connect(write=False) as conn:
                conn.exec_driver_sql("SELECT 1")
        except AnnotatorError as exc:
            return _error(503, exc)
        for name, check in (("object store", c.objects.check), ("queue", c.queue.ping)):
            try:
                check()
            except AnnotatorError as exc:
                problems[name] = exc.message
        if problems:
            return JSONResponse({"ok": False, "problems": problems, "error": "Unavailable",
                                 "message": "; ".join(problems.values()),
                                 "hint": "Start the services named."}, status_code=503)
        return JSONResponse({"ok": True, "version": __version__})


    # The routes, one router per concern, each a thin adapter over ``Services`` (the
    # workflow contract) and the object store.  Order matters only within a router.
    for router in ROUTERS:
        app.include_router(router)

    app.add_middleware(ServerTiming)
    # Outermost of ours: a body over the limit is refused before anything reads it.
    app.add_middleware(BodyLimit, max_bytes=cfg.max_request_bytes)
    return app
