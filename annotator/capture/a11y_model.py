"""What accessibility says, as data: roles, elements, availability, and the focus timeline
that decides which keys were typed into a password field (the rule is in annotator/capture/
a11y.py's docstring).  Pure and thread-safe: no D-Bus here."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Any

from annotator.capture.interfaces import Rect, WindowInfo

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
    # Read for a pressed element that has no name of its own (so that its label can still be
    # told): (name, role) of its LABELLED_BY relation's first target, and of its parent.
    labelled_by: tuple[str | None, int | None] | None = None
    parent: tuple[str | None, int | None] | None = None
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
        out = {
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
        for key, rel in (("labelled_by", self.labelled_by), ("parent", self.parent)):
            if rel is not None:
                out[key] = {"name": rel[0], "role": rel[1], "role_name": role_name(rel[1])}
        return out


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
                if el is not None:
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
