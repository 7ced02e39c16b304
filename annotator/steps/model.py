"""The step: one reduced action of a recording, paired with the frames around it.

Field by field in docs/steps-format.md.  Times are integer microseconds since the recording
started (the bundle's clock); coordinates are pixels of the stored screenshot.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

# Bump whenever a rule or threshold change can change the steps derived from the same input.
DERIVATION_VERSION = 3  # 2: masked keys as placeholder characters, targets of mouse steps;
# 3: a window's title changing (not focus moving) no longer ends typing

CLICK = "click"
DOUBLE_CLICK = "double_click"
TRIPLE_CLICK = "triple_click"
RIGHT_CLICK = "right_click"
MIDDLE_CLICK = "middle_click"
DRAG = "drag"
SCROLL = "scroll"
TYPE = "type"
KEY = "key"
HOTKEY = "hotkey"
WAIT = "wait"
TERMINATE = "terminate"

ACTION_TYPES = (
    CLICK, DOUBLE_CLICK, TRIPLE_CLICK, RIGHT_CLICK, MIDDLE_CLICK, DRAG, SCROLL, TYPE, KEY,
    HOTKEY, WAIT, TERMINATE,
)
MOUSE_TYPES = frozenset({CLICK, DOUBLE_CLICK, TRIPLE_CLICK, RIGHT_CLICK, MIDDLE_CLICK, DRAG,
                         SCROLL})
KEYBOARD_TYPES = frozenset({TYPE, KEY, HOTKEY})

OUTCOMES = ("success", "failure", "infeasible", "abandoned")

# Step flags (why a step looks unusual); documented in docs/steps-format.md.
FLAG_NO_RELEASE = "no_release"  # the button was never released (pause, end of recording)
FLAG_PATH_CLAMPED = "path_clamped"  # drag points left the captured area and were clamped
FLAG_EMPTY_TEXT = "empty_text"  # typing whose backspaces removed everything typed
FLAG_NO_OBSERVATION = "no_observation"  # no stored frame before the step
FLAG_OBS_UNSETTLED = "obs_unsettled"  # observation fell back to the last grab
FLAG_OBS_BEFORE_PAUSE = "obs_before_pause"  # a pause lies between observation and step
FLAG_OBS_STALE = "obs_stale"  # observation older than 3 s
FLAG_NO_RESULT = "no_result_frame"  # no grab between the step's end and the next step
FLAG_RESULT_UNSETTLED = "result_unsettled"  # the screen had not settled before the bound


def step_id(step_type: str, anchor_event_id: int | None) -> str:
    """Stable id: a short hash of the step type and the raw event that anchors it.

    Re-deriving the same bundle gives the same ids, so labels and redactions keyed by id
    survive; a step whose anchor or type changed gets a new id (and its edits are flagged).
    """
    key = f"{step_type}:{anchor_event_id if anchor_event_id is not None else ''}"
    return hashlib.sha1(key.encode("ascii")).hexdigest()[:12]


@dataclass(slots=True)
class Step:
    type: str
    t_start_us: int
    t_end_us: int
    raw_event_ids: list[int] = field(default_factory=list)
    anchor_event_id: int | None = None
    id: str = ""
    index: int = 0
    x: int | None = None
    y: int | None = None
    button: str | None = None
    path: list[dict[str, int]] | None = None
    scroll_dx: float | None = None  # whole clicks, or fractions (smooth scrolling)
    scroll_dy: float | None = None
    text: str | None = None
    keys: list[str] | None = None
    repeat: int = 1
    duration_us: int | None = None
    terminal_status: str | None = None
    display_id: str | None = None
    scale: float | None = None
    window_title: str | None = None
    window_app: str | None = None
    obs_t_us: int | None = None
    obs_pts: int | None = None
    obs_grab: int | None = None
    result_t_us: int | None = None
    result_pts: int | None = None
    result_grab: int | None = None
    flags: list[str] = field(default_factory=list)
    target: dict[str, Any] | None = None  # element under a mouse step (accessibility)
    masked: bool = False  # typing that went into a password field: text is placeholders

    def __post_init__(self) -> None:
        if not self.id:
            self.id = step_id(self.type, self.anchor_event_id)

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _FIELDS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Step:
        return cls(**{k: data[k] for k in _FIELDS if k in data})

    def describe(self) -> str:
        """A short human description: ``click left (812, 440)``, ``type 'abc'``..."""
        t = self.type
        if t in (CLICK, DOUBLE_CLICK, TRIPLE_CLICK, RIGHT_CLICK, MIDDLE_CLICK):
            mods = f" with {'+'.join(self.keys)}" if self.keys else ""
            return f"({self.x}, {self.y}) {self.button}{mods}"
        if t == DRAG and self.path:
            end = self.path[-1]
            return f"({self.x}, {self.y}) -> ({end['x']}, {end['y']}) {self.button}, " \
                   f"{len(self.path)} points"
        if t == SCROLL:
            return f"({self.x}, {self.y}) dx={self.scroll_dx} dy={self.scroll_dy}"
        if t == TYPE:
            return repr(self.text)
        if t in (KEY, HOTKEY):
            times = f" x{self.repeat}" if self.repeat > 1 else ""
            return "+".join(self.keys or []) + times
        if t == WAIT:
            return f"{(self.duration_us or 0) / 1e6:.1f} s"
        if t == TERMINATE:
            return str(self.terminal_status)
        return ""


_FIELDS = tuple(Step.__dataclass_fields__)
