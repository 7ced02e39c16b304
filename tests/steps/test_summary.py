"""A step in one line, as the editor's step list shows it."""

from __future__ import annotations

from annotator.steps import derive_bundle
from annotator.steps.summary import step_summary
from tests.steps.helpers import Script, make_bundle


def test_every_kind_of_step_in_one_line(tmp_path):
    folder = make_bundle(tmp_path / "b", Script().click(100, 120).type("Hello")
                         .press("enter").hotkey("ctrl", "s").scroll(200, 210, 2)
                         .drag([(10, 10), (80, 90)]))
    steps = derive_bundle(folder).steps
    lines = [step_summary(s, s) for s in steps]
    assert lines[0].startswith("Click (100, 120)")
    assert lines[1].startswith("Type “Hello”")
    assert lines[2].startswith("Press Enter")
    assert lines[3].startswith("Press Ctrl+S")
    assert lines[4].startswith("Scroll down 2 at (200, 210)")
    assert lines[5].startswith("Drag (10, 10) → (80, 90)")
    for s, line in zip(steps, lines, strict=True):
        if s.window_title:
            assert line.endswith(f" in '{s.window_title}'")


def test_long_typing_is_clipped_and_a_lost_source_still_reads(tmp_path):
    folder = make_bundle(tmp_path / "b", Script().type("x" * 60))
    typed = derive_bundle(folder).steps[0]
    line = step_summary(typed, None)  # its source is gone: kind and text only
    assert line == f"Type “{'x' * 39}…”"
