"""Upload and job lifecycles with their append-only history, and verified figures.

- ``upload_transitions`` and ``job_transitions``: one row per state change (the tables of
  ``annotator.server.lifecycles``), append-only like ``transitions``.
- Uploads may be ``cancelled`` (withdrawal, account deletion) and keep what verification
  measured (``figures``); jobs may be ``dead`` (out of attempts) or ``cancelled``, and a
  ``reverify`` job re-verifies submissions accepted before verification measured files.
- Submissions keep the active time paid for (``paid_us``), when they were verified and what
  was measured (``verification``).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
OLD_UPLOAD = ("uploading", "uploaded", "verifying", "accepted", "rejected", "aborted")
NEW_UPLOAD = (*OLD_UPLOAD, "cancelled")
OLD_JOB = ("queued", "running", "done", "failed")
NEW_JOB = (*OLD_JOB, "dead", "cancelled")
OLD_KIND = ("verify", "ocr", "export")
NEW_KIND = (*OLD_KIND, "reverify")
HISTORY = ("upload_transitions", "job_transitions")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _history(table: str, subject: str, subject_table: str, key: sa.types.TypeEngine,
             extra: list[sa.Column]) -> None:
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(subject, key, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=True),
        sa.Column("to_state", sa.String(16), nullable=False),
        *extra,
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint([subject], [f"{subject_table}.id"],
                                name=op.f(f"fk_{table}_{subject}_{subject_table}")),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"],
                                name=op.f(f"fk_{table}_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    )
    op.create_index(op.f(f"ix_{table}_{subject}"), table, [subject])


def upgrade() -> None:
    _history("upload_transitions", "upload_id", "uploads", sa.String(32), [])
    _history("job_transitions", "job_id", "jobs", sa.String(64),
             [sa.Column("attempt", sa.Integer(), nullable=False)])
    with op.batch_alter_table("uploads") as b:
        b.drop_constraint(op.f("ck_uploads_state"), type_="check")
        b.create_check_constraint(op.f("ck_uploads_state"), _in("state", NEW_UPLOAD))
        b.add_column(sa.Column("figures", sa.JSON(), nullable=True))
    with op.batch_alter_table("jobs") as b:
        b.drop_constraint(op.f("ck_jobs_state"), type_="check")
        b.drop_constraint(op.f("ck_jobs_kind"), type_="check")
        b.create_check_constraint(op.f("ck_jobs_state"), _in("state", NEW_JOB))
        b.create_check_constraint(op.f("ck_jobs_kind"), _in("kind", NEW_KIND))
    with op.batch_alter_table("submissions") as b:
        b.add_column(sa.Column("paid_us", sa.BigInteger(), nullable=True))
        b.add_column(sa.Column("verified_at", TS, nullable=True))
        b.add_column(sa.Column("verification", sa.JSON(), nullable=True))
    for table in HISTORY:
        if op.get_context().dialect.name == "postgresql":
            # annotator_append_only() was made by revision 0001
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION annotator_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION annotator_append_only()")
        else:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END")


def downgrade() -> None:
    for table in ("job_transitions", "upload_transitions"):
        if op.get_context().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.drop_table(table)
    with op.batch_alter_table("submissions") as b:
        b.drop_column("verification")
        b.drop_column("verified_at")
        b.drop_column("paid_us")
    op.execute("DELETE FROM jobs WHERE state IN ('dead', 'cancelled') OR kind = 'reverify'")
    with op.batch_alter_table("jobs") as b:
        b.drop_constraint(op.f("ck_jobs_state"), type_="check")
        b.drop_constraint(op.f("ck_jobs_kind"), type_="check")
        b.create_check_constraint(op.f("ck_jobs_state"), _in("state", OLD_JOB))
        b.create_check_constraint(op.f("ck_jobs_kind"), _in("kind", OLD_KIND))
    op.execute("UPDATE uploads SET state = 'aborted' WHERE state = 'cancelled'")
    with op.batch_alter_table("uploads") as b:
        b.drop_column("figures")
        b.drop_constraint(op.f("ck_uploads_state"), type_="check")
        b.create_check_constraint(op.f("ck_uploads_state"), _in("state", OLD_UPLOAD))
