"""EditSession: one object a window holds; one signal for every change."""

from __future__ import annotations

import pytest

from annotator.edits import EditError, EditSession
from annotator.errors import BundleError


def test_one_change_per_action_for_listeners(session):
    heard = []
    session.subscribe(heard.append)
    session.trim(1_000_000, None)
    with session.transaction("Label 2 steps"):
        session.set_mistake("s1", True)
        session.set_mistake("s2", True)
    session.undo()
    session.set_steps(session.steps[:6])
    assert [(c.action, c.name) for c in heard] == [
        ("do", "Trim"), ("do", "Label 2 steps"), ("undo", "Label 2 steps"), ("steps", "Steps")]
    assert heard[0].timeline_changed and heard[-1].steps_changed and not heard[1].steps_changed


def test_label_edits_patch_the_result_instead_of_recomputing(session):
    result = session.result
    session.set_instruction("s4", "Click Save")
    assert session.result is result and result["s4"].label.instruction == "Click Save"
    session.undo()
    assert session.result is result and result["s4"].label.is_empty
    session.set_goal("goal")
    assert session.result is result
    session.delete_step("s4")
    assert session.result is not result and session.result["s4"].status == "deleted"


def test_step_operations_wait_for_steps(bundle):
    with EditSession.open(bundle) as s:
        assert s.steps is None
        s.set_instruction("anything", "labels are fine before steps exist")
        with pytest.raises(EditError, match="not derived yet"):
            s.delete_step("s1")
        s.set_steps([{"id": "s1", "type": "click", "t_start_us": 0, "t_end_us": 1}])
        s.delete_step("s1")
        assert [o.ref for o in s.result.orphans] == ["anything"]


def test_duration_and_pauses_come_from_the_manifest(session):
    assert session.duration_us == 60_000_000
    assert session.timeline.duration_us == 60_000_000
    session.cut_pauses()
    assert session.timeline.kept == ((0, 40_000_000), (42_000_000, 60_000_000))


def test_closed_session_refuses_edits(session):
    session.close()
    session.close()  # twice is fine
    with pytest.raises(EditError, match="closed"):
        session.set_goal("x")


def test_not_a_bundle(tmp_path):
    with pytest.raises(BundleError):
        EditSession.open(tmp_path)
