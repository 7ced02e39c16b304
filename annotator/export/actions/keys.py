"""Key names: the canonical lowercase names of steps (pynput's, see annotator/steps/derive.py)
mapped to each target's vocabulary, and the vocabularies themselves (for the checks).

- PyAutoGUI (AgentNet, AGUVIS, OpenCUA, UI-TARS hotkeys): ``pyautogui.KEYBOARD_KEYS``.
- xdotool keysyms (Anthropic's reference computer tool runs ``xdotool key -- TEXT``).
- OpenAI ``keypress`` names (the CUA sample app's key table: ``arrowdown``, ``esc``...).

A name a target has no word for maps to None: the step is then left out and counted.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable
from typing import Any

# pyautogui.KEYBOARD_KEYS: the printable characters and the named keys.
PYAUTOGUI_KEYS = frozenset(
    [c for c in string.printable if c not in "\x0b\x0c"]
    + ["accept", "add", "alt", "altleft", "altright", "apps", "backspace", "browserback",
       "browserfavorites", "browserforward", "browserhome", "browserrefresh", "browsersearch",
       "browserstop", "capslock", "clear", "convert", "ctrl", "ctrlleft", "ctrlright",
       "decimal", "del", "delete", "divide", "down", "end", "enter", "esc", "escape",
       "execute", "final", "fn", "hanguel", "hangul", "hanja", "help", "home", "insert",
       "junja", "kana", "kanji", "launchapp1", "launchapp2", "launchmail",
       "launchmediaselect", "left", "modechange", "multiply", "nexttrack", "nonconvert",
       "numlock", "pagedown", "pageup", "pause", "pgdn", "pgup", "playpause", "prevtrack",
       "print", "printscreen", "prntscrn", "prtsc", "prtscr", "return", "right", "scrolllock",
       "select", "separator", "shift", "shiftleft", "shiftright", "sleep", "space", "stop",
       "subtract", "tab", "up", "volumedown", "volumemute", "volumeup", "win", "winleft",
       "winright", "yen", "command", "option", "optionleft", "optionright"]
    + [f"f{i}" for i in range(1, 25)] + [f"num{i}" for i in range(10)])

_PYAUTOGUI = {"escape": "esc", "altgr": "altright", "caps_lock": "capslock",
              "num_lock": "numlock", "scroll_lock": "scrolllock", "print_screen": "printscreen",
              "menu": "apps", "media_play_pause": "playpause", "media_volume_mute": "volumemute",
              "media_volume_down": "volumedown", "media_volume_up": "volumeup",
              "media_previous": "prevtrack", "media_next": "nexttrack"}


def pyautogui_key(name: str, platform: str | None = None) -> str | None:
    """The PyAutoGUI name of a canonical key; ``cmd`` is ``command`` on macOS, ``win``
    elsewhere (both are PyAutoGUI names)."""
    if name == "cmd":
        return "command" if platform == "macos" else "win"
    out = _PYAUTOGUI.get(name, name)
    return out if out in PYAUTOGUI_KEYS and out not in ("\t", "\n", "\r") else None


_XDOTOOL = {"ctrl": "ctrl", "alt": "alt", "shift": "shift", "cmd": "super",
            "altgr": "ISO_Level3_Shift", "enter": "Return", "tab": "Tab", "escape": "Escape",
            "backspace": "BackSpace", "delete": "Delete", "insert": "Insert", "home": "Home",
            "end": "End", "pageup": "Page_Up", "pagedown": "Page_Down", "up": "Up",
            "down": "Down", "left": "Left", "right": "Right", "space": "space",
            "caps_lock": "Caps_Lock", "num_lock": "Num_Lock", "scroll_lock": "Scroll_Lock",
            "menu": "Menu", "print_screen": "Print", "pause": "Pause",
            "media_play_pause": "XF86AudioPlay", "media_volume_mute": "XF86AudioMute",
            "media_volume_down": "XF86AudioLowerVolume",
            "media_volume_up": "XF86AudioRaiseVolume", "media_previous": "XF86AudioPrev",
            "media_next": "XF86AudioNext"}
# X11 keysym names of the ASCII punctuation (xdotool looks keys up by keysym name).
_XDOTOOL_PUNCT = {"!": "exclam", '"': "quotedbl", "#": "numbersign", "$": "dollar",
                  "%": "percent", "&": "ampersand", "'": "apostrophe", "(": "parenleft",
                  ")": "parenright", "*": "asterisk", "+": "plus", ",": "comma", "-": "minus",
                  ".": "period", "/": "slash", ":": "colon", ";": "semicolon", "<": "less",
                  "=": "equal", ">": "greater", "?": "question", "@": "at",
                  "[": "bracketleft", "\\": "backslash", "]": "bracketright",
                  "^": "asciicircum", "_": "underscore", "`": "grave", "{": "braceleft",
                  "|": "bar", "}": "braceright", "~": "asciitilde"}
XDOTOOL_KEYS = frozenset(_XDOTOOL.values()) | frozenset(_XDOTOOL_PUNCT.values()) \
    | frozenset(string.ascii_letters + string.digits) | {f"F{i}" for i in range(1, 25)}


def xdotool_key(name: str) -> str | None:
    if name in _XDOTOOL:
        return _XDOTOOL[name]
    if name in _XDOTOOL_PUNCT:
        return _XDOTOOL_PUNCT[name]
    if re.fullmatch(r"f([1-9]|1\d|2[0-4])", name):
        return name.upper()
    if len(name) == 1 and name in string.ascii_letters + string.digits:
        return name
    return None


# The keys of the OpenAI CUA sample app's table (openai/openai-cua-sample-app
# computers/base_playwright.py, CUA_KEY_TO_PLAYWRIGHT_KEY); other keys pass through to
# Playwright unchanged, so characters and F1..F12 are kept as Playwright names them.
_OPENAI = {"up": "arrowup", "down": "arrowdown", "left": "arrowleft", "right": "arrowright",
           "escape": "esc", "caps_lock": "capslock", "pageup": "pageup",
           "pagedown": "pagedown"}
OPENAI_KEYS = frozenset({"/", "\\", "alt", "arrowdown", "arrowleft", "arrowright", "arrowup",
                         "backspace", "capslock", "cmd", "ctrl", "delete", "end", "enter",
                         "esc", "home", "insert", "option", "pagedown", "pageup", "shift",
                         "space", "super", "tab", "win"}
                        | {f"F{i}" for i in range(1, 13)}
                        | set(string.ascii_lowercase + string.digits)
                        | set("!\"#$%&'()*+,-.:;<=>?@[]^_`{|}~"))


def openai_key(name: str) -> str | None:
    out = _OPENAI.get(name, name)
    if re.fullmatch(r"f([1-9]|1[0-2])", out):
        out = out.upper()  # passed through to Playwright, whose names are F1..F12
    return out if out in OPENAI_KEYS else None


def all_mapped(names: Iterable[str], fn: Callable[..., str | None], *args: Any
               ) -> list[str] | None:
    """Every name mapped by ``fn``, or None if one has no name in the target."""
    out = [fn(n, *args) for n in names]
    return None if any(k is None for k in out) else [k for k in out if k is not None]
