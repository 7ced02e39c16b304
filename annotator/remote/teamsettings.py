"""Which team server a workspace works against, and as whom: ``<workspace>/team/
settings.json`` (the server URL and the user name, nothing secret).  Light to import (the
app reads it at start); the client itself is ``annotator.remote.team``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from annotator.fsutil import write_json_atomic


@dataclass(frozen=True)
class TeamSettings:
    server: str
    user: str


def team_dir(workspace_root: str | os.PathLike[str]) -> Path:
    d = Path(workspace_root) / "team"
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    return d


def load_settings(workspace_root: str | os.PathLike[str]) -> TeamSettings | None:
    try:
        data = json.loads((team_dir(workspace_root) / "settings.json").read_text())
        return TeamSettings(data["server"], data["user"])
    except (FileNotFoundError, ValueError, KeyError):
        return None


def signed_in_team(workspace_root: str | os.PathLike[str]) -> TeamSettings | None:
    """The team server this workspace is signed in to, or None; creates nothing (a
    workspace that never signed in keeps no team folder)."""
    if not (Path(workspace_root) / "team" / "settings.json").is_file():
        return None
    return load_settings(workspace_root)


def save_settings(workspace_root: str | os.PathLike[str], settings: TeamSettings | None) -> None:
    path = team_dir(workspace_root) / "settings.json"
    if settings is None:
        path.unlink(missing_ok=True)
    else:
        write_json_atomic(path, {"server": settings.server, "user": settings.user})
