"""A step in one line, as a person reads it: ``Click (812, 440) in 'Invoice - Calc'``.

The editor's step list shows it; the command line and the core may use it too.  ``source``
is the derived step the (possibly merged) step came from: it has the coordinates, keys and
window; a derived step is its own source.
"""

from __future__ import annotations

from typing import Any

from annotator.steps import model as m

VERBS = {m.CLICK: "Click", m.DOUBLE_CLICK: "Double-click", m.TRIPLE_CLICK: "Triple-click",
         m.RIGHT_CLICK: "Right-click", m.MIDDLE_CLICK: "Middle-click", m.DRAG: "Drag",
         m.SCROLL: "Scroll", m.TYPE: "Type", m.KEY: "Press", m.HOTKEY: "Hotkey",
         m.WAIT: "Wait", m.TERMINATE: "End"}
CLICKS = (m.CLICK, m.DOUBLE_CLICK, m.TRIPLE_CLICK, m.RIGHT_CLICK, m.MIDDLE_CLICK)
TYPED_SHOWN = 40  # characters of typed text shown before an ellipsis


def _what(t: str, source: Any) -> str:
    """The action's particulars from its source step: where, which keys, how long."""
    if t in CLICKS:
        return f" ({source.x}, {source.y})"
    if t == m.DRAG and source.path:
        end = source.path[-1]
        return f" ({source.x}, {source.y}) → ({end['x']}, {end['y']})"
    if t == m.SCROLL:
        dy = source.scroll_dy or 0
        return f" {'down' if dy > 0 else 'up'} {abs(dy)} at ({source.x}, {source.y})"
    if t in (m.KEY, m.HOTKEY):
        return " " + "+".join(source.keys or [])
    if t == m.WAIT:
        return f" {(source.duration_us or 0) / 1e6:.1f} s"
    return ""


def step_summary(step: Any, source: Any) -> str:
    """``step`` (a derived or an edited step: ``type`` and ``text``) in one line; ``source``
    may be None (the step's source is gone): then only its kind and typed text."""
    t = step.type
    what = _what(t, source) if source is not None else ""
    if t == m.TYPE:
        text = step.text or ""
        shown = text if len(text) <= TYPED_SHOWN else text[:TYPED_SHOWN - 1] + "…"
        what = f" “{shown}”"
    window = getattr(source, "window_title", None) if source is not None else None
    return f"{VERBS.get(t, t)}{what}" + (f" in '{window}'" if window else "")
