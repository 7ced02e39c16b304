"""The app shows what this computer lacks above the library, and every check in a dialog."""

from __future__ import annotations

from annotator.ui.app import LibraryWindow
from annotator.ui.platform_view import HIDDEN_PREF, PlatformChecks
from annotator.workspace import Workspace


def test_notice_hide_and_dialog(qtbot, tmp_path, monkeypatch):
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)  # no accessibility bus
    ws = Workspace.open(tmp_path / "ws")
    win = LibraryWindow(ws, open_store=False, auto_sign_in=False)
    qtbot.addWidget(win)
    lay = win.centralWidget().layout()
    pc = PlatformChecks(win, ws, lambda w: lay.insertWidget(lay.indexOf(win.banner) + 1, w))
    win.show()
    pc.start()
    qtbot.waitUntil(lambda: pc.checks is not None, timeout=60_000)
    assert pc.notice.isVisible()
    text = pc.notice.text()
    assert "Accessibility bus" in text and "Password fields cannot be detected" in text
    assert lay.indexOf(pc.notice) == lay.indexOf(win.banner) + 1  # above the tabs

    dlg = pc.show_dialog()
    qtbot.waitUntil(dlg.isVisible)
    body = dlg.body.text()
    assert "✗" in body and "What it means:" in body and "What to do:" in body
    assert "✓" in body  # the disk, at least, is fine
    dlg.close()

    pc._hide()  # "Hide": remembered for this set of missing pieces only
    assert not pc.notice.isVisible()
    assert ws.preferences().platform_notice_hidden == sorted(c.key for c in pc.checks if not c.ok)
    pc._done(pc.checks)
    assert not pc.notice.isVisible()
    ws.set_preference(HIDDEN_PREF, ["disk"])  # a different set: shown again
    pc._done(pc.checks)
    assert pc.notice.isVisible()
