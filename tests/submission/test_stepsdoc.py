"""The package's steps: masks through splits, password typing, key and title masks, scrubbed
labels, re-timing, and observation pictures kept out of cut ranges."""

from __future__ import annotations

from annotator.edits import EditList, apply_edits
from annotator.edits.redactions import PLACEHOLDER
from annotator.steps.model import step_id
from annotator.submission.stepsdoc import (
    FLAG_OBS_AT_KEPT_START,
    FLAG_OBS_OF_SPLIT_PART,
    Scrubber,
    build_steps,
)

TITLE = "Bank - Alice Smith"
SECRET = "hunter2x"


def step(sid, kind, t0, t1, obs, **kw):
    base = {"id": sid, "type": kind, "t_start_us": t0, "t_end_us": t1, "obs_t_us": obs,
            "raw_event_ids": [], "text": None, "keys": None, "x": None, "y": None,
            "window_title": TITLE, "window_app": "bank", "flags": [], "target": None,
            "masked": False, "repeat": 1}
    base.update(kw)
    return base


STEPS = [
    step("s1", "click", 1_000_000, 1_050_000, 900_000, x=10, y=20, button="left",
         target={"source": "atspi", "name": "Alice Smith", "window_title": TITLE}),
    step("s2", "type", 2_000_000, 3_000_000, 1_950_000, text=f"user {SECRET} pass"),
    step("s3", "type", 3_500_000, 3_600_000, 3_400_000, text="••••", masked=True),
    step("s4", "hotkey", 4_000_000, 4_010_000, 3_700_000, keys=["ctrl", "v"]),
    step("s5", "click", 6_000_000, 6_050_000, 5_000_000, x=30, y=40, button="left",
         flags=["obs_stale"]),
    step("s6", "click", 4_600_000, 4_650_000, 4_550_000, x=1, y=1),  # in the cut
]


def edits() -> EditList:
    data = {
        "schema_version": 1,
        "trim": {"in_us": None, "out_us": None},
        "cuts": [{"start_us": 4_500_000, "end_us": 5_500_000}],
        "labels": {"s1": {"instruction": f"Log in with {SECRET.upper()}", "thought": ""},
                   "s5": {"instruction": "Open the statement", "mistake": True}},
        "deleted_steps": [],
        "merges": [],
        "splits": [{"id": "sp1", "step": "s2", "offset": 5, "at_us": 2_400_000,
                    "event_id": None, "text_len": len(f"user {SECRET} pass")}],
        "task": {"goal": "g", "outcome": "success", "applications": [], "tags": [],
                 "difficulty": None},
        "redactions": [
            {"id": "r1", "kind": "text", "step_id": "s2", "start": 5, "end": 5 + len(SECRET),
             "placeholder": PLACEHOLDER},
            {"id": "r2", "kind": "keys", "step_id": "s4", "placeholder": PLACEHOLDER},
            {"id": "r3", "kind": "title", "title": TITLE, "placeholder": PLACEHOLDER},
        ],
    }
    return EditList.from_json(data)


def test_masks_splits_and_retiming():
    ed = edits()
    result = apply_edits(STEPS, ed, duration_us=7_000_000)
    scrub = Scrubber([SECRET, TITLE])
    built = build_steps(result.steps, result.timeline, ed,
                        whole_masked={"s2": f"user {PLACEHOLDER} pass"}, scrub=scrub)
    by_id = {s["id"]: s for s in built.steps}
    # s6 was cut; the outcome adds the terminal step
    assert list(by_id) == ["s1", "s2", "s2@5", "s3", "s4", "s5", step_id("terminate", None)]
    assert [s["index"] for s in built.steps] == list(range(7))

    # Split typing: the mask follows the characters into the second part.
    assert by_id["s2"]["text"] == "user " and by_id["s2"]["text_masked"] is False
    assert by_id["s2@5"]["text"] == f"{PLACEHOLDER} pass" and by_id["s2@5"]["text_masked"]
    assert by_id["s2@5"]["split_of"] == "s2"
    assert FLAG_OBS_OF_SPLIT_PART in by_id["s2@5"]["flags"]
    assert built.still_times[2] == 2_400_000 - 1
    # Typing into a password field is the placeholder, never the bullets.
    assert by_id["s3"]["text"] == PLACEHOLDER and by_id["s3"]["text_masked"]
    assert by_id["s4"]["keys"] is None and by_id["s4"]["keys_masked"] is True
    # Titles masked everywhere, labels scrubbed, the element's own name kept.
    s1 = by_id["s1"]
    assert s1["window_title"] == PLACEHOLDER and s1["target"]["window_title"] == PLACEHOLDER
    assert s1["target"]["name"] == "Alice Smith"
    assert s1["instruction"] == f"Log in with {PLACEHOLDER}"
    assert not built.window_titles_included and built.typed_text_included
    for s in built.steps:
        assert SECRET not in repr(s).lower() and TITLE not in repr(s)

    # Re-timed onto the rendered video; the picture for s5 was in the cut: the first picture
    # of its kept range instead, on the video's clock.
    s5 = by_id["s5"]
    assert (s5["t_start_us"], s5["x"], s5["y"]) == (5_000_000, 30, 40)
    assert s5["mistake"] is True and s5["flags"] == ["obs_stale", FLAG_OBS_AT_KEPT_START]
    assert built.still_times[5] == 5_500_000
    assert s5["observation"] == {"frame": "frames/0005.png", "thumbnail": "thumbs/0005.jpg",
                                 "t_us": 4_500_000}
    assert s1["observation"]["t_us"] == 900_000 and s1["t_start_us"] == 1_000_000


def test_typed_text_and_titles_included_when_not_masked():
    ed = EditList.from_json({"schema_version": 1})
    result = apply_edits(STEPS[:2], ed, duration_us=7_000_000)
    built = build_steps(result.steps, result.timeline, ed, whole_masked={},
                        scrub=Scrubber([]))
    assert built.typed_text_included and built.window_titles_included
    assert built.steps[1]["text"] == f"user {SECRET} pass"


def test_scrubber_ignores_short_strings_and_is_case_blind():
    s = Scrubber(["ab", "Secret-1"])
    assert s.text("ab cd SECRET-1 secret-1") == f"ab cd {PLACEHOLDER} {PLACEHOLDER}"
    assert s.json({"k": ["x secret-1"]}) == {"k": [f"x {PLACEHOLDER}"]}


def test_the_outcome_ends_the_steps_with_a_terminal_step():
    ed = edits()
    result = apply_edits(STEPS, ed, duration_us=7_000_000)
    built = build_steps(result.steps, result.timeline, ed, whole_masked={},
                        scrub=Scrubber([SECRET]))
    last = built.steps[-1]
    assert [s["type"] for s in built.steps].count("terminate") == 1
    # At the end of the rendered video (7 s minus the 1 s cut), on its final picture.
    assert (last["type"], last["terminal_status"], last["index"]) == ("terminate", "success", 6)
    assert last["t_start_us"] == last["t_end_us"] == 6_000_000
    assert last["observation"] == {"frame": "frames/0006.png", "thumbnail": "thumbs/0006.jpg",
                                   "t_us": 5_999_999}
    assert built.still_times[-1] == 6_999_999 and len(built.still_times) == len(built.steps)
    assert last["id"] == step_id("terminate", None)  # as a derivation with the outcome names it
    # Without an outcome, no terminal step; a trimmed end moves it with the result.
    ed.data["task"]["outcome"] = None
    assert "terminate" not in {s["type"] for s in build_steps(
        result.steps, result.timeline, ed, whole_masked={}, scrub=Scrubber([])).steps}
    ed.data["task"]["outcome"] = "infeasible"
    ed.data["trim"]["out_us"] = 6_500_000
    result = apply_edits(STEPS, ed, duration_us=7_000_000)
    last = build_steps(result.steps, result.timeline, ed, whole_masked={},
                       scrub=Scrubber([])).steps[-1]
    assert (last["terminal_status"], last["t_start_us"]) == ("infeasible", 5_500_000)
