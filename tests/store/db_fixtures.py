"""Fixtures for the store and workflow tests, on SQLite and on PostgreSQL.

PostgreSQL: one throwaway cluster per test session (``annotator.store.pgcluster``: initdb in a
temporary folder, run as the ``postgres`` user when the tests run as root, listening on
127.0.0.1 at a free port, socket in the temporary folder, removed at the end), a template
database migrated once, and a fresh database per test made from it.
SQLite: a fresh workspace per test, with a copy of a migrated database file.
"""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
import threading
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from annotator.store import LocalBlobStore, Store, open_store
from annotator.store.db import create_engine, resolve_url, upgrade
from annotator.store.pgcluster import PgCluster
from annotator.workflow.auth import Passphrases
from annotator.workflow.service import Services

BACKENDS = ["sqlite", "postgresql"]
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

_lock = threading.Lock()
_cluster: PgCluster | None = None
_sqlite_template: Path | None = None
_counter = itertools.count(1)


def shared_cluster(config: pytest.Config) -> PgCluster:
    """The session's PostgreSQL cluster, with a migrated template database ``tmpl``."""
    global _cluster
    with _lock:
        if _cluster is None:
            try:
                cluster = PgCluster().start()
            except Exception as exc:  # noqa: BLE001
                pytest.fail(f"Cannot start a throwaway PostgreSQL cluster: {exc}\n"
                            "Install it: apt-get install postgresql (see .ci/setup).")
            config.add_cleanup(cluster.stop)
            url = cluster.create_database("tmpl")
            engine = create_engine(resolve_url(url, None))
            upgrade(engine)
            engine.dispose()
            _cluster = cluster
        return _cluster


def sqlite_template(tmp_root: Path) -> Path:
    global _sqlite_template
    with _lock:
        if _sqlite_template is None:
            path = tmp_root / "template.db"
            engine = create_engine(resolve_url(f"sqlite:///{path}", None))
            upgrade(engine)
            engine.dispose()
            _sqlite_template = path
        return _sqlite_template


def make_store(kind: str, request: pytest.FixtureRequest, tmp_path: Path,
               tmp_path_factory: pytest.TempPathFactory, *, migrated: bool = True) -> Store:
    blobs = LocalBlobStore(tmp_path / "blobs", durable=False)
    if kind == "sqlite":
        db = tmp_path / "store.db"
        if migrated:
            shutil.copy(sqlite_template(tmp_path_factory.getbasetemp()), db)
        store = open_store(workspace_root=tmp_path, database_url=f"sqlite:///{db}",
                           blobs=blobs, migrate="check" if migrated else "none")
        request.addfinalizer(store.dispose)
        return store
    cluster = shared_cluster(request.config)
    name = f"t{next(_counter)}"
    url = cluster.create_database(name, template="tmpl" if migrated else None)
    store = open_store(workspace_root=tmp_path, database_url=url, blobs=blobs,
                       migrate="check" if migrated else "none")

    def fin() -> None:
        store.dispose()
        cluster.drop_database(name)

    request.addfinalizer(fin)
    return store


class Clock:
    """A clock the tests move by hand."""

    def __init__(self, start: dt.datetime) -> None:
        self.t = start

    def __call__(self) -> dt.datetime:
        return self.t

    def advance(self, **kw: float) -> dt.datetime:
        self.t += dt.timedelta(**kw)
        return self.t


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def store(backend: str, request, tmp_path, tmp_path_factory) -> Store:
    return make_store(backend, request, tmp_path, tmp_path_factory)


@pytest.fixture
def pg_cluster(request) -> PgCluster:
    return shared_cluster(request.config)


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC))


@pytest.fixture
def svc(store: Store, clock: Clock) -> Services:
    return Services(store, clock=clock, passphrases=Passphrases(FAST_HASHER))
