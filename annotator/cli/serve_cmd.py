"""``annotator serve api|worker|reconcile|migrate|setup``: the team server's processes.

Configured by environment variables only (docs/server.md, "Configuration"):
``ANNOTATOR_DATABASE_URL``, ``ANNOTATOR_S3_ENDPOINT``, ``ANNOTATOR_S3_ACCESS_KEY``,
``ANNOTATOR_S3_SECRET_KEY``, ``ANNOTATOR_S3_BUCKET``, ``ANNOTATOR_REDIS_URL`` and the limits.
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from annotator.cli import argtypes

if TYPE_CHECKING:
    from annotator.server.objects import S3BlobStore


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> str:
    p = subparsers.add_parser(
        "serve", help="run the team server: the API, a job worker or the reconciler",
        description="The team server (docs/server.md). Configuration comes from the "
        "environment: ANNOTATOR_DATABASE_URL, ANNOTATOR_S3_ENDPOINT, ANNOTATOR_S3_ACCESS_KEY, "
        "ANNOTATOR_S3_SECRET_KEY, ANNOTATOR_S3_BUCKET, ANNOTATOR_REDIS_URL.")
    sub = p.add_subparsers(dest="serve_what", required=True)
    a = sub.add_parser("api", help="the HTTP API under Uvicorn")
    a.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; put a TLS proxy in front)")
    a.add_argument("--port", type=argtypes.port, default=8080)
    a.add_argument("--workers", type=argtypes.positive_int, default=2, help="Uvicorn worker processes")
    sub.add_parser("worker", help="an RQ worker for the verify, ocr and export queues")
    r = sub.add_parser("reconcile", help="re-enqueue stuck jobs and abort abandoned uploads")
    r.add_argument("--once", action="store_true", help="one round, then exit")
    sub.add_parser("migrate", help="upgrade the database schema (alembic upgrade head)")
    s = sub.add_parser("setup", help="create the first admin of an empty server database")
    s.add_argument("--name", required=True)
    return "serve"


def run(args: argparse.Namespace) -> int:
    from annotator.server.config import ServerConfig

    cfg = ServerConfig.from_env()
    what = args.serve_what
    if what == "api":
        import uvicorn

        uvicorn.run("annotator.server.app:create_app", factory=True, host=args.host,
                    port=args.port, workers=args.workers, log_level="warning",
                    access_log=False, timeout_graceful_shutdown=10)
        return 0
    if what == "worker":
        from redis import Redis
        from rq import Worker

        from annotator.server.jobs import QUEUES

        os.nice(cfg.worker_nice)  # batch work yields the CPU to the API's requests
        # Loaded once here: RQ forks a work-horse per job, which then starts with them
        # (PyAV, OpenCV and the job modules take a second or more to import).
        import av  # noqa: F401
        import cv2  # noqa: F401

        import annotator.server.verifyjob  # noqa: F401
        conn = Redis.from_url(cfg.redis_url)
        Worker(list(QUEUES), connection=conn).work(logging_level="WARNING")
        return 0
    if what == "reconcile":
        from annotator.server import jobs

        if args.once:
            ctx = jobs.context(cfg)
            print("reconcile:", jobs.reconcile(ctx))
            print("reap:", jobs.reap(ctx))
        else:
            jobs.reconcile_forever(cfg)
        return 0
    from annotator.store import open_store

    if what == "migrate":
        store = open_store(database_url=cfg.database_url, blobs=_no_blobs(), migrate="none")
        before, after = store.upgrade()
        print(f"Database schema: {before or 'empty'} -> {after}.")
        return 0
    if what == "setup":
        from annotator.cli import store_common as c
        from annotator.workflow.service import Services

        store = open_store(database_url=cfg.database_url, blobs=_no_blobs(), migrate="check")
        svc = Services(store)
        pw = c.prompt_secret(f"Passphrase for {args.name}: ", env=c.ENV_PASSPHRASE,
                             confirm=True)
        actor = svc.setup_first_admin(name=args.name, passphrase=pw)
        print(f"First admin {actor.name} ({actor.pseudonym}) created; default terms published.")
        return 0
    raise AssertionError(what)


def _no_blobs() -> S3BlobStore:
    from annotator.server.config import ServerConfig
    from annotator.server.objects import ObjectStore, S3BlobStore

    return S3BlobStore(ObjectStore(ServerConfig.from_env()))
