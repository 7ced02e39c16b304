"""``annotator server-up``: the whole team set-up on this machine, for a trial."""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import time


def add_parser(subparsers: argparse._SubParsersAction) -> str:
    p = subparsers.add_parser(
        "server-up", help="start a team server on this machine for a trial (until Ctrl+C)",
        description="Starts PostgreSQL, Redis, SeaweedFS (weed mini), the API, a job worker "
        "and the reconciler on 127.0.0.1, creates the first admin, and stops everything on "
        "Ctrl+C. A trial keeps nothing: every byte is deleted at the end. For a real "
        "deployment see docs/server.md.")
    p.add_argument("--port", type=int, default=8080, help="the API's port (default 8080)")
    p.add_argument("--admin", default="admin", help="the first admin's sign-in name")
    p.add_argument("--workers", type=int, default=1, help="job workers (default 1)")
    p.add_argument("--api-workers", type=int, default=2, help="API processes (default 2)")
    return "server-up"


_STORE_ENV = ("DATABASE_URL", "S3_ENDPOINT", "S3_ACCESS_KEY", "S3_SECRET_KEY", "REDIS_URL",
              "S3_BUCKET", "S3_REGION")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    from annotator.server.launcher import TeamSetup
    from annotator.settings import current as settings

    t0 = time.monotonic()
    print("Starting PostgreSQL, Redis, SeaweedFS, the API and a worker...", flush=True)
    setup = TeamSetup(api_port=args.port, api_workers=args.api_workers, workers=args.workers)
    # Ctrl+C, `kill` and a closed terminal all stop every service and delete the trial (a
    # background start may inherit SIGINT ignored: take it back).
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    try:
        given = settings().passphrase
        setup.start(admin=args.admin, admin_passphrase=given)
        print(f"Team server ready in {time.monotonic() - t0:.1f} s at {setup.url}\n"
              f"  API description: {setup.url}/v1/docs\n"
              f"  first admin: {args.admin}"
              + ("" if given else
                 f", passphrase (shown once): {setup.admin_passphrase}") + "\n"
              f"  sign in: annotator remote login {setup.url} --user {args.admin}\n"
              f"  logs: {setup.folder / 'logs'}\n"
              "  store-level commands on this machine (annotator export, annotator db) use the\n"
              "  team's database and object store with this environment:\n"
              + "".join(f"    export {k}={shlex.quote(v)}\n" for k, v in sorted(
                  setup.cfg.env().items()) if k.endswith(_STORE_ENV)) +
              "Ctrl+C stops everything and deletes the trial's data.", flush=True)
        while all(p.alive() for p in setup.procs if hasattr(p, "alive")
                  and p.__class__.__name__ != "PgCluster"):
            time.sleep(1)
        print("annotator: error: a service of the trial stopped; see the logs above.",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
        return 0
    finally:
        setup.stop()
