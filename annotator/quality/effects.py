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
"""

from __future__ import annotations

from annotator.quality.evidence import CLICKS, Evidence, StepView
from annotator.quality.frames import Change, FrameFacts
from annotator.quality.records import Signal, StepRef, step_list

LOCAL_MIN = 12
GLOBAL_MIN = 150
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


def same_action(a: StepView, b: StepView) -> bool:
    if a.type != b.type or not a.is_action:
        return False
    if a.keys != b.keys or (a.text or "") != (b.text or "") or a.scroll != b.scroll:
        return False
    if a.x is None or b.x is None or a.y is None or b.y is None:
        return a.x is None and b.x is None
    return abs(a.x - b.x) <= SAME_PLACE_PX and abs(a.y - b.y) <= SAME_PLACE_PX


def detect(ev: Evidence, facts: FrameFacts) -> list[Signal]:
    out: list[Signal] = []
    n = len(ev.steps)
    dead: dict[int, Change] = {}
    for i in range(n):
        c = judged(ev, facts, i)
        if c is not None and no_visible_effect(c):
            dead[i] = c
    in_run: set[int] = set()
    i = 0
    while i < n:
        j = i
        while j + 1 < n and same_action(ev.steps[i], ev.steps[j + 1]):
            j += 1
        repeats = [k for k in range(i + 1, j + 1) if k in dead]  # repeats that did nothing
        if j > i and repeats:
            run = ev.steps[i:j + 1]
            refs = tuple(StepRef(s.index, s.id) for s in run)
            out.append(Signal(
                "repeated_steps",
                f"{describe(run[0]).capitalize()} was done {len(run)} times in a row "
                f"({step_list(refs)}) and the repeats changed nothing on screen. Keep one "
                "and delete the others, unless each was needed.",
                steps=refs, evidence={"count": len(run)}))
            in_run.update(range(i, j + 1))
        i = j + 1
    for i, c in sorted(dead.items()):
        if i in in_run:
            continue
        s = ev.steps[i]
        out.append(Signal(
            "no_effect",
            f"Step {s.index + 1} ({describe(s)}) changed nothing on screen: the picture after "
            "it looks the same as before it, where it acted and everywhere else. If it did "
            "something that does not show (a hover, a copy), say so in its instruction; "
            "otherwise delete the step.",
            steps=(StepRef(s.index, s.id),),
            evidence={"changed_px_here": max(c.local_px, 0), "changed_px_anywhere": c.global_px}))
    return out
