"""The drafter on steps whose accessibility records say everything (no screen read), and what
may never enter a draft."""

from __future__ import annotations

from annotator.drafts import Drafter, Guard, StepInput
from annotator.drafts.privacy import Guard as _Guard  # noqa: F401 (the public name above)


def el(role: str, name: str, box=(100, 100, 80, 24), **extra):
    return {"source": "atspi", "role_name": role, "name": name, "box": list(box), **extra}


def click(i: int, element=None, *, kind="click", x=140, y=112, t=1_000_000, title="Books"):
    return StepInput(id=f"s{i}", type=kind, t0=t, t1=t + 60_000, x=x, y=y, element=element,
                     window_title=title, window_box=[0, 0, 1280, 800], obs_t=t - 200_000)


def typing(i: int, text: str, focus=None, *, t=2_000_000, masked=False):
    return StepInput(id=f"s{i}", type="type", t0=t, t1=t + 900_000, text=text, focus=focus,
                     window_title="Books", masked=masked)


def drafts(steps, guard=None):
    d = Drafter(guard or Guard(), None, ocr=False)
    return [d.draft(steps, i) for i in range(len(steps))]


def test_accessibility_names_the_control_and_its_role_words():
    steps = [
        click(0, el("push button", "Save")),
        click(1, el("check box", "Remember me", states=["checked", "enabled"])),
        click(2, el("menu item", "Export report", parent={"role_name": "menu",
                                                          "name": "File"})),
        click(3, el("text", "Customer:")),
        typing(4, "Acme Corporation", focus=el("text", "Customer:")),
        click(5, el("list item", "Travel"), kind="right_click"),
        click(6, el("page tab", "Advanced")),
        StepInput(id="s7", type="hotkey", t0=5_000_000, t1=5_100_000, keys=["ctrl", "s"]),
        StepInput(id="s8", type="key", t0=6_000_000, t1=6_100_000, keys=["backspace"],
                  repeat=3),
    ]
    out = drafts(steps)
    assert [d.text for d in out] == [
        'Click "Save"',
        'Uncheck "Remember me"',
        'Choose "Export report" in the "File" menu',
        "Click the Customer field",
        'Type "Acme Corporation" into the Customer field',
        'Right-click "Travel"',
        'Open the "Advanced" tab',
        "Press Ctrl+S to save",
        "Press Backspace 3 times",
    ]
    assert not any(d.weak for d in out)
    assert out[0].target.source == "a11y" and out[0].target.box == [100, 100, 80, 24]


def test_a_missing_name_comes_from_the_label_relation_or_the_parent_and_else_is_weak():
    labelled = el("entry", "", labelled_by={"role_name": "label", "name": "Due date"})
    in_button = el("label", "Export", parent={"role_name": "push button", "name": ""})
    icon = el("push button", "")
    out = drafts([click(0, labelled), click(1, in_button), click(2, icon, x=1250, y=20)])
    assert out[0].text == "Click the Due date field" and out[0].target.source == "a11y-label"
    assert out[1].text == 'Click "Export"' and out[1].target.kind == "button"
    assert out[2].weak and out[2].text == \
        'Click the unlabelled button at the top right of the "Books" window'
    # a container's name names a region, never a control
    assert drafts([click(0, el("filler", "Main window"))])[0].weak


def test_nothing_sensitive_enters_a_draft():
    # a list row holding an e-mail address, typed text that is one, a password field
    row = el("list item", "maria.lopez@example.org")
    out = drafts([click(0, row), typing(1, "jane.doe@example.com", focus=el("text", "E-mail")),
                  typing(2, "hunter2", focus=el("password text", "Password"), masked=True),
                  typing(3, "Call 0044 20 7946 0958 today", focus=el("text", "Notes"))])
    assert out[0].weak and "e-mail address" in out[0].text and "maria" not in out[0].text
    assert out[1].text == "Type an e-mail address into the E-mail field"
    assert out[2].text == "Type the password into the Password field"
    assert "7946" not in out[3].text and "<redacted>" in out[3].text


def test_redactions_change_what_a_draft_may_say():
    steps = [click(0, el("push button", "Pay Jane Doe")),
             typing(1, "Acme Corporation", focus=el("text", "Customer"))]
    assert drafts(steps)[0].text == 'Click "Pay Jane Doe"'
    # a box over the button while the step happens: its name is not said
    box = {"kind": "box", "rect": [90, 90, 120, 40], "t_start_us": 0, "t_end_us": 9_000_000}
    assert drafts(steps, Guard([box]))[0].weak
    # a box elsewhere, or at another time, changes nothing
    later = {**box, "t_start_us": 5_000_000}
    assert drafts(steps, Guard([later]))[0].text == 'Click "Pay Jane Doe"'
    # the contributor's deny-list; the contributor's own mask of the typed text
    assert drafts(steps, Guard(deny_list=["Jane Doe"]))[0].weak
    mask = {"kind": "text", "step_id": "s1", "start": 0, "end": 4}
    assert drafts(steps, Guard([mask]))[1].text == \
        'Type "<redacted> Corporation" into the Customer field'
    # a masked window title is not said in a weak draft
    icon = click(2, el("push button", ""), title="Invoice for Jane Doe")
    assert "Jane" not in drafts([icon], Guard([{"kind": "title",
                                                "title": "Invoice for Jane Doe"}]))[0].text
    # text the contributor accepted as not sensitive may be said
    typed = typing(3, "info@acme.example", focus=el("text", "E-mail"))
    allow = {"kind": "allow", "text": "info@acme.example", "detector": "email"}
    assert drafts([typed], Guard([allow]))[0].text == \
        'Type "info@acme.example" into the E-mail field'


def test_the_key_changes_exactly_when_a_redaction_concerns_the_step():
    steps = [click(0, el("push button", "Save")), click(1, el("push button", "Send"),
                                                        t=8_000_000)]
    d = Drafter(Guard(), None, ocr=False)
    box = {"kind": "box", "rect": [0, 0, 10, 10], "t_start_us": 0, "t_end_us": 2_000_000}
    d2 = Drafter(Guard([box]), None, ocr=False)
    assert d.key(steps, 0) != d2.key(steps, 0)  # the box is there during step 0
    assert d.key(steps, 1) == d2.key(steps, 1)  # ...not during step 1
    assert d.draft(steps, 0).text == d.draft(steps, 0).text  # deterministic


def test_drafting_without_the_screen_never_reads_a_frame():
    """What the UI thread drafts at opening (steps that need no OCR) never reads a frame:
    a step that turns out to need one after all (here a name too long to be a label, so
    the text under the pointer is read) raises FrameNotReady and is left to the threads."""
    import numpy as np
    import pytest

    from annotator.drafts.frames import FrameNotReady

    class Counting:
        def __init__(self) -> None:
            self.asked: list[int] = []

        def get(self, pts: int):
            self.asked.append(pts)
            return np.full((800, 1280, 3), 255, np.uint8)

    frames = Counting()
    d = Drafter(Guard(), frames)
    if not d.ocr:
        pytest.skip(d.ocr_error or "no OCR")
    long_name = el("push button", "A paragraph of text much longer than any label would be "
                   "on a button")
    s = click(0, long_name)
    s.obs_pts = 800_000
    assert not d.needs_screen(s)
    with d.without_screen(), pytest.raises(FrameNotReady):
        d.draft([s], 0)
    assert frames.asked == []
    d.draft([s], 0)  # elsewhere it reads the frame
    assert frames.asked == [800_000]


class _Records:
    """What BundleContext reads of a bundle: its accessibility and window records."""

    def __init__(self, elements):
        self.elements = elements
        self.windows = []

    def hits_by_event(self):
        return {e["event_id"]: e for e in self.elements if e["kind"] == "hit"}


def test_a_click_in_a_popup_menu_names_the_item_the_press_focused_not_the_hit_beneath():
    """Qt's hit test does not see a popup menu: it answers with the window's control beneath
    it (a toolbar button) or with nothing.  The menu item the press focused, around the
    point, is what was clicked (FeatherPad: 4 of 11 menu items were named wrongly)."""
    from annotator.drafts.inputs import BundleContext, step_input

    def focus(t, name, box, role="menu item"):
        return {"kind": "focus", "t": t, "source": "atspi", "role_name": role, "name": name,
                "box": box}

    press = 27_522_688
    records = [
        {"kind": "focus", "t": press - 300_000, "source": "atspi", "role_name": "menu item",
         "name": "Options", "box": [82, 0, 59, 22]},
        {"kind": "hit", "event_id": 50, "t": press + 3_000, "source": "atspi",
         "role_name": "push button", "name": "Redo", "box": [147, 26, 33, 32],
         "latency_us": 16_000},
        {"kind": "focus", "t": press + 1_000, "source": "none"},
        focus(press + 1_079, "Wrap Lines", [82, 47, 342, 25]),
        # a popup that exposes nothing at the point: the focused item names it too
        {"kind": "hit", "event_id": 60, "t": press + 2_000_000, "source": "none",
         "reason": "a popup that exposes no accessible element at this point"},
        focus(press + 2_000_000 + 5_055, "Auto-Indentation", [82, 72, 342, 25]),
        # not a menu item, not around the point, too late: the hit stands
        {"kind": "hit", "event_id": 70, "t": press + 4_000_000, "source": "atspi",
         "role_name": "push button", "name": "Find", "box": [222, 26, 33, 32]},
        focus(press + 4_000_000 + 2_000, "Name", [0, 200, 300, 25], role="text"),
        {"kind": "hit", "event_id": 80, "t": press + 6_000_000, "source": "atspi",
         "role_name": "push button", "name": "Find", "box": [222, 26, 33, 32]},
        focus(press + 6_000_000 + 2_000, "Wrap Lines", [82, 247, 342, 25]),
        {"kind": "hit", "event_id": 90, "t": press + 8_000_000, "source": "atspi",
         "role_name": "push button", "name": "Find", "box": [222, 26, 33, 32]},
        focus(press + 8_000_000 + 150_000, "Line Numbers", [82, 22, 342, 25]),
    ]
    records.sort(key=lambda r: r["t"])
    ctx = BundleContext(_Records(records))

    def step(event_id, t, x, y):
        return step_input({"id": f"e{event_id}", "type": "click", "t_start_us": t,
                           "t_end_us": t + 10_000, "x": x, "y": y,
                           "anchor_event_id": event_id, "window_title": "Untitled"}, ctx)

    steps = [step(50, press, 163, 53), step(60, press + 2_000_000, 211, 88),
             step(70, press + 4_000_000, 238, 32), step(80, press + 6_000_000, 238, 32),
             step(90, press + 8_000_000, 238, 32)]
    assert [(s.element or {}).get("name") for s in steps] == [
        "Wrap Lines", "Auto-Indentation", "Find", "Find", "Find"]
    texts = [d.text for d in drafts(steps)]
    assert texts[0].startswith('Click "Wrap Lines"') or '"Wrap Lines"' in texts[0]
    assert '"Auto-Indentation"' in texts[1] and '"Find"' in texts[2]
