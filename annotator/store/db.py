"""Opening the workspace store: the database (SQLite by default, PostgreSQL on request) and the
blob store, and running the Alembic migrations.

- ``ANNOTATOR_DATABASE_URL`` (or ``database_url=``) names the database.  Without it the store is
  an SQLite file in the workspace (``<workspace>/store/annotator.db``) in WAL mode with
  foreign keys on, and every write transaction starts with ``BEGIN IMMEDIATE`` so that there
  is a single writer and no "database is locked" half-way through a transaction.
- ``postgresql://`` and ``postgres://`` URLs use psycopg 3.
- Blobs live in ``<workspace>/store/blobs`` (``LocalBlobStore``) unless another ``BlobStore``
  is given.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from annotator.settings import current as settings
from annotator.store.blobs import BlobStore, LocalBlobStore
from annotator.store.errors import SchemaOutOfDate, SchemaTooNew, StoreUnavailable

ENV_DATABASE_URL = "ANNOTATOR_DATABASE_URL"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
READ_ONLY = "annotator_read_only"  # execution option: a read transaction (SQLite: BEGIN DEFERRED)


def store_dir(workspace_root: str | os.PathLike[str]) -> Path:
    return Path(workspace_root) / "store"


def resolve_url(database_url: str | URL | None, workspace_root: str | os.PathLike[str] | None
                ) -> URL:
    """The database URL to use: the argument, else ``$ANNOTATOR_DATABASE_URL``, else SQLite
    in the workspace."""
    raw = database_url or settings().database_url
    if raw is None:
        if workspace_root is None:
            raise StoreUnavailable(
                "No database to open: no workspace and no database URL were given.",
                f"Pass --workspace DIR, or set {ENV_DATABASE_URL} to a PostgreSQL URL.",
            )
        folder = store_dir(workspace_root)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return URL.create("sqlite+pysqlite", database=str(folder / "annotator.db"))
    try:
        url = make_url(raw) if isinstance(raw, str) else raw
    except sa.exc.ArgumentError:
        raise StoreUnavailable(
            f"{ENV_DATABASE_URL} is not a database URL: {_mask(str(raw))!r}.",
            "Use postgresql://USER@HOST:PORT/DBNAME or sqlite:///PATH, or unset it to use the "
            "workspace's own database.",
        ) from None
    if url.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        url = url.set(drivername="postgresql+psycopg")
    elif url.drivername == "sqlite":
        url = url.set(drivername="sqlite+pysqlite")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreUnavailable(
            f"The database {url.render_as_string(hide_password=True)} is not supported.",
            "annotator works with PostgreSQL (postgresql://...) or SQLite (sqlite:///...).",
        )
    return url


def _mask(text: str) -> str:
    try:
        return make_url(text).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - only for a message
        return "<unparsable>"


def describe(url: URL) -> str:
    """The URL for messages: never the password."""
    return url.render_as_string(hide_password=True)


def create_engine(url: URL, **kwargs: Any) -> Engine:
    if url.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy's begin event, not pysqlite, start transactions.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            read_only = conn._execution_options.get(READ_ONLY, False)
            # Straight to the driver: this runs before every transaction.
            conn.connection.driver_connection.execute(  # type: ignore[union-attr]
                "BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    return sa.create_engine(
        url, connect_args={"connect_timeout": 10, "application_name": "annotator"},
        pool_pre_ping=True, **kwargs,
    )


def unavailable(url: URL, exc: BaseException) -> StoreUnavailable:
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = detail[0] if detail else type(exc).__name__
    if url.get_backend_name() == "sqlite":
        hint = ("Check that the workspace folder exists, is writable and is not on a full disk. "
                "Your local recordings are untouched.")
    else:
        hint = (f"Check that the PostgreSQL server is running and that {ENV_DATABASE_URL} "
                "names the right host, port, database and user (unset it to use the "
                "workspace's own database). Your local recordings are untouched.")
    return StoreUnavailable(f"Cannot reach the database {describe(url)}: {first}", hint)


# -- migrations ------------------------------------------------------------------------------
def alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Run the migrations up to ``revision``; returns (revision before, revision after)."""
    from alembic import command

    before = current_revision(engine)
    if before is not None and before not in known_revisions():
        raise SchemaTooNew(
            f"The database is at schema revision {before}, which this annotator does not know.",
            "It was upgraded by a newer annotator: install that version.",
        )
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)
    return before, current_revision(engine)


# -- the store ---------------------------------------------------------------------------------
@dataclass
class Store:
    """The database and the blob store of one workspace (or team server)."""

    engine: Engine
    blobs: BlobStore
    url: URL
    _read_engine: Engine = field(init=False, repr=False)
    _sessions: sessionmaker[Session] = field(init=False, repr=False)
    _read_sessions: sessionmaker[Session] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._read_engine = self.engine.execution_options(**{READ_ONLY: True})
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(self._read_engine, expire_on_commit=False)

    @property
    def backend(self) -> str:
        return self.url.get_backend_name()

    @contextlib.contextmanager
    def _transaction(self, factory: sessionmaker[Session]) -> Iterator[Session]:
        try:
            with factory() as session, session.begin():
                yield session
        except sa.exc.OperationalError as exc:
            if _is_connection_error(exc):
                raise unavailable(self.url, exc) from exc
            raise

    def write(self) -> contextlib.AbstractContextManager[Session]:
        """A read-write transaction (committed at the end, rolled back on an exception)."""
        return self._transaction(self._sessions)

    def read(self) -> contextlib.AbstractContextManager[Session]:
        """A read transaction (SQLite: no write lock is taken)."""
        return self._transaction(self._read_sessions)

    @contextlib.contextmanager
    def connect(self, *, write: bool) -> Iterator[Connection]:
        """A Core connection in a transaction, for the hot paths (no ORM session)."""
        engine = self.engine if write else self._read_engine
        try:
            with engine.begin() as conn:
                yield conn
        except sa.exc.OperationalError as exc:
            if _is_connection_error(exc):
                raise unavailable(self.url, exc) from exc
            raise

    def check_schema(self) -> None:
        try:
            current = current_revision(self.engine)
        except sa.exc.OperationalError as exc:
            raise unavailable(self.url, exc) from exc
        head = head_revision()
        if current == head:
            return
        if current is not None and current not in known_revisions():
            raise SchemaTooNew(
                f"The database {describe(self.url)} is at schema revision {current}, which "
                "this annotator does not know.",
                "It was upgraded by a newer annotator: install that version.",
            )
        raise SchemaOutOfDate(
            f"The database {describe(self.url)} is "
            + ("empty" if current is None else f"at schema revision {current}")
            + f"; this annotator needs revision {head}.",
            "Run `annotator db upgrade`.",
        )

    def upgrade(self) -> tuple[str | None, str | None]:
        try:
            return upgrade(self.engine)
        except sa.exc.OperationalError as exc:
            if _is_connection_error(exc):
                raise unavailable(self.url, exc) from exc
            raise

    def dispose(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.dispose()


def relaxed_commit(bind: Connection | Session) -> None:
    """Let this transaction's commit return before its WAL record is on disk (PostgreSQL's
    ``synchronous_commit``; SQLite: nothing).  Only for soft state whose loss in a crash is
    harmless: a review claim, which expires anyway and then returns to the queue.  A crash
    within the WAL writer's delay can lose such a commit; it cannot corrupt anything."""
    dialect = bind.dialect if isinstance(bind, Connection) else bind.connection().dialect
    if dialect.name == "postgresql":
        bind.execute(sa.text("SET LOCAL synchronous_commit TO OFF"))


def _is_connection_error(exc: sa.exc.OperationalError) -> bool:
    if exc.connection_invalidated:
        return True
    text = str(exc.orig or exc).lower()
    return any(s in text for s in (
        "connection", "could not connect", "unable to open database", "server closed",
        "timeout expired", "no such host", "name or service not known", "disk i/o error",
        "terminating connection",
    ))


def open_store(
    *,
    workspace_root: str | os.PathLike[str] | None = None,
    database_url: str | URL | None = None,
    blobs: BlobStore | None = None,
    migrate: str = "auto",
    engine_kwargs: dict[str, Any] | None = None,
) -> Store:
    """Open (and check) the store.

    ``migrate``: ``"auto"`` upgrades an embedded SQLite database in the workspace and refuses
    an out-of-date server database (an admin runs ``annotator db upgrade``); ``"check"`` always
    refuses; ``"none"`` checks nothing (``annotator db upgrade`` itself).
    """
    url = resolve_url(database_url, workspace_root)
    if blobs is None:
        if workspace_root is None:
            raise StoreUnavailable(
                "No blob store: no workspace was given.",
                "Pass --workspace DIR (the blobs live in its store/blobs folder).",
            )
        blobs = LocalBlobStore(store_dir(workspace_root) / "blobs")
    engine = create_engine(url, **(engine_kwargs or {}))
    store = Store(engine=engine, blobs=blobs, url=url)
    try:
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            raise unavailable(url, exc) from exc
        if migrate == "none":
            return store
        embedded = url.get_backend_name() == "sqlite" and database_url is None and not \
            settings().database_url
        if migrate == "auto" and embedded:
            store.upgrade()
        store.check_schema()
    except BaseException:
        engine.dispose()
        raise
    return store
