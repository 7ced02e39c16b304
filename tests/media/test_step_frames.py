"""The frames the editor's cache holds: each step's observation and result frame, once."""

from __future__ import annotations

from types import SimpleNamespace

from annotator.media.framecache import step_frames


def test_each_steps_frames_once_and_sorted():
    steps = [SimpleNamespace(obs_pts=300, result_pts=500),
             SimpleNamespace(obs_pts=100, result_pts=None),
             SimpleNamespace(obs_pts=None, result_pts=300),  # shared with the first
             SimpleNamespace(obs_pts=None, result_pts=None)]
    assert step_frames(steps) == [100, 300, 500]
    assert step_frames([]) == []
