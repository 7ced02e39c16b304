"""Kept ranges, original <-> result time, and which steps a trim or cut removes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotator.edits.model import EditList
from annotator.edits.timeline import CUT_THROUGH, KEPT, REMOVED, Timeline, normalize, subtract

D = 100


def test_no_edits_keeps_everything():
    tl = Timeline.build(D)
    assert tl.kept == ((0, D),)
    assert tl.removed_ranges == []
    assert tl.result_duration_us == D
    assert tl.to_result(37) == 37 and tl.to_original(37) == 37


def test_trim_and_cuts():
    tl = Timeline.build(D, 10, 90, [(20, 30), (25, 40), (60, 70)])
    assert tl.kept == ((10, 20), (40, 60), (70, 90))
    assert [(r.start_us, r.end_us) for r in tl.removed_ranges] == [
        (0, 10), (20, 40), (60, 70), (90, 100)]
    assert tl.result_duration_us == 10 + 20 + 20
    assert tl.to_result(10) == 0
    assert tl.to_result(19) == 9
    assert tl.to_result(20) is None  # ranges are half-open: 20 was cut
    assert tl.to_result(40) == 10
    assert tl.to_result(75) == 35
    assert tl.to_result(90) is None
    assert tl.to_result_clamped(5) == 0
    assert tl.to_result_clamped(25) == 10  # where the result resumes
    assert tl.to_result_clamped(95) == 50
    assert tl.to_original(10) == 40  # a join: the later range wins
    assert tl.to_original(50) == 90  # the end of the result is the out point


def test_trim_from_edit_list():
    edits = EditList()
    edits.data["trim"] = {"in_us": 5, "out_us": None}
    edits.data["cuts"] = [{"start_us": 50, "end_us": 60}]
    tl = Timeline.from_edits(edits, D)
    assert tl.kept == ((5, 50), (60, D))


def test_everything_cut():
    tl = Timeline.build(D, cuts=[(0, D)])
    assert tl.kept == ()
    assert tl.result_duration_us == 0
    assert tl.to_result(3) is None and tl.to_result_clamped(3) == 0
    with pytest.raises(ValueError):
        tl.to_original(0)


def test_classify_steps():
    tl = Timeline.build(D, 10, 90, [(40, 50)])
    assert tl.classify(12, 20) == KEPT
    assert tl.classify(30, 40) == KEPT  # ends where the cut starts
    assert tl.classify(41, 45) == REMOVED
    assert tl.classify(0, 10) == REMOVED
    assert tl.classify(5, 15) == CUT_THROUGH
    assert tl.classify(35, 55) == CUT_THROUGH
    assert tl.classify(45, 55) == CUT_THROUGH
    assert tl.classify(90, 90) == REMOVED  # an instant at the (exclusive) out point
    assert tl.classify(30, 60) == CUT_THROUGH


def test_normalize_and_subtract():
    assert normalize([(5, 8), (1, 3), (3, 4), (7, 9), (6, 6)]) == [(1, 4), (5, 9)]
    assert subtract([(0, 10), (20, 30)], (5, 25)) == [(0, 5), (25, 30)]
    assert subtract([(0, 10)], (10, 20)) == [(0, 10)]


ranges = st.lists(st.tuples(st.integers(0, 1000), st.integers(0, 1000)).map(sorted), max_size=6)


@st.composite
def timelines(draw):
    duration = draw(st.integers(1, 1000))
    a = draw(st.none() | st.integers(0, duration))
    b = draw(st.none() | st.integers(0, duration))
    if a is not None and b is not None and a >= b:
        a, b = b, a
    return Timeline.build(duration, a, b, [tuple(r) for r in draw(ranges)])


@given(timelines(), st.integers(-5, 1005))
def test_mapping_round_trips(tl, t):
    r = tl.to_result(t)
    assert (r is not None) == tl.is_kept(t)
    if r is not None:
        assert 0 <= r < tl.result_duration_us
        assert tl.to_original(r) == t
        assert tl.to_result_clamped(t) == r
    clamped = tl.to_result_clamped(t)
    assert 0 <= clamped <= tl.result_duration_us


@given(timelines(), st.data())
def test_result_time_maps_back(tl, data):
    if tl.result_duration_us == 0:
        return
    r = data.draw(st.integers(0, tl.result_duration_us - 1))
    t = tl.to_original(r)
    assert tl.is_kept(t)
    assert tl.to_result(t) == r


@given(timelines(), st.integers(-5, 1005), st.integers(-5, 1005))
def test_mapping_is_monotonic(tl, a, b):
    a, b = min(a, b), max(a, b)
    assert tl.to_result_clamped(a) <= tl.to_result_clamped(b)


@given(timelines())
def test_kept_and_removed_partition_the_recording(tl):
    spans = sorted([*tl.kept, *((r.start_us, r.end_us) for r in tl.removed_ranges)])
    pos = 0
    for start, end in spans:
        assert start == pos and end > start
        pos = end
    assert pos == tl.duration_us or (not spans and tl.duration_us == 0)
    assert tl.result_duration_us == sum(e - s for s, e in tl.kept)


@given(timelines(), st.integers(0, 1000), st.integers(0, 50))
def test_classify_agrees_with_is_kept(tl, t0, length):
    t1 = t0 + length
    status = tl.classify(t0, t1)
    points = [t for t in range(t0, t1 + 1) if t < t1 or t0 == t1]
    kept = [tl.is_kept(t) for t in points]
    if status == KEPT:
        assert all(kept)
        assert tl.to_result(t0) is not None
    elif status == REMOVED:
        assert not any(kept)
    else:
        assert any(kept) and not all(kept)
