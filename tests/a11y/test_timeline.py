"""The masking rules on their own: which keys a focus timeline masks, and what a masked key
keeps.  No X server or D-Bus needed."""

from __future__ import annotations

import pytest

from annotator.capture.a11y import (
    PASSWORD_ROLE,
    TEXT_ROLE,
    AtspiWorker,
    Element,
    FocusTimeline,
    none_element,
)
from annotator.capture.interfaces import Rect
from annotator.capture.x11_input import KEEP_NAME_WHEN_MASKED, MASKED_KEY, mask_key_event

MS = 1_000_000


def el(role: int, ref: str, box=(10, 20, 200, 22)) -> Element:
    return Element("atspi", role=role, name=ref, box=Rect(*box), states=("showing",),
                   ref=(":1.1", ref))


USER = el(TEXT_ROLE, "/user")
PASSWORD = el(PASSWORD_ROLE, "/password", box=(10, 50, 200, 22))
BUTTON = el(43, "/button")


def test_focus_in_force_decides():
    tl = FocusTimeline()
    tl.add_focus(100 * MS, USER)
    tl.add_focus(200 * MS, PASSWORD)
    tl.add_focus(300 * MS, BUTTON)
    assert tl.decide(150 * MS) is False
    assert tl.decide(250 * MS) is True
    assert tl.decide(350 * MS) is False


def test_key_before_the_focus_event_it_caused_is_masked():
    # Click (or Tab) and key land before the focus event: the 30 ms buffer catches it.
    tl = FocusTimeline()
    tl.add_focus(100 * MS, USER)
    tl.add_focus(200 * MS, PASSWORD)
    assert tl.decide(190 * MS) is True  # 10 ms before the focus event
    assert tl.decide(165 * MS) is False  # 35 ms before: typed into the user field


def test_press_on_a_password_field_masks_until_focus_moves_elsewhere():
    tl = FocusTimeline()
    tl.add_focus(100 * MS, USER)
    tl.add_click(7, 500 * MS)
    assert tl.decide(510 * MS) is None  # the hit test has not answered
    assert tl.decide(510 * MS, allow_pending=True) is False
    tl.resolve_click(7, PASSWORD)
    assert tl.decide(510 * MS) is True  # no focus event came (yet): the press decides
    tl.add_focus(505 * MS, None)  # focus lost from the user field: does not unmask
    assert tl.decide(510 * MS) is True
    tl.add_focus(900 * MS, BUTTON)  # Tab to the button
    assert tl.decide(950 * MS) is False
    # A later press on a text field ends the press rule.
    tl.add_click(8, 1000 * MS)
    tl.resolve_click(8, USER)
    assert tl.decide(1010 * MS) is False


def test_key_after_tab_waits_for_the_focus_event_the_tab_causes():
    tl = FocusTimeline()
    tl.add_focus(100 * MS, USER)
    tl.add_focus_key(500 * MS)  # Tab
    # A slow application: the focus event comes 80 ms after the key (past the 30 ms buffer).
    assert tl.horizon(501 * MS) == 750 * MS  # wait up to TAB_WAIT for the focus event
    tl.add_focus(581 * MS, PASSWORD)
    assert tl.horizon(501 * MS) == 581 * MS
    assert tl.decide(501 * MS) is True
    assert tl.decide(600 * MS) is True
    # Tab on to the button: keys after it are not masked once focus is there.
    tl.add_focus_key(900 * MS)
    tl.add_focus(905 * MS, BUTTON)
    assert tl.decide(902 * MS) is True  # focus in force at 902 ms is still the password field
    assert tl.decide(910 * MS) is False
    # A Tab that moves focus nowhere known: no mask, decided once the wait is over.
    tl.add_focus_key(2000 * MS)
    assert tl.horizon(2001 * MS) == 2250 * MS
    assert tl.decide(2001 * MS) is False


def test_none_hit_does_not_mask_but_keeps_focus_rule():
    tl = FocusTimeline()
    tl.add_focus(100 * MS, PASSWORD)
    tl.add_click(1, 200 * MS)
    tl.resolve_click(1, none_element("xterm exposes no accessibility tree"))
    # Focus (as far as AT-SPI knows) is still the password field: stay masked.
    assert tl.decide(210 * MS) is True


def test_password_elements_follow_focus_and_showing():
    tl = FocusTimeline()
    assert tl.password_elements() == []
    tl.add_focus(100 * MS, PASSWORD)
    assert [e.name for e in tl.password_elements()] == ["/password"]
    tl.update_element(PASSWORD.ref, Rect(30, 60, 200, 22), ("visible",))  # hidden
    assert tl.password_elements() == []
    tl.update_element(PASSWORD.ref, None, ("showing", "visible"))
    assert tl.password_elements()[0].box == Rect(30, 60, 200, 22)
    tl.add_focus(200 * MS, USER)
    assert tl.password_elements() == []


def test_pressed_password_field_is_masked_before_its_focus_event():
    tl = FocusTimeline()
    tl.add_focus(100 * MS, USER)
    tl.add_click(3, 200 * MS)
    tl.resolve_click(3, PASSWORD)
    assert [e.name for e in tl.password_elements()] == ["/password"]


def test_worker_decide_waits_for_buffer_and_sync():
    w = AtspiWorker()
    w._alive = True
    w.timeline.add_focus(100 * MS, USER)
    t = 200 * MS
    assert w.decide(t, now_ns=t + 10 * MS) is None  # inside the buffer
    w._synced_ns = t + 20 * MS
    assert w.decide(t, now_ns=t + 40 * MS) is None  # worker not caught up
    w._synced_ns = t + 40 * MS
    assert w.decide(t, now_ns=t + 40 * MS) is False
    w._synced_ns = 0
    assert w.decide(t, now_ns=t + 600 * MS) is False  # held too long: decided anyway
    assert w.decide(t, now_ns=t, force=True) is False
    w.stop()


@pytest.mark.parametrize("key,char,vk,mods", [
    ("h", "H", 72, ["shift"]),
    ("2", "2", 50, []),
    ("!", "!", 33, ["shift"]),
    ("space", " ", 32, []),
    ("shift", None, 65505, []),
    ("caps_lock", None, 65509, []),
    ("keysym_16777497", None, 16777497, []),
])
def test_masked_printable_key_keeps_nothing(key, char, vk, mods):
    rec = {"kind": "key_down", "key": key, "char": char, "vk": vk, "mods": mods}
    out = mask_key_event(rec)
    assert out == {"kind": "key_down", "key": MASKED_KEY, "char": None, "vk": None, "mods": [],
                   "masked": True}


def test_masked_non_printing_key_keeps_its_name_only():
    for key in ("enter", "tab", "backspace"):
        out = mask_key_event({"kind": "key_up", "key": key, "char": None, "vk": 65293,
                              "mods": ["ctrl", "shift"]})
        assert out == {"kind": "key_up", "key": key, "char": None, "vk": None,
                       "mods": ["ctrl"], "masked": True}
    assert "shift" not in KEEP_NAME_WHEN_MASKED and "space" not in KEEP_NAME_WHEN_MASKED
