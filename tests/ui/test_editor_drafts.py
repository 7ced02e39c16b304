"""Drafted instructions and action markers in the editor (demo recording, offscreen), and
origins and markers in the reviewer's player."""

from __future__ import annotations

from PyQt6.QtCore import Qt

from annotator.drafts.markers import BOX, CLICK, SCROLL
from annotator.submission.playback import parse_steps
from annotator.ui.editor.window import EditorWindow


def open_drafted(qtbot, folder) -> EditorWindow:
    win = EditorWindow(folder)
    qtbot.addWidget(win)
    win.show()
    # Wide margins: the wait ends as soon as the condition holds, and under heavy load the
    # rest of the drafts wait for the frame cache to be complete.
    qtbot.waitUntil(lambda: win.view.pts is not None, timeout=30_000)
    total = len(win.session.result.all_steps)
    qtbot.waitUntil(lambda: len(win.drafts.drafts) == total, timeout=180_000)
    qtbot.waitUntil(lambda: len(win.session.drafts) == total, timeout=30_000)
    return win


def key(qtbot, win, k, mods=Qt.KeyboardModifier.NoModifier):
    win.step_list.setFocus()
    qtbot.keyClick(win.step_list, k, mods)


def test_drafts_are_proposals_accepted_with_one_key_and_markers_show_the_action(qtbot, demo):
    win = open_drafted(qtbot, demo)
    s = win.session
    steps = s.result.steps
    # the rows on screen (the window at its final size) are the ones drafted first
    view = win.step_list
    bottom = view.indexAt(view.viewport().rect().bottomLeft()).row()
    on_screen = {st.id for st in win.step_model.steps[:bottom if bottom >= 0 else None]}
    assert len(on_screen) >= 5 and on_screen <= set(win.draft_worker._order)
    # every row shows its draft as a proposal, not as an instruction
    assert all("Draft" in win.step_list.text(r) for r in range(win.step_list.count()))
    assert not any(st.label.instruction for st in steps)
    # markers: the first step's click ring and the field it hit, over the video
    win.select_step(steps[0].id)
    qtbot.waitUntil(lambda: bool(win.view.markers), timeout=30_000)
    kinds = {m.kind for ms, strong in win.view.markers if strong for m in ms}
    assert {CLICK, BOX} <= kinds
    assert win.step_model.markers_of(steps[6])[0].kind == SCROLL  # thumbnails draw these too
    # A accepts the selected draft and moves to the next step without an instruction
    key(qtbot, win, Qt.Key.Key_A)
    assert s.edits.label(steps[0].id).origin == "accepted"
    assert win._selected_id == steps[1].id
    # Enter opens the draft in the field (selected: typing replaces it); Return accepts it
    win._focus_instruction_with_draft()
    assert win.instruction.text() == win.drafts.drafts[steps[1].id].text
    qtbot.keyClick(win.instruction, Qt.Key.Key_Return)
    assert s.edits.label(steps[1].id).origin == "accepted"
    # ...and typing over it writes the contributor's own
    win.select_step(steps[2].id)
    win._focus_instruction_with_draft()
    qtbot.keyClicks(win.instruction, "Go to the e-mail field")
    qtbot.keyClick(win.instruction, Qt.Key.Key_Return)
    assert s.edits.label(steps[2].id).origin == "written"
    # the bar above the list counts them, and its button is Shift+A
    n = len(steps)
    assert f"<b>3</b> of {n} step(s) labelled" in win.labelling_label.text()
    assert win.accept_all_btn.isEnabled() and win.accept_all_btn.text() == f"Accept {n - 3} drafts"
    # Shift+A: every other draft at once, one undoable edit
    key(qtbot, win, Qt.Key.Key_A, Qt.KeyboardModifier.ShiftModifier)
    assert all(st.label.instruction for st in s.result.steps)
    assert s.undo_text() == "Undo Accept all drafts"
    assert f"<b>{n}</b> of {n}" in win.labelling_label.text()
    assert not win.accept_all_btn.isEnabled()
    key(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    win.accept_all_btn.click()  # the button does the same
    assert all(st.label.instruction for st in s.result.steps)
    key(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not s.edits.label(steps[5].id).instruction
    assert s.edits.label(steps[2].id).instruction == "Go to the e-mail field"
    # a step with only a draft has an "Accept draft" button (A); one with an instruction not
    win.select_step(steps[5].id)
    assert win.accept_btn.isVisibleTo(win)
    win.accept_btn.click()
    assert s.edits.label(steps[5].id).origin == "accepted"
    win.select_step(steps[5].id)
    assert not win.accept_btn.isVisibleTo(win)
    win.close()


def test_the_reviewer_sees_each_instruction_origin_and_the_markers():
    rows = parse_steps({"steps": [
        {"index": 0, "type": "click", "x": 10, "y": 20, "instruction": 'Click "Save"',
         "text_source": {"low_level_instruction": "drafted"},
         "target": {"box": [0, 10, 40, 20]}, "observation": {"t_us": 100},
         "t_start_us": 200, "t_end_us": 260},
        {"index": 1, "type": "type", "text": "Acme", "instruction": "Enter the name",
         "observation": {"t_us": 300}, "t_start_us": 400, "t_end_us": 900}]})
    assert rows[0].origin == "drafted" and "[drafted]" in rows[0].line()
    assert rows[1].origin == "written"  # a package made before drafts
    from annotator.drafts.markers import step_markers

    assert [m.kind for m in step_markers(rows[0].raw)] == [BOX, CLICK]


def test_selecting_steps_and_drafts_arriving_move_no_widget(qtbot, demo):
    """The draft line under the instruction, its Accept button and the labelling bar
    change with every step selected and every draft arriving: nothing else may move or be
    resized (a wrapped label growing a line resized the step list on a seek, and laid out
    and repainted all of it)."""
    import dataclasses

    from PyQt6.QtWidgets import QWidget

    win = open_drafted(qtbot, demo)
    steps = win.session.result.steps
    qtbot.waitUntil(lambda: bool(win.step_model.thumbs), timeout=30_000)
    # The variety a contributor meets: weak drafts with a long reason, a step still being
    # drafted, an accepted one (no Accept button), plain drafts.
    d = win.drafts.drafts
    d[steps[1].id] = dataclasses.replace(
        d[steps[1].id], weak=True,
        why="the element under the pointer has no name, and the screen around it has no "
            "text either: check where the click went and write what it did")
    win.session.accept_draft(steps[2].id)
    del d[steps[3].id]
    win.step_model.drafting = True
    win._on_drafted([steps[1].id])
    tab = win.step_list.parentWidget()
    widgets = [w for w in tab.findChildren(QWidget) if w.isVisibleTo(win)]

    def geometry() -> dict:
        return {w: (w.geometry(), w.isVisibleTo(win)) for w in widgets}

    win.select_step(steps[0].id)
    qtbot.wait(50)
    before = geometry()
    for st in steps[:5] + steps[:5]:
        win.select_step(st.id)
        win._on_drafted([st.id])  # (a draft arriving repaints its row and the bar)
        qtbot.wait(20)
        after = geometry()
        moved = [(w.objectName() or type(w).__name__, before[w], after[w])
                 for w in widgets if before[w][0] != after[w][0]]
        assert not moved, (win.origin_label.text(), moved)


def test_a_drafting_process_that_ends_is_replaced_once_then_the_window_says_so(qtbot, demo):
    """Killed (or out of memory), the drafting process is started again and drafts every
    step; ended a second time, the window says drafting stopped and no row says "Drafting…"
    any more (before, drafting stopped silently and the rows said so for ever)."""
    import os
    import signal

    win = EditorWindow(demo)
    qtbot.addWidget(win)
    win.show()
    worker = win.draft_worker
    qtbot.waitUntil(lambda: worker.process is not None, timeout=10_000)
    first = worker.process
    assert first is not None
    os.kill(first.process.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: worker.process is not first, timeout=10_000)
    total = len(win.session.result.all_steps)
    qtbot.waitUntil(lambda: len(win.drafts.drafts) == total, timeout=120_000)
    second = worker.process
    assert second is not None and second is not first
    os.kill(second.process.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: "Drafting stopped" in win.banner.text(), timeout=10_000)
    assert win.banner_box.isVisibleTo(win) and not win.step_model.drafting
    win.close()
