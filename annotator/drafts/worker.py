"""Drafting in a process of its own, at the lowest CPU priority (the editor's background drafts).

In the editor's own interpreter, drafting's Python work held the GIL that the frame cache's
thread needs between its PyAV and OpenCV calls, and shared the CPU with it at a priority no
thread setting could lower enough: on short recordings the cache took 1.1-1.3x as long.  Here
drafting runs in a child process scheduled SCHED_IDLE (nice 19 where that is refused): it
gets a CPU only when nothing else of the machine wants one, and takes no lock the editor
needs.  It drafts with the same ``RecordingDrafts.draft_one`` as ``annotator label``, reads
frames from the frame cache's files (it decodes no video of its own until the cache is
complete: ``frames(complete=True)``), and sends each draft back as plain data
(``Draft.to_dict``); drafts made from steps or redactions changed since are refused on
arrival by their key (``RecordingDrafts.accept``).  It writes ``drafts.json`` itself.

    proc = DraftProcess()                      # started at once: its imports meanwhile
    proc.open(folder, redactions, deny_list, inputs)
    proc.order(rows_on_screen)                 # drafted first
    proc.frames(complete=False)                # the frame cache wrote more frames
    kind, payload = proc.receive(timeout)      # ("drafted", {...}) ...
    proc.close()                               # the recording closes: it stops, saving

A plain subprocess, not multiprocessing: spawn would import the parent's main script again.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

FROZEN_FLAG = "--drafts-worker"  # the packaged app's entry runs ``main`` on it
POLL_S = 0.05  # how often the rows wanted first look for their frames in the cache
# Work on the other (virtual) CPU slows the frame cache at any priority on 2-core machines:
# a short recording's cache (0.3-0.5 s) is left to finish alone, a long one's is not
# waited for beyond this, from the recording's opening (the first screen's drafts must
# arrive within a second).
CACHE_ALONE_S = 0.45
SAVE_EVERY = 25  # drafts between two saves of drafts.json


def worker_command(fd: int) -> list[str]:
    if getattr(sys, "frozen", False):  # the packaged app: no -m, its entry dispatches
        return [sys.executable, FROZEN_FLAG, str(fd)]
    return [sys.executable, "-m", "annotator.drafts.worker", str(fd)]


def lowest_priority(pid: int) -> str:
    """SCHED_IDLE for the process ``pid`` (its threads to come inherit it), else nice 19."""
    try:
        os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0))
        return "idle"
    except (OSError, AttributeError):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, pid, 19)
        return "nice 19"


class DraftProcess:
    """The editor's side: starts the worker, sends it what to draft, receives drafts.

    ``prestart()`` starts one ahead (the app does at its start), which ``take()`` then
    hands out: its imports and OCR engine (0.4 s of CPU) are loaded before a recording
    opens, not while the editor opens it and builds its frame cache."""

    _spare: DraftProcess | None = None
    _ahead = False  # prestart was called: one is started ahead again after each use

    @classmethod
    def prestart(cls) -> DraftProcess:
        cls._ahead = True
        if cls._spare is None or cls._spare.process.poll() is not None:
            cls._spare = cls()
        return cls._spare

    @classmethod
    def take(cls) -> DraftProcess:
        """The process started ahead, else a new one."""
        spare, cls._spare = cls._spare, None
        if spare is None or spare.process.poll() is not None:
            return cls()
        return spare

    def ready(self, timeout: float | None = None) -> bool:
        """Whether it has loaded what it drafts with (its first message is waiting)."""
        try:
            return self._conn.poll(timeout)
        except (OSError, ValueError):
            return False

    def __init__(self) -> None:
        mine, theirs = socket.socketpair()
        self._conn = Connection(mine.detach())
        fd = theirs.fileno()
        try:
            self.process = subprocess.Popen(worker_command(fd), pass_fds=(fd,),
                                            stdin=subprocess.DEVNULL)
        finally:
            theirs.close()
        self.priority = lowest_priority(self.process.pid)
        self._lock = threading.Lock()
        self.loaded = False  # it said it is ready (its imports and OCR engine loaded)

    def _send(self, *msg: Any) -> None:
        with self._lock, contextlib.suppress(OSError, EOFError, ValueError):
            self._conn.send(msg)

    def open(self, folder: Path, redactions: Iterable[Mapping[str, Any]],
             deny_list: Iterable[str], inputs: Sequence[Any], ocr: bool = True) -> None:
        self._send("open", str(folder), [dict(r) for r in redactions], list(deny_list),
                   list(inputs), ocr)

    def steps(self, inputs: Sequence[Any]) -> None:
        self._send("steps", list(inputs))

    def redactions(self, redactions: Iterable[Mapping[str, Any]]) -> None:
        self._send("redactions", [dict(r) for r in redactions])

    def order(self, step_ids: Sequence[str]) -> None:
        self._send("order", list(step_ids))

    def frames(self, complete: bool = False) -> None:
        self._send("frames", complete)

    def receive(self, timeout: float | None = None) -> tuple[str, Any] | None:
        """The next message (None if none came within ``timeout``).  Raises EOFError once
        the worker is gone."""
        try:
            if not self._conn.poll(timeout):
                return None
            kind, payload = self._conn.recv()
        except (OSError, ValueError) as exc:
            raise EOFError(str(exc)) from exc
        self.loaded = self.loaded or kind == "ready"
        return str(kind), payload

    def close(self, wait: float = 1.0) -> None:
        """Stop it: it saves its drafts first, unless it is still loading (nothing to save)
        or does not stop within ``wait`` (a busy machine lets it run only when idle)."""
        self._send("quit")
        try:
            self.process.wait(wait if self.loaded else 0)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        with contextlib.suppress(OSError):
            self._conn.close()
        if DraftProcess._ahead:  # the next recording's, loading from now on
            DraftProcess.prestart()


# -- the worker process ---------------------------------------------------------------------
class _Worker:
    def __init__(self, conn: Connection) -> None:
        from annotator.drafts.service import RecordingDrafts

        self.conn = conn
        self.open_drafts = RecordingDrafts.open
        self.rd: Any = None
        self.order: list[str] = []
        self.unsaved = 0
        self.opened = 0.0

    def handle(self, msg: tuple[Any, ...]) -> bool:
        """One message from the editor; False: stop."""
        kind, args = msg[0], msg[1:]
        rd = self.rd
        if kind == "quit":
            return False
        if kind == "open":
            folder, redactions, deny, inputs, ocr = args
            rd = self.rd = self.open_drafts(folder, redactions=redactions, deny_list=deny,
                                            ocr=ocr)
            rd.allow_decode(False)  # until the frame cache is complete
            rd.set_inputs(inputs)
            self.opened = time.monotonic()
        elif rd is None:
            return True
        elif kind == "steps":
            rd.set_inputs(args[0])
        elif kind == "redactions":
            rd.update_redactions(args[0])
        elif kind == "order":
            self.order = list(args[0])
        elif kind == "frames":
            rd.frames_arrived(bool(args[0]))
        if kind in ("open", "steps", "redactions"):
            rd.quick()  # (the editor made the same ones: only the rest are sent)
        return True

    def save(self) -> None:
        if self.unsaved and self.rd is not None:
            with contextlib.suppress(Exception):
                self.rd.save()
            self.unsaved = 0

    def cache_alone(self) -> float:
        """How long the frame cache is still left to work alone (seconds)."""
        if self.rd is None or self.rd.frames_complete:
            return 0.0
        return max(0.0, self.opened + CACHE_ALONE_S - time.monotonic())

    def draft_next(self) -> bool:
        """Draft one step (the ones asked for first); False when none can be drafted now."""
        from annotator.jobs import Cancelled

        # While the frame cache is built only the rows asked for (on screen, selected):
        # even at the lowest priority, work on the other core slows the cache on this
        # machine class (2 virtual CPUs), so the rest waits for it.
        sid = self.rd.next_missing(self.order, only=not self.rd.frames_complete)
        if sid is None:
            return False
        t0 = time.monotonic()
        try:
            d = self.rd.draft_one(sid)
        except Cancelled:
            return False
        except Exception:  # noqa: BLE001 - a draft that fails is not made; say nothing
            self.rd.mark_failed(sid)
            d = self.rd.drafts.get(sid)
        if d is not None:
            self.unsaved += 1
            self.conn.send(("drafted", {"draft": d.to_dict(), "busy_s": time.monotonic() - t0,
                                        "cpu_s": time.process_time()}))
        if self.unsaved >= SAVE_EVERY:
            self.save()
        return True

    def run(self) -> None:
        while True:
            while self.conn.poll(0):
                if not self.handle(self.conn.recv()):
                    return
            alone = self.cache_alone()
            if self.rd is not None and not alone and self.draft_next():
                continue
            self.save()
            # Nothing to draft now: wait for the editor; the rows it wants first look for
            # their frames in the cache meanwhile.
            waiting = self.rd is not None and self.rd.waiting
            if self.conn.poll(alone or (POLL_S if waiting else None)):
                if not self.handle(self.conn.recv()):
                    return
            elif waiting and not alone:
                self.rd.ready_again(self.order)


def serve(conn: Connection) -> None:
    from annotator.drafts.drafter import load_ocr_engine

    with contextlib.suppress(Exception):  # no OCR: each draft says so
        load_ocr_engine()  # while the editor opens
    worker = _Worker(conn)
    try:
        conn.send(("ready", {"cpu_s": time.process_time()}))
        worker.run()
    except (EOFError, OSError):  # the editor is gone
        pass
    finally:
        worker.save()
        if worker.rd is not None:
            worker.rd.close()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    serve(Connection(int(args[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
