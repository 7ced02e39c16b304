"""Tables of the team server (docs/server.md): personal access tokens, uploads and jobs,
with the append-only history of every upload's and job's state changes.

Registered on the store's metadata (``annotator.store.models`` imports this module at its
end), created by revisions 0003-0005.  PostgreSQL holds the state of every upload and job;
Redis only carries the queue, so a lost queue or a killed worker is repaired by the
reconciler.  The states and the changes allowed between them are the tables of
``annotator.server.lifecycles``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from annotator.store.models import Base, _in

TOKEN_SCOPES = ("full", "read")
UPLOAD_STATES = ("uploading", "uploaded", "verifying", "accepted", "rejected", "aborted",
                 "cancelled")
JOB_STATES = ("queued", "running", "done", "failed", "dead", "cancelled")
JOB_KINDS = ("verify", "ocr", "export", "reverify", "signals")


class ApiToken(Base):
    """A personal access token: only its SHA-256 is stored; revocation is immediate."""

    __tablename__ = "api_tokens"
    __table_args__ = (sa.CheckConstraint(_in("scope", TOKEN_SCOPES), name="scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    scope: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]


class Upload(Base):
    """A package on its way in: a multipart upload to ``incoming/``, then verification."""

    __tablename__ = "uploads"
    __table_args__ = (
        sa.CheckConstraint(_in("state", UPLOAD_STATES), name="state"),
        sa.Index("ix_uploads_state_updated_at", "state", "updated_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    state: Mapped[str] = mapped_column(sa.String(16))
    object_key: Mapped[str] = mapped_column(sa.String(255))
    s3_upload_id: Mapped[str | None] = mapped_column(sa.String(255))
    size: Mapped[int] = mapped_column(sa.BigInteger())
    part_size: Mapped[int] = mapped_column(sa.BigInteger())
    part_count: Mapped[int]
    manifest_sha256: Mapped[str] = mapped_column(sa.String(64))
    previous_id: Mapped[int | None]
    submit: Mapped[bool] = mapped_column(sa.Boolean())
    submission_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submissions.id"))
    error: Mapped[str | None] = mapped_column(sa.Text())
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    completed_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    # What verification measured in the files (revision 0005; docs/server.md).
    figures: Mapped[dict[str, Any] | None]


class Job(Base):
    """A background job with a deterministic id (``verify-<upload>``, ``export-<id>``)."""

    __tablename__ = "jobs"
    __table_args__ = (
        sa.CheckConstraint(_in("state", JOB_STATES), name="state"),
        sa.CheckConstraint(_in("kind", JOB_KINDS), name="kind"),
        sa.Index("ix_jobs_state_heartbeat_at", "state", "heartbeat_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    ref: Mapped[str] = mapped_column(sa.String(64))
    state: Mapped[str] = mapped_column(sa.String(16))
    attempts: Mapped[int]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    heartbeat_at: Mapped[dt.datetime | None]
    error: Mapped[str | None] = mapped_column(sa.Text())
    result: Mapped[dict[str, Any] | None]
    params: Mapped[dict[str, Any] | None]  # what the job was asked to do (revision 0004)


class UploadTransition(Base):
    """Append-only: one row per state change of an upload (triggers refuse UPDATE and
    DELETE)."""

    __tablename__ = "upload_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[str] = mapped_column(sa.ForeignKey("uploads.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(16))
    from_state: Mapped[str | None] = mapped_column(sa.String(16))
    to_state: Mapped[str] = mapped_column(sa.String(16))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[dt.datetime]
    reason: Mapped[str | None] = mapped_column(sa.Text())


class JobTransition(Base):
    """Append-only: one row per state change of a job, with the attempt it belongs to."""

    __tablename__ = "job_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(sa.ForeignKey("jobs.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(16))
    from_state: Mapped[str | None] = mapped_column(sa.String(16))
    to_state: Mapped[str] = mapped_column(sa.String(16))
    attempt: Mapped[int]
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[dt.datetime]
    reason: Mapped[str | None] = mapped_column(sa.Text())
