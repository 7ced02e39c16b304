"""Named commands over the edit list, each a serializable list of (old, new) diffs.

A command is data: a name for the Edit menu ("Trim", "Merge steps"...) and a list of
``Op``\\ s.  An op sets the value at a JSON path of the edit list from ``old`` to ``new``;
either may be ``ABSENT`` (a key or list item added or removed).  Undo applies the inverse
ops in reverse order.  Every op checks that the value it replaces is the ``old`` it
recorded, so a history that does not match its edit list is refused rather than silently
corrupting the edits (OpenShot's UpdateAction diffs, with a guard).

The builders below (``set_trim``, ``merge_steps``, ...) read the current edit list (and,
for step operations, the current result of ``apply_edits``), validate the request, and
return a Command; ``UndoHistory.execute`` applies it.  They never change anything
themselves and raise EditError for a request that makes no sense.
"""

from __future__ import annotations

import difflib
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from annotator.edits.errors import EditError, EditsFormatError, HistoryConflict
from annotator.edits.model import (
    DIFFICULTY_MAX,
    DIFFICULTY_MIN,
    LABEL_DEFAULTS,
    ORIGIN_ACCEPTED,
    ORIGIN_EDITED,
    ORIGIN_WRITTEN,
    ORIGINS,
    OUTCOMES,
    EditList,
    clone,
    part_id,
    same,
)
from annotator.edits.timeline import normalize, subtract

if TYPE_CHECKING:
    from annotator.edits.apply import ApplyResult, Orphan, ResultStep


class _Absent:
    """No value: the key or list item does not exist (before an insert, after a delete)."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __reduce__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()

PathKey = str | int


@dataclass(frozen=True)
class Op:
    path: tuple[PathKey, ...]
    old: Any
    new: Any

    def inverse(self) -> Op:
        return Op(self.path, self.new, self.old)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": list(self.path)}
        if self.old is not ABSENT:
            out["old"] = clone(self.old)
        if self.new is not ABSENT:
            out["new"] = clone(self.new)
        return out

    @classmethod
    def from_json(cls, data: Any) -> Op:
        if not isinstance(data, dict) or not isinstance(data.get("path"), list) or not data[
            "path"
        ]:
            raise EditsFormatError(f"bad history op {data!r}")
        path = data["path"]
        for key in path:
            if isinstance(key, bool) or not isinstance(key, str | int):
                raise EditsFormatError(f"bad history op path {path!r}")
        return cls(tuple(path), clone(data.get("old", ABSENT)), clone(data.get("new", ABSENT)))


@dataclass
class Command:
    """A named, undoable change: ``ops`` applied in order, undone in reverse.

    ``merge_key`` marks commands that may coalesce with the previous one of the same key
    (typing in one text field); it is a plain string so the history stays serializable.
    """

    name: str
    ops: list[Op] = field(default_factory=list)
    merge_key: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "ops": [op.to_json() for op in self.ops]}
        if self.merge_key is not None:
            out["merge_key"] = self.merge_key
        return out

    @classmethod
    def from_json(cls, data: Any) -> Command:
        if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not (
            isinstance(data.get("ops"), list)
        ):
            raise EditsFormatError(f"bad history entry {str(data)[:200]}")
        key = data.get("merge_key")
        if key is not None and not isinstance(key, str):
            raise EditsFormatError(f"bad history merge_key {key!r}")
        return cls(data["name"], [Op.from_json(op) for op in data["ops"]], key)


# -- applying ops -------------------------------------------------------------------------


def _parent(root: dict[str, Any], path: tuple[PathKey, ...]) -> Any:
    node: Any = root
    for key in path[:-1]:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            raise HistoryConflict(
                f"The edit list has no {'/'.join(map(str, path))}.",
                "The undo history does not match the edits.",
            ) from None
    return node


def apply_op(root: dict[str, Any], op: Op) -> None:
    parent = _parent(root, op.path)
    key = op.path[-1]
    conflict = HistoryConflict(
        f"The edit list changed under the command at {'/'.join(map(str, op.path))}.",
        "The undo history does not match the edits.",
    )
    if isinstance(parent, dict) and isinstance(key, str):
        if not same(parent.get(key, ABSENT), op.old):
            raise conflict
        if op.new is ABSENT:
            del parent[key]
        else:
            parent[key] = clone(op.new)
    elif isinstance(parent, list) and isinstance(key, int):
        if op.old is ABSENT:
            if not 0 <= key <= len(parent):
                raise conflict
            if op.new is not ABSENT:
                parent.insert(key, clone(op.new))
        else:
            if not 0 <= key < len(parent) or not same(parent[key], op.old):
                raise conflict
            if op.new is ABSENT:
                del parent[key]
            else:
                parent[key] = clone(op.new)
    else:
        raise conflict


def apply_ops(root: dict[str, Any], ops: Sequence[Op]) -> None:
    """Apply ``ops`` in order; all or nothing (a conflict rolls back the ones applied)."""
    done: list[Op] = []
    try:
        for op in ops:
            apply_op(root, op)
            done.append(op)
    except BaseException:
        for op in reversed(done):
            apply_op(root, op.inverse())
        raise


def invert(ops: Sequence[Op]) -> list[Op]:
    return [op.inverse() for op in reversed(ops)]


def compress(ops: Sequence[Op]) -> list[Op]:
    """Fold consecutive ops on one dict path into one (used when coalescing typing)."""
    out: list[Op] = []
    for op in ops:
        if out and out[-1].path == op.path and not any(isinstance(k, int) for k in op.path):
            prev = out.pop()
            op = Op(op.path, prev.old, op.new)
        if not same_value(op.old, op.new):
            out.append(op)
    return out


def same_value(a: Any, b: Any) -> bool:
    if a is ABSENT or b is ABSENT:
        return a is b
    return same(a, b)


# -- change descriptors -------------------------------------------------------------------

TIMELINE_PARTS = frozenset({"trim", "cuts"})
STRUCTURE_PARTS = frozenset({"trim", "cuts", "deleted_steps", "merges", "splits"})


@dataclass(frozen=True)
class Change:
    """What a command, undo or redo changed: enough for a UI to refresh from one signal.

    ``action`` is ``do``, ``undo``, ``redo`` or ``steps`` (new derived steps).
    ``parts`` are the top-level keys of the edit list touched (``trim``, ``cuts``,
    ``labels``, ``deleted_steps``, ``merges``, ``splits``, ``task``, ``redactions``).
    """

    name: str
    action: str
    parts: frozenset[str] = frozenset()
    step_ids: frozenset[str] = frozenset()

    @classmethod
    def from_ops(cls, name: str, action: str, ops: Iterable[Op]) -> Change:
        parts: set[str] = set()
        steps: set[str] = set()
        for op in ops:
            top = op.path[0]
            parts.add(str(top))
            if top == "labels" and len(op.path) > 1:
                steps.add(str(op.path[1]))
            elif top in ("deleted_steps", "merges", "splits"):
                for value in (op.old, op.new):
                    steps.update(_step_refs(value))
        return cls(name, action, frozenset(parts), frozenset(steps))

    @property
    def empty(self) -> bool:
        return not self.parts and self.action != "steps"

    @property
    def timeline_changed(self) -> bool:
        return bool(self.parts & TIMELINE_PARTS)

    @property
    def steps_changed(self) -> bool:
        """The result's step list changed (not just labels): re-read it."""
        return bool(self.parts & STRUCTURE_PARTS) or self.action == "steps"

    @property
    def labels_changed(self) -> bool:
        return "labels" in self.parts or self.steps_changed

    @property
    def task_changed(self) -> bool:
        return "task" in self.parts

    @property
    def redactions_changed(self) -> bool:
        return "redactions" in self.parts


def _step_refs(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key in ("first", "second", "step"):
            if isinstance(value.get(key), str):
                yield value[key]
    elif isinstance(value, list):
        for v in value:
            yield from _step_refs(v)


# -- builders: trim and cuts ------------------------------------------------------------


def _check_time(name: str, t: Any, duration_us: int | None) -> int:
    if isinstance(t, bool) or not isinstance(t, int) or t < 0:
        raise EditError(f"The {name} must be a time of at least 0 µs, not {t!r}.")
    if duration_us is not None and t > duration_us:
        raise EditError(
            f"The {name} ({t / 1e6:.3f} s) is after the end of the recording "
            f"({duration_us / 1e6:.3f} s)."
        )
    return t


def _trim_command(edits: EditList, name: str, in_us: int | None, out_us: int | None,
                  duration_us: int | None) -> Command:
    if in_us is not None:
        _check_time("in point", in_us, duration_us)
    if out_us is not None:
        _check_time("out point", out_us, duration_us)
    # A trim to the very start or end is no trim: store null so it follows the recording.
    if in_us == 0:
        in_us = None
    if out_us is not None and duration_us is not None and out_us == duration_us:
        out_us = None
    lo = in_us or 0
    hi = out_us if out_us is not None else duration_us
    if hi is not None and lo >= hi:
        raise EditError(
            "The in point must be before the out point.",
            "Set the in point earlier or the out point later.",
        )
    new = {"in_us": in_us, "out_us": out_us}
    return Command(name, compress([Op(("trim",), edits.data["trim"], new)]))


def set_trim(edits: EditList, in_us: int | None, out_us: int | None, *,
             duration_us: int | None = None) -> Command:
    """Keep only ``[in_us, out_us)``; None means the start / end of the recording."""
    return _trim_command(edits, "Trim", in_us, out_us, duration_us)


def set_in_point(edits: EditList, t_us: int, *, duration_us: int | None = None) -> Command:
    return _trim_command(edits, "Set in point", t_us, edits.trim_out_us, duration_us)


def set_out_point(edits: EditList, t_us: int, *, duration_us: int | None = None) -> Command:
    return _trim_command(edits, "Set out point", edits.trim_in_us, t_us, duration_us)


def clear_trim(edits: EditList) -> Command:
    return _trim_command(edits, "Clear trim", None, None, None)


def _cuts_command(edits: EditList, name: str, new: list[tuple[int, int]]) -> Command:
    value = [{"start_us": a, "end_us": b} for a, b in new]
    return Command(name, compress([Op(("cuts",), edits.data["cuts"], value)]))


def cut(edits: EditList, start_us: int, end_us: int, *, duration_us: int | None = None,
        name: str = "Cut") -> Command:
    """Remove ``[start_us, end_us)`` from the result (merged with touching cuts)."""
    return cut_ranges(edits, [(start_us, end_us)], duration_us=duration_us, name=name)


def cut_ranges(edits: EditList, ranges: Iterable[tuple[int, int]], *,
               duration_us: int | None = None, name: str = "Cut") -> Command:
    """Remove several ranges at once (e.g. every pause: ``name="Cut pauses"``)."""
    new = [(c.start_us, c.end_us) for c in edits.cuts]
    for start_us, end_us in ranges:
        _check_time("start of the cut", start_us, None)
        _check_time("end of the cut", end_us, None)
        if duration_us is not None:
            start_us, end_us = min(start_us, duration_us), min(end_us, duration_us)
        if end_us <= start_us:
            raise EditError("A cut must end after it starts.",
                            "Select a range on the timeline first.")
        new.append((start_us, end_us))
    return _cuts_command(edits, name, normalize(new))


def restore_range(edits: EditList, start_us: int, end_us: int) -> Command:
    """Bring ``[start_us, end_us)`` back where cuts had removed it (trim is separate)."""
    if end_us <= start_us:
        raise EditError("The range to restore must end after it starts.")
    new = [(c.start_us, c.end_us) for c in edits.cuts]
    return _cuts_command(edits, "Restore range", subtract(new, (start_us, end_us)))


# -- builders: labels -----------------------------------------------------------------------


def _require_step(result: ApplyResult | None, step_id: str) -> ResultStep | None:
    if result is None:
        return None
    step = result.get(step_id)
    if step is None:
        raise EditError(f"There is no step {step_id!r} in this recording.",
                        "Re-open the step list; the steps may have been derived again.")
    return step


def _label_op(edits: EditList, step_id: str, new_label: dict[str, Any]) -> Op:
    old = edits.data["labels"].get(step_id, ABSENT)
    new: Any = new_label
    if all(same(new_label.get(k, v), v) for k, v in LABEL_DEFAULTS.items()) and (
        set(new_label) <= set(LABEL_DEFAULTS)
    ):
        new = ABSENT  # an empty label is no label: keep the file small
    return Op(("labels", step_id), old, new)


def _set_label_field(edits: EditList, step_id: str, key: str, value: Any, name: str,
                     merge_key: str | None, result: ApplyResult | None) -> Command:
    _require_step(result, step_id)
    label = {**LABEL_DEFAULTS, **edits.data["labels"].get(step_id, {})}
    label[key] = value
    return Command(name, compress([_label_op(edits, step_id, label)]), merge_key)


def _norm(text: str) -> str:
    return " ".join(text.split())


def similar(a: str, b: str) -> bool:
    """Two instructions are the same sentence reworked (not one replaced by another): at
    least half of their words match in order, case and punctuation aside."""
    wa = re.findall(r"\w+", a.casefold())
    wb = re.findall(r"\w+", b.casefold())
    return bool(wa and wb) and difflib.SequenceMatcher(None, wa, wb,
                                                       autojunk=False).ratio() >= 0.5


def instruction_origin(text: str, draft: str | None, previous_text: str = "",
                       previous_origin: str = "") -> str:
    """Where an instruction comes from: ``accepted`` (the draft as it is), ``edited`` (the
    draft reworked), ``written`` (the contributor's own), "" (no instruction).

    Without the draft at hand, an unchanged text keeps its origin and a reworked accepted
    or edited one becomes ``edited``."""
    if not text.strip():
        return ""
    if draft:
        if _norm(text) == _norm(draft):
            return ORIGIN_ACCEPTED
        return ORIGIN_EDITED if similar(text, draft) else ORIGIN_WRITTEN
    if previous_origin in ORIGINS and _norm(text) == _norm(previous_text):
        return previous_origin
    if previous_origin in (ORIGIN_ACCEPTED, ORIGIN_EDITED) and similar(text, previous_text):
        return ORIGIN_EDITED
    return ORIGIN_WRITTEN


def set_instruction(edits: EditList, step_id: str, text: str, *,
                    result: ApplyResult | None = None, draft: str | None = None) -> Command:
    """The step's instruction, with its origin (``draft``: the step's current draft, if
    any); consecutive typing in one step's field is one undo step."""
    if not isinstance(text, str):
        raise EditError("An instruction must be text.")
    _require_step(result, step_id)
    old = {**LABEL_DEFAULTS, **edits.data["labels"].get(step_id, {})}
    label = dict(old)
    label["instruction"] = text
    label["origin"] = instruction_origin(text, draft, old["instruction"], old["origin"])
    return Command("Edit instruction", compress([_label_op(edits, step_id, label)]),
                   f"instruction:{step_id}")


def accept_drafts(edits: EditList, drafts: Mapping[str, str], *,
                  result: ApplyResult | None = None, name: str = "Accept all drafts"
                  ) -> Command:
    """Make each step's draft its instruction (``origin`` ``accepted``), for the steps in
    ``drafts`` that have no instruction yet: the contributor's own text is never replaced."""
    ops: list[Op] = []
    for step_id, text in drafts.items():
        if not text or not text.strip():
            continue
        _require_step(result, step_id)
        old = {**LABEL_DEFAULTS, **edits.data["labels"].get(step_id, {})}
        if old["instruction"].strip():
            continue
        label = {**old, "instruction": text, "origin": ORIGIN_ACCEPTED}
        ops.append(_label_op(edits, step_id, label))
    return Command(name, ops)


def set_thought(edits: EditList, step_id: str, text: str, *,
                result: ApplyResult | None = None) -> Command:
    if not isinstance(text, str):
        raise EditError("A thought must be text.")
    return _set_label_field(edits, step_id, "thought", text, "Edit thought",
                            f"thought:{step_id}", result)


def set_mistake(edits: EditList, step_id: str, flag: bool, *,
                result: ApplyResult | None = None) -> Command:
    name = "Flag mistake" if flag else "Unflag mistake"
    return _set_label_field(edits, step_id, "mistake", bool(flag), name, None, result)


def set_redundant(edits: EditList, step_id: str, flag: bool, *,
                  result: ApplyResult | None = None) -> Command:
    name = "Flag redundant" if flag else "Unflag redundant"
    return _set_label_field(edits, step_id, "redundant", bool(flag), name, None, result)


def _combined_label(edits: EditList, first: str, second: str) -> dict[str, Any]:
    a, b = edits.label(first), edits.label(second)

    def join(x: str, y: str) -> str:
        return " ".join(s for s in (x.strip(), y.strip()) if s)

    origins = {x.instruction_origin for x in (a, b) if x.instruction.strip()}
    if not origins:
        origin = ""
    elif len(origins) == 1 and len([x for x in (a, b) if x.instruction.strip()]) == 1:
        origin = origins.pop()  # one half had an instruction: it keeps its origin
    elif origins == {ORIGIN_WRITTEN}:
        origin = ORIGIN_WRITTEN
    else:
        origin = ORIGIN_EDITED  # drafts joined (or a draft and words of one's own)
    return {
        "instruction": join(a.instruction, b.instruction),
        "thought": join(a.thought, b.thought),
        "mistake": a.mistake or b.mistake,
        # the merged step is redundant only if both halves were
        "redundant": a.redundant and b.redundant,
        "origin": origin,
    }


# -- builders: step structure ---------------------------------------------------------------


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def delete_step(edits: EditList, result: ApplyResult, step_id: str) -> Command:
    """Drop a step from the result (its labels stay, in case it is restored)."""
    step = _require_step(result, step_id)
    assert step is not None
    if edits.is_deleted(step_id):
        raise EditError(f"Step {step_id!r} is already deleted.")
    n = len(edits.data["deleted_steps"])
    return Command("Delete step", [Op(("deleted_steps", n), ABSENT, step_id)])


def delete_steps(edits: EditList, result: ApplyResult, step_ids: Iterable[str]) -> Command:
    ops: list[Op] = []
    n = len(edits.data["deleted_steps"])
    for sid in dict.fromkeys(step_ids):
        _require_step(result, sid)
        if not edits.is_deleted(sid):
            ops.append(Op(("deleted_steps", n), ABSENT, sid))
            n += 1
    return Command("Delete steps" if len(ops) > 1 else "Delete step", ops)


def restore_step(edits: EditList, step_id: str) -> Command:
    ids = edits.data["deleted_steps"]
    if step_id not in ids:
        raise EditError(f"Step {step_id!r} is not deleted.")
    i = ids.index(step_id)
    return Command("Restore step", [Op(("deleted_steps", i), step_id, ABSENT)])


def _live_neighbours(edits: EditList, result: ApplyResult, first: str, second: str) -> bool:
    """``second`` follows ``first`` with nothing but deleted steps between them."""
    ids = [s.id for s in result.all_steps]
    i, j = ids.index(first), ids.index(second)
    if j <= i:
        return False
    deleted = set(edits.data["deleted_steps"])
    return all(sid in deleted for sid in ids[i + 1:j])


def merge_steps(edits: EditList, result: ApplyResult, first_id: str, second_id: str) -> Command:
    """Merge two adjacent steps into one (the merged step keeps the first one's id).

    Their labels are combined into the merged step's label.  Two neighbouring parts of a
    split typing burst are joined back by removing the split instead.
    """
    a, b = _require_step(result, first_id), _require_step(result, second_id)
    assert a is not None and b is not None
    order = {s.id: i for i, s in enumerate(result.all_steps)}
    if order[a.id] > order[b.id]:
        a, b = b, a
    for s in (a, b):
        if edits.is_deleted(s.id):
            raise EditError(f"Step {s.id!r} is deleted and cannot be merged.",
                            "Restore it first.")
    if a.id == b.id or not _live_neighbours(edits, result, a.id, b.id):
        raise EditError("Only two neighbouring steps can be merged.",
                        "Select two steps next to each other in the step list.")
    ops: list[Op] = []
    if (a.split_of is not None and a.split_of == b.split_of and len(a.parts) == 1 == len(b.parts)
            and a.text_offset + len(a.text or "") == b.text_offset):
        # b starts right where a split cut the burst: remove that split.
        idx = next(i for i, s in enumerate(edits.data["splits"])
                   if s["step"] == b.split_of and s["offset"] == b.text_offset)
        ops.append(Op(("splits", idx), edits.data["splits"][idx], ABSENT))
    else:
        n = len(edits.data["merges"])
        record = {"id": new_id("merge"), "first": a.id, "second": b.id}
        ops.append(Op(("merges", n), ABSENT, record))
    if b.id in edits.data["labels"]:
        ops.append(_label_op(edits, a.id, _combined_label(edits, a.id, b.id)))
        ops.append(Op(("labels", b.id), edits.data["labels"][b.id], ABSENT))
    return Command("Merge steps", [op for op in ops if not same_value(op.old, op.new)])


def unmerge(edits: EditList, step_id: str) -> Command:
    """Undo the last merge into ``step_id`` (its combined label stays on ``step_id``)."""
    merges = edits.data["merges"]
    for i in range(len(merges) - 1, -1, -1):
        if merges[i]["first"] == step_id:
            later = [m for m in merges[i + 1:] if merges[i]["second"] in (m["first"],
                                                                          m["second"])]
            if later:
                raise EditError("This step was merged again since; unmerge that first.")
            return Command("Unmerge steps", [Op(("merges", i), merges[i], ABSENT)])
    raise EditError(f"Step {step_id!r} is not a merged step.")


def split_point(step: Any, offset: int, events: Mapping[int, Mapping[str, Any]] | None
                ) -> tuple[int, int | None]:
    """Time and first raw event id of the character at ``offset`` of a typed burst.

    Replays the step's key presses (backspace deletes the last character) to find the
    event that typed the ``offset``-th character of the step's final text.  Without events,
    or if the replay does not give the step's text, the time is interpolated.
    """
    text = _get(step, "text") or ""
    t0, t1 = int(_get(step, "t_start_us")), int(_get(step, "t_end_us"))
    raw_ids = sorted(int(i) for i in (_get(step, "raw_event_ids") or ()))
    if events is not None:
        typed: list[tuple[str, Mapping[str, Any]]] = []
        for eid in raw_ids:
            ev = events.get(eid)
            if not ev or ev.get("kind") != "key_down":
                continue
            if ev.get("key") == "backspace":
                if typed:
                    typed.pop()
            elif ev.get("char"):
                typed.append((ev["char"], ev))
        if "".join(c for c, _ in typed) == text and offset < len(typed):
            ev = typed[offset][1]
            return max(t0, min(t1, int(ev["t"]))), int(ev["id"])
    at = t0 + (t1 - t0) * offset // max(1, len(text))
    event_id = raw_ids[len(raw_ids) * offset // max(1, len(text))] if raw_ids else None
    return at, event_id


def split_typing(edits: EditList, result: ApplyResult, step_id: str, offset: int, *,
                 events: Mapping[int, Mapping[str, Any]] | None = None) -> Command:
    """Split a typed burst before character ``offset`` of the (part's) text.

    The text is never rewritten: the two parts hold exactly the characters typed.
    ``events`` (raw events by id) place the split at the key press of that character.
    """
    step = _require_step(result, step_id)
    assert step is not None
    if len(step.parts) > 1:
        raise EditError("This step is merged; unmerge it before splitting.")
    if step.type != "type" or step.text is None:
        raise EditError("Only a typing step can be split.")
    if isinstance(offset, bool) or not isinstance(offset, int) or not (
        0 < offset < len(step.text)
    ):
        raise EditError(
            f"A split must fall between two characters (1 to {len(step.text) - 1}), "
            f"not at {offset!r}."
        )
    source = step.parts[0].source
    base = step.split_of or step.id
    absolute = step.text_offset + offset
    if any(s["step"] == base and s["offset"] == absolute for s in edits.data["splits"]):
        raise EditError("The typing is already split there.")
    at_us, event_id = split_point(source, absolute, events)
    record = {
        "id": new_id("split"),
        "step": base,
        "offset": absolute,
        "at_us": at_us,
        "event_id": event_id,
        "text_len": len(_get(source, "text") or ""),
    }
    n = len(edits.data["splits"])
    return Command("Split typing", [Op(("splits", n), ABSENT, record)])


def unsplit(edits: EditList, part: str) -> Command:
    """Join a split part (``"s7@5"``) back to the part before it."""
    for i, s in enumerate(edits.data["splits"]):
        if part_id(s["step"], s["offset"]) == part:
            if part in edits.data["deleted_steps"] or any(
                part in (m["first"], m["second"]) for m in edits.data["merges"]
            ):
                raise EditError("This part is deleted or merged; restore or unmerge it first.")
            ops = [Op(("splits", i), s, ABSENT)]
            if part in edits.data["labels"]:
                before = _part_before(edits, s["step"], s["offset"])
                ops.append(_label_op(edits, before, _combined_label(edits, before, part)))
                ops.append(Op(("labels", part), edits.data["labels"][part], ABSENT))
            return Command("Join typing", [op for op in ops if not same_value(op.old, op.new)])
    raise EditError(f"{part!r} is not a split part of a typing step.")


def _part_before(edits: EditList, step: str, offset: int) -> str:
    earlier = [s["offset"] for s in edits.data["splits"] if s["step"] == step
               and s["offset"] < offset]
    return part_id(step, max(earlier, default=0))


# -- builders: task -----------------------------------------------------------------------


def _task_op(edits: EditList, key: str, value: Any) -> list[Op]:
    return compress([Op(("task", key), edits.data["task"][key], value)])


def set_goal(edits: EditList, text: str) -> Command:
    if not isinstance(text, str):
        raise EditError("The task goal must be text.")
    return Command("Edit goal", _task_op(edits, "goal", text), "task:goal")


def set_outcome(edits: EditList, outcome: str | None) -> Command:
    if outcome is not None and outcome not in OUTCOMES:
        raise EditError(f"The outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}.")
    return Command("Set outcome", _task_op(edits, "outcome", outcome))


def _clean_names(values: Iterable[str], what: str) -> list[str]:
    out: list[str] = []
    for v in values:
        if not isinstance(v, str):
            raise EditError(f"Each of the {what} must be text, not {v!r}.")
        v = v.strip()
        if v and v not in out:
            out.append(v)
    return out


def set_applications(edits: EditList, applications: Iterable[str]) -> Command:
    apps = _clean_names(applications, "applications")
    return Command("Set applications", _task_op(edits, "applications", apps))


def set_tags(edits: EditList, tags: Iterable[str]) -> Command:
    return Command("Edit tags", _task_op(edits, "tags", _clean_names(tags, "tags")))


def add_tag(edits: EditList, tag: str) -> Command:
    return Command("Add tag", set_tags(edits, [*edits.task.tags, tag]).ops)


def remove_tag(edits: EditList, tag: str) -> Command:
    return Command("Remove tag", set_tags(edits, [t for t in edits.task.tags if t != tag]).ops)


def set_difficulty(edits: EditList, difficulty: int | None) -> Command:
    if difficulty is not None and (
        isinstance(difficulty, bool) or not isinstance(difficulty, int)
        or not DIFFICULTY_MIN <= difficulty <= DIFFICULTY_MAX
    ):
        raise EditError(f"The difficulty must be {DIFFICULTY_MIN} to {DIFFICULTY_MAX}, or unset.")
    return Command("Set difficulty", _task_op(edits, "difficulty", difficulty))


# -- builders: orphans --------------------------------------------------------------------


def discard_orphans(edits: EditList, orphans: Iterable[Orphan]) -> Command:
    """Remove edits that refer to steps that no longer exist (see ApplyResult.orphans)."""
    ops: list[Op] = []
    data = clone(edits.data)  # follow list positions as items are removed
    for orphan in orphans:
        if orphan.kind == "label" and orphan.ref in data["labels"]:
            op = Op(("labels", orphan.ref), data["labels"][orphan.ref], ABSENT)
        elif orphan.kind == "delete" and orphan.ref in data["deleted_steps"]:
            i = data["deleted_steps"].index(orphan.ref)
            op = Op(("deleted_steps", i), orphan.ref, ABSENT)
        elif orphan.kind in ("merge", "split"):
            key = orphan.kind + "s"
            i = next((i for i, r in enumerate(data[key]) if r["id"] == orphan.ref), None)
            if i is None:
                continue
            op = Op((key, i), data[key][i], ABSENT)
        else:
            continue
        apply_op(data, op)
        ops.append(op)
    return Command("Discard orphaned edits", ops)


def _get(obj: Any, key: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)
