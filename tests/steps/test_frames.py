"""Observation and result frames: which grab each step is paired with, and why."""

from __future__ import annotations

from tests.steps.helpers import Script, frames_every

STEP = 33_333  # 30 fps


def grab_t(i: int) -> int:
    return i * STEP


def test_observation_is_the_last_grab_before_a_settled_screen(derive):
    s = Script(t0_ms=1000).click(100, 100, ms=0)
    start = s.events[0]["t"]
    doc = derive(s, frames=frames_every(0, 3_000_000, STEP, changes={0}))
    step = doc.steps[0]
    assert step.obs_t_us < start
    assert step.obs_t_us == max(grab_t(i) for i in range(90) if grab_t(i) < start)
    assert step.obs_pts == 0  # unchanged since the first grab, which is the stored frame
    assert step.flags == []


def test_a_change_just_before_the_action_is_not_what_was_seen(derive):
    # The screen changes 50 ms before the click (hover feedback): too late to react to.
    s = Script(t0_ms=1000).click(100, 100, ms=0)
    start = s.events[0]["t"]
    k = next(i for i in range(90) if grab_t(i) >= start - 50_000)
    doc = derive(s, frames=frames_every(0, 3_000_000, STEP, changes={0, 10, k}))
    step = doc.steps[0]
    assert step.obs_t_us == grab_t(k - 1)
    assert step.obs_pts == grab_t(10)
    assert step.flags == []


def test_a_change_long_enough_before_the_action_is_what_was_seen(derive):
    s = Script(t0_ms=1000).click(100, 100, ms=0)
    start = s.events[0]["t"]
    k = next(i for i in range(90) if grab_t(i) >= start - 400_000)
    doc = derive(s, frames=frames_every(0, 3_000_000, STEP, changes={0, k}))
    assert doc.steps[0].obs_pts == grab_t(k)
    assert doc.steps[0].obs_t_us == max(grab_t(i) for i in range(90) if grab_t(i) < start)


def test_a_screen_that_never_settles_falls_back_to_the_last_grab(derive):
    s = Script(t0_ms=2000).click(100, 100, ms=0)
    start = s.events[0]["t"]
    doc = derive(s, frames=frames_every(0, 4_000_000, STEP, changes=set(range(200))))
    step = doc.steps[0]
    last = max(grab_t(i) for i in range(200) if grab_t(i) < start)
    assert (step.obs_t_us, step.obs_pts) == (last, last)
    assert "obs_unsettled" in step.flags


def test_observation_is_strictly_before_the_start_in_milliseconds(derive):
    s = Script(t0_ms=1000.7).click(100, 100, ms=0)
    start = s.events[0]["t"]
    assert start % 1000 == 700  # mid-millisecond: a grab 300 µs earlier is in the same ms
    frames = [
        {"i": 0, "t": 0, "pts": 0, "stored": True, "changed": True},
        {"i": 1, "t": start - 1_500, "pts": 0, "stored": False, "changed": False},
        {"i": 2, "t": start - 300, "pts": 0, "stored": False, "changed": False},
        {"i": 3, "t": start + 20_000, "pts": 0, "stored": False, "changed": False},
    ]
    step = derive(s, frames=frames).steps[0]
    assert step.obs_t_us == start - 1_500
    assert step.obs_t_us // 1000 < step.t_start_us // 1000


def test_no_frames_no_observation(derive):
    doc = derive(Script().click(1, 1), frames=[])
    assert {"no_observation", "no_result_frame"} <= set(doc.steps[0].flags)
    assert doc.steps[0].obs_t_us is None


def test_no_stored_frame_yet_no_observation(derive):
    s = Script(t0_ms=100).click(1, 1, ms=0)
    frames = [{"i": 0, "t": 50_000, "pts": None, "stored": False, "changed": True},
              {"i": 1, "t": 400_000, "pts": 400_000, "stored": True, "changed": True}]
    step = derive(s, frames=frames).steps[0]
    assert step.obs_pts is None and "no_observation" in step.flags
    assert step.result_pts == 400_000


def test_result_is_the_screen_once_it_settled(derive):
    s = Script(t0_ms=1000).click(100, 100, ms=0)
    end = s.events[-1]["t"]
    k = next(i for i in range(90) if grab_t(i) > end + 100_000)
    # The app answers 100 ms after the click, in two repaints.
    doc = derive(s, frames=frames_every(0, 3_000_000, STEP, changes={0, k, k + 1}))
    step = doc.steps[0]
    assert step.result_t_us == grab_t(k + 1)
    assert step.result_pts == grab_t(k + 1)
    assert step.result_t_us > step.t_end_us


def test_result_is_bounded_by_the_next_step(derive):
    s = Script(t0_ms=1000).click(100, 100, ms=0).click(400, 400, ms=200)
    frames = frames_every(0, 3_000_000, STEP, changes=set(range(90)))
    first, second = derive(s, frames=frames).steps
    assert first.t_end_us < first.result_t_us < second.t_start_us
    assert "result_unsettled" in first.flags


def test_no_grab_between_two_steps_no_result(derive):
    s = Script(t0_ms=1000).press("a", ms=0).press("enter", ms=5)
    frames = [{"i": 0, "t": 0, "pts": 0, "stored": True, "changed": True},
              {"i": 1, "t": 2_000_000, "pts": 0, "stored": False, "changed": False}]
    typ, key = derive(s, frames=frames).steps
    assert "no_result_frame" in typ.flags and typ.result_t_us is None
    assert key.result_t_us == 2_000_000


def test_observation_from_before_a_pause_is_flagged(derive):
    s = Script(t0_ms=1000).click(10, 10, ms=0).pause(100).resume(3000).click(20, 20, ms=10)
    # No grabs while paused.
    frames = [f for f in frames_every(0, 8_000_000, STEP) if not 1_100_000 <= f["t"] < 4_200_000]
    doc = derive(s, frames=frames)
    assert "obs_before_pause" not in doc.steps[0].flags
    assert "obs_before_pause" in doc.steps[1].flags


def test_stale_observation_is_flagged(derive):
    s = Script(t0_ms=6000).click(10, 10, ms=0)
    frames = frames_every(0, 1_000_000, STEP)
    step = derive(s, frames=frames).steps[0]
    assert "obs_stale" in step.flags and step.obs_t_us < 1_000_000


def test_policy_is_stored(derive):
    doc = derive(Script().click(1, 1))
    assert doc.observation_policy["name"] == "settled_before_start"
    assert doc.observation_policy["settle_us"] == 150_000
    assert doc.result_policy["name"] == "settled_after_end"
