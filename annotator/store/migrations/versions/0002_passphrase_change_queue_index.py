"""Users can be asked to change their passphrase at next sign-in (set on invitation and reset);
indexes for the review queue: (state, submitted_at, id), and a partial index of the open queue
(waiting or in review) by (submitted_at, id), from which a page is read in order.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("must_change_passphrase", sa.Boolean(), server_default=sa.false(),
                  nullable=False),
    )
    op.create_index("ix_submissions_queue", "submissions", ["state", "submitted_at", "id"])
    where = sa.text("state IN ('submitted', 'in_review')")
    op.create_index("ix_submissions_open", "submissions", ["submitted_at", "id"],
                    sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    op.drop_index("ix_submissions_open", table_name="submissions")
    op.drop_index("ix_submissions_queue", table_name="submissions")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("must_change_passphrase")
