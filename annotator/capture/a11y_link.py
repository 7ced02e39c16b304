"""One D-Bus connection of the accessibility worker, with its own reader thread."""

from __future__ import annotations

import os
import selectors
import threading
import time
from collections.abc import Callable
from typing import Any

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
