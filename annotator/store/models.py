"""The workspace store's schema: SQLAlchemy 2 declarative, typed models.

The schema is documented in docs/store.md.  It is created and changed only by the Alembic
migrations in ``annotator/store/migrations`` (``annotator db upgrade``); a test checks that
autogenerate finds no difference between these models and the migrated schema, on SQLite and
on PostgreSQL.

Rules the schema follows:

- Records name people only by a pseudonymous id (``users.pseudonym``): no host names, MAC
  addresses or e-mail addresses.  Payee details live in their own table (``payees``), are
  never exported and are deleted with the account.
- Times are timezone-aware UTC (``UTCDateTime``), money is integer cents, durations integer
  microseconds.
- Nothing is deleted except blobs and what withdrawal erases: a withdrawn submission keeps
  its row (content columns cleared) and a tombstone; the audit log is append-only (database
  triggers refuse UPDATE and DELETE on ``transitions``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = ("contributor", "reviewer", "admin")
STATES = (
    "draft", "submitted", "in_review", "approved", "changes_requested", "rejected",
    "superseded", "withdrawn",
)
DIFFICULTIES = ("easy", "medium", "hard")
OPEN_STATES_SQL = "state IN ('submitted', 'in_review')"
CONSENT_STATUSES = ("given", "withdrawn")
TOMBSTONE_CAUSES = ("withdrawn", "account_deleted")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL stores ``timestamptz``; SQLite stores naive UTC text (which sorts correctly).
    Naive datetimes are refused on the way in, so local times never slip into the store.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise ValueError(f"the store only takes timezone-aware datetimes, not {value!r}")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)

    # SQLite: the same text format SQLAlchemy's DateTime writes ("YYYY-MM-DD HH:MM:SS.ffffff",
    # which sorts as time does), but parsed with datetime.fromisoformat instead of a regular
    # expression: several times faster on pages of rows.
    def bind_processor(self, dialect: sa.Dialect) -> Any:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        utc = dt.UTC

        def process(value: Any) -> Any:
            if value is None:
                return None
            if not isinstance(value, dt.datetime) or value.tzinfo is None:
                raise ValueError(f"the store only takes timezone-aware datetimes, not {value!r}")
            return value.astimezone(utc).replace(tzinfo=None).isoformat(
                " ", timespec="microseconds")

        return process

    def result_processor(self, dialect: sa.Dialect, coltype: Any) -> Any:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        utc, parse = dt.UTC, dt.datetime.fromisoformat

        def process(value: Any) -> Any:
            if value is None:
                return None
            if isinstance(value, str) and len(value) <= 26:  # naive UTC, as written above
                return parse(value + "+00:00")  # ten times faster than .replace(tzinfo=)
            v = parse(value) if isinstance(value, str) else value
            return v.replace(tzinfo=utc) if v.tzinfo is None else v.astimezone(utc)

        return process


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: sa.JSON(),
        list[str]: sa.JSON(),
    }


class User(Base):
    """A person who signs in: contributor, reviewer or admin, known by a pseudonym."""

    __tablename__ = "users"
    __table_args__ = (sa.CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pseudonym: Mapped[str] = mapped_column(sa.String(32), unique=True)
    # The sign-in name an admin chose (a handle, never an e-mail address); cleared when the
    # account is deleted.
    name: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    role: Mapped[str] = mapped_column(sa.String(16))
    passphrase_hash: Mapped[str | None] = mapped_column(sa.String(255))
    must_change_passphrase: Mapped[bool] = mapped_column(
        sa.Boolean(), server_default=sa.false(), default=False
    )
    created_at: Mapped[dt.datetime]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    disabled_at: Mapped[dt.datetime | None]
    deleted_at: Mapped[dt.datetime | None]


class Payee(Base):
    """Who to pay and how: kept apart from the pseudonymous records, never exported."""

    __tablename__ = "payees"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    legal_name: Mapped[str] = mapped_column(sa.Text())
    payment_details: Mapped[str] = mapped_column(sa.Text())
    updated_at: Mapped[dt.datetime]


class TermsVersion(Base):
    """A published version of the terms a contributor consents to (text and its SHA-256)."""

    __tablename__ = "terms_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(sa.String(32), unique=True)
    text: Mapped[str] = mapped_column(sa.Text())
    sha256: Mapped[str] = mapped_column(sa.String(64))
    published_at: Mapped[dt.datetime]
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class Task(Base):
    """A task prompt an admin publishes for contributors to record."""

    __tablename__ = "tasks"
    __table_args__ = (
        sa.CheckConstraint(_in("difficulty", DIFFICULTIES), name="difficulty"),
        sa.CheckConstraint("pay_cents IS NULL OR pay_cents >= 0", name="pay"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    goal: Mapped[str] = mapped_column(sa.Text())
    applications: Mapped[list[str]]
    difficulty: Mapped[str] = mapped_column(sa.String(16))
    pay_cents: Mapped[int | None]
    published_at: Mapped[dt.datetime]
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    closed_at: Mapped[dt.datetime | None]


class ConsentRecord(Base):
    """A contributor's consent to share one demonstration (privacy.md section 5)."""

    __tablename__ = "consent_records"
    __table_args__ = (sa.CheckConstraint(_in("status", CONSENT_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    contributor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    contributor_pseudonym: Mapped[str] = mapped_column(sa.String(32))
    terms_version_id: Mapped[int] = mapped_column(sa.ForeignKey("terms_versions.id"))
    terms_version: Mapped[str] = mapped_column(sa.String(32))
    terms_sha256: Mapped[str] = mapped_column(sa.String(64))
    purposes: Mapped[list[str]]
    permitted_uses: Mapped[list[str]]
    data_categories: Mapped[list[str]]
    given_at: Mapped[dt.datetime]
    method: Mapped[str] = mapped_column(sa.Text())
    manifest_sha256: Mapped[str] = mapped_column(sa.String(64))
    record_sha256: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16))
    withdrawn_at: Mapped[dt.datetime | None]
    received_at: Mapped[dt.datetime]


class Submission(Base):
    """One version of a submitted demonstration; a resubmission is a new row (``previous_id``)."""

    __tablename__ = "submissions"
    __table_args__ = (
        sa.CheckConstraint(_in("state", STATES), name="state"),
        sa.CheckConstraint("quality IS NULL OR (quality >= 1 AND quality <= 5)", name="quality"),
        sa.CheckConstraint("version >= 1", name="version"),
        sa.Index("ix_submissions_queue", "state", "submitted_at", "id"),
        # The open queue (waiting or in review), oldest first: a page is read straight off it.
        sa.Index("ix_submissions_open", "submitted_at", "id",
                 sqlite_where=sa.text(OPEN_STATES_SQL),
                 postgresql_where=sa.text(OPEN_STATES_SQL)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lineage: Mapped[str] = mapped_column(sa.String(36), index=True)
    version: Mapped[int]
    previous_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submissions.id"), unique=True)
    contributor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tasks.id"), index=True)
    consent_id: Mapped[int] = mapped_column(sa.ForeignKey("consent_records.id"), unique=True)
    package_id: Mapped[str] = mapped_column(sa.String(64))
    manifest_sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    state: Mapped[str] = mapped_column(sa.String(20))
    claimed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    lock_expires_at: Mapped[dt.datetime | None]
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    quality: Mapped[int | None] = mapped_column(sa.SmallInteger())
    decision_reason: Mapped[str | None] = mapped_column(sa.Text())
    # Content-derived columns: cleared when the submission is withdrawn.
    goal: Mapped[str | None] = mapped_column(sa.Text())
    summary: Mapped[dict[str, Any] | None]
    duration_us: Mapped[int] = mapped_column(sa.BigInteger())
    step_count: Mapped[int]
    total_bytes: Mapped[int] = mapped_column(sa.BigInteger())
    # Set by the team server's verification (revision 0005): the active time paid for, when
    # and what was measured (or why it could not be).  Unverified: paid on duration_us.
    paid_us: Mapped[int | None] = mapped_column(sa.BigInteger())
    verified_at: Mapped[dt.datetime | None]
    verification: Mapped[dict[str, Any] | None]
    created_at: Mapped[dt.datetime]
    submitted_at: Mapped[dt.datetime | None]
    decided_at: Mapped[dt.datetime | None]
    withdrawn_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime]


class Transition(Base):
    """Append-only audit log: one row per state change (triggers refuse UPDATE and DELETE)."""

    __tablename__ = "transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(24))
    from_state: Mapped[str | None] = mapped_column(sa.String(20))
    to_state: Mapped[str] = mapped_column(sa.String(20))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[dt.datetime]
    reason: Mapped[str | None] = mapped_column(sa.Text())


class Comment(Base):
    """A reviewer's comment, pinned to a step, a time range, or the whole submission."""

    __tablename__ = "comments"
    __table_args__ = (
        sa.CheckConstraint(
            "t_start_us IS NULL OR t_end_us IS NULL OR t_end_us >= t_start_us", name="range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(sa.Text())
    step_index: Mapped[int | None]
    step_id: Mapped[str | None] = mapped_column(sa.String(64))
    t_start_us: Mapped[int | None] = mapped_column(sa.BigInteger())
    t_end_us: Mapped[int | None] = mapped_column(sa.BigInteger())
    created_at: Mapped[dt.datetime]
    # The key of the quality signal the comment answers (a contributor's answer), if any.
    signal_key: Mapped[str | None] = mapped_column(sa.String(96))


class SignalSet(Base):
    """The quality signals of a submission (docs/signals.md): what its package gives (the
    canonical bytes, as computed on every computer for the same package) and what the store
    adds (duplicates, length against the task's usual one).  One row per submission, made
    again when the algorithm's version changes."""

    __tablename__ = "signal_sets"
    __table_args__ = (
        sa.CheckConstraint("status IN ('done', 'failed')", name="status"),
        sa.CheckConstraint("max_severity >= 0 AND max_severity <= 3", name="max_severity"),
    )

    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id"),
                                               primary_key=True)
    algorithm_version: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(8))
    error: Mapped[str | None] = mapped_column(sa.Text())
    computed_at: Mapped[dt.datetime]
    package_records: Mapped[str | None] = mapped_column(sa.Text())  # canonical JSON, as made
    package_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    store_records: Mapped[str | None] = mapped_column(sa.Text())  # canonical JSON list
    fingerprint: Mapped[dict[str, Any] | None]
    max_severity: Mapped[int] = mapped_column(sa.SmallInteger())  # 0 none, 1 low .. 3 high
    signal_count: Mapped[int]


class SignalKind(Base):
    """Which kinds a submission's signals have, for the queue's filter and the rates."""

    __tablename__ = "signal_kinds"
    __table_args__ = (sa.Index("ix_signal_kinds_kind", "kind", "submission_id"),)

    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id"),
                                               primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    severity: Mapped[int] = mapped_column(sa.SmallInteger())
    count: Mapped[int]


class GoldItem(Base):
    """A submission an admin marked as gold: its right decision (and quality) are known, and
    copies of its review are mixed into reviewers' blind reviews to measure their accuracy."""

    __tablename__ = "gold_items"
    __table_args__ = (
        sa.CheckConstraint("decision IN ('approve', 'request_changes', 'reject')",
                           name="decision"),
    )

    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id"),
                                               primary_key=True)
    decision: Mapped[str] = mapped_column(sa.String(16))
    quality: Mapped[int | None] = mapped_column(sa.SmallInteger())
    note: Mapped[str | None] = mapped_column(sa.Text())
    marked_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    marked_at: Mapped[dt.datetime]


class BlindReview(Base):
    """A review that never changes its submission's state or pay: a gold copy (``gold``) or a
    second, independent review of a decided submission (``second``).  The reviewer is not told
    which."""

    __tablename__ = "blind_reviews"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('gold', 'second')", name="kind"),
        sa.CheckConstraint("decision IS NULL OR decision IN ('approve', 'request_changes', "
                           "'reject')", name="decision"),
        sa.UniqueConstraint("submission_id", "reviewer_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(8))
    assigned_at: Mapped[dt.datetime]
    decision: Mapped[str | None] = mapped_column(sa.String(16))
    quality: Mapped[int | None] = mapped_column(sa.SmallInteger())
    decided_at: Mapped[dt.datetime | None]


class ReviewMix(Base):
    """How many blind reviews are mixed into reviewers' work (one row, set by admins): the
    share of "next" requests answered with a gold copy, and with a second review."""

    __tablename__ = "review_mix"
    __table_args__ = (
        sa.CheckConstraint("id = 1", name="single"),
        sa.CheckConstraint("gold_rate >= 0 AND second_rate >= 0 AND gold_rate + second_rate "
                           "<= 1", name="rates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    gold_rate: Mapped[float] = mapped_column(sa.Float())
    second_rate: Mapped[float] = mapped_column(sa.Float())
    updated_at: Mapped[dt.datetime]
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class Blob(Base):
    """A content-addressed blob and how many submission files refer to it."""

    __tablename__ = "blobs"
    __table_args__ = (sa.CheckConstraint("refcount >= 0", name="refcount"),)

    sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    size: Mapped[int] = mapped_column(sa.BigInteger())
    refcount: Mapped[int]
    created_at: Mapped[dt.datetime]


class SubmissionBlob(Base):
    """A file of a submission's package: its path in the package and its blob."""

    __tablename__ = "submission_blobs"

    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id"), primary_key=True)
    path: Mapped[str] = mapped_column(sa.String(512), primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.ForeignKey("blobs.sha256"), index=True)
    size: Mapped[int] = mapped_column(sa.BigInteger())
    role: Mapped[str] = mapped_column(sa.String(32))


class Tombstone(Base):
    """What is left of a withdrawn submission: ids, hashes and times, no content."""

    __tablename__ = "tombstones"
    __table_args__ = (sa.CheckConstraint(_in("cause", TOMBSTONE_CAUSES), name="cause"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id"), unique=True)
    lineage: Mapped[str] = mapped_column(sa.String(36))
    version: Mapped[int]
    contributor_pseudonym: Mapped[str] = mapped_column(sa.String(32))
    consent_record_id: Mapped[str] = mapped_column(sa.String(64))
    manifest_sha256: Mapped[str] = mapped_column(sa.String(64))
    blob_sha256s: Mapped[list[str]]
    blobs_deleted: Mapped[int]
    state_before: Mapped[str] = mapped_column(sa.String(20))
    cause: Mapped[str] = mapped_column(sa.String(20))
    withdrawn_at: Mapped[dt.datetime] = mapped_column(index=True)


class Rate(Base):
    """Pay rates from a time on: per approved minute and per approved task (integer cents)."""

    __tablename__ = "rates"
    __table_args__ = (
        sa.CheckConstraint(
            "per_approved_minute_cents >= 0 AND per_approved_task_cents >= 0", name="positive"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    effective_from: Mapped[dt.datetime] = mapped_column(index=True)
    per_approved_minute_cents: Mapped[int]
    per_approved_task_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(sa.String(3))
    created_at: Mapped[dt.datetime]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class PayoutMonth(Base):
    """A month whose payouts were recorded as paid: closed, it never changes again."""

    __tablename__ = "payout_months"

    month: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    closed_at: Mapped[dt.datetime]
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class Payout(Base):
    """What one contributor was paid for one closed month."""

    __tablename__ = "payouts"
    __table_args__ = (sa.UniqueConstraint("month", "contributor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(sa.ForeignKey("payout_months.month"))
    contributor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    contributor_pseudonym: Mapped[str] = mapped_column(sa.String(32))
    item_count: Mapped[int]
    approved_us: Mapped[int] = mapped_column(sa.BigInteger())
    amount_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(sa.String(3))
    paid_at: Mapped[dt.datetime]


class PayoutItem(Base):
    """One approved submission paid in a payout; an item is paid once."""

    __tablename__ = "payout_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    payout_id: Mapped[int] = mapped_column(sa.ForeignKey("payouts.id"), index=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id"), unique=True)
    approved_at: Mapped[dt.datetime]
    duration_us: Mapped[int] = mapped_column(sa.BigInteger())
    minute_cents: Mapped[int]
    task_cents: Mapped[int]
    amount_cents: Mapped[int]


# The team server's tables (tokens, uploads, jobs) share this metadata.
from annotator.store import server_models  # noqa: E402, F401
