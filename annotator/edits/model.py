"""The edit list: everything the contributor changed, as plain JSON data over the recording.

The recording itself is never modified.  The edit list says what to keep (trim, cuts), how
steps are restructured (deleted, merged, split), how each step is labelled, and what the
task was.  It is a JSON object (see docs/edits-format.md), held here in ``EditList.data``
and changed only through commands (``commands.py``), so that every change is undoable.

Step references are step ids (strings from step derivation), never list positions, so
that edits survive re-deriving the steps.  Derived ids of restructured steps:

- a split part keeps the id of the step it was split from for its first part, and the
  later parts are ``"<step id>@<character offset>"`` (e.g. ``"s7@5"``);
- a merged step takes the id of its first step (the second one is absorbed).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from annotator.edits.errors import EditsFormatError, NewerEditsError

SCHEMA_VERSION = 1

OUTCOMES = ("success", "failure", "infeasible", "abandoned")
DIFFICULTY_MIN, DIFFICULTY_MAX = 1, 5
# Where a step's instruction came from: the contributor accepted the drafter's proposal as
# it was, started from it and changed it, or wrote their own.  "" with no instruction; an
# instruction stored without an origin (edit files made before drafts) was written.
ORIGIN_ACCEPTED = "accepted"
ORIGIN_EDITED = "edited"
ORIGIN_WRITTEN = "written"
ORIGINS = (ORIGIN_ACCEPTED, ORIGIN_EDITED, ORIGIN_WRITTEN)
LABEL_DEFAULTS: dict[str, Any] = {
    "instruction": "",
    "thought": "",
    "mistake": False,
    "redundant": False,
    "origin": "",
}
TASK_DEFAULTS: dict[str, Any] = {
    "goal": "",
    "outcome": None,
    "applications": [],
    "tags": [],
    "difficulty": None,
}
SPLIT_SEPARATOR = "@"


def empty_edit_list() -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "trim": {"in_us": None, "out_us": None},
        "cuts": [],
        "labels": {},
        "deleted_steps": [],
        "merges": [],
        "splits": [],
        "task": clone(TASK_DEFAULTS),
        "redactions": [],
    }


def clone(value: Any) -> Any:
    """A deep copy of JSON data (faster than copy.deepcopy for dict/list/scalars)."""
    if isinstance(value, dict):
        return {k: clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clone(v) for v in value]
    return value


def same(a: Any, b: Any) -> bool:
    """JSON equality that tells ``True`` from ``1`` (Python's ``==`` does not)."""
    if type(a) is not type(b):
        if isinstance(a, bool) or isinstance(b, bool):
            return False
        if isinstance(a, int | float) and isinstance(b, int | float):
            return a == b
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


# -- typed read-only views ----------------------------------------------------------------


@dataclass(frozen=True)
class Label:
    instruction: str = ""
    thought: str = ""
    mistake: bool = False
    redundant: bool = False
    origin: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Label:
        if not data:
            return cls()
        return cls(
            instruction=data.get("instruction", ""),
            thought=data.get("thought", ""),
            mistake=bool(data.get("mistake", False)),
            redundant=bool(data.get("redundant", False)),
            origin=data.get("origin", ""),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "instruction": self.instruction,
            "thought": self.thought,
            "mistake": self.mistake,
            "redundant": self.redundant,
            "origin": self.origin,
        }

    @property
    def instruction_origin(self) -> str:
        """``accepted``, ``edited`` or ``written``; "" when there is no instruction."""
        if not self.instruction.strip():
            return ""
        return self.origin if self.origin in ORIGINS else ORIGIN_WRITTEN

    @property
    def is_empty(self) -> bool:
        return self == Label()


@dataclass(frozen=True)
class Range:
    """A half-open time range ``[start_us, end_us)`` on the recording's clock."""

    start_us: int
    end_us: int

    @property
    def duration_us(self) -> int:
        return self.end_us - self.start_us


@dataclass(frozen=True)
class Merge:
    id: str
    first: str
    second: str


@dataclass(frozen=True)
class Split:
    id: str
    step: str
    offset: int
    at_us: int | None
    event_id: int | None
    text_len: int | None

    @property
    def part_id(self) -> str:
        return part_id(self.step, self.offset)


@dataclass(frozen=True)
class Task:
    goal: str = ""
    outcome: str | None = None
    applications: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    difficulty: int | None = None


def part_id(step_id: str, offset: int) -> str:
    """The id of the split part of ``step_id`` that starts at character ``offset``."""
    return step_id if offset == 0 else f"{step_id}{SPLIT_SEPARATOR}{offset}"


class EditList:
    """The edit list of one recording.

    ``data`` is the JSON object itself.  Read it through the typed properties; change it
    only through commands (``UndoHistory.execute``), never in place, or undo breaks.
    """

    __slots__ = ("data",)

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        self.data: dict[str, Any] = empty_edit_list() if data is None else data

    # -- (de)serialization -----------------------------------------------------------
    @classmethod
    def from_json(cls, data: Any) -> EditList:
        """Validate ``data`` (upgrading older schema versions) and wrap a copy of it."""
        return cls(upgrade(clone(data)))

    def to_json(self) -> dict[str, Any]:
        return cast(dict[str, Any], clone(self.data))

    def copy(self) -> EditList:
        return EditList(clone(self.data))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EditList) and same(self.data, other.data)

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"EditList({self.data!r})"

    # -- views ---------------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return int(self.data["schema_version"])

    @property
    def trim_in_us(self) -> int | None:
        return cast(int | None, self.data["trim"]["in_us"])

    @property
    def trim_out_us(self) -> int | None:
        return cast(int | None, self.data["trim"]["out_us"])

    @property
    def cuts(self) -> list[Range]:
        return [Range(c["start_us"], c["end_us"]) for c in self.data["cuts"]]

    def label(self, step_id: str) -> Label:
        return Label.from_json(self.data["labels"].get(step_id))

    @property
    def labels(self) -> dict[str, Label]:
        return {k: Label.from_json(v) for k, v in self.data["labels"].items()}

    @property
    def deleted_steps(self) -> list[str]:
        return list(self.data["deleted_steps"])

    def is_deleted(self, step_id: str) -> bool:
        return step_id in self.data["deleted_steps"]

    @property
    def merges(self) -> list[Merge]:
        return [Merge(m["id"], m["first"], m["second"]) for m in self.data["merges"]]

    @property
    def splits(self) -> list[Split]:
        return [
            Split(s["id"], s["step"], s["offset"], s.get("at_us"), s.get("event_id"),
                  s.get("text_len"))
            for s in self.data["splits"]
        ]

    @property
    def task(self) -> Task:
        t = self.data["task"]
        return Task(
            goal=t["goal"],
            outcome=t["outcome"],
            applications=tuple(t["applications"]),
            tags=tuple(t["tags"]),
            difficulty=t["difficulty"],
        )

    @property
    def redactions(self) -> list[dict[str, Any]]:
        """Redactions as stored; their schema is defined by the redaction code."""
        return cast(list[dict[str, Any]], clone(self.data["redactions"]))

    def step_ids_referenced(self) -> Iterator[str]:
        yield from self.data["labels"]
        yield from self.data["deleted_steps"]
        for m in self.data["merges"]:
            yield m["first"]
            yield m["second"]
        for s in self.data["splits"]:
            yield s["step"]


# -- validation and upgrades ------------------------------------------------------------


def check_version(data: Any, what: str = "The edit list") -> int:
    if not isinstance(data, dict):
        raise EditsFormatError(f"{what} is not a JSON object.")
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise EditsFormatError(f"{what} has an invalid schema_version {version!r}.")
    if version > SCHEMA_VERSION:
        raise NewerEditsError(
            f"{what} is of schema version {version}, but this annotator reads edit "
            f"schema versions up to {SCHEMA_VERSION}.",
            "Update annotator to open these edits; they were left untouched.",
        )
    return version


def upgrade(data: Any) -> dict[str, Any]:
    """Validate an edit list and bring an older schema version up to the current one.

    Missing sections get their defaults; unknown keys are kept (a newer minor addition or
    a hand edit is not thrown away).  Raises EditsFormatError or NewerEditsError.
    """
    check_version(data)
    # Each future schema change adds one upgrade step here (version N -> N+1).
    data["schema_version"] = SCHEMA_VERSION
    defaults = empty_edit_list()
    for key, value in defaults.items():
        data.setdefault(key, value)
    if isinstance(data["task"], dict):
        for key, value in TASK_DEFAULTS.items():
            data["task"].setdefault(key, clone(value))
    problems = list(_problems(data))
    if problems:
        raise EditsFormatError(
            "The edit list is not valid: " + "; ".join(problems[:5])
            + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "") + "."
        )
    return cast(dict[str, Any], data)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _opt_time(v: Any) -> bool:
    return v is None or (_is_int(v) and v >= 0)


def _problems(d: dict[str, Any]) -> Iterator[str]:
    trim = d["trim"]
    if not isinstance(trim, dict) or not _opt_time(trim.get("in_us")) or not _opt_time(
        trim.get("out_us")
    ):
        yield "trim must be {in_us, out_us} with non-negative integers or null"
    elif trim["in_us"] is not None and trim["out_us"] is not None and (
        trim["in_us"] >= trim["out_us"]
    ):
        yield "trim in_us must be before out_us"
    if not isinstance(d["cuts"], list):
        yield "cuts must be a list"
    else:
        for c in d["cuts"]:
            if not (isinstance(c, dict) and _is_int(c.get("start_us")) and _is_int(c.get("end_us"))
                    and 0 <= c["start_us"] < c["end_us"]):
                yield f"bad cut {c!r}"
    if not isinstance(d["labels"], dict):
        yield "labels must be an object keyed by step id"
    else:
        for sid, lab in d["labels"].items():
            if not isinstance(lab, dict):
                yield f"label of {sid!r} is not an object"
                continue
            for key, default in LABEL_DEFAULTS.items():
                if key in lab and type(lab[key]) is not type(default):
                    yield f"label of {sid!r}: {key} must be a {type(default).__name__}"
            if lab.get("origin", "") not in ("", *ORIGINS):
                yield f"label of {sid!r}: origin must be one of {', '.join(ORIGINS)} or empty"
    if not isinstance(d["deleted_steps"], list) or not all(
        isinstance(s, str) for s in d["deleted_steps"]
    ):
        yield "deleted_steps must be a list of step ids"
    if not isinstance(d["merges"], list):
        yield "merges must be a list"
    else:
        for m in d["merges"]:
            if not (isinstance(m, dict) and all(isinstance(m.get(k), str)
                                                for k in ("id", "first", "second"))):
                yield f"bad merge {m!r}"
    if not isinstance(d["splits"], list):
        yield "splits must be a list"
    else:
        for s in d["splits"]:
            if not (isinstance(s, dict) and isinstance(s.get("id"), str)
                    and isinstance(s.get("step"), str) and _is_int(s.get("offset"))
                    and s["offset"] > 0 and _opt_time(s.get("at_us"))
                    and (s.get("event_id") is None or _is_int(s.get("event_id")))
                    and (s.get("text_len") is None or _is_int(s.get("text_len")))):
                yield f"bad split {s!r}"
    t = d["task"]
    if not isinstance(t, dict):
        yield "task must be an object"
    else:
        if not isinstance(t["goal"], str):
            yield "task goal must be a string"
        if t["outcome"] is not None and t["outcome"] not in OUTCOMES:
            yield f"task outcome must be one of {', '.join(OUTCOMES)} or null"
        for key in ("applications", "tags"):
            if not isinstance(t[key], list) or not all(isinstance(x, str) for x in t[key]):
                yield f"task {key} must be a list of strings"
        diff = t["difficulty"]
        if diff is not None and not (_is_int(diff) and DIFFICULTY_MIN <= diff <= DIFFICULTY_MAX):
            yield f"task difficulty must be {DIFFICULTY_MIN}..{DIFFICULTY_MAX} or null"
    if not isinstance(d["redactions"], list) or not all(
        isinstance(r, dict) for r in d["redactions"]
    ):
        yield "redactions must be a list of objects"
