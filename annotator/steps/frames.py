"""Pair every step with its observation frame (what the contributor saw before acting) and
its result frame (the screen once the action had taken effect).

Policies, documented in docs/steps-format.md ("Observation and result frames"):

- Observation, ``settled_before_start``: the last grab captured strictly before the step's
  start (in whole milliseconds, so that ``obs_t_ms < t_start_ms`` survives the conversion),
  provided the screen content it shows had been on screen for at least ``obs_settle_us``
  when the step started.  A person cannot react to what appeared a moment before acting:
  such a change is the action's own hover or press feedback, or an animation in progress.
  Otherwise, the last grab of the most recent content that stayed on screen that long,
  within ``obs_lookback_us``; failing that (a video playing), the last grab before the
  start (flag ``obs_unsettled``).
- Result, ``settled_after_end``: the first grab after the step's end from which the screen
  then stayed unchanged for ``result_settle_us``, before the next step starts (and within
  ``result_max_us``); failing that, the last grab before that bound (flag
  ``result_unsettled``).

The frame index gives each grab its capture time ``t``, whether the screen ``changed``, and
the ``pts`` of the stored video frame that shows it, so no pixel is decoded here.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from typing import Any

import numpy as np

from annotator.steps import model as m
from annotator.steps.derive import Params

OBSERVATION_POLICY = "settled_before_start"
OBSERVATION_FALLBACK = "last_before_start"
RESULT_POLICY = "settled_after_end"
STALE_US = 3_000_000  # formats.md: warn when an observation is older than about 3 s

_FAR = np.int64(2**62)


def observation_policy(params: Params) -> dict[str, Any]:
    return {
        "name": OBSERVATION_POLICY,
        "settle_us": params.obs_settle_us,
        "lookback_us": params.obs_lookback_us,
        "fallback": OBSERVATION_FALLBACK,
        "strictly_before": "the step's start, in whole milliseconds",
    }


def result_policy(params: Params) -> dict[str, Any]:
    return {
        "name": RESULT_POLICY,
        "settle_us": params.result_settle_us,
        "max_us": params.result_max_us,
        "bound": "the next step's start",
    }


def pair_frames(steps: Sequence[m.Step], t: np.ndarray, pts: np.ndarray, changed: np.ndarray,
                params: Params, pauses: Sequence[int] = ()) -> None:
    """Fill ``obs_*`` and ``result_*`` of ``steps`` (in order) from a frame index given as
    arrays (capture time, pts or -1, changed), and flag what fell back.  ``pauses``: the
    times recording was paused (an observation from before a pause is flagged)."""
    if not steps:
        return
    n = len(t)
    if n == 0:
        for s in steps:
            s.flags.append(m.FLAG_NO_OBSERVATION)
            if s.type != m.TERMINATE:
                s.flags.append(m.FLAG_NO_RESULT)
        return
    t = np.asarray(t, dtype=np.int64)
    pts = np.asarray(pts, dtype=np.int64)
    changed = np.asarray(changed, dtype=bool).copy()
    changed[0] = True  # the first grab starts the first run of identical content

    # Runs: maximal sequences of grabs showing the same content.
    run_of = np.cumsum(changed) - 1
    run_first = np.flatnonzero(changed)
    n_runs = len(run_first)
    run_last = np.empty(n_runs, np.int64)
    run_last[:-1] = run_first[1:] - 1
    run_last[-1] = n - 1
    run_t0 = t[run_first]
    run_next_t0 = np.empty(n_runs, np.int64)
    run_next_t0[:-1] = run_t0[1:]
    run_next_t0[-1] = _FAR

    starts = np.fromiter((s.t_start_us for s in steps), np.int64, len(steps))
    ends = np.fromiter((s.t_end_us for s in steps), np.int64, len(steps))

    # -- observation -------------------------------------------------------------------
    settle = params.obs_settle_us
    limit = starts - starts % 1000
    j = np.searchsorted(t, limit, side="left") - 1
    has = j >= 0
    jj = np.maximum(j, 0)
    r = run_of[jj]
    ok_cur = (starts - run_t0[r]) >= settle
    settled_run = (run_next_t0 - run_t0) >= settle
    last_settled = np.maximum.accumulate(np.where(settled_run, np.arange(n_runs), -1))
    prev = np.where(r >= 1, last_settled[np.maximum(r - 1, 0)], -1)
    prev_grab = run_last[np.maximum(prev, 0)]
    prev_ok = (prev >= 0) & (t[prev_grab] >= starts - params.obs_lookback_us) & \
        (pts[prev_grab] >= 0)
    obs = np.where(ok_cur, jj, np.where(prev_ok, prev_grab, jj))
    obs_unsettled = ~ok_cur & ~prev_ok

    # -- result --------------------------------------------------------------------------
    # Bound: the next step's start (waits and terminate excepted), at most result_max later.
    next_start = np.full(len(steps), _FAR, np.int64)
    upcoming = int(_FAR)
    for i in range(len(steps) - 1, -1, -1):
        next_start[i] = upcoming
        if steps[i].type not in (m.WAIT, m.TERMINATE):
            upcoming = steps[i].t_start_us
    bound = np.minimum(next_start, ends + params.result_max_us)
    k0 = np.searchsorted(t, ends, side="right")
    settled_after = (run_next_t0[run_of] - t) >= params.result_settle_us
    idx = np.where(settled_after, np.arange(n), n)
    next_settled = np.append(np.minimum.accumulate(idx[::-1])[::-1], n)
    ks = next_settled[k0]
    ks_c = np.minimum(ks, n - 1)
    res_ok = (ks < n) & (t[ks_c] < bound)
    fallback = np.searchsorted(t, bound, side="left") - 1
    res_fb = fallback >= k0

    pause_list = sorted(pauses)
    for i, s in enumerate(steps):
        o = int(obs[i])  # an earlier settled grab is only chosen if it has a frame
        if has[i] and pts[o] >= 0:
            s.obs_grab, s.obs_t_us, s.obs_pts = o, int(t[o]), int(pts[o])
            if obs_unsettled[i]:
                s.flags.append(m.FLAG_OBS_UNSETTLED)
            if s.t_start_us - s.obs_t_us > STALE_US:
                s.flags.append(m.FLAG_OBS_STALE)
            if bisect_right(pause_list, s.t_start_us) > bisect_left(pause_list, s.obs_t_us):
                s.flags.append(m.FLAG_OBS_BEFORE_PAUSE)
        else:
            s.flags.append(m.FLAG_NO_OBSERVATION)
        if s.type == m.TERMINATE:
            continue
        if s.type == m.WAIT:
            # What the wait waited for: the screen just before the next step.
            k = int(np.searchsorted(t, s.t_end_us - s.t_end_us % 1000, side="left")) - 1
            k = k if k >= 0 and t[k] > s.t_start_us else -1
        elif res_ok[i]:
            k = int(ks[i])
        elif res_fb[i]:
            k = int(fallback[i])
            s.flags.append(m.FLAG_RESULT_UNSETTLED)
        else:
            k = -1
        if k >= 0 and pts[k] >= 0:
            s.result_grab, s.result_t_us, s.result_pts = k, int(t[k]), int(pts[k])
        else:
            s.flags.append(m.FLAG_NO_RESULT)
