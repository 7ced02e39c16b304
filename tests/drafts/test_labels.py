"""Origins of instructions (accepted, edited, written) as edits in the core history, "Accept
all drafts" with undo, the checklist that counts only accepted, edited or written ones, and
what a package and the canonical export carry of them."""

from __future__ import annotations

import json

import pytest

from annotator.edits import EditError, EditList, EditSession, apply_edits
from annotator.edits.commands import instruction_origin
from annotator.edits.errors import EditsFormatError
from annotator.edits.model import Label
from annotator.submission.stepsdoc import Scrubber, build_steps


def write_bundle(folder):
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps(
        {"schema_version": 1, "id": "rec-1", "status": "complete", "duration_us": 30_000_000,
         "pauses": []}))
    return folder


STEPS = [{"id": f"s{i}", "type": "click", "t_start_us": i * 2_000_000,
          "t_end_us": i * 2_000_000 + 50_000, "x": 10, "y": 10} for i in range(4)]
DRAFTS = {"s0": ('Click "Save"', False), "s1": ('Click "Send"', False),
          "s2": ("Click the unlabelled button at the top of the window", True)}


def test_origin_of_an_instruction():
    d = 'Click "Save" in the invoice toolbar'
    assert instruction_origin(d, d) == "accepted"
    assert instruction_origin(' Click  "Save" in the invoice toolbar', d) == "accepted"
    assert instruction_origin('Click "Save" in the toolbar', d) == "edited"
    assert instruction_origin("Store the invoice", d) == "written"
    assert instruction_origin("", d) == ""
    # the draft not at hand: unchanged keeps its origin, a reworked draft is edited
    assert instruction_origin(d, None, d, "accepted") == "accepted"
    assert instruction_origin('Click "Save" now', None, 'Click "Save"', "accepted") == "edited"
    assert instruction_origin("Something else entirely", None, d, "accepted") == "written"
    # instructions from before drafts were written
    assert Label(instruction="Open it").instruction_origin == "written"
    with pytest.raises(EditsFormatError):
        EditList.from_json({"schema_version": 1, "labels": {"s0": {"origin": "typed"}}})


def test_accept_all_drafts_is_one_undoable_edit_that_leaves_weak_drafts_and_own_text(tmp_path):
    folder = write_bundle(tmp_path / "rec")
    with EditSession.open(folder, steps=STEPS) as s:
        s.set_drafts(DRAFTS)
        s.set_instruction("s1", "Send it to the customer")  # the contributor's own words
        assert s.edits.label("s1").origin == "written"
        change = s.accept_drafts()
        assert change.step_ids == {"s0"}  # s1 has its own text, s2 is weak, s3 has none
        assert s.undo_text() == "Undo Accept all drafts"
        assert s.edits.label("s0").instruction == 'Click "Save"'
        assert s.edits.label("s0").origin == "accepted"
        assert s.edits.label("s1").instruction == "Send it to the customer"
        assert not s.edits.label("s2").instruction
        s.accept_draft("s2")  # one by one, a weak draft too
        assert s.edits.label("s2").origin == "accepted"
        with pytest.raises(EditError):
            s.accept_draft("s3")  # no draft
        with pytest.raises(EditError):
            s.accept_draft("s1")  # never over the contributor's text
        s.set_instruction("s0", 'Click "Save" in the toolbar')
        assert s.edits.label("s0").origin == "edited"
        s.undo()
        s.undo()
        s.undo()
        assert not s.edits.label("s0").instruction and not s.edits.label("s0").origin
    # saved with the history: reopened, redo brings it back
    with EditSession.open(folder, steps=STEPS) as s:
        s.redo()
        assert s.edits.label("s0").origin == "accepted"


def test_merged_labels_keep_a_truthful_origin(tmp_path):
    folder = write_bundle(tmp_path / "rec")
    with EditSession.open(folder, steps=STEPS) as s:
        s.set_drafts(DRAFTS)
        s.accept_drafts(["s0", "s1"])
        s.merge_steps("s0", "s1")
        assert s.edits.label("s0").instruction == 'Click "Save" Click "Send"'
        assert s.edits.label("s0").origin == "edited"  # two drafts joined: reworked
        s.accept_draft("s2")
        s.set_instruction("s3", "Close the window")
        s.merge_steps("s2", "s3")
        assert s.edits.label("s2").origin == "edited"


def test_package_steps_carry_the_origin_as_text_source_and_the_target_box():
    steps = [dict(STEPS[i], obs_t_us=STEPS[i]["t_start_us"] - 1000, window_title="Books",
                  target={"source": "none", "reason": "no accessibility"}) for i in range(3)]
    steps[2]["target"] = {"source": "atspi", "name": "maria@example.org", "box": [0, 0, 9, 9],
                          "role_name": "list item"}
    edits = EditList.from_json({"schema_version": 1, "labels": {
        "s0": {"instruction": 'Click "Save"', "origin": "accepted"},
        "s1": {"instruction": "Send it", "thought": "because", "origin": "written"},
        "s2": {"instruction": "Pick the row"}}})
    result = apply_edits(steps, edits)
    targets = {"s0": {"source": "draft:ocr", "name": "Save", "role_name": "button",
                      "box": [5, 6, 70, 24]}, "s2": {"name_hidden": True}}
    built = build_steps(result.steps, result.timeline, edits, whole_masked={},
                        scrub=Scrubber([]), targets=targets)
    s0, s1, s2 = built.steps
    assert s0["text_source"] == {"low_level_instruction": "drafted", "thought": None}
    assert s0["instruction_origin"] == "accepted"
    assert s0["target"]["box"] == [5, 6, 70, 24] and s0["target"]["name"] == "Save"
    assert "reason" not in s0["target"]
    assert s1["text_source"] == {"low_level_instruction": "written", "thought": "written"}
    assert s2["text_source"]["low_level_instruction"] == "written"  # before drafts
    assert s2["target"]["name"] == "<redacted>" and s2["target"]["box"] == [0, 0, 9, 9]


def test_canonical_rows_carry_text_source_and_target_box_as_corners():
    from annotator.export.steps import _target

    t = _target({"source": "draft:ocr", "name": "Save", "role_name": "button",
                 "box": [5, 6, 70, 24]}, {"window_title": "Books"})
    assert t["bbox_px"] == [5, 6, 75, 30] and t["name"] == "Save" and t["role"] == "button"
