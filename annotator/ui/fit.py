"""Windows that fit the screen they open on.

The smallest screen designed for is 1280x720 logical pixels: a 1920x1080 laptop at 150 %
scale, and about what a 1366x768 one leaves once its panel is drawn.  Every window's least
size fits it (tests/ui/test_small_screen.py); a window opens at the size it prefers, or at
what its screen has room for when that is less.
"""

from __future__ import annotations

from PyQt6.QtCore import QRect, QSize, Qt
from PyQt6.QtGui import QGuiApplication
from PyQt6.QtWidgets import QFrame, QScrollArea, QWidget

SMALLEST_SCREEN = QSize(1280, 720)
# What a window manager and a desktop panel take around a window: borders, a title bar, a
# top or bottom bar.
FRAME_ALLOWANCE = QSize(20, 80)


def fitted_size(preferred: QSize, available: QRect, minimum: QSize) -> QSize:
    """``preferred``, made no larger than ``available`` less the frame, nor smaller than
    ``minimum`` (a window below its least size would be cut, not smaller)."""
    room = QSize(available.width() - FRAME_ALLOWANCE.width(),
                 available.height() - FRAME_ALLOWANCE.height())
    return preferred.boundedTo(room).expandedTo(minimum)


def fit_to_screen(window: QWidget, width: int, height: int) -> None:
    """Size a top-level ``window`` (its layout built) to ``width`` x ``height``, or to its
    screen's free area when that is smaller."""
    preferred = QSize(width, height)
    if QGuiApplication.platformName() == "offscreen":
        # No one sees this screen (tests, benchmarks, icon rendering): its 800x800 would
        # shrink every window to its least size and change what they measure.
        window.resize(preferred.expandedTo(window.minimumSizeHint()))
        return
    screen = window.screen() or QGuiApplication.primaryScreen()
    available = screen.availableGeometry() if screen is not None else QRect(
        0, 0, SMALLEST_SCREEN.width(), SMALLEST_SCREEN.height())
    window.resize(fitted_size(preferred, available, window.minimumSizeHint()))


def scrollable(content: QWidget) -> QScrollArea:
    """``content`` in a frameless area that scrolls when the window is too short (or narrow)
    for it: a side panel's least size then no longer sets the window's."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    area.setWidget(content)
    # Layouts take a set least height over the hint: the scroll bar's arrows and a line of
    # content, no more (the hint, 68 pixels, kept the review's side column taller than its
    # player on a 720-pixel screen).
    area.setMinimumHeight(40)
    return area

