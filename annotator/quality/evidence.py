"""What the signals look at, the same for a submission package and for a recording.

``Evidence`` holds the steps as a package carries them (kept steps, times on the rendered
video's clock, instructions with their origins and targets), a way to read each step's
observation picture, the moments the screen changed, the redaction boxes and accepted
leak-check items, and the client-declared input summary.  ``annotator.quality.package`` makes
one from a package folder; ``annotator.submission.signals`` from a recording and its edits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

TERMINATE = "terminate"
WAIT = "wait"
CLICKS = frozenset({"click", "double_click", "triple_click", "right_click", "middle_click"})
POINTER = CLICKS | {"drag", "scroll"}
KEYBOARD = frozenset({"type", "key", "hotkey"})


@dataclass(frozen=True)
class StepView:
    """One step as the signals see it (a package's steps.json entry)."""

    index: int
    id: str
    type: str
    t_start_us: int
    t_end_us: int
    obs_t_us: int
    x: int | None = None
    y: int | None = None
    end_x: int | None = None  # a drag's end
    end_y: int | None = None
    text: str | None = None
    text_masked: bool = False
    keys: tuple[str, ...] = ()
    repeat: int = 1
    scroll: tuple[int, int] = (0, 0)
    instruction: str = ""
    origin: str | None = None  # accepted, edited, written (None: no instruction)
    weak_draft: bool = False  # accepted from a draft the drafter marked weak
    target: Mapping[str, Any] | None = None
    flags: tuple[str, ...] = ()
    window_title: str | None = None
    window_app: str | None = None  # the window's WM_CLASS class, as the recorder read it

    @property
    def is_action(self) -> bool:
        return self.type not in (TERMINATE, WAIT)

    @property
    def target_name(self) -> str | None:
        t = self.target
        if not isinstance(t, Mapping):
            return None
        name = t.get("name")
        if isinstance(name, str) and name.strip():
            return name.strip()
        return None

    @property
    def target_box(self) -> tuple[int, int, int, int] | None:
        t = self.target
        box = t.get("box") if isinstance(t, Mapping) else None
        if isinstance(box, list | tuple) and len(box) == 4 and all(
                isinstance(v, int | float) for v in box):
            x, y, w, h = (int(v) for v in box)
            if w > 0 and h > 0:
                return x, y, w, h
        return None


@dataclass
class Evidence:
    """Everything a family of signals reads.  ``frame(i)`` gives step ``i``'s observation
    picture as RGB (H, W, 3) uint8, or None when it cannot be read."""

    subject: dict[str, Any]
    width: int
    height: int
    duration_us: int
    steps: list[StepView]
    frame: Callable[[int], np.ndarray | None]
    changes_us: np.ndarray  # when the screen changed (a new picture), ascending
    boxes: list[dict[str, Any]] = field(default_factory=list)  # fill_rect, intervals_us
    accepted: list[dict[str, Any]] = field(default_factory=list)  # leak-check items let pass
    declared: dict[str, Any] | None = None  # the client-declared input summary
    goal: str = ""
    task_id: int | None = None
    # The grey picture on screen at a time (µs, this subject's clock), or None; None: only
    # ``changes_us`` is known.  Asked for in increasing times.
    picture_at: Callable[[int], np.ndarray | None] | None = None
    placeholder: str = "<redacted>"

    def step_by_id(self) -> dict[str, StepView]:
        return {s.id: s for s in self.steps}

    @property
    def actions(self) -> list[StepView]:
        return [s for s in self.steps if s.is_action]


def _int(v: Any) -> int | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v == v:
        return int(round(v))
    return None


def as_map(v: Any) -> Mapping[str, Any]:
    """``v`` if it is a JSON object, else an empty one."""
    return v if isinstance(v, Mapping) else {}


def as_list(v: Any) -> list[Any]:
    """``v`` if it is a JSON array, else an empty one."""
    return v if isinstance(v, list) else []


def step_from_json(d: Mapping[str, Any], n: int) -> StepView:
    """A package's step (docs/store.md, steps.json) as a ``StepView``; unknown or missing
    fields get neutral values (a package checked by the store has them all)."""
    obs = as_map(d.get("observation"))
    path = as_list(d.get("path"))
    end = as_map(path[-1]) if path else {}
    keys = as_list(d.get("keys"))
    t0 = _int(d.get("t_start_us")) or 0
    index = _int(d.get("index"))
    obs_t = _int(obs.get("t_us"))
    instruction = d.get("instruction")
    return StepView(
        index=index if index is not None else n,
        id=str(d.get("id") or f"step{n}"),
        type=str(d.get("type") or ""),
        t_start_us=t0,
        t_end_us=_int(d.get("t_end_us")) or t0,
        obs_t_us=obs_t if obs_t is not None else t0,
        x=_int(d.get("x")), y=_int(d.get("y")),
        end_x=_int(end.get("x")), end_y=_int(end.get("y")),
        text=d.get("text") if isinstance(d.get("text"), str) else None,
        text_masked=bool(d.get("text_masked")),
        keys=tuple(str(k) for k in keys),
        repeat=_int(d.get("repeat")) or 1,
        scroll=(_int(d.get("scroll_dx")) or 0, _int(d.get("scroll_dy")) or 0),
        instruction=instruction if isinstance(instruction, str) else "",
        origin=d.get("instruction_origin") if isinstance(d.get("instruction_origin"), str)
        else None,
        weak_draft=d.get("instruction_weak") is True,
        target=d.get("target") if isinstance(d.get("target"), Mapping) else None,
        flags=tuple(str(f) for f in as_list(d.get("flags")) if isinstance(f, str)),
        window_title=d.get("window_title") if isinstance(d.get("window_title"), str) else None,
        window_app=d.get("window_app") if isinstance(d.get("window_app"), str) else None,
    )


def steps_from_json(steps: Sequence[Any]) -> list[StepView]:
    return [step_from_json(d, n) for n, d in enumerate(steps) if isinstance(d, Mapping)]
