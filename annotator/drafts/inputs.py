"""What the drafter reads of each step: the step's own fields, the accessibility element
under its press, keyboard focus while it typed, its window and its frames, gathered once
from the bundle into plain ``StepInput`` records (the benchmark builds them directly)."""

from __future__ import annotations

import bisect
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from annotator.bundle.reader import Bundle

MOUSE_CLICKS = frozenset({"click", "double_click", "triple_click", "right_click",
                          "middle_click"})
# A menu item clicked in a popup menu takes the focus within milliseconds of the press
# (2-9 ms in FeatherPad under load); a later focus change is something else.
PRESS_FOCUS_US = 100_000


@dataclass
class StepInput:
    """One step (or one part of a merged step) as the drafter sees it.

    Times are on the recording's clock (µs), coordinates in frame pixels.  ``element`` is
    the accessibility record of the element under the press (elements.jsonl ``hit``, with
    whatever relations the recorder stored), ``focus`` the focus record in force while the
    step typed, ``window_box`` the focused window's box.
    """

    id: str
    type: str
    t0: int
    t1: int
    x: int | None = None
    y: int | None = None
    path: list[dict[str, int]] | None = None
    scroll_dx: int | None = None
    scroll_dy: int | None = None
    text: str | None = None
    text_offset: int = 0
    full_text: str | None = None  # the derived step's whole text (``text`` is a slice of it)
    source_id: str | None = None  # derived step id (typed-text masks are keyed by it)
    keys: list[str] | None = None
    repeat: int = 1
    duration_us: int | None = None
    terminal_status: str | None = None
    window_title: str | None = None
    window_box: list[int] | None = None
    masked: bool = False
    obs_pts: int | None = None
    obs_t: int | None = None
    result_pts: int | None = None
    element: dict[str, Any] | None = None
    focus: dict[str, Any] | None = None
    parts: list[StepInput] = field(default_factory=list)  # a merged step's pieces

    @property
    def mask_id(self) -> str:
        return self.source_id or self.id

    def fingerprint(self) -> str:
        """Hash of every field a draft can depend on."""
        d = {k: v for k, v in self.__dict__.items() if k != "parts"}
        d["parts"] = [p.fingerprint() for p in self.parts]
        return hashlib.sha1(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    return getattr(obj, key, default)


class BundleContext:
    """The bundle's accessibility and window records, indexed for lookups by time."""

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle
        self.hits = bundle.hits_by_event()
        focus = [e for e in bundle.elements if e.get("kind") == "focus"
                 and isinstance(e.get("t"), int)]
        focus.sort(key=lambda e: e["t"])
        self._focus = focus
        self._focus_t = [e["t"] for e in focus]
        self._changes: np.ndarray | None = None  # capture times of frames that changed
        wins = [w for w in bundle.windows if isinstance(w.get("t"), int)]
        wins.sort(key=lambda w: w["t"])
        self._wins = wins
        self._wins_t = [w["t"] for w in wins]

    def focus_at(self, t_us: int) -> dict[str, Any] | None:
        i = bisect.bisect_right(self._focus_t, t_us) - 1
        return self._focus[i] if i >= 0 else None

    def menu_item_taking_focus(self, t_us: int, x: int, y: int) -> dict[str, Any] | None:
        """The menu item that took the keyboard focus at a press at ``t_us`` on (x, y), if
        one did (the first focus change within ``PRESS_FOCUS_US``, inside its box)."""
        i = bisect.bisect_left(self._focus_t, t_us)
        for f in self._focus[i:i + 4]:
            if f["t"] > t_us + PRESS_FOCUS_US:
                break
            if f.get("source") != "atspi":
                continue  # (focus left the element before: the record pairs)
            b = f.get("box")
            role = str(f.get("role_name") or "")
            if role.endswith("menu item") and f.get("name") and isinstance(b, list) \
                    and len(b) == 4 and b[0] <= x < b[0] + b[2] and b[1] <= y < b[1] + b[3]:
                return f
            return None
        return None

    def window_at(self, t_us: int, title: str | None) -> dict[str, Any] | None:
        i = bisect.bisect_right(self._wins_t, t_us) - 1
        best = self._wins[i] if i >= 0 else None
        if title and (best is None or best.get("title") != title):
            # the step's window (derivation corrects for polling lag): the nearest record of it
            near = [w for w in self._wins[max(0, i - 3):i + 4] if w.get("title") == title]
            if near:
                best = min(near, key=lambda w: abs(w["t"] - t_us))
        return best

    def changed_between(self, t0: int, t1: int) -> bool:
        """The screen changed after ``t0`` and by ``t1`` (the frame index's ``changed``)."""
        if self._changes is None:
            try:
                frames = self.bundle.frames  # either version of the frame index
                self._changes = frames.t[frames.changed]
            except (OSError, ValueError, KeyError):
                self._changes = np.zeros(0, np.int64)
        i = int(np.searchsorted(self._changes, t0, side="right"))
        return i < len(self._changes) and int(self._changes[i]) <= t1

    def hits_containing(self, x: int, y: int) -> list[dict[str, Any]]:
        out = []
        for h in self.hits.values():
            b = h.get("box")
            if h.get("source") == "atspi" and isinstance(b, list) and len(b) == 4 \
                    and b[0] <= x < b[0] + b[2] and b[1] <= y < b[1] + b[3]:
                out.append(h)
        return out


def _same_element(a: Mapping[str, Any], b: Mapping[str, Any] | None) -> bool:
    return b is not None and b.get("source") == "atspi" and all(
        a.get(k) == b.get(k) for k in ("name", "role_name", "box"))


def step_input(step: Any, ctx: BundleContext | None, *, id: str | None = None,
               text: str | None = None, text_offset: int = 0) -> StepInput:
    """A StepInput from a derived step (``annotator.steps.Step`` or its dict)."""
    t0 = int(_get(step, "t_start_us") or 0)
    t1 = int(_get(step, "t_end_us") or t0)
    kind = str(_get(step, "type") or "")
    si = StepInput(
        id=id or str(_get(step, "id")), type=kind, t0=t0, t1=t1,
        x=_get(step, "x"), y=_get(step, "y"), path=_get(step, "path"),
        scroll_dx=_get(step, "scroll_dx"), scroll_dy=_get(step, "scroll_dy"),
        text=text if text is not None else _get(step, "text"), text_offset=text_offset,
        source_id=str(_get(step, "id")),
        keys=list(_get(step, "keys") or []) or None, repeat=int(_get(step, "repeat") or 1),
        duration_us=_get(step, "duration_us"), terminal_status=_get(step, "terminal_status"),
        window_title=_get(step, "window_title"), masked=bool(_get(step, "masked")),
        obs_pts=_get(step, "obs_pts"), obs_t=_get(step, "obs_t_us"),
        result_pts=_get(step, "result_pts"),
    )
    if ctx is not None:
        anchor = _get(step, "anchor_event_id")
        if kind in MOUSE_CLICKS or kind == "drag":
            hit = ctx.hits.get(anchor) if anchor is not None else None
            item = ctx.menu_item_taking_focus(t0, int(si.x), int(si.y)) \
                if kind in MOUSE_CLICKS and si.x is not None and si.y is not None else None
            if item is not None and not _same_element(item, hit):
                # A click in a popup menu: a toolkit's hit test may not see the popup and
                # answer with the window's control beneath it (Qt: a toolbar button) or
                # with nothing; the item the press focused is what was clicked.
                hit = dict(item, event_id=anchor)
            if hit is not None and hit.get("source") == "atspi":
                si.element = {k: v for k, v in hit.items()
                              if k not in ("t", "event_id", "latency_us", "pid", "kind")}
                # The tree is read some time after the press: if the screen changed
                # meanwhile (a menu closed on release), the element may be what is there
                # now rather than what was clicked.  The drafter checks it on screen.
                lat = hit.get("latency_us")
                if isinstance(lat, int) and lat > 0 and isinstance(hit.get("t"), int) \
                        and ctx.changed_between(int(hit["t"]), int(hit["t"]) + lat):
                    si.element["stale"] = True
        if kind == "type":
            f = ctx.focus_at(t0)
            if f is not None and f.get("source") == "atspi":
                si.focus = {k: v for k, v in f.items() if k not in ("t", "latency_us", "pid",
                                                                       "kind")}
        win = ctx.window_at(t0, si.window_title)
        if win is not None and isinstance(win.get("box"), list) and len(win["box"]) == 4:
            si.window_box = [int(v) for v in win["box"]]
    elif isinstance(_get(step, "target"), Mapping):
        target = _get(step, "target")
        if target.get("source") == "atspi":
            si.element = dict(target)
    return si


def result_inputs(result_steps: Iterable[Any], ctx: BundleContext | None) -> list[StepInput]:
    """StepInputs of the edited steps (``ApplyResult.all_steps``): split parts carry their
    slice of the text, merged steps their parts."""
    out = []
    for rs in result_steps:
        parts = []
        for p in rs.parts:
            text = p.text if _get(p.source, "type") == "type" else None
            part = step_input(p.source, ctx, id=p.id, text=text, text_offset=p.text_offset)
            whole = _get(p.source, "text")
            if text is not None and whole is not None and whole != text:
                part.full_text = str(whole)
            parts.append(part)
        if len(parts) == 1:
            out.append(parts[0])
            continue
        first = parts[0]
        merged = StepInput(id=rs.id, type=rs.type, t0=rs.orig_t_start_us, t1=rs.orig_t_end_us,
                           window_title=first.window_title, window_box=first.window_box,
                           obs_pts=first.obs_pts, obs_t=first.obs_t,
                           result_pts=parts[-1].result_pts, parts=parts)
        out.append(merged)
    return out


def derived_inputs(steps: Sequence[Any], ctx: BundleContext | None) -> list[StepInput]:
    return [step_input(s, ctx) for s in steps]
