"""What every router of the team server shares: the per-process context, the caller's
principal (from the bearer token) and the JSON form of the services' results."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, is_dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from annotator.server import authz, tokens
from annotator.server.config import ServerConfig
from annotator.server.jobs import JobQueue
from annotator.server.objects import ObjectStore
from annotator.server.ratelimit import RateLimited, RateLimiter
from annotator.store.db import Store
from annotator.workflow import errors as we
from annotator.workflow.contract import QueueFilter
from annotator.workflow.errors import PermissionDenied
from annotator.workflow.service import Services
from annotator.workflow.states import State

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
    # Passphrase checks (Argon2: CPU and memory) running at once in this process.
    checks: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(2))


@contextlib.contextmanager
def passphrase_check(c: Ctx) -> Iterator[None]:
    """A slot for one passphrase check, or 429 at once (no hashing queues up behind a
    flood: its cost stays bounded whatever arrives)."""
    if not c.checks.acquire(blocking=False):
        raise RateLimited("The server is busy checking passphrases.",
                          "Try again in a second.", retry_after=1)
    try:
        yield
    finally:
        c.checks.release()


class PassphraseChangeRequired(PermissionDenied):
    """The account's passphrase was set by an admin: only changing it is allowed."""


# What an account whose passphrase must change may still do.
_WHILE_MUST_CHANGE = {("POST", "/v1/me/passphrase"), ("GET", "/v1/me"),
                      ("DELETE", "/v1/auth/token")}


_SCALARS = (str, int, float, type(None))  # (str and int enums, bool included)


def plain(obj: Any) -> Any:
    """Results of the services as JSON-ready values (named tuples keep their field names).
    Scalars are tested first: they are most of what a page holds."""
    if isinstance(obj, _SCALARS):
        return obj
    if isinstance(obj, dt.datetime):
        return obj.isoformat()
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # a named tuple
        return {k: plain(v) for k, v in zip(obj._fields, obj, strict=True)}
    if hasattr(obj, "_asdict"):  # a database row
        return {k: plain(v) for k, v in obj._asdict().items()}
    if is_dataclass(obj) and not isinstance(obj, type):
        return {k: plain(v) for k, v in asdict(obj).items()}
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [plain(v) for v in obj]
    return obj


def plain_dict(obj: Any) -> dict[str, Any]:
    """``plain`` of a result that is one JSON object (a record, a named tuple, a mapping)."""
    out = plain(obj)
    if not isinstance(out, dict):
        raise TypeError(f"a {type(obj).__name__} is not a JSON object")
    return out


def plain_list(obj: Any) -> list[Any]:
    """``plain`` of a result that is a list."""
    out = plain(obj)
    if not isinstance(out, list):
        raise TypeError(f"a {type(obj).__name__} is not a JSON array")
    return out


def get_ctx(request: Request) -> Ctx:
    ctx: Ctx = request.app.state.get_ctx()  # set by create_app
    return ctx


def principal(request: Request, c: Annotated[Ctx, Depends(get_ctx)]) -> tokens.Principal:
    """The bearer token's principal (401 otherwise); a read token only reads."""
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else None
    with c.store.connect(write=True) as conn:
        p = tokens.authenticate(conn, token, c.svc.now())
    authz.check_scope(p, request.method)
    if p.actor.must_change_passphrase and \
            (request.method, request.url.path) not in _WHILE_MUST_CHANGE:
        raise PassphraseChangeRequired(
            "Your passphrase was set by an admin: change it before anything else.",
            "POST /v1/me/passphrase {current, new} (annotator users passwd).")
    return p


C = Annotated[Ctx, Depends(get_ctx)]
Me = Annotated[tokens.Principal, Depends(principal)]


def queue_filter(*, state: list[str] | None = None, task_id: int | None = None,
                 contributor: str | None = None, claimed_by: str | None = None,
                 claimable: bool = False, application: str | None = None,
                 text: str | None = None, include_own: bool = False,
                 submitted_after: dt.datetime | None = None,
                 submitted_before: dt.datetime | None = None, signal: str | None = None,
                 order: str | None = None) -> QueueFilter | None:
    """The queue's filter from the fields of a request (None when none is set)."""
    kw: dict[str, Any] = {}
    if state:
        try:
            kw["states"] = tuple(State(x) for x in state)
        except ValueError:
            raise we.InvalidInput(f"Unknown state in {state}.",
                                  f"States: {', '.join(s.value for s in State)}.") from None
    for k, v in (("task_id", task_id), ("contributor", contributor),
                 ("claimed_by", claimed_by), ("application", application), ("text", text),
                 ("submitted_after", submitted_after), ("submitted_before", submitted_before),
                 ("signal", signal), ("order", order)):
        if v is not None:
            kw[k] = v
    for k, t in (("submitted_after", submitted_after), ("submitted_before", submitted_before)):
        if t is not None and t.tzinfo is None:
            raise we.InvalidInput(f"{k} needs a time zone.", "Give e.g. 2026-03-01T00:00Z.")
    if claimable:
        kw["claimable"] = True
    if include_own:
        kw["include_own"] = True
    return QueueFilter(**kw) if kw else None
