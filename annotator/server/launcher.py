"""The whole team set-up on one machine, for a trial (``annotator server-up``) and for the
benchmark: PostgreSQL (a throwaway cluster), Redis, SeaweedFS ``weed mini`` with a generated
identity, the schema, the first admin, the API, job workers and the reconciler, all on
127.0.0.1.

Secrets (the database password, the S3 key pair) are generated at start and handed to the
children through their environment only; the one file that holds the S3 identity (``weed``
needs it) is 0600 in a 0700 folder and deleted with everything else at ``stop()``.  A trial
keeps nothing: for a real deployment see docs/server.md.
"""

from __future__ import annotations

import contextlib
import dataclasses
import secrets
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from annotator.server.config import ServerConfig
from annotator.server.processes import (
    ApiProcess,
    ReconcilerProcess,
    RedisProcess,
    SeaweedProcess,
    WorkerProcess,
)


class TeamSetup:
    def __init__(self, *, folder: str | Path | None = None, api_port: int = 0,
                 api_workers: int = 2, workers: int = 1, reconciler: bool = True,
                 durable: bool = True, **overrides: Any) -> None:
        self.folder = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="annotator-up-"))
        self._own_folder = folder is None
        self.api_port = api_port
        self.api_workers = api_workers
        self.n_workers = workers
        self.with_reconciler = reconciler
        # PostgreSQL commits with fsync on, as a deployment runs it, so that a trial and the
        # benchmark see real commit latency; ``durable=False`` trades that for speed.
        self.durable = durable
        self.overrides = overrides
        self.procs: list[Any] = []
        self.pg = None
        self.cfg: ServerConfig | None = None
        self.api: ApiProcess | None = None
        self.workers: list[WorkerProcess] = []

    def start(self, *, admin: str | None = None, admin_passphrase: str | None = None
              ) -> TeamSetup:
        from annotator.store.db import create_engine, resolve_url, upgrade
        from annotator.store.pgcluster import PgCluster

        try:
            with ThreadPoolExecutor(3) as pool:
                f_pg = pool.submit(lambda: PgCluster(fast=not self.durable).start())
                f_redis = pool.submit(lambda: RedisProcess(self.folder / "redis").start())
                f_weed = pool.submit(lambda: SeaweedProcess(self.folder / "seaweedfs").start())
                for f in (f_pg, f_redis, f_weed):
                    with contextlib.suppress(Exception):
                        self.procs.append(f.result())
                self.pg, redis, weed = f_pg.result(), f_redis.result(), f_weed.result()
            db_url = self.pg.create_database("annotator")
            engine = create_engine(resolve_url(db_url, None))
            upgrade(engine)
            engine.dispose()
            work = self.folder / "work"
            work.mkdir(exist_ok=True, mode=0o700)
            self.cfg = dataclasses.replace(ServerConfig(
                database_url=db_url, s3_endpoint=weed.endpoint, s3_access_key=weed.access_key,
                s3_secret_key=weed.secret_key, redis_url=redis.url, s3_bucket=weed.bucket,
                work_dir=str(work)), **self.overrides)
            self.admin_passphrase = None
            if admin:
                self.admin_passphrase = admin_passphrase or secrets.token_urlsafe(12)
                self._setup_admin(admin, self.admin_passphrase)
            env = self.cfg.env()
            for i in range(self.n_workers):
                w = WorkerProcess(self.folder / "logs", env, tag=str(i)).start()
                self.procs.append(w)
                self.workers.append(w)
            if self.with_reconciler:
                self.procs.append(ReconcilerProcess(self.folder / "logs", env).start())
            self.api = ApiProcess(self.folder / "logs", env, workers=self.api_workers,
                                  port=self.api_port)
            self.procs.append(self.api)
            self.api.start()
        except BaseException:
            self.stop()
            raise
        return self

    def _setup_admin(self, name: str, passphrase: str) -> None:
        from annotator.server.objects import ObjectStore, S3BlobStore
        from annotator.store import open_store
        from annotator.workflow.service import Services

        assert self.cfg is not None
        store = open_store(database_url=self.cfg.database_url,
                           blobs=S3BlobStore(ObjectStore(self.cfg)), migrate="check")
        try:
            Services(store).setup_first_admin(name=name, passphrase=passphrase)
        finally:
            store.dispose()

    @property
    def url(self) -> str:
        assert self.api is not None
        return self.api.url

    def stop(self) -> None:
        for p in reversed(self.procs):
            with contextlib.suppress(Exception):
                p.stop()
        self.procs.clear()
        if self._own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> TeamSetup:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
