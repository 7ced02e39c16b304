"""A step in one line, as a person reads it: ``Click (812, 440) in 'Invoice - Calc'``.

The editor's step list shows it; the command line and the core may use it too.  ``source``
is the derived step the (possibly merged) step came from: it has the coordinates, keys and
window; a derived step is its own source.

Shown to a person, a summary passes ``privacy`` (the drafts' ``Guard``: see
``annotator.drafts.titles``): typed text and window titles a detector or the contributor's
redactions flag are then described (``Type an e-mail address``), never quoted.
"""

from __future__ import annotations

from typing import Any, Protocol

from annotator.steps import model as m

VERBS = {m.CLICK: "Click", m.DOUBLE_CLICK: "Double-click", m.TRIPLE_CLICK: "Triple-click",
         m.RIGHT_CLICK: "Right-click", m.MIDDLE_CLICK: "Middle-click", m.DRAG: "Drag",
         m.SCROLL: "Scroll", m.TYPE: "Type", m.KEY: "Press", m.HOTKEY: "Press",
         m.WAIT: "Wait", m.TERMINATE: "End"}
CLICKS = (m.CLICK, m.DOUBLE_CLICK, m.TRIPLE_CLICK, m.RIGHT_CLICK, m.MIDDLE_CLICK)
TYPED_SHOWN = 40  # characters of typed text shown before an ellipsis


class Privacy(Protocol):
    """What a summary may quote (``annotator.drafts.privacy.Guard``)."""

    def typed(self, step_id: str, text: str, offset: int = 0,
              whole: str | None = None) -> tuple[str, str | None]: ...

    def title(self, title: str | None) -> str | None: ...

    def keys_masked(self, step_id: str) -> bool: ...


def _typed(step: Any, privacy: Privacy | None) -> str:
    """What a typing step typed: the text in quotes (masks as placeholders), or a
    description (``an e-mail address``, ``the password``)."""
    if privacy is None:
        text = step.text or ""
    else:
        parts = [p for p in getattr(step, "parts", None) or () if p.type == m.TYPE]
        pieces = [(p.source_id, p.text or "", p.text_offset, getattr(p.source, "text", None))
                  for p in parts] or [(str(step.id), step.text or "", 0, None)]
        sources = getattr(step, "sources", None) or (step,)
        if any(getattr(src, "masked", False) for src in sources):
            return "the password"
        shown = []
        for sid, text, offset, whole in pieces:
            words, described = privacy.typed(sid, text, offset, whole)
            if described:
                return described
            shown.append(words)
        text = "".join(shown)
    return f"“{text if len(text) <= TYPED_SHOWN else text[:TYPED_SHOWN - 1] + '…'}”"


def _key_name(key: str) -> str:
    """``ctrl`` -> ``Ctrl``, ``page_down`` -> ``Page Down``, ``s`` -> ``S``."""
    k = str(key)
    return k.upper() if len(k) == 1 else " ".join(w.capitalize() for w in k.split("_"))


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
        times = f" ×{source.repeat}" if (source.repeat or 1) > 1 else ""
        return " " + "+".join(_key_name(k) for k in source.keys or []) + times
    if t == m.WAIT:
        return f" {(source.duration_us or 0) / 1e6:.1f} s"
    return ""


def step_summary(step: Any, source: Any, privacy: Privacy | None = None) -> str:
    """``step`` (a derived or an edited step: ``type`` and ``text``) in one line; ``source``
    may be None (the step's source is gone): then only its kind and typed text."""
    t = step.type
    what = _what(t, source) if source is not None else ""
    if t in (m.KEY, m.HOTKEY) and privacy is not None and source is not None and any(
            privacy.keys_masked(sid) for sid in getattr(step, "source_ids", None)
            or (source.id,)):
        what = " the masked keys"
    if t == m.TYPE:
        what = " " + _typed(step, privacy)
    window = getattr(source, "window_title", None) if source is not None else None
    if privacy is not None:
        window = privacy.title(window)
    return f"{VERBS.get(t, t)}{what}" + (f" in '{window}'" if window else "")
