"""Every window and dialog fits the smallest screen we design for (1280x720 logical pixels: a
1920x1080 laptop at 150 %, or a 1366x768 one less its panel), and opens no larger than the
screen it is on.  Found by hand: on a 1366x768 screen the library window opened 948 pixels
tall (the review tab alone asked for 770), its status bar and details below the screen's
edge, and the editor asked for 1332 pixels of width.  Then on a 1280x720 one: with a claimed
submission shown under both notices, the window grew to 669 pixels once laid out (wrapped
labels ask for more than the least size says before the window is shown)."""

from __future__ import annotations

import shutil

import pytest
from PyQt6.QtCore import QRect, QSize

from annotator.ui.fit import FRAME_ALLOWANCE, SMALLEST_SCREEN, fitted_size
from tests.ui.workflow_helpers import library, workspace_world

LARGEST = SMALLEST_SCREEN - FRAME_ALLOWANCE


def _fits(widget) -> None:
    """Its least size fits, and made that size it stays that size: a layout whose wrapped
    labels want more height than the least size says grows the window once shown."""
    from PyQt6.QtWidgets import QApplication

    hint = widget.minimumSizeHint()
    assert hint.width() <= LARGEST.width() and hint.height() <= LARGEST.height(), (
        f"{type(widget).__name__} needs at least {hint.width()}x{hint.height()}, more than "
        f"{LARGEST.width()}x{LARGEST.height()}")
    widget.show()
    widget.resize(LARGEST)
    for _ in range(3):
        QApplication.processEvents()
    assert widget.width() <= LARGEST.width() and widget.height() <= LARGEST.height(), (
        f"{type(widget).__name__} made {LARGEST.width()}x{LARGEST.height()} grew to "
        f"{widget.width()}x{widget.height()}")


@pytest.fixture
def world(tmp_path, tmp_path_factory):
    return workspace_world(tmp_path, tmp_path_factory.getbasetemp())


def _with_notices(win, ws):
    """Both notices the window can show above its tabs at once, as on a machine without an
    AT-SPI bus, just after signing in."""
    from annotator.platformcheck import RECOMMENDED, Check
    from annotator.ui.platform_view import PlatformChecks

    win.banner.show_message("Signed in as admin (admin).", "ok")
    lay = win.centralWidget().layout()
    checks = PlatformChecks(win, ws, lambda w: lay.insertWidget(lay.indexOf(win.banner) + 1, w))
    # At the length of the real ones (platformcheck.py): 235 and 130 characters.
    checks._done([Check(key, key.title(), False, RECOMMENDED, "not found",
                        impact=("What this means for you in a sentence. " * n)[:length])
                   for key, n, length in (("accessibility", 7, 235), ("keyring", 4, 130))])
    assert checks.notice.isVisibleTo(win)


def test_the_library_fits_with_every_tab_an_admin_sees(qtbot, world):
    win = library(qtbot, world.ws, world.svc, world.admin)
    assert win.tabs.count() == 5  # Recordings, Tasks, My submissions, Review, Admin
    _with_notices(win, world.ws)
    _fits(win)


def test_the_review_tab_fits_with_a_claimed_submission_shown(qtbot, world):
    world.submit(world.ana, goal="Create invoice 2041 for Acme Corporation and send it, "
                 "then file the copy under the customer's folder")
    win = library(qtbot, world.ws, world.svc, world.rev)
    _with_notices(win, world.ws)
    win.show_tab("Review")
    win.review_view.claim_next()  # its banner, the header and the player, all shown
    assert win.review_view.current is not None and win.review_view.banner.isVisibleTo(win)
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

