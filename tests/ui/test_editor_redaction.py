"""Redaction in the editor: a box drawn on the video, a typed password masked, suggestions
accepted, everything undoable, then a render whose leak check passes."""

from __future__ import annotations

import json

from PyQt6.QtCore import QPoint, Qt

from tests.ui.test_editor import open_editor, press


def test_draw_box_mask_text_accept_and_render(qtbot, demo, tmp_path):
    # A suggestion file as `annotator redact --suggest` writes it.
    (demo / "suggestions.json").write_text(json.dumps({"version": 1, "suggestions": [
        {"id": "sx1", "kind": "email", "source": "ocr", "rect": [70, 74, 170, 26],
         "t_start_us": 0, "t_end_us": 30_000_000, "reason": "e-mail on screen"}]}))
    win = open_editor(qtbot, demo)
    s = win.session
    win.tabs.setCurrentIndex(1)
    # Draw a box with the mouse: R, then drag on the video view, over the field the first
    # typing goes into (its text is masked below; the leak check reads the screen too).
    typing = next(x for x in s.result.all_steps if x.type == "type")
    win.select_step(typing.id)
    press(qtbot, win, Qt.Key.Key_R)
    assert win.view.drawing
    r = win.view.to_widget([70, 44, 200, 28])
    a, b = QPoint(int(r.left()), int(r.top())), QPoint(int(r.right()), int(r.bottom()))
    qtbot.mousePress(win.view, Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseMove(win.view, b)
    qtbot.mouseRelease(win.view, Qt.MouseButton.LeftButton, pos=b)
    (box,) = [x for x in s.edits.redactions if x["kind"] == "box"]
    assert abs(box["rect"][0] - 70) <= 3 and abs(box["rect"][2] - 200) <= 4
    assert box["t_start_us"] <= typing.orig_t_start_us and box["start_step"] == typing.id
    assert s.undo_text() == "Undo Redact region"
    # Mask the typed text of the selected step.
    win.mask_selected_text()
    assert any(x["kind"] == "text" and x["step_id"] == typing.id for x in s.edits.redactions)
    # Accept all suggestions.
    assert win.rpanel.suggestions.count() == 1
    win.rpanel.accept_all_btn.click()
    assert win.rpanel.suggestions.count() == 0
    assert sum(1 for x in s.edits.redactions if x["kind"] == "box") == 2
    # Undo and redo the acceptance.
    win.undo_action.trigger()
    assert win.rpanel.suggestions.count() == 1
    win.redo_action.trigger()
    # The overlay shows the boxes active at the playhead.
    win.seek(typing.orig_t_start_us + 1000)
    assert len(win.view.boxes) == 2
    # Render with the leak check, in the background.
    out = tmp_path / "out.mp4"
    win.render_for_submission(str(out))
    qtbot.waitUntil(lambda: hasattr(win, "last_leak_check"), timeout=120_000)
    assert win.last_leak_check.passed, str(win.last_leak_check)
    assert out.is_file()
    win.close()


def test_accepted_leak_items_are_listed_with_their_text():
    from annotator.ui.editor.redaction_panel import describe

    line = describe({"kind": "allow", "text": "support@example.com", "detector": "email"})
    assert "support@example.com" in line and "email" in line and "not sensitive" in line
    assert "any detector" in describe({"kind": "allow", "text": "ACME", "detector": "*"})
