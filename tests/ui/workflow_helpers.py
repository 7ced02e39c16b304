"""A workspace with its own SQLite store (a copy of the migrated template), real services with
a fast passphrase hasher, and the library window on it."""

from __future__ import annotations

import shutil
from pathlib import Path

from annotator.store import open_store
from annotator.workflow.auth import Passphrases
from annotator.workflow.service import Services
from annotator.workspace import Workspace, ensure_private_dir
from tests.store.db_fixtures import FAST_HASHER, sqlite_template
from tests.workflow.helpers import World, build_world


def workspace_store(root: Path, base_temp: Path, *, clock=None) -> tuple[Workspace, Services]:
    ws = Workspace.open(root)
    store_dir = ensure_private_dir(ws.root / "store")
    shutil.copy(sqlite_template(base_temp), store_dir / "annotator.db")
    store = open_store(workspace_root=ws.root, migrate="check")
    kw = {"clock": clock} if clock is not None else {}
    return ws, Services(store, passphrases=Passphrases(FAST_HASHER), **kw)


def workspace_world(tmp_path: Path, base_temp: Path, *, clock=None) -> World:
    """The workflow tests' world (an admin, contributors, reviewers) on a workspace's own
    store; ``world.ws`` is the workspace (and ``world.clock`` the clock, if given)."""
    ws, svc = workspace_store(tmp_path / "ws", base_temp, clock=clock)
    w = build_world(svc, tmp_path / "pkgs")
    w.ws = ws
    if clock is not None:
        w.clock = clock
    return w


def library(qtbot, ws: Workspace, svc: Services | None, actor=None, **kw):
    from annotator.ui.app import LibraryWindow

    win = LibraryWindow(ws, services=svc, auto_sign_in=actor is None, **kw)
    qtbot.addWidget(win)
    win.show()
    if actor is not None:
        win.session.set_actor(actor)
    return win
