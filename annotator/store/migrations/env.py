"""Alembic environment of the workspace store.

``annotator db upgrade`` (``annotator.store.db.upgrade``) hands over an open connection in
``config.attributes["connection"]``.  For developers running the ``alembic`` command itself
(e.g. ``alembic -c /dev/null -x url=sqlite:///tmp/x.db revision --autogenerate``), the URL comes
from ``-x url=...`` or ``$ANNOTATOR_DATABASE_URL``.
"""

from __future__ import annotations

from alembic import context

from annotator.store.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    from annotator.settings import current as settings
    from annotator.store.db import create_engine, resolve_url

    url = context.get_x_argument(as_dictionary=True).get("url") or settings().database_url
    if not url:
        raise SystemExit("give the database with -x url=... or $ANNOTATOR_DATABASE_URL")
    engine = create_engine(resolve_url(url, None))
    with engine.begin() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
