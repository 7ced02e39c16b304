"""Background jobs on RQ (Redis), with their state in PostgreSQL.

- Every job has a deterministic id (``verify-<upload id>``, ``export-<uuid>``,
  ``ocr-<submission>``, ``reverify-<submission>``) and a row in ``jobs`` whose state changes
  only through the job lifecycle (``annotator.server.lifecycles``: queued, running, done,
  failed, dead, cancelled), each change appended to ``job_transitions``.  Enqueueing twice,
  or running twice, does the work once: a worker runs a job only if its row is ``queued``,
  and each step checks what is already done.
- Attempts are limited (``job_max_attempts``): a job whose worker died or that met a service
  down goes back to ``queued`` while attempts are left, then to ``dead``: the dead letters,
  which admins list and retry (``revive``).
- A running job writes a heartbeat into its row every ``heartbeat_s``.  The reconciler
  (``reconcile``) retries jobs whose heartbeat stopped (a killed worker), queues again jobs
  queued in PostgreSQL but missing from Redis, records verification jobs for completed
  uploads without one and re-verification jobs for submissions accepted before verification
  measured files.
- The reaper (``reap``) aborts multipart uploads older than ``abandon_after_s``, expires
  uploads never verified in that time, deletes every object in ``incoming/`` that belongs
  to no upload in progress, purges stale ``staging/`` objects and old server-made exports.

``verify`` and ``reverify``: ``annotator.server.verifyjob``.  ``ocr``: after acceptance, the
leak check again, on the server (``leak_jobs``: the frames read with OCR and the PII
detectors run on the text, the video's fills looked around for pieces of what they hide);
the result is shown to reviewers and the contributor.  Packages checked before the current
check get a re-check job from the reconciler.  ``signals``: after acceptance, the quality
signals (``annotator.quality.stored``).  ``export``: the approved submissions, and
with a format the training set itself; a submission that cannot be exported is skipped
and reported, never the end of the export.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import tarfile
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from annotator.errors import AnnotatorError
from annotator.server.config import ServerConfig
from annotator.server.lifecycles import (
    FINAL_UPLOAD_STATES,
    JobAction,
    JobState,
    UploadAction,
    UploadState,
    move_job,
    move_upload,
)
from annotator.server.objects import EXPORTS, INCOMING, ObjectStore, S3BlobStore
from annotator.store import models as m
from annotator.store.db import Store, open_store
from annotator.store.errors import StoreUnavailable
from annotator.store.server_models import Job, Upload
from annotator.workflow.contract import UserId
from annotator.workflow.service import Actor, QueueFilter, Services
from annotator.workflow.states import Role, State

QUEUES = ("verify", "ocr", "export", "signals")
QUEUE_OF = {"verify": "verify", "reverify": "verify", "ocr": "ocr", "export": "export",
            "signals": "signals"}
# The jobs a submission gets once accepted: the OCR leak check and the quality signals.
AFTER_ACCEPTANCE = ("ocr", "signals")
JOB_TIMEOUT_S = 4 * 3600
REVERIFY_BATCH = 200  # re-verification jobs recorded per reconciler round


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class QueueUnavailable(StoreUnavailable):
    """Redis (the job queue) cannot be reached."""


# -- the queue --------------------------------------------------------------------------------
class JobQueue:
    """Enqueueing by deterministic id; a no-op for a job already waiting or running."""

    def __init__(self, redis_url: str) -> None:
        from redis import Redis

        self.redis_url = redis_url
        self.redis = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=10)

    def _queue(self, name: str) -> Any:  # an rq.Queue (rq has no type information)
        from rq import Queue

        return Queue(name, connection=self.redis)

    def enqueue(self, job_id: str, kind: str, *, force: bool = False) -> bool:
        """Put ``run_job(job_id)`` on the ``kind`` queue unless it is there already (or
        running); ``force`` replaces a job whose worker died.  False if it was there."""
        from redis.exceptions import RedisError
        from rq.exceptions import NoSuchJobError
        from rq.job import Job as RqJob
        from rq.job import JobStatus

        try:
            try:
                old = RqJob.fetch(job_id, connection=self.redis)
                status = old.get_status(refresh=True)
            except NoSuchJobError:
                old, status = None, None
            if old is not None:
                if not force and status in (JobStatus.QUEUED, JobStatus.STARTED,
                                            JobStatus.DEFERRED, JobStatus.SCHEDULED):
                    return False
                with contextlib.suppress(Exception):
                    old.delete(remove_from_queue=True)
            self._queue(QUEUE_OF.get(kind, kind)).enqueue(
                "annotator.server.jobs.run_job", job_id, job_id=job_id,
                job_timeout=JOB_TIMEOUT_S,
                # Results live in PostgreSQL (where a withdrawal can reach them), never
                # in Redis; a failure's traceback for a day.
                result_ttl=0, failure_ttl=86400)
            return True
        except RedisError as exc:
            raise QueueUnavailable(
                f"The job queue (Redis at {self.redis_url.split('@')[-1]}) cannot be reached: "
                f"{exc}.", "The work is recorded and will be queued when Redis is back.") from exc

    def status(self, job_id: str) -> str | None:
        from rq.exceptions import NoSuchJobError
        from rq.job import Job as RqJob

        try:
            return str(RqJob.fetch(job_id, connection=self.redis).get_status(refresh=True))
        except NoSuchJobError:
            return None

    def ping(self) -> None:
        from redis.exceptions import RedisError

        try:
            self.redis.ping()
        except RedisError as exc:
            raise QueueUnavailable(f"The job queue (Redis) cannot be reached: {exc}.",
                                   "Start Redis, or check ANNOTATOR_REDIS_URL.") from exc


def record_after_acceptance(s: Any, submission_id: int, now: dt.datetime) -> None:
    """Record the jobs of an accepted submission (in the transaction that accepts it)."""
    for kind in AFTER_ACCEPTANCE:
        record_job(s, job_id=f"{kind}-{submission_id}", kind=kind, ref=str(submission_id),
                   now=now)


def enqueue_after_acceptance(ctx: Any, submission_id: int) -> None:
    """Queue them (recorded: if Redis is down, the reconciler queues them later)."""
    for kind in AFTER_ACCEPTANCE:
        with contextlib.suppress(QueueUnavailable):
            ctx.queue.enqueue(f"{kind}-{submission_id}", kind)


def record_job(s: Session, *, job_id: str, kind: str, ref: str, now: dt.datetime,
               created_by: int | None = None, params: dict[str, Any] | None = None) -> Job:
    """The job's row (created once, queued; a finished job stays finished)."""
    job = s.get(Job, job_id)
    if job is None:
        job = Job(id=job_id, kind=kind, ref=ref, attempts=0, created_by_id=created_by,
                  created_at=now, updated_at=now, params=params)
        move_job(s, job, JobAction.CREATE, now=now, actor_id=created_by)
    return job


# -- the worker's side ---------------------------------------------------------------------------
@dataclass
class WorkerContext:
    cfg: ServerConfig
    objects: ObjectStore
    store: Store
    svc: Services
    queue: JobQueue


_ctx: WorkerContext | None = None
_ctx_pid = 0


def context(cfg: ServerConfig | None = None) -> WorkerContext:
    """One per process (RQ forks a work-horse per job: connections are never shared)."""
    global _ctx, _ctx_pid
    if _ctx is None or _ctx_pid != os.getpid():
        cfg = cfg or ServerConfig.from_env()
        objects = ObjectStore(cfg)
        store = open_store(database_url=cfg.database_url, blobs=S3BlobStore(objects),
                           migrate="check", engine_kwargs={"pool_size": 2, "max_overflow": 4})
        _ctx = WorkerContext(cfg, objects, store, Services(store), JobQueue(cfg.redis_url))
        _ctx_pid = os.getpid()
    return _ctx


def _handler(kind: str) -> Callable[[WorkerContext, str], dict[str, Any] | None]:
    from annotator.server import verifyjob

    return {"verify": verifyjob.verify_upload, "reverify": verifyjob.reverify_submission,
            "export": export_submissions, "ocr": ocr_check, "signals": signals_check}[kind]


def memory_mb() -> dict[str, float]:
    """This process's resident memory now and at its peak (RQ forks a work-horse per job,
    and a fork starts its own peak: at the end of a job, the job's peak)."""
    out: dict[str, float] = {}
    with contextlib.suppress(OSError):
        for line in open("/proc/self/status"):
            if line.startswith(("VmHWM:", "VmRSS:")):
                out["peak_mb" if line.startswith("VmHWM") else "rss_mb"] = \
                    round(int(line.split()[1]) / 1024, 1)
    return out


def run_job(job_id: str, ctx: WorkerContext | None = None) -> dict[str, Any] | None:
    """What RQ runs.  Safe to run twice, or after a crash half-way: only a queued job runs."""
    ctx = ctx or context()
    now = utcnow()
    with ctx.store.write() as s:
        job = s.get(Job, job_id, with_for_update=True)
        if job is None or job.state != JobState.QUEUED:
            return None
        if job.attempts >= ctx.cfg.job_max_attempts:
            move_job(s, job, JobAction.BURY, now=now,
                     reason=f"{job.attempts} attempts used up; last: {job.error or '?'}")
            return None
        move_job(s, job, JobAction.START, now=now)
        kind, ref = job.kind, job.ref
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(ctx, job_id, stop), daemon=True)
    beat.start()
    try:
        result: dict[str, Any] | None = _handler(kind)(ctx, ref)
    except StoreUnavailable as exc:  # a service was down: again, while attempts are left
        _again(ctx, job_id, f"a service was down: {exc.message}")
        raise
    except Exception as exc:  # noqa: BLE001 - recorded; the job is over
        # Our own errors say what was wrong and what to do; others are named.
        _finish(ctx, job_id, JobAction.FAIL, reason=str(exc) if isinstance(exc, AnnotatorError)
                else f"{type(exc).__name__}: {str(exc)[:500]}")
        print(f"job {job_id} failed: {type(exc).__name__}", flush=True)
        return None
    finally:
        stop.set()
        beat.join(5)
    if isinstance(result, dict):
        result = dict(result, memory=memory_mb())
    _finish(ctx, job_id, JobAction.FINISH, result=result)
    return result


def _heartbeat(ctx: WorkerContext, job_id: str, stop: threading.Event) -> None:
    while not stop.wait(ctx.cfg.heartbeat_s):
        with contextlib.suppress(Exception):
            with ctx.store.write() as s:
                s.execute(sa.update(Job).where(Job.id == job_id,
                                               Job.state == JobState.RUNNING.value)
                          .values(heartbeat_at=utcnow()))


def _again(ctx: WorkerContext, job_id: str, reason: str) -> None:
    """A running job that must run again: queued while attempts are left, else dead."""
    with contextlib.suppress(Exception), ctx.store.write() as s:
        job = s.get(Job, job_id, with_for_update=True)
        if job is not None and job.state == JobState.RUNNING:
            retry_or_bury(s, job, utcnow(), reason, ctx.cfg.job_max_attempts)


def retry_or_bury(s: Any, job: Job, now: dt.datetime, reason: str, max_attempts: int) -> bool:
    """True if the job was queued again, False if it is dead now."""
    if job.attempts < max_attempts:
        move_job(s, job, JobAction.RETRY, now=now, reason=reason)
        return True
    move_job(s, job, JobAction.BURY, now=now,
             reason=f"{job.attempts} attempts used up; last: {reason}")
    return False


def _finish(ctx: WorkerContext, job_id: str, action: JobAction, *, reason: str | None = None,
            result: dict[str, Any] | None = None) -> None:
    with ctx.store.write() as s:
        job = s.get(Job, job_id, with_for_update=True)
        if job is None or job.state != JobState.RUNNING:
            return  # the reconciler thought it dead meanwhile: its next run finds it done
        values: dict[str, Any] = {"result": result} if action is JobAction.FINISH else {}
        if action is JobAction.FINISH:
            values["error"] = None
        move_job(s, job, action, now=utcnow(), reason=reason, **values)


def _actor(s: Session, user_id: int) -> Actor:
    u = s.get(m.User, user_id)
    if u is None:
        raise AnnotatorError(f"User #{user_id} is not in the store.")
    return Actor(UserId(u.id), u.pseudonym, u.name or "", Role(u.role), bool(u.must_change_passphrase))


# -- the OCR leak check, again on the server ------------------------------------------------------
def ocr_check(ctx: WorkerContext, submission_id: str) -> dict[str, Any]:
    """The leak check of an accepted submission (``leak_jobs.leak_check``).  Findings are
    recorded by kind and place, never with the text found; what cannot be read counts
    against the check (it fails closed)."""
    from annotator.server.leak_jobs import leak_check

    return leak_check(ctx, submission_id)


# -- exports ---------------------------------------------------------------------------------------
EXPORT_PARAMS = ("format", "dialect", "filter", "split", "image_format", "max_side")
# "name": the dataset's folder name (it appears in its card and croissant.json)
EXPORT_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}")


# -- quality signals, again on the server ----------------------------------------------------------
def signals_check(ctx: WorkerContext, submission_id: str) -> dict[str, Any]:
    """The submission's quality signals computed from its stored files by the same code as
    the contributor's computer (``annotator.quality``), then compared with the store
    (duplicates, the task's usual length), kept as data (docs/signals.md)."""
    from annotator.quality.stored import compute_stored

    return compute_stored(ctx.store, int(submission_id), work_dir=ctx.cfg.work_dir or None)


def export_submissions(ctx: WorkerContext, export_id: str) -> dict[str, Any]:
    """The approved, not withdrawn submissions with their files (hashes and sizes); download
    URLs are signed when the export is fetched, for what is still not withdrawn then.  With
    a ``format`` among the job's parameters, also the training set itself (``annotator
    export`` run here, on the server's store), stored as one tar archive."""
    with ctx.store.read() as s:
        job = s.get(Job, f"export-{export_id}")
        if job is None or job.created_by_id is None:
            raise AnnotatorError(f"The export {export_id} has no job recorded by an admin.",
                                 "Start the export again (POST /v1/exports).")
        admin = _actor(s, job.created_by_id)
        params = dict(job.params or {})
    subs = []
    offset = 0
    while True:
        page = ctx.svc.list_queue(actor=admin, filters=QueueFilter(
            states=(State.APPROVED,), include_own=True), limit=500, offset=offset)
        for item in page:
            d = ctx.svc.get_submission(actor=admin, submission_id=item.id)
            subs.append({
                "id": d.info.id, "lineage": d.info.lineage, "version": d.info.version,
                "contributor": d.info.contributor, "task_id": d.info.task_id,
                "goal": d.info.goal, "quality": d.info.quality,
                "duration_us": d.info.duration_us, "consent_record": d.consent.record_id,
                "manifest_sha256": d.info.manifest_sha256,
                "files": [{"path": f.path, "role": f.role, "sha256": f.sha256, "size": f.size}
                          for f in d.files]})
        if len(page) < 500:
            break
        offset += 500
    tombs = ctx.svc.tombstones(actor=admin)
    result: dict[str, Any] = {"export_id": export_id, "created_at": utcnow().isoformat(),
              "submissions": subs,
              "withdrawn_submission_ids": [t["submission_id"] for t in tombs]}
    if params.get("format"):
        result["dataset"] = build_dataset(ctx, export_id, params)
    return result


def build_dataset(ctx: WorkerContext, export_id: str, params: dict[str, Any]
                  ) -> dict[str, Any]:
    """Run the export into a scratch folder, pack it (sorted names, no owners or times: the
    same store and parameters give the same bytes) and store it under ``exports/``."""
    from annotator.export.run import ExportRequest, run_export
    from annotator.store.blobs import sha256_file

    work = Path(tempfile.mkdtemp(prefix="annotator-export-", dir=ctx.cfg.work_dir or None))
    try:
        out = work / (params.get("name") or f"export-{export_id}")
        req = ExportRequest(out=out, skip_bad=True,
                            **{k: params[k] for k in EXPORT_PARAMS if params.get(k) is not None})
        res = run_export(ctx.store, req)
        archive = work / "dataset.tar"
        with tarfile.open(archive, "w", format=tarfile.PAX_FORMAT) as tf:
            for f in sorted(p for p in out.rglob("*") if p.is_file()):
                info = tarfile.TarInfo(f.relative_to(out).as_posix())
                info.size, info.mode, info.mtime = f.stat().st_size, 0o644, 0
                with open(f, "rb") as fh:
                    tf.addfile(info, fh)
        sha, size = sha256_file(archive)
        key = f"{EXPORTS}{export_id}/dataset.tar"
        ctx.objects.upload(str(archive), key)
        ids = sorted(int(e["submission_id"]) for e in res.manifest["episodes"])
        with ctx.store.read() as s:  # withdrawn while it was being made: never kept
            gone = sorted(set(s.execute(sa.select(m.Tombstone.submission_id).where(
                m.Tombstone.submission_id.in_(ids))).scalars()))
        if gone:
            ctx.objects.delete(key)
            return {"withdrawn_since": gone, "params": params,
                    "message": "Submissions in this export were withdrawn while it was "
                               "made: its archive was deleted; start a new export."}
        return {"key": key, "sha256": sha, "size": size, "episodes": res.episodes,
                "steps": res.steps, "params": params, "submission_ids": ids,
                "skipped": res.skipped, "check": res.check.text(limit=5)}
    finally:
        shutil.rmtree(work, ignore_errors=True)


# -- reconciler and reaper ----------------------------------------------------------------------
_ALIVE_IN_RQ = ("queued", "started", "deferred", "scheduled")


def reconcile(ctx: WorkerContext, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Repair what a crash or an outage left: running jobs whose heartbeat stopped are
    retried (or buried once out of attempts; an upload it was verifying goes back to
    ``uploaded``), queued jobs missing from Redis are queued again, completed uploads get
    their verification job, submissions never measured get a re-verification job, and
    packages checked before the current leak check get a re-check job."""
    from annotator.server.leak_jobs import record_due

    now = now or utcnow()
    stale = now - dt.timedelta(seconds=ctx.cfg.stale_after_s)
    n_dead = n_lost = n_orphans = n_buried = n_reverify = 0
    n_rechecks = len(record_due(ctx, now))  # packages checked before the current check
    forced: set[str] = set()
    with ctx.store.write() as s:
        for up in s.execute(sa.select(Upload).where(Upload.state.in_(
                (UploadState.UPLOADED.value, UploadState.VERIFYING.value)))).scalars():
            if s.get(Job, f"verify-{up.id}") is None:
                record_job(s, job_id=f"verify-{up.id}", kind="verify", ref=up.id, now=now)
                n_orphans += 1
        dead = s.execute(sa.select(Job).where(
            Job.state == JobState.RUNNING.value, Job.heartbeat_at < stale)
            .with_for_update()).scalars().all()
        for job in dead:
            why = f"worker stopped (no heartbeat since {job.heartbeat_at:%H:%M:%S} UTC)"
            if retry_or_bury(s, job, now, why, ctx.cfg.job_max_attempts):
                forced.add(job.id)
                n_dead += 1
            else:
                n_buried += 1
            if job.kind == "verify":
                verifying = s.get(Upload, job.ref, with_for_update=True)
                if verifying is not None and verifying.state == UploadState.VERIFYING:
                    move_upload(s, verifying, UploadAction.REQUEUE, now=now, reason=why)
        never = s.execute(sa.select(m.Submission.id).where(
            m.Submission.verified_at.is_(None),
            m.Submission.state != State.WITHDRAWN.value).order_by(m.Submission.id)
            .limit(REVERIFY_BATCH)).scalars().all()
        for sid in never:
            if s.get(Job, f"reverify-{sid}") is None:
                record_job(s, job_id=f"reverify-{sid}", kind="reverify", ref=str(sid), now=now)
                n_reverify += 1
        queued = {j.id: j.kind for j in s.execute(sa.select(Job).where(
            Job.state == JobState.QUEUED.value)).scalars()}
    for job_id, kind in queued.items():
        force = job_id in forced
        if force or ctx.queue.status(job_id) not in _ALIVE_IN_RQ:
            ctx.queue.enqueue(job_id, kind, force=True)
            if not force:
                n_lost += 1
    return {"dead": n_dead, "requeued": n_lost, "orphans": n_orphans, "buried": n_buried,
            "reverify": n_reverify, "rechecks": n_rechecks}


def reap(ctx: WorkerContext, *, now: dt.datetime | None = None,
         older_than_s: float | None = None) -> dict[str, int]:
    """Abort multipart uploads older than ``abandon_after_s`` (``aborted``), expire uploads
    never verified in that time (``rejected``), delete every ``incoming/`` object and
    multipart upload that belongs to no upload in progress, purge stale staging objects and
    delete server-made exports as old."""
    now = now or utcnow()
    age = ctx.cfg.abandon_after_s if older_than_s is None else older_than_s
    cutoff = now - dt.timedelta(seconds=age)
    aborted = expired = orphans = 0
    with ctx.store.write() as s:
        for up in s.execute(sa.select(Upload).where(
                Upload.state.in_((UploadState.UPLOADING.value, UploadState.UPLOADED.value)),
                Upload.updated_at <= cutoff).with_for_update()).scalars().all():
            if up.state == UploadState.UPLOADING:
                move_upload(s, up, UploadAction.ABORT, now=now,
                            reason="abandoned: aborted by the reaper")
                aborted += 1
            else:
                move_upload(s, up, UploadAction.EXPIRE, now=now,
                            reason="it could not be verified in time; upload it again")
                expired += 1
            job = s.get(Job, f"verify-{up.id}", with_for_update=True)
            if job is not None and job.state in (JobState.QUEUED, JobState.DEAD):
                move_job(s, job, JobAction.CANCEL, now=now, reason=f"upload {up.state}")
        live = {(u.object_key, u.s3_upload_id) for u in s.execute(
            sa.select(Upload.object_key, Upload.s3_upload_id).where(
                Upload.state.in_([x.value for x in UploadState
                                  if x not in FINAL_UPLOAD_STATES])))}
    live_keys = {k for k, _ in live}
    for mp in list(ctx.objects.list_multipart(INCOMING)):
        if (mp.key, mp.upload_id) not in live or mp.initiated <= cutoff:
            ctx.objects.abort_multipart(mp.key, mp.upload_id)
            orphans += 1
    for key, modified in list(ctx.objects.list_keys(INCOMING)):
        # Finished uploads leave nothing in incoming/ (a rejected package's archive whose
        # deletion failed goes here); one being completed right now is younger than a minute.
        if key not in live_keys and modified <= now - dt.timedelta(minutes=1):
            ctx.objects.delete(key)
            orphans += 1
    purged = ctx.svc.blobs.purge_staging(older_than_s=max(age, 3600.0))
    # Training sets made on the server are fetched within days; older ones are deleted.
    exports = 0
    for key, modified in list(ctx.objects.list_keys(EXPORTS)):
        if modified <= cutoff:
            ctx.objects.delete(key)
            exports += 1
    return {"aborted": aborted, "expired": expired, "incoming_deleted": orphans,
            "staging_purged": purged, "exports_deleted": exports}


def reconcile_forever(cfg: ServerConfig) -> None:
    ctx = context(cfg)
    while True:
        for fn in (reconcile, reap):
            try:
                print(f"{utcnow():%Y-%m-%d %H:%M:%S} {fn.__name__}: {fn(ctx)}", flush=True)
            except Exception as exc:  # noqa: BLE001 - keep going; the next round retries
                print(f"{fn.__name__} failed: {exc}", flush=True)
        time.sleep(cfg.reconcile_every_s)


def new_export_id() -> str:
    return uuid.uuid4().hex
