"""The team server's HTTP API: ``create_app(config)``, a FastAPI application.

A thin layer over ``annotator.workflow.service.Services`` (every domain rule lives there), the
object store (presigned URLs only: no package byte passes through the API) and the job
queue.  Versioned under ``/v1``; the OpenAPI description is at ``/v1/openapi.json`` and
browsable at ``/v1/docs``.

Errors are JSON ``{"error": <class>, "message": ..., "hint": ...}`` with the status of their
kind: 401 (no valid token), 403 (role), 404 (not there, or not yours), 409 (state), 422 (bad
input, refused package), 429 (rate limit), 503 (database, object store or queue down).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Body, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from annotator import __version__
from annotator.errors import AnnotatorError
from annotator.server import authz, tokens
from annotator.server.config import ServerConfig
from annotator.server.jobs import JobQueue, QueueUnavailable, new_export_id, record_job
from annotator.server.objects import (
    ObjectStore,
    S3BlobStore,
    accepted_key,
    incoming_key,
)
from annotator.server.ratelimit import RateLimited, RateLimiter
from annotator.store.db import Store, open_store
from annotator.store.errors import StoreError, StoreUnavailable
from annotator.store.server_models import Job, Upload
from annotator.workflow import errors as we
from annotator.workflow.service import CommentIn, QueueFilter, Services
from annotator.workflow.states import Role, State

log = logging.getLogger("annotator.server")
MAX_PARTS = 10_000
S3_MIN_PART = 5 << 20
_SHA = r"^[0-9a-f]{64}$"


@dataclass
class Ctx:
    cfg: ServerConfig
    store: Store
    svc: Services
    objects: ObjectStore
    queue: JobQueue
    limiter: RateLimiter


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


def plain(obj: Any) -> Any:
    """Results of the services as JSON-ready values (named tuples keep their field names)."""
    if hasattr(obj, "_asdict"):
        return {k: plain(v) for k, v in obj._asdict().items()}
    if is_dataclass(obj) and not isinstance(obj, type):
        return {k: plain(v) for k, v in asdict(obj).items()}
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [plain(v) for v in obj]
    if isinstance(obj, dt.datetime):
        return obj.isoformat()
    return obj


def get_ctx(request: Request) -> Ctx:
    return request.app.state.get_ctx()


def principal(request: Request, c: Annotated[Ctx, Depends(get_ctx)]) -> tokens.Principal:
    """The bearer token's principal (401 otherwise); a read token only reads."""
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else None
    with c.store.connect(write=True) as conn:
        p = tokens.authenticate(conn, token, c.svc.now())
    authz.check_scope(p, request.method)
    return p


C = Annotated[Ctx, Depends(get_ctx)]
Me = Annotated[tokens.Principal, Depends(principal)]


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
                               RateLimiter(cfg.redis_url))
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

    # -- tokens ----------------------------------------------------------------------------
    @app.post("/v1/auth/token", tags=["auth"], status_code=201)
    def login(request: Request, c: C, name: Annotated[str, Body(max_length=64)],
              passphrase: Annotated[str, Body(max_length=1024)],
              token_name: Annotated[str, Body(max_length=64)] = "desktop app",
              scope: Annotated[str, Body(pattern="^(full|read)$")] = "full",
              days: Annotated[int | None, Body(ge=1, le=366)] = None) -> dict[str, Any]:
        """Trade a passphrase for a personal access token (rate-limited per name and
        address)."""
        ip = request.client.host if request.client else "?"
        c.limiter.hit("login", cfg.login_rate, ip, name.lower())
        actor = c.svc.sign_in(name=name, passphrase=passphrase)
        now = c.svc.now()
        with c.store.write() as s:
            token, row = tokens.issue(s, actor=actor, name=token_name, scope=scope, now=now,
                                      ttl=dt.timedelta(days=days or cfg.token_ttl_days))
            info = tokens.info(row)
        return {"token": token, "token_info": plain(info), "user": plain(actor)}

    @app.delete("/v1/auth/token", tags=["auth"], status_code=204)
    def logout(me: Me, c: C) -> Response:
        with c.store.write() as s:
            tokens.revoke(s, user_id=me.actor.user_id, token_id=me.token_id, now=c.svc.now())
        return Response(status_code=204)

    @app.get("/v1/me", tags=["auth"])
    def whoami(me: Me) -> dict[str, Any]:
        return {"user": plain(me.actor), "scope": me.scope,
                "token_expires_at": me.expires_at.isoformat()}

    @app.get("/v1/me/tokens", tags=["auth"])
    def my_tokens(me: Me, c: C) -> list[dict[str, Any]]:
        with c.store.read() as s:
            return plain(tokens.list_tokens(s, user_id=me.actor.user_id))

    @app.delete("/v1/me/tokens/{token_id}", tags=["auth"])
    def revoke_token(token_id: int, me: Me, c: C) -> dict[str, Any]:
        with c.store.write() as s:
            return plain(tokens.revoke(s, user_id=me.actor.user_id, token_id=token_id,
                                       now=c.svc.now()))

    @app.post("/v1/me/passphrase", tags=["auth"])
    def change_passphrase(me: Me, c: C, current: Annotated[str, Body()],
                          new: Annotated[str, Body()]) -> dict[str, Any]:
        return {"user": plain(c.svc.change_passphrase(actor=me.actor, current=current,
                                                       new=new))}

    @app.get("/v1/me/payee", tags=["auth"])
    def get_payee(me: Me, c: C) -> Any:
        return c.svc.get_payee(actor=me.actor)

    @app.put("/v1/me/payee", tags=["auth"])
    def set_payee(me: Me, c: C, legal_name: Annotated[str, Body()],
                  payment_details: Annotated[str, Body()]) -> Any:
        return plain(c.svc.set_payee(actor=me.actor, legal_name=legal_name,
                                     payment_details=payment_details))

    @app.get("/v1/me/data", tags=["auth"])
    def my_data(me: Me, c: C) -> dict[str, Any]:
        """Everything the server holds about the caller (the files are listed: fetch each
        through ``/v1/submissions/{sid}/files/{path}``)."""
        return JSONResponse(plain(c.svc.my_data(actor=me.actor)))

    @app.post("/v1/me/withdraw-all", tags=["withdrawal"])
    def withdraw_all(me: Me, c: C, delete_account: Annotated[bool, Body(embed=True)] = False
                     ) -> dict[str, Any]:
        r = c.svc.withdraw_everything(actor=me.actor, delete_account=delete_account)
        if delete_account:
            with c.store.write() as s:
                tokens.revoke_all(s, user_id=me.actor.user_id, now=c.svc.now())
        return plain(r)

    # -- users (admins) ----------------------------------------------------------------------
    @app.get("/v1/users", tags=["admin"])
    def list_users(me: Me, c: C, include_deleted: bool = False) -> list[dict[str, Any]]:
        return plain(c.svc.list_users(actor=me.actor, include_deleted=include_deleted))

    @app.post("/v1/users", tags=["admin"], status_code=201)
    def invite(me: Me, c: C, name: Annotated[str, Body()],
               role: Annotated[str, Body(pattern="^(contributor|reviewer|admin)$")]
               ) -> dict[str, Any]:
        return plain(c.svc.invite_user(actor=me.actor, name=name, role=role))

    @app.post("/v1/users/{name}/reset", tags=["admin"])
    def reset(name: str, me: Me, c: C) -> dict[str, Any]:
        pw = c.svc.reset_passphrase(actor=me.actor, name=name)
        return {"name": name, "passphrase": pw}

    @app.put("/v1/users/{name}/role", tags=["admin"])
    def set_role(name: str, me: Me, c: C, role: Annotated[str, Body(embed=True)]
                 ) -> dict[str, Any]:
        return plain(c.svc.set_role(actor=me.actor, name=name, role=role))

    @app.post("/v1/users/{name}/disable", tags=["admin"])
    def disable(name: str, me: Me, c: C) -> dict[str, Any]:
        return plain(c.svc.set_disabled(actor=me.actor, name=name, disabled=True))

    @app.post("/v1/users/{name}/enable", tags=["admin"])
    def enable(name: str, me: Me, c: C) -> dict[str, Any]:
        return plain(c.svc.set_disabled(actor=me.actor, name=name, disabled=False))

    @app.put("/v1/users/{name}/payee", tags=["admin"])
    def set_payee_of(name: str, me: Me, c: C, legal_name: Annotated[str, Body()],
                     payment_details: Annotated[str, Body()]) -> Any:
        return plain(c.svc.set_payee(actor=me.actor, legal_name=legal_name,
                                     payment_details=payment_details, name=name))

    # -- terms, tasks, rates, payouts ---------------------------------------------------------
    @app.get("/v1/terms", tags=["terms"])
    def list_terms(me: Me, c: C) -> list[dict[str, Any]]:
        return plain(c.svc.list_terms())

    @app.get("/v1/terms/current", tags=["terms"])
    def current_terms(me: Me, c: C) -> dict[str, Any]:
        return plain(c.svc.get_terms())

    @app.get("/v1/terms/{version}", tags=["terms"])
    def get_terms(version: str, me: Me, c: C) -> dict[str, Any]:
        return plain(c.svc.get_terms(version=version))

    @app.post("/v1/terms", tags=["terms"], status_code=201)
    def publish_terms(me: Me, c: C, version: Annotated[str, Body()],
                      text: Annotated[str, Body()]) -> dict[str, Any]:
        return plain(c.svc.publish_terms(actor=me.actor, version=version, text=text))

    @app.get("/v1/tasks", tags=["tasks"])
    def list_tasks(me: Me, c: C, include_closed: bool = False) -> list[dict[str, Any]]:
        return plain(c.svc.list_tasks(actor=me.actor, include_closed=include_closed))

    @app.post("/v1/tasks", tags=["tasks"], status_code=201)
    def publish_task(me: Me, c: C, title: Annotated[str, Body()], goal: Annotated[str, Body()],
                     applications: Annotated[list[str], Body()] = (),
                     difficulty: Annotated[str, Body()] = "medium",
                     pay_cents: Annotated[int | None, Body()] = None) -> dict[str, Any]:
        return plain(c.svc.publish_task(actor=me.actor, title=title, goal=goal,
                                        applications=list(applications),
                                        difficulty=difficulty, pay_cents=pay_cents))

    @app.post("/v1/tasks/{task_id}/close", tags=["tasks"])
    def close_task(task_id: int, me: Me, c: C) -> dict[str, Any]:
        return plain(c.svc.close_task(actor=me.actor, task_id=task_id))

    @app.get("/v1/rates", tags=["payments"])
    def list_rates(me: Me, c: C) -> list[dict[str, Any]]:
        return plain(c.svc.list_rates(actor=me.actor))

    @app.post("/v1/rates", tags=["payments"], status_code=201)
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

    @app.get("/v1/payouts/{month}", tags=["payments"])
    def payouts(month: str, me: Me, c: C) -> dict[str, Any]:
        return _report(c.svc.payouts(actor=me.actor, month=month))

    @app.post("/v1/payouts/{month}/close", tags=["payments"])
    def close_month(month: str, me: Me, c: C) -> dict[str, Any]:
        return _report(c.svc.close_month(actor=me.actor, month=month))

    # -- uploads -------------------------------------------------------------------------------
    def _upload_view(up: Upload) -> dict[str, Any]:
        return {"id": up.id, "state": up.state, "size": up.size, "part_size": up.part_size,
                "part_count": up.part_count, "manifest_sha256": up.manifest_sha256,
                "submission_id": up.submission_id, "error": up.error,
                "previous_id": up.previous_id, "submit": up.submit,
                "created_at": up.created_at.isoformat(),
                "updated_at": up.updated_at.isoformat()}

    @app.post("/v1/uploads", tags=["uploads"], status_code=201)
    def create_upload(me: Me, c: C, size: Annotated[int, Body(ge=1)],
                      manifest_sha256: Annotated[str, Body(pattern=_SHA)],
                      previous_id: Annotated[int | None, Body()] = None,
                      submit: Annotated[bool, Body()] = True) -> dict[str, Any]:
        """Start uploading a package archive; the server picks the object key and the part
        size.  Asking again for the same manifest returns the upload in progress."""
        c.limiter.hit("upload", cfg.upload_rate, str(me.actor.user_id))
        if me.actor.role not in (Role.CONTRIBUTOR, Role.REVIEWER, Role.ADMIN):
            raise we.PermissionDenied("This account cannot submit.")
        if size > cfg.max_package_bytes:
            raise we.InvalidInput(
                f"The package is {size / 2**20:.1f} MiB; this server takes packages up to "
                f"{cfg.max_package_bytes / 2**20:.0f} MiB.",
                "Record a shorter demonstration, or ask the admin to raise the limit.")
        part = max(cfg.part_size, -(-size // MAX_PARTS), S3_MIN_PART)
        count = max(1, -(-size // part))
        now = c.svc.now()
        with c.store.write() as s:
            existing = s.execute(sa.select(Upload).where(
                Upload.user_id == me.actor.user_id, Upload.manifest_sha256 == manifest_sha256,
                Upload.state == "uploading", Upload.size == size)
                .order_by(Upload.created_at)).scalars().first()
            if existing is not None:
                return _upload_view(existing)
        import uuid

        upload_id = uuid.uuid4().hex
        key = incoming_key(me.actor.user_id, upload_id)
        s3_id = c.objects.create_multipart(key)
        with c.store.write() as s:
            up = Upload(id=upload_id, user_id=me.actor.user_id, state="uploading",
                        object_key=key, s3_upload_id=s3_id, size=size, part_size=part,
                        part_count=count, manifest_sha256=manifest_sha256,
                        previous_id=previous_id, submit=submit, created_at=now,
                        updated_at=now)
            s.add(up)
            s.flush()
            return _upload_view(up)

    @app.get("/v1/uploads", tags=["uploads"])
    def my_uploads(me: Me, c: C, state: str | None = None) -> list[dict[str, Any]]:
        with c.store.read() as s:
            q = sa.select(Upload).where(Upload.user_id == me.actor.user_id)
            if state:
                q = q.where(Upload.state == state)
            return [_upload_view(u) for u in s.execute(q.order_by(Upload.created_at)).scalars()]

    @app.get("/v1/uploads/{upload_id}", tags=["uploads"])
    def get_upload(upload_id: str, me: Me, c: C) -> dict[str, Any]:
        with c.store.read() as s:
            return _upload_view(authz.own_upload(s, me, upload_id))

    def _uploading(up: Upload) -> None:
        if up.state != "uploading":
            raise we.Conflict(f"Upload {up.id} is {up.state}: no more parts can be sent.",
                              "Check its state with GET /v1/uploads/{id}.")

    @app.post("/v1/uploads/{upload_id}/part-urls", tags=["uploads"])
    def part_urls(upload_id: str, me: Me, c: C,
                  parts: Annotated[list[int], Body(embed=True, max_length=1000)]
                  ) -> dict[str, Any]:
        """Presigned PUT URLs for these part numbers (valid ``expires_in`` seconds)."""
        with c.store.read() as s:
            up = authz.own_upload(s, me, upload_id)
        _uploading(up)
        bad = [p for p in parts if not 1 <= p <= up.part_count]
        if bad:
            raise we.InvalidInput(f"Upload {upload_id} has parts 1 to {up.part_count}; "
                                  f"there is no part {bad[0]}.")
        ttl = cfg.part_url_ttl_s
        return {"expires_in": ttl, "urls": {str(p): c.objects.presign_part(
            up.object_key, up.s3_upload_id, p, ttl) for p in parts}}

    @app.get("/v1/uploads/{upload_id}/parts", tags=["uploads"])
    def list_parts(upload_id: str, me: Me, c: C) -> dict[str, Any]:
        """Which parts arrived (to resume after a crash or a lost connection)."""
        with c.store.read() as s:
            up = authz.own_upload(s, me, upload_id)
        if up.state != "uploading":
            return {"state": up.state, "parts": []}
        parts = c.objects.list_parts(up.object_key, up.s3_upload_id)
        return {"state": up.state, "parts": [{"number": p.number, "size": p.size}
                                             for p in parts]}

    @app.post("/v1/uploads/{upload_id}/complete", tags=["uploads"], status_code=202)
    def complete(upload_id: str, me: Me, c: C) -> dict[str, Any]:
        """Every part arrived: assemble the archive and queue its verification."""
        now = c.svc.now()
        with c.store.write() as s:
            up = authz.own_upload(s, me, upload_id, lock=True)
            if up.state != "uploading":
                raise we.Conflict(f"Upload {upload_id} was completed already ({up.state}).",
                                  "Follow its state with GET /v1/uploads/{id}.")
            parts = c.objects.list_parts(up.object_key, up.s3_upload_id)
            _check_parts(up, parts)
            c.objects.complete_multipart(up.object_key, up.s3_upload_id, parts)
            got = c.objects.head_size(up.object_key)
            if got != up.size:  # cannot happen if the parts added up; never trust it
                c.objects.delete(up.object_key)
                up.state, up.error = "rejected", f"assembled {got} bytes, not {up.size}"
                raise we.InvalidInput(f"The upload assembled to {got} bytes, not {up.size}.")
            up.state = "uploaded"
            up.completed_at = up.updated_at = now
            record_job(s, job_id=f"verify-{up.id}", kind="verify", ref=up.id, now=now)
            view = _upload_view(up)
        try:
            c.queue.enqueue(f"verify-{upload_id}", "verify")
        except QueueUnavailable as exc:  # recorded: the reconciler queues it later
            log.warning("%s", exc.message)
        return view

    def _check_parts(up: Upload, parts: list[Any]) -> None:
        have = {p.number: p.size for p in parts}
        missing = [n for n in range(1, up.part_count + 1) if n not in have]
        extra = sorted(n for n in have if n > up.part_count)
        wrong = []
        for n in range(1, up.part_count + 1):
            want = up.part_size if n < up.part_count else up.size - up.part_size * (n - 1)
            if n in have and have[n] != want:
                wrong.append(f"part {n} has {have[n]} bytes instead of {want}")
        if missing or extra or wrong:
            bits = []
            if missing:
                bits.append("missing part(s) " + ", ".join(map(str, missing[:10])))
            if extra:
                bits.append("unexpected part(s) " + ", ".join(map(str, extra[:10])))
            bits += wrong[:5]
            raise we.InvalidInput(
                f"The parts of upload {up.id} do not add up to {up.size} bytes: "
                + "; ".join(bits) + ".",
                "Ask which parts arrived (GET .../parts) and send the missing or wrong ones "
                "again.")

    @app.delete("/v1/uploads/{upload_id}", tags=["uploads"])
    def abort_upload(upload_id: str, me: Me, c: C) -> dict[str, Any]:
        with c.store.write() as s:
            up = authz.own_upload(s, me, upload_id, lock=True)
            _uploading(up)
            c.objects.abort_multipart(up.object_key, up.s3_upload_id)
            up.state, up.error = "aborted", "aborted by the contributor"
            up.updated_at = up.finished_at = c.svc.now()
            return _upload_view(up)

    # -- submissions ------------------------------------------------------------------------------
    @app.get("/v1/submissions", tags=["submissions"])
    def my_submissions(me: Me, c: C, include_withdrawn: bool = True) -> list[dict[str, Any]]:
        return plain(c.svc.my_submissions(actor=me.actor, include_withdrawn=include_withdrawn))

    @app.get("/v1/submissions/{sid}", tags=["submissions"])
    def get_submission(sid: int, me: Me, c: C) -> dict[str, Any]:
        return plain(c.svc.get_submission(actor=me.actor, submission_id=sid))

    @app.get("/v1/submissions/{sid}/files/{path:path}", tags=["submissions"])
    def file_url(sid: int, path: str, me: Me, c: C) -> dict[str, Any]:
        """A short-lived presigned URL to one file of a verified submission."""
        f = authz.readable_file(c.svc, me, sid, path)
        ttl = cfg.download_url_ttl_s
        return {"path": f.path, "sha256": f.sha256, "size": f.size, "expires_in": ttl,
                "url": c.objects.presign_get(accepted_key(f.sha256), ttl,
                                             filename=f.path.rsplit("/", 1)[-1])}

    @app.get("/v1/submissions/{sid}/history", tags=["submissions"])
    def history(sid: int, me: Me, c: C) -> list[dict[str, Any]]:
        return JSONResponse(plain(c.svc.history(actor=me.actor, submission_id=sid)))

    @app.get("/v1/submissions/{sid}/checks", tags=["submissions"])
    def checks(sid: int, me: Me, c: C) -> dict[str, Any]:
        """The server's own checks of an accepted submission (the OCR leak check)."""
        c.svc.get_submission(actor=me.actor, submission_id=sid)  # visible to the caller?
        with c.store.read() as s:
            job = s.get(Job, f"ocr-{sid}")
        if job is None:
            return {"ocr": None}
        return {"ocr": {"state": job.state, "result": job.result, "error": job.error}}

    @app.post("/v1/submissions/{sid}/submit", tags=["submissions"])
    def submit(sid: int, me: Me, c: C) -> dict[str, Any]:
        return plain(c.svc.submit(actor=me.actor, submission_id=sid))

    @app.post("/v1/submissions/{sid}/withdraw", tags=["withdrawal"])
    def withdraw(sid: int, me: Me, c: C) -> dict[str, Any]:
        return plain(c.svc.withdraw(actor=me.actor, submission_id=sid))

    # -- review -----------------------------------------------------------------------------------
    @app.get("/v1/queue", tags=["review"])
    def queue(me: Me, c: C, limit: Annotated[int, Query(ge=1, le=500)] = 50,
              offset: Annotated[int, Query(ge=0)] = 0,
              state: Annotated[list[str] | None, Query()] = None, task_id: int | None = None,
              contributor: str | None = None, claimed_by: str | None = None,
              claimable: bool = False, application: str | None = None,
              text: str | None = None, include_own: bool = False) -> list[dict[str, Any]]:
        f = _filters(state, task_id, contributor, claimed_by, claimable, application, text,
                     include_own)
        items = c.svc.list_queue(actor=me.actor, filters=f, limit=limit, offset=offset)
        # Already plain JSON: skip FastAPI's generic encoder on the hottest page.
        return JSONResponse([plain(i) for i in items])

    def _filters(state, task_id, contributor, claimed_by, claimable, application, text,
                 include_own) -> QueueFilter | None:
        kw: dict[str, Any] = {}
        if state:
            try:
                kw["states"] = tuple(State(x) for x in state)
            except ValueError:
                raise we.InvalidInput(f"Unknown state in {state}.",
                                      f"States: {', '.join(s.value for s in State)}.") from None
        for k, v in (("task_id", task_id), ("contributor", contributor),
                     ("claimed_by", claimed_by), ("application", application), ("text", text)):
            if v is not None:
                kw[k] = v
        if claimable:
            kw["claimable"] = True
        if include_own:
            kw["include_own"] = True
        return QueueFilter(**kw) if kw else None

    @app.get("/v1/stats", tags=["admin"])
    def stats(me: Me, c: C, weeks: Annotated[int, Query(ge=1, le=520)] = 12
              ) -> dict[str, Any]:
        """The admin's charts: approved minutes per week, queue size per day, rejection
        reasons (tables of columns and rows; ``times`` names the UTC time columns)."""
        from annotator.workflow.payouts import stats_to_json  # pandas: only when asked

        return JSONResponse(stats_to_json(c.svc.work_stats(actor=me.actor, weeks=weeks)))

    @app.get("/v1/queue/counts", tags=["review"])
    def queue_counts(me: Me, c: C) -> dict[str, int]:
        return c.svc.queue_counts(actor=me.actor)

    @app.post("/v1/queue/claim-next", tags=["review"])
    def claim_next(me: Me, c: C, task_id: Annotated[int | None, Body(embed=True)] = None
                   ) -> Any:
        r = c.svc.claim_next(actor=me.actor, filters=QueueFilter(task_id=task_id)
                             if task_id is not None else None)
        return Response(status_code=204) if r is None else JSONResponse(plain(r))

    @app.post("/v1/submissions/{sid}/claim", tags=["review"])
    def claim(sid: int, me: Me, c: C) -> dict[str, Any]:
        return JSONResponse(plain(c.svc.claim(actor=me.actor, submission_id=sid)))

    @app.post("/v1/submissions/{sid}/release", tags=["review"])
    def release(sid: int, me: Me, c: C) -> dict[str, Any]:
        return JSONResponse(plain(c.svc.release(actor=me.actor, submission_id=sid)))

    def _comment(d: dict[str, Any]) -> CommentIn:
        try:
            return CommentIn(body=str(d["body"]), step_index=d.get("step_index"),
                             step_id=d.get("step_id"), t_start_us=d.get("t_start_us"),
                             t_end_us=d.get("t_end_us"))
        except (KeyError, TypeError):
            raise we.InvalidInput("A comment is {body, step_index?, step_id?, t_start_us?, "
                                  "t_end_us?}.") from None

    @app.post("/v1/submissions/{sid}/comments", tags=["review"], status_code=201)
    def comment(sid: int, me: Me, c: C, body: Annotated[str, Body()],
                step_index: Annotated[int | None, Body()] = None,
                step_id: Annotated[str | None, Body()] = None,
                t_start_us: Annotated[int | None, Body()] = None,
                t_end_us: Annotated[int | None, Body()] = None) -> dict[str, Any]:
        return plain(c.svc.add_comment(actor=me.actor, submission_id=sid, comment=CommentIn(
            body, step_index, step_id, t_start_us, t_end_us)))

    @app.post("/v1/submissions/{sid}/approve", tags=["review"])
    def approve(sid: int, me: Me, c: C, quality: Annotated[int, Body()],
                note: Annotated[str | None, Body()] = None) -> dict[str, Any]:
        return plain(c.svc.approve(actor=me.actor, submission_id=sid, quality=quality,
                                   note=note))

    @app.post("/v1/submissions/{sid}/request-changes", tags=["review"])
    def request_changes(sid: int, me: Me, c: C,
                        comments: Annotated[list[dict[str, Any]], Body()],
                        reason: Annotated[str | None, Body()] = None) -> dict[str, Any]:
        return plain(c.svc.request_changes(actor=me.actor, submission_id=sid,
                                           comments=[_comment(x) for x in comments],
                                           reason=reason))

    @app.post("/v1/submissions/{sid}/reject", tags=["review"])
    def reject(sid: int, me: Me, c: C, reason: Annotated[str, Body(embed=True)]
               ) -> dict[str, Any]:
        return plain(c.svc.reject(actor=me.actor, submission_id=sid, reason=reason))

    @app.get("/v1/tombstones", tags=["withdrawal"])
    def tombstones(me: Me, c: C, since: dt.datetime | None = None) -> list[dict[str, Any]]:
        return plain(c.svc.tombstones(actor=me.actor, since=since))

    # -- exports ------------------------------------------------------------------------------------
    @app.post("/v1/exports", tags=["exports"], status_code=202)
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

    @app.get("/v1/exports/{export_id}", tags=["exports"])
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
            withdrawn = set(s.execute(sa.select(sa.literal_column("submission_id")).select_from(
                sa.table("tombstones"))).scalars())
        ttl = cfg.download_url_ttl_s
        ds = job.result.get("dataset")
        if ds is not None:
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

    @app.middleware("http")
    async def _timing(request: Request, call_next):  # noqa: ANN001
        t0 = time.perf_counter()
        response = await call_next(request)
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - t0) * 1000:.1f}"
        return response

    return app
