"""apply_edits: the steps a reviewer gets, and edits that no longer apply (orphans)."""

from __future__ import annotations

from dataclasses import dataclass, field

from annotator.edits import EditList, apply_edits
from annotator.edits import commands as cmd
from annotator.edits.history import UndoHistory

from .conftest import DURATION_US, make_steps


@dataclass(slots=True)
class StepObj:
    """Steps may be objects (like annotator.steps' Step) as well as dicts."""

    id: str
    type: str
    t_start_us: int
    t_end_us: int
    text: str | None = None
    raw_event_ids: list[int] = field(default_factory=list)
    x: int | None = None


def run(steps, *builders):
    """Apply commands made by ``builders(edits, result)`` in turn; return the history."""
    h = UndoHistory(EditList())
    for build in builders:
        h.execute(build(h.edits, apply_edits(steps, h.edits, duration_us=DURATION_US)))
    return h


def test_no_edits_is_the_derived_steps(steps):
    result = apply_edits(steps, EditList(), duration_us=DURATION_US)
    assert [s.id for s in result.steps] == [s["id"] for s in steps]
    for got, src in zip(result.steps, steps, strict=True):
        assert (got.t_start_us, got.t_end_us) == (src["t_start_us"], src["t_end_us"])
        assert got.type == src["type"] and got.text == src["text"]
        assert got.raw_event_ids == src["raw_event_ids"] and got.sources == (src,)
    assert [s.index for s in result.steps] == list(range(12))
    assert result.orphans == []


def test_objects_work_like_dicts(steps):
    objs = [StepObj(s["id"], s["type"], s["t_start_us"], s["t_end_us"], s["text"],
                    s["raw_event_ids"], x=10) for s in steps]
    h = run(objs, lambda e, r: cmd.split_typing(e, r, "s1", 5),
            lambda e, r: cmd.merge_steps(e, r, "s2", "s3"))
    result = apply_edits(objs, h.edits, duration_us=DURATION_US)
    assert result["s1@5"].text == " world"
    assert result["s2"].sources == (objs[2], objs[3]) and result["s2"].sources[0].x == 10


def test_steps_in_removed_ranges_leave_and_the_rest_is_retimed(steps):
    h = run(steps, lambda e, r: cmd.set_trim(e, 4_000_000, 50_000_000),
            lambda e, r: cmd.cut(e, 14_000_000, 25_500_000))
    result = apply_edits(steps, h.edits, duration_us=DURATION_US)
    status = {s.id: s.status for s in result.all_steps}
    assert status["s0"] == "removed"  # before the in point
    assert status["s3"] == "removed" and status["s4"] == "removed"  # inside the cut
    assert status["s5"] == "cut_through"  # 25-26 s: its start was cut
    assert status["s10"] == "removed"  # at the out point
    kept = [s.id for s in result.steps]
    assert kept == ["s1", "s2", "s6", "s7", "s8", "s9"]
    s1, s6 = result["s1"], result["s6"]
    assert (s1.t_start_us, s1.orig_t_start_us) == (1_000_000, 5_000_000)
    # 30 s - 4 s trimmed - 11.5 s cut
    assert (s6.t_start_us, s6.t_end_us) == (14_500_000, 15_500_000)
    assert result.timeline.result_duration_us == 46_000_000 - 11_500_000
    for s in result.steps:
        assert result.timeline.to_original(s.t_start_us) == s.orig_t_start_us


def test_labels_follow_their_step(steps):
    h = run(steps, lambda e, r: cmd.set_instruction(e, "s3", "Press Ctrl+S"),
            lambda e, r: cmd.set_mistake(e, "s3", True))
    result = apply_edits(steps, h.edits)
    assert result["s3"].label.instruction == "Press Ctrl+S" and result["s3"].label.mistake
    assert result["s4"].label.is_empty


def test_deleted_steps_are_dropped(steps):
    h = run(steps, lambda e, r: cmd.delete_step(e, r, "s2"))
    result = apply_edits(steps, h.edits)
    assert "s2" not in [s.id for s in result.steps]
    assert result["s2"].status == "deleted" and result["s3"].index == 2


def test_split_parts_partition_time_text_and_events(steps):
    h = run(steps, lambda e, r: cmd.split_typing(e, r, "s1", 3),
            lambda e, r: cmd.split_typing(e, r, "s1@3", 5))  # offsets are per part
    parts = [s for s in apply_edits(steps, h.edits).steps if s.split_of == "s1"]
    assert [p.id for p in parts] == ["s1", "s1@3", "s1@8"]
    assert "".join(p.text for p in parts) == "hello world"
    assert parts[0].orig_t_start_us == 5_000_000 and parts[-1].orig_t_end_us == 6_000_000
    for a, b in zip(parts, parts[1:], strict=False):
        assert a.orig_t_end_us == b.orig_t_start_us
    ids = [i for p in parts for i in p.raw_event_ids]
    assert ids == list(range(101, 123))  # every event in exactly one part, in order


def test_merged_step(steps):
    h = run(steps, lambda e, r: cmd.merge_steps(e, r, "s5", "s6"),
            lambda e, r: cmd.merge_steps(e, r, "s5", "s7"))
    result = apply_edits(steps, h.edits)
    s5 = result["s5"]
    assert s5.source_ids == ("s5", "s6", "s7") and s5.type == "type+click+hotkey"
    assert s5.raw_event_ids == sorted(steps[5]["raw_event_ids"] + steps[6]["raw_event_ids"]
                                      + steps[7]["raw_event_ids"])
    assert [s.id for s in result.steps][5:7] == ["s5", "s8"]


def test_rederived_steps_leave_orphans_flagged_not_dropped(steps):
    h = run(steps,
            lambda e, r: cmd.set_instruction(e, "s2", "label"),
            lambda e, r: cmd.delete_step(e, r, "s4"),
            lambda e, r: cmd.merge_steps(e, r, "s6", "s7"),
            lambda e, r: cmd.split_typing(e, r, "s9", 4))
    before = h.edits.to_json()
    # steps derived again: s2, s4 and s7 gone, s9's text changed
    again = [s for s in steps if s["id"] not in ("s2", "s4", "s7")]
    again = [dict(s, text="hello") if s["id"] == "s9" else s for s in again]
    result = apply_edits(again, h.edits)
    reasons = {(o.kind, o.step_ids): o.reason for o in result.orphans}
    assert reasons == {
        ("label", ("s2",)): "step s2 no longer exists",
        ("delete", ("s4",)): "step s4 no longer exists",
        ("merge", ("s6", "s7")): "step s7 no longer exists",
        ("split", ("s9",)): "the step's typed text changed since it was split",
    }
    assert h.edits.to_json() == before  # nothing dropped from the edit list
    assert result["s6"].kept and result["s9"].text == "hello"


def test_merge_no_longer_adjacent_is_an_orphan(steps):
    h = run(steps, lambda e, r: cmd.merge_steps(e, r, "s2", "s3"))
    extra = dict(steps[2], id="new", t_start_us=12_000_000, t_end_us=12_500_000)
    result = apply_edits([*steps, extra], h.edits)
    assert [o.reason for o in result.orphans] == ["steps s2 and s3 are no longer neighbours"]
    assert result["s2"].source_ids == ("s2",)


def test_label_of_absorbed_step_is_reported(steps):
    edits = EditList()
    edits.data["merges"] = [{"id": "m1", "first": "s1", "second": "s2"}]
    edits.data["labels"] = {"s2": {"instruction": "x", "thought": "", "mistake": False,
                                   "redundant": False}}
    result = apply_edits(steps, edits)
    assert [(o.kind, o.reason) for o in result.orphans] == [
        ("label", "step s2 was merged into s1")]


def test_unordered_input_is_sorted_by_time():
    steps = make_steps()
    result = apply_edits(list(reversed(steps)), EditList())
    assert [s.id for s in result.steps] == [s["id"] for s in steps]


def test_large_recording_is_fast():
    """An hour-long recording's edits apply in well under a second of CPU (0.04 s idle): a
    quadratic pass would take seconds. CPU time with the collector off, not wall time: a
    loaded machine or a full collection of the test worker's heap once made 0.04 s take 1.9."""
    import gc
    import time

    steps = [{"id": f"{i:012x}", "type": "type" if i % 3 == 0 else "click",
              "t_start_us": i * 1_800_000, "t_end_us": i * 1_800_000 + 500_000,
              "text": "some typed text" if i % 3 == 0 else None,
              "raw_event_ids": [i * 10 + k for k in range(10)]} for i in range(2000)]
    edits = EditList()
    edits.data["labels"] = {s["id"]: {"instruction": "Click the button", "thought": "",
                                      "mistake": False, "redundant": False} for s in steps}
    edits.data["cuts"] = [{"start_us": k * 60_000_000, "end_us": k * 60_000_000 + 5_000_000}
                          for k in range(1, 60)]
    edits.data["merges"] = [{"id": f"m{k}", "first": steps[k * 20]["id"],
                             "second": steps[k * 20 + 1]["id"]} for k in range(50)]
    gc.disable()
    try:
        t = time.thread_time()
        result = apply_edits(steps, edits, duration_us=3_600_000_000)
        elapsed = time.thread_time() - t
    finally:
        gc.enable()
    assert len(result.all_steps) == 1950
    assert elapsed < 1.0, elapsed
