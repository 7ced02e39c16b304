"""Global mouse and keyboard input on X11 through pynput (XRecord).

Callbacks run on pynput's threads and must stay cheap (a slow callback makes the pointer
sluggish, a peer's known fault): they stamp the time, build a small dict, and hand it on.

pynput marks a listener ready before it asks the X server to enable its RECORD context, and
input until the server has enabled it is lost (3 of 20 clicks made right after start on an
idle machine): ``start`` returns once the server says both contexts are enabled.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

MODIFIER_NAMES = {
    "shift": "shift",
    "shift_l": "shift",
    "shift_r": "shift",
    "ctrl": "ctrl",
    "ctrl_l": "ctrl",
    "ctrl_r": "ctrl",
    "alt": "alt",
    "alt_l": "alt",
    "alt_r": "alt",
    "alt_gr": "altgr",
    "cmd": "cmd",
    "cmd_l": "cmd",
    "cmd_r": "cmd",
}

# pynput Key names to the canonical lowercase names of formats.md (keys column).
KEY_RENAMES = {
    "shift_l": "shift",
    "shift_r": "shift",
    "ctrl_l": "ctrl",
    "ctrl_r": "ctrl",
    "alt_l": "alt",
    "alt_r": "alt",
    "alt_gr": "altgr",
    "cmd_l": "cmd",
    "cmd_r": "cmd",
    "esc": "escape",
    "page_up": "pageup",
    "page_down": "pagedown",
}

# Masked keys (typed into a password field, see annotator/capture/a11y.py) keep only what says
# nothing about the secret's characters: these non-printing keys keep their name (Enter submits,
# Tab moves on, Backspace edits: useful for steps); every other key, shift, altgr and caps lock
# included (they give away case and symbols), becomes MASKED_KEY.  No char and no keysym (vk)
# is ever kept.
MASKED_KEY = "masked"
KEEP_NAME_WHEN_MASKED = frozenset({
    "enter", "tab", "escape", "backspace", "delete", "insert", "up", "down", "left", "right",
    "home", "end", "pageup", "pagedown", "ctrl", "alt", "cmd",
})
_REVEALING_MODS = frozenset({"shift", "altgr"})


def mask_key_event(record: dict[str, Any]) -> dict[str, Any]:
    """A copy of a key event with nothing left that tells which character was typed."""
    out = dict(record)
    key = record.get("key")
    out["key"] = key if key in KEEP_NAME_WHEN_MASKED else MASKED_KEY
    out["char"] = None
    out["vk"] = None
    out["mods"] = [m for m in record.get("mods") or () if m not in _REVEALING_MODS]
    out["masked"] = True
    return out


LIVE_WAIT_S = 10.0  # how long start() waits for the X server to enable input recording


def record_context_enabled(display: Any, context: int) -> bool:
    """Whether the X server has enabled RECORD context ``context`` (any client's).
    python-xlib's GetContext reply skips the ``enabled`` byte, so the reply is parsed here."""
    from Xlib.ext import record
    from Xlib.protocol import rq

    # Made with type(): python-xlib is untyped, and a class statement over its classes
    # would need a checker exception.
    get_context = type("GetContext", (rq.ReplyRequest,), {
        "_request": record.GetContext._request,
        "_reply": rq.Struct(
            rq.ReplyCode(),
            rq.Card8("enabled"),
            rq.Card16("sequence_number"),
            rq.ReplyLength(),
            rq.Card8("element_header"),
            rq.Pad(3),
            rq.Card32("clients"),
            rq.Pad(16))})  # then the clients' ranges: not needed, not parsed

    reply = get_context(display=display.display,
                       opcode=display.display.get_extension_major(record.extname),
                       context=context)
    return bool(reply.enabled)


# Keypad keysyms that pynput reports without a character.
_KEYPAD = {65456 + i: str(i) for i in range(10)}
_KEYPAD.update({65450: "*", 65451: "+", 65453: "-", 65454: ".", 65455: "/"})


def describe_key(key: Any) -> tuple[str, str | None, int | None]:
    """(canonical name, printable character or None, X keysym or None) of a pynput key."""
    from pynput import keyboard

    if key is None:
        return "unknown", None, None
    if isinstance(key, keyboard.Key):
        name = key.name
        vk = getattr(key.value, "vk", None)
        char = {"space": " "}.get(name)
        return KEY_RENAMES.get(name, name), char, vk
    char = getattr(key, "char", None)
    vk = getattr(key, "vk", None)
    if char is None and vk in _KEYPAD:
        char = _KEYPAD[vk]
    if char is not None and len(char) == 1 and char.isprintable():
        name = char.lower() if char.isalpha() else char
        return name, char, vk
    if vk is not None:
        try:
            from Xlib import XK

            s = XK.keysym_to_string(vk)
            if s:
                return s.lower(), None, vk
        except Exception:
            pass
        return f"keysym_{vk}", None, vk
    return "unknown", None, None


class PynputInput:
    """Mouse and keyboard listeners.  ``on_event`` receives raw event dicts with ``t_ns``
    (monotonic nanoseconds) and root-window coordinates; the recorder converts them."""

    def __init__(self, move_interval_s: float = 1 / 60) -> None:
        self._mouse: Any = None  # pynput's listeners, once started
        self._keyboard: Any = None
        self._move_interval_ns = int(move_interval_s * 1e9)
        self._last_move_ns = 0
        self._pending_move: tuple[int, int, int] | None = None
        self._mods: set[str] = set()
        self._pressed_buttons: set[str] = set()
        self._live = False  # the X server enabled both listeners' RECORD contexts
        self.problem: str | None = None  # why input is not captured, when it is not

    def start(self, on_event: Callable[[dict[str, Any]], None]) -> None:
        from pynput import keyboard, mouse

        clock = time.monotonic_ns

        def flush_move() -> None:
            if self._pending_move is not None:
                t, x, y = self._pending_move
                self._pending_move = None
                self._last_move_ns = t
                on_event({"t_ns": t, "kind": "mouse_move", "x": x, "y": y})

        def on_move(x: int, y: int, injected: bool = False) -> None:
            t = clock()
            # Coalesce moves: keep at most one per move interval, but never lose the last one.
            if t - self._last_move_ns >= self._move_interval_ns:
                self._pending_move = None
                self._last_move_ns = t
                on_event({"t_ns": t, "kind": "mouse_move", "x": x, "y": y})
            else:
                self._pending_move = (t, x, y)

        def on_click(x: int, y: int, button: Any, pressed: bool, injected: bool = False) -> None:
            t = clock()
            flush_move()
            name = getattr(button, "name", str(button))
            on_event(
                {
                    "t_ns": t,
                    "kind": "mouse_down" if pressed else "mouse_up",
                    "x": x,
                    "y": y,
                    "button": name,
                }
            )

        def on_scroll(x: int, y: int, dx: int, dy: int, injected: bool = False) -> None:
            t = clock()
            flush_move()
            # pynput reports wheel-up as dy=+1; the bundle's convention is dy > 0 = down.
            on_event({"t_ns": t, "kind": "scroll", "x": x, "y": y, "dx": dx, "dy": -dy})

        def on_key(pressed: bool) -> Callable[..., None]:
            def handler(key: Any, injected: bool = False) -> None:
                t = clock()
                name, char, vk = describe_key(key)
                mod = MODIFIER_NAMES.get(getattr(key, "name", "") or "")
                mods = sorted(self._mods)
                if mod:
                    if pressed:
                        self._mods.add(mod)
                    else:
                        self._mods.discard(mod)
                on_event(
                    {
                        "t_ns": t,
                        "kind": "key_down" if pressed else "key_up",
                        "key": name,
                        "char": char,
                        "vk": vk,
                        "mods": mods,
                    }
                )

            return handler

        self._mouse = mouse.Listener(on_move=on_move, on_click=on_click, on_scroll=on_scroll)
        self._keyboard = keyboard.Listener(on_press=on_key(True), on_release=on_key(False))
        self._mouse.start()
        self._keyboard.start()
        self._mouse.wait()
        self._keyboard.wait()
        self._wait_until_live(LIVE_WAIT_S)

    def _wait_until_live(self, timeout_s: float) -> None:
        """Until the X server has enabled both listeners' RECORD contexts (asked on a
        connection of our own), at most ``timeout_s``; else ``problem`` says why not."""
        from Xlib import display

        listeners = {"mouse": self._mouse, "keyboard": self._keyboard}
        deadline = time.monotonic() + timeout_s
        try:
            conn = display.Display()
        except Exception as exc:
            self.problem = f"could not ask the X server whether input is recorded: {exc}"
            return
        try:
            while True:
                waiting = [name for name, li in listeners.items()
                           if getattr(li, "_context", None) is None
                           or not record_context_enabled(conn, li._context)]
                if not waiting:
                    self._live = True
                    return
                dead = [name for name, li in listeners.items() if not li.is_alive()]
                if dead or time.monotonic() > deadline:
                    self.problem = (f"the {' and '.join(dead)} listener stopped" if dead else
                                    f"the X server did not start recording the "
                                    f"{' and '.join(waiting)} within {timeout_s:g} s")
                    return
                time.sleep(0.005)
        except Exception as exc:
            self.problem = f"could not ask the X server whether input is recorded: {exc}"
        finally:
            conn.close()

    def alive(self) -> bool:
        return bool(
            self._live
            and self._mouse is not None
            and self._keyboard is not None
            and self._mouse.is_alive()
            and self._keyboard.is_alive()
        )

    def stop(self) -> None:
        for listener in (self._mouse, self._keyboard):
            if listener is not None and listener.is_alive():
                listener.stop()
                # pynput queues the RECORD disable request on the blocked connection, so the
                # thread would end only at the next input event; send it on the other one.
                try:
                    listener._display_stop.record_disable_context(listener._context)
                    listener._display_stop.flush()
                except Exception:
                    pass
        for listener in (self._mouse, self._keyboard):
            if listener is not None:
                listener.join(timeout=2)
