"""Shared by the store commands (db, users, terms, tasks, submit, submissions, review,
withdraw, rates, payouts, my-data): opening the store, signing in, printing tables.

Signing in: ``--user NAME`` (or ``$ANNOTATOR_USER``) and the passphrase from
``$ANNOTATOR_PASSPHRASE`` or a prompt.  The store is the workspace's own SQLite database unless
``$ANNOTATOR_DATABASE_URL`` names another one.

Team mode: a workspace signed in to a team server (``annotator remote login``) works against
it instead (``RemoteServices``: the same methods); the token in the keyring says who acts, so
no passphrase is asked while it is valid.  ``$ANNOTATOR_DATABASE_URL`` still wins (an admin on
the server's machine).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import getpass
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict, is_dataclass
from typing import TYPE_CHECKING, Any

from annotator.errors import AnnotatorError
from annotator.jobs import Progress
from annotator.settings import current as settings

if TYPE_CHECKING:
    from annotator.remote.client import RemoteServices
    from annotator.remote.teamsettings import TeamSettings
    from annotator.store.db import Store
    from annotator.workflow.contract import Actor, WorkflowServices
    from annotator.workflow.service import Services

ENV_USER = "ANNOTATOR_USER"
ENV_PASSPHRASE = "ANNOTATOR_PASSPHRASE"
ENV_NEW_PASSPHRASE = "ANNOTATOR_NEW_PASSPHRASE"


def add_user_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", metavar="NAME", default=None,
                   help=f"sign in as NAME (default ${ENV_USER}); the passphrase comes from "
                   f"${ENV_PASSPHRASE} or is asked for")


def add_json_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON")


def open_store(args: argparse.Namespace, *, migrate: str = "auto") -> Store:
    from annotator.store import open_store as _open
    from annotator.workspace import Workspace

    if settings().on_server_host:
        # On a team server's host (its environment, docs/server.md): the server's database
        # and object store, so store-level commands (export, db) work on the team's data.
        from annotator.server.config import ServerConfig
        from annotator.server.objects import ObjectStore, S3BlobStore

        cfg = ServerConfig.from_env()
        return _open(database_url=cfg.database_url, blobs=S3BlobStore(ObjectStore(cfg)),
                     migrate="check" if migrate == "auto" else migrate)
    ws = Workspace.open(getattr(args, "workspace", None))
    return _open(workspace_root=ws.root, migrate=migrate)


@contextlib.contextmanager
def terminal_progress() -> Iterator[Progress]:
    """Progress of long work on stderr when it is a terminal (``what: done/total``, one
    line rewritten in place, ended when the work is); nothing when it is not."""
    tty = sys.stderr.isatty()

    def show(done: int, total: int, msg: str) -> None:
        if tty and total:
            print(f"\r{msg}: {done}/{total}   ", end="", file=sys.stderr, flush=True)

    try:
        yield Progress(show)
    finally:
        if tty:
            print(file=sys.stderr)


def local_services(args: argparse.Namespace, command: str) -> Services:
    """The embedded services, for a command the team server does not offer over its API."""
    from annotator.workflow.service import Services

    svc = services(args)
    if not isinstance(svc, Services):
        from annotator.remote.client import NotOnServer

        raise NotOnServer(f"`annotator {command}` works on a store directly, and this "
                          f"workspace works against the team server {svc.server}.",
                          "Run it on the server's machine with $ANNOTATOR_DATABASE_URL set, "
                          "or use the server's API (exports: `annotator remote export`).")
    return svc


def services(args: argparse.Namespace) -> Services | RemoteServices:
    from annotator.workflow.service import Services

    team = team_settings(args)
    if team is not None:
        from annotator.remote import team as team_mod
        from annotator.workspace import Workspace

        root = Workspace.open(getattr(args, "workspace", None)).root
        return team_mod.remote_services(root, team)
    return Services(open_store(args))


def team_settings(args: argparse.Namespace) -> TeamSettings | None:
    """The team server this workspace is signed in to, unless a database is named."""
    if settings().database_url:
        return None
    from annotator.remote.teamsettings import signed_in_team
    from annotator.workspace import Workspace

    return signed_in_team(Workspace.open(getattr(args, "workspace", None)).root)


def utc_time(text: str) -> dt.datetime:
    """An argparse type: a day (``YYYY-MM-DD``, its 00:00 UTC) or an ISO 8601 time, in UTC
    unless it names its zone."""
    try:
        t = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time: write YYYY-MM-DD or an ISO 8601 time such as "
            "2026-03-01T14:30 (UTC) or 2026-03-01T14:30+01:00") from None
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)


def prompt_secret(prompt: str, *, env: str, confirm: bool = False) -> str:
    value = settings().value(env)
    if value:
        return value
    if not sys.stdin.isatty():
        raise AnnotatorError(
            f"No passphrase: ${env} is not set and there is no terminal to ask on.",
            f"Set ${env}, or run the command in a terminal.",
        )
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Type it again: ") != first:
        raise AnnotatorError("The two passphrases differ.", "Run the command again.")
    return first


def sign_in(svc: WorkflowServices, args: argparse.Namespace) -> Actor:
    """Who runs the command: on a team server, the workspace's token if it still works;
    else ``--user`` (or the settings' user) with a passphrase."""
    name = getattr(args, "user", None) or settings().user
    remote = _remote(svc)
    if remote is not None:
        if remote.api.token is not None and (not name or name == remote.user):
            from annotator.remote.team import signed_in_actor

            actor = signed_in_actor(remote)  # the workspace's token: no passphrase needed
            if actor is not None:
                return actor
        # No token, or expired or revoked: the workspace's server user signs in again below.
        name = name or remote.user
    if not name:
        raise AnnotatorError(
            "This command needs to know who you are.",
            f"Add --user NAME (or set ${ENV_USER}); the passphrase comes from "
            f"${ENV_PASSPHRASE} or is asked for.",
        )
    actor = svc.sign_in(name=name, passphrase=prompt_secret(f"Passphrase for {name}: ",
                                                             env=ENV_PASSPHRASE))
    if actor.must_change_passphrase:
        print(f"annotator: note: {name} still has the passphrase an admin set; change it with "
              f"`annotator users passwd --user {name}`.", file=sys.stderr)
    return actor


def _remote(svc: WorkflowServices) -> RemoteServices | None:
    """``svc`` if it is a team server's client.  A command on this computer's store never
    imports the HTTP client, so it is not imported here just to find that out."""
    client = sys.modules.get("annotator.remote.client")
    return svc if client is not None and isinstance(svc, client.RemoteServices) else None


def confirm(question: str, *, yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise AnnotatorError(f"{question} Not confirmed: there is no terminal to ask on.",
                             "Add --yes to confirm.")
    answer = input(f"{question} [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        raise AnnotatorError("Cancelled: nothing was changed.")


# -- formatting --------------------------------------------------------------------------------
def clip(text: str | None, width: int) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(c) for c in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def plain(o: Any) -> Any:
    """A dataclass or named tuple as a dict, for JSON (anything else as it is)."""
    if hasattr(o, "_asdict"):  # named tuples
        return o._asdict()
    if is_dataclass(o) and not isinstance(o, type):
        return asdict(o)
    return o


def _default(o: Any) -> Any:
    if hasattr(o, "_asdict"):
        return o._asdict()
    if isinstance(o, dt.datetime):
        return o.isoformat()
    if is_dataclass(o) and not isinstance(o, type):
        return asdict(o)
    if isinstance(o, tuple | set | frozenset):
        return list(o)
    return str(o)


def print_json(data: Any) -> None:
    data = [plain(d) for d in data] if isinstance(data, list) else plain(data)
    print(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=_default))
