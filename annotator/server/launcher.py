"""The whole team set-up on one machine, for a trial (``annotator server-up``) and for the
benchmark: PostgreSQL, Redis, SeaweedFS ``weed mini``, the schema, the first admin, the API,
job workers and the reconciler, all on 127.0.0.1, every one of them asking for credentials.

Secrets (the database and Redis passwords, the S3 key pair, SeaweedFS's signing keys and
certificates) are generated once by ``SecretFiles`` into ``<folder>/secrets`` (0700, files
0600), reach the services through 0600 configuration files and the children through their
environment, and are never printed.  With ``keep=True`` (server-up) the folder holds the
data too and is kept: the next start finds the same database, objects and secrets.  Without
it (the benchmark) everything is deleted at ``stop()``.  ``stop()`` may be called any number
of times, from any thread, also while another call is under way.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import secrets
import shlex
import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from annotator.store.pgcluster import PgCluster

from annotator.server.config import ServerConfig
from annotator.server.processes import (
    ApiProcess,
    ReconcilerProcess,
    RedisProcess,
    SeaweedProcess,
    WorkerProcess,
)
from annotator.server.secretfiles import SecretFiles, private_dir, write_private

ENV_FILE = "server.env"  # the store-level environment, for `annotator export` and such
_STORE_ENV = ("DATABASE_URL", "S3_ENDPOINT", "S3_ACCESS_KEY", "S3_SECRET_KEY", "REDIS_URL",
              "S3_BUCKET", "S3_REGION")


class TeamSetup:
    def __init__(self, *, folder: str | Path | None = None, keep: bool = False,
                 api_port: int = 0, api_workers: int = 2, workers: int = 1,
                 reconciler: bool = True, durable: bool = True, **overrides: Any) -> None:
        self.keep = keep and folder is not None
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
        self.pg: PgCluster | None = None
        self.cfg: ServerConfig | None = None
        self.api: ApiProcess | None = None
        self.workers: list[WorkerProcess] = []
        self.admin_passphrase: str | None = None
        self.admin_created = False
        self.secrets: SecretFiles | None = None
        self._stop_lock = threading.RLock()

    def start(self, *, admin: str | None = None, admin_passphrase: str | None = None
              ) -> TeamSetup:
        from annotator.store.db import create_engine, resolve_url, upgrade
        from annotator.store.pgcluster import PgCluster

        try:
            private_dir(self.folder)
            self.secrets = SecretFiles(self.folder / "secrets")
            sec = self.secrets
            pg = PgCluster(fast=not self.durable, password=sec.get("postgres_password"),
                           folder=self.pg_folder if self.keep else None)
            with ThreadPoolExecutor(3) as pool:
                f_pg = pool.submit(pg.start)
                f_redis = pool.submit(lambda: RedisProcess(self.folder / "redis",
                                                           secrets=sec).start())
                f_weed = pool.submit(lambda: SeaweedProcess(self.folder / "seaweedfs",
                                                            secrets=sec).start())
                self.procs.append(pg)
                for f in (f_redis, f_weed):
                    with contextlib.suppress(Exception):
                        self.procs.append(f.result())
                self.pg, redis, weed = f_pg.result(), f_redis.result(), f_weed.result()
            if pg.has_database("annotator"):
                db_url = pg.url("annotator")
            else:
                db_url = pg.create_database("annotator")
            engine = create_engine(resolve_url(db_url, None))
            upgrade(engine)
            engine.dispose()
            work = private_dir(self.folder / "work")
            self.cfg = dataclasses.replace(ServerConfig(
                database_url=db_url, s3_endpoint=weed.endpoint, s3_access_key=weed.access_key,
                s3_secret_key=weed.secret_key, redis_url=redis.url, s3_bucket=weed.bucket,
                work_dir=str(work)), **self.overrides)
            write_private(self.folder / ENV_FILE, "".join(
                f"export {k}={shlex.quote(v)}\n" for k, v in sorted(self.cfg.env().items())
                if k.endswith(_STORE_ENV)))
            if admin:
                self._setup_admin(admin, admin_passphrase)
            env = self.cfg.env()
            logs = self.folder / "logs"
            for i in range(self.n_workers):
                w = WorkerProcess(logs, env, tag=str(i)).start()
                self.procs.append(w)
                self.workers.append(w)
            if self.with_reconciler:
                self.procs.append(ReconcilerProcess(logs, env).start())
            self.api = ApiProcess(logs, env, workers=self.api_workers, port=self.api_port)
            self.procs.append(self.api)
            self.api.start()
        except BaseException:
            self.stop()
            raise
        return self

    def _setup_admin(self, name: str, passphrase: str | None) -> None:
        """The first admin, on a server that has no user yet (a restarted one has)."""
        from annotator.server.objects import ObjectStore, S3BlobStore
        from annotator.store import open_store
        from annotator.workflow.service import Services

        assert self.cfg is not None
        store = open_store(database_url=self.cfg.database_url,
                           blobs=S3BlobStore(ObjectStore(self.cfg)), migrate="check")
        try:
            svc = Services(store)
            if svc.is_set_up():
                return
            self.admin_passphrase = passphrase or secrets.token_urlsafe(12)
            svc.setup_first_admin(name=name, passphrase=self.admin_passphrase,
                                  must_change=passphrase is None)
            self.admin_created = True
        finally:
            store.dispose()

    @property
    def pg_folder(self) -> Path:
        """Where a kept set-up's PostgreSQL cluster lives: in the folder, except as root.
        Then PostgreSQL runs as its own user, which cannot enter root's folders, so the
        cluster lives in /var/tmp (its own folder is 0700 and its user's)."""
        if os.geteuid() != 0:
            return self.folder / "postgres"
        digest = hashlib.sha256(str(self.folder.absolute()).encode()).hexdigest()[:16]
        return Path("/var/tmp") / f"annotator-server-up-{digest}"

    def discard(self) -> None:
        """Delete everything a kept set-up keeps (after ``stop()``)."""
        shutil.rmtree(self.folder, ignore_errors=True)
        shutil.rmtree(self.pg_folder, ignore_errors=True)

    @property
    def url(self) -> str:
        assert self.api is not None
        return self.api.url

    @property
    def env_file(self) -> Path:
        return self.folder / ENV_FILE

    def stop(self) -> None:
        """Stop every process (newest first) and, unless kept, delete the folder.  Safe to
        call again, also from a signal handler while a call is running (it waits for it)."""
        with self._stop_lock:
            while self.procs:
                p = self.procs[-1]
                with contextlib.suppress(Exception):
                    p.stop()  # idempotent: if interrupted, the next call stops it again
                if self.procs and self.procs[-1] is p:
                    self.procs.pop()
            if self._own_folder:
                shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> TeamSetup:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
