"""A draft: the instruction the drafter proposes for one step, and what it is based on.

Drafts are derived data (like ``steps.json``): made again from the recording whenever their
inputs change, never edited.  The contributor's instruction lives in the edit list; a draft
becomes an instruction only when the contributor accepts it (``origin`` ``accepted``) or
starts from it (``edited``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Bump whenever a rule or a phrase changes what the drafter writes for the same input.
DRAFTER_VERSION = 3
DRAFTER_ID = f"annotator-drafter/{DRAFTER_VERSION}"

# Where a target's name came from, most trusted first.
SOURCE_A11Y = "a11y"  # the accessibility element's own name
SOURCE_A11Y_LABEL = "a11y-label"  # the element it is labelled by
SOURCE_A11Y_PARENT = "a11y-parent"  # its parent (a label inside a button...)
SOURCE_OCR = "ocr"  # the words under the pointer
SOURCE_OCR_LABEL = "ocr-label"  # the label beside an input field, read by OCR
SOURCE_NONE = "none"  # not named: a position-based draft (weak)


@dataclass
class Target:
    """What a step acted on, as far as the drafter could tell.

    ``name`` has passed the privacy checks (None: not named, or not sayable); ``kind`` is
    how a label names it (``button``, ``field``, ``menu item``... see phrasing.ROLE_KINDS);
    ``role`` the accessibility role name when known; ``box`` [x, y, w, h] in frame pixels.
    """

    name: str | None = None
    kind: str | None = None
    role: str | None = None
    box: list[int] | None = None
    source: str = SOURCE_NONE

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Target | None:
        if not isinstance(d, dict):
            return None
        box = d.get("box")
        return cls(name=d.get("name"), kind=d.get("kind"), role=d.get("role"),
                   box=[int(v) for v in box] if isinstance(box, list) and len(box) == 4
                   else None, source=str(d.get("source") or SOURCE_NONE))


@dataclass
class Draft:
    """The proposed instruction of one step.

    ``weak``: the target could not be named (the draft is position-based) or was read with
    little confidence: "Accept all drafts" leaves it for the contributor.  ``target`` is the
    control acted on (for typing: the field typed into); ``end`` the drop target of a drag.
    ``quoted`` are the screen strings the text quotes, with where they were read, so that a
    later redaction over them can be found in an instruction accepted earlier.
    """

    step_id: str
    text: str
    weak: bool = False
    why: str = ""
    target: Target | None = None
    end: Target | None = None
    quoted: list[dict[str, Any]] = field(default_factory=list)
    key: str = ""
    version: int = DRAFTER_VERSION
    # What earlier drafts of this step quoted (an instruction accepted from one of them may
    # still say it after a redaction changed the draft).
    quoted_before: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"step_id": self.step_id, "text": self.text, "weak": self.weak, "why": self.why,
                "target": self.target.to_dict() if self.target else None,
                "end": self.end.to_dict() if self.end else None,
                "quoted": self.quoted, "key": self.key, "version": self.version,
                "quoted_before": self.quoted_before}

    def remember(self, older: Draft | None) -> None:
        """Keep what an older draft of the same step quoted (at most 20 entries)."""
        if older is None:
            return
        for q in older.quoted + older.quoted_before:
            if q not in self.quoted and q not in self.quoted_before:
                self.quoted_before.append(q)
        del self.quoted_before[20:]

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Draft:
        return cls(step_id=str(d["step_id"]), text=str(d["text"]), weak=bool(d.get("weak")),
                   why=str(d.get("why") or ""), target=Target.from_dict(d.get("target")),
                   end=Target.from_dict(d.get("end")),
                   quoted=[q for q in d.get("quoted") or [] if isinstance(q, dict)],
                   key=str(d.get("key") or ""), version=int(d.get("version") or 0),
                   quoted_before=[q for q in d.get("quoted_before") or [] if isinstance(q, dict)])
