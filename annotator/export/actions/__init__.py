"""Canonical steps in each target's action language, and the grammars that read them back.

One module per family: ``pyautogui`` (AgentNet/OpenCUA, AGUVIS), ``uitars`` (UI-TARS v1 and
1.5), ``tools`` (Anthropic's computer tool and OpenAI's ``computer_call``).  Each has a
writer (canonical step -> action) and a grammar (action -> what it says, or why it is outside
the language).  ``--check`` uses only the grammars: a hand-edited action is judged on its own,
never by writing the step again and comparing.  The contracts, with the upstream lines they
follow, are in exports/README.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class Unsupported(Exception):
    """The target's grammar has no way to say this step (it is left out and counted)."""


class GrammarError(ValueError):
    """An action string or object outside its dialect's grammar."""


def smart_resize(height: int, width: int, factor: int = 28, min_pixels: int = 56 * 56,
                 max_pixels: int = 14 * 14 * 4 * 16384) -> tuple[int, int]:
    """Qwen2.5-VL's ``smart_resize`` (the one in bytedance/UI-TARS action_parser.py and
    OpenCUA's utils.py): both sides multiples of ``factor``, the area within
    [min_pixels, max_pixels], the aspect ratio nearly kept.  Returns (height, width)."""
    h_bar = max(factor, round(height / factor) * factor)
    w_bar = max(factor, round(width / factor) * factor)
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = max(factor, math.floor(height / beta / factor) * factor)
        w_bar = max(factor, math.floor(width / beta / factor) * factor)
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return h_bar, w_bar


@dataclass(frozen=True)
class Space:
    """The coordinates of a target, for an exported image of ``w`` x ``h`` pixels.

    - ``norm``: fractions of the width and height, rounded to 4 decimals (AgentNet, AGUVIS);
    - ``grid``: integers on the [0, 1000) grid (UI-TARS v1 on Qwen2-VL);
    - ``abs``: integer pixels of the image resized to ``rw`` x ``rh`` (Qwen2.5-VL's
      ``smart_resize``: OpenCUA-7B/32B, UI-TARS-1.5), or of the image itself.
    Points are rounded to the nearest value the space has, so reading one back lands within
    half a step of the space (half a pixel when the space is at least as fine as the image).
    """

    kind: str
    w: int
    h: int
    rw: int = 0
    rh: int = 0

    @classmethod
    def resized(cls, w: int, h: int, factor: int, min_pixels: int, max_pixels: int) -> Space:
        rh, rw = smart_resize(h, w, factor, min_pixels, max_pixels)
        return cls("abs", w, h, rw, rh)

    def point(self, x: float, y: float) -> tuple[Any, Any]:
        if self.kind == "norm":
            return round(x / self.w, 4), round(y / self.h, 4)
        if self.kind == "grid":
            return (min(999, max(0, round(x / self.w * 1000))),
                    min(999, max(0, round(y / self.h * 1000))))
        rw, rh = self.rw or self.w, self.rh or self.h
        return (min(rw - 1, max(0, round(x * rw / self.w))),
                min(rh - 1, max(0, round(y * rh / self.h))))

    def pixel(self, x: float, y: float) -> tuple[float, float]:
        """The image pixel a value of this space stands for (what the upstream readers do)."""
        if self.kind == "norm":
            return x * self.w, y * self.h
        if self.kind == "grid":
            return x / 1000 * self.w, y / 1000 * self.h
        rw, rh = self.rw or self.w, self.rh or self.h
        return x / rw * self.w, y / rh * self.h

    def inside(self, x: Any, y: Any) -> bool:
        if self.kind == "norm":
            return all(isinstance(v, float) and 0.0 <= v <= 1.0 for v in (x, y))
        top = (999, 999) if self.kind == "grid" else (
            (self.rw or self.w) - 1, (self.rh or self.h) - 1)
        return all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= t
                   for v, t in ((x, top[0]), (y, top[1])))

    def describe(self) -> dict[str, Any]:
        if self.kind == "norm":
            return {"coordinates": "fractions of the image width and height, 4 decimals"}
        if self.kind == "grid":
            return {"coordinates": "integers on the [0, 1000) grid"}
        return {"coordinates": "integer pixels of the smart-resized image"}


def end_point(step: Mapping[str, Any]) -> tuple[float, float]:
    p = step["path"][-1]
    return p["x"], p["y"]


def modifiers(step: Mapping[str, Any]) -> list[str]:
    """The keys held during a mouse step (a key step's keys are its combination)."""
    if step["action_type"] == "key":
        return []
    return list(step.get("keys") or ())


def repeat(step: Mapping[str, Any]) -> int:
    return max(1, int(step.get("repeat") or 1))


def scroll_clicks(step: Mapping[str, Any]) -> tuple[int, int]:
    """(dx, dy) in whole wheel clicks; dy > 0 is down, dx > 0 is right."""
    return int(round(step.get("scroll_dx") or 0)), int(round(step.get("scroll_dy") or 0))
