"""The small interfaces a platform backend implements.  X11 is the first backend;
Windows and macOS (which mss and pynput also support) can follow behind the same shapes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    width: int
    height: int

    def contains(self, px: float, py: float) -> bool:
        return self.x <= px < self.x + self.width and self.y <= py < self.y + self.height

    def intersect(self, other: Rect) -> Rect | None:
        x0, y0 = max(self.x, other.x), max(self.y, other.y)
        x1 = min(self.x + self.width, other.x + other.width)
        y1 = min(self.y + self.height, other.y + other.height)
        if x1 <= x0 or y1 <= y0:
            return None
        return Rect(x0, y0, x1 - x0, y1 - y0)

    def as_dict(self) -> dict[str, int]:
        return {"x": self.x, "y": self.y, "width": self.width, "height": self.height}


@dataclass(frozen=True)
class Display:
    id: str
    origin_x: int
    origin_y: int
    width_px: int
    height_px: int
    scale: float = 1.0

    @property
    def rect(self) -> Rect:
        return Rect(self.origin_x, self.origin_y, self.width_px, self.height_px)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "origin_x": self.origin_x,
            "origin_y": self.origin_y,
            "width_px": self.width_px,
            "height_px": self.height_px,
            "scale": self.scale,
        }


@dataclass(frozen=True)
class WindowInfo:
    window_id: int
    title: str
    app: str
    rect: Rect | None
    pid: int | None = None


class ScreenGrabber(Protocol):
    """Grabs one region of the screen as a BGRA image, in the thread that created it."""

    def displays(self) -> list[Display]: ...

    def grab(self) -> tuple[bytearray | memoryview, Any]:
        """Raw BGRA bytes and a writable (H, W, 4) uint8 view of them, in a buffer left as
        it is until the next-but-one call: the caller may keep the last grab (the capture
        thread keeps it as its mirror of the screen instead of copying 8 MB a grab)."""
        ...

    def close(self) -> None: ...


class InputSource(Protocol):
    """Delivers global mouse and keyboard input to a callback, from its own threads."""

    def start(self, on_event: Callable[[dict[str, Any]], None]) -> None: ...

    def alive(self) -> bool: ...

    def stop(self) -> None: ...


class WindowSource(Protocol):
    """Tells which window has focus and which windows are visible, with their boxes."""

    def focused(self, max_age_s: float = 0.0) -> WindowInfo | None: ...

    def visible(self) -> list[WindowInfo]: ...

    def close(self) -> None: ...
