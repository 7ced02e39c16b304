"""Redactions are edits: boxes over time, text masks, suggestion decisions, all undoable."""

from __future__ import annotations

import pytest

from annotator.edits import EditSession
from annotator.edits.errors import EditError
from annotator.edits.redactions import (
    Redaction,
    RedactionError,
    decided_suggestions,
    masked_text,
    orphaned_redactions,
)
from tests.recorder.test_bundle import make_bundle


class S:
    def __init__(self, id, text=None, t0=0, t1=10):
        self.id, self.text, self.type = id, text, "type" if text else "click"
        self.t_start_us, self.t_end_us, self.raw_event_ids = t0, t1, [1]


def open_session(tmp_path, steps=None):
    make_bundle(tmp_path / "b")
    return EditSession.open(tmp_path / "b", steps=steps or [S("a", "secret pass"), S("b")])


def test_box_add_move_clamp_remove_undo(tmp_path):
    s = open_session(tmp_path)
    s.add_box([300, 200, 50, 100], 100_000, 500_000)
    (box,) = s.edits.redactions
    assert box["rect"] == [300, 200, 20, 40] and s.last_notes  # clamped to 320x240, said so
    s.update_box(box["id"], rect=[10, 10, 30, 30], t_end_us=900_000)
    assert s.edits.redactions[0]["rect"] == [10, 10, 30, 30]
    assert s.undo_text() == "Undo Move redaction"
    s.remove_redaction(box["id"])
    assert s.edits.redactions == []
    s.undo()
    s.undo()
    assert s.edits.redactions[0]["rect"] == [300, 200, 20, 40]
    with pytest.raises(EditError, match="outside the frame"):
        s.add_box([1000, 1000, 10, 10], 0, 10)
    s.close()


def test_a_box_entry_is_one_redaction_type_checked_in_one_place(tmp_path):
    s = open_session(tmp_path)
    s.add_box("full", 0, 200_000, label="everything")
    s.add_box([10, 20, 30, 40], 100_000, 300_000)
    full, box = (Redaction.from_entry(r, i) for i, r in enumerate(s.edits.redactions))
    assert full == Redaction(None, 0, 200_000, "everything") and full.name == "everything"
    assert box.rect == (10, 20, 30, 40) and box.name.startswith("r-")  # labelled by its id
    assert Redaction.from_entry(box) == box
    for bad, why in (({"rect": [1, 2, 0, 5], "t_start_us": 0, "t_end_us": 5}, "empty"),
                     ({"rect": [1, 2, 3, 5], "t_start_us": 9, "t_end_us": 5}, "before it starts"),
                     ({"rect": "everywhere", "t_start_us": 0, "t_end_us": 5}, "not a rectangle"),
                     ({"rect": [1, 2, 3, 4]}, "no t_start_us"), ("box", "not a box")):
        with pytest.raises(RedactionError, match=why) as err:
            Redaction.from_entry(bad, 2)
        assert err.value.message.startswith("Redaction 3")
    with pytest.raises(EditError, match="width and a height"):  # the edit command: the same check
        s.add_box([0, 0, 0, 9], 0, 10)
    s.close()


def test_text_mask_and_placeholder(tmp_path):
    s = open_session(tmp_path)
    s.mask_text("a", 7, 11)
    (m,) = s.edits.redactions
    assert masked_text("secret pass", [m]) == "secret <redacted>"
    with pytest.raises(EditError, match="already masked"):
        s.mask_text("a", 8, 10)
    with pytest.raises(EditError, match="no typed text"):
        s.mask_text("b")
    s.close()


def test_accept_and_reject_suggestions_in_one_command(tmp_path):
    s = open_session(tmp_path)
    sugg = [{"id": "s1", "kind": "email", "source": "ocr", "rect": [1, 2, 30, 10],
             "t_start_us": 0, "t_end_us": 200_000, "reason": "e-mail"},
            {"id": "s2", "kind": "password", "source": "typed_text", "step_id": "a",
             "span": [7, 11], "rect": None}]
    s.accept_suggestions(sugg)
    assert s.undo_text() == "Undo Accept 2 suggestions"
    s.reject_suggestions(["s3"])
    assert decided_suggestions(s.edits) == {"s1": "accepted", "s2": "accepted", "s3": "rejected"}
    s.undo()
    s.undo()
    assert s.edits.redactions == []
    s.close()


def test_redaction_of_a_removed_step_is_kept_and_flagged(tmp_path):
    s = open_session(tmp_path)
    s.add_box("full", 0, 100_000, start_step="gone", end_step="b")
    s.mask_keys("b")
    orphans = orphaned_redactions(s.edits, ["a", "b"])
    assert [o["kind"] for o in orphans] == ["box"]
    assert len(s.edits.redactions) == 2
    s.close()
