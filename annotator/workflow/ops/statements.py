"""The core tables' aliases and the prepared statements of the hot paths, built once:
building ORM aliases on every call costs milliseconds (benchmarks/review_queue.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from annotator.store import models as m
from annotator.store.fastsql import Prepared
from annotator.workflow.contract import QueueFilter
from annotator.workflow.states import State

MAX_PAGE = 500
_STATES = {s.value: s for s in State}

# call costs milliseconds (benchmarks/review_queue.py).
_U = cast(sa.Table, m.User.__table__)
_S = cast(sa.Table, m.Submission.__table__)
_TK = cast(sa.Table, m.Task.__table__)
_TR = cast(sa.Table, m.Transition.__table__)
_SIG = cast(sa.Table, m.SignalSet.__table__)
_CONTRIB = _U.alias("contributor")
_CLAIMER = _U.alias("claimer")
_REVIEWER = _U.alias("reviewer")
_INFO = sa.select(
    _S.c.id, _S.c.lineage, _S.c.version, _S.c.previous_id, _CONTRIB.c.pseudonym, _S.c.task_id,
    _TK.c.title, _S.c.state, _CLAIMER.c.pseudonym, _S.c.lock_expires_at,
    _REVIEWER.c.pseudonym, _S.c.quality, _S.c.decision_reason, _S.c.goal, _S.c.duration_us,
    _S.c.step_count, _S.c.total_bytes, _S.c.manifest_sha256, _S.c.created_at,
    _S.c.submitted_at, _S.c.decided_at, _S.c.withdrawn_at,
).select_from(
    _S.join(_CONTRIB, _CONTRIB.c.id == _S.c.contributor_id)
    .outerjoin(_CLAIMER, _CLAIMER.c.id == _S.c.claimed_by_id)
    .outerjoin(_REVIEWER, _REVIEWER.c.id == _S.c.reviewer_id)
    .outerjoin(_TK, _TK.c.id == _S.c.task_id)
)
_QUEUE = sa.select(
    _S.c.id, _S.c.version, _CONTRIB.c.pseudonym, _S.c.task_id, _TK.c.title, _S.c.goal,
    _S.c.state, _CLAIMER.c.pseudonym, _S.c.lock_expires_at, _S.c.submitted_at,
    _S.c.duration_us, _S.c.step_count,
    sa.func.coalesce(_SIG.c.max_severity, -1), sa.func.coalesce(_SIG.c.signal_count, 0),
).select_from(
    _S.join(_CONTRIB, _CONTRIB.c.id == _S.c.contributor_id)
    .outerjoin(_CLAIMER, _CLAIMER.c.id == _S.c.claimed_by_id)
    .outerjoin(_TK, _TK.c.id == _S.c.task_id)
    .outerjoin(_SIG, _SIG.c.submission_id == _S.c.id)
)
# The queue's orders: oldest first, or the most serious signals first (then oldest).
QUEUE_ORDERS = {
    "oldest": (_S.c.submitted_at, _S.c.id),
    "severity": (sa.func.coalesce(_SIG.c.max_severity, 0).desc(), _S.c.submitted_at, _S.c.id),
}
_ACTOR = sa.select(_U.c.id, _U.c.role, _U.c.pseudonym, _U.c.disabled_at,
                   _U.c.deleted_at).where(_U.c.id == sa.bindparam("uid"))
_ROW = sa.select(_S.c.id, _S.c.state, _S.c.contributor_id, _S.c.claimed_by_id,
                 _S.c.lock_expires_at)
_PSEUDONYM = sa.select(_U.c.pseudonym).where(_U.c.id == sa.bindparam("uid"))
_INFO_BY_ID = _INFO.where(_S.c.id == sa.bindparam("sid"))
# The queue's states as literals, so that SQLite can use the partial index of open items.
_OPEN = _S.c.state.in_([sa.literal_column(f"'{s}'") for s in ("submitted", "in_review")])
_QUEUE_PAGE = (
    _QUEUE.where(_OPEN, _S.c.contributor_id != sa.bindparam("me"))
    .order_by(_S.c.submitted_at, _S.c.id)
    .limit(sa.bindparam("lim")).offset(sa.bindparam("off"))
)


def _next(waiting: bool, pg: bool) -> sa.Select[*tuple[Any, ...]]:
    cond = (_S.c.state == sa.literal_column("'submitted'") if waiting else sa.and_(
        _S.c.state == sa.literal_column("'in_review'"),
        _S.c.lock_expires_at <= sa.bindparam("now", type_=m.UTCDateTime())))
    q = (_ROW.where(cond, _S.c.contributor_id != sa.bindparam("me"))
         .order_by(_S.c.submitted_at, _S.c.id).limit(1))
    return q.with_for_update(skip_locked=True, of=_S) if pg else q


_LOG = Prepared(_TR.insert().values(
    submission_id=sa.bindparam("submission_id"), action=sa.bindparam("action"),
    from_state=sa.bindparam("from_state"), to_state=sa.bindparam("to_state"),
    actor_id=sa.bindparam("actor_id"), at=sa.bindparam("at", type_=m.UTCDateTime()),
    reason=sa.bindparam("reason", type_=sa.Text())))
_SET_CLAIM = Prepared(_S.update().where(_S.c.id == sa.bindparam("sid")).values(
    state=sa.bindparam("state"), claimed_by_id=sa.bindparam("claimer"),
    lock_expires_at=sa.bindparam("until", type_=m.UTCDateTime()),
    updated_at=sa.bindparam("now", type_=m.UTCDateTime())))
_NEXT_WAITING = {pg: Prepared(_next(True, pg)) for pg in (False, True)}
_NEXT_EXPIRED = {pg: Prepared(_next(False, pg)) for pg in (False, True)}
_ROW_BY_ID = {pg: Prepared(_ROW.where(_S.c.id == sa.bindparam("sid")).with_for_update())
              for pg in (False, True)}
_ACTOR_P = Prepared(_ACTOR)
_PSEUDONYM_P = Prepared(_PSEUDONYM)
_INFO_BY_ID_P = Prepared(_INFO_BY_ID)
_QUEUE_PAGE_P = Prepared(_QUEUE_PAGE)


class _Row(NamedTuple):
    id: int
    state: str
    contributor_id: int
    claimed_by_id: int | None
    lock_expires_at: dt.datetime | None


def _c(s: Session | sa.Connection) -> sa.Connection:
    """The connection under a session (flushed first: prepared statements bypass the ORM's
    autoflush) or the connection itself."""
    if isinstance(s, Session):
        s.flush()
        return s.connection()
    return s



_NO_FILTER = QueueFilter()
