"""Where each action happened, as shapes to draw over a frame at display time.

A click is a ring at its point (two rings for a double click, a square one for a right
click), the element it hit is its box, a drag is its path with an arrow head, a scroll is
an arrow in its direction, typing is the box of the field typed into.  Nothing here draws:
the editor's video, the step thumbnails and the reviewer's player paint these (they are
never burned into a recording or an export).  Coordinates are frame pixels.

``step_markers`` reads a derived step (``annotator.steps.Step``), a package step (a dict of
the package's steps.json) or anything with the same fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

CLICK = "click"
BOX = "box"
PATH = "path"
SCROLL = "scroll"
FIELD = "field"

_CLICK_COUNTS = {"click": 1, "double_click": 2, "triple_click": 3, "right_click": 1,
                 "middle_click": 1}


@dataclass(frozen=True)
class Marker:
    kind: str  # click, box, path, scroll, field
    x: int = 0
    y: int = 0
    box: tuple[int, int, int, int] | None = None
    points: tuple[tuple[int, int], ...] = ()
    dx: int = 0
    dy: int = 0
    count: int = 1  # clicks: 2 for a double click
    button: str = "left"


def _get(obj: Any, key: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def _box(v: Any) -> tuple[int, int, int, int] | None:
    if isinstance(v, Sequence) and not isinstance(v, str) and len(v) == 4:
        try:
            x, y, w, h = (int(c) for c in v)
        except (TypeError, ValueError):
            return None
        if w > 0 and h > 0:
            return x, y, w, h
    return None


def target_box(step: Any) -> tuple[int, int, int, int] | None:
    """The box of what a step acted on as the step itself records it (its accessibility
    target), [x, y, w, h]."""
    t = _get(step, "target")
    if isinstance(t, Mapping):
        return _box(t.get("box")) or _box(t.get("bbox")) or _corners(t.get("bbox_px"))
    return None


def _corners(v: Any) -> tuple[int, int, int, int] | None:
    b = _box(v)
    if b is None:
        return None
    x0, y0, x1, y1 = b
    return (x0, y0, x1 - x0, y1 - y0) if x1 > x0 and y1 > y0 else None


def step_markers(step: Any, box: Sequence[int] | None = None) -> list[Marker]:
    """The markers of one step; ``box`` is the box of its target (or of the field typed
    into) when known from elsewhere (a draft), else the step's own target box is used."""
    kind = str(_get(step, "type") or "")
    tbox = _box(box) if box is not None else target_box(step)
    x, y = _get(step, "x"), _get(step, "y")
    out: list[Marker] = []
    if kind in _CLICK_COUNTS and x is not None and y is not None:
        if tbox is not None:
            out.append(Marker(BOX, box=tbox))
        button = "right" if kind == "right_click" else str(_get(step, "button") or "left")
        out.append(Marker(CLICK, int(x), int(y), count=_CLICK_COUNTS[kind], button=button))
    elif kind == "drag" and x is not None and y is not None:
        path = _get(step, "path") or []
        pts = tuple((int(p["x"]), int(p["y"])) for p in path
                    if isinstance(p, Mapping) and p.get("x") is not None)
        if tbox is not None:
            out.append(Marker(BOX, box=tbox))
        out.append(Marker(PATH, int(x), int(y), points=pts or ((int(x), int(y)),)))
    elif kind == "scroll" and x is not None and y is not None:
        out.append(Marker(SCROLL, int(x), int(y), dx=int(_get(step, "scroll_dx") or 0),
                          dy=int(_get(step, "scroll_dy") or 0)))
    elif kind == "type" or "type" in kind.split("+"):
        if tbox is not None:
            out.append(Marker(FIELD, box=tbox))
    if "+" in kind and x is not None and y is not None and not out:
        out.append(Marker(CLICK, int(x), int(y)))
    return out
