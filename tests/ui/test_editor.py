"""The editor window on the demo recording, offscreen, driven like a user would."""

from __future__ import annotations

import json

import numpy as np
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication

from annotator.media.video import VideoReader
from annotator.ui.editor.step_list import OBS_ROLE
from annotator.ui.editor.window import EditorWindow


def open_editor(qtbot, folder) -> EditorWindow:
    win = EditorWindow(folder)
    qtbot.addWidget(win)
    win.show()
    win.wait_for_cache()
    qtbot.waitUntil(lambda: win.view.pts is not None, timeout=10_000)
    return win


def press(qtbot, win, key, mods=Qt.KeyboardModifier.NoModifier):
    win.setFocus()
    qtbot.keyClick(win, key, mods)


def test_steps_are_listed_and_the_view_shows_the_exact_observation_frame(qtbot, demo):
    win = open_editor(qtbot, demo)
    res = win.session.result
    assert win.step_list.count() == len(res.all_steps) >= 10
    first = win.step_list.text(1)
    assert "Type “Acme Corporation” in 'Invoice 2041 - Sample Books'" in first
    for row in (0, 4, win.step_list.count() - 1):
        win.step_list.setCurrentRow(row)
        step = res.get(win.step_list.step_id(row))
        want = win._obs_pts(step)
        qtbot.waitUntil(lambda w=want: win.view.pts == w, timeout=5000)
        with VideoReader(demo / "video.mp4") as r:
            frame = r.frame_at(want)
        assert frame.pts == want
        assert np.array_equal(win.view.rgb, frame.rgb)
    win.close()


def test_trim_label_delete_merge_undo_redo_and_reopen(qtbot, demo):
    win = open_editor(qtbot, demo)
    s = win.session
    kept_before = len(s.result.steps)
    # Trim: in point at the second step, out point near the end.
    steps = s.result.all_steps
    win.seek(steps[1].orig_t_start_us - 1000)
    press(qtbot, win, Qt.Key.Key_I)
    assert s.edits.trim_in_us == steps[1].orig_t_start_us - 1000
    assert win.undo_action.text() == s.undo_text() and "Undo" in win.undo_action.text()
    assert len(s.result.steps) == kept_before - 1  # the first step left the result
    # Label every kept step through the instruction field, Enter to commit.
    for i, step in enumerate(s.result.steps):
        win.select_step(step.id)
        win.instruction.setFocus()
        win.instruction.setText(f"do step {i}")
        qtbot.keyClick(win.instruction, Qt.Key.Key_Return)
    assert all(st.label.instruction.startswith("do step") for st in s.result.steps)
    # Delete a step with the Delete key, merge two with M.
    victim = s.result.steps[2].id
    win.select_step(victim)
    press(qtbot, win, Qt.Key.Key_Delete)
    assert s.result.get(victim).status == "deleted"
    win.select_step(s.result.steps[0].id)
    press(qtbot, win, Qt.Key.Key_M)
    assert s.result.steps[0].merged
    # The task panel.
    win.outcome.setCurrentIndex(win.outcome.findData("success"))
    win.goal.setFocus()
    win.goal.setPlainText("Fill in and send invoice 2041")
    win.instruction.setFocus()  # focus leaves the goal: committed
    assert s.edits.task.outcome == "success"
    assert s.edits.task.goal == "Fill in and send invoice 2041"
    final = s.edits.to_json()
    # Undo everything, then redo everything: the exact edit lists come back.
    n = 0
    while s.can_undo:
        win.undo_action.trigger()
        n += 1
    assert s.edits.trim_in_us is None and not s.edits.labels
    for _ in range(n):
        win.redo_action.trigger()
    assert s.edits.to_json() == final
    win.close()
    # Reopen: everything as left, history included.
    win2 = open_editor(qtbot, demo)
    assert win2.session.edits.to_json() == final
    assert win2.session.can_undo and win2.undo_action.text().startswith("Undo")
    assert json.loads((demo / "edits.json").read_text())
    win2.close()


def test_keyboard_navigation(qtbot, demo):
    win = open_editor(qtbot, demo)
    win.select_step(win.session.result.all_steps[0].id)
    first = win._selected_id
    press(qtbot, win, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert win._selected_id == win.session.result.all_steps[1].id != first
    press(qtbot, win, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert win._selected_id == first
    before = win.playhead
    press(qtbot, win, Qt.Key.Key_Right)
    assert win.playhead > before and win.playhead in win.stored_pts
    press(qtbot, win, Qt.Key.Key_Left)
    assert win.playhead < win.stored_pts[-1]
    press(qtbot, win, Qt.Key.Key_Space)
    assert win.speed == 1.0
    qtbot.wait(300)
    press(qtbot, win, Qt.Key.Key_K)
    assert win.speed == 0.0
    press(qtbot, win, Qt.Key.Key_L)
    press(qtbot, win, Qt.Key.Key_L)
    assert win.speed == 2.0
    press(qtbot, win, Qt.Key.Key_J)
    assert win.speed == -1.0
    press(qtbot, win, Qt.Key.Key_K)
    win.close()


def test_preview_plays_kept_ranges_only(qtbot, demo):
    win = open_editor(qtbot, demo)
    steps = win.session.result.all_steps
    a, b = steps[3].orig_t_start_us - 1000, steps[6].orig_t_start_us - 1000
    win.seek(a)
    press(qtbot, win, Qt.Key.Key_C)
    win.seek(b)
    press(qtbot, win, Qt.Key.Key_C)
    assert [(c.start_us, c.end_us) for c in win.session.edits.cuts] == [(a, b)]
    press(qtbot, win, Qt.Key.Key_P)
    assert win.preview and win.step_list.count() == len(win.session.result.steps)
    win.seek(a + 10)  # inside the cut: the preview jumps to where the result resumes
    assert win.playhead >= b
    assert "as submitted" in win.time_label.text()
    win.close()


def test_corrupt_edit_file_opens_last_good_state_with_a_message(qtbot, demo):
    win = open_editor(qtbot, demo)
    win.session.set_goal("first goal")
    win.session.set_goal("second goal")
    win.close()
    (demo / "edits.json").write_text("{ this is not json")
    win = open_editor(qtbot, demo)
    assert win.banner_box.isVisibleTo(win)
    assert "edits" in win.banner.text().lower()
    assert win.session.edits.task.goal in ("first goal", "second goal")
    assert list(demo.glob("edits.json.corrupt*"))
    win.close()


def test_step_list_rows_follow_edits_and_thumbnails_load_lazily(qtbot, demo):
    win = open_editor(qtbot, demo)
    lst, model = win.step_list, win.step_model
    assert lst.uniformItemSizes()  # rows are never measured one by one
    # Thumbnails: read from the frame cache for the rows painted, not for every step.
    lst.viewport().repaint()
    qtbot.waitUntil(lambda: len(model.thumbs) > 0, timeout=5000)
    shown = {model.index(r).data(OBS_ROLE) for r in range(model.rowCount())
             if lst.visualRect(model.index(r)).intersects(lst.viewport().rect())}
    assert set(model.thumbs) <= shown
    # An instruction written with Enter and a flag show in the row at once.
    step = win.session.result.all_steps[3]
    win.select_step(step.id)
    win.instruction.setFocus()
    win.instruction.setText("check the e-mail")
    qtbot.keyClick(win.instruction, Qt.Key.Key_Return)
    win.mistake.setChecked(True)
    row = model.row_of(step.id)
    assert "\n    check the e-mail" in lst.text(row) and "[mistake]" in lst.text(row)
    assert lst.currentRow() == row and win._selected_id == step.id
    # Deleting reshapes the list only in preview; the selection survives the refresh.
    win.delete_step()
    assert "deleted" in lst.text(row) and lst.currentRow() == row
    assert model.data(model.index(row), Qt.ItemDataRole.ForegroundRole) is not None
    # Up/Down in the list move the selection and the video with it.
    lst.setFocus()
    qtbot.keyClick(lst, Qt.Key.Key_Down)
    nxt = win.session.result.all_steps[4]
    assert win._selected_id == nxt.id
    qtbot.waitUntil(lambda: win.view.pts == win._obs_pts(nxt), timeout=5000)
    # Enter in the list goes to the selected step's instruction.
    qtbot.keyClick(lst, Qt.Key.Key_Return)
    assert win.instruction.hasFocus() or QApplication.focusWidget() is win.instruction
    win.close()


def test_first_open_writes_steps_and_frame_index_after_the_first_frame(qtbot, demo):
    from annotator.media.framecache import INDEX_FILE
    from annotator.steps.store import read_steps

    (demo / "steps.json").unlink(missing_ok=True)
    win = open_editor(qtbot, demo)  # derived: written once the first frame is shown
    ids = [s.id for s in win.steps]
    stored = list(win.stored_pts)
    win.close()
    assert [s.id for s in read_steps(demo).steps] == ids
    assert (demo / INDEX_FILE).is_file()
    # Without the kept index: the window opens on the first step's frame, reads the index
    # on a worker thread, then frame stepping works as before; the index is kept again.
    (demo / INDEX_FILE).unlink()
    win = open_editor(qtbot, demo)
    assert win.view.pts == min(s.obs_pts for s in win.steps if s.obs_pts is not None)
    qtbot.waitUntil(lambda: win.stored_pts == stored, timeout=10_000)
    before = win.playhead
    win.step_frame(1)
    assert win.playhead in stored and win.playhead > before
    assert (demo / INDEX_FILE).is_file()
    win.close()
