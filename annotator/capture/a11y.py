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
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from annotator.capture.a11y_link import _Link
from annotator.capture.a11y_model import (  # noqa: F401  (re-exported: the a11y API)
    _IFACE,
    _NULL_PATH,
    _REGISTRY,
    _ROOT_PATH,
    _STATES,
    _TOP_ROLES,
    BOX_REFRESH_S,
    CALL_TIMEOUT_S,
    CONNECT_TIMEOUT_S,
    HIT_BUDGET_S,
    KEY_BUFFER_NS,
    MAX_HOLD_NS,
    PASSWORD_ROLE,
    ROLE_NAMES,
    SOURCE_ATSPI,
    SOURCE_NONE,
    TAB_WAIT_NS,
    TEXT_ROLE,
    A11yStatus,
    CallTimeout,
    Element,
    FocusTimeline,
    _roughly_inside,
    none_element,
    role_name,
    unavailable,
)
from annotator.capture.interfaces import Rect, WindowInfo
from annotator.settings import current as settings

_RELATION_LABELLED_BY = 2  # AtspiRelationType

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
        self._sess: Any = None  # the session bus connection, while connected
        self._link: _Link | None = None
        self._x: Any = None  # X11Windows: the stacking order, when the X server answers
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
            if b is None:
                continue
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
        assert link is not None  # available: connected
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
                "RegisterEvent", "s", ("object:state-changed:focused",)),
                timeout=self.connect_timeout)
        except (CallTimeout, RuntimeError):
            pass
        # The registry's first answer may take a while on a busy machine (the start's timeout,
        # not a hot-path call's).  One that left holding the call (an error reply: replaced
        # as it started) is asked once more, and the bus starts the registry again.
        for again in (True, False):
            try:
                self._call_msg(self._msg((_REGISTRY, _ROOT_PATH), "Accessible", "GetChildren"),
                               timeout=self.connect_timeout)
                break
            except Exception as exc:
                if not (again and isinstance(exc, RuntimeError)):
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
        if self._link is None:
            raise ConnectionError("the accessibility bus is not connected")
        return self._link.call_many(msgs, self.call_timeout if timeout is None else timeout)

    def _call_msg(self, msg: Any, timeout: float | None = None) -> Any:
        reply = self._call_many([msg], timeout)[0]
        if reply is None:
            raise CallTimeout("no reply in time")
        if reply.header.message_type.value == 3:
            raise RuntimeError(reply.body[0] if reply.body else "D-Bus error")
        return reply.body

    def _msg(self, ref: tuple[str, str], iface: str, member: str, sig: str | None = None,
             body: tuple[Any, ...] = ()) -> Any:
        from jeepney import DBusAddress, new_method_call

        return new_method_call(DBusAddress(ref[1], ref[0], _IFACE + iface), member, sig, body)

    def _prop_msg(self, ref: tuple[str, str], iface: str, name: str) -> Any:
        from jeepney import DBusAddress, Properties

        return Properties(DBusAddress(ref[1], ref[0], _IFACE + iface)).get(name)

    def _call(self, ref: tuple[str, str], iface: str, member: str, sig: str | None = None,
              body: tuple[Any, ...] = ()) -> Any:
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

    def _relations(self, ref: tuple[str, str]) -> dict[str, Any]:
        """``labelled_by`` and ``parent`` of an element: (name, role) of each, or None."""
        r = self._call_many([self._msg(ref, "Accessible", "GetRelationSet"),
                             self._prop_msg(ref, "Accessible", "Parent")])
        rels, par = self._body(r[0]), self._body(r[1])
        refs: dict[str, tuple[str, str]] = {}
        for rtype, targets in (rels[0] if rels else ()):
            if int(rtype) == _RELATION_LABELLED_BY and targets:
                refs["labelled_by"] = tuple(targets[0])
                break
        if par:
            p = par[0][1]
            if isinstance(p, (tuple, list)) and len(p) == 2:
                refs["parent"] = (str(p[0]), str(p[1]))
        refs = {k: v for k, v in refs.items() if v[1] != _NULL_PATH and v != ref}
        if not refs:
            return {}
        msgs = []
        for other in refs.values():
            msgs += [self._prop_msg(other, "Accessible", "Name"),
                     self._msg(other, "Accessible", "GetRole")]
        answers = self._call_many(msgs)
        out: dict[str, Any] = {}
        for n, key in enumerate(refs):
            name, role = self._body(answers[2 * n]), self._body(answers[2 * n + 1])
            if name is None and role is None:
                continue
            out[key] = (name[0][1] if name else None, int(role[0]) if role else None)
        return out

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
        for el in self._password_candidates():
            if el.ref is None:
                continue
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
            hit: list[tuple[int, int, tuple[str, str]]] = []
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
                # A popup (a menu, a combo box's list) is an accessible window of its own
                # lying over the main one: the one that is the X window hit comes first,
                # then the smallest (the main window contains the popup's points too).
                off = abs(fx - win.rect.x) + abs(fy - win.rect.y) + abs(fw - win.rect.width) \
                    + abs(fh - win.rect.height) if win is not None and win.rect is not None else 0
                hit.append((off, fw * fh, frame))
            for _off, _area, frame in sorted(hit, key=lambda h: (h[0], h[1])):
                el = self._descend(frame, x, y, deadline, t_click_ns)
                if el is not None and win is not None and win.rect is not None \
                        and el.box is not None and not _roughly_inside(el.box, win.rect, 4):
                    # The element found lies outside the X window that was hit: it is under
                    # a popup (Qt 5 does not list its menus among the application's
                    # windows).  Find the popup among the frame's descendants, else say
                    # there is no element rather than name the wrong one.
                    popup = self._find_window(frame, win.rect, deadline)
                    el = self._descend(popup, x, y, deadline, t_click_ns) if popup else None
                    if el is None or el.box is None or not _roughly_inside(el.box, win.rect, 4):
                        return none_element("a popup that exposes no accessible element "
                                            "at this point", app=win.app or None,
                                            pid=win.pid, window=win)
                if el is not None:
                    return replace(el, window=win)
        if win is not None and win.pid is not None:
            app_name, _toolkit = self._app_of(cands[0][0])
            return none_element("no accessible element at this point",
                                app=app_name or win.app,
                                pid=win.pid, window=win)
        if win is not None:  # no _NET_WM_PID, and no accessible window where it is
            return none_element(f"{win.app or 'this window'} exposes no accessibility tree",
                                app=win.app or None, window=win)
        return none_element("no accessible window under the pointer")

    def _find_window(self, root: tuple[str, str], rect: Rect, deadline: float,
                     limit: int = 200) -> tuple[str, str] | None:
        """A descendant of ``root`` whose extents are ``rect`` (a popup's accessible),
        breadth first, at most ``limit`` elements and until ``deadline``."""
        todo, seen = [root], 0
        while todo and seen < limit and time.monotonic() < deadline:
            level, todo = todo, []
            if not level:
                break
            kids = self._call_many([self._msg(r, "Accessible", "GetChildren") for r in level])
            refs = [tuple(k) for b in kids if (body := self._body(b)) for k in body[0]][:limit]
            seen += len(refs)
            if not refs:
                break
            exts = self._call_many([self._msg(r, "Component", "GetExtents", "u", (0,))
                                    for r in refs])
            for ref, ext in zip(refs, exts, strict=True):
                e = self._body(ext)
                if e is None:
                    continue
                fx, fy, fw, fh = e[0]
                if abs(fx - rect.x) + abs(fy - rect.y) + abs(fw - rect.width) \
                        + abs(fh - rect.height) <= 12:
                    return ref
                todo.append(ref)
        return None

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
        if not (el.name or "").strip():
            el = replace(el, **self._relations(cur))
        if el.toolkit and el.toolkit.lower() == "chromium" and el.role in _TOP_ROLES:
            kids = self._body(self._call_many([self._prop_msg(cur, "Accessible",
                                                              "ChildCount")])[0])
            if not kids or int(kids[0][1]) == 0:
                return none_element(
                    "Chromium/Electron exposes no accessibility tree unless started with "
                    "--force-renderer-accessibility", app=el.app, pid=el.pid,
                    latency_us=el.latency_us)
        return el
