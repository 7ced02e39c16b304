"""Redactions as edits: data in the edit list's ``redactions`` list, changed by undoable
commands like every other edit.

Entries (all carry a unique ``id`` and a ``kind``):

- ``box``: ``rect`` [x, y, w, h] in frame pixels, or ``"full"`` for the whole frame, over
  ``t_start_us``..``t_end_us`` on the recording's clock (``start_step``/``end_step`` record
  the steps the range was set from, when it was); ``source`` ``manual`` or ``suggestion``
  with the ``suggestion_id``, ``detector`` kind and a ``label``.
- ``text``: masks characters ``start``..``end`` of a typed step's text (``step_id``), shown
  and exported as ``placeholder`` (``<redacted>``).  The typed text itself is never changed.
- ``title``: masks a window title (``title``) wherever it appears.
- ``keys``: masks the keys of a key or hotkey step (``step_id``).
- ``decision``: the contributor's decision on a suggestion they did not accept as a box or
  mask: ``rejected`` (not a secret) — kept so the suggestion is not offered again and, when
  the leak check later finds the same text, it is the contributor's recorded choice.
- ``allow``: an item of the leak check accepted as not sensitive: ``text`` (as read on
  screen) and ``detector`` (its kind, or ``"*"`` for any); the leak check passes items whose
  text matches (``annotator.redaction.leakscan``), and the entries travel with the
  submission.

A redaction that refers to a step removed since stays on its time range and is flagged by
``orphaned_redactions``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from annotator.edits.commands import ABSENT, Command, Op, apply_op
from annotator.edits.errors import EditError
from annotator.edits.model import EditList, clone

PLACEHOLDER = "<redacted>"
KINDS = ("box", "text", "title", "keys", "decision", "allow")
ANY_DETECTOR = "*"


def _new_id() -> str:
    return "r-" + uuid.uuid4().hex[:10]


def _index(edits: EditList, rid: str) -> int:
    for i, r in enumerate(edits.data["redactions"]):
        if r.get("id") == rid:
            return i
    raise EditError(f"There is no redaction {rid!r}.", "It may have been removed already.")


class RedactionError(EditError):
    """A redaction box is not valid (not a rectangle, empty, a time range backwards)."""


@dataclass(frozen=True)
class Redaction:
    """A box filled over a time range of the recording (both ends inclusive, µs): what a
    ``box`` entry of the edit list means, and what the renderer burns in.

    ``rect`` is ``(x, y, w, h)`` in frame pixels, or None for the whole frame.  Built only
    through ``from_entry`` (or checked by it when given directly): the one validation of a
    box, for the edit commands, the renderer and hand-written redaction lists alike.
    """

    rect: tuple[int, int, int, int] | None
    t_start_us: int
    t_end_us: int
    label: str = ""

    @classmethod
    def from_entry(cls, item: Redaction | Mapping[str, Any], index: int = 0) -> Redaction:
        """A ``box`` entry (``rect`` [x, y, w, h] or ``"full"``, ``t_start_us``,
        ``t_end_us``, optional ``label``/``id``) as a Redaction; RedactionError (naming
        entry ``index + 1``) if it is not a valid box."""
        where = f"Redaction {index + 1}"
        if isinstance(item, Redaction):
            fields: Mapping[str, Any] = {"rect": "full" if item.rect is None else item.rect,
                                         "t_start_us": item.t_start_us,
                                         "t_end_us": item.t_end_us, "label": item.label}
        elif isinstance(item, Mapping):
            fields = item
        else:
            raise RedactionError(f"{where} is not a box: {item!r}.")
        try:
            rect = parse_rect(fields["rect"])
            t0, t1 = int(fields["t_start_us"]), int(fields["t_end_us"])
        except KeyError as exc:
            raise RedactionError(f"{where} has no {exc.args[0]}: {dict(fields)!r}.",
                                 'Give rect as [x, y, w, h] or "full", and t_start_us, '
                                 "t_end_us.") from None
        except RedactionError as exc:
            raise RedactionError(f"{where}: {exc.message}", exc.hint) from None
        except (TypeError, ValueError) as exc:
            raise RedactionError(f"{where} has a time that is not a whole number ({exc}).",
                                 "Give t_start_us and t_end_us in microseconds.") from None
        if t1 < t0:
            raise RedactionError(f"{where} ends ({t1} µs) before it starts ({t0} µs).",
                                 "Swap or fix its time range.")
        return cls(rect, t0, t1, str(fields.get("label") or fields.get("id") or ""))

    @property
    def name(self) -> str:
        return self.label or ("full frame" if self.rect is None else f"box {list(self.rect)}")


def parse_rect(rect: Any) -> tuple[int, int, int, int] | None:
    """``[x, y, w, h]`` (whole pixels, w and h above 0), or None for ``"full"``/None."""
    if rect == "full" or rect is None:
        return None
    try:
        x, y, w, h = (int(v) for v in rect)
    except (TypeError, ValueError):
        raise RedactionError(f"{rect!r} is not a rectangle [x, y, width, height] or "
                             '"full".') from None
    if w <= 0 or h <= 0:
        raise RedactionError(f"The box {[x, y, w, h]} is empty: a redaction box needs a "
                             "width and a height above 0.",
                             "Give a width and height of at least 1 pixel.")
    return x, y, w, h


def _check_rect(rect: Any, size: tuple[int, int] | None) -> tuple[Any, list[str]]:
    """Validate a rectangle; clamp it to the frame (and say so)."""
    notes: list[str] = []
    if rect == "full":
        return rect, notes
    parsed = parse_rect(rect)
    if parsed is None:
        return "full", notes
    x, y, w, h = parsed
    if size is not None:
        fw, fh = size
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = min(fw, x + w), min(fh, y + h)
        if x1 <= x0 or y1 <= y0:
            raise EditError("The redaction box lies entirely outside the frame.",
                            "Draw it over the part of the screen to hide.")
        if (x0, y0, x1, y1) != (x, y, x + w, y + h):
            notes.append("The box reached outside the frame and was clamped to it.")
        x, y, w, h = x0, y0, x1 - x0, y1 - y0
    return [x, y, w, h], notes


def _check_range(t0: int, t1: int, duration_us: int | None) -> tuple[int, int]:
    t0, t1 = int(t0), int(t1)
    if t1 < t0:
        t0, t1 = t1, t0
    if t0 < 0:
        t0 = 0
    if duration_us is not None:
        t1 = min(t1, duration_us)
    if t1 <= t0:
        raise EditError("The redaction's time range is empty.")
    return t0, t1


def add_box(edits: EditList, rect: Any, t_start_us: int, t_end_us: int, *,
            size: tuple[int, int] | None = None, duration_us: int | None = None,
            start_step: str | None = None, end_step: str | None = None,
            source: str = "manual", suggestion_id: str | None = None,
            detector: str | None = None, label: str = "") -> tuple[Command, list[str]]:
    rect, notes = _check_rect(rect, size)
    t0, t1 = _check_range(t_start_us, t_end_us, duration_us)
    entry = {"id": _new_id(), "kind": "box", "rect": rect, "t_start_us": t0, "t_end_us": t1,
             "start_step": start_step, "end_step": end_step, "source": source,
             "suggestion_id": suggestion_id, "detector": detector, "label": label}
    n = len(edits.data["redactions"])
    name = "Redact region" if source == "manual" else "Accept suggestion"
    return Command(name, [Op(("redactions", n), ABSENT, entry)]), notes


def update_box(edits: EditList, rid: str, *, size: tuple[int, int] | None = None,
               duration_us: int | None = None, name: str = "Move redaction",
               **fields: Any) -> tuple[Command, list[str]]:
    i = _index(edits, rid)
    old = edits.data["redactions"][i]
    if old.get("kind") != "box":
        raise EditError("Only a box redaction can be moved or resized.")
    new = clone(old)
    notes: list[str] = []
    if "rect" in fields:
        new["rect"], notes = _check_rect(fields.pop("rect"), size)
    if "t_start_us" in fields or "t_end_us" in fields:
        new["t_start_us"], new["t_end_us"] = _check_range(
            fields.pop("t_start_us", old["t_start_us"]), fields.pop("t_end_us", old["t_end_us"]),
            duration_us)
    for key in ("start_step", "end_step", "label"):
        if key in fields:
            new[key] = fields.pop(key)
    if fields:
        raise EditError(f"Unknown redaction fields: {', '.join(sorted(fields))}.")
    return Command(name, [Op(("redactions", i), old, new)]), notes


def remove(edits: EditList, rid: str) -> Command:
    i = _index(edits, rid)
    return Command("Remove redaction", [Op(("redactions", i), edits.data["redactions"][i],
                                           ABSENT)])


def mask_text(edits: EditList, step_id: str, text: str, start: int = 0,
              end: int | None = None, *, suggestion_id: str | None = None,
              detector: str | None = None) -> Command:
    end = len(text) if end is None else end
    if not 0 <= start < end <= len(text):
        raise EditError(f"Characters {start}..{end} are not inside the typed text "
                        f"({len(text)} characters).")
    for r in edits.data["redactions"]:
        if (r.get("kind") == "text" and r.get("step_id") == step_id
                and r["start"] <= start and end <= r["end"]):
            raise EditError("That text is already masked.")
    entry = {"id": _new_id(), "kind": "text", "step_id": step_id, "start": start, "end": end,
             "placeholder": PLACEHOLDER, "suggestion_id": suggestion_id, "detector": detector}
    n = len(edits.data["redactions"])
    return Command("Mask typed text", [Op(("redactions", n), ABSENT, entry)])


def mask_title(edits: EditList, title: str, *, suggestion_id: str | None = None) -> Command:
    if not title:
        raise EditError("There is no window title to mask.")
    if any(r.get("kind") == "title" and r.get("title") == title
           for r in edits.data["redactions"]):
        raise EditError("That window title is already masked.")
    entry = {"id": _new_id(), "kind": "title", "title": title, "placeholder": PLACEHOLDER,
             "suggestion_id": suggestion_id}
    n = len(edits.data["redactions"])
    return Command("Mask window title", [Op(("redactions", n), ABSENT, entry)])


def mask_keys(edits: EditList, step_id: str) -> Command:
    if any(r.get("kind") == "keys" and r.get("step_id") == step_id
           for r in edits.data["redactions"]):
        raise EditError("That step's keys are already masked.")
    entry = {"id": _new_id(), "kind": "keys", "step_id": step_id, "placeholder": PLACEHOLDER}
    n = len(edits.data["redactions"])
    return Command("Mask keys", [Op(("redactions", n), ABSENT, entry)])


def decide(edits: EditList, suggestion_ids: Iterable[str], decision: str) -> Command:
    if decision not in ("rejected",):
        raise EditError(f"Unknown decision {decision!r}.")
    ops = []
    n = len(edits.data["redactions"])
    decided = decided_suggestions(edits)
    for sid in suggestion_ids:
        if sid in decided:
            continue
        ops.append(Op(("redactions", n), ABSENT,
                      {"id": _new_id(), "kind": "decision", "suggestion_id": sid,
                       "decision": decision}))
        n += 1
    if not ops:
        raise EditError("Those suggestions were already decided.")
    return Command("Reject suggestion" if len(ops) == 1 else f"Reject {len(ops)} suggestions",
                   ops)


def _allow_key(text: str, detector: str) -> tuple[str, str]:
    return " ".join(text.casefold().split()), detector or ANY_DETECTOR


def allow(edits: EditList, text: str, detector: str | None = None) -> Command:
    """Accept a leak-check item as not sensitive (``detector`` None: whatever found it)."""
    text = str(text or "").strip()
    detector = str(detector or ANY_DETECTOR)
    key = _allow_key(text, detector)
    if not key[0]:
        raise EditError("There is no text to accept as not sensitive.",
                        "Give the text exactly as the leak check shows it.")
    for r in edits.data["redactions"]:
        if r.get("kind") == "allow" and _allow_key(r.get("text", ""),
                                                   r.get("detector") or "") in (
                key, (key[0], ANY_DETECTOR)):
            raise EditError("That text is already accepted as not sensitive.")
    entry = {"id": _new_id(), "kind": "allow", "text": text, "detector": detector}
    n = len(edits.data["redactions"])
    return Command("Accept as not sensitive", [Op(("redactions", n), ABSENT, entry)])


def remove_allow(edits: EditList, rid: str) -> Command:
    i = _index(edits, rid)
    entry = edits.data["redactions"][i]
    if entry.get("kind") != "allow":
        raise EditError(f"{rid!r} is not an accepted leak-check item.")
    return Command("Withdraw acceptance", [Op(("redactions", i), entry, ABSENT)])


def allow_list(edits: EditList) -> list[dict[str, str]]:
    """The accepted items: ``{"id", "text", "detector"}``."""
    return [{"id": r["id"], "text": r.get("text", ""),
             "detector": r.get("detector") or ANY_DETECTOR}
            for r in edits.data["redactions"] if r.get("kind") == "allow"]


def decided_suggestions(edits: EditList) -> dict[str, str]:
    """suggestion id -> "accepted" or "rejected"."""
    out: dict[str, str] = {}
    for r in edits.data["redactions"]:
        sid = r.get("suggestion_id")
        if not sid:
            continue
        out[sid] = r["decision"] if r.get("kind") == "decision" else "accepted"
    return out


def accept_suggestions(edits: EditList, suggestions: Iterable[Any], *,
                       size: tuple[int, int] | None = None,
                       duration_us: int | None = None,
                       step_texts: Mapping[str, str] | None = None) -> Command:
    """One command accepting many suggestions (boxes for frames, masks for text)."""
    work = edits.copy()
    ops: list[Op] = []
    decided = decided_suggestions(edits)
    for s in suggestions:
        sid = _attr(s, "id")
        if sid in decided:
            continue
        source = _attr(s, "source")
        if _attr(s, "rect") is not None:
            cmd, _ = add_box(work, _attr(s, "rect"), _attr(s, "t_start_us"), _attr(s, "t_end_us"),
                             size=size, duration_us=duration_us, source="suggestion",
                             suggestion_id=sid, detector=_attr(s, "kind"),
                             label=_attr(s, "reason") or "")
        elif source == "typed_text" and _attr(s, "step_id"):
            text = (step_texts or {}).get(_attr(s, "step_id"), "")
            start, end = _attr(s, "span") or (0, len(text))
            cmd = mask_text(work, _attr(s, "step_id"), text, start, end, suggestion_id=sid,
                            detector=_attr(s, "kind"))
        elif source == "window_title":
            cmd = mask_title(work, _attr(s, "title") or _attr(s, "text") or "",
                             suggestion_id=sid)
        else:
            continue
        for op in cmd.ops:
            apply_op(work.data, op)  # later entries are inserted after this one
        ops.extend(cmd.ops)
    if not ops:
        raise EditError("There is no open suggestion to accept.")
    n = len(ops)
    return Command("Accept suggestion" if n == 1 else f"Accept {n} suggestions", ops)


def _attr(obj: Any, key: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def boxes(edits: EditList) -> list[dict[str, Any]]:
    return [clone(r) for r in edits.data["redactions"] if r.get("kind") == "box"]


def masked_text(text: str, masks: Iterable[Mapping[str, Any]]) -> str:
    """The text as exported: masked spans replaced by their placeholder (merged)."""
    spans = sorted((int(m["start"]), int(m["end"]), m.get("placeholder", PLACEHOLDER))
                   for m in masks)
    out, pos = [], 0
    for start, end, ph in spans:
        if end <= pos:
            continue
        start = max(start, pos)
        out.append(text[pos:start])
        if not out or not out[-1].endswith(ph):
            out.append(ph)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def orphaned_redactions(edits: EditList, step_ids: Iterable[str]) -> list[dict[str, Any]]:
    """Redactions that name a step that no longer exists: kept (boxes keep their time
    range), flagged for the contributor."""
    alive = set(step_ids)
    out = []
    for r in edits.data["redactions"]:
        refs = [r.get(k) for k in ("step_id", "start_step", "end_step") if r.get(k)]
        if any(ref not in alive for ref in refs):
            out.append(clone(r))
    return out
