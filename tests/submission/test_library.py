"""The library's rows (what the desktop lists), and the team a workspace is signed in to."""

from __future__ import annotations

import datetime as dt
import json

from annotator.remote.teamsettings import TeamSettings, save_settings, signed_in_team
from annotator.steps import derive_bundle, write_steps
from annotator.submission.library import NOT_DERIVED, UNREADABLE, recording_summaries
from annotator.submission.local import record_submission
from annotator.workspace import Workspace
from tests.steps.helpers import Script, make_bundle


def test_each_recording_says_what_became_of_it(tmp_path):
    ws = Workspace.open(tmp_path / "ws")
    rec = ws.recordings_dir
    make_bundle(rec / "rec-1", Script().click(10, 10))
    done = make_bundle(rec / "rec-2", Script().click(10, 10).type("hi"),
                       manifest={"started_utc": "2026-03-10T12:00:00.000000Z"})
    write_steps(done, derive_bundle(done))
    (done / "edits.json").write_text("{}")
    record_submission(done, {"submission_id": 3, "store": "x"})
    record_submission(done, {"submission_id": 5, "store": "x"})
    broken = make_bundle(rec / "rec-3", Script().click(10, 10))
    (broken / "manifest.json").write_text("{not json")
    damaged_steps = make_bundle(rec / "rec-4", Script().click(10, 10))
    (damaged_steps / "steps.json").write_text("[")

    rows = {r.folder.name: r for r in recording_summaries(ws)}
    assert list(rows) == ["rec-4", "rec-3", "rec-2", "rec-1"]  # newest first
    assert rows["rec-1"].steps == NOT_DERIVED and not rows["rec-1"].edited
    assert rows["rec-1"].submissions == () and "submitted" not in rows["rec-1"].status
    two = rows["rec-2"]
    assert two.steps == len(derive_bundle(done).steps) and two.edited
    assert two.submissions == (3, 5) and two.status.endswith("edited, submitted #3, #5")
    assert two.started == dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
    assert rows["rec-1"].started is None  # the manifest does not say
    assert rows["rec-3"].problem and rows["rec-3"].status.startswith("unreadable: ")
    assert rows["rec-4"].steps == UNREADABLE  # the row is still listed


def test_a_workspace_that_never_signed_in_has_no_team_and_no_team_folder(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    assert signed_in_team(root) is None and not (root / "team").exists()
    save_settings(root, TeamSettings("https://team.example", "ana"))
    assert signed_in_team(root) == TeamSettings("https://team.example", "ana")
    (root / "team" / "settings.json").write_text(json.dumps({"server": "x"}))  # damaged
    assert signed_in_team(root) is None
    save_settings(root, None)
    assert signed_in_team(root) is None


def test_a_task_is_assigned_with_its_goal_unless_the_recording_has_one(tmp_path):
    from annotator.edits import EditSession
    from annotator.submission.library import assign_task

    ws = Workspace.open(tmp_path / "ws")
    folder = make_bundle(ws.recordings_dir / "rec-1", Script().click(10, 10))
    assert assign_task(ws, folder, 7, "File the invoice") is None
    assert ws.task_for(folder) == 7
    doc = derive_bundle(folder)
    with EditSession.open(folder, steps=doc.steps) as session:
        assert session.edits.task.goal == "File the invoice"
        session.set_goal("My own words")
    assert assign_task(ws, folder, 8, "Another task's goal") is None
    with EditSession.open(folder, steps=doc.steps) as session:
        assert session.edits.task.goal == "My own words"  # the contributor's, kept
    assert ws.task_for(folder) == 8
    broken = make_bundle(ws.recordings_dir / "rec-2", Script().click(10, 10))
    (broken / "manifest.json").write_text("{not json")
    problem = assign_task(ws, broken, 9, "Goal")
    assert problem is not None and problem.message  # why the goal could not be set
    assert ws.task_for(broken) == 9  # the task is assigned all the same
