"""Quality signals and review quality: each submission's signal set (the package's canonical
records, the store's own, the fingerprint that finds duplicates), the kinds it has (the
queue's filter), the signal a comment answers; gold items and blind (gold or second) reviews;
the signals job.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
OLD_KIND = ("verify", "ocr", "export", "reverify")
NEW_KIND = (*OLD_KIND, "signals")  # the team server's signals job


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    op.create_table(
        "signal_sets",
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("algorithm_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("computed_at", TS, nullable=False),
        sa.Column("package_records", sa.Text(), nullable=True),
        sa.Column("package_sha256", sa.String(64), nullable=True),
        sa.Column("store_records", sa.Text(), nullable=True),
        sa.Column("fingerprint", sa.JSON(), nullable=True),
        sa.Column("max_severity", sa.SmallInteger(), nullable=False),
        sa.Column("signal_count", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('done', 'failed')", name=op.f("ck_signal_sets_status")),
        sa.CheckConstraint("max_severity >= 0 AND max_severity <= 3",
                           name=op.f("ck_signal_sets_max_severity")),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"],
                                name=op.f("fk_signal_sets_submission_id_submissions")),
        sa.PrimaryKeyConstraint("submission_id", name=op.f("pk_signal_sets")),
    )
    op.create_table(
        "signal_kinds",
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("severity", sa.SmallInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"],
                                name=op.f("fk_signal_kinds_submission_id_submissions")),
        sa.PrimaryKeyConstraint("submission_id", "kind", name=op.f("pk_signal_kinds")),
    )
    op.create_index("ix_signal_kinds_kind", "signal_kinds", ["kind", "submission_id"])
    op.add_column("comments", sa.Column("signal_key", sa.String(96), nullable=True))
    op.create_table(
        "gold_items",
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("quality", sa.SmallInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("marked_by_id", sa.Integer(), nullable=False),
        sa.Column("marked_at", TS, nullable=False),
        sa.CheckConstraint("decision IN ('approve', 'request_changes', 'reject')",
                           name=op.f("ck_gold_items_decision")),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"],
                                name=op.f("fk_gold_items_submission_id_submissions")),
        sa.ForeignKeyConstraint(["marked_by_id"], ["users.id"],
                                name=op.f("fk_gold_items_marked_by_id_users")),
        sa.PrimaryKeyConstraint("submission_id", name=op.f("pk_gold_items")),
    )
    op.create_table(
        "blind_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("assigned_at", TS, nullable=False),
        sa.Column("decision", sa.String(16), nullable=True),
        sa.Column("quality", sa.SmallInteger(), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.CheckConstraint("kind IN ('gold', 'second')", name=op.f("ck_blind_reviews_kind")),
        sa.CheckConstraint("decision IS NULL OR decision IN ('approve', 'request_changes', "
                           "'reject')", name=op.f("ck_blind_reviews_decision")),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"],
                                name=op.f("fk_blind_reviews_submission_id_submissions")),
        sa.ForeignKeyConstraint(["reviewer_id"], ["users.id"],
                                name=op.f("fk_blind_reviews_reviewer_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blind_reviews")),
        sa.UniqueConstraint("submission_id", "reviewer_id", "kind",
                            name=op.f("uq_blind_reviews_submission_id_reviewer_id_kind")),
    )
    op.create_table(
        "review_mix",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gold_rate", sa.Float(), nullable=False),
        sa.Column("second_rate", sa.Float(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_review_mix_single")),
        sa.CheckConstraint("gold_rate >= 0 AND second_rate >= 0 AND gold_rate + second_rate "
                           "<= 1", name=op.f("ck_review_mix_rates")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"],
                                name=op.f("fk_review_mix_updated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_mix")),
    )
    op.create_index(op.f("ix_blind_reviews_submission_id"), "blind_reviews", ["submission_id"])
    op.create_index(op.f("ix_blind_reviews_reviewer_id"), "blind_reviews", ["reviewer_id"])
    with op.batch_alter_table("jobs") as b:
        b.drop_constraint(op.f("ck_jobs_kind"), type_="check")
        b.create_check_constraint(op.f("ck_jobs_kind"), _in("kind", NEW_KIND))


def downgrade() -> None:
    op.drop_index(op.f("ix_blind_reviews_reviewer_id"), table_name="blind_reviews")
    op.drop_index(op.f("ix_blind_reviews_submission_id"), table_name="blind_reviews")
    op.drop_table("review_mix")
    op.drop_table("blind_reviews")
    op.drop_table("gold_items")
    op.execute(sa.text("DELETE FROM jobs WHERE kind = 'signals'"))
    with op.batch_alter_table("jobs") as b:
        b.drop_constraint(op.f("ck_jobs_kind"), type_="check")
        b.create_check_constraint(op.f("ck_jobs_kind"), _in("kind", OLD_KIND))
    with op.batch_alter_table("comments") as batch:
        batch.drop_column("signal_key")
    op.drop_index("ix_signal_kinds_kind", table_name="signal_kinds")
    op.drop_table("signal_kinds")
    op.drop_table("signal_sets")
