"""Input: did a person's devices make it?  Read from the raw recording on the contributor's
computer, and sent with the package as a *client-declared* summary (``signals.json``): the
package holds no raw input, so the server cannot check these, and says so.

What leaves the computer: for each kept step, the classes of the devices its events came from
(``mouse``, ``keyboard``, ``xtest``...: never a device's name), and the findings below with
the steps they concern and unitless figures (counts, ratios, pixels).  No keystroke timing,
no pointer path and no typed character is in it.

- ``synthetic_input`` (from the device classes): steps whose events were made by a program
  (the X server's XTEST devices, a pointer warp, a uinput device, the demo's scripted input).
  On-screen keyboards and remote-desktop tools inject through XTEST too: a warning, not a
  verdict.
- ``pointer_teleport``: the pointer reached a click without a path: its last hop onto the
  press (from the reading before it, or from where it was when no movement came) was
  ``NO_PATH_PX`` or more, where a hand's path ends in a few pixels; or it jumped
  ``TELEPORT_PX`` or more between two readings ``TELEPORT_DT_US`` apart.  A pause of the
  recording forgets where the pointer was (it moved unrecorded).  Absolute devices
  (touchscreens, pens) jump by nature: skipped.
- ``straight_moves``: pointer movements that are straight lines (deviating at most
  ``STRAIGHT_MAX`` of their length) at an even speed (coefficient of variation at most
  ``EVEN_SPEED_CV``): hands curve and speed up and slow down.  Reported when at least
  ``MIN_STRAIGHT_SEGMENTS`` and ``STRAIGHT_SHARE`` of the movements are, or every one (a
  short demonstration may make a single long movement).
- ``constant_typing``: typing bursts of at least ``MIN_KEYS`` keys whose intervals vary by at
  most ``EVEN_TYPING_CV`` (coefficient of variation) or of which at least ``EVEN_SHARE`` lie
  within ``EVEN_NEAR`` of their median (a script's fixed pace, give or take a shifted key),
  or whose median interval is under ``FASTEST_HUMAN_US`` (faster than anyone types); and
  bursts of ``MIN_SHORT_KEYS`` or more whose keys were released after a median of less than
  ``SHORTEST_HOLD_US`` (a finger holds a key down for tens of milliseconds; a program
  presses and releases at once), or, under ``MIN_KEYS`` keys, whose intervals and holds are
  all within ``EVEN_NEAR`` of their medians (a few keys at a fixed pace, each held alike).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from annotator.capture.x11_devices import PEN, SCRIPTED, TOUCHSCREEN, VIRTUAL, WARP, XTEST
from annotator.quality.records import ALGORITHM_VERSION, Signal, StepRef, plural, step_list

DECLARED_FORMAT = "annotator-declared-input"
DECLARED_VERSION = 1
MADE_BY_PROGRAM = frozenset({XTEST, WARP, SCRIPTED, VIRTUAL})
ABSOLUTE = frozenset({TOUCHSCREEN, PEN})
POINTER_STEPS = frozenset({"click", "double_click", "triple_click", "right_click",
                           "middle_click", "drag", "scroll"})
MODIFIERS = frozenset({"shift", "ctrl", "alt", "altgr", "cmd", "caps_lock"})

TELEPORT_PX = 300
TELEPORT_DT_US = 40_000
NO_PATH_PX = 120
REST_PX = 2
SEGMENT_GAP_US = 120_000
MIN_SEGMENT_POINTS = 6
MIN_SEGMENT_PX = 100
STRAIGHT_MAX = 0.01
EVEN_SPEED_CV = 0.12
MIN_STRAIGHT_SEGMENTS = 2
STRAIGHT_SHARE = 0.3
MIN_KEYS = 5
MIN_SHORT_KEYS = 3
SHORTEST_HOLD_US = 25_000
EVEN_TYPING_CV = 0.08
EVEN_NEAR = 0.05
EVEN_SHARE = 0.8
FASTEST_HUMAN_US = 30_000
FINDING_KINDS = ("pointer_teleport", "straight_moves", "constant_typing")


@dataclass(frozen=True)
class RawStep:
    """A kept step as the raw recording knows it (recording clock)."""

    index: int
    id: str
    type: str
    raw_event_ids: tuple[int, ...]
    t_start_us: int
    t_end_us: int


def _moves_before(events: Sequence[Mapping[str, Any]], start: int, t_from: int, t_to: int
                  ) -> tuple[list[Mapping[str, Any]], tuple[float, float] | None, int]:
    """Moves in (t_from, t_to) and the last known pointer position before them; ``start`` is
    the first event index to look at; returns the next start."""
    last = None
    moves: list[Mapping[str, Any]] = []
    i = start
    while i < len(events) and int(events[i].get("t", 0)) < t_to:
        e = events[i]
        t = int(e.get("t", 0))
        if e.get("kind") in ("pause", "resume"):
            last, moves = None, []  # the pointer may have moved while nothing was recorded
        elif "x" in e and "y" in e and isinstance(e.get("x"), int | float):
            if t <= t_from:
                last = (float(e["x"]), float(e["y"]))
            elif e.get("kind") == "mouse_move":
                moves.append(e)
        i += 1
    return moves, last, i


def _segments(moves: Sequence[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    segs: list[list[Mapping[str, Any]]] = []
    for m in moves:
        if segs and int(m["t"]) - int(segs[-1][-1]["t"]) <= SEGMENT_GAP_US:
            segs[-1].append(m)
        else:
            segs.append([m])
    return segs


def straight_and_even(seg: Sequence[Mapping[str, Any]]) -> tuple[float, float] | None:
    """(deviation from the chord / chord length, speed CV) of one movement, or None if too
    short to judge."""
    if len(seg) < MIN_SEGMENT_POINTS:
        return None
    p = np.array([[float(m["x"]), float(m["y"])] for m in seg])
    t = np.array([float(m["t"]) for m in seg])
    chord = p[-1] - p[0]
    length = float(np.hypot(*chord))
    if length < MIN_SEGMENT_PX:
        return None
    rel = p - p[0]
    dev = float(np.max(np.abs(rel[:, 0] * chord[1] - rel[:, 1] * chord[0])) / length)
    dt = np.diff(t)
    step = np.hypot(*np.diff(p, axis=0).T)
    ok = dt > 0
    if np.count_nonzero(ok) < MIN_SEGMENT_POINTS - 2:
        return None
    speed = step[ok] / dt[ok]
    inner = speed[1:-1] if len(speed) > 3 else speed
    mean = float(np.mean(inner))
    cv = float(np.std(inner) / mean) if mean > 0 else 0.0
    return dev / length, cv


def typing_rhythm(keys: Sequence[int]) -> tuple[float, float] | None:
    """(evenness, median interval µs) of key presses, or None if too few: evenness is the
    intervals' CV, or 0 when ``EVEN_SHARE`` of them lie within ``EVEN_NEAR`` of the median."""
    if len(keys) < MIN_KEYS + 1:
        return None
    iv = np.diff(np.array(keys, dtype=np.float64))
    iv = iv[iv >= 0]
    if len(iv) < MIN_KEYS:
        return None
    mean = float(np.mean(iv))
    med = float(np.median(iv))
    cv = float(np.std(iv) / mean) if mean > 0 else 0.0
    if med > 0 and np.count_nonzero(np.abs(iv - med) <= EVEN_NEAR * med) >= EVEN_SHARE * len(iv):
        cv = 0.0
    return cv, med


def analyse(events: Sequence[Mapping[str, Any]], steps: Sequence[RawStep], *,
            device_source: str) -> dict[str, Any]:
    """The declared summary of the kept ``steps`` (docs/signals.md, "signals.json")."""
    events = sorted((e for e in events if isinstance(e.get("t"), int)),
                    key=lambda e: (int(e["t"]), int(e.get("id", 0))))
    by_id = {int(e["id"]): e for e in events if isinstance(e.get("id"), int)}
    out_steps = []
    findings: list[dict[str, Any]] = []
    teleports: list[RawStep] = []
    straight: list[RawStep] = []
    judged_moves = 0
    even_typing: list[tuple[RawStep, float, bool, bool]] = []
    cursor = 0
    prev_end = 0
    for s in steps:
        own = [by_id[i] for i in s.raw_event_ids if i in by_id]
        devices = sorted({str(e["device"]) for e in own if e.get("device")})
        out_steps.append({"index": s.index, "id": s.id, "devices": devices})
        if s.type in POINTER_STEPS and not (set(devices) & ABSOLUTE):
            moves, last, cursor = _moves_before(events, cursor, prev_end, s.t_start_us + 1)
            press = next((e for e in own if e.get("kind") in ("mouse_down", "scroll")), None)
            if _teleported(moves, last, press):
                teleports.append(s)
            for seg in _segments(moves):
                got = straight_and_even(seg)
                if got is None:
                    continue
                judged_moves += 1
                if got[0] <= STRAIGHT_MAX and got[1] <= EVEN_SPEED_CV:
                    straight.append(s)
        if s.type == "type":
            typed = machine_typing(*_key_presses(own))
            if typed is not None:
                even_typing.append((s, *typed))
        prev_end = max(prev_end, s.t_end_us)
    if teleports:
        findings.append({"kind": "pointer_teleport", "steps": _refs(teleports),
                         "evidence": {"steps": len(teleports)}})
    distinct = list(dict.fromkeys(straight))
    if straight and (len(straight) == judged_moves or (
            len(straight) >= MIN_STRAIGHT_SEGMENTS and
            len(straight) / judged_moves >= STRAIGHT_SHARE)):
        findings.append({"kind": "straight_moves", "steps": _refs(distinct),
                         "evidence": {"movements": judged_moves, "straight": len(straight)}})
    if even_typing:
        findings.append({"kind": "constant_typing",
                         "steps": _refs([s for s, _, _, _ in even_typing]),
                         "evidence": {"bursts": len(even_typing),
                                      "cv": round(min(cv for _, cv, _, _ in even_typing), 2),
                                      "too_fast": any(f for _, _, f, _ in even_typing),
                                      "short_holds": any(h for _, _, _, h in even_typing)}})
    return {"format": DECLARED_FORMAT, "format_version": DECLARED_VERSION,
            "algorithm_version": ALGORITHM_VERSION, "declared_by": "client",
            "device_source": device_source, "steps": out_steps, "findings": findings}


def _refs(steps: Iterable[RawStep]) -> list[dict[str, Any]]:
    return [{"index": s.index, "id": s.id} for s in dict.fromkeys(steps)]


def _key_presses(own: Sequence[Mapping[str, Any]]) -> tuple[list[int], list[int]]:
    """The times keys went down (modifiers and a held key's autorepeat left out) and how long
    each was held (for those released within the step)."""
    downs = []
    holds = []
    pressed: dict[str, int] = {}
    last: str | None = None
    for e in own:
        kind = e.get("kind")
        key = e.get("key")
        if not isinstance(key, str) or key in MODIFIERS:
            continue
        if kind == "key_up" and key in pressed:
            holds.append(int(e["t"]) - pressed.pop(key))
        elif kind == "key_down" and not (key in pressed and key == last):
            # (the last key pressed, down again before its release: autorepeat, the
            # keyboard's own even rhythm)
            pressed[key] = int(e["t"])
            downs.append(int(e["t"]))
            last = key
    return downs, holds


def _all_near(v: np.ndarray) -> bool:
    med = float(np.median(v))
    return med > 0 and bool(np.all(np.abs(v - med) <= EVEN_NEAR * med))


def machine_typing(downs: Sequence[int], holds: Sequence[int]
                   ) -> tuple[float, bool, bool] | None:
    """(evenness, too fast, keys released at once) when a burst was typed as a program
    types, else None."""
    if len(downs) < MIN_SHORT_KEYS:
        return None
    short = len(holds) >= MIN_SHORT_KEYS and float(np.median(holds)) < SHORTEST_HOLD_US
    got = typing_rhythm(downs)
    if got is not None:
        cv, med = got
        if cv <= EVEN_TYPING_CV or med < FASTEST_HUMAN_US or short:
            return cv, med < FASTEST_HUMAN_US, short
        return None
    iv = np.diff(np.array(downs, dtype=np.float64))
    if short:
        return float(np.std(iv) / np.mean(iv)) if np.mean(iv) > 0 else 0.0, False, True
    if len(holds) >= MIN_SHORT_KEYS and _all_near(iv) and _all_near(np.array(holds, float)):
        return 0.0, False, False
    return None


def _teleported(moves: Sequence[Mapping[str, Any]], last: tuple[float, float] | None,
                press: Mapping[str, Any] | None) -> bool:
    pts = ([(last[0], last[1], None)] if last else []) + \
        [(float(m["x"]), float(m["y"]), int(m["t"])) for m in moves]
    for (x0, y0, t0), (x1, y1, t1) in zip(pts, pts[1:], strict=False):
        if t0 is not None and t1 is not None and t1 - t0 <= TELEPORT_DT_US and \
                math.hypot(x1 - x0, y1 - y0) >= TELEPORT_PX:
            return True
    if press is None or "x" not in press:
        return False
    # The arrival: the last hop that moved, from the press back (a hand rests on the target
    # a moment before pressing: hops of a pixel or two do not count).
    pts.append((float(press["x"]), float(press["y"]), int(press.get("t", 0))))
    for (x0, y0, _t0), (x1, y1, _t1) in zip(reversed(pts[:-1]), reversed(pts[1:]),
                                             strict=True):
        hop = math.hypot(x1 - x0, y1 - y0)
        if hop > REST_PX:
            return hop >= NO_PATH_PX
    return False


# -- from the declared summary to signal records (the same on every computer) ----------------
def _valid_refs(refs: Any, known: Mapping[str, int]) -> tuple[StepRef, ...]:
    out = []
    for r in refs if isinstance(refs, list) else ():
        if isinstance(r, Mapping) and isinstance(r.get("id"), str) and r["id"] in known:
            out.append(StepRef(known[r["id"]], r["id"]))
    return tuple(dict.fromkeys(out))


def _numbers(ev: Any) -> dict[str, Any]:
    if not isinstance(ev, Mapping):
        return {}
    return {str(k): v for k, v in ev.items()
            if isinstance(k, str) and len(k) <= 32 and
            (isinstance(v, bool) or (isinstance(v, int | float) and math.isfinite(v)))}


def declared_signals(declared: Mapping[str, Any] | None, step_index: Mapping[str, int]
                     ) -> list[Signal]:
    """Signal records from a client-declared summary, in this module's own words: only step
    ids the package has, only the declared kinds, only numbers as evidence."""
    if not isinstance(declared, Mapping) or declared.get("format") != DECLARED_FORMAT:
        return []
    out: list[Signal] = []
    made: list[tuple[StepRef, list[str]]] = []
    for s in declared.get("steps") or ():
        if not isinstance(s, Mapping) or s.get("id") not in step_index:
            continue
        devs = [d for d in s.get("devices") or () if isinstance(d, str)]
        bad = sorted(set(devs) & MADE_BY_PROGRAM)
        if bad:
            made.append((StepRef(step_index[s["id"]], s["id"]), bad))
    if made:
        refs = tuple(r for r, _ in made)
        classes = sorted({c for _, cs in made for c in cs})
        total = sum(1 for s in declared.get("steps") or () if isinstance(s, Mapping))
        out.append(Signal(
            "synthetic_input",
            f"{plural(len(refs), 'step')} of {total} ({step_list(refs)}) came from input made "
            f"by a program ({', '.join(classes)}), not from a mouse or keyboard. If you use an "
            "on-screen keyboard or remote-control software, say so in a comment.",
            steps=refs, declared=True,
            evidence={"steps": len(refs), "of": total, **{f"class_{c}": True for c in classes}}))
    words = {
        "pointer_teleport": "the pointer reached the click without moving there (it jumped "
                            "from far away), which a hand on a mouse does not do",
        "straight_moves": "the pointer moved in perfectly straight lines at an even speed, "
                          "which hands do not do",
        "constant_typing": "the keys were pressed at a machine-like even pace (or faster than "
                           "anyone types)",
    }
    for f in declared.get("findings") or ():
        if not isinstance(f, Mapping) or f.get("kind") not in FINDING_KINDS:
            continue
        refs = _valid_refs(f.get("steps"), step_index)
        if not refs:
            continue
        out.append(Signal(
            str(f["kind"]),
            f"In {step_list(refs)} {words[str(f['kind'])]}. If a tool made this input, say "
            "which in a comment.", steps=refs, declared=True, evidence=_numbers(f.get("evidence"))))
    return out
