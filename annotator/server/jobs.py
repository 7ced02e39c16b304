"""Background jobs on RQ (Redis), with their state in PostgreSQL.

- Every job has a deterministic id (``verify-<upload id>``, ``export-<uuid>``) and a row in
  ``jobs``; enqueueing twice, or running twice, does the work once: a job first moves its row
  ``queued -> running`` (or finds it ``done``/``failed`` and returns), and each step checks
  what is already done (a verified upload already ingested is linked, not ingested again).
- A running job writes a heartbeat into its row every ``heartbeat_s``.  The reconciler
  (``reconcile``) re-enqueues jobs whose heartbeat stopped (a killed worker) and jobs queued
  in PostgreSQL but missing from Redis (Redis restarted, or down when the API enqueued).
- The reaper (``reap``) aborts multipart uploads older than ``abandon_after_s`` and marks
  their rows ``aborted``; it also purges stale ``staging/`` objects.

``ocr``: after acceptance, the frames are read with OCR and the PII detectors run on the
text (the leak check again, on the server); the result is shown to reviewers.

``verify``: download the package archive from ``incoming/``, unpack it safely (regular files
only, no link, no path leaving the folder, total size capped), and hand the folder to
``Services.ingest_package``: the same checks as the embedded workspace (manifest, consent,
terms, every file re-hashed while it is copied into the accepted area).  Accepted: the
incoming object is deleted and the upload names its submission.  Refused: the upload is
``rejected`` with the reason and the incoming object is deleted; nothing is ever shown.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
import shutil
import tarfile
import tempfile
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from annotator.errors import AnnotatorError
from annotator.server.config import ServerConfig
from annotator.server.objects import EXPORTS, INCOMING, ObjectStore, S3BlobStore
from annotator.store import models as m
from annotator.store.db import Store, open_store
from annotator.store.errors import StoreUnavailable
from annotator.store.server_models import Job, Upload
from annotator.workflow.errors import PackageError, PackagePathError, WorkflowError
from annotator.workflow.package import check_relpath
from annotator.workflow.service import Actor, QueueFilter, Services
from annotator.workflow.states import Role, State

QUEUES = ("verify", "ocr", "export")
JOB_TIMEOUT_S = 4 * 3600
MAX_MEMBERS = 200_000


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

    def _queue(self, name: str):
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
            self._queue(kind).enqueue("annotator.server.jobs.run_job", job_id, job_id=job_id,
                                      job_timeout=JOB_TIMEOUT_S, result_ttl=3600,
                                      failure_ttl=7 * 86400)
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


def record_job(s: Any, *, job_id: str, kind: str, ref: str, now: dt.datetime,
               created_by: int | None = None, params: dict[str, Any] | None = None) -> Job:
    """The job's row (created once; a finished job stays finished)."""
    job = s.get(Job, job_id)
    if job is None:
        job = Job(id=job_id, kind=kind, ref=ref, state="queued", attempts=0,
                  created_by_id=created_by, created_at=now, updated_at=now, params=params)
        s.add(job)
        s.flush()
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


def run_job(job_id: str) -> dict[str, Any] | None:
    """What RQ runs.  Safe to run twice, or after a crash half-way."""
    ctx = context()
    now = utcnow()
    with ctx.store.write() as s:
        job = s.get(Job, job_id, with_for_update=True)
        if job is None or job.state in ("done", "failed"):
            return None
        job.state = "running"
        job.attempts += 1
        job.heartbeat_at = now
        job.updated_at = now
        kind, ref = job.kind, job.ref
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(ctx, job_id, stop), daemon=True)
    beat.start()
    try:
        result = {"verify": verify_upload, "export": export_submissions,
                  "ocr": ocr_check}[kind](ctx, ref)
    except StoreUnavailable:
        _finish(ctx, job_id, "queued", error=traceback.format_exc(limit=3))  # retried later
        raise
    except Exception as exc:
        # Our own errors say what was wrong and what to do; others are named.
        _finish(ctx, job_id, "failed", error=str(exc) if isinstance(exc, AnnotatorError)
                else f"{type(exc).__name__}: {exc}")
        raise
    finally:
        stop.set()
        beat.join(5)
    _finish(ctx, job_id, "done", result=result)
    return result


def _heartbeat(ctx: WorkerContext, job_id: str, stop: threading.Event) -> None:
    while not stop.wait(ctx.cfg.heartbeat_s):
        with contextlib.suppress(Exception):
            with ctx.store.write() as s:
                s.execute(sa.update(Job).where(Job.id == job_id, Job.state == "running")
                          .values(heartbeat_at=utcnow()))


def _finish(ctx: WorkerContext, job_id: str, state: str, *, error: str | None = None,
            result: dict[str, Any] | None = None) -> None:
    with ctx.store.write() as s:
        s.execute(sa.update(Job).where(Job.id == job_id).values(
            state=state, error=error, result=result, updated_at=utcnow()))


# -- verification -------------------------------------------------------------------------------
def _actor(s: Any, user_id: int) -> Actor:
    u = s.get(m.User, user_id)
    return Actor(u.id, u.pseudonym, u.name or "", Role(u.role), bool(u.must_change_passphrase))


def _set_upload(ctx: WorkerContext, upload_id: str, **values: Any) -> None:
    values.setdefault("updated_at", utcnow())
    with ctx.store.write() as s:
        s.execute(sa.update(Upload).where(Upload.id == upload_id).values(**values))


def verify_upload(ctx: WorkerContext, upload_id: str) -> dict[str, Any]:
    with ctx.store.read() as s:
        up = s.get(Upload, upload_id)
        if up is None:
            return {"skipped": "no such upload"}
        if up.state in ("accepted", "rejected", "aborted"):
            return {"state": up.state, "submission_id": up.submission_id}
        actor = _actor(s, up.user_id)
        key, size, manifest_sha = up.object_key, up.size, up.manifest_sha256
        submit, previous_id = up.submit, up.previous_id
        # Crash recovery: an earlier run may have ingested it before dying.
        done = s.execute(sa.select(m.Submission.id).where(
            m.Submission.contributor_id == up.user_id,
            m.Submission.manifest_sha256 == manifest_sha,
            m.Submission.state != State.WITHDRAWN.value,
            m.Submission.created_at >= up.created_at)).scalar()
    if done is not None:
        _accept(ctx, upload_id, key, done)
        return {"state": "accepted", "submission_id": done, "recovered": True}
    _set_upload(ctx, upload_id, state="verifying")
    work = Path(tempfile.mkdtemp(prefix="annotator-verify-", dir=ctx.cfg.work_dir or None))
    try:
        archive = work / "package.tar"
        ctx.objects.download(key, str(archive))
        got = archive.stat().st_size
        if got != size:
            raise PackageError(f"The package archive has {got} bytes; {size} were declared.",
                               "Upload the package again.")
        folder = work / "package"
        unpack(archive, folder, max_bytes=ctx.cfg.max_package_bytes)
        archive.unlink()
        raw = (folder / "package.json").read_bytes() if (folder / "package.json").is_file() \
            else b""
        if hashlib.sha256(raw).hexdigest() != manifest_sha:
            raise PackageError(
                "The package's content manifest is not the one declared when the upload "
                "started.", "Upload the package again from the app.")
        try:
            info = ctx.svc.ingest_package(actor=actor, folder=folder, submit=submit,
                                          previous_id=previous_id)
        except StoreUnavailable:
            raise
        except AnnotatorError as exc:
            # The same kind of error as the embedded services raise (ConsentError,
            # UnknownTerms, NotFound...), without this machine's paths.
            kind = type(exc) if isinstance(exc, WorkflowError) else PackageError
            raise kind(_unplaced(exc.message, folder) or "",
                       _unplaced(exc.hint, folder)) from None
    except StoreUnavailable:
        raise
    except AnnotatorError as exc:
        _set_upload(ctx, upload_id, state="rejected", error=exc.message +
                    (f" What to do: {exc.hint}" if exc.hint else ""), finished_at=utcnow())
        with contextlib.suppress(Exception):
            ctx.objects.delete(key)
        return {"state": "rejected", "error": exc.message, "refusal": {
            "error": type(exc).__name__, "message": exc.message, "hint": exc.hint}}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _accept(ctx, upload_id, key, info.id)
    return {"state": "accepted", "submission_id": info.id}


def _unplaced(text: str | None, folder: Path) -> str | None:
    """An error's text without the worker's scratch folder."""
    return text and text.replace(str(folder) + "/", "").replace(str(folder), "the package")


def _accept(ctx: WorkerContext, upload_id: str, key: str, submission_id: int) -> None:
    now = utcnow()
    with ctx.store.write() as s:
        s.execute(sa.update(Upload).where(Upload.id == upload_id).values(
            state="accepted", submission_id=submission_id, finished_at=now, error=None,
            updated_at=now))
        record_job(s, job_id=f"ocr-{submission_id}", kind="ocr", ref=str(submission_id),
                   now=now)
    with contextlib.suppress(Exception):
        ctx.objects.delete(key)
    with contextlib.suppress(QueueUnavailable):  # recorded: the reconciler queues it later
        ctx.queue.enqueue(f"ocr-{submission_id}", "ocr")


# -- the OCR leak check, again on the server ------------------------------------------------------
def ocr_check(ctx: WorkerContext, submission_id: str) -> dict[str, Any]:
    """Read every frame of an accepted submission with OCR and run the PII detectors on the
    text (``annotator.redaction``).  Findings are recorded by kind and frame, never with the
    text found; an unreadable frame counts against the check (it fails closed).  Reviewers
    see the result beside the submission (``GET /v1/submissions/{id}/checks``)."""
    import cv2
    import numpy as np

    from annotator.redaction.detect import detect
    from annotator.redaction.ocr import OcrOptions, ocr_batch

    sid = int(submission_id)
    with ctx.store.read() as s:
        sub = s.get(m.Submission, sid)
        if sub is None or sub.state == State.WITHDRAWN.value:
            return {"skipped": "withdrawn or gone"}
        frames = s.execute(sa.select(m.SubmissionBlob.path, m.SubmissionBlob.sha256).where(
            m.SubmissionBlob.submission_id == sid, m.SubmissionBlob.role == "frame")
            .order_by(m.SubmissionBlob.path)).all()
    images, unreadable = [], []
    for path, sha in frames:
        img = cv2.imdecode(np.frombuffer(ctx.svc.blobs.get(sha), np.uint8), cv2.IMREAD_COLOR)
        if img is None:
            unreadable.append(path)
        else:
            images.append((path, img[:, :, ::-1].copy()))
    words = ocr_batch([img for _p, img in images], OcrOptions(workers=1)) if images else []
    findings = []
    for (path, _img), ws in zip(images, words, strict=True):
        for span in detect(" ".join(w.text for w in ws), ocr=True):
            findings.append({"path": path, "kind": span.kind, "score": round(span.score, 2)})
    return {"frames": len(frames), "read": len(images), "unreadable": unreadable,
            "findings": findings, "passed": not findings and not unreadable}


def unpack(archive: Path, folder: Path, *, max_bytes: int) -> None:
    """Unpack a package archive: regular files and folders only, paths checked like package
    paths, total size capped (PEP 706's ``data`` filter guards the rest)."""
    folder.mkdir(mode=0o700)
    try:
        tf = tarfile.open(archive, "r:")  # noqa: SIM115 - closed below
    except tarfile.TarError as exc:
        raise PackageError(f"The upload is not a package archive (tar): {exc}.",
                           "Upload the package again from the app.") from None
    with tf:
        total = 0
        members = []
        for i, mem in enumerate(tf):
            if i >= MAX_MEMBERS:
                raise PackageError(f"The archive holds more than {MAX_MEMBERS} entries.")
            name = mem.name.rstrip("/")
            if mem.isdir():
                check_relpath(name + "/x", where="package archive")
                members.append(mem)
                continue
            if not mem.isreg():
                raise PackagePathError(f"package archive: {name!r} is not a regular file (a "
                                       "link or a device).",
                                       "A package holds plain files only.")
            if name not in ("package.json", "consent.json"):
                check_relpath(name, where="package archive")
            total += mem.size
            if total > max_bytes:
                raise PackageError(f"The package unpacks to more than {max_bytes} bytes.",
                                   "Packages have a size limit on this server.")
            members.append(mem)
        try:
            tf.extractall(folder, members=members, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise PackagePathError(f"The package archive cannot be unpacked safely: {exc}.",
                                   "Upload the package again from the app.") from None


# -- exports ---------------------------------------------------------------------------------------
EXPORT_PARAMS = ("format", "dialect", "filter", "split", "image_format", "max_side")
# "name": the dataset's folder name (it appears in its card and croissant.json)
EXPORT_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}")


def export_submissions(ctx: WorkerContext, export_id: str) -> dict[str, Any]:
    """The approved, not withdrawn submissions with their files (hashes and sizes); download
    URLs are signed when the export is fetched, for what is still not withdrawn then.  With
    a ``format`` among the job's parameters, also the training set itself (``annotator
    export`` run here, on the server's store), stored as one tar archive."""
    with ctx.store.read() as s:
        job = s.get(Job, f"export-{export_id}")
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
    result = {"export_id": export_id, "created_at": utcnow().isoformat(),
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
        return {"key": key, "sha256": sha, "size": size, "episodes": res.episodes,
                "steps": res.steps, "params": params,
                "submission_ids": sorted(int(e["submission_id"])
                                         for e in res.manifest["episodes"]),
                "skipped": res.skipped, "check": res.check.text(limit=5)}
    finally:
        shutil.rmtree(work, ignore_errors=True)


# -- reconciler and reaper ----------------------------------------------------------------------
def reconcile(ctx: WorkerContext, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Re-enqueue stuck work: dead running jobs, queued jobs missing from Redis, completed
    uploads without a job."""
    now = now or utcnow()
    stale = now - dt.timedelta(seconds=ctx.cfg.stale_after_s)
    n_dead = n_lost = n_orphans = 0
    with ctx.store.write() as s:
        for up in s.execute(sa.select(Upload).where(
                Upload.state.in_(("uploaded", "verifying")))).scalars():
            if s.get(Job, f"verify-{up.id}") is None:
                record_job(s, job_id=f"verify-{up.id}", kind="verify", ref=up.id, now=now)
                n_orphans += 1
        dead = s.execute(sa.select(Job).where(
            Job.state == "running", Job.heartbeat_at < stale).with_for_update()).scalars().all()
        for job in dead:
            job.state = "queued"
            job.updated_at = now
            job.error = f"worker stopped (no heartbeat since {job.heartbeat_at:%H:%M:%S} UTC)"
        dead_ids = {j.id: j.kind for j in dead}
        queued = {j.id: j.kind for j in s.execute(sa.select(Job).where(
            Job.state == "queued")).scalars()}
    for job_id, kind in queued.items():
        force = job_id in dead_ids
        status = None if force else ctx.queue.status(job_id)
        if force or status not in ("queued", "started", "deferred", "scheduled"):
            ctx.queue.enqueue(job_id, kind, force=True)
            if force:
                n_dead += 1
            else:
                n_lost += 1
    return {"dead": n_dead, "requeued": n_lost, "orphans": n_orphans}


def reap(ctx: WorkerContext, *, now: dt.datetime | None = None,
         older_than_s: float | None = None) -> dict[str, int]:
    """Abort multipart uploads older than ``abandon_after_s`` (their rows become
    ``aborted``), purge stale staging objects and delete server-made exports as old."""
    now = now or utcnow()
    age = ctx.cfg.abandon_after_s if older_than_s is None else older_than_s
    cutoff = now - dt.timedelta(seconds=age)
    aborted = 0
    for mp in list(ctx.objects.list_multipart(INCOMING)):
        if mp.initiated <= cutoff:
            if ctx.objects.abort_multipart(mp.key, mp.upload_id):
                aborted += 1
            with ctx.store.write() as s:
                s.execute(sa.update(Upload).where(
                    Upload.object_key == mp.key, Upload.s3_upload_id == mp.upload_id,
                    Upload.state == "uploading").values(
                        state="aborted", error="abandoned: aborted by the reaper",
                        updated_at=now, finished_at=now))
    with ctx.store.write() as s:
        s.execute(sa.update(Upload).where(Upload.state == "uploading",
                                          Upload.updated_at <= cutoff).values(
            state="aborted", error="abandoned: aborted by the reaper", updated_at=now,
            finished_at=now))
    purged = ctx.svc.blobs.purge_staging(older_than_s=max(age, 3600.0))
    # Training sets made on the server are fetched within days; older ones are deleted.
    exports = 0
    for key, modified in list(ctx.objects.list_keys(EXPORTS)):
        if modified <= cutoff:
            ctx.objects.delete(key)
            exports += 1
    return {"aborted": aborted, "staging_purged": purged, "exports_deleted": exports}


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
