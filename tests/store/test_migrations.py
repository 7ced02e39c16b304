"""Migrations on SQLite and PostgreSQL: an empty database, a database holding data made at the
previous revision, autogenerate finding no difference, and clear errors for a database that
is out of date, too new or unreachable."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from argon2 import PasswordHasher

from annotator.store import SchemaOutOfDate, SchemaTooNew, StoreUnavailable, open_store
from annotator.store.db import current_revision, head_revision, upgrade
from annotator.store.models import Base
from annotator.workflow.auth import Passphrases
from annotator.workflow.service import Services
from tests.store.db_fixtures import FAST_HASHER, make_store

T0 = dt.datetime(2026, 2, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def empty(backend, request, tmp_path, tmp_path_factory):
    return make_store(backend, request, tmp_path, tmp_path_factory, migrated=False)


def diff(engine) -> list:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True,
                                                     "compare_server_default": True})
        return compare_metadata(ctx, Base.metadata)


def test_upgrade_an_empty_database(empty) -> None:
    assert current_revision(empty.engine) is None
    with pytest.raises(SchemaOutOfDate, match="empty") as ei:
        empty.check_schema()
    assert "annotator db upgrade" in ei.value.hint
    before, after = empty.upgrade()
    assert (before, after) == (None, head_revision())
    empty.check_schema()
    assert diff(empty.engine) == []
    assert empty.upgrade() == (after, after)  # idempotent


def test_models_match_the_migrated_schema(store) -> None:
    assert diff(store.engine) == []


def test_downgrade_and_upgrade_again(empty) -> None:
    from alembic import command

    from annotator.store.db import alembic_config

    empty.upgrade()
    with empty.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert current_revision(empty.engine) is None
    empty.upgrade()
    assert diff(empty.engine) == []


def _insert_revision_1_data(conn, pw_hash: str) -> None:
    """Rows as the code of revision 0001 wrote them (raw SQL: independent of today's models)."""
    t = T0.isoformat() if conn.dialect.name == "postgresql" else T0.strftime(
        "%Y-%m-%d %H:%M:%S.%f")
    x = conn.exec_driver_sql
    x("INSERT INTO users (id, pseudonym, name, role, passphrase_hash, created_at) VALUES "
      f"(1, 'a-admin001', 'admin', 'admin', '{pw_hash}', '{t}'), "
      f"(2, 'c-contri01', 'ana', 'contributor', '{pw_hash}', '{t}'), "
      f"(3, 'r-review01', 'rev', 'reviewer', '{pw_hash}', '{t}')")
    x("INSERT INTO terms_versions (id, version, text, sha256, published_at, published_by_id) "
      f"VALUES (1, '1', 'the terms', '{'a' * 64}', '{t}', 1)")
    x("INSERT INTO tasks (id, title, goal, applications, difficulty, pay_cents, published_at) "
      f"VALUES (1, 'Files', 'Rename a file', '[\"Nautilus\"]', 'easy', 300, '{t}')")
    x("INSERT INTO consent_records (id, record_id, contributor_id, contributor_pseudonym, "
      "terms_version_id, terms_version, terms_sha256, purposes, permitted_uses, "
      "data_categories, given_at, method, manifest_sha256, record_sha256, status, received_at)"
      f" VALUES (1, 'rec-1', 2, 'c-contri01', 1, '1', '{'a' * 64}', '[\"training\"]', "
      f"'[\"review\"]', '[\"video\"]', '{t}', 'app', '{'b' * 64}', '{'c' * 64}', 'given', "
      f"'{t}')")
    x("INSERT INTO submissions (id, lineage, version, contributor_id, task_id, consent_id, "
      "package_id, manifest_sha256, state, goal, summary, duration_us, step_count, total_bytes, "
      f"created_at, submitted_at, updated_at) VALUES (1, 'lin-1', 1, 2, 1, 1, 'pkg-1', "
      f"'{'b' * 64}', 'submitted', 'Rename a file', '{{\"steps\": 3}}', 60000000, 3, 10, "
      f"'{t}', '{t}', '{t}')")
    x("INSERT INTO transitions (submission_id, action, from_state, to_state, actor_id, at) "
      f"VALUES (1, 'ingest', NULL, 'draft', 2, '{t}'), (1, 'submit', 'draft', 'submitted', 2, "
      f"'{t}')")
    x(f"INSERT INTO blobs (sha256, size, refcount, created_at) VALUES ('{'d' * 64}', 10, 1, "
      f"'{t}')")
    x("INSERT INTO submission_blobs (submission_id, path, sha256, size, role) VALUES "
      f"(1, 'video.mp4', '{'d' * 64}', 10, 'video')")
    if conn.dialect.name == "postgresql":
        for table in ("users", "terms_versions", "tasks", "consent_records", "submissions"):
            x(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
              f"(SELECT max(id) FROM {table}))")


def test_upgrade_a_database_with_data_from_the_previous_revision(empty, clock) -> None:
    with empty.engine.begin() as conn:
        from alembic import command

        from annotator.store.db import alembic_config

        command.upgrade(alembic_config(conn), "0001")
    assert current_revision(empty.engine) == "0001"
    with pytest.raises(SchemaOutOfDate, match="0001"):
        empty.check_schema()
    pw_hash = Passphrases(FAST_HASHER).hash("old passphrase")
    with empty.engine.begin() as conn:
        _insert_revision_1_data(conn, pw_hash)
    before, after = upgrade(empty.engine)
    assert (before, after) == ("0001", head_revision())
    assert diff(empty.engine) == []
    with empty.engine.connect() as conn:
        flags = conn.exec_driver_sql(
            "SELECT name, must_change_passphrase FROM users ORDER BY id").all()
        assert [(n, bool(f)) for n, f in flags] == [("admin", False), ("ana", False),
                                                    ("rev", False)]
    # The old data works with today's services.
    svc = Services(empty, clock=clock, passphrases=Passphrases(PasswordHasher(
        time_cost=1, memory_cost=1024, parallelism=1)))
    rev = svc.sign_in(name="rev", passphrase="old passphrase")
    queue = svc.list_queue(actor=rev)
    assert [(i.id, i.contributor, i.task_title, i.submitted_at) for i in queue] == [
        (1, "c-contri01", "Files", T0)]
    claimed = svc.claim(actor=rev, submission_id=1)
    assert claimed.claimed_by == "r-review01"
    assert svc.approve(actor=rev, submission_id=1, quality=5).state.value == "approved"
    ana = svc.sign_in(name="ana", passphrase="old passphrase")
    assert svc.withdraw(actor=ana, submission_id=1).blobs_deleted == 1
    history = svc.get_submission(actor=ana, submission_id=1).history
    assert [h.action for h in history] == ["ingest", "submit", "claim", "approve", "withdraw"]


def test_a_database_from_a_newer_annotator(empty) -> None:
    empty.upgrade()
    with empty.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(SchemaTooNew, match="9999"):
        empty.check_schema()
    with pytest.raises(SchemaTooNew):
        empty.upgrade()


def test_embedded_sqlite_is_upgraded_automatically_and_server_databases_are_not(
        tmp_path, pg_cluster) -> None:
    store = open_store(workspace_root=tmp_path)
    assert current_revision(store.engine) == head_revision()
    assert store.url.database == str(tmp_path / "store" / "annotator.db")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    store.dispose()
    url = pg_cluster.create_database("auto_upgrade_refused")
    try:
        with pytest.raises(SchemaOutOfDate, match="annotator db upgrade"):
            open_store(workspace_root=tmp_path, database_url=url)
    finally:
        pg_cluster.drop_database("auto_upgrade_refused")


def test_the_environment_variable_names_the_database(tmp_path, monkeypatch, pg_cluster) -> None:
    url = pg_cluster.create_database("from_env")
    try:
        monkeypatch.setenv("ANNOTATOR_DATABASE_URL",
                           url.replace("postgresql+psycopg://", "postgresql://"))
        store = open_store(workspace_root=tmp_path, migrate="none")
        assert store.backend == "postgresql" and store.url.drivername == "postgresql+psycopg"
        store.upgrade()
        store.check_schema()
        store.dispose()
    finally:
        pg_cluster.drop_database("from_env")


def test_an_unreachable_database_gives_a_clear_error(tmp_path, pg_cluster) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    url = f"postgresql://annotator:s3cret-pw@127.0.0.1:{port}/annotator"
    with pytest.raises(StoreUnavailable) as ei:
        open_store(workspace_root=tmp_path, database_url=url)
    err = ei.value
    assert f"Cannot reach the database postgresql+psycopg://annotator:***@127.0.0.1:{port}" \
        in err.message
    assert "s3cret-pw" not in str(err)
    assert "recordings are untouched" in err.hint
    # A database that does not exist on a running server, and a wrong password.
    with pytest.raises(StoreUnavailable, match="does not exist"):
        open_store(workspace_root=tmp_path, database_url=pg_cluster.url("no_such_db"))
    bad_pw = pg_cluster.url().replace(pg_cluster.password, "wrong")
    with pytest.raises(StoreUnavailable, match="password authentication failed"):
        open_store(workspace_root=tmp_path, database_url=bad_pw)
    # SQLite in a folder that cannot be created.
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreUnavailable, match="Cannot reach the database sqlite"):
        open_store(workspace_root=tmp_path, database_url=f"sqlite:///{blocker}/sub/x.db")
    with pytest.raises(StoreUnavailable, match="not supported"):
        open_store(workspace_root=tmp_path, database_url="mysql://x@localhost/db")


def test_a_server_that_goes_away_gives_a_clear_error(tmp_path, pg_cluster, clock) -> None:
    url = pg_cluster.create_database("goes_away")
    store = open_store(workspace_root=tmp_path, database_url=url, migrate="none")
    store.upgrade()
    svc = Services(store, clock=clock, passphrases=Passphrases(FAST_HASHER))
    admin = svc.setup_first_admin(name="admin", passphrase="admin passphrase")
    pg_cluster.drop_database("goes_away")  # terminates the pooled connections
    with pytest.raises(StoreUnavailable, match="Cannot reach the database"):
        svc.list_users(actor=admin)
    store.dispose()


def test_sqlite_file_permissions(tmp_path) -> None:
    umask = os.umask(0o077)  # as annotator's main() sets it
    try:
        store = open_store(workspace_root=tmp_path)
    finally:
        os.umask(umask)
    path = tmp_path / "store" / "annotator.db"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct((tmp_path / "store").stat().st_mode & 0o777) == "0o700"
    store.dispose()
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_write_transactions_take_the_sqlite_write_lock_at_once(tmp_path) -> None:
    store = open_store(workspace_root=tmp_path)
    other = sqlite3.connect(tmp_path / "store" / "annotator.db", timeout=0.1)
    with store.write() as s:
        s.execute(sa.text("SELECT 1"))
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")
    other.rollback()
    with store.read() as s:  # a read does not block writers
        s.execute(sa.text("SELECT count(*) FROM users"))
        other.execute("BEGIN IMMEDIATE")
        other.rollback()
    store.dispose()


def test_relaxed_commit_is_for_one_transaction_only(store) -> None:
    import sqlalchemy as sa

    from annotator.store.db import relaxed_commit

    pg = store.engine.dialect.name == "postgresql"
    show = sa.text("SHOW synchronous_commit")
    if pg:
        with store.connect(write=True) as conn:
            default = conn.execute(show).scalar()
    with store.connect(write=True) as conn:
        if pg:  # (the test cluster runs with it off globally, for speed)
            conn.execute(sa.text("SET LOCAL synchronous_commit TO on"))
        relaxed_commit(conn)
        if pg:
            assert conn.execute(show).scalar() == "off"
    with store.write() as s:  # the next transaction has the server's setting again
        if pg:
            assert s.execute(show).scalar() == default
        relaxed_commit(s)  # a session works too (SQLite: nothing to do)
