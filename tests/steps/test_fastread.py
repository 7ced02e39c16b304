"""The fast whole-file reader gives exactly what the bundle's tolerant reader gives."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.bundle.reader import Bundle
from annotator.steps.fastread import read_events, read_frame_arrays
from tests.steps.helpers import Script, make_bundle

GOOD = [json.dumps(e, separators=(",", ":")) for e in
        Script().click(1, 2).type("aB").scroll(3, 4).events]

DAMAGE = {
    "clean": lambda lines: lines,
    "cut-off tail": lambda lines: lines[:-1] + [lines[-1][:9] + "<NO-NEWLINE>"],
    "complete tail without newline": lambda lines: lines[:-1] + [lines[-1] + "<NO-NEWLINE>"],
    "garbage line": lambda lines: lines[:2] + ["\x00\x00garbage"] + lines[2:],
    "blank line": lambda lines: lines[:2] + [""] + lines[2:],
    "not an object": lambda lines: lines[:2] + ["[1, 2]"] + lines[2:],
    "two values on a line": lambda lines: lines[:2] + ['{"id": 90, "t": 1},{"id": 91}'] +
    lines[2:],
    "an object spread over two lines": lambda lines: lines[:2] + ['{"id": 92,', '"t": 5}'] +
    lines[2:],
    "merge and split that balance out": lambda lines: lines[:1] + [
        '{"id": 93, "t": 7, "kind": "x", "a": [1', '2]}', '{"id": 94},{"id": 95}'] + lines[1:],
    "out of order": lambda lines: [lines[3], *lines[:3], *lines[4:]],
    "same time, ids reversed": lambda lines: [
        '{"id":70,"t":5,"kind":"scroll"}', '{"id":69,"t":5,"kind":"scroll"}', *lines],
    "missing time": lambda lines: lines[:1] + ['{"id": 96, "kind": "resume"}'] + lines[1:],
    "crlf line": lambda lines: lines[:1] + [lines[1] + "\r"] + lines[2:],
    "empty file": lambda lines: [],
}


def write(path, lines):
    text = "".join(line + "\n" for line in lines).replace("<NO-NEWLINE>\n", "")
    path.write_text(text)


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_events_same_as_the_bundle_reader(tmp_path, damage):
    folder = make_bundle(tmp_path / "b", [])
    write(folder / "events.jsonl", DAMAGE[damage](list(GOOD)))
    b = Bundle.open(folder)
    rows, report = read_events(folder / "events.jsonl")
    assert rows == b.events
    assert report.warnings == b.reports["events.jsonl"].warnings
    assert report.records == b.reports["events.jsonl"].records


FRAMES = [json.dumps({"i": i, "t": t, "pts": p, "stored": s, "changed": c, "file": "video.mp4"})
          for i, (t, p, s, c) in enumerate([(10, None, False, True), (40, 40, True, True),
                                            (70, 40, False, False), (100, 100, True, False)])]


@pytest.mark.parametrize("damage", [d for d in DAMAGE if d not in (
    "missing time", "same time, ids reversed")], ids=str)
def test_frames_same_as_the_bundle_reader(tmp_path, damage):
    folder = make_bundle(tmp_path / "b", [])
    write(folder / "frames.jsonl", DAMAGE[damage](list(FRAMES)))
    b = Bundle.open(folder)
    try:
        expected = b.frames
    except (KeyError, TypeError, ValueError) as exc:  # the reader itself gives up
        with pytest.raises(type(exc)):
            read_frame_arrays(folder / "frames.jsonl")
        return
    t, pts, stored, changed, report = read_frame_arrays(folder / "frames.jsonl")
    for got, want in ((t, expected.t), (pts, expected.pts), (stored, expected.stored),
                      (changed, expected.changed)):
        np.testing.assert_array_equal(got, want)
    assert report.warnings == b.reports["frames.jsonl"].warnings


def test_frames_without_pts_are_dropped_like_the_reader(tmp_path):
    folder = make_bundle(tmp_path / "b", [])
    write(folder / "frames.jsonl", FRAMES + ['{"i": 9, "t": 5}'])
    t, *_ = read_frame_arrays(folder / "frames.jsonl")
    np.testing.assert_array_equal(t, Bundle.open(folder).frames.t)


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 40)), max_size=4))
def test_random_byte_damage(tmp_path_factory, cuts):
    folder = make_bundle(tmp_path_factory.mktemp("f") / "b", [])
    data = "".join(line + "\n" for line in GOOD)
    for pos, n in cuts:  # drop bytes anywhere, newlines included
        pos = pos % max(1, len(data))
        data = data[:pos] + data[pos + n:]
    (folder / "events.jsonl").write_text(data)
    b = Bundle.open(folder)
    try:
        expected = b.events
    except TypeError:  # rows the reader cannot order either: the same error
        with pytest.raises(TypeError):
            read_events(folder / "events.jsonl")
        return
    rows, report = read_events(folder / "events.jsonl")
    assert rows == expected
    assert report.warnings == b.reports["events.jsonl"].warnings
