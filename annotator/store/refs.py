"""Reference counts of blobs, kept in the database in the same transaction as the submission.

``blobs.refcount`` is the number of ``submission_blobs`` rows that name the blob.  Adding a
submission's files increments it (an upsert, so concurrent ingests of the same bytes add up);
releasing a submission decrements it and deletes the blobs that reach zero, so withdrawing a
submission deletes exactly the blobs that only it used.

Concurrency: rows are locked in SHA-256 order (no deadlocks between two transactions).  A
blob that reaches zero is deleted from the blob store *before* the transaction commits, while
its row is still locked: an ingest of the same bytes waits for that lock, then finds no row and
no file and stores the bytes again.  If the commit then fails, only the withdrawn submission's
own content is gone, and withdrawing again finishes the job.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from annotator.store.blobs import BlobStore
from annotator.store.models import Blob, SubmissionBlob

if TYPE_CHECKING:
    from annotator.store.db import Store


class FileRef(Protocol):
    """A file of a submission, as a package lists it (``workflow.package`` entries are one)."""

    @property
    def path(self) -> str: ...
    @property
    def sha256(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def role(self) -> str: ...


@dataclass(frozen=True)
class Released:
    hashes: tuple[str, ...]  # every blob the submission used
    deleted: tuple[str, ...]  # those that no other submission uses, now deleted


def _upsert(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    from sqlalchemy.dialects import sqlite

    return sqlite.insert


def add_refs(session: Session, *, submission_id: int, files: Sequence[FileRef],
             now: dt.datetime) -> None:
    counts = Counter(f.sha256 for f in files)
    sizes = {f.sha256: f.size for f in files}
    insert = _upsert(session)
    table = Blob.__table__
    hashes = sorted(counts)  # one lock order for every transaction
    for i in range(0, len(hashes), 500):  # multi-row upserts
        stmt = insert(table).values([
            {"sha256": sha, "size": sizes[sha], "refcount": counts[sha], "created_at": now}
            for sha in hashes[i:i + 500]])
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.sha256],
            set_={"refcount": table.c.refcount + stmt.excluded.refcount},
        )
        session.execute(stmt)
    if files:
        session.connection().execute(sa.insert(SubmissionBlob), [
            {"submission_id": submission_id, "path": f.path, "sha256": f.sha256,
             "size": f.size, "role": f.role}
            for f in files
        ])


def release_refs(session: Session, blobs: BlobStore, *, submission_id: int) -> Released:
    rows = session.execute(
        sa.select(SubmissionBlob.sha256).where(SubmissionBlob.submission_id == submission_id)
    ).scalars().all()
    counts = Counter(rows)
    if not counts:
        return Released((), ())
    hashes = sorted(counts)
    locked = {
        b.sha256: b
        for b in session.execute(
            sa.select(Blob).where(Blob.sha256.in_(hashes)).order_by(Blob.sha256)
            .with_for_update()
        ).scalars()
    }
    session.execute(sa.delete(SubmissionBlob).where(SubmissionBlob.submission_id == submission_id))
    zero: list[str] = []
    for sha in hashes:
        blob = locked.get(sha)
        if blob is None:
            continue
        blob.refcount = max(0, blob.refcount - counts[sha])
        if blob.refcount == 0:
            zero.append(sha)
            session.delete(blob)
    session.flush()
    for sha in zero:
        blobs.delete(sha)
    return Released(tuple(hashes), tuple(zero))


@dataclass(frozen=True)
class BlobCheck:
    referenced: int
    missing: tuple[str, ...]  # rows whose bytes are gone
    unreferenced: tuple[str, ...]  # bytes no row names (left by a failed ingest)
    staging_purged: int = 0


def check_blobs(store: Store, *, gc: bool = False, staging_older_than_s: float = 24 * 3600
                ) -> BlobCheck:
    """Compare the blob store with the ``blobs`` table; with ``gc``, delete the unreferenced
    bytes (a crash between writing bytes and committing leaves them) and abandoned uploads."""
    with store.read() as s:
        rows = set(s.execute(sa.select(Blob.sha256)).scalars())
    held = set(store.blobs.iter_blobs())
    missing = tuple(sorted(rows - held))
    extra = tuple(sorted(held - rows))
    purged = 0
    if gc:
        with store.write() as s:
            # Re-read under the write lock: an ingest may have committed meanwhile.
            rows = set(s.execute(sa.select(Blob.sha256).with_for_update()).scalars())
            for sha in extra:
                if sha not in rows:
                    store.blobs.delete(sha)
        purged = store.blobs.purge_staging(older_than_s=staging_older_than_s)
    return BlobCheck(len(rows), missing, extra, purged)
