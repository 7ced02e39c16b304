"""Real Debian applications for benchmarks/drafts.py: GTK 3 (gtk3-widget-factory, package
gtk-3-examples) and Qt 5 (FeatherPad, package featherpad), driven by xdotool while the real
recorder records.

Each application's controls are found by name in its accessibility tree (a walk over
AT-SPI, only to learn where to click); the truth a draft must name is the list below,
written down from the application's screen (visible text, as it reads).  Menus are opened by
clicking their title and an item is chosen.  Controls a walk does not find are skipped and
reported.

Install: apt-get install gtk-3-examples featherpad
"""

from __future__ import annotations

import json
import random
import shutil
import time
from pathlib import Path
from typing import Any

from benchmarks.drafts import point_in, start_recorder, stop_recorder, xdo
from benchmarks.harness import Harness

# (visible text, accessible role names it may have, kind for the report); menus as
# ("menu", title, [items]).
GTK_PLAN: list[Any] = [  # gtk3-widget-factory's first page, as it reads on screen
    ("tab", "Page 2", ("radio button",)),
    ("tab", "Page 3", ("radio button",)),
    ("tab", "Page 1", ("radio button",)),
    ("button", "togglebutton", ("toggle button",)),
    ("button", "link button", ("push button",)),
    ("checkbox", "checkbutton", ("check box",)),
    ("option", "radiobutton", ("radio button",)),
    ("tab", "page 2", ("page tab",)),
    ("tab", "page 3", ("page tab",)),
    ("tab", "page 1", ("page tab",)),
    ("column header", "Name", ("table column header",)),
    ("column header", "Icon", ("table column header",)),
    ("cell", "Otto", ("table cell",)),
    ("cell", "Orville", ("table cell",)),
    ("cell", "Benjamin", ("table cell",)),
    ("cell", "Andrea", ("table cell",)),
]
QT_PLAN: list[Any] = [  # FeatherPad's menus (Qt 5)
    ("menu", "File", ["Side-Pane", "Recently Modified", "Save/Restore Session"]),
    ("menu", "Edit", ["Select All", "Paste Date and Time", "Check Spelling"]),
    ("menu", "Options", ["Line Numbers", "Wrap Lines", "Auto-Indentation",
                         "Syntax Highlighting"]),
    ("menu", "Search", ["Find", "Replace", "Jump to"]),
    ("tab", "Untitled", ("page tab",)),
]
APPS = {
    "gtk3-widget-factory": (["gtk3-widget-factory"], GTK_PLAN, {}),
    "featherpad": (["featherpad", "--standalone"], QT_PLAN,
                   {"QT_ACCESSIBILITY": "1", "QT_LINUX_ACCESSIBILITY_ALWAYS_ON": "1"}),
}


# -- a small AT-SPI walker (jeepney): where is the element named N with role R? ---------------
class Tree:
    def __init__(self, env: dict[str, str]) -> None:
        from jeepney import DBusAddress, new_method_call
        from jeepney.io.blocking import open_dbus_connection

        self._new = new_method_call
        self._addr = DBusAddress
        with open_dbus_connection(env["DBUS_SESSION_BUS_ADDRESS"]) as sess:
            a11y = sess.send_and_get_reply(new_method_call(
                DBusAddress("/org/a11y/bus", "org.a11y.Bus", "org.a11y.Bus"), "GetAddress"),
                timeout=5).body[0]
        self.conn = open_dbus_connection(a11y)
        self.errors: list[str] = []

    def call(self, ref, iface, member, sig=None, body=()):
        msg = self._new(self._addr(ref[1], ref[0], "org.a11y.atspi." + iface), member, sig,
                        body)
        return self.conn.send_and_get_reply(msg, timeout=2).body

    def name(self, ref) -> str:
        from jeepney import Properties

        r = self.conn.send_and_get_reply(Properties(self._addr(
            ref[1], ref[0], "org.a11y.atspi.Accessible")).get("Name"), timeout=2)
        return r.body[0][1]

    def walk(self, limit: int = 4000) -> list[dict[str, Any]]:
        """Every showing element: name, role name, box (screen pixels)."""
        root = ("org.a11y.atspi.Registry", "/org/a11y/atspi/accessible/root")
        out, todo = [], [tuple(a) for a in self.call(root, "Accessible", "GetChildren")[0]]
        while todo and len(out) < limit:
            ref = todo.pop(0)
            try:
                role = self.call(ref, "Accessible", "GetRoleName")[0]
                kids = self.call(ref, "Accessible", "GetChildren")[0]
                state = self.call(ref, "Accessible", "GetState")[0]
            except Exception as exc:  # noqa: BLE001 - an element gone meanwhile
                self.errors.append(repr(exc))
                continue
            try:
                showing = bool(int(state[0]) >> 25 & 1)
            except (TypeError, ValueError, IndexError):  # not an accessible's answer
                continue
            if showing or role in ("application", "frame", "window"):
                todo.extend(tuple(k) for k in kids[:400])
            if not showing or role == "application":
                continue
            try:
                name = self.name(ref)
                x, y, w, h = self.call(ref, "Component", "GetExtents", "u", (0,))[0]
            except Exception as exc:  # noqa: BLE001
                self.errors.append(repr(exc))
                continue
            if w > 0 and h > 0:
                out.append({"name": name, "role": role, "box": [x, y, w, h]})
        return out

    def find(self, name: str, roles: tuple[str, ...]) -> list[int] | None:
        for e in self.walk():
            if e["name"] == name and (not roles or e["role"] in roles):
                return e["box"]
        return None

    def close(self) -> None:
        self.conn.close()


def record_real_apps(h: Harness, env: dict[str, str], work: Path, seed: int,
                     only: list[str] | None = None) -> list[Path]:
    out = []
    for app, (cmd, plan, extra) in APPS.items():
        if only and app not in only:
            continue
        if not shutil.which(cmd[0]):
            print(f"  {app} is not installed (apt-get install gtk-3-examples featherpad): "
                  "skipped", flush=True)
            continue
        folder = work / app
        print(f"Recording {app} into {folder}", flush=True)
        truth = record_app(h, env | extra, folder, cmd, plan, seed, app)
        (folder / "truth.json").write_text(json.dumps(truth))
        out.append(folder)
    return out


def record_app(h: Harness, env: dict[str, str], folder: Path, cmd: list[str],
               plan: list[Any], seed: int, name: str) -> list[dict[str, Any]]:
    proc = h.spawn(name, cmd, env=env, grace_s=3)
    time.sleep(5.0)  # up, and registered with the accessibility bus
    tree = Tree(env)
    rng = random.Random(seed)
    rec = start_recorder(h, env, folder)
    truth: list[dict[str, Any]] = []
    missing: list[str] = []
    try:
        for entry in plan:
            if entry[0] == "menu":
                _, title, items = entry
                for item in rng.sample(items, min(3, len(items))):
                    b = tree.find(title, ("menu", "menu item"))
                    if b is None:
                        missing.append(title)
                        break
                    _click(env, b, rng, truth, title, "menu", name)
                    time.sleep(0.6)
                    ib = tree.find(item, ("menu item", "check menu item", "radio menu item"))
                    if ib is None:
                        missing.append(f"{title} > {item}")
                        xdo(env, "key", "Escape")
                        time.sleep(0.3)
                        continue
                    _click(env, ib, rng, truth, item, "menu item", name)
                    time.sleep(0.8)
                    xdo(env, "key", "Escape")  # a dialog the item opened
                    time.sleep(0.5)
                continue
            kind, text, roles = entry
            b = tree.find(text, roles)
            if b is None:
                missing.append(text)
                continue
            _click(env, b, rng, truth, text, kind, name)
    finally:
        stop_recorder(h, rec)
        tree.close()
        h.stop(proc)
    if missing:
        print(f"  {name}: not found, skipped: {', '.join(missing)}", flush=True)
    print(f"  {name}: {len(truth)} clicks", flush=True)
    return truth


def _click(env: dict[str, str], box: list[int], rng: random.Random,
           truth: list[dict[str, Any]], text: str, kind: str, app: str) -> None:
    x, y = point_in(box, rng, kind)
    truth.append({"x": x, "y": y, "action": "click", "text": text, "kind": kind,
                  "screen": None, "screen_kind": kind, "dark": False, "px": None,
                  "font": None, "labelled": True, "unlabelled": False, "sensitive": False,
                  "app": app})
    xdo(env, "mousemove", str(x), str(y))
    time.sleep(0.3)
    xdo(env, "click", "1")
    time.sleep(0.5)


