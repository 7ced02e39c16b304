"""What a submission takes from the drafts: the target of each step (name, role and box,
where accessibility recorded none) and the screen text that instructions accepted earlier
quote but that has been redacted since.

Only drafts still valid under the current redactions are used (``drafts.json`` entries whose
key matches); nothing is drafted here (no OCR while a package is prepared).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.drafts.model import SOURCE_NONE
from annotator.drafts.service import RecordingDrafts


@dataclass
class PackageDrafts:
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)
    redacted_quotes: dict[str, list[str]] = field(default_factory=dict)
    # Steps whose instruction is a weak draft accepted as it was (the drafter could not name
    # what was acted on): the package says so, and quality signals flag them.
    weak_accepted: set[str] = field(default_factory=set)

    @property
    def strings(self) -> list[str]:
        """Every redacted quoted string (to scrub from the package's text fields)."""
        return sorted({q for qs in self.redacted_quotes.values() for q in qs})


def _get(obj: Any, key: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def for_package(folder: str | Path, result_steps: Sequence[Any], edits: Any, *,
                deny_list: Iterable[str] = ()) -> PackageDrafts:
    """``result_steps``: ``ApplyResult.all_steps``; ``edits``: the EditList."""
    rd = RecordingDrafts.open(folder, edits=edits, deny_list=deny_list)
    try:
        rd.update_steps(result_steps)
        rd.quick()
        out = PackageDrafts()
        for s in result_steps:
            d = rd.drafts.get(s.id)
            src = s.sources[0] if s.sources else None
            own = _get(src, "target") if src is not None else None
            if isinstance(own, Mapping) and own.get("name"):
                # The recorded element's name is screen text too (a row may hold an
                # e-mail address): the same checks as a draft's.
                obs = _get(src, "obs_t_us")
                t0 = min(s.orig_t_start_us, int(obs)) if obs is not None else s.orig_t_start_us
                if rd.guard.screen_text(str(own["name"]), own.get("box"), t0,
                                        s.orig_t_end_us) is not None:
                    out.targets[s.id] = {"name_hidden": True}
                    continue
            if d is not None and d.target is not None and d.target.source != SOURCE_NONE \
                    and (d.target.box or d.target.name):
                out.targets[s.id] = {"source": f"draft:{d.target.source}",
                                     "name": d.target.name,
                                     "role_name": d.target.role or d.target.kind,
                                     "box": d.target.box}
        for s in result_steps:
            # The draft the instruction was accepted from may be one kept from an earlier
            # drafting (made before later redactions): it is the one that was accepted.
            d = rd.drafts.get(s.id) or rd.stored.get(s.id)
            if d is not None and d.weak and s.label.instruction_origin == "accepted" and \
                    " ".join(d.text.split()) == " ".join(s.label.instruction.split()):
                out.weak_accepted.add(s.id)
        for s in result_steps:
            src = s.sources[0] if s.sources else None
            stored = rd.stored.get(s.id)
            if stored is None or not s.label.instruction.strip():
                continue
            obs = _get(src, "obs_t_us") if src is not None else None
            t0 = min(s.orig_t_start_us, int(obs)) if obs is not None else s.orig_t_start_us
            quoted = []
            for q in stored.quoted + stored.quoted_before:
                text = str(q.get("text") or "")
                if not text or text.casefold() not in s.label.instruction.casefold():
                    continue
                why = rd.guard.screen_text(text, q.get("box"), t0, s.orig_t_end_us,
                                           ocr=str(q.get("via", "")).startswith("ocr"))
                if why is not None:
                    quoted.append(text)
            if quoted:
                out.redacted_quotes[s.id] = quoted
        return out
    finally:
        rd.close()
