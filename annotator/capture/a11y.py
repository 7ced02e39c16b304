"""Accessibility at capture time on Linux: AT-SPI over D-Bus, from the venv (no gi/pyatspi).

What it gives the recorder:
- the element under each mouse press (role, name, screen box, application, pid), found by a
  hit test at press time;
- a timeline of keyboard focus (from ``object:state-changed:focused`` events), so that keys
  typed into a password field (numeric role 40, PASSWORD_TEXT) are masked and the field is
  blacked out of frames.

Design (see shared/reference/a11y.md for the measurements behind it):
- One worker thread makes every D-Bus call (session bus and accessibility bus, through
  jeepney's blocking API) and owns its own X connection; a reader thread reads the
  accessibility bus, routes replies and stamps each signal the moment it arrives (so a busy
  worker does not make a focus change look late).  Nothing here runs on pynput's callback
  threads or on a GUI thread: ``request_hit`` only records the click and queues it.
- Every D-Bus call has a short timeout (``CALL_TIMEOUT_S``): a hung application costs at most
  that, and its late reply is dropped.
- The top-level window under a click comes from X11 stacking order, then ``_NET_WM_PID`` picks
  the AT-SPI application (walking applications in registry order returns the wrong window when
  two overlap).  Then ``GetAccessibleAtPoint`` descends to the deepest element.
- ``org.a11y.Status.IsEnabled`` is set to true while recording (Qt and Firefox only build their
  tree when it is), and restored on stop.  ScreenReaderEnabled is never touched (on GNOME it
  starts Orca).
- The recorder's own process is skipped, in hits and in focus events.

Key masking rule (``FocusTimeline.decide``), for a key stamped ``t``:
  masked if the focus in force at ``t`` is a password field, or focus moved to a password
  field within ``(t, t + KEY_BUFFER_NS]`` (the key came before the focus event its click or
  Tab caused), or the last mouse press before ``t`` hit a password field and no focus change
  to a non-password element came between that press and ``t``, or a Tab was pressed less
  than ``TAB_WAIT_NS`` before ``t``, no focus change has come since, and the first one after
  ``t`` (within that wait) is to a password field (a slow application's focus event can come
  later than the buffer; the press rule covers clicks the same way).
The recorder holds each key until its horizon (``t + KEY_BUFFER_NS``, later after a Tab) has
passed *and* this worker has handled every focus event received up to then (``synced_ns``),
and while the hit test of the press before it is still running; ``MAX_HOLD_NS`` bounds the
wait.
"""

from __future__ import annotations

import os
import queue
import selectors
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from annotator.capture.interfaces import Rect, WindowInfo
from annotator.settings import current as settings

PASSWORD_ROLE = 40  # ATSPI_ROLE_PASSWORD_TEXT: use the number, Qt's role *name* says "text"
TEXT_ROLE = 61
KEY_BUFFER_NS = 30_000_000  # keys wait this long for a focus change they caused
MAX_HOLD_NS = 500_000_000  # ...and never longer than this, whatever the worker is doing
TAB_WAIT_NS = 250_000_000  # keys typed this soon after Tab wait for the focus event it causes
CALL_TIMEOUT_S = 0.15
HIT_BUDGET_S = 0.4  # a whole hit test (all its calls)
CONNECT_TIMEOUT_S = 2.0
BOX_REFRESH_S = 0.2  # re-read a focused password field's box (the window may move)
KEEP_NS = 10_000_000_000  # timeline history kept for key decisions

SOURCE_ATSPI = "atspi"
SOURCE_NONE = "none"

_NULL_PATH = "/org/a11y/atspi/null"
_REGISTRY = "org.a11y.atspi.Registry"
_ROOT_PATH = "/org/a11y/atspi/accessible/root"
_IFACE = "org.a11y.atspi."

# AtspiRole, by number (at-spi2-core atspi-constants.h).  Names as AT-SPI spells them.
_ROLES = (
    "invalid accelerator_label alert animation arrow calendar canvas check_box "
    "check_menu_item color_chooser column_header combo_box date_editor desktop_icon "
    "desktop_frame dial dialog directory_pane drawing_area file_chooser filler "
    "focus_traversable font_chooser frame glass_pane html_container icon image "
    "internal_frame label layered_pane list list_item menu menu_bar menu_item option_pane "
    "page_tab page_tab_list panel password_text popup_menu progress_bar push_button "
    "radio_button radio_menu_item root_pane row_header scroll_bar scroll_pane separator "
    "slider spin_button split_pane status_bar table table_cell table_column_header "
    "table_row_header tearoff_menu_item terminal text toggle_button tool_bar tool_tip tree "
    "tree_table unknown viewport window extended header footer paragraph ruler application "
    "autocomplete editbar embedded entry chart caption document_frame heading page section "
    "redundant_object form link input_method_window table_row tree_item "
    "document_spreadsheet document_presentation document_text document_web document_email "
    "comment list_box grouping image_map notification info_bar level_bar title_bar "
    "block_quote audio video definition article landmark log marquee math rating timer "
    "static math_fraction math_root subscript superscript description_list "
    "description_term description_value footnote content_deletion content_insertion mark "
    "suggestion push_button_menu switch"
).split()
ROLE_NAMES: dict[int, str] = {i: n.replace("_", " ") for i, n in enumerate(_ROLES)}

# AtspiStateType bits worth recording.
_STATES = {1: "active", 4: "checked", 7: "editable", 8: "enabled", 10: "expanded",
           11: "focusable", 12: "focused", 20: "pressed", 23: "selected", 24: "sensitive",
           25: "showing", 30: "visible"}
_SHOWING = 25

_TOP_ROLES = {23, 69, 75, 16, 20}  # frame, window, application, dialog, filler


def _roughly_inside(inner: Rect, outer: Rect, slack: int = 64) -> bool:
    return (inner.x >= outer.x - slack and inner.y >= outer.y - slack
            and inner.x + inner.width <= outer.x + outer.width + slack
            and inner.y + inner.height <= outer.y + outer.height + slack)


def role_name(role: int | None) -> str | None:
    if role is None:
        return None
    return ROLE_NAMES.get(role, f"role {role}")


@dataclass(frozen=True)
class Element:
    """What accessibility says about one element, or why it says nothing (``source="none"``).

    ``box`` is in root-window (screen) coordinates; ``to_record`` shifts it into screenshot
    pixels.  ``ref`` (bus name, object path) and ``window`` are for this process only and are
    never written to a bundle.
    """

    source: str
    role: int | None = None
    name: str | None = None
    box: Rect | None = None
    app: str | None = None
    toolkit: str | None = None
    pid: int | None = None
    states: tuple[str, ...] = ()
    reason: str | None = None
    latency_us: int | None = None
    ref: tuple[str, str] | None = field(default=None, compare=False, repr=False)
    window: WindowInfo | None = field(default=None, compare=False, repr=False)

    @property
    def password(self) -> bool:
        return self.source == SOURCE_ATSPI and self.role == PASSWORD_ROLE

    @property
    def showing(self) -> bool:
        return "showing" in self.states or not self.states

    @property
    def role_name(self) -> str | None:
        return role_name(self.role)

    def to_record(self, origin_x: int = 0, origin_y: int = 0) -> dict[str, Any]:
        if self.source != SOURCE_ATSPI:
            out: dict[str, Any] = {"source": self.source, "reason": self.reason}
            if self.app is not None:
                out["app"] = self.app
            if self.pid is not None:
                out["pid"] = self.pid
            if self.latency_us is not None:
                out["latency_us"] = self.latency_us
            return out
        box = None
        if self.box is not None:
            b = self.box
            box = [b.x - origin_x, b.y - origin_y, b.width, b.height]
        return {
            "source": self.source,
            "role": self.role,
            "role_name": self.role_name,
            "name": self.name,
            "box": box,
            "app": self.app,
            "toolkit": self.toolkit,
            "pid": self.pid,
            "states": list(self.states),
            "password": self.password,
            "latency_us": self.latency_us,
        }


def none_element(reason: str, **kw: Any) -> Element:
    return Element(SOURCE_NONE, reason=reason, **kw)


@dataclass(frozen=True)
class A11yStatus:
    available: bool
    reason: str | None
    focus_source: str  # "atspi" or "none"

    def as_dict(self) -> dict[str, Any]:
        return {"available": self.available, "reason": self.reason,
                "focus_source": self.focus_source}


def unavailable(reason: str) -> A11yStatus:
    return A11yStatus(False, reason, SOURCE_NONE)


class CallTimeout(Exception):
    """A D-Bus call got no reply within its timeout (not an OSError: the connection is fine)."""


# -- focus timeline (pure, thread-safe) ----------------------------------------------------

class _Pending:
    """Marker for a press whose hit test has not answered yet."""


_PENDING = _Pending()


class FocusTimeline:
    """Focus changes and mouse presses in time order, answering "was this key typed into a
    password field?" and "which password field is on screen and focused now?".

    Times are ``time.monotonic_ns``.  A focus entry of ``None`` means focus left an accessible
    element for somewhere unknown.
    """

    def __init__(self, buffer_ns: int = KEY_BUFFER_NS, keep_ns: int = KEEP_NS) -> None:
        self.buffer_ns = buffer_ns
        self.keep_ns = keep_ns
        self._lock = threading.Lock()
        self._focus: list[tuple[int, Element | None]] = []
        self._clicks: list[tuple[int, int, Any]] = []  # (t_ns, click_id, Element | _PENDING)
        self._tabs: list[int] = []  # times of Tab presses (focus moves by keyboard)

    # writers
    def add_focus(self, t_ns: int, element: Element | None) -> None:
        with self._lock:
            i = len(self._focus)
            while i and self._focus[i - 1][0] > t_ns:
                i -= 1
            self._focus.insert(i, (t_ns, element))
            self._prune(t_ns)

    def add_click(self, click_id: int, t_ns: int) -> None:
        with self._lock:
            i = len(self._clicks)
            while i and self._clicks[i - 1][0] > t_ns:
                i -= 1
            self._clicks.insert(i, (t_ns, click_id, _PENDING))
            self._prune(t_ns)

    def add_focus_key(self, t_ns: int) -> None:
        """A Tab was pressed: focus is about to move."""
        with self._lock:
            self._tabs.append(t_ns)
            cut = t_ns - self.keep_ns
            while len(self._tabs) > 1 and self._tabs[0] < cut:
                self._tabs.pop(0)

    def resolve_click(self, click_id: int, element: Element) -> None:
        with self._lock:
            for i in range(len(self._clicks) - 1, -1, -1):
                t, cid, _ = self._clicks[i]
                if cid == click_id:
                    self._clicks[i] = (t, cid, element)
                    return

    def update_element(self, ref: tuple[str, str], box: Rect | None,
                       states: tuple[str, ...] | None) -> None:
        """New box/states for an element already in the timeline (a moved window)."""
        def upd(el: Element) -> Element:
            return replace(el, box=box if box is not None else el.box,
                           states=states if states is not None else el.states)

        with self._lock:
            if self._focus and self._focus[-1][1] is not None and self._focus[-1][1].ref == ref:
                t, el = self._focus[-1]
                self._focus[-1] = (t, upd(el))
            if self._clicks and isinstance(self._clicks[-1][2], Element) \
                    and self._clicks[-1][2].ref == ref:
                t, cid, el = self._clicks[-1]
                self._clicks[-1] = (t, cid, upd(el))

    def _prune(self, now_ns: int) -> None:
        cut = now_ns - self.keep_ns
        for lst in (self._focus, self._clicks):
            n = 0
            while n + 1 < len(lst) and lst[n + 1][0] < cut:
                n += 1
            if n:
                del lst[:n]

    # readers
    def current_focus(self) -> Element | None:
        with self._lock:
            return self._focus[-1][1] if self._focus else None

    def _focus_at(self, t_ns: int) -> Element | None:
        best = None
        for t, el in self._focus:
            if t > t_ns:
                break
            best = el
        return best

    def _click_rule(self, t_ns: int) -> Any:
        """The last press at or before ``t_ns``: its element (or _PENDING) if it still
        governs masking, else None."""
        last = None
        for c in self._clicks:
            if c[0] > t_ns:
                break
            last = c
        if last is None:
            return None
        t_click, _, el = last
        if el is _PENDING:
            return _PENDING
        if not el.password:
            return None
        for t, f in self._focus:
            if t_click < t <= t_ns and f is not None and not f.password:
                return None  # focus moved on (Tab, a program) after the press
        return el

    def _tab_wait(self, t_ns: int) -> tuple[int, tuple[int, Element | None] | None] | None:
        """If a Tab pressed shortly before ``t_ns`` has not moved focus yet (by ``t_ns``):
        (end of its wait, the first focus change after ``t_ns`` within it or None)."""
        tab = None
        for tt in self._tabs:
            if tt >= t_ns:
                break
            tab = tt
        if tab is None or t_ns - tab >= TAB_WAIT_NS:
            return None
        end = tab + TAB_WAIT_NS
        first = None
        for t, el in self._focus:
            if tab < t <= t_ns:
                return None  # focus already moved after the Tab: the focus rule decides
            if t_ns < t <= end:
                first = (t, el)
                break
        return end, first

    def horizon(self, t_ns: int) -> int:
        """The time up to which focus must be known before the key at ``t_ns`` is decided."""
        h = t_ns + self.buffer_ns
        with self._lock:
            wait = self._tab_wait(t_ns)
        if wait is not None:
            end, first = wait
            h = max(h, first[0] if first is not None else end)
        return h

    def decide(self, t_ns: int, *, allow_pending: bool = False) -> bool | None:
        """True: mask the key stamped ``t_ns``.  None: the hit test of the press before it
        has not answered yet (unless ``allow_pending``, which then decides without it)."""
        horizon = t_ns + self.buffer_ns
        with self._lock:
            at = self._focus_at(t_ns)
            if at is not None and at.password:
                return True
            for t, el in self._focus:
                if t_ns < t <= horizon and el is not None and el.password:
                    return True
            wait = self._tab_wait(t_ns)
            if wait is not None and wait[1] is not None and wait[1][1] is not None \
                    and wait[1][1].password:
                return True
            rule = self._click_rule(t_ns)
        if rule is _PENDING:
            return False if allow_pending else None
        return rule is not None

    def password_elements(self) -> list[Element]:
        """Password fields that have focus now (by focus event, or by the last press that no
        focus change has overridden), and are showing."""
        out: list[Element] = []
        with self._lock:
            cur = self._focus[-1][1] if self._focus else None
            if cur is not None and cur.password:
                out.append(cur)
            if self._clicks:
                t_click, _, el = self._clicks[-1]
                if isinstance(el, Element) and el.password and el.ref != (cur.ref if cur else None):
                    later = [f for t, f in self._focus if t > t_click]
                    if not any(f is not None and not f.password for f in later):
                        out.append(el)
        return [e for e in out if e.box is not None and e.showing]


# -- the worker ------------------------------------------------------------------------------

class _Batch:
    def __init__(self, n: int) -> None:
        self.n = n
        self.results: dict[int, Any] = {}
        self.done = threading.Event()

    def put(self, serial: int, msg: Any) -> None:
        self.results[serial] = msg
        if len(self.results) >= self.n:
            self.done.set()


class _Link:
    """One D-Bus connection (jeepney, blocking, after Hello) with its own reader thread.

    Replies go to the caller waiting for them; signals are stamped with time.monotonic_ns the
    moment they are read, so a busy worker (a hit test in progress, X round trips) does not
    make a focus change look later than it was.  ``read_through()``: every message that had
    reached the socket before that time has been dispatched.
    """

    def __init__(self, conn: Any, on_signal: Callable[[int, Any], None],
                 on_closed: Callable[[], None]) -> None:
        self.conn = conn
        self._on_signal = on_signal
        self._on_closed = on_closed
        self._lock = threading.Lock()
        self._waiting: dict[int, _Batch] = {}
        self._idle = False
        self._idle_at = time.monotonic_ns()
        self.closed = False
        self.error: BaseException | None = None
        self._stop_r, self._stop_w = os.pipe()
        self._thread = threading.Thread(target=self._read_loop, name="annotator-a11y-read",
                                        daemon=True)
        self._thread.start()

    def read_through(self) -> int:
        with self._lock:
            return time.monotonic_ns() if self._idle else self._idle_at

    def call_many(self, msgs: list[Any], timeout: float) -> list[Any]:
        """Send all, then wait for their replies (pipelined): a reply, or None on timeout."""
        if self.closed:
            raise ConnectionError(f"the accessibility bus connection is closed ({self.error})")
        batch = _Batch(len(msgs))
        serials = [next(self.conn.outgoing_serial) for _ in msgs]
        with self._lock:
            for sn in serials:
                self._waiting[sn] = batch
        try:
            for m, sn in zip(msgs, serials, strict=True):
                self.conn.send(m, serial=sn)
            batch.done.wait(timeout)
        finally:
            with self._lock:
                for sn in serials:
                    self._waiting.pop(sn, None)
        if self.closed and not batch.done.is_set():
            raise ConnectionError(f"the accessibility bus connection is closed ({self.error})")
        return [batch.results.get(sn) for sn in serials]

    def _dispatch(self, msg: Any) -> None:
        from jeepney import HeaderFields, MessageType

        if msg.header.message_type == MessageType.signal:
            self._on_signal(time.monotonic_ns(), msg)
            return
        rs = msg.header.fields.get(HeaderFields.reply_serial)
        with self._lock:
            batch = self._waiting.get(rs)
        if batch is not None:
            batch.put(rs, msg)

    def _read_loop(self) -> None:
        sock = self.conn.sock
        parser = self.conn.parser
        sel = selectors.DefaultSelector()
        sel.register(sock, selectors.EVENT_READ, "sock")
        sel.register(self._stop_r, selectors.EVENT_READ, "stop")
        try:
            while True:
                t = time.monotonic_ns()
                ready = sel.select(0)
                if not ready:
                    with self._lock:
                        self._idle_at = t  # the socket was empty at t
                        self._idle = True
                    ready = sel.select()
                    with self._lock:
                        self._idle = False
                if any(key.data == "stop" for key, _ in ready):
                    return
                data = sock.recv(65536)
                if not data:
                    raise ConnectionResetError("the accessibility bus closed the connection")
                parser.add_data(data)
                while True:
                    msg = parser.get_next_message()
                    if msg is None:
                        break
                    self._dispatch(msg)
        except Exception as exc:
            self.error = exc
        finally:
            self.closed = True
            sel.close()
            with self._lock:
                batches = list(self._waiting.values())
            for b in batches:
                b.done.set()
            self._on_closed()

    def close(self) -> None:
        try:
            os.write(self._stop_w, b"x")
        except OSError:
            pass
        if self._thread is not threading.current_thread():
            self._thread.join(2.0)
        for fd in (self._stop_r, self._stop_w):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            self.conn.close()
        except Exception:
            pass


@dataclass
class _HitRequest:
    click_id: int
    t_ns: int
    x: int
    y: int
    on_result: Callable[[int, int, Element], None] | None
    track: bool = True


class AtspiWorker:
    """The AT-SPI client thread.  ``start()`` connects (bounded wait) and says whether
    accessibility is available; then ``request_hit``/``decide``/``password_rects`` may be used
    from any thread; ``stop()`` restores IsEnabled and closes the connections."""

    def __init__(
        self,
        *,
        own_pid: int | None = None,
        display_name: str | None = None,
        call_timeout: float = CALL_TIMEOUT_S,
        connect_timeout: float = CONNECT_TIMEOUT_S,
        on_focus: Callable[[int, Element | None], None] | None = None,
        on_problem: Callable[[str], None] | None = None,
    ) -> None:
        self.own_pid = os.getpid() if own_pid is None else own_pid
        self.display_name = display_name
        self.call_timeout = call_timeout
        self.connect_timeout = connect_timeout
        self.on_focus = on_focus
        self.on_problem = on_problem
        self.timeline = FocusTimeline()
        self.status: A11yStatus = unavailable("not started")
        self._requests: queue.SimpleQueue[_HitRequest] = queue.SimpleQueue()
        self._kick = threading.Event()
        self._stopping = threading.Event()
        self._connected = threading.Event()
        self._thread: threading.Thread | None = None
        self._synced_ns = 0
        self._sync_cond = threading.Condition()
        self._alive = False
        self._sess = None
        self._link: _Link | None = None
        self._x = None
        self._restore_enabled: bool | None = None
        self._signals: deque[tuple[int, Any]] = deque()
        self._pids: dict[str, int | None] = {}
        self._app_info: dict[str, tuple[str | None, str | None]] = {}
        self._last_refresh = 0.0
        self.hits = 0
        self.hits_none = 0
        self.focus_changes = 0
        self.lost = False  # the connection broke while recording

    # -- public, any thread -------------------------------------------------------------
    def start(self) -> A11yStatus:
        self._thread = threading.Thread(target=self._run, name="annotator-a11y", daemon=True)
        self._thread.start()
        if not self._connected.wait(self.connect_timeout + 1.0):
            self.status = unavailable("the accessibility bus did not answer in time")
            self.stop()
        return self.status

    def alive(self) -> bool:
        return self._alive

    @property
    def synced_ns(self) -> int:
        """Every focus event received before this time is in the timeline."""
        return self._synced_ns

    def request_hit(self, click_id: int, t_ns: int, x: int, y: int,
                    on_result: Callable[[int, int, Element], None] | None = None,
                    track: bool = True) -> None:
        """Queue a hit test for a press at root coordinates (x, y).  Never blocks.  With
        ``track`` the press enters the focus timeline (a press on a password field masks
        the keys after it)."""
        if track:
            self.timeline.add_click(click_id, t_ns)
        if not self._alive:
            el = none_element("the accessibility connection is closed")
            if track:
                self.timeline.resolve_click(click_id, el)
            if on_result is not None:
                on_result(click_id, t_ns, el)
            return
        self._requests.put(_HitRequest(click_id, t_ns, x, y, on_result, track))
        self._wake()

    def hit_test(self, x: int, y: int, timeout: float = 2.0) -> Element:
        """Blocking hit test (for tools and tests; never call it on an input callback)."""
        done = threading.Event()
        box: list[Element] = []

        def got(_cid: int, _t: int, el: Element) -> None:
            box.append(el)
            done.set()

        self.request_hit(-1, time.monotonic_ns(), x, y, got, track=False)
        if not done.wait(timeout):
            return none_element("the hit test timed out")
        return box[0]

    def decide(self, t_ns: int, now_ns: int | None = None, force: bool = False) -> bool | None:
        """Mask the key stamped ``t_ns``?  None while it cannot be decided yet."""
        now = time.monotonic_ns() if now_ns is None else now_ns
        late = force or now - t_ns >= MAX_HOLD_NS
        horizon = self.timeline.horizon(t_ns)
        if not late:
            if now < horizon:
                return None
            if self._alive and self._synced_ns < horizon:
                self._wake()  # the worker may be idle: have it catch up now
                return None
        return self.timeline.decide(t_ns, allow_pending=late)

    def note_focus_key(self, t_ns: int) -> None:
        """Tab was pressed at ``t_ns`` (called on the input thread: cheap)."""
        self.timeline.add_focus_key(t_ns)

    def wait_synced(self, t_ns: int, timeout: float) -> bool:
        """Wait until every press queued and focus event received before ``t_ns`` is in the
        timeline (False on timeout)."""
        self._wake()
        deadline = time.monotonic() + timeout
        with self._sync_cond:
            while self._alive and self._synced_ns < t_ns:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._sync_cond.wait(left)
        return True

    def password_rects(self, pad: int = 2) -> list[Rect]:
        out = []
        for el in self.timeline.password_elements():
            b = el.box
            out.append(Rect(b.x - pad, b.y - pad, b.width + 2 * pad, b.height + 2 * pad))
        return out

    def stop(self, timeout: float = 2.0) -> None:
        self._stopping.set()
        self._wake()
        th = self._thread
        if th is not None and th is not threading.current_thread():
            th.join(timeout)

    def _wake(self) -> None:
        self._kick.set()

    def _on_signal(self, t_ns: int, msg: Any) -> None:
        """On the reader thread: queue the stamped signal for the worker."""
        self._signals.append((t_ns, msg))
        self._kick.set()

    # -- worker thread --------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self.status = self._connect()
        except Exception as exc:  # never let the worker take the recorder down
            self.status = unavailable(f"accessibility could not start: {exc}")
        if not self.status.available:
            self._close()
            self._connected.set()
            return
        self._alive = True
        self._set_synced(time.monotonic_ns())
        self._connected.set()
        link = self._link
        try:
            while not self._stopping.is_set():
                # synced_ns = t_check promises: every press queued and every signal that
                # reached the socket before t_check is in the timeline.
                t_check = link.read_through()
                while True:
                    try:
                        req = self._requests.get_nowait()
                    except queue.Empty:
                        break
                    self._do_hit(req)
                self._refresh_password_box()
                self._process_signals()
                if link.closed:
                    raise ConnectionError(str(link.error or "closed"))
                self._set_synced(t_check)
                self._kick.wait(0.1)
                self._kick.clear()
            # Answer the presses still queued (bounded), so that their keys are decided.
            t_check = link.read_through()
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline:
                try:
                    req = self._requests.get_nowait()
                except queue.Empty:
                    break
                self._do_hit(req)
            self._process_signals()
            self._set_synced(t_check)
        except (OSError, ConnectionError, EOFError) as exc:
            if not self._stopping.is_set():
                self.lost = True
            if not self._stopping.is_set() and self.on_problem is not None:
                self.on_problem(f"The accessibility connection was lost ({exc}): focus and "
                                "the elements under clicks are unknown from then on.")
        except Exception as exc:
            self.lost = True
            if self.on_problem is not None:
                self.on_problem(f"Accessibility stopped: {exc}")
        finally:
            self._alive = False
            with self._sync_cond:
                self._sync_cond.notify_all()
            self._fail_pending()
            self._restore()
            self._close()

    def _set_synced(self, t_ns: int) -> None:
        with self._sync_cond:
            if t_ns > self._synced_ns:
                self._synced_ns = t_ns
            self._sync_cond.notify_all()

    def _fail_pending(self) -> None:
        while True:
            try:
                req = self._requests.get_nowait()
            except queue.Empty:
                return
            el = none_element("the recording stopped before the hit test")
            if req.track:
                self.timeline.resolve_click(req.click_id, el)
            if req.on_result is not None:
                try:
                    req.on_result(req.click_id, req.t_ns, el)
                except Exception:
                    pass

    # connection
    def _connect(self) -> A11yStatus:
        try:
            from jeepney import DBusAddress, Properties, new_method_call
            from jeepney.io.blocking import open_dbus_connection
        except ImportError:
            return unavailable("jeepney is not installed (pip install jeepney)")
        if not settings().dbus_address:
            return unavailable("no session D-Bus (DBUS_SESSION_BUS_ADDRESS is not set), so no "
                               "accessibility bus")
        try:
            self._sess = open_dbus_connection("SESSION", auth_timeout=self.connect_timeout)
        except Exception as exc:
            return unavailable(f"cannot connect to the session D-Bus: {exc}")
        bus = DBusAddress("/org/a11y/bus", "org.a11y.Bus", "org.a11y.Bus")
        try:
            reply = self._sess.send_and_get_reply(new_method_call(bus, "GetAddress"),
                                                  timeout=self.connect_timeout)
        except TimeoutError:
            return unavailable("no accessibility bus: org.a11y.Bus did not answer")
        if reply.header.message_type.value == 3:  # error
            hint = ""
            if os.path.exists("/usr/libexec/at-spi-bus-launcher"):
                hint = " (at-spi-bus-launcher is installed but not running)"
            return unavailable(f"no accessibility bus: org.a11y.Bus is not on the session "
                               f"D-Bus{hint}")
        addr = reply.body[0]
        try:
            conn = open_dbus_connection(addr, auth_timeout=self.connect_timeout)
        except Exception as exc:
            return unavailable(f"cannot connect to the accessibility bus: {exc}")
        self._link = _Link(conn, self._on_signal, self._wake)
        # Turn accessibility on for toolkits that wait for it (Qt, Firefox); restore on stop.
        status = Properties(DBusAddress("/org/a11y/bus", "org.a11y.Bus", "org.a11y.Status"))
        try:
            r = self._sess.send_and_get_reply(status.get("IsEnabled"), timeout=self.call_timeout)
            was = bool(r.body[0][1]) if r.header.message_type.value == 2 else None
            if was is False:
                r = self._sess.send_and_get_reply(status.set("IsEnabled", "b", True),
                                                  timeout=self.call_timeout)
                if r.header.message_type.value == 2:
                    self._restore_enabled = False
        except TimeoutError:
            pass
        # Focus events: match them, and ask the registry to have applications send them.
        from jeepney import MatchRule, message_bus

        rule = MatchRule(type="signal", interface=_IFACE + "Event.Object",
                         member="StateChanged")
        rule.add_arg_condition(0, "focused")
        self._call_msg(new_method_call(message_bus, "AddMatch", "s", (rule.serialise(),)))
        try:  # without it GTK sends no focus events (Qt does anyway)
            self._call_msg(new_method_call(
                DBusAddress("/org/a11y/atspi/registry", _REGISTRY, _REGISTRY),
                "RegisterEvent", "s", ("object:state-changed:focused",)))
        except (CallTimeout, RuntimeError):
            pass
        try:
            self._call((_REGISTRY, _ROOT_PATH), "Accessible", "GetChildren")
        except Exception as exc:
            return unavailable(f"the accessibility registry does not answer ({exc})")
        try:
            from annotator.capture.x11_windows import X11Windows

            self._x = X11Windows(self.display_name)
        except Exception:
            self._x = None  # no stacking order: hits fall back to application order
        return A11yStatus(True, None, SOURCE_ATSPI)

    def _restore(self) -> None:
        if self._restore_enabled is None or self._sess is None:
            return
        try:
            from jeepney import DBusAddress, Properties

            status = Properties(DBusAddress("/org/a11y/bus", "org.a11y.Bus", "org.a11y.Status"))
            self._sess.send_and_get_reply(status.set("IsEnabled", "b", self._restore_enabled),
                                          timeout=0.5)
        except Exception:
            pass
        self._restore_enabled = None

    def _close(self) -> None:
        if self._link is not None:
            self._link.close()
        if self._sess is not None:
            try:
                self._sess.close()
            except Exception:
                pass
        self._link = self._sess = None
        if self._x is not None:
            try:
                self._x.close()
            except Exception:
                pass
            self._x = None

    # D-Bus plumbing (replies and signals are routed by the link's reader thread)
    def _call_many(self, msgs: list[Any], timeout: float | None = None) -> list[Any]:
        return self._link.call_many(msgs, self.call_timeout if timeout is None else timeout)

    def _call_msg(self, msg: Any) -> Any:
        reply = self._call_many([msg])[0]
        if reply is None:
            raise CallTimeout("no reply in time")
        if reply.header.message_type.value == 3:
            raise RuntimeError(reply.body[0] if reply.body else "D-Bus error")
        return reply.body

    def _msg(self, ref: tuple[str, str], iface: str, member: str, sig: str | None = None,
             body: tuple = ()) -> Any:
        from jeepney import DBusAddress, new_method_call

        return new_method_call(DBusAddress(ref[1], ref[0], _IFACE + iface), member, sig, body)

    def _prop_msg(self, ref: tuple[str, str], iface: str, name: str) -> Any:
        from jeepney import DBusAddress, Properties

        return Properties(DBusAddress(ref[1], ref[0], _IFACE + iface)).get(name)

    def _call(self, ref, iface, member, sig=None, body=()) -> Any:
        return self._call_msg(self._msg(ref, iface, member, sig, body))

    @staticmethod
    def _body(reply: Any) -> Any:
        if reply is None or reply.header.message_type.value != 2:
            return None
        return reply.body

    # applications
    def _pid_of(self, bus_name: str) -> int | None:
        if bus_name not in self._pids:
            from jeepney import message_bus, new_method_call

            try:
                body = self._call_msg(new_method_call(
                    message_bus, "GetConnectionUnixProcessID", "s", (bus_name,)))
                self._pids[bus_name] = int(body[0])
            except Exception:
                self._pids[bus_name] = None
        return self._pids[bus_name]

    def _app_of(self, bus_name: str) -> tuple[str | None, str | None]:
        """(application name, toolkit name), cached per connection."""
        if bus_name not in self._app_info:
            root = (bus_name, _ROOT_PATH)
            r = self._call_many([self._prop_msg(root, "Accessible", "Name"),
                                 self._prop_msg(root, "Application", "ToolkitName")])
            name = self._body(r[0])
            tk = self._body(r[1])
            self._app_info[bus_name] = (name[0][1] if name else None, tk[0][1] if tk else None)
        return self._app_info[bus_name]

    def _apps(self) -> list[tuple[str, str]]:
        apps = [tuple(a) for a in self._call((_REGISTRY, _ROOT_PATH), "Accessible",
                                             "GetChildren")[0]]
        names = {a[0] for a in apps}
        for cache in (self._pids, self._app_info):
            for k in [k for k in cache if k not in names]:
                del cache[k]
        return apps

    # elements
    def _describe(self, ref: tuple[str, str], latency_from_ns: int | None = None) -> Element:
        r = self._call_many([
            self._msg(ref, "Accessible", "GetRole"),
            self._prop_msg(ref, "Accessible", "Name"),
            self._msg(ref, "Component", "GetExtents", "u", (0,)),
            self._msg(ref, "Accessible", "GetState"),
        ])
        role = self._body(r[0])
        if role is None:
            return none_element("the element did not answer")
        name = self._body(r[1])
        ext = self._body(r[2])
        state = self._body(r[3])
        box = None
        if ext is not None:
            x, y, w, h = ext[0]
            if w > 0 and h > 0:
                box = Rect(int(x), int(y), int(w), int(h))
        states: tuple[str, ...] = ()
        if state is not None:
            bits = list(state[0]) + [0, 0]
            word = int(bits[0]) | (int(bits[1]) << 32)
            states = tuple(n for b, n in sorted(_STATES.items()) if word >> b & 1)
        app, toolkit = self._app_of(ref[0])
        latency = None
        if latency_from_ns is not None:
            latency = (time.monotonic_ns() - latency_from_ns) // 1000
        return Element(SOURCE_ATSPI, role=int(role[0]), name=name[0][1] if name else None,
                       box=box, app=app, toolkit=toolkit, pid=self._pid_of(ref[0]),
                       states=states, latency_us=latency, ref=ref)

    # focus events
    def _process_signals(self) -> None:
        from jeepney import HeaderFields

        while self._signals:
            t_ns, msg = self._signals.popleft()
            f = msg.header.fields
            if f.get(HeaderFields.member) != "StateChanged" or not msg.body \
                    or msg.body[0] != "focused":
                continue
            sender = f.get(HeaderFields.sender)
            path = f.get(HeaderFields.path)
            if not sender or not path or self._pid_of(sender) == self.own_pid:
                continue
            gained = int(msg.body[1]) == 1
            ref = (sender, path)
            if gained:
                el = self._describe(ref)
                if el.source != SOURCE_ATSPI:
                    continue
                el = replace(el, latency_us=None)
            else:
                cur = self.timeline.current_focus()
                if cur is None or cur.ref != ref:
                    continue
                el = None
            self.timeline.add_focus(t_ns, el)
            self.focus_changes += 1
            if self.on_focus is not None:
                try:
                    self.on_focus(t_ns, el)
                except Exception:
                    pass

    def _refresh_password_box(self) -> None:
        now = time.monotonic()
        if now - self._last_refresh < BOX_REFRESH_S:
            return
        self._last_refresh = now
        els = [e for e in self._password_candidates() if e.ref is not None]
        for el in els:
            r = self._call_many([self._msg(el.ref, "Component", "GetExtents", "u", (0,)),
                                 self._msg(el.ref, "Accessible", "GetState")])
            ext, state = self._body(r[0]), self._body(r[1])
            box = None
            if ext is not None:
                x, y, w, h = ext[0]
                if w > 0 and h > 0:
                    box = Rect(int(x), int(y), int(w), int(h))
            states = None
            if state is not None:
                bits = list(state[0]) + [0, 0]
                word = int(bits[0]) | (int(bits[1]) << 32)
                states = tuple(n for b, n in sorted(_STATES.items()) if word >> b & 1)
            self.timeline.update_element(el.ref, box, states)

    def _password_candidates(self) -> list[Element]:
        # Includes fields that stopped showing, so that they come back when shown again.
        tl = self.timeline
        with tl._lock:
            out = []
            cur = tl._focus[-1][1] if tl._focus else None
            if cur is not None and cur.password:
                out.append(cur)
            if tl._clicks and isinstance(tl._clicks[-1][2], Element) \
                    and tl._clicks[-1][2].password:
                out.append(tl._clicks[-1][2])
        return out

    # hit tests
    def _do_hit(self, req: _HitRequest) -> None:
        try:
            el = self._hit(req.x, req.y, req.t_ns)
        except Exception as exc:
            if self._link is None or self._link.closed:
                raise  # the accessibility bus is gone: the worker stops
            el = none_element(f"the hit test failed: {exc}")
        if el.latency_us is None:
            el = replace(el, latency_us=(time.monotonic_ns() - req.t_ns) // 1000)
        self.hits += 1
        if el.source != SOURCE_ATSPI:
            self.hits_none += 1
        if req.track:
            self.timeline.resolve_click(req.click_id, el)
        if req.on_result is not None:
            try:
                req.on_result(req.click_id, req.t_ns, el)
            except Exception:
                pass

    def _window_at(self, x: int, y: int) -> WindowInfo | None:
        """The top-most viewable top-level X window containing the point."""
        from Xlib import X, error

        xw = self._x
        try:
            children = xw._root.query_tree().children
        except error.XError:
            return None
        for w in reversed(children):
            try:
                attrs = w.get_attributes()
                if attrs.map_state != X.IsViewable or attrs.win_class == X.InputOnly:
                    continue
                r = xw._rect(w)
                if r is None or not r.contains(x, y):
                    continue
                info = xw._info(w)
                return info if info is not None else WindowInfo(w.id, "", "", r, None)
            except error.XError:
                continue
        return None

    def _hit(self, x: int, y: int, t_click_ns: int) -> Element:
        deadline = time.monotonic() + HIT_BUDGET_S
        win = None
        if self._x is not None:
            win = self._window_at(x, y)
            if win is None:
                return none_element("no window under the pointer")
            if win.pid == self.own_pid:
                return none_element("the recorder's own window", window=win)
        apps = self._apps()
        cands = [a for a in apps if self._pid_of(a[0]) not in (None, self.own_pid)]
        if win is not None and win.pid is not None:
            cands = [a for a in cands if self._pid_of(a[0]) == win.pid]
            if not cands:
                return none_element(
                    f"{win.app or 'this application'} exposes no accessibility tree",
                    app=win.app or None, pid=win.pid, window=win)
        for app in cands:
            if time.monotonic() > deadline:
                break
            kids = self._body(self._call_many([self._msg(app, "Accessible", "GetChildren")])[0])
            if not kids:
                continue
            frames = [tuple(k) for k in kids[0]]
            exts = self._call_many([self._msg(f, "Component", "GetExtents", "u", (0,))
                                    for f in frames])
            for frame, ext in zip(frames, exts, strict=True):
                e = self._body(ext)
                if e is None:
                    continue
                fx, fy, fw, fh = e[0]
                if not (fx <= x < fx + fw and fy <= y < fy + fh):
                    continue
                if win is not None and win.pid is None and win.rect is not None \
                        and not _roughly_inside(Rect(fx, fy, fw, fh), win.rect):
                    continue  # an accessible window, but under the X window that was hit
                el = self._descend(frame, x, y, deadline, t_click_ns)
                if el is not None:
                    return replace(el, window=win)
        if win is not None and win.pid is not None:
            app, _toolkit = self._app_of(cands[0][0])
            return none_element("no accessible element at this point", app=app or win.app,
                                pid=win.pid, window=win)
        if win is not None:  # no _NET_WM_PID, and no accessible window where it is
            return none_element(f"{win.app or 'this window'} exposes no accessibility tree",
                                app=win.app or None, window=win)
        return none_element("no accessible window under the pointer")

    def _descend(self, frame: tuple[str, str], x: int, y: int, deadline: float,
                 t_click_ns: int) -> Element | None:
        cur = frame
        for _ in range(40):
            if time.monotonic() > deadline:
                break
            b = self._body(self._call_many([self._msg(cur, "Component", "GetAccessibleAtPoint",
                                                      "iiu", (x, y, 0))])[0])
            if b is None:
                break
            nxt = tuple(b[0])
            if nxt[1] == _NULL_PATH or nxt == cur:
                break
            cur = nxt
        el = self._describe(cur, latency_from_ns=t_click_ns)
        if el.source != SOURCE_ATSPI:
            return None
        if el.toolkit and el.toolkit.lower() == "chromium" and el.role in _TOP_ROLES:
            kids = self._body(self._call_many([self._prop_msg(cur, "Accessible",
                                                              "ChildCount")])[0])
            if not kids or int(kids[0][1]) == 0:
                return none_element(
                    "Chromium/Electron exposes no accessibility tree unless started with "
                    "--force-renderer-accessibility", app=el.app, pid=el.pid,
                    latency_us=el.latency_us)
        return el
