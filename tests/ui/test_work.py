"""The UI's background-work runner delivers every outcome, whatever the timing."""

from __future__ import annotations

import gc

import pytest

from annotator.ui.work import Job, run_job


def _finish_while_ui_busy(job: Job) -> None:
    # The UI thread is busy (it does not process events) while the worker finishes and
    # leaves; its outcome must still arrive once the UI gets to its events.
    assert job.wait(10)
    job._thread.join(10)
    del job
    gc.collect()


@pytest.mark.parametrize("outcome", ["done", "failed", "cancelled"])
def test_an_outcome_arrives_when_the_worker_ended_before_the_ui_looked(qtbot, outcome):
    from PyQt6.QtWidgets import QWidget

    from annotator.jobs import Cancelled

    owner = QWidget()
    got: list[object] = []

    def work(n: int) -> int:
        if outcome == "failed":
            raise ValueError("bad input")
        if outcome == "cancelled":
            raise Cancelled()
        return n * 2

    for n in range(20):  # the caller keeps no reference, as the windows do
        _finish_while_ui_busy(run_job(work, n, owner=owner, on_done=got.append,
                                      on_error=got.append,
                                      on_cancel=lambda: got.append("cancelled")))
    qtbot.waitUntil(lambda: len(got) == 20, timeout=5000)
    if outcome == "done":
        assert sorted(got) == [2 * n for n in range(20)]
    elif outcome == "failed":
        assert all(isinstance(x, ValueError) for x in got)
    else:
        assert got == ["cancelled"] * 20
    qtbot.waitUntil(lambda: not Job._running, timeout=5000)  # nothing kept once delivered


def test_no_outcome_reaches_a_deleted_owner(qtbot):
    from PyQt6 import sip
    from PyQt6.QtWidgets import QWidget

    owner = QWidget()
    got: list[object] = []
    job = run_job(lambda: 1, owner=owner, on_done=got.append)
    assert job.wait(10)
    sip.delete(owner)  # the window closed before the UI thread got to the result
    qtbot.waitUntil(lambda: not Job._running, timeout=5000)
    assert got == []


def test_an_outbox_send_answers_no_window_that_was_deleted(qtbot, tmp_path):
    """The session outlives its windows: a window closed while the outbox's send ran gets no
    call (its banner is gone), and a window still open that joined the same send gets one.
    Under load the old session called a closed window's banner and raised."""
    from PyQt6 import sip
    from PyQt6.QtWidgets import QWidget

    from annotator.remote.client import RemoteServices
    from annotator.remote.teamsettings import TeamSettings
    from annotator.ui.workflow.common import Session
    from annotator.workspace import Workspace

    server = "http://127.0.0.1:9"  # never reached: the outbox is empty
    svc = RemoteServices(server, token="ann_unused", outbox=tmp_path / "outbox")
    session = Session(Workspace.open(tmp_path / "ws"), services=svc,
                      team=TeamSettings(server=server, user="c"))
    closed, still_open = QWidget(), QWidget()
    qtbot.addWidget(still_open)
    for_closed: list[object] = []
    for_open: list[object] = []
    assert session.send_pending(on_done=for_closed.append, owner=closed) is not None
    session.send_pending(on_done=for_open.append, owner=still_open)  # joins the running send
    sip.delete(closed)  # before the UI thread got to the send's outcome
    qtbot.waitUntil(lambda: session._sending is None, timeout=30_000)
    assert for_open == [[]] and for_closed == []
    svc.close()
