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

    def _client(self, w: Any, watch: Callable[[Any], None] | None = None) -> Any:
        """The window carrying the title: ``w`` itself or, under a reparenting window
        manager, its first titled descendant.  ``watch`` is called on every window before
        it is read."""
        if watch is not None:
            watch(w)
        if self._title(w) or self._app(w):
            return w
        try:
            for child in w.query_tree().children:
                found = self._client(child, watch)
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


# What a deny-list match reads of a window; a change to another property (_NET_WM_USER_TIME,
# set at every key press) does not call for a check.
_CHECK_EVENTS = (X.CreateNotify, X.DestroyNotify, X.MapNotify, X.UnmapNotify, X.ReparentNotify)
_GEOMETRY_EVENTS = (X.ConfigureNotify, X.GravityNotify, X.CirculateNotify)
_WATCH = X.SubstructureNotifyMask | X.PropertyChangeMask
SAFETY_CHECK_S = 5.0


def _ignore(*_args: Any) -> None:
    """A window gone before our request reached the server: nothing to watch."""


class X11DenyMasker:
    """Rectangles of visible deny-listed windows, asked for before every grab by the capture
    thread.

    Driven by X events, so that an unchanged desktop costs one round trip a grab (a window
    tree query before every grab was a quarter of the capture thread): the root's
    SubstructureNotify reports every top-level window created, mapped, unmapped, reparented,
    moved or resized; every window looked at for a title reports its own property changes
    and its children's structure (a client mapped inside a window manager's frame).  The
    round trip before each answer guarantees that every event the server made before it has
    arrived: a window mapped, raised, moved or renamed before the grab is masked in it.
    The windows are checked again in full when such an event came (a title, class or
    process property; a window made, mapped, unmapped or reparented), their boxes re-read
    when one moved, and in full every ``safety_s`` all the same.
    """

    def __init__(self, match: Callable[[WindowInfo], bool], display_name: str | None = None,
                 safety_s: float = SAFETY_CHECK_S) -> None:
        self._w = w = X11Windows(display_name)
        self._match = match
        self._atoms = {Xatom.WM_NAME, Xatom.WM_CLASS, w._NET_WM_NAME, w._NET_WM_PID}
        self._denied: list[Any] = []
        self._rects: list[Rect] = []
        self._safety_s = safety_s
        self._last_check: float | None = None  # none yet
        self.stats = {"checks": 0, "geometry": 0}
        # Selected before the first check: whatever changes after it is reported.
        w._root.change_attributes(event_mask=X.SubstructureNotifyMask)

    def close(self) -> None:
        self._w.close()

    def rects(self) -> list[Rect]:
        d = self._w._d
        d.get_input_focus()  # the round trip: every event made before it is now queued
        check = geometry = False
        while d.pending_events():
            e = d.next_event()
            if e.type == X.PropertyNotify:
                check = check or e.atom in self._atoms
            elif e.type in _CHECK_EVENTS:
                check = True
            elif e.type in _GEOMETRY_EVENTS:
                geometry = True
        now = time.monotonic()
        if check or self._last_check is None or now - self._last_check >= self._safety_s:
            self._check(now)
        elif geometry:
            self._boxes()
        return list(self._rects)

    def _check(self, now: float) -> None:
        w = self._w
        self.stats["checks"] += 1
        self._last_check = now
        self._denied = []
        try:
            children = w._root.query_tree().children
        except error.XError:
            children = []
        for c in children:
            try:
                attrs = c.get_attributes()
            except error.XError:
                continue
            if attrs.map_state != X.IsViewable or attrs.win_class == X.InputOnly:
                continue
            client = w._client(c, self._watch)
            if client is None:
                continue
            info = WindowInfo(client.id, w._title(client), w._app(client), w._rect(c),
                              w._pid(client))
            if self._match(info):
                self._denied.append(c)
        self._boxes()

    @staticmethod
    def _watch(win: Any) -> None:
        """Report what later changes in ``win`` (a title set later, a client mapped into a
        frame later): selected before it is read."""
        win.change_attributes(event_mask=_WATCH, onerror=_ignore)

    def _boxes(self) -> None:
        self.stats["geometry"] += 1
        out = []
        for c in self._denied:
            r = self._w._rect(c)
            if r is not None:
                out.append(r)
        self._rects = out
