"""How drafts read: short imperative instructions in the style of good human labels.

``Click "Save"``, ``Type "Acme Corporation" into the Customer field``, ``Press Ctrl+S to
save``, ``Scroll down in the Items table``, ``Drag "report.pdf" onto "Archive"``,
``Right-click the "Travel" row``, ``Double-click "Q3 figures.xlsx"``.

Everything here is pure string work over already-checked names: nothing reads the screen
and nothing here decides what is safe to say (``privacy.py`` does, before).
"""

from __future__ import annotations

import re

# Common meanings of hotkeys, used only where the meaning hardly depends on the application.
# Ctrl+B (bold or bookmarks), Ctrl+R (reload or reply), Ctrl+L (address bar or centre) and the
# like are left as keys.
HOTKEY_MEANINGS: dict[tuple[str, ...], str] = {
    ("ctrl", "s"): "save",
    ("ctrl", "shift", "s"): "save under a new name",
    ("ctrl", "c"): "copy",
    ("ctrl", "x"): "cut",
    ("ctrl", "v"): "paste",
    ("ctrl", "shift", "v"): "paste without formatting",
    ("ctrl", "z"): "undo",
    ("ctrl", "y"): "redo",
    ("ctrl", "shift", "z"): "redo",
    ("ctrl", "a"): "select all",
    ("ctrl", "f"): "search",
    ("ctrl", "h"): "find and replace",
    ("ctrl", "p"): "print",
    ("ctrl", "o"): "open a file",
    ("ctrl", "n"): "create a new one",
    ("ctrl", "t"): "open a new tab",
    ("ctrl", "shift", "t"): "reopen the closed tab",
    ("ctrl", "w"): "close it",
    ("ctrl", "q"): "quit",
    ("alt", "f4"): "close the window",
    ("ctrl", "tab"): "switch to the next tab",
    ("ctrl", "shift", "tab"): "switch to the previous tab",
    ("ctrl", "page_down"): "switch to the next tab",
    ("ctrl", "page_up"): "switch to the previous tab",
    ("alt", "tab"): "switch windows",
    ("ctrl", "home"): "go to the beginning",
    ("ctrl", "end"): "go to the end",
    ("ctrl", "plus"): "zoom in",
    ("ctrl", "="): "zoom in",
    ("ctrl", "minus"): "zoom out",
    ("ctrl", "-"): "zoom out",
    ("ctrl", "0"): "reset the zoom",
    ("shift", "tab"): "move to the previous field",
    ("alt", "left"): "go back",
    ("alt", "right"): "go forward",
    ("f1",): "open the help",
    ("f11",): "toggle full screen",
}
KEY_MEANINGS: dict[str, str] = {
    "tab": "move to the next field",
}

_KEY_NAMES = {
    "ctrl": "Ctrl", "control": "Ctrl", "alt": "Alt", "altgr": "AltGr", "shift": "Shift",
    "cmd": "Super", "super": "Super", "meta": "Super", "enter": "Enter", "return": "Enter",
    "kp_enter": "Enter", "esc": "Escape", "escape": "Escape", "backspace": "Backspace",
    "delete": "Delete", "insert": "Insert", "tab": "Tab", "space": "Space",
    "up": "Up", "down": "Down", "left": "Left", "right": "Right", "home": "Home",
    "end": "End", "page_up": "Page Up", "page_down": "Page Down", "menu": "Menu",
    "caps_lock": "Caps Lock", "print_screen": "Print Screen", "plus": "+", "minus": "-",
}


def key_name(key: str) -> str:
    """``ctrl`` -> ``Ctrl``, ``page_down`` -> ``Page Down``, ``s`` -> ``S``, ``f5`` -> ``F5``."""
    k = str(key).lower()
    if k in _KEY_NAMES:
        return _KEY_NAMES[k]
    if re.fullmatch(r"f\d{1,2}", k):
        return k.upper()
    if len(k) == 1:
        return k.upper()
    return " ".join(p.capitalize() for p in k.split("_"))


def keys_label(keys: list[str] | tuple[str, ...]) -> str:
    return "+".join(key_name(k) for k in keys)


def hotkey_meaning(keys: list[str] | tuple[str, ...]) -> str | None:
    norm = tuple(str(k).lower() for k in keys)
    norm = tuple("ctrl" if k == "control" else k for k in norm)
    if len(norm) == 1:
        return HOTKEY_MEANINGS.get(norm) or KEY_MEANINGS.get(norm[0])
    return HOTKEY_MEANINGS.get(norm)


_TRAILING = re.compile(r"[\s:：]+$|(\s*(\.\.\.|…))+$|\s[.,;·•]$")
_MNEMONIC = re.compile(r"&(?=[^&\s])")


def clean_name(name: str | None) -> str:
    """A control's name as a label quotes it: mnemonic ``&`` removed, white space folded,
    a trailing colon (form labels) or ellipsis (``Send…``) dropped."""
    if not name:
        return ""
    s = _MNEMONIC.sub("", str(name)).replace("&&", "&")
    s = " ".join(s.split())
    prev = None
    while prev != s:
        prev = s
        s = _TRAILING.sub("", s)
    # A control's border read as a bar at either end ("Send invoice|").
    return s.strip(" \"'“”|¦").strip()


def quote(name: str) -> str:
    return f'"{name}"'


def shorten(text: str, limit: int = 60) -> str:
    """At most ``limit`` characters, cut at a word boundary with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip() + "…"


# -- roles ---------------------------------------------------------------------------------
# The accessibility role (AT-SPI role name) of a target, reduced to how a label names it.
BUTTON, FIELD, MENU, MENU_ITEM, TAB, CHECKBOX, RADIO, ITEM, ROW, CELL, LINK, DROPDOWN, \
    SLIDER, ICON, SCROLLBAR, HEADER, LIST, TABLE, TEXT, WINDOW = (
        "button", "field", "menu", "menu item", "tab", "checkbox", "option", "item", "row",
        "cell", "link", "drop-down", "slider", "icon", "scroll bar", "column header", "list",
        "table", "text", "window")

ROLE_KINDS: dict[str, str] = {
    "push button": BUTTON, "toggle button": BUTTON, "push button menu": BUTTON,
    "button": BUTTON, "switch": CHECKBOX,
    "text": FIELD, "entry": FIELD, "password text": FIELD, "spin button": FIELD,
    "editbar": FIELD, "date editor": FIELD, "autocomplete": FIELD,
    "menu": MENU, "menu bar": MENU,
    "menu item": MENU_ITEM, "check menu item": MENU_ITEM, "radio menu item": MENU_ITEM,
    "tearoff menu item": MENU_ITEM,
    "page tab": TAB,
    "check box": CHECKBOX, "radio button": RADIO,
    "list item": ITEM, "tree item": ROW, "table row": ROW,
    "table cell": CELL,
    "link": LINK,
    "combo box": DROPDOWN,
    "slider": SLIDER, "dial": SLIDER,
    "icon": ICON, "image": ICON,
    "scroll bar": SCROLLBAR,
    "table column header": HEADER, "column header": HEADER, "table row header": HEADER,
    "list": LIST, "list box": LIST, "tree": LIST, "tree table": TABLE, "table": TABLE,
    "label": TEXT, "static": TEXT, "paragraph": TEXT, "heading": TEXT, "caption": TEXT,
}
# Roles that are only containers: their name (if any) names a region, never a control.
CONTAINER_ROLES = frozenset({
    "frame", "window", "dialog", "panel", "filler", "application", "scroll pane",
    "viewport", "layered pane", "root pane", "glass pane", "internal frame", "split pane",
    "option pane", "section", "grouping", "form", "document frame", "document web",
    "page tab list", "tool bar", "status bar", "unknown", "invalid", "redundant object",
    "canvas", "drawing area", "embedded", "landmark", "article",
})


def role_kind(role_name: str | None) -> str | None:
    if not role_name:
        return None
    return ROLE_KINDS.get(str(role_name).lower())


# -- phrases -------------------------------------------------------------------------------
_CLICK_VERB = {"click": "Click", "double_click": "Double-click", "triple_click": "Triple-click",
               "right_click": "Right-click", "middle_click": "Middle-click"}


def click_phrase(step_type: str, name: str, kind: str | None, *, checked: bool | None = None,
                 context: str | None = None) -> str:
    """The draft of a click on a named control."""
    q = quote(name)
    verb = _CLICK_VERB.get(step_type, "Click")
    ctx = f" in {context}" if context else ""
    if step_type == "click":
        if kind == FIELD:
            return f"Click the {name} field{ctx}"
        if kind == MENU:
            return f"Open the {q} menu{ctx}"
        if kind == MENU_ITEM:
            return f"Choose {q}{ctx or ' in the menu'}"
        if kind == TAB:
            return f"Open the {q} tab{ctx}"
        if kind == CHECKBOX:
            return f"{'Uncheck' if checked else 'Check'} {q}{ctx}"
        if kind == RADIO:
            return f"Select {q}{ctx}"
        if kind in (ITEM, ROW):
            return f"Select {q}{ctx}"
        if kind == LINK:
            return f"Click the {q} link{ctx}"
        if kind == DROPDOWN:
            return f"Open the {name} drop-down{ctx}"
        if kind == HEADER:
            return f"Click the {q} column header{ctx}"
        return f"Click {q}{ctx}"
    if step_type == "right_click" and kind in (ROW, CELL, ITEM):
        return f"Right-click the {q} row{ctx}" if kind != ITEM else f"Right-click {q}{ctx}"
    if kind == FIELD:
        return f"{verb} the {name} field{ctx}"
    return f"{verb} {q}{ctx}"


POSITIONS = (("top left", "top", "top right"), ("left", "middle", "right"),
             ("bottom left", "bottom", "bottom right"))


def position_words(x: int, y: int, box: tuple[int, int, int, int]) -> str:
    """Where a point lies in a box, in thirds: ``top right``, ``middle``..."""
    bx, by, bw, bh = box
    col = min(2, max(0, int(3 * (x - bx) / max(1, bw))))
    row = min(2, max(0, int(3 * (y - by) / max(1, bh))))
    return POSITIONS[row][col]


def weak_click_phrase(step_type: str, what: str, where: str, window: str | None) -> str:
    """An honest draft of a click whose target has no readable name."""
    verb = _CLICK_VERB.get(step_type, "Click")
    place = "middle" if where == "middle" else where
    win = f" of the {window} window" if window else " of the screen"
    at = "in the middle" if place == "middle" else f"at the {place}"
    return f"{verb} the {what} {at}{win}"


def scroll_phrase(dx: int, dy: int, region: str | None) -> str:
    if abs(dy) >= abs(dx):
        direction = "down" if dy > 0 else "up"
    else:
        direction = "right" if dx > 0 else "left"
    return f"Scroll {direction}" + (f" in {region}" if region else "")


def direction_words(dx: int, dy: int) -> str:
    horiz = "right" if dx > 0 else "left"
    vert = "down" if dy > 0 else "up"
    if abs(dx) > 2 * abs(dy):
        return horiz
    if abs(dy) > 2 * abs(dx):
        return vert
    return f"{vert} and to the {horiz}"


def type_phrase(shown: str, field: str | None) -> str:
    """``shown`` is either a quoted text or a description (``the password``)."""
    return f"Type {shown}" + (f" into the {field} field" if field else "")


def key_phrase(keys: list[str], repeat: int) -> str:
    label = keys_label(keys)
    times = f" {repeat} times" if repeat > 1 else ""
    meaning = hotkey_meaning(keys)
    if meaning and repeat == 1:
        return f"Press {label} to {meaning}"
    return f"Press {label}{times}"


def join_parts(parts: list[str]) -> str:
    """Drafts of the parts of a merged step as one instruction."""
    parts = [p for p in parts if p]
    if not parts:
        return ""
    out = parts[0]
    for p in parts[1:]:
        out += ", then " + (p[0].lower() + p[1:] if p[:1].isupper() and not p[1:2].isupper()
                            else p)
    return out
