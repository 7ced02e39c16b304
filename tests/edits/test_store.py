"""edits.json: history across sessions, atomic autosave, damaged files, newer schema,
read-only folders and full disks."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest

from annotator.edits import (
    BACKUP_FILE,
    EDITS_FILE,
    EditList,
    EditSession,
    EditsLockedError,
    EditsReadOnlyError,
    EditsSaveError,
    NewerEditsError,
    UndoHistory,
)
from annotator.edits import commands as cmd
from annotator.edits.store import EditStore
from annotator.errors import AnnotatorError, NewerSchemaError

from .conftest import RECORDING_ID, make_steps, write_manifest


def on_disk(folder: Path, name: str = EDITS_FILE) -> dict:
    return json.loads((folder / name).read_text("utf-8"))


def edit_a_little(session: EditSession) -> None:
    session.trim(1_000_000, 55_000_000)
    session.set_instruction("s1", "Type the name")
    session.merge_steps("s2", "s3")
    session.set_outcome("success")


def test_history_survives_closing_and_reopening(bundle, steps):
    s = EditSession.open(bundle, steps=steps)
    edit_a_little(s)
    s.undo()
    s.mark_clean()
    state, names = s.edits.to_json(), s.history.names
    s.close()

    s = EditSession.open(bundle, steps=steps)
    assert s.messages == []
    assert s.edits.to_json() == state and s.history.names == names
    assert s.history.index == 3 and s.is_clean
    assert s.undo_text() == "Undo Merge steps" and s.redo_text() == "Redo Set outcome"
    s.redo()
    while s.can_undo:
        s.undo()
    assert s.edits == EditList()
    s.close()
    assert on_disk(bundle)["edits"] == EditList().data


def test_every_change_is_on_disk_when_it_returns(session, bundle):
    heard = []
    session.subscribe(lambda change: heard.append(on_disk(bundle)["edits"]))
    edit_a_little(session)
    assert on_disk(bundle)["edits"] == session.edits.data
    session.undo()
    assert on_disk(bundle)["edits"] == session.edits.data
    with session.transaction("Group"):
        session.set_goal("g")
        assert on_disk(bundle)["edits"]["task"]["goal"] == ""  # half a group is never saved
    assert on_disk(bundle)["edits"]["task"]["goal"] == "g"
    # listeners hear a change once it is saved
    assert heard[-1] == session.edits.data and len(heard) == 6


def test_file_layout(session, bundle):
    session.set_goal("Pay the invoice")
    doc = on_disk(bundle)
    assert doc["format"] == "annotator-edits" and doc["schema_version"] == 1
    assert doc["edits"]["schema_version"] == 1 and doc["recording_id"] == RECORDING_ID
    assert set(doc) == {"format", "schema_version", "recording_id", "app_version",
                        "saved_utc", "edits", "history"}
    assert stat.S_IMODE((bundle / EDITS_FILE).stat().st_mode) == 0o600
    assert not [p for p in bundle.iterdir() if p.name.startswith(".")]


def test_backup_is_the_previous_save(session, bundle):
    session.set_goal("first")
    session.break_coalescing()
    session.set_goal("second")
    assert on_disk(bundle, BACKUP_FILE)["edits"]["task"]["goal"] == "first"
    assert on_disk(bundle)["edits"]["task"]["goal"] == "second"


def test_opening_does_not_write(bundle):
    EditSession.open(bundle).close()
    assert sorted(p.name for p in bundle.iterdir()) == ["manifest.json"]


def test_second_editor_is_refused(session, bundle):
    with pytest.raises(EditsLockedError) as exc:
        EditSession.open(bundle)
    assert "already open" in exc.value.message and exc.value.hint
    session.close()
    EditSession.open(bundle).close()


# -- damaged files -------------------------------------------------------------------


def _two_saves(bundle) -> tuple[dict, dict]:
    s = EditSession.open(bundle, steps=make_steps())
    s.set_instruction("s1", "first")
    good = s.edits.to_json()
    s.set_outcome("failure")
    last = s.edits.to_json()
    s.close()
    return good, last


@pytest.mark.parametrize("damage", [
    b"\x00\x00\x00garbage",
    b'{"format": "annotator-edits", "schema_version": 1, "edits": {"schema_ver',
    json.dumps({"format": "annotator-edits", "schema_version": 1,
                "edits": {"schema_version": 1, "trim": {"in_us": 9, "out_us": 3}}}).encode(),
    json.dumps({"format": "annotator-edits", "schema_version": 1, "recording_id": "other",
                "edits": {"schema_version": 1}}).encode(),
    b"",
])
def test_damaged_file_is_set_aside_and_last_good_state_opens(bundle, damage):
    good, _ = _two_saves(bundle)
    (bundle / EDITS_FILE).write_bytes(damage)
    s = EditSession.open(bundle, steps=make_steps())
    text = " ".join(s.messages)
    assert "damaged" in text and "set aside as edits.json.corrupt-" in text
    assert "last good state" in text
    assert s.edits.to_json() == good
    assert s.history.names == ["Edit instruction"] and s.can_undo
    aside = [p for p in bundle.iterdir() if p.name.startswith("edits.json.corrupt-")]
    assert len(aside) == 1 and aside[0].read_bytes() == damage  # kept as it was
    assert on_disk(bundle)["edits"] == good  # a good edits.json again
    s.close()
    s = EditSession.open(bundle)
    assert s.messages == [] and s.edits.to_json() == good
    s.close()


def test_both_files_damaged_start_empty(bundle):
    _two_saves(bundle)
    (bundle / EDITS_FILE).write_text("{")
    (bundle / BACKUP_FILE).write_text("[]")
    s = EditSession.open(bundle)
    assert "damaged too" in " ".join(s.messages) and s.edits == EditList()
    assert len([p for p in bundle.iterdir() if ".corrupt-" in p.name]) == 2
    s.close()


def test_missing_file_restored_from_backup(bundle):
    good, _ = _two_saves(bundle)
    (bundle / EDITS_FILE).unlink()
    s = EditSession.open(bundle)
    assert "missing" in s.messages[0] and s.edits.to_json() == good
    s.close()


def test_history_that_does_not_match_is_dropped_not_the_edits(bundle):
    _, last = _two_saves(bundle)
    doc = on_disk(bundle)
    doc["history"]["entries"][0]["ops"][0]["new"] = {"instruction": "tampered"}
    (bundle / EDITS_FILE).write_text(json.dumps(doc))
    s = EditSession.open(bundle)
    assert s.messages == ["The undo history could not be restored and starts empty; "
                          "the edits themselves are intact."]
    assert s.edits.to_json() == last and not s.can_undo
    s.close()


def test_missing_sections_get_defaults(bundle):
    doc = {"format": "annotator-edits", "schema_version": 1, "recording_id": RECORDING_ID,
           "edits": {"schema_version": 1, "labels": {"s1": {"instruction": "x"}}}}
    (bundle / EDITS_FILE).write_text(json.dumps(doc))
    s = EditSession.open(bundle, steps=make_steps())
    assert s.messages == [] and s.edits.label("s1").instruction == "x"
    assert s.edits.data["redactions"] == [] and s.edits.task.outcome is None
    s.close()


@pytest.mark.parametrize("where", ["file", "edits"])
def test_newer_schema_is_refused_and_left_alone(bundle, where):
    _two_saves(bundle)
    doc = on_disk(bundle)
    (doc if where == "file" else doc["edits"])["schema_version"] = 7
    raw = json.dumps(doc).encode()
    (bundle / EDITS_FILE).write_bytes(raw)
    with pytest.raises(NewerEditsError) as exc:
        EditSession.open(bundle)
    assert isinstance(exc.value, NewerSchemaError)
    assert "schema version 7" in exc.value.message and "up to 1" in exc.value.message
    assert "Update annotator" in exc.value.hint
    assert (bundle / EDITS_FILE).read_bytes() == raw
    assert not [p for p in bundle.iterdir() if ".corrupt-" in p.name]
    with pytest.raises(NewerEditsError):  # the lock was released: same answer again
        EditSession.open(bundle)


# -- read-only folders and full disks --------------------------------------------------


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_read_only_folder_opens_read_only_and_loses_nothing(tmpfs):
    mnt = tmpfs()
    bundle = write_manifest(mnt.path / "rec")
    s = EditSession.open(bundle, steps=make_steps())
    edit_a_little(s)
    state, names = s.edits.to_json(), s.history.names
    s.close()
    before = _files(bundle)
    mnt.read_only()

    s = EditSession.open(bundle, steps=make_steps())
    assert s.read_only and "read-only" in s.messages[0]
    assert s.edits.to_json() == state and s.history.names == names
    assert not s.can_undo
    for action in (lambda: s.set_goal("x"), s.undo, lambda: s.delete_step("s5")):
        with pytest.raises(EditsReadOnlyError) as exc:
            action()
        assert isinstance(exc.value, AnnotatorError) and exc.value.hint
    assert s.edits.to_json() == state and s.history.names == names
    s.close()
    assert _files(bundle) == before


def test_damaged_file_on_read_only_folder(tmpfs):
    mnt = tmpfs()
    bundle = write_manifest(mnt.path / "rec")
    good, _ = _two_saves(bundle)
    (bundle / EDITS_FILE).write_text("{")
    mnt.read_only()
    s = EditSession.open(bundle)
    assert s.read_only and s.edits.to_json() == good
    assert "left as it is" in " ".join(s.messages)
    s.close()
    assert (bundle / EDITS_FILE).read_text() == "{"


def test_folder_turning_read_only_keeps_the_edit_in_memory(tmpfs):
    mnt = tmpfs()
    bundle = write_manifest(mnt.path / "rec")
    s = EditSession.open(bundle, steps=make_steps())
    s.set_goal("saved")
    mnt.read_only()
    with pytest.raises(EditsSaveError) as exc:
        s.set_outcome("success")
    assert "read-only" in exc.value.message and "kept" in exc.value.hint
    assert s.edits.task.outcome == "success" and s.unsaved  # kept, undoable
    assert on_disk(bundle)["edits"]["task"]["outcome"] is None
    with pytest.raises(EditsSaveError):
        s.close()  # refuses to close while something is unsaved
    mnt.read_write()
    s.close()
    s = EditSession.open(bundle)
    assert s.edits.task.outcome == "success" and s.undo_text() == "Undo Set outcome"
    s.close()


def test_full_disk_keeps_the_edit_and_saves_when_space_returns(tmpfs):
    mnt = tmpfs("256k")
    bundle = write_manifest(mnt.path / "rec")
    s = EditSession.open(bundle, steps=make_steps())
    s.set_goal("before the disk filled up")
    filler = mnt.path / "filler"
    with open(filler, "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"x" * 4096)
                fh.flush()
        except OSError:
            pass
    with pytest.raises(EditsSaveError) as exc:
        s.set_instruction("s1", "y" * 20_000)
    assert "full" in exc.value.message
    assert s.edits.label("s1").instruction == "y" * 20_000 and s.unsaved
    assert on_disk(bundle)["edits"]["task"]["goal"] == "before the disk filled up"
    filler.unlink()
    s.flush()
    assert not s.unsaved and on_disk(bundle)["edits"]["labels"]["s1"]["instruction"]
    s.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores permission bits (see tmpfs tests)")
def test_read_only_permissions_without_root(bundle):
    s = EditSession.open(bundle, steps=make_steps())
    s.set_goal("g")
    s.close()
    bundle.chmod(0o500)
    try:
        s = EditSession.open(bundle)
        assert s.read_only and s.edits.task.goal == "g"
        with pytest.raises(EditsReadOnlyError):
            s.set_goal("h")
        s.close()
    finally:
        bundle.chmod(0o700)


def test_saving_a_large_session_is_quick(bundle):
    """2,000 labelled steps and 1,000 undo entries: opening and each autosave stay quick."""
    steps = [{"id": f"{i:012x}", "type": "click", "t_start_us": i * 1_000, "t_end_us": i * 1_000,
              "raw_event_ids": [i]} for i in range(2000)]
    history = UndoHistory(EditList())
    with history.transaction("Label all"):
        for st in steps:
            history.execute(cmd.set_instruction(history.edits, st["id"],
                                                "Click the Save button in the toolbar"))
    for i in range(999):
        history.execute(cmd.set_thought(history.edits, steps[i]["id"],
                                        f"Because the document must be saved ({i})"))
    EditStore(bundle, recording_id=RECORDING_ID).save(history)

    t = time.process_time()  # CPU of this process: the same on a busy machine
    s = EditSession.open(bundle, steps=steps, duration_us=10_000_000)
    opened = time.process_time() - t
    assert len(s.history) == 1000 and s.messages == []
    s.result  # noqa: B018  (the UI reads it once)
    times = []
    for i in range(5):
        t = time.perf_counter()
        s.set_instruction(steps[i]["id"], "Save the file")
        times.append(time.perf_counter() - t)
    size = (bundle / EDITS_FILE).stat().st_size
    s.close()
    assert opened < 1.0, f"opening {size} bytes took {opened:.3f} CPU s"
    assert min(times) < 0.25, f"an autosave of {size} bytes took {min(times):.3f} s"
