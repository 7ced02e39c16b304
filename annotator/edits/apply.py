"""Apply an edit list to derived steps: the result a reviewer would get.

Order (each stage sees the previous one's output):

1. splits of typing bursts, per derived step, at character offsets;
2. merges, in the order they were made (two steps merge when nothing but deleted steps
   lies between them; the merged step keeps the first one's id);
3. deletions, by id;
4. labels, by id;
5. trim and cuts: a step leaves the result unless its whole span lies in one kept range
   (status ``removed``, or ``cut_through`` when it is partly kept), and kept steps are
   re-timed onto the result timeline.

An edit that refers to a step that no longer exists (after steps were derived again), or
that cannot apply any more (steps no longer adjacent, typed text changed), is reported in
``ApplyResult.orphans`` and kept in the edit list: never dropped silently.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from annotator.edits.model import EditList, Label, part_id
from annotator.edits.timeline import CUT_THROUGH, KEPT, REMOVED, Timeline

DELETED = "deleted"
STATUSES = (KEPT, DELETED, REMOVED, CUT_THROUGH)


@dataclass(frozen=True)
class Part:
    """A piece of a derived step: the whole step, or one part of a split typing burst."""

    id: str
    source_id: str
    type: str
    text: str | None
    t_start_us: int
    t_end_us: int
    text_offset: int
    raw_event_ids: tuple[int, ...]
    source: Any = field(repr=False, compare=False)


@dataclass(slots=True)
class ResultStep:
    """One step after editing.

    ``t_start_us``/``t_end_us`` are on the result timeline (for steps that left the result,
    where it would have been); ``orig_*`` are on the recording's clock.
    """

    id: str
    type: str
    text: str | None
    t_start_us: int
    t_end_us: int
    orig_t_start_us: int
    orig_t_end_us: int
    raw_event_ids: list[int]
    status: str
    label: Label
    parts: tuple[Part, ...]
    split_of: str | None = None  # derived step id, when this is one part of a split burst
    text_offset: int = 0  # where this part's text starts in the derived step's text
    index: int | None = None  # position among the kept steps

    @property
    def kept(self) -> bool:
        return self.status == KEPT

    @property
    def merged(self) -> bool:
        return len(self.parts) > 1

    @property
    def source_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.source_id for p in self.parts))

    @property
    def sources(self) -> tuple[Any, ...]:
        """The derived step objects this step was made from (for fields edits ignore)."""
        seen: dict[str, Any] = {}
        for p in self.parts:
            seen.setdefault(p.source_id, p.source)
        return tuple(seen.values())


@dataclass(frozen=True)
class Orphan:
    """An edit that no longer applies.  ``ref`` is the step id (label, delete) or the
    record id (merge, split); ``reason`` is a sentence for the user."""

    kind: str  # label | delete | merge | split
    ref: str
    step_ids: tuple[str, ...]
    reason: str


@dataclass
class ApplyResult:
    steps: list[ResultStep]  # kept steps, in order, re-timed
    all_steps: list[ResultStep]  # every step after splits and merges, with its status
    orphans: list[Orphan]
    timeline: Timeline
    _by_id: dict[str, ResultStep] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {s.id: s for s in self.all_steps}

    def get(self, step_id: str) -> ResultStep | None:
        return self._by_id.get(step_id)

    def __getitem__(self, step_id: str) -> ResultStep:
        return self._by_id[step_id]

    def with_status(self, status: str) -> list[ResultStep]:
        return [s for s in self.all_steps if s.status == status]


def _as_part(step: Any) -> Part:
    # dict.get or getattr, chosen once per step (isinstance(x, Mapping) is slow)
    get: Callable[..., Any]
    if isinstance(step, dict) or isinstance(step, Mapping):
        get = step.get
    else:
        def get(key: str, default: Any = None) -> Any:
            return getattr(step, key, default)
    sid = get("id")
    if sid is None:
        raise ValueError(f"step without an id: {step!r}")
    start: Any = get("t_start_us")  # a step without one is malformed: int(None) says so
    t0 = int(start)
    t1 = max(t0, int(get("t_end_us", t0)))
    return Part(
        id=str(sid), source_id=str(sid), type=str(get("type", "")),
        text=get("text"), t_start_us=t0, t_end_us=t1, text_offset=0,
        raw_event_ids=tuple(get("raw_event_ids") or ()),
        source=step,
    )


@dataclass
class _Work:
    id: str
    parts: list[Part]
    split_of: str | None = None
    text_offset: int = 0


def _split(p: Part, records: list[Any], orphans: list[Orphan]) -> list[_Work]:
    valid, offsets = [], set()
    for rec in records:
        reason = None
        if p.type != "type" or p.text is None:
            reason = "the step is no longer a typing step"
        elif rec.text_len is not None and rec.text_len != len(p.text):
            reason = "the step's typed text changed since it was split"
        elif not 0 < rec.offset < len(p.text):
            reason = "the split falls outside the step's typed text"
        elif rec.offset in offsets:
            reason = "the step is already split there"
        if reason:
            orphans.append(Orphan("split", rec.id, (p.id,), reason))
        else:
            offsets.add(rec.offset)
            valid.append(rec)
    if not valid:
        return [_Work(p.id, [p])]
    assert p.text is not None
    valid.sort(key=lambda r: r.offset)
    # (offset, time, first raw event id) of each part; times kept in order and in the step
    bounds: list[tuple[int, int, int | None]] = [(0, p.t_start_us, None)]
    for rec in valid:
        at = rec.at_us if rec.at_us is not None else (
            p.t_start_us + (p.t_end_us - p.t_start_us) * rec.offset // len(p.text))
        at = max(bounds[-1][1], min(p.t_end_us, at))
        event_id = rec.event_id if rec.event_id is not None else bounds[-1][2]
        bounds.append((rec.offset, at, event_id))
    out = []
    for k, (off, at, eid) in enumerate(bounds):
        end_off, end_at, end_eid = (
            bounds[k + 1] if k + 1 < len(bounds) else (len(p.text), p.t_end_us, None)
        )
        ids = tuple(i for i in p.raw_event_ids
                    if (k == 0 or eid is None or i >= eid)
                    and (end_eid is None or i < end_eid))
        pid = part_id(p.id, off)
        part = Part(pid, p.id, p.type, p.text[off:end_off], at, end_at, off, ids, p.source)
        out.append(_Work(pid, [part], split_of=p.id, text_offset=off))
    return out


def _merged_type(parts: Iterable[Part]) -> str:
    types = list(dict.fromkeys(p.type for p in parts))
    return types[0] if len(types) == 1 else "+".join(types)


def _merged_text(parts: list[Part]) -> str | None:
    if all(p.text is None for p in parts):
        return None
    return "".join(p.text or "" for p in parts)


def apply_edits(steps: Iterable[Any], edits: EditList, *,
                duration_us: int | None = None) -> ApplyResult:
    """Apply ``edits`` to derived ``steps`` (dicts or objects with ``id``, ``t_start_us``,
    ``t_end_us``, ``type``, ``text``, ``raw_event_ids``), in the order they apply: splits,
    merges, deletions and labels, then the trim and cuts that re-time what is left.

    ``duration_us`` is the recording's duration (manifest ``duration_us``); without it the
    latest step end, trim or cut end stands in for it.
    """
    indexed = [(_as_part(s), i) for i, s in enumerate(steps)]
    indexed.sort(key=lambda x: (x[0].t_start_us, x[1]))
    raw = [p for p, _ in indexed]
    known = {p.id for p in raw}
    if len(known) != len(raw):
        raise ValueError("derived steps have duplicate ids")
    orphans: list[Orphan] = []
    work = _apply_splits(raw, known, edits, orphans)
    deleted = set(edits.data["deleted_steps"])
    absorbed = _apply_merges(work, edits, deleted, orphans)
    _report_unmatched(work, edits, absorbed, orphans)

    if duration_us is None:
        ends = [p.t_end_us for p in raw]
        ends += [c.end_us for c in edits.cuts]
        ends += [t for t in (edits.trim_in_us, edits.trim_out_us) if t is not None]
        duration_us = max(ends, default=0)
    timeline = Timeline.from_edits(edits, duration_us)

    all_steps: list[ResultStep] = []
    kept: list[ResultStep] = []
    labels = edits.data["labels"]
    for w in work:
        step = _result_step(w, timeline, DELETED if w.id in deleted else None,
                            labels.get(w.id))
        if step.status == KEPT:
            step.index = len(kept)
            kept.append(step)
        all_steps.append(step)
    return ApplyResult(kept, all_steps, orphans, timeline)


def _apply_splits(raw: list[Part], known: set[str], edits: EditList,
                  orphans: list[Orphan]) -> list[_Work]:
    """The steps with their typing split where the splits say; a split of a step that no
    longer exists is reported."""
    by_step: dict[str, list[Any]] = defaultdict(list)
    for rec in edits.splits:
        if rec.step in known:
            by_step[rec.step].append(rec)
        else:
            orphans.append(Orphan("split", rec.id, (rec.step,),
                                  f"step {rec.step} no longer exists"))
    work: list[_Work] = []
    for p in raw:
        work.extend(_split(p, by_step[p.id], orphans) if p.id in by_step else [_Work(p.id, [p])])
    return work


def _apply_merges(work: list[_Work], edits: EditList, deleted: set[str],
                  orphans: list[Orphan]) -> dict[str, str]:
    """Merge neighbours in ``work`` (in place; deleted steps between them do not count);
    returns which step each absorbed step went into."""
    absorbed: dict[str, str] = {}
    for merge in edits.merges:
        pos = {w.id: i for i, w in enumerate(work)}
        missing = [s for s in (merge.first, merge.second) if s not in pos]
        if missing:
            orphans.append(Orphan("merge", merge.id, (merge.first, merge.second),
                                  _missing_reason(missing[0], absorbed)))
            continue
        i, j = pos[merge.first], pos[merge.second]
        if j <= i or any(work[k].id not in deleted for k in range(i + 1, j)):
            orphans.append(Orphan("merge", merge.id, (merge.first, merge.second),
                                  f"steps {merge.first} and {merge.second} are no longer neighbours"))
            continue
        work[i] = _Work(merge.first, work[i].parts + work[j].parts)
        del work[j]
        absorbed[merge.second] = merge.first
    return absorbed


def _missing_reason(sid: str, absorbed: dict[str, str]) -> str:
    return (f"step {sid} was merged into {absorbed[sid]}" if sid in absorbed
            else f"step {sid} no longer exists")


def _report_unmatched(work: list[_Work], edits: EditList, absorbed: dict[str, str],
                      orphans: list[Orphan]) -> None:
    """Deletions and labels of steps that are no longer there, as orphans."""
    ids = {w.id for w in work}
    for sid in edits.data["deleted_steps"]:
        if sid not in ids:
            orphans.append(Orphan("delete", sid, (sid,), _missing_reason(sid, absorbed)))
    for sid in edits.data["labels"]:
        if sid not in ids:
            orphans.append(Orphan("label", sid, (sid,), _missing_reason(sid, absorbed)))


_NO_LABEL = Label()


def _result_step(w: _Work, timeline: Timeline, status: str | None,
                 label: dict[str, Any] | None) -> ResultStep:
    """One step of the result, re-timed on ``timeline``; ``status`` is DELETED or None (then
    the timeline tells whether it is kept, cut through or removed)."""
    parts = w.parts
    if len(parts) == 1:  # the common case, kept cheap for long recordings
        p = parts[0]
        t0, t1, kind, text = p.t_start_us, p.t_end_us, p.type, p.text
        raw_ids = sorted(p.raw_event_ids)
    else:
        t0 = min(p.t_start_us for p in parts)
        t1 = max(p.t_end_us for p in parts)
        kind, text = _merged_type(parts), _merged_text(parts)
        raw_ids = sorted({i for p in parts for i in p.raw_event_ids})
    r0 = timeline.to_result_clamped(t0)
    return ResultStep(
        id=w.id,
        type=kind,
        text=text,
        t_start_us=r0,
        t_end_us=max(r0, timeline.to_result_clamped(t1)),
        orig_t_start_us=t0,
        orig_t_end_us=t1,
        raw_event_ids=raw_ids,
        status=status or timeline.classify(t0, t1),
        label=Label.from_json(label) if label else _NO_LABEL,
        parts=tuple(parts),
        split_of=w.split_of,
        text_offset=w.text_offset,
    )


__all__ = [
    "CUT_THROUGH", "DELETED", "KEPT", "REMOVED", "STATUSES", "ApplyResult", "Orphan", "Part",
    "ResultStep", "apply_edits",
]
