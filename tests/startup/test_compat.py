"""An annotator older than the workspace refuses to open it, up front, before writing."""

from __future__ import annotations

import sqlite3
import time

import pytest

from annotator.compat import WorkspaceTooNew, check_workspace, declared_revisions
from annotator.store.db import known_revisions
from tests.conftest import start_annotator


def _stamp(root, revision: str) -> None:
    (root / "store").mkdir(parents=True)
    with sqlite3.connect(root / "store" / "annotator.db") as db:
        db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        db.execute("INSERT INTO alembic_version VALUES (?)", (revision,))


def test_declared_revisions_are_alembics():
    assert declared_revisions() == known_revisions()


def test_known_and_absent_revisions_open(tmp_path, monkeypatch):
    monkeypatch.delenv("ANNOTATOR_DATABASE_URL", raising=False)
    check_workspace(tmp_path / "nothing-yet")
    _stamp(tmp_path / "ws", max(known_revisions()))
    check_workspace(tmp_path / "ws")


def test_newer_workspace_is_refused_and_left_untouched(tmp_path, monkeypatch, xserver):
    monkeypatch.delenv("ANNOTATOR_DATABASE_URL", raising=False)
    ws = tmp_path / "ws"
    _stamp(ws, "9999_from_the_future")
    before = sorted(p.name for p in ws.rglob("*"))
    with pytest.raises(WorkspaceTooNew) as err:
        check_workspace(ws)
    assert "older than your workspace" in err.value.message
    assert "Install the newer annotator" in err.value.hint
    # The app's own start-up, as from the desktop menu: a window says it, Close ends the app
    # with status 2 and the message on stderr; nothing in the workspace was written.
    env = xserver.env | {"QT_QPA_PLATFORM": "xcb", "HOME": str(tmp_path)}
    env.pop("ANNOTATOR_HOME", None)
    proc = start_annotator(["--workspace", str(ws), "demo"], env)
    try:
        deadline = time.monotonic() + 60
        while not xserver.xdotool("search", "--name", "workspace too new", check=False):
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr
            time.sleep(0.2)
        win = xserver.xdotool("search", "--name", "workspace too new").split()[0]
        xserver.xdotool("windowfocus", "--sync", win, check=False)
        xserver.xdotool("key", "Return")
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 2, err
    assert "older than your workspace" in err
    assert sorted(p.name for p in ws.rglob("*")) == before
