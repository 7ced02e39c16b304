"""The store's copy of a submission's signals: computed from the stored package files (the
same code, the same bytes as on the contributor's computer), then compared with the store
(duplicates, the task's usual length), and kept as data (``signal_sets``, ``signal_kinds``).

The team server runs ``compute_stored`` as its own job after verification; the embedded
workspace runs it right after a submission is stored.  Running it again replaces the set (a
new algorithm version recomputes what an older one made).
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from annotator.errors import AnnotatorError
from annotator.quality.compute import compute
from annotator.quality.duplicates import (
    Other,
    duplicate_signals,
    length_of,
    length_signal,
)
from annotator.quality.package import load_package
from annotator.quality.records import (
    ALGORITHM_VERSION,
    SEVERITY_RANK,
    canonical,
    max_severity,
    order_key,
    sha256,
)
from annotator.store import models as m
from annotator.store.db import Store
from annotator.workflow.states import State

# What the signals read of a package (thumbnails are not needed).
ROLES = ("video", "steps", "task", "redactions", "frame", "signals")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _copy_out(store: Store, rows: list[Any], folder: Path) -> None:
    root = folder.resolve()
    for path, sha in rows:
        dest = (folder / path).resolve()
        if not dest.is_relative_to(root):
            continue  # the store checked every path at ingest; never write outside
        dest.parent.mkdir(parents=True, exist_ok=True)
        with store.blobs.open(sha) as src, open(dest, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)


def compute_stored(store: Store, submission_id: int, *, work_dir: str | None = None,
                   now: dt.datetime | None = None) -> dict[str, Any]:
    """Compute and keep the signals of one stored submission; returns a short summary."""
    with store.read() as s:
        sub = s.get(m.Submission, submission_id)
        if sub is None or sub.state == State.WITHDRAWN.value:
            return {"skipped": "withdrawn or gone"}
        rows = [tuple(r) for r in s.execute(
            sa.select(m.SubmissionBlob.path, m.SubmissionBlob.sha256).where(
                m.SubmissionBlob.submission_id == submission_id,
                m.SubmissionBlob.role.in_(ROLES)))]
        sha, lineage, contributor = sub.manifest_sha256, sub.lineage, sub.contributor_id
        task_id, duration = sub.task_id, sub.duration_us
        manifest = {"task": {"goal": sub.goal or "", "task_id": task_id}}
    work = Path(tempfile.mkdtemp(prefix="annotator-signals-", dir=work_dir))
    try:
        _copy_out(store, rows, work)
        try:
            got = compute(load_package(work, manifest_sha=sha, manifest=manifest))
        except AnnotatorError as exc:
            return _keep_failed(store, submission_id, exc.message, now or utcnow())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    package_bytes = got.canonical
    with store.read() as s:
        others = [Other(r.submission_id, r.lineage, r.contributor_id == contributor,
                        r.fingerprint)
                  for r in s.execute(
                      sa.select(m.SignalSet.submission_id, m.SignalSet.fingerprint,
                                m.Submission.lineage, m.Submission.contributor_id)
                      .join(m.Submission, m.Submission.id == m.SignalSet.submission_id)
                      .where(m.SignalSet.submission_id < submission_id,
                             m.SignalSet.fingerprint.is_not(None),
                             m.Submission.state != State.WITHDRAWN.value))
                  if isinstance(r.fingerprint, dict)]
        peers = [] if task_id is None else [length_of(int(d), fp) for d, fp in s.execute(
            sa.select(m.Submission.duration_us, m.SignalSet.fingerprint)
            .outerjoin(m.SignalSet, m.SignalSet.submission_id == m.Submission.id).where(
                m.Submission.task_id == task_id, m.Submission.id != submission_id,
                m.Submission.state.in_((State.SUBMITTED.value, State.IN_REVIEW.value,
                                        State.APPROVED.value))))]
    own_time, own_steps = length_of(duration, got.fingerprint)
    store_sigs = duplicate_signals(got.fingerprint, lineage, others) + \
        length_signal(own_time, peers, own_steps)
    store_recs = sorted((x.as_json() for x in store_sigs), key=order_key)
    every = list(got.records["signals"]) + store_recs
    worst = max_severity(every)
    with store.write() as s:
        s.execute(sa.delete(m.SignalKind).where(m.SignalKind.submission_id == submission_id))
        row = s.get(m.SignalSet, submission_id)
        if row is None:
            row = m.SignalSet(submission_id=submission_id)
            s.add(row)
        row.algorithm_version = ALGORITHM_VERSION
        row.status = "done"
        row.error = None
        row.computed_at = now or utcnow()
        row.package_records = package_bytes.decode("utf-8")
        row.package_sha256 = sha256(package_bytes)
        row.store_records = canonical(store_recs).decode("utf-8")
        row.fingerprint = got.fingerprint
        row.max_severity = SEVERITY_RANK.get(worst or "", 0)
        row.signal_count = len(every)
        s.flush()
        kinds: dict[str, tuple[int, int]] = {}
        for r in every:
            sev, n = kinds.get(r["kind"], (0, 0))
            kinds[r["kind"]] = (max(sev, SEVERITY_RANK.get(r["severity"], 0)), n + 1)
        for kind, (sev, n) in kinds.items():
            s.add(m.SignalKind(submission_id=submission_id, kind=kind, severity=sev, count=n))
    return {"signals": len(every), "max_severity": worst, "package_sha256": sha256(package_bytes),
            "kinds": sorted(kinds)}


def _keep_failed(store: Store, submission_id: int, error: str, now: dt.datetime
                 ) -> dict[str, Any]:
    with store.write() as s:
        s.execute(sa.delete(m.SignalKind).where(m.SignalKind.submission_id == submission_id))
        row = s.get(m.SignalSet, submission_id)
        if row is None:
            row = m.SignalSet(submission_id=submission_id)
            s.add(row)
        row.algorithm_version, row.status, row.error = ALGORITHM_VERSION, "failed", error
        row.computed_at, row.max_severity, row.signal_count = now, 0, 0
        row.package_records = row.package_sha256 = row.store_records = None
        row.fingerprint = None
    return {"failed": error}
