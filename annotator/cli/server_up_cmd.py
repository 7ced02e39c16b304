"""``annotator server-up``: the whole team set-up on this machine, for a trial."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from annotator.cli import argtypes


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> str:
    p = subparsers.add_parser(
        "server-up", help="start a team server on this machine for a trial (until Ctrl+C)",
        description="Starts PostgreSQL, Redis, SeaweedFS (weed mini), the API, a job worker "
        "and the reconciler on 127.0.0.1, every one of them with generated credentials, and "
        "creates the first admin. Data and secrets are kept in --dir (files only you can "
        "read) and found again at the next start; Ctrl+C stops everything. For a real "
        "deployment see docs/server.md.")
    p.add_argument("--port", type=argtypes.port, default=8080, help="the API's port (default 8080)")
    p.add_argument("--admin", default="admin", help="the first admin's sign-in name")
    p.add_argument("--workers", type=argtypes.positive_int, default=1, help="job workers (default 1)")
    p.add_argument("--api-workers", type=argtypes.positive_int, default=2, help="API processes (default 2)")
    p.add_argument("--dir", metavar="DIR",
                   help="where the trial keeps its data and secrets (default: server-up in "
                   "the workspace folder)")
    p.add_argument("--fresh", action="store_true",
                   help="delete DIR first: a new trial, new secrets, a new first admin")
    p.add_argument("--discard", action="store_true",
                   help="delete DIR when stopping: the trial keeps nothing")
    return "server-up"


class _Stop(BaseException):
    """The first Ctrl+C, SIGTERM or SIGHUP."""


_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _while_stopping(signum: int, frame: object) -> None:
    # A second Ctrl+C or SIGTERM must not cut the clean-up short.
    print("Still stopping the services...", file=sys.stderr, flush=True)


def _interrupt(signum: int, frame: object) -> None:
    for sig in _SIGNALS:  # from now on, signals only say that we are on it
        signal.signal(sig, _while_stopping)
    raise _Stop


def _folder(args: argparse.Namespace) -> Path:
    if args.dir:
        return Path(args.dir).expanduser().absolute()
    from annotator.workspace import default_workspace_path

    ws = Path(args.workspace).expanduser() if getattr(args, "workspace", None) else \
        default_workspace_path()
    return ws.absolute() / "server-up"


def run(args: argparse.Namespace) -> int:
    from annotator.server.launcher import TeamSetup
    from annotator.settings import current as settings

    folder = _folder(args)
    t0 = time.monotonic()
    setup = TeamSetup(folder=folder, keep=True, api_port=args.port,
                      api_workers=args.api_workers, workers=args.workers)
    if args.fresh:
        setup.discard()
    print(f"Starting PostgreSQL, Redis, SeaweedFS, the API and a worker in {folder}...",
          flush=True)
    # Ctrl+C, `kill` and a closed terminal all stop every service (a background start may
    # inherit SIGINT ignored: take it back).
    for sig in _SIGNALS:
        signal.signal(sig, _interrupt)
    status = 0
    try:
        given = settings().passphrase
        setup.start(admin=args.admin, admin_passphrase=given)
        if setup.admin_created:
            who = f"  first admin: {args.admin}" + (
                "" if given else f", passphrase (shown once, to be changed at the first "
                f"sign-in): {setup.admin_passphrase}")
        else:
            who = "  the admins of the earlier start are kept"
        print(f"Team server ready in {time.monotonic() - t0:.1f} s at {setup.url}\n"
              f"  API description: {setup.url}/v1/docs\n"
              f"{who}\n"
              f"  sign in: annotator remote login {setup.url} --user {args.admin}\n"
              f"  logs: {setup.folder / 'logs'}\n"
              f"  data and secrets: {setup.folder} (kept across restarts; --fresh starts "
              "anew)\n"
              "  store-level commands on this machine (annotator export, annotator db) use the\n"
              "  team's database and object store with the environment in this file (secrets\n"
              "  inside, readable by you only):\n"
              f"    set -a; . {setup.env_file}; set +a\n"
              "Ctrl+C stops everything.", flush=True)
        while all(p.alive() for p in setup.procs if hasattr(p, "alive")):
            time.sleep(1)
        print("annotator: error: a service of the trial stopped; see the logs above.",
              file=sys.stderr)
        status = 2
    except (_Stop, KeyboardInterrupt):
        pass
    finally:
        for sig in _SIGNALS:
            signal.signal(sig, _while_stopping)
        print("\nStopping...", flush=True)
        setup.stop()
        if args.discard:
            setup.discard()
        print("Stopped." + ("" if args.discard else f" The data stays in {folder}."),
              flush=True)
    return status
