"""Initial schema: users, payees, terms, tasks, consent records, submissions, audit log,
comments, blobs, tombstones, rates and payouts.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _pk(table: str, *cols: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*cols, name=op.f(f"pk_{table}"))


def _fk(table: str, col: str, ref: str, refcol: str = "id", **kw) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([col], [f"{ref}.{refcol}"],
                                   name=op.f(f"fk_{table}_{col}_{ref}"), **kw)


def _uq(table: str, *cols: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*cols, name=op.f(f"uq_{table}_{'_'.join(cols)}"))


def _ck(table: str, name: str, sql: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(sql, name=op.f(f"ck_{table}_{name}"))


def _ix(table: str, *cols: str) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(cols)}"), table, list(cols))


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pseudonym", sa.String(32), nullable=False),
        sa.Column("name", sa.String(64), nullable=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("passphrase_hash", sa.String(255), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("disabled_at", TS, nullable=True),
        sa.Column("deleted_at", TS, nullable=True),
        _ck("users", "role", "role IN ('contributor', 'reviewer', 'admin')"),
        _fk("users", "created_by_id", "users"),
        _pk("users", "id"),
        _uq("users", "name"),
        _uq("users", "pseudonym"),
    )
    op.create_table(
        "payees",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("legal_name", sa.Text(), nullable=False),
        sa.Column("payment_details", sa.Text(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        _fk("payees", "user_id", "users", ondelete="CASCADE"),
        _pk("payees", "user_id"),
    )
    op.create_table(
        "terms_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("published_at", TS, nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        _fk("terms_versions", "published_by_id", "users"),
        _pk("terms_versions", "id"),
        _uq("terms_versions", "version"),
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("goal", sa.Text(), nullable=False),
        sa.Column("applications", sa.JSON(), nullable=False),
        sa.Column("difficulty", sa.String(16), nullable=False),
        sa.Column("pay_cents", sa.Integer(), nullable=True),
        sa.Column("published_at", TS, nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", TS, nullable=True),
        _ck("tasks", "difficulty", "difficulty IN ('easy', 'medium', 'hard')"),
        _ck("tasks", "pay", "pay_cents IS NULL OR pay_cents >= 0"),
        _fk("tasks", "published_by_id", "users"),
        _pk("tasks", "id"),
    )
    op.create_table(
        "consent_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(64), nullable=False),
        sa.Column("contributor_id", sa.Integer(), nullable=False),
        sa.Column("contributor_pseudonym", sa.String(32), nullable=False),
        sa.Column("terms_version_id", sa.Integer(), nullable=False),
        sa.Column("terms_version", sa.String(32), nullable=False),
        sa.Column("terms_sha256", sa.String(64), nullable=False),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("permitted_uses", sa.JSON(), nullable=False),
        sa.Column("data_categories", sa.JSON(), nullable=False),
        sa.Column("given_at", TS, nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.Column("record_sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("withdrawn_at", TS, nullable=True),
        sa.Column("received_at", TS, nullable=False),
        _ck("consent_records", "status", "status IN ('given', 'withdrawn')"),
        _fk("consent_records", "contributor_id", "users"),
        _fk("consent_records", "terms_version_id", "terms_versions"),
        _pk("consent_records", "id"),
        _uq("consent_records", "record_id"),
    )
    _ix("consent_records", "contributor_id")
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lineage", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        sa.Column("contributor_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("consent_id", sa.Integer(), nullable=False),
        sa.Column("package_id", sa.String(64), nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("claimed_by_id", sa.Integer(), nullable=True),
        sa.Column("lock_expires_at", TS, nullable=True),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("quality", sa.SmallInteger(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("goal", sa.Text(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("duration_us", sa.BigInteger(), nullable=False),
        sa.Column("step_count", sa.Integer(), nullable=False),
        sa.Column("total_bytes", sa.BigInteger(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("submitted_at", TS, nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("withdrawn_at", TS, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        _ck("submissions", "state",
            "state IN ('draft', 'submitted', 'in_review', 'approved', 'changes_requested', "
            "'rejected', 'superseded', 'withdrawn')"),
        _ck("submissions", "quality", "quality IS NULL OR (quality >= 1 AND quality <= 5)"),
        _ck("submissions", "version", "version >= 1"),
        _fk("submissions", "previous_id", "submissions"),
        _fk("submissions", "contributor_id", "users"),
        _fk("submissions", "task_id", "tasks"),
        _fk("submissions", "consent_id", "consent_records"),
        _fk("submissions", "claimed_by_id", "users"),
        _fk("submissions", "reviewer_id", "users"),
        _pk("submissions", "id"),
        _uq("submissions", "previous_id"),
        _uq("submissions", "consent_id"),
    )
    for col in ("lineage", "contributor_id", "task_id", "manifest_sha256", "claimed_by_id"):
        _ix("submissions", col)
    op.create_table(
        "transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("from_state", sa.String(20), nullable=True),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        _fk("transitions", "submission_id", "submissions"),
        _fk("transitions", "actor_id", "users"),
        _pk("transitions", "id"),
    )
    _ix("transitions", "submission_id")
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=True),
        sa.Column("step_id", sa.String(64), nullable=True),
        sa.Column("t_start_us", sa.BigInteger(), nullable=True),
        sa.Column("t_end_us", sa.BigInteger(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        _ck("comments", "range",
            "t_start_us IS NULL OR t_end_us IS NULL OR t_end_us >= t_start_us"),
        _fk("comments", "submission_id", "submissions"),
        _fk("comments", "author_id", "users"),
        _pk("comments", "id"),
    )
    _ix("comments", "submission_id")
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("refcount", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        _ck("blobs", "refcount", "refcount >= 0"),
        _pk("blobs", "sha256"),
    )
    op.create_table(
        "submission_blobs",
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        _fk("submission_blobs", "submission_id", "submissions"),
        _fk("submission_blobs", "sha256", "blobs", "sha256"),
        _pk("submission_blobs", "submission_id", "path"),
    )
    _ix("submission_blobs", "sha256")
    op.create_table(
        "tombstones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("lineage", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("contributor_pseudonym", sa.String(32), nullable=False),
        sa.Column("consent_record_id", sa.String(64), nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.Column("blob_sha256s", sa.JSON(), nullable=False),
        sa.Column("blobs_deleted", sa.Integer(), nullable=False),
        sa.Column("state_before", sa.String(20), nullable=False),
        sa.Column("cause", sa.String(20), nullable=False),
        sa.Column("withdrawn_at", TS, nullable=False),
        _ck("tombstones", "cause", "cause IN ('withdrawn', 'account_deleted')"),
        _fk("tombstones", "submission_id", "submissions"),
        _pk("tombstones", "id"),
        _uq("tombstones", "submission_id"),
    )
    _ix("tombstones", "withdrawn_at")
    op.create_table(
        "rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("effective_from", TS, nullable=False),
        sa.Column("per_approved_minute_cents", sa.Integer(), nullable=False),
        sa.Column("per_approved_task_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        _ck("rates", "positive",
            "per_approved_minute_cents >= 0 AND per_approved_task_cents >= 0"),
        _fk("rates", "created_by_id", "users"),
        _pk("rates", "id"),
    )
    _ix("rates", "effective_from")
    op.create_table(
        "payout_months",
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("closed_at", TS, nullable=False),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        _fk("payout_months", "closed_by_id", "users"),
        _pk("payout_months", "month"),
    )
    op.create_table(
        "payouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("contributor_id", sa.Integer(), nullable=False),
        sa.Column("contributor_pseudonym", sa.String(32), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("approved_us", sa.BigInteger(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("paid_at", TS, nullable=False),
        _fk("payouts", "month", "payout_months", "month"),
        _fk("payouts", "contributor_id", "users"),
        _pk("payouts", "id"),
        _uq("payouts", "month", "contributor_id"),
    )
    _ix("payouts", "contributor_id")
    op.create_table(
        "payout_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payout_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("approved_at", TS, nullable=False),
        sa.Column("duration_us", sa.BigInteger(), nullable=False),
        sa.Column("minute_cents", sa.Integer(), nullable=False),
        sa.Column("task_cents", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        _fk("payout_items", "payout_id", "payouts"),
        _fk("payout_items", "submission_id", "submissions"),
        _pk("payout_items", "id"),
        _uq("payout_items", "submission_id"),
    )
    _ix("payout_items", "payout_id")

    # The audit log is append-only: the database itself refuses UPDATE and DELETE.
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION annotator_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP; END $$"
        )
        op.execute(
            "CREATE TRIGGER transitions_append_only BEFORE UPDATE OR DELETE ON transitions "
            "FOR EACH ROW EXECUTE FUNCTION annotator_append_only()"
        )
        op.execute(
            "CREATE TRIGGER transitions_no_truncate BEFORE TRUNCATE ON transitions "
            "FOR EACH STATEMENT EXECUTE FUNCTION annotator_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER transitions_no_{verb.lower()} BEFORE {verb} ON transitions "
                f"BEGIN SELECT RAISE(ABORT, 'transitions is append-only: {verb} refused'); END"
            )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS transitions_no_truncate ON transitions")
        op.execute("DROP TRIGGER IF EXISTS transitions_append_only ON transitions")
        op.execute("DROP FUNCTION IF EXISTS annotator_append_only()")
    for table in ("payout_items", "payouts", "payout_months", "rates", "tombstones",
                  "submission_blobs", "blobs", "comments", "transitions", "submissions",
                  "consent_records", "tasks", "terms_versions", "payees", "users"):
        op.drop_table(table)
