"""Benchmarks only: a timeline of the recorder's threads, to tell why a capture tick ran late.

Enabled by ``ANNOTATOR_BENCH_TICK_TRACE=FILE`` (``benchmarks/record_overhead.py --trace``);
in normal use the recorder holds ``None`` instead and pays one test per tick.  Written as
one JSON object when the recording ends:
- ``ticks``: per live tick ``[due, woke, grabbed, done, missed, queued, cpu, runq_before,
  runq_work, x0, x1, x_runq]``: when it was due, when the thread began it (after its sleep
  and getting the GIL back), when the grab was read, when its row and frame were handed on
  (all monotonic ns); how many earlier deadlines it found missed, the encoder queue's
  length, the thread's CPU ns for the tick's work, its run-queue wait ns
  (``/proc/thread-self/schedstat``: waiting for a core, as against waiting for the GIL or
  sleeping) from the last tick's end to this one's start and during this one's work; the
  start and end of its X requests (the screen's pixels) and the run-queue wait during them;
- ``sleeps``: ``[asked_until, woke]`` of every sleep to a deadline;
- ``spans``: ``[kind, start, end, cpu, runq]`` of the other threads' work that may keep the
  capture thread off a core or off the GIL: ``encode`` (a frame into x264 and the muxer),
  ``flush`` (the bundle's streams to the OS), ``monitor`` (a whole monitor pass), ``gc0`` /
  ``gc1`` / ``gc2`` (a garbage collection of that generation; cpu and runq 0);
- ``steal``: ``[t, steal_ticks]`` per tick: the hypervisor's steal time so far (USER_HZ
  ticks, all CPUs, ``/proc/stat``), which no thread of this machine can see otherwise;
- ``threads``: per thread of the process at the end, its name and total CPU and run-queue
  wait (``/proc/self/task/*/schedstat``), x264's own threads included.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any


def _schedstat() -> tuple[int, int]:
    """(CPU ns, run-queue wait ns) of the calling thread so far."""
    try:
        with open("/proc/thread-self/schedstat", "rb") as fh:
            run, wait, _n = fh.read().split()
        return int(run), int(wait)
    except (OSError, ValueError):
        return 0, 0


def _steal_ticks() -> int:
    try:
        with open("/proc/stat", "rb") as fh:
            parts = fh.readline().split()
        return int(parts[8])
    except (OSError, ValueError, IndexError):
        return 0


class TickTrace:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.ticks: list[tuple[int, ...]] = []
        self.sleeps: list[tuple[int, int]] = []
        self.spans: list[tuple[str, int, int, int, int]] = []
        self.steal: list[tuple[int, int]] = []
        self._gc_start = 0
        self._runq = 0
        self._grab = (0, 0, 0)  # this tick's X requests: first start, last end, run-queue ns
        self.names: dict[int, str] = {}
        self.done: list[dict[str, Any]] = []
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        now = time.monotonic_ns()
        if phase == "start":
            self._gc_start = now
        elif self._gc_start:
            self.spans.append((f"gc{info.get('generation', '?')}", self._gc_start, now, 0, 0))

    # the capture thread
    def slept(self, until_ns: int, woke_ns: int) -> None:
        self.sleeps.append((until_ns, woke_ns))

    def tick_start(self) -> tuple[int, int]:
        """At the start of a tick's work: (thread CPU ns, run-queue wait ns)."""
        self._name()
        return time.thread_time_ns(), _schedstat()[1]

    def tick(self, due_ns: int, woke_ns: int, grabbed_ns: int, missed: int, queued: int,
             start: tuple[int, int]) -> None:
        done = time.monotonic_ns()
        cpu = time.thread_time_ns() - start[0]
        runq_now = _schedstat()[1]
        runq_before, runq_work = start[1] - self._runq, runq_now - start[1]
        self._runq = runq_now
        g0, g1, g_runq = self._grab
        self._grab = (0, 0, 0)
        self.ticks.append((due_ns, woke_ns, grabbed_ns, done, missed, queued, cpu,
                           runq_before, runq_work, g0, g1, g_runq))
        self.steal.append((done, _steal_ticks()))
        if len(self.ticks) == 30:  # every thread is up by now: their names
            for th in threading.enumerate():
                if th.native_id is not None:
                    self.names.setdefault(th.native_id, th.name)

    def grabber(self, grabber: Any) -> Any:
        """``grabber`` with the wall time and run-queue wait of each tick's X requests
        (``grab``/``grab_rect``: the X server's reply and the copy out of it) noted."""
        trace = self

        class Timed:
            def __getattr__(self, name: str) -> Any:
                return getattr(grabber, name)

            def grab(self) -> Any:
                return trace._timed(grabber.grab)

            def grab_rect(self, rect: Any) -> Any:
                return trace._timed(grabber.grab_rect, rect)

        return Timed()

    def _timed(self, fn: Any, *args: Any) -> Any:
        t0, q0 = time.monotonic_ns(), _schedstat()[1]
        try:
            return fn(*args)
        finally:
            a, b, q = self._grab
            t1 = time.monotonic_ns()
            self._grab = (a or t0, t1, q + _schedstat()[1] - q0)

    # other threads
    def span_start(self) -> tuple[int, int, int]:
        self._name()
        return time.monotonic_ns(), time.thread_time_ns(), _schedstat()[1]

    def span(self, kind: str, start: tuple[int, int, int]) -> None:
        end = time.monotonic_ns()
        self.spans.append((kind, start[0], end, time.thread_time_ns() - start[1],
                           _schedstat()[1] - start[2]))

    def thread_done(self) -> None:
        """At the end of a traced thread: its totals (it is gone when the trace closes)."""
        run, wait = _schedstat()
        self.done.append({"tid": threading.get_native_id(),
                          "name": threading.current_thread().name, "cpu_ns": run,
                          "runq_ns": wait})

    def _name(self) -> None:
        tid = threading.get_native_id()
        if tid not in self.names:
            self.names[tid] = threading.current_thread().name

    def close(self) -> None:
        try:
            gc.callbacks.remove(self._on_gc)
        except ValueError:
            pass
        threads = list(self.done)
        for tid in os.listdir("/proc/self/task"):
            try:
                name = Path(f"/proc/self/task/{tid}/comm").read_text().strip()
                run, wait, _n = Path(f"/proc/self/task/{tid}/schedstat").read_text().split()
                threads.append({"tid": int(tid), "name": self.names.get(int(tid), name),
                                "cpu_ns": int(run), "runq_ns": int(wait)})
            except (OSError, ValueError):
                continue
        data = {"ticks": self.ticks, "sleeps": self.sleeps, "spans": self.spans,
                "steal": self.steal, "threads": threads, "gc_thresholds": gc.get_threshold(),
                "switch_interval_s": sys.getswitchinterval()}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self.path)
