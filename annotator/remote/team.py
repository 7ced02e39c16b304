"""Team mode of a workspace: which server it works against, as whom, and where its outbox
and token file live.  ``<workspace>/team/settings.json`` holds the server URL and the user
name (nothing secret); the token lives in the OS keyring (``TokenStore``)."""

from __future__ import annotations

import os

from annotator.errors import AnnotatorError
from annotator.remote.client import RemoteServices
from annotator.remote.credentials import TokenStore
from annotator.remote.teamsettings import (
    TeamSettings,
    load_settings,
    save_settings,
    signed_in_team,
    team_dir,
)
from annotator.workflow.contract import Actor, WorkflowServices
from annotator.workflow.errors import AuthenticationFailed

__all__ = ["TeamSettings", "load_settings", "save_settings", "signed_in_team", "team_dir"]


def token_store(workspace_root: str | os.PathLike[str]) -> TokenStore:
    return TokenStore(team_dir(workspace_root) / "tokens.json")


def remote_services(workspace_root: str | os.PathLike[str],
                    settings: TeamSettings | None = None) -> RemoteServices:
    """The services of the team server this workspace signed in to."""
    settings = settings or load_settings(workspace_root)
    if settings is None:
        raise AnnotatorError("This workspace is not signed in to a team server.",
                             "Run `annotator remote login URL --user NAME`.")
    return RemoteServices(settings.server, user=settings.user,
                          tokens=token_store(workspace_root),
                          outbox=team_dir(workspace_root) / "outbox")


def signed_in_actor(services: RemoteServices) -> Actor | None:
    """Who the token in the keyring belongs to, if it still works (so no passphrase is asked
    again); None without a token, or when it expired or was revoked (it is then dropped)."""
    if services.api.token is None:
        return None
    try:
        return services.whoami()
    except AuthenticationFailed:  # expired or revoked: sign in again
        services.api.token = None
        return None


def open_session(workspace_root: str | os.PathLike[str], team: TeamSettings | None, *,
                 database_url: str | None = None) -> tuple[WorkflowServices, Actor | None]:
    """The services this workspace works against and who is signed in already: the team
    server's (ServerUnavailable, with the reason, if it is down; the keyring's token if it
    still works), or this computer's store (nobody signed in yet).  Slow (a server may take
    its connect timeout): the app runs it off its UI thread."""
    if team is not None:
        svc = remote_services(workspace_root, team)
        svc.health()
        return svc, signed_in_actor(svc)
    from annotator.store import open_store
    from annotator.workflow.service import Services

    return Services(open_store(workspace_root=workspace_root, database_url=database_url)), None
