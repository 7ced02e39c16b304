"""Originality: a screen that shows a video being played back rather than a desktop in use.

A desktop draws text and edges pixel-exact: most edges jump in one pixel, and between
neighbouring pixels the grey level either stays, wobbles by the encoder's few levels, or
jumps.  A video played back (a screen recording of someone else's work, scaled to the screen
and compressed twice) smears its edges over two or three pixels, into ramps of middle-sized
steps.  Per step picture, ``ramp`` is the share of the grey steps of ``RAMP_LO`` or more
between neighbours that are ramp steps, under ``EDGE_ANY`` (Qt windows with antialiased
text, as a package carries them: 0.16-0.20; the benchmark's recordings played back, scaled
or not: 0.23-0.31), and ``sharp`` the share of edges (steps of ``EDGE_ANY`` or more) that
are strong (``EDGE_STRONG`` or more).  The signal fires when the median ramp share is
``RAMPED`` or more while the steps were done in a video player's window, or the median sharp
share is under ``SOFT_EDGES`` (a very soft picture, whatever the window).

Ramps alone do not say "video": H.264 at the recorder's quality leaves ramp steps of its own
along every edge, and real applications have gradients and antialiased icons. Frames of real
recordings, decoded as a package carries them, measure 0.16-0.26 (gtk3-widget-factory 0.26,
FeatherPad 0.22-0.23, gtk3-demo 0.16), against 0.25-0.31 for the benchmark's replays: every
GTK recording was flagged "played back". A screen recording is played back in a player, so the
ramps count only where the window acted in is one (its application, or a title naming a video
file).

A video also keeps the screen changing at its frame rate even where the contributor does
nothing: the share of the demonstration covered by unbroken runs of changes (pictures at most
``RUN_GAP_US`` apart for at least ``RUN_MIN_US``) is reported with it as evidence.
"""

from __future__ import annotations

import re

import numpy as np

from annotator.quality.evidence import Evidence
from annotator.quality.frames import FrameFacts
from annotator.quality.records import Signal

SOFT_EDGES = 0.2
RAMPED = 0.21
# WM_CLASS words of video players (GNOME Videos is "totem"), and video file names in titles.
PLAYERS = frozenset({
    "videos", "totem", "vlc", "mpv", "celluloid", "smplayer", "mplayer", "ffplay", "parole",
    "dragon", "dragonplayer", "haruna", "kaffeine", "xplayer", "clapper", "showtime", "qmplay2",
    "gnome-mpv", "io.github.celluloid_player.celluloid", "org.gnome.totem"})
VIDEO_TITLE = re.compile(r"\.(?:mp4|m4v|mkv|webm|avi|mov|ogv|flv|wmv|mpe?g|ts)\b", re.I)
IN_PLAYER = 0.5  # the share of the action steps done in a player's window
MIN_PICTURES = 3
RUN_GAP_US = 80_000
RUN_MIN_US = 2_000_000


def continuous_share(changes: np.ndarray, duration_us: int) -> float:
    if len(changes) < 2 or duration_us <= 0:
        return 0.0
    gaps = np.diff(changes)
    covered = 0
    start = 0
    for i, g in enumerate(gaps.tolist()):
        if g > RUN_GAP_US:
            span = int(changes[i] - changes[start])
            if span >= RUN_MIN_US:
                covered += span
            start = i + 1
    span = int(changes[-1] - changes[start])
    if span >= RUN_MIN_US:
        covered += span
    return min(1.0, covered / duration_us)


def in_player(app: str | None, title: str | None) -> bool:
    words = set(re.split(r"[\s/]+", (app or "").lower())) - {""}
    return bool(words & PLAYERS) or bool(title and VIDEO_TITLE.search(title))


def measures(ev: Evidence, facts: FrameFacts) -> dict[str, float]:
    sharp = [s for s in facts.sharp if s is not None]
    ramp = [r for r in facts.ramp if r is not None]
    acts = [s for s in ev.steps if s.is_action]
    players = sum(in_player(s.window_app, s.window_title) for s in acts)
    return {"sharp_edges": float(np.median(sharp)) if sharp else 1.0,
            "ramp_steps": float(np.median(ramp)) if ramp else 0.0,
            "pictures": float(len(sharp)),
            "in_player": players / len(acts) if acts else 0.0,
            "continuous_change": continuous_share(ev.changes_us, ev.duration_us)}


def detect(ev: Evidence, facts: FrameFacts) -> list[Signal]:
    m = measures(ev, facts)
    soft = m["sharp_edges"] < SOFT_EDGES
    ramped = m["ramp_steps"] >= RAMPED and m["in_player"] >= IN_PLAYER
    if m["pictures"] < MIN_PICTURES or not (soft or ramped):
        return []
    where = " in a video player's window" if ramped else ""
    return [Signal(
        "replayed_video",
        "The screen looks like a video being played back, not a desktop in use: the edges of "
        "text and windows are smeared over several pixels in the step pictures, as in a "
        f"scaled, compressed recording{where}. Record the task yourself, on your own desktop.",
        evidence=m)]
