"""Team mode of a workspace: which server it works against, as whom, and where its outbox
and token file live.  ``<workspace>/team/settings.json`` holds the server URL and the user
name (nothing secret); the token lives in the OS keyring (``TokenStore``)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from annotator.errors import AnnotatorError
from annotator.fsutil import write_json_atomic
from annotator.remote.client import RemoteServices
from annotator.remote.credentials import TokenStore


@dataclass(frozen=True)
class TeamSettings:
    server: str
    user: str


def team_dir(workspace_root: str | os.PathLike[str]) -> Path:
    d = Path(workspace_root) / "team"
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    return d


def token_store(workspace_root: str | os.PathLike[str]) -> TokenStore:
    return TokenStore(team_dir(workspace_root) / "tokens.json")


def load_settings(workspace_root: str | os.PathLike[str]) -> TeamSettings | None:
    try:
        data = json.loads((team_dir(workspace_root) / "settings.json").read_text())
        return TeamSettings(data["server"], data["user"])
    except (FileNotFoundError, ValueError, KeyError):
        return None


def save_settings(workspace_root: str | os.PathLike[str], settings: TeamSettings | None) -> None:
    path = team_dir(workspace_root) / "settings.json"
    if settings is None:
        path.unlink(missing_ok=True)
    else:
        write_json_atomic(path, {"server": settings.server, "user": settings.user})


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
