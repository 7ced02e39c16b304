"""Every window and dialog fits the smallest screen we design for (1280x720 logical pixels: a
1920x1080 laptop at 150 %, or a 1366x768 one less its panel), and opens no larger than the
screen it is on.  Found by hand: on a 1366x768 screen the library window opened 948 pixels
tall (the review tab alone asked for 770), its status bar and details below the screen's
edge, and the editor asked for 1332 pixels of width."""

from __future__ import annotations

import shutil

import pytest
from PyQt6.QtCore import QRect, QSize

from annotator.ui.fit import FRAME_ALLOWANCE, SMALLEST_SCREEN, fitted_size
from tests.ui.workflow_helpers import library, workspace_store
from tests.workflow.helpers import build_world

LARGEST = SMALLEST_SCREEN - FRAME_ALLOWANCE


def _fits(widget) -> None:
    hint = widget.minimumSizeHint()
    assert hint.width() <= LARGEST.width() and hint.height() <= LARGEST.height(), (
        f"{type(widget).__name__} needs at least {hint.width()}x{hint.height()}, more than "
        f"{LARGEST.width()}x{LARGEST.height()}")


@pytest.fixture
def world(tmp_path, tmp_path_factory):
    ws, svc = workspace_store(tmp_path / "ws", tmp_path_factory.getbasetemp())
    w = build_world(svc, tmp_path / "pkgs")
    w.ws = ws
    return w


def test_the_library_fits_with_every_tab_an_admin_sees(qtbot, world):
    from annotator.platformcheck import RECOMMENDED, Check
    from annotator.ui.platform_view import PlatformChecks

    win = library(qtbot, world.ws, world.svc, world.admin)
    assert win.tabs.count() == 5  # Recordings, Tasks, My submissions, Review, Admin
    # Both notices the window can show at once, as on a machine without an AT-SPI bus.
    win.banner.show_message("Signed in as admin (admin).", "ok")
    lay = win.centralWidget().layout()
    checks = PlatformChecks(win, world.ws,
                            lambda w: lay.insertWidget(lay.indexOf(win.banner) + 1, w))
    checks._done([Check(key, key.title(), False, RECOMMENDED, "not found", impact=" ".join(
        ["What this means for you, at the length of the real notices."] * 3))
        for key in ("accessibility", "keyring")])
    assert checks.notice.isVisibleTo(win)
    win.review_view.banner.show_message("You hold #12 until 16:30.", "ok")  # the tab's own
    _fits(win)


def test_the_editor_fits(qtbot, demo):
    from annotator.ui.editor.window import EditorWindow

    win = EditorWindow(demo)
    qtbot.addWidget(win)
    win.show()
    for i in range(win.tabs.count()):  # each tab's page, shown
        win.tabs.setCurrentIndex(i)
        _fits(win)


def test_the_consent_dialog_fits(qtbot, world, demo):
    from annotator.ui.workflow.consent_dialog import ConsentDialog

    rec = world.ws.recordings_dir / demo.name
    if not rec.exists():
        shutil.copytree(demo, rec)
    win = library(qtbot, world.ws, world.svc, world.ana)
    dlg = ConsentDialog(win.session, rec, win, auto_prepare=False)
    qtbot.addWidget(dlg)
    _fits(dlg)


def test_the_small_windows_fit(qtbot, world):
    from annotator.ui.platform_view import PlatformDialog
    from annotator.ui.recorder_control import AcknowledgeDialog, RecorderControl
    from annotator.ui.workflow.sign_in import SignInDialog

    control = RecorderControl(world.ws)
    for w in (PlatformDialog([]), SignInDialog(world.svc, workspace=world.ws), control,
              AcknowledgeDialog(control)):
        qtbot.addWidget(w)
        _fits(w)


@pytest.mark.parametrize("avail", [QRect(0, 0, 1280, 690), QRect(0, 27, 1366, 741),
                                   QRect(0, 0, 1920, 1050)])
def test_a_window_opens_no_larger_than_its_screen(avail):
    preferred = QSize(1500, 900)
    got = fitted_size(preferred, avail, minimum=QSize(900, 500))
    assert got.width() <= avail.width() - FRAME_ALLOWANCE.width()
    assert got.height() <= avail.height() - FRAME_ALLOWANCE.height()
    assert got.width() >= 900 and got.height() >= 500
    if avail.width() >= 1920:
        assert got == preferred  # a large screen gets the size the window prefers


def test_a_confirmation_gives_its_room_back_and_a_later_message_stays(qtbot):
    from annotator.ui.workflow.common import Banner

    banner = Banner()
    qtbot.addWidget(banner)
    banner.show_message("Signed in as ana (contributor).", "ok", hide_after_ms=50)
    qtbot.waitUntil(lambda: banner.isHidden(), timeout=2000)
    banner.show_message("Signed in as ana (contributor).", "ok", hide_after_ms=50)
    banner.show_message("The server refused the sign-in.", "error")  # replaces it in time
    qtbot.wait(200)
    assert not banner.isHidden() and banner.kind == "error"
