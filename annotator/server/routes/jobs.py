"""Jobs, for admins: the dead letters (jobs out of attempts) and any job's history; retrying
one.  The states and the changes between them are ``annotator.server.lifecycles``'s."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from annotator.server import authz
from annotator.server.deps import C, Me, log
from annotator.server.jobs import QueueUnavailable
from annotator.server.lifecycles import JobAction, JobState, move_job
from annotator.store.server_models import Job, JobTransition
from annotator.workflow import errors as we
from annotator.workflow.states import Role

router = APIRouter()


def _view(job: Job) -> dict[str, Any]:
    return {"id": job.id, "kind": job.kind, "ref": job.ref, "state": job.state,
            "attempts": job.attempts, "error": job.error,
            "created_at": job.created_at.isoformat(), "updated_at": job.updated_at.isoformat()}


def _job(s: Session, job_id: str, *, lock: bool = False) -> Job:
    job = s.get(Job, job_id[:64], with_for_update=lock)
    if job is None:
        raise we.NotFound(f"There is no job {job_id[:64]!r}.", "List them with GET /v1/jobs.")
    return job


@router.get("/v1/jobs", tags=["admin"])
def list_jobs(me: Me, c: C, state: Annotated[str, Query()] = JobState.DEAD.value,
              kind: str | None = None,
              limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict[str, Any]]:
    """Jobs in a state (default: the dead letters, out of attempts), newest first."""
    authz.require_role(me, Role.ADMIN, doing="see the jobs")
    if state not in {s.value for s in JobState}:
        raise we.InvalidInput(f"{state!r} is not a job state.",
                              f"States: {', '.join(s.value for s in JobState)}.")
    with c.store.read() as s:
        q = sa.select(Job).where(Job.state == state)
        if kind:
            q = q.where(Job.kind == kind)
        rows = s.execute(q.order_by(Job.updated_at.desc()).limit(limit)).scalars()
        return [_view(j) for j in rows]


@router.get("/v1/jobs/{job_id}", tags=["admin"])
def get_job(job_id: str, me: Me, c: C) -> dict[str, Any]:
    """A job with every change of its state (append-only)."""
    authz.require_role(me, Role.ADMIN, doing="see the jobs")
    with c.store.read() as s:
        job = _job(s, job_id)
        history = [{"action": t.action, "from": t.from_state, "to": t.to_state,
                    "attempt": t.attempt, "at": t.at.isoformat(), "reason": t.reason}
                   for t in s.execute(sa.select(JobTransition).where(
                       JobTransition.job_id == job.id).order_by(JobTransition.id)).scalars()]
        return dict(_view(job), history=history)


@router.post("/v1/jobs/{job_id}/retry", tags=["admin"])
def retry_job(job_id: str, me: Me, c: C) -> dict[str, Any]:
    """Queue a dead (or failed) job again, with its attempts counted from zero."""
    authz.require_role(me, Role.ADMIN, doing="retry jobs")
    with c.store.write() as s:
        job = _job(s, job_id, lock=True)
        move_job(s, job, JobAction.REVIVE, now=c.svc.now(), actor_id=me.actor.user_id)
        view, kind = _view(job), job.kind
    try:
        c.queue.enqueue(job_id, kind, force=True)
    except QueueUnavailable as exc:  # recorded: the reconciler queues it later
        log.warning("%s", exc.message)
    return view
