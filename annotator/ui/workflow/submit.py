""""Submit…" from anywhere (the editor's File menu): the consent dialog of the library
window, which holds the signed-in session; an editor started on its own gets a library
window of the recording's workspace first."""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtWidgets import QApplication

_KEEP: list = []  # library windows opened from here, kept alive


def workspace_of(folder: Path):
    from annotator.workspace import Workspace

    folder = Path(folder).resolve()
    if folder.parent.name == "recordings":
        return Workspace.open(folder.parent.parent)
    return Workspace.open(None)


def open_submit(folder: str | Path):
    from annotator.ui.app import LibraryWindow

    folder = Path(folder)
    libraries = [w for w in QApplication.topLevelWidgets() if isinstance(w, LibraryWindow)]
    # The library that opened this recording's editor, else a visible one.
    libraries.sort(key=lambda w: (not any(getattr(e, "folder", None) == folder
                                          for e in w.editors), not w.isVisible()))
    if libraries:
        w = libraries[0]
        w.showNormal()
        w.raise_()
        return w.submit_recording(folder)
    lib = LibraryWindow(workspace_of(folder), auto_sign_in=False)
    _KEEP.append(lib)
    lib.show()

    def go() -> None:
        if lib.session.ready:
            lib.session.changed.disconnect(go)
            lib.submit_recording(folder)

    lib.session.changed.connect(go)
    go()
    return lib
