"""Autosave and crash restore: a process editing a recording is killed with SIGKILL."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from annotator.edits import EditList, EditSession, EditsLockedError

from .conftest import write_manifest
from .crash_child import act, open_session

ROOT = Path(__file__).resolve().parents[2]


def expected_states(tmp: Path, n: int) -> list[tuple[dict, list[str], int]]:
    """(edit list, history names, index) after 0..n actions, replayed in this process."""
    folder = write_manifest(tmp / "replay")
    session = open_session(str(folder))
    states = [(session.edits.to_json(), session.history.names, session.history.index)]
    for k in range(n):
        act(session, k)
        states.append((session.edits.to_json(), session.history.names, session.history.index))
    session.close()
    return states


def start_child(folder: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "tests.edits.crash_child", str(folder)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    line = proc.stdout.readline()
    if line.strip() != "ready":
        proc.kill()
        pytest.fail(f"child did not start: {line!r} {proc.communicate()[1][-2000:]}")
    return proc


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sigkill_loses_no_edit(tmp_path, seed):
    folder = write_manifest(tmp_path / "rec")
    proc = start_child(folder)
    try:
        # while the child has the recording open, a second editor is refused
        with pytest.raises(EditsLockedError):
            EditSession.open(folder)
        time.sleep(random.Random(seed).uniform(0.2, 0.8))
    finally:
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    done = [int(x) for x in out.split()]
    assert done, "the child made no edit before it was killed"
    last = done[-1] + 1  # actions that returned before the kill
    print(f"killed after {last} actions")

    session = EditSession.open(folder)  # the lock died with the child
    try:
        assert session.messages == []
        got = (session.edits.to_json(), session.history.names, session.history.index)
        states = expected_states(tmp_path, last + 1)
        # every action that returned is there; the one running at the kill may be too
        assert got in (states[last], states[last + 1]), f"killed after {last} actions"
        assert not [p for p in folder.iterdir() if ".tmp-" in p.name or ".probe-" in p.name]
        while session.can_undo:
            session.undo()
        assert session.edits == EditList()
    finally:
        session.close()
