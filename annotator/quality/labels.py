"""Labels: instructions that do not fit their action, the same instruction on many steps, and
instructions left as weak drafts.

*Does not fit* is judged only where the recording says what the action was on:

- a pointer step whose target has a name (the accessibility element under the click, or the
  drafter's reading of it): the instruction names another control, either in quotes
  (``Click "Cancel"``), as "the X button/field/tab/..." or by the name of a control another
  step of the same demonstration acted on, and does not name the target;
- a typing step: the instruction quotes a text that is not what was typed (masked text is
  never compared), or names another field ("into the X field") than the one typed into.

Names are compared loosely (case, quotes, trailing dots and ellipses, and one name contained
in the other count as the same).

*The same instruction* on ``MIN_SAME`` or more steps is a label copied onto different steps
when at least ``MIN_OTHERS`` of them do something else than most of them do; the same words
on the same action done again (a task done twice), with one slip, are not.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from annotator.quality.evidence import CLICKS, Evidence, StepView
from annotator.quality.records import Signal, StepRef, step_list

MIN_SAME = 3
# Steps doing something else than most of those sharing the words, for the words to be a
# label copied onto different steps.
MIN_OTHERS = 2
_QUOTED = re.compile(r"[\"“”„«»‘’']([^\"“”„«»]{1,80}?)[\"“”„«»’']")
_CONTROL_WORDS = ("button", "link", "tab", "menu", "menu item", "item", "field", "box",
                  "text box", "checkbox", "check box", "option", "icon", "row", "cell", "column",
                  "list", "entry", "toggle", "switch", "radio button")
_VERBS = r"(?:click|double-click|right-click|press|select|choose|tap|open|pick|check|uncheck)"
_NAMED_CONTROL = re.compile(
    rf"\b{_VERBS}\s+(?:on\s+)?(?:the\s+)?(.{{1,40}}?)\s+(?:{'|'.join(_CONTROL_WORDS)})\b",
    re.IGNORECASE)
_INTO_FIELD = re.compile(r"\b(?:into|in)\s+the\s+(.{1,40}?)\s+(?:field|box|text box|column|cell)\b",
                         re.IGNORECASE)
_STOP = {"the", "a", "an", "this", "that", "next", "first", "last", "same", "new", "text",
         "search", "top", "bottom", "left", "right"}


def norm(text: str) -> str:
    t = text.casefold().replace("…", " ").replace("...", " ")
    t = re.sub(r"[\"“”„«»‘’'`]", " ", t)
    t = re.sub(r"[^\w\s&+/#@.-]", " ", t)
    t = re.sub(r"\s+", " ", t).strip(" .-")
    return t


def same_name(a: str, b: str) -> bool:
    na, nb = norm(a), norm(b)
    if not na or not nb:
        return False
    if na == nb or (len(na) >= 3 and na in nb) or (len(nb) >= 3 and nb in na):
        return True
    ta, tb = set(na.split()), set(nb.split())
    return bool(ta and tb) and len(ta & tb) / len(ta | tb) >= 0.5


def _mentions(instruction: str, name: str) -> bool:
    n = norm(name)
    if len(n) < 3 or not re.search(r"[^\W\d_]", n):
        return False
    return re.search(rf"(?<!\w){re.escape(n)}(?!\w)", norm(instruction)) is not None


def _named(instruction: str) -> list[str]:
    """Control names the instruction states: quoted, or "the X button" and the like."""
    out = [q.strip() for q in _QUOTED.findall(instruction) if q.strip()]
    for m in _NAMED_CONTROL.finditer(instruction):
        name = m.group(1).strip()
        if norm(name) and norm(name) not in _STOP:
            out.append(name)
    return out


def _context_names(ev: Evidence, s: StepView) -> list[str]:
    """Quoted text that names no control: the window, the task."""
    return [n for n in (s.window_title, ev.goal) if n]


def pointer_mismatch(ev: Evidence, s: StepView, known: Iterable[str]) -> str | None:
    target = s.target_name
    if not target or not s.instruction.strip() or target == ev.placeholder:
        return None
    ins = s.instruction
    named = [n for n in _named(ins) if not any(same_name(n, c) for c in _context_names(ev, s))]
    fits = _mentions(ins, target) or any(same_name(n, target) for n in named)
    if fits:
        return None
    if named:
        return named[0]
    for other in known:
        # A name that is also a common word ("Next") is only a name when quoted or called a
        # control (above): "Do the next step" names no control.
        if norm(other) not in _STOP and not same_name(other, target) and _mentions(ins, other):
            return other
    return None


def typing_mismatch(ev: Evidence, s: StepView) -> tuple[str, str] | None:
    """(what the instruction says, what the step did) when they differ."""
    ins = s.instruction
    if not ins.strip():
        return None
    if s.text and not s.text_masked and ev.placeholder not in s.text:
        quoted = [q for q in _QUOTED.findall(ins) if q.strip()]
        if quoted and not any(q.strip() in s.text or s.text.strip() in q for q in quoted) \
                and not any(same_name(q, s.text) for q in quoted):
            return quoted[0], s.text
    target = s.target_name
    m = _INTO_FIELD.search(ins)
    if target and m and not same_name(m.group(1), target) and norm(m.group(1)) not in _STOP:
        return m.group(1).strip(), target
    return None


def detect(ev: Evidence) -> list[Signal]:
    out: list[Signal] = []
    known = sorted({s.target_name for s in ev.steps if s.target_name
                    and s.target_name != ev.placeholder})
    for s in ev.actions:
        ref = (StepRef(s.index, s.id),)
        if s.type in CLICKS or s.type == "drag":
            other = pointer_mismatch(ev, s, known)
            if other is not None:
                out.append(Signal(
                    "instruction_mismatch",
                    f"Step {s.index + 1}'s instruction names “{other}”, but the step acted on "
                    f"“{s.target_name}”. Make the instruction say what was clicked.",
                    steps=ref, evidence={"named": other, "target": s.target_name}))
        elif s.type == "type":
            found = typing_mismatch(ev, s)
            if found is not None:
                said, did = found
                what = "typed" if did == s.text else "typed into"
                out.append(Signal(
                    "instruction_mismatch",
                    f"Step {s.index + 1}'s instruction says “{said}”, but the step {what} "
                    f"“{did}”. Make the instruction say what was done.",
                    steps=ref, evidence={"named": said, "target": did}))
        if s.weak_draft and s.origin == "accepted":
            out.append(Signal(
                "weak_draft",
                f"Step {s.index + 1}'s instruction is the drafter's guess, accepted as it was: "
                "the drafter could not name what was acted on. Check it and say it in your "
                "words.", steps=ref))
    groups: dict[str, list[StepView]] = {}
    for s in ev.actions:
        key = norm(s.instruction)
        if key:
            groups.setdefault(key, []).append(s)
    for _key, steps in groups.items():
        if len(steps) < MIN_SAME:
            continue
        actions = Counter((s.type, s.keys, s.text, s.target_name) for s in steps)
        if len(steps) - max(actions.values()) < MIN_OTHERS:
            continue  # the words fit what most of them do (a task done again, a slip)
        refs = tuple(StepRef(s.index, s.id) for s in steps)
        out.append(Signal(
            "same_instruction",
            f"{len(steps)} different steps ({step_list(refs)}) have the same instruction "
            f"“{steps[0].instruction.strip()}”. Say what each step does.",
            steps=refs, evidence={"count": len(steps)}))
    return out
