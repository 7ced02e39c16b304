"""Which capture backend this session can use, and a plain message when none can."""

from __future__ import annotations

import sys

from annotator.errors import PlatformNotSupported
from annotator.settings import current as settings


def session_kind() -> str:
    """'x11', 'wayland' (no X server reachable), 'none', or the platform name."""
    if sys.platform != "linux":
        return sys.platform
    env = settings()
    if env.display:
        return "x11"
    if env.wayland_display or env.session_type == "wayland":
        return "wayland"
    return "none"


def require_x11() -> str:
    """Return the X display name, or raise a clear error saying why capture cannot run."""
    kind = session_kind()
    if kind == "wayland":
        raise PlatformNotSupported(
            "This is a Wayland desktop without an X server (no DISPLAY): screen and input "
            "capture are not supported on Wayland yet.",
            "Log in to an X11 session (\"Ubuntu on Xorg\" at the login screen), or run "
            "under XWayland with DISPLAY set.",
        )
    if kind == "none":
        raise PlatformNotSupported(
            "There is no display to record: DISPLAY is not set.",
            "Run annotator from a desktop session, or start an X server (for example Xvfb) "
            "and set DISPLAY.",
        )
    if kind != "x11":
        raise PlatformNotSupported(
            f"Recording on {kind} is not supported yet; annotator records Linux on X11.",
            "Use a Linux desktop with an X11 session.",
        )
    display = settings().display or ""
    try:
        from Xlib import display as xdisplay
        from Xlib.error import DisplayError

        try:
            d = xdisplay.Display(display)
        except DisplayError as exc:
            raise PlatformNotSupported(
                f"Cannot connect to the X display {display!r}: {exc}.",
                "Check that the X server is running and that DISPLAY is right.",
            ) from exc
        except Exception as exc:  # Xlib raises several kinds on a bad display name
            raise PlatformNotSupported(
                f"Cannot connect to the X display {display!r}: {exc}.",
                "Check that the X server is running and that DISPLAY is right.",
            ) from exc
        if not d.has_extension("RECORD"):
            d.close()
            raise PlatformNotSupported(
                f"The X server {display!r} has no RECORD extension, so input cannot be captured.",
                "Enable the RECORD extension in the X server.",
            )
        d.close()
    except ImportError as exc:  # pragma: no cover - python-xlib is a dependency on Linux
        raise PlatformNotSupported("python-xlib is not installed.") from exc
    return display
