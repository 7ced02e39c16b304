"""Effects: steps that changed nothing on screen, and the same step repeated to no effect.

A step's *result* is the next step's picture (the last settled screen before the next step,
or the final screen after the last one).  A step has no visible effect when, between its
picture and that result, fewer than ``LOCAL_MIN`` pixels changed where it acted (its
target's box and the pointer's surroundings) and fewer than ``GLOBAL_MIN`` anywhere (so that
a click whose effect shows elsewhere, a dialog or a status line, counts as having one).  Keys
are judged on the whole screen: fewer than ``LOCAL_MIN`` pixels changed anywhere (the field
typed into may not be the one the recording names).  A blinking caret or a clock
elsewhere stays under ``GLOBAL_MIN``.

It cannot be judged, and is not reported, when the next picture was taken before the step
ended (the next step followed too quickly), when a cut lies between the two pictures, or
when a picture cannot be read.

A click on a control that an earlier click already changed the screen with (or may have,
where that could not be seen), when the screen changed since, is not reported either: what it sets is already shown (a second
"Apply" after more changes, "Save" again after editing) and a person would not call it a
click that did nothing.  The same action (the same place, or the same control) done again,
in a row or with only steps that changed nothing in between, is a run of repeats: a repeat
that changed nothing where it acted and no more than a line of text elsewhere
(``REPEAT_GLOBAL_MAX``) did nothing more.
"""

from __future__ import annotations

from collections.abc import Mapping

from annotator.quality.evidence import CLICKS, Evidence, StepView
from annotator.quality.frames import Change, FrameFacts
from annotator.quality.records import Signal, StepRef, step_list

LOCAL_MIN = 12
GLOBAL_MIN = 150
# A repeat of the same action changing no more than a line of text away from where it acted
# ("already saved", "select a contact first") did nothing more.
REPEAT_GLOBAL_MAX = 1200
SAME_PLACE_PX = 12
# Shortcuts whose effect is invisible by design (the clipboard).
INVISIBLE_HOTKEYS = frozenset({("ctrl", "c"), ("ctrl", "insert"), ("ctrl", "shift", "c")})
FLAG_CUT_BEFORE = "obs_at_kept_start"


def describe(s: StepView) -> str:
    """A short phrase for a step: "a click at (812, 440)", "typing “abc”"."""
    t = s.type.replace("_", " ")
    if s.type in CLICKS or s.type in ("drag", "scroll"):
        where = f" at ({s.x}, {s.y})" if s.x is not None else ""
        name = f" on “{s.target_name}”" if s.target_name else ""
        return f"a {t}{name}{where}"
    if s.type == "type":
        if s.text and not s.text_masked and len(s.text) <= 40:
            return f"typing “{s.text}”"
        return "typing"
    if s.type in ("key", "hotkey"):
        return f"the key {'+'.join(s.keys).title()}" if s.keys else "a key"
    return t


def judged(ev: Evidence, facts: FrameFacts, i: int) -> Change | None:
    """The change after step ``i``, or None when it cannot be judged."""
    s = ev.steps[i]
    if not s.is_action or i + 1 >= len(ev.steps):
        return None
    nxt = ev.steps[i + 1]
    if nxt.obs_t_us <= s.t_end_us or FLAG_CUT_BEFORE in nxt.flags:
        return None
    if s.type == "hotkey" and tuple(k.lower() for k in s.keys) in INVISIBLE_HOTKEYS:
        return None
    return facts.change[i] if i < len(facts.change) else None


def no_visible_effect(c: Change) -> bool:
    if c.local_px < 0:  # judged on the whole screen (keys): any real change is an effect
        return c.global_px < LOCAL_MIN
    return c.global_px < GLOBAL_MIN and c.local_px < LOCAL_MIN


def controls_of(s: StepView, placeholder: str) -> set[tuple[str, ...]]:
    """What a click acted on, to recognise the same control clicked again: its captured
    target's role with its name, and with its box (a name may be redacted)."""
    if s.type not in CLICKS or not isinstance(s.target, Mapping):
        return set()
    role = str(s.target.get("role_name") or s.target.get("role") or "")
    out: set[tuple[str, ...]] = set()
    if s.target_name and s.target_name != placeholder:
        out.add((s.type, role, "name", s.target_name))
    if s.target_box is not None:
        out.add((s.type, role, "box", *map(str, s.target_box)))
    return out


def nothing_more(ev: Evidence, facts: FrameFacts, i: int) -> bool:
    """A repeat that changed nothing where it acted and at most a message elsewhere."""
    c = judged(ev, facts, i)
    if c is None:
        return False
    if c.local_px < 0:
        return no_visible_effect(c)
    return c.local_px < LOCAL_MIN and c.global_px < REPEAT_GLOBAL_MAX


def same_action(a: StepView, b: StepView) -> bool:
    if a.type != b.type or not a.is_action:
        return False
    if a.keys != b.keys or (a.text or "") != (b.text or "") or a.scroll != b.scroll:
        return False
    if a.x is None or b.x is None or a.y is None or b.y is None:
        return a.x is None and b.x is None
    return abs(a.x - b.x) <= SAME_PLACE_PX and abs(a.y - b.y) <= SAME_PLACE_PX


def repeat_run(ev: Evidence, facts: FrameFacts, dead: Mapping[int, Change], i: int
               ) -> list[int]:
    """Step ``i`` and its repeats: the same action done again after it that did nothing
    more, in a row or with only steps that changed nothing in between (a click on a label,
    then the same button again)."""
    run = [i]
    first = ev.steps[i]
    controls = controls_of(first, ev.placeholder)
    for k in range(i + 1, len(ev.steps)):
        s = ev.steps[k]
        if same_action(first, s) or (s.type == first.type and controls_of(s, ev.placeholder)
                                     & controls):
            if not nothing_more(ev, facts, k):
                break
            run.append(k)
        elif s.is_action and k not in dead:
            break
    return run


def detect(ev: Evidence, facts: FrameFacts) -> list[Signal]:
    out: list[Signal] = []
    n = len(ev.steps)
    dead: dict[int, Change] = {}
    for i in range(n):
        c = judged(ev, facts, i)
        if c is not None and no_visible_effect(c):
            dead[i] = c
    in_run: set[int] = set()
    for i in range(n):
        if i in in_run or i in dead:
            # When the first did nothing either, each is a step with no effect, not a repeat.
            continue
        run = repeat_run(ev, facts, dead, i)
        if len(run) < 2:
            continue
        steps = [ev.steps[k] for k in run]
        refs = tuple(StepRef(st.index, st.id) for st in steps)
        how = "in a row" if run[-1] - run[0] == len(run) - 1 else \
            "with nothing changing on screen in between"
        out.append(Signal(
            "repeated_steps",
            f"{describe(steps[0]).capitalize()} was done {len(run)} times {how} "
            f"({step_list(refs)}) and the repeats changed nothing on screen. Keep one "
            "and delete the others, unless each was needed.",
            steps=refs, evidence={"count": len(run)}))
        in_run.update(run)
    # Controls an earlier click acted on: visibly, or where it could not be seen (hidden
    # by a box, or followed too quickly), given the benefit of the doubt.
    shown: set[tuple[str, ...]] = set()
    for i in range(n):
        controls = controls_of(ev.steps[i], ev.placeholder)
        if i in dead:
            if i not in in_run and not controls & shown:
                out.append(_no_effect(ev.steps[i], dead[i]))
        else:
            shown |= controls
    return out


def _no_effect(s: StepView, c: Change) -> Signal:
    return Signal(
        "no_effect",
        f"Step {s.index + 1} ({describe(s)}) changed nothing on screen: the picture after "
        "it looks the same as before it, where it acted and everywhere else. If it did "
        "something that does not show (a hover, a copy), say so in its instruction; "
        "otherwise delete the step.",
        steps=(StepRef(s.index, s.id),),
        evidence={"changed_px_here": max(c.local_px, 0), "changed_px_anywhere": c.global_px})
