"""Every command: what it changes, its name, its change descriptor, and an exact undo/redo."""

from __future__ import annotations

import json

import pytest

from annotator.edits import EditError, EditList
from annotator.edits import commands as cmd
from annotator.edits.apply import apply_edits

from .conftest import DURATION_US


def roundtrip(session, action):
    """Run ``action``; undo must give back the exact edit list before, redo the one after."""
    before = session.edits.to_json()
    change = action()
    after = session.edits.to_json()
    assert after != before
    name = change.name
    assert session.undo_text() == f"Undo {name}"
    undo = session.undo()
    assert session.edits.to_json() == before
    assert undo.action == "undo" and undo.name == name and undo.parts == change.parts
    assert session.redo_text() == f"Redo {name}"
    session.redo()
    assert session.edits.to_json() == after
    return change


def test_trim(session):
    change = roundtrip(session, lambda: session.trim(2_000_000, 50_000_000))
    assert change.name == "Trim" and change.parts == {"trim"}
    assert change.timeline_changed and change.steps_changed
    assert session.edits.trim_in_us == 2_000_000 and session.edits.trim_out_us == 50_000_000
    assert session.timeline.kept == ((2_000_000, 50_000_000),)


def test_in_and_out_points(session):
    assert roundtrip(session, lambda: session.set_in_point(3_000_000)).name == "Set in point"
    assert roundtrip(session, lambda: session.set_out_point(9_000_000)).name == "Set out point"
    assert session.edits.data["trim"] == {"in_us": 3_000_000, "out_us": 9_000_000}
    # the end of the recording is no trim: stored as null so it follows the recording
    session.set_out_point(DURATION_US)
    assert session.edits.trim_out_us is None
    assert roundtrip(session, session.clear_trim).name == "Clear trim"
    assert session.edits.data["trim"] == {"in_us": None, "out_us": None}


@pytest.mark.parametrize("args", [(5_000_000, 5_000_000), (6_000_000, 1_000_000),
                                  (0, DURATION_US + 1), (-1, 10)])
def test_bad_trim_changes_nothing(session, args):
    before = session.edits.to_json()
    with pytest.raises(EditError) as exc:
        session.trim(*args)
    assert exc.value.message
    assert session.edits.to_json() == before and not session.can_undo


def test_in_point_after_out_point_refused(session):
    session.set_out_point(10_000_000)
    with pytest.raises(EditError, match="before the out point"):
        session.set_in_point(20_000_000)


def test_cut_merges_touching_ranges(session):
    change = roundtrip(session, lambda: session.cut(10_000_000, 12_000_000))
    assert change.name == "Cut" and change.parts == {"cuts"}
    roundtrip(session, lambda: session.cut(11_000_000, 15_000_000))
    roundtrip(session, lambda: session.cut(30_000_000, 31_000_000))
    assert session.edits.data["cuts"] == [
        {"start_us": 10_000_000, "end_us": 15_000_000},
        {"start_us": 30_000_000, "end_us": 31_000_000}]
    with pytest.raises(EditError):
        session.cut(5, 5)


def test_restore_range(session):
    session.cut(10_000_000, 20_000_000)
    change = roundtrip(session, lambda: session.restore_range(12_000_000, 14_000_000))
    assert change.name == "Restore range"
    assert [(c.start_us, c.end_us) for c in session.edits.cuts] == [
        (10_000_000, 12_000_000), (14_000_000, 20_000_000)]


def test_cut_pauses(session):
    change = roundtrip(session, session.cut_pauses)
    assert change.name == "Cut pauses"
    assert session.edits.data["cuts"] == [{"start_us": 40_000_000, "end_us": 42_000_000}]


@pytest.mark.parametrize("method,field,value,name", [
    ("set_instruction", "instruction", "Open the invoice", "Edit instruction"),
    ("set_thought", "thought", "The invoice is in Downloads", "Edit thought"),
    ("set_mistake", "mistake", True, "Flag mistake"),
    ("set_redundant", "redundant", True, "Flag redundant"),
])
def test_label_fields(session, method, field, value, name):
    change = roundtrip(session, lambda: getattr(session, method)("s2", value))
    assert change.name == name and change.parts == {"labels"} and change.step_ids == {"s2"}
    assert change.labels_changed and not change.steps_changed
    assert getattr(session.edits.label("s2"), field) == value
    assert getattr(session.result["s2"].label, field) == value


def test_clearing_a_label_removes_it_from_the_file(session):
    session.set_mistake("s2", True)
    change = roundtrip(session, lambda: session.set_mistake("s2", False))
    assert change.name == "Unflag mistake"
    assert "s2" not in session.edits.data["labels"]


def test_label_of_unknown_step_refused(session):
    with pytest.raises(EditError, match="no step"):
        session.set_instruction("nope", "x")


def test_same_value_is_no_entry(session):
    session.set_outcome("success")
    n = len(session.history)
    change = session.set_outcome("success")
    assert change.empty and len(session.history) == n


def test_delete_and_restore_step(session):
    change = roundtrip(session, lambda: session.delete_step("s3"))
    assert change.name == "Delete step" and change.step_ids == {"s3"}
    assert session.result["s3"].status == "deleted"
    assert "s3" not in [s.id for s in session.result.steps]
    with pytest.raises(EditError, match="already deleted"):
        session.delete_step("s3")
    assert roundtrip(session, lambda: session.restore_step("s3")).name == "Restore step"
    assert session.result["s3"].kept
    with pytest.raises(EditError):
        session.restore_step("s3")


def test_delete_several_steps(session):
    change = roundtrip(session, lambda: session.delete_steps(["s1", "s2", "s1"]))
    assert change.name == "Delete steps" and session.edits.deleted_steps == ["s1", "s2"]


def test_merge_steps_combines_labels(session):
    session.set_instruction("s4", "Click the name field")
    session.set_instruction("s5", "type the name")
    session.set_redundant("s5", True)
    change = roundtrip(session, lambda: session.merge_steps("s5", "s4"))  # any order
    assert change.name == "Merge steps" and change.step_ids >= {"s4", "s5"}
    merged = session.result["s4"]
    assert session.result.get("s5") is None
    assert merged.merged and merged.source_ids == ("s4", "s5")
    assert merged.type == "click+type" and merged.text == "hello world"
    assert (merged.orig_t_start_us, merged.orig_t_end_us) == (20_000_000, 26_000_000)
    assert merged.label.instruction == "Click the name field type the name"
    assert merged.label.redundant is False  # only half of it was redundant
    assert "s5" not in session.edits.data["labels"]


def test_merge_needs_neighbours(session):
    with pytest.raises(EditError, match="neighbouring"):
        session.merge_steps("s1", "s3")
    session.delete_step("s2")
    session.merge_steps("s1", "s3")  # only a deleted step between them
    assert session.result["s1"].source_ids == ("s1", "s3")
    with pytest.raises(EditError, match="deleted"):
        session.merge_steps("s2", "s4")


def test_unmerge(session):
    session.merge_steps("s1", "s2")
    session.merge_steps("s1", "s3")
    change = roundtrip(session, lambda: session.unmerge("s1"))
    assert change.name == "Unmerge steps"
    assert session.result["s1"].source_ids == ("s1", "s2")
    assert session.result["s3"].kept
    with pytest.raises(EditError):
        session.unmerge("s5")


def test_split_typing_keeps_the_text(session):
    session.set_instruction("s1", "Type hello world")
    change = roundtrip(session, lambda: session.split_typing("s1", 6))
    assert change.name == "Split typing" and change.step_ids == {"s1"}
    a, b = session.result["s1"], session.result["s1@6"]
    assert (a.text, b.text) == ("hello ", "world")
    assert a.text + b.text == "hello world"
    assert a.label.instruction == "Type hello world" and b.label.is_empty
    assert a.orig_t_end_us == b.orig_t_start_us
    assert set(a.raw_event_ids).isdisjoint(b.raw_event_ids)
    assert sorted(a.raw_event_ids + b.raw_event_ids) == list(range(101, 123))
    # split the second part again: offsets are kept relative to the whole burst
    session.split_typing("s1@6", 2)
    assert [s.text for s in session.result.all_steps if s.split_of == "s1"] == [
        "hello ", "wo", "rld"]
    assert session.result.get("s1@8") is not None


@pytest.mark.parametrize("step,offset,match", [
    ("s0", 1, "typing"), ("s1", 0, "between"), ("s1", 11, "between"), ("s1", True, "between")])
def test_bad_split_refused(session, step, offset, match):
    with pytest.raises(EditError, match=match):
        session.split_typing(step, offset)


def test_split_of_merged_step_refused(session):
    session.merge_steps("s1", "s2")
    with pytest.raises(EditError, match="unmerge"):
        session.split_typing("s1", 3)


def test_split_at_the_key_press(session):
    # events of s5: 'helo', backspace, 'lo world' typed at 100 ms a key
    text = "helo\blo world"
    events, t = {}, 25_000_000
    for n, ch in enumerate(text):
        eid = 501 + n
        key = "backspace" if ch == "\b" else ch
        events[eid] = {"id": eid, "t": t, "kind": "key_down", "key": key,
                       "char": None if ch == "\b" else ch}
        t += 100_000
    step = dict(session.steps[5], raw_event_ids=sorted(events), t_end_us=t)
    session.set_steps([*session.steps[:5], step, *session.steps[6:]])
    session.split_typing("s5", 6, events=list(events.values()))
    rec = session.edits.data["splits"][0]
    # the 7th character of "hello world" ('w') is the 9th key press (after the backspace)
    assert rec["event_id"] == 501 + 8 and rec["at_us"] == 25_000_000 + 8 * 100_000
    assert rec["text_len"] == 11
    a, b = session.result["s5"], session.result["s5@6"]
    assert a.raw_event_ids == list(range(501, 509)) and b.raw_event_ids[0] == 509


def test_merge_of_split_parts_joins_them(session):
    session.split_typing("s1", 4)
    session.set_instruction("s1@4", "the rest")
    change = roundtrip(session, lambda: session.merge_steps("s1", "s1@4"))
    assert change.name == "Merge steps"
    assert session.edits.data["splits"] == [] and session.edits.data["merges"] == []
    assert session.result["s1"].text == "hello world"
    assert session.result["s1"].label.instruction == "the rest"


def test_unsplit(session):
    session.split_typing("s1", 4)
    change = roundtrip(session, lambda: session.unsplit("s1@4"))
    assert change.name == "Join typing"
    assert session.result["s1"].text == "hello world"
    session.split_typing("s1", 4)
    session.delete_step("s1@4")
    with pytest.raises(EditError, match="deleted or merged"):
        session.unsplit("s1@4")


@pytest.mark.parametrize("method,value,key,name", [
    ("set_goal", "Send the March invoice to Ana", "goal", "Edit goal"),
    ("set_outcome", "infeasible", "outcome", "Set outcome"),
    ("set_applications", ["LibreOffice Calc", " Firefox ", "Firefox", ""], "applications",
     "Set applications"),
    ("set_tags", ["invoice", "mail"], "tags", "Edit tags"),
    ("set_difficulty", 4, "difficulty", "Set difficulty"),
])
def test_task_panel(session, method, value, key, name):
    change = roundtrip(session, lambda: getattr(session, method)(value))
    assert change.name == name and change.parts == {"task"} and change.task_changed
    expected = ["LibreOffice Calc", "Firefox"] if key == "applications" else value
    assert session.edits.data["task"][key] == expected


def test_tags_add_remove(session):
    assert roundtrip(session, lambda: session.add_tag("mail")).name == "Add tag"
    session.add_tag("mail")
    session.add_tag("urgent")
    assert session.edits.task.tags == ("mail", "urgent")
    assert roundtrip(session, lambda: session.remove_tag("mail")).name == "Remove tag"
    assert session.edits.task.tags == ("urgent",)


@pytest.mark.parametrize("method,value", [("set_outcome", "done"), ("set_difficulty", 0),
                                          ("set_difficulty", 6), ("set_difficulty", True),
                                          ("set_goal", 3), ("set_tags", [1])])
def test_bad_task_values(session, method, value):
    with pytest.raises(EditError):
        getattr(session, method)(value)
    assert not session.can_undo


def test_outcome_unset(session):
    session.set_outcome("failure")
    roundtrip(session, lambda: session.set_outcome(None))
    assert session.edits.task.outcome is None


def test_discard_orphans(session, steps):
    session.set_instruction("s10", "gone later")  # moves to s9@3 with the merge
    session.delete_step("s11")
    session.split_typing("s9", 3)
    session.merge_steps("s9@3", "s10")
    # steps derived again: s9..s11 no longer exist
    session.set_steps(steps[:9])
    orphans = session.result.orphans
    assert {(o.kind, o.ref if o.kind in ("label", "delete") else "rec") for o in orphans} == {
        ("label", "s9@3"), ("delete", "s11"), ("merge", "rec"), ("split", "rec")}
    # orphans are kept in the edit list until the user discards them
    assert session.edits.data["merges"] and "s11" in session.edits.deleted_steps
    change = roundtrip(session, session.discard_orphans)
    assert change.name == "Discard orphaned edits"
    assert session.result.orphans == []
    assert session.edits.data["labels"] == {} and session.edits.data["merges"] == []


def test_commands_are_json(session):
    """A command, with its ops, survives JSON, ABSENT values included."""
    edits = session.edits
    c = cmd.merge_steps(edits, apply_edits(session.steps, edits), "s1", "s2")
    back = cmd.Command.from_json(json.loads(json.dumps(c.to_json())))
    assert back == c
    assert "old" not in c.to_json()["ops"][0]  # an insert has no old value


def test_builders_never_change_the_edit_list(steps):
    edits = EditList()
    before = edits.to_json()
    result = apply_edits(steps, edits)
    cmd.set_trim(edits, 1, 2)
    cmd.cut(edits, 1, 2)
    cmd.set_instruction(edits, "s1", "x")
    cmd.delete_step(edits, result, "s1")
    cmd.merge_steps(edits, result, "s1", "s2")
    cmd.split_typing(edits, result, "s1", 2)
    cmd.set_tags(edits, ["a"])
    assert edits.to_json() == before


def test_merge_of_parts_around_a_deleted_part_is_a_merge(session):
    session.split_typing("s1", 3)
    session.split_typing("s1@3", 3)
    session.delete_step("s1@3")
    session.merge_steps("s1", "s1@6")
    assert len(session.edits.data["splits"]) == 2
    merged = session.result["s1"]
    assert merged.text == "helworld" and merged.source_ids == ("s1",)
    assert [p.id for p in merged.parts] == ["s1", "s1@6"]
    assert session.result["s1@3"].status == "deleted"
