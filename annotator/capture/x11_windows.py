"""Window focus and visible windows on X11 through python-xlib.

With a window manager, the focused window is the root's _NET_ACTIVE_WINDOW; without one
(bare Xvfb) it is XGetInputFocus.  Visible windows are the viewable top-level windows, in
stacking order, each with its title (_NET_WM_NAME or WM_NAME) and application (WM_CLASS).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from Xlib import X, Xatom, display, error

from annotator.capture.interfaces import Rect, WindowInfo

NO_WM_RECHECK_S = 2.0


class X11Windows:
    """Use from one thread: it owns its own connection to the X server."""

    def __init__(self, display_name: str | None = None) -> None:
        self._d = display.Display(display_name)
        self._root = self._d.screen().root
        self._NET_ACTIVE_WINDOW = self._d.intern_atom("_NET_ACTIVE_WINDOW")
        self._NET_WM_NAME = self._d.intern_atom("_NET_WM_NAME")
        self._NET_WM_PID = self._d.intern_atom("_NET_WM_PID")
        self._UTF8 = self._d.intern_atom("UTF8_STRING")
        self._cache: tuple[int, float, WindowInfo | None] | None = None
        self._no_wm_since = -NO_WM_RECHECK_S  # when _NET_ACTIVE_WINDOW was last missing
        self._climbed: tuple[int, Any] | None = None  # focus window id, its top-level window

    def close(self) -> None:
        self._d.close()

    # -- properties ---------------------------------------------------------------
    def _title(self, w: Any) -> str:
        try:
            p = w.get_full_property(self._NET_WM_NAME, self._UTF8)
            if p and p.value:
                v = p.value
                return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
            p = w.get_full_property(Xatom.WM_NAME, X.AnyPropertyType)
            if p and p.value:
                v = p.value
                return v.decode("latin-1", "replace") if isinstance(v, bytes) else str(v)
        except error.XError:
            pass
        return ""

    def _app(self, w: Any) -> str:
        try:
            cls = w.get_wm_class()
            if cls:
                return cls[1] or cls[0] or ""
        except error.XError:
            pass
        return ""

    def _pid(self, w: Any) -> int | None:
        try:
            p = w.get_full_property(self._NET_WM_PID, Xatom.CARDINAL)
            if p and len(p.value):
                return int(p.value[0])
        except error.XError:
            pass
        return None

    def _rect(self, w: Any) -> Rect | None:
        try:
            g = w.get_geometry()
            t = w.translate_coords(self._root, 0, 0)
            return Rect(-t.x, -t.y, g.width, g.height)
        except error.XError:
            return None

    def _client(self, w: Any) -> Any:
        """The window carrying the title: ``w`` itself or, under a reparenting window
        manager, its first titled descendant."""
        if self._title(w) or self._app(w):
            return w
        try:
            for child in w.query_tree().children:
                found = self._client(child)
                if found is not None:
                    return found
        except error.XError:
            pass
        return None

    def _info(self, w: Any) -> WindowInfo | None:
        c = self._client(w)
        if c is None:
            return None
        return WindowInfo(c.id, self._title(c), self._app(c), self._rect(w), self._pid(c))

    # -- queries --------------------------------------------------------------------
    def focused(self, max_age_s: float = 0.0) -> WindowInfo | None:
        """The focused top-level window.  With ``max_age_s``, the description (title, box)
        of a window that kept focus is re-read only that often: one round trip per call
        instead of about eight (the recorder polls ten times a second)."""
        try:
            w = self._focused_window()
            if w is None:
                return None
            now = time.monotonic()
            cached = self._cache
            if cached is not None and cached[0] == w.id and now - cached[1] < max_age_s:
                return cached[2]
            info = self._info(w)
            self._cache = (w.id, now, info)
            return info
        except error.XError:
            return None

    def _focused_window(self) -> Any:
        # With a window manager: its _NET_ACTIVE_WINDOW (one round trip).  Without one, the
        # input focus climbed to its top-level window; then the property is looked for again
        # and the climb redone only every NO_WM_RECHECK_S (a poll costs one round trip).
        now = time.monotonic()
        recheck = now - self._no_wm_since >= NO_WM_RECHECK_S
        if recheck:
            p = self._root.get_full_property(self._NET_ACTIVE_WINDOW, X.AnyPropertyType)
            if p and len(p.value) and p.value[0]:
                self._no_wm_since = -NO_WM_RECHECK_S
                return self._d.create_resource_object("window", int(p.value[0]))
            self._no_wm_since = now
        focus = self._d.get_input_focus().focus
        if isinstance(focus, int) or focus in (X.NONE, X.PointerRoot):
            return None
        if not recheck and self._climbed is not None and self._climbed[0] == focus.id:
            return self._climbed[1]
        # Climb to the top-level window (a child of the root).
        w = focus
        while True:
            tree = w.query_tree()
            if tree.parent == 0 or tree.parent.id == self._root.id:
                break
            w = tree.parent
        self._climbed = (focus.id, w)
        return w

    def visible(self) -> list[WindowInfo]:
        out: list[WindowInfo] = []
        try:
            children = self._root.query_tree().children
        except error.XError:
            return out
        for w in children:
            try:
                attrs = w.get_attributes()
            except error.XError:
                continue
            if attrs.map_state != X.IsViewable or attrs.win_class == X.InputOnly:
                continue
            info = self._info(w)
            if info is not None:
                out.append(info)
        return out


class X11DenyMasker:
    """Rectangles of visible deny-listed windows, checked on every frame by the capture thread.

    Cheap enough per frame (two round trips when nothing changed): a new, mapped or raised
    window changes the root's child list and triggers a full re-check at once, and known
    deny-listed windows have their geometry re-read each time, so a frame is never grabbed
    with a stale mask.  Titles (a window renamed into the deny-list) are re-checked in full
    every ``full_every`` calls, but not more often than every ``full_min_s``: a full check
    costs about six round trips per top-level window, three times a second under full
    motion before this bound.
    """

    def __init__(self, match: Callable[[WindowInfo], bool], display_name: str | None = None,
                 full_every: int = 10, full_min_s: float = 1.0) -> None:
        self._w = X11Windows(display_name)
        self._match = match
        self._children: tuple[int, ...] | None = None
        self._denied: list[Any] = []
        self._calls = 0
        self._full_every = full_every
        self._full_min_s = full_min_s
        self._last_full = -full_min_s

    def close(self) -> None:
        self._w.close()

    def rects(self) -> list[Rect]:
        w = self._w
        self._calls += 1
        try:
            children = w._root.query_tree().children
        except error.XError:
            return []
        ids = tuple(c.id for c in children)
        now = time.monotonic()
        if ids != self._children or (self._calls >= self._full_every
                                     and now - self._last_full >= self._full_min_s):
            self._children = ids
            self._calls = 0
            self._last_full = now
            denied = []
            for c in children:
                try:
                    attrs = c.get_attributes()
                except error.XError:
                    continue
                if attrs.map_state != X.IsViewable or attrs.win_class == X.InputOnly:
                    continue
                info = w._info(c)
                if info is not None and self._match(info):
                    denied.append(c)
            self._denied = denied
        out = []
        for c in self._denied:
            try:
                if c.get_attributes().map_state != X.IsViewable:
                    continue
            except error.XError:
                continue
            r = w._rect(c)
            if r is not None:
                out.append(r)
        return out
