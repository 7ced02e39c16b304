"""The upload and job state machines of the team server, as tables (like the review one in
``annotator.workflow.states``), with their append-only history.

Every state change of an upload or a job is one row of ``UPLOAD_RULES`` or ``JOB_RULES``: an
action, the states it may start from, the state it leads to, who does it, and whether it
needs a reason.  ``move_upload`` and ``move_job`` are the only way a row changes state:
they check the table (a forbidden change is a ``Conflict``, never a silent write), set the
state and its times, and append the change to ``upload_transitions`` or
``job_transitions`` in the same transaction (the database refuses UPDATE and DELETE on
those).  Routes, jobs, the reconciler and the reaper call them; no state string is written
anywhere else.

Uploads::

    uploading --complete--> uploaded --start--> verifying --accept--> accepted
        |                      ^   |                |  \\--reject--> rejected (reason)
        |                      |   |                \\--requeue--> uploaded (worker died,
        |                      |   \\--expire--> rejected (never verified in time)  store down)
        +--abort--> aborted    +-- cancel (from uploading, uploaded, verifying) --> cancelled

Jobs::

    queued --start--> running --finish--> done
      ^  |               |  \\--fail--> failed (reported an error no retry can fix)
      |  |               \\--retry--> queued (worker died, a service was down; attempts left)
      |  +--bury-------------------> dead (no attempts left: the dead letters an admin sees)
      +--------revive (an admin) ---- dead, failed
    queued, running, dead --cancel--> cancelled (what it worked on was withdrawn)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from annotator.workflow.errors import Conflict, InvalidInput


class UploadState(StrEnum):
    UPLOADING = "uploading"  # a multipart upload into incoming/, parts arriving
    UPLOADED = "uploaded"  # assembled; waiting for a verification worker
    VERIFYING = "verifying"  # a worker is verifying it
    ACCEPTED = "accepted"  # verified and ingested: names its submission
    REJECTED = "rejected"  # refused, with the reason the contributor sees
    ABORTED = "aborted"  # given up by the contributor, or abandoned and reaped
    CANCELLED = "cancelled"  # the contributor withdrew everything or deleted the account


class UploadAction(StrEnum):
    CREATE = "create"
    COMPLETE = "complete"
    START = "start"
    REQUEUE = "requeue"
    ACCEPT = "accept"
    REJECT = "reject"
    EXPIRE = "expire"
    ABORT = "abort"
    CANCEL = "cancel"


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # the job ran and reported an error that retrying cannot fix
    DEAD = "dead"  # out of attempts: an admin sees it and may retry it
    CANCELLED = "cancelled"  # its subject was withdrawn: nothing left to do


class JobAction(StrEnum):
    CREATE = "create"
    START = "start"
    FINISH = "finish"
    FAIL = "fail"
    RETRY = "retry"
    BURY = "bury"
    REVIVE = "revive"
    CANCEL = "cancel"


FINAL_UPLOAD_STATES = frozenset({UploadState.ACCEPTED, UploadState.REJECTED,
                                 UploadState.ABORTED, UploadState.CANCELLED})
OPEN_UPLOAD_STATES = frozenset(UploadState) - FINAL_UPLOAD_STATES
FINAL_JOB_STATES = frozenset({JobState.DONE, JobState.FAILED, JobState.DEAD,
                              JobState.CANCELLED})


@dataclass(frozen=True)
class Rule:
    action: str
    sources: frozenset[str | None]
    target: str
    by: str  # who does it (for the docs and the history's readers)
    needs_reason: bool = False
    note: str = ""


def _r(action: StrEnum, sources: tuple[StrEnum | None, ...], target: StrEnum, by: str, *,
       reason: bool = False, note: str = "") -> Rule:
    return Rule(action.value, frozenset(s.value if s is not None else None for s in sources),
                target.value, by, reason, note)


U, UA = UploadState, UploadAction
UPLOAD_RULES: tuple[Rule, ...] = (
    _r(UA.CREATE, (None,), U.UPLOADING, "contributor",
       note="POST /v1/uploads: a multipart upload into incoming/ starts"),
    _r(UA.COMPLETE, (U.UPLOADING,), U.UPLOADED, "contributor",
       note="every part arrived with its signed length; the verify job is queued"),
    _r(UA.START, (U.UPLOADED,), U.VERIFYING, "worker",
       note="a verification worker takes it"),
    _r(UA.REQUEUE, (U.VERIFYING,), U.UPLOADED, "worker, reconciler", reason=True,
       note="the worker died or a service was down: verified again later"),
    _r(UA.ACCEPT, (U.VERIFYING,), U.ACCEPTED, "worker",
       note="every figure verified, ingested: names its submission"),
    _r(UA.REJECT, (U.UPLOADING, U.VERIFYING), U.REJECTED, "worker, API", reason=True,
       note="anything wrong with the package (any error while verifying it); its objects "
            "are deleted"),
    _r(UA.EXPIRE, (U.UPLOADED,), U.REJECTED, "reaper", reason=True,
       note="never verified within the abandon time (its job dead and not retried)"),
    _r(UA.ABORT, (U.UPLOADING,), U.ABORTED, "contributor, reaper", reason=True,
       note="given up, or abandoned longer than the abandon time"),
    _r(UA.CANCEL, (U.UPLOADING, U.UPLOADED, U.VERIFYING), U.CANCELLED, "contributor",
       reason=True, note="withdraw everything, or delete the account: it never becomes a "
                         "submission"),
)

J, JA = JobState, JobAction
JOB_RULES: tuple[Rule, ...] = (
    _r(JA.CREATE, (None,), J.QUEUED, "API, worker, reconciler",
       note="recorded in PostgreSQL, then put on the Redis queue"),
    _r(JA.START, (J.QUEUED,), J.RUNNING, "worker", note="one attempt more"),
    _r(JA.FINISH, (J.RUNNING,), J.DONE, "worker", note="its result is kept"),
    _r(JA.FAIL, (J.RUNNING,), J.FAILED, "worker", reason=True,
       note="ran and reported an error that retrying cannot fix"),
    _r(JA.RETRY, (J.RUNNING,), J.QUEUED, "worker, reconciler", reason=True,
       note="a service was down or the worker died; attempts are left"),
    _r(JA.BURY, (J.QUEUED, J.RUNNING), J.DEAD, "worker, reconciler", reason=True,
       note="its attempts are used up: a dead letter, listed for admins"),
    _r(JA.REVIVE, (J.DEAD, J.FAILED), J.QUEUED, "admin",
       note="an admin retries it (its attempts start again)"),
    _r(JA.CANCEL, (J.QUEUED, J.RUNNING, J.DEAD), J.CANCELLED, "contributor, worker",
       reason=True, note="what it worked on was withdrawn or deleted"),
)

_UPLOAD_TABLE = {r.action: r for r in UPLOAD_RULES}
_JOB_TABLE = {r.action: r for r in JOB_RULES}


def _check(table: dict[str, Rule], what: str, ident: str, action: str, state: str | None,
           reason: str | None) -> Rule:
    rule = table.get(str(action))
    if rule is None:
        raise InvalidInput(f"{action!r} is not something a {what} does.")
    if state not in rule.sources:
        sources = ", ".join(sorted(s for s in rule.sources if s is not None)) or "nothing"
        raise Conflict(f"{what.capitalize()} {ident} is {state}: it cannot {action} (only "
                       f"from {sources}).",
                       f"Check its state with GET /v1/{what}s/{{id}}.")
    if rule.needs_reason and not (reason and reason.strip()):
        raise InvalidInput(f"To {action} {what} {ident} needs a reason.")
    return rule


def check_upload(action: UploadAction | str, state: str | None, *, ident: str = "",
                 reason: str | None = None) -> Rule:
    return _check(_UPLOAD_TABLE, "upload", ident, action, state, reason)


def check_job(action: JobAction | str, state: str | None, *, ident: str = "",
              reason: str | None = None) -> Rule:
    return _check(_JOB_TABLE, "job", ident, action, state, reason)


# -- applying them to rows --------------------------------------------------------------------
def move_upload(s: Any, up: Any, action: UploadAction | str, *, now: dt.datetime,
                actor_id: int | None = None, reason: str | None = None,
                **values: Any) -> Rule:
    """Change ``up`` (an ``Upload`` row, locked by the caller) by ``action``, set ``values``
    on it, and append the change to its history, in the caller's transaction."""
    from annotator.store.server_models import UploadTransition

    before = None if action == UploadAction.CREATE else up.state
    rule = check_upload(action, before, ident=up.id, reason=reason)
    up.state = rule.target
    up.updated_at = now
    if rule.target in FINAL_UPLOAD_STATES:
        up.finished_at = now
    if rule.needs_reason and rule.target != UploadState.UPLOADED:
        up.error = reason
    for k, v in values.items():
        setattr(up, k, v)
    if action == UploadAction.CREATE:
        s.add(up)
        s.flush()
    s.add(UploadTransition(upload_id=up.id, action=rule.action, from_state=before,
                           to_state=rule.target, actor_id=actor_id, at=now,
                           reason=(reason or None) and reason[:2000]))
    return rule


def move_job(s: Any, job: Any, action: JobAction | str, *, now: dt.datetime,
             reason: str | None = None, actor_id: int | None = None, **values: Any) -> Rule:
    """Change ``job`` (a ``Job`` row, locked by the caller) by ``action`` and append the
    change to its history, in the caller's transaction."""
    from annotator.store.server_models import JobTransition

    before = None if action == JobAction.CREATE else job.state
    rule = check_job(action, before, ident=job.id, reason=reason)
    job.state = rule.target
    job.updated_at = now
    if action == JobAction.START:
        job.attempts += 1
        job.heartbeat_at = now
    if action == JobAction.REVIVE:
        job.attempts = 0
        job.error = None
    if rule.needs_reason:
        job.error = reason
    for k, v in values.items():
        setattr(job, k, v)
    if action == JobAction.CREATE:
        s.add(job)
        s.flush()
    s.add(JobTransition(job_id=job.id, action=rule.action, from_state=before,
                        to_state=rule.target, attempt=job.attempts, actor_id=actor_id, at=now,
                        reason=(reason or None) and reason[:2000]))
    return rule


def table_markdown(rules: tuple[Rule, ...]) -> str:
    """A table as Markdown (docs/server.md carries both; a test compares)."""
    lines = ["| action | from | to | by | reason | note |", "|---|---|---|---|---|---|"]
    for r in rules:
        src = ", ".join(sorted(s for s in r.sources if s is not None)) or "(new)"
        lines.append(f"| {r.action} | {src} | {r.target} | {r.by} | "
                     f"{'yes' if r.needs_reason else '-'} | {r.note} |")
    return "\n".join(lines)
