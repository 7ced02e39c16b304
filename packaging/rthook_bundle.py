"""Runtime hook of the contributor app: runs before annotator is imported.

- Tesseract reads the English language data shipped in the bundle (unless the user points
  TESSDATA_PREFIX elsewhere), so OCR needs nothing from the system.
- Qt uses its X11 platform wherever there is an X display (the bundle has no Wayland one).
- ctypes.util.find_library asks the system's linker cache and ignores the libraries in the
  bundle; mss loads libxcb-randr, -render, -shm and -xfixes through it, so on a system
  without them screen capture would fail although the bundle carries them.  Bundled
  libraries are found first.
"""

import ctypes.util
import glob
import os
import sys

# Recording needs X11: on a Wayland desktop the app runs on its X server (XWayland).
if os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")

_HERE = getattr(sys, "_MEIPASS", os.path.dirname(os.path.abspath(sys.executable)))
_TESSDATA = os.path.join(_HERE, "tessdata")
if os.path.isdir(_TESSDATA):
    os.environ.setdefault("TESSDATA_PREFIX", _TESSDATA)

_system_find_library = ctypes.util.find_library


def _find_library(name):
    for pattern in (f"lib{name}.so.[0-9]*", f"lib{name}.so"):
        found = sorted(glob.glob(os.path.join(_HERE, pattern)))
        if found:
            return found[0]
    return _system_find_library(name)


ctypes.util.find_library = _find_library
