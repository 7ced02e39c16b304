"""Every kind of personal data or secret the redaction detectors know, through every text a
draft carries (the instruction, why it is weak, the target's and the drop target's names,
the quoted screen strings) and the step's row title: never quoted verbatim.

The samples are the detectors' own positive cases (tests/redaction/test_detect.py), so a new
detector kind without a sample here fails ``test_every_detector_kind_has_a_sample``.
"""

from __future__ import annotations

from typing import Any

import pytest

from annotator.drafts import Drafter, Guard, StepInput
from annotator.drafts.titles import step_title
from annotator.edits.apply import KEPT, Part, ResultStep
from annotator.edits.model import Label
from annotator.redaction.spans import DENY_LIST, KINDS, UNREAD_VALUE
from annotator.steps.model import Step
from tests.redaction.test_detect import POSITIVES

DENY = "Jane Doe"
SAMPLES = [*POSITIVES, (f"invoice for {DENY}", DENY_LIST, DENY)]
GUARD = Guard(deny_list=[DENY])


def test_every_detector_kind_has_a_sample():
    # (text shaped like a value that no detector names is held back only where OCR read it,
    # and may have misread it: test_ocr_text_shaped_like_a_value_is_never_quoted)
    assert {k for _t, k, _m in SAMPLES} == set(KINDS) - {UNREAD_VALUE}


@pytest.mark.parametrize("value", ["6011 0009 9013 9420", "555-0142", "a1b2c3d4e5f6g7"])
def test_ocr_text_shaped_like_a_value_is_never_quoted(value):
    """What OCR read under the pointer and no detector names (a card number with a misread
    digit fails its checksum) is held back as the redaction's suggestions hold it back;
    invoice amounts and the like are quoted."""
    assert GUARD.screen_text(value, (0, 0, 100, 20), 0, 1, ocr=True) == "a value"
    assert GUARD.screen_text(value, (0, 0, 100, 20), 0, 1) is None  # exact text: detectors
    assert GUARD.screen_text("2,625.16", (0, 0, 100, 20), 0, 1, ocr=True) is None
    assert GUARD.screen_text("Q3 figures.xlsx", (0, 0, 100, 20), 0, 1, ocr=True) is None


def el(role: str, name: str, box=(100, 100, 80, 24), **extra) -> dict[str, Any]:
    return {"source": "atspi", "role_name": role, "name": name, "box": list(box), **extra}


def click(i: int, element=None, *, title="Books", kind="click") -> StepInput:
    return StepInput(id=f"s{i}", type=kind, t0=1_000_000 * i, t1=1_000_000 * i + 60_000,
                     x=140, y=112, element=element, window_title=title,
                     window_box=[0, 0, 1280, 800], obs_t=1_000_000 * i - 200_000)


def typing(i: int, text: str, focus=None, **kw) -> StepInput:
    return StepInput(id=f"s{i}", type="type", t0=1_000_000 * i, t1=1_000_000 * i + 900_000,
                     text=text, focus=focus, window_title="Books", **kw)


class _Hits:
    """The bundle's accessibility hits, as the scroll draft looks them up."""

    def __init__(self, hits: list[dict[str, Any]]) -> None:
        self.hits = hits

    def hits_containing(self, x: int, y: int) -> list[dict[str, Any]]:
        return self.hits


def pieces(matched: str) -> list[str]:
    """The matched text, and each longer piece of it, that must not appear."""
    return [matched, *(p for p in matched.split() if len(p) >= 6)]


def texts_of(d) -> list[str]:
    out = [d.text, d.why]
    for tg in (d.target, d.end):
        if tg is not None:
            out.append(tg.name or "")
    out += [str(q.get("text") or "") for q in d.quoted + d.quoted_before]
    return out


def steps_carrying(sample: str) -> list[list[StepInput]]:
    """Step lists in which ``sample`` reaches a draft through each of its sources."""
    half = len(sample) // 2
    return [
        [typing(1, sample)],  # typed text
        [typing(1, sample, focus=el("text", "Notes"))],
        # one part of a typing step split in the middle of the private text
        [typing(1, sample[:half], full_text=sample, source_id="d1")],
        [typing(1, sample[half:], text_offset=half, full_text=sample, source_id="d1")],
        [click(1, el("push button", sample))],  # the element's own name
        [click(1, el("list item", sample))],
        [click(1, el("list item", sample), kind="right_click")],
        [click(1, el("entry", "", labelled_by={"role_name": "label", "name": sample}))],
        [click(1, el("label", "", parent={"role_name": "push button", "name": sample}))],
        [click(1, el("push button", "Save", parent={"role_name": "tool bar", "name": sample}))],
        [click(1, el("push button", "Save", parent={"role_name": "dialog", "name": sample}))],
        [click(1, el("text", "")), typing(2, "Acme", focus=el("text", sample))],  # the field
        [typing(1, "Acme", focus=el("text", "", labelled_by={"role_name": "label",
                                                             "name": sample}))],
        [click(1, el("push button", ""), title=sample)],  # the window, in a weak draft
        [StepInput(id="s1", type="drag", t0=1_000_000, t1=1_500_000, x=140, y=112,
                   path=[{"x": 140, "y": 112}, {"x": 600, "y": 400}],
                   element=el("list item", sample), window_title="Books")],
        [StepInput(id="s1", type="scroll", t0=1_000_000, t1=1_100_000, x=140, y=112,
                   scroll_dy=3, window_title=sample)],
    ]


@pytest.mark.parametrize(("sample", "kind", "matched"), SAMPLES,
                         ids=[f"{k}-{i}" for i, (_s, k, _m) in enumerate(SAMPLES)])
def test_no_draft_text_quotes_private_data(sample, kind, matched):
    drafter = Drafter(GUARD, None, ocr=False)
    for steps in steps_carrying(sample):
        for i in range(len(steps)):
            d = drafter.draft(steps, i)
            for text in texts_of(d):
                for p in pieces(matched):
                    assert p not in text, (kind, steps[i].type, text)
    # a scrolled list named by the private text
    lst = {"source": "atspi", "role_name": "list", "name": sample, "box": [0, 0, 900, 700]}
    scroller = Drafter(GUARD, None, ocr=False, context=_Hits([lst]))  # type: ignore[arg-type]
    scroll = StepInput(id="s1", type="scroll", t0=1_000_000, t1=1_100_000, x=140, y=112,
                       scroll_dy=3, window_title="Books")
    text = scroller.draft([scroll], 0).text
    assert all(p not in text for p in pieces(matched)), text


# -- row titles ------------------------------------------------------------------------------
def derived(sid: str, kind: str, **kw) -> Step:
    return Step(type=kind, t_start_us=1_000_000, t_end_us=1_900_000, id=sid, x=140, y=112,
                window_title=kw.pop("window_title", "Books"), **kw)


def result(source: Step, text: str | None = None, offset: int = 0) -> ResultStep:
    """A step of the edited list: ``source`` whole, or the part of its text at ``offset``."""
    text = source.text if text is None else text
    sid = source.id if text == source.text else f"{source.id}#{offset}"
    part = Part(sid, source.id, source.type, text, source.t_start_us, source.t_end_us, offset,
                (), source)
    return ResultStep(sid, source.type, text, source.t_start_us, source.t_end_us,
                      source.t_start_us, source.t_end_us, [], KEPT, Label(), (part,),
                      split_of=source.id if sid != source.id else None, text_offset=offset)


@pytest.mark.parametrize(("sample", "kind", "matched"), SAMPLES,
                         ids=[f"{k}-{i}" for i, (_s, k, _m) in enumerate(SAMPLES)])
def test_no_row_title_quotes_private_data(sample, kind, matched):
    typed = derived("d1", "type", text=sample)
    half = len(sample) // 2
    parts = (result(typed), result(typed, sample[:half]), result(typed, sample[half:], half))
    clicked = derived("d2", "click", window_title=sample)
    titles = [step_title(s, typed, GUARD) for s in parts]
    titles += [step_title(typed, typed, GUARD), step_title(clicked, clicked, GUARD)]
    for title in titles:
        for p in pieces(matched):
            assert p not in title, (kind, title)


def test_row_titles_say_what_was_typed_when_it_is_not_private():
    s = derived("d1", "type", text="Acme Corporation", window_title="Invoice 2041")
    assert step_title(s, s, GUARD) == "Type “Acme Corporation” in 'Invoice 2041'"
    mail = derived("d2", "type", text="jane.doe@example.com")
    assert step_title(mail, mail, GUARD) == "Type an e-mail address in 'Books'"
    pw = derived("d3", "type", text="••••••", masked=True)
    assert step_title(pw, pw, GUARD) == "Type the password in 'Books'"
    # the contributor's own mask, and masked keys
    masked = Guard([{"kind": "text", "step_id": "d1", "start": 0, "end": 4},
                    {"kind": "keys", "step_id": "d4"}])
    assert step_title(s, s, masked) == "Type “<redacted> Corporation” in 'Invoice 2041'"
    keys = derived("d4", "hotkey", keys=["ctrl", "s"])
    assert step_title(keys, keys, masked) == "Press the masked keys in 'Books'"
    assert step_title(keys, keys, GUARD) == "Press Ctrl+S in 'Books'"


def test_a_password_field_is_never_quoted_even_unmasked():
    d = Drafter(GUARD, None, ocr=False)
    steps = [typing(1, "hunter2", focus=el("password text", "Password"))]
    assert d.draft(steps, 0).text == "Type the password into the Password field"
