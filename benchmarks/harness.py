"""Shared machinery of the benchmarks: a private Xvfb, child processes that are always cleaned
up, process-tree CPU/RSS accounting, a streaming xdotool, and small statistics helpers.

Every process a benchmark starts goes through ``Harness.spawn``; leaving the ``with Harness()``
block (normally, on an error, on Ctrl+C, SIGTERM or SIGHUP) stops them newest first: recorders
get the signal that makes them finalize (SIGTERM for annotator, SIGINT for ffmpeg), then
SIGKILL if they have not exited after a grace period.  Children also get a parent-death signal
(through util-linux ``setpriv``), so even a SIGKILL of the benchmark leaves no Xvfb behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
PYTHON = sys.executable

SETPRIV = shutil.which("setpriv")


def _with_pdeathsig(cmd: list[str], sig: int) -> list[str]:
    """Run ``cmd`` with a parent-death signal, so that it dies with the benchmark even if the
    benchmark is SIGKILLed.  util-linux's setpriv sets it and execs ``cmd`` (same pid); this
    avoids a preexec_fn, which is unsafe in a parent that runs threads."""
    if not SETPRIV:
        return cmd
    return [SETPRIV, f"--pdeathsig={signal.Signals(sig).name[3:]}", "--", *cmd]


class Interrupted(BaseException):
    """SIGTERM/SIGHUP of the benchmark itself (Ctrl+C stays KeyboardInterrupt)."""


def _raise_interrupted(signum: int, _frame: object) -> None:
    raise Interrupted(f"received signal {signum}")


def die(msg: str) -> None:
    print(f"error: {msg}", file=sys.stderr)
    raise SystemExit(2)


def require_tools(*names: str) -> None:
    missing = [n for n in names if not shutil.which(n)]
    if missing:
        die(f"missing program(s): {', '.join(missing)} (Debian: apt-get install xvfb xdotool "
            "ffmpeg)")


# -- processes ---------------------------------------------------------------------------------
@dataclass
class Child:
    name: str
    proc: subprocess.Popen
    stop_signal: int = signal.SIGTERM
    grace_s: float = 10.0
    lines: list[str] = field(default_factory=list)
    _line_q: queue.Queue[str | None] | None = None
    _reader: threading.Thread | None = None
    rusage: resource.struct_rusage | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def running(self) -> bool:
        return self.proc.returncode is None and self.proc.poll() is None

    def follow(self, stream: Any) -> None:
        """Collect the lines of ``stream`` (stdout or stderr) in a thread."""
        self._line_q = queue.Queue()

        def pump() -> None:
            buf = ""
            try:
                while True:
                    chunk = stream.read1(65536) if hasattr(stream, "read1") else stream.read(4096)
                    if not chunk:
                        break
                    if isinstance(chunk, bytes):
                        chunk = chunk.decode("utf-8", "replace")
                    buf += chunk
                    # ffmpeg ends its progress lines with \r.
                    parts = buf.replace("\r", "\n").split("\n")
                    buf = parts.pop()
                    for line in parts:
                        self.lines.append(line)
                        self._line_q.put(line)
            except (OSError, ValueError):
                pass
            if buf:
                self.lines.append(buf)
                self._line_q.put(buf)
            self._line_q.put(None)

        self._reader = threading.Thread(target=pump, name=f"read-{self.name}", daemon=True)
        self._reader.start()

    def wait_for_line(self, predicate: Callable[[str], bool], timeout: float) -> str:
        assert self._line_q is not None, "call follow() first"
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                line = self._line_q.get(timeout=min(left, 0.5))
            except queue.Empty:
                if not self.running():
                    break
                continue
            if line is None:
                break
            if predicate(line):
                return line
        tail = "\n  ".join(self.lines[-10:])
        raise RuntimeError(f"{self.name} did not become ready within {timeout:.0f} s "
                           f"(exit status {self.proc.poll()}); last output:\n  {tail}")

    def join_output(self, timeout: float = 5.0) -> None:
        if self._reader is not None:
            self._reader.join(timeout)

    def signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            if self.running():
                os.kill(self.proc.pid, sig)

    def wait_rusage(self, timeout: float,
                    on_tick: Callable[[], None] | None = None) -> resource.struct_rusage | None:
        """Reap the child with wait4() and keep its resource usage (CPU of the child and of the
        descendants it reaped; ru_maxrss = its peak RSS).  None on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                pid, status, ru = os.wait4(self.proc.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere
                self.proc.poll()
                return self.rusage
            if pid:
                self.proc.returncode = os.waitstatus_to_exitcode(status)
                self.rusage = ru
                return ru
            if time.monotonic() > deadline:
                return None
            if on_tick:
                on_tick()
            time.sleep(0.05)

    def stop(self, timeout: float | None = None) -> resource.struct_rusage | None:
        """Ask it to stop with its own signal, then SIGKILL after the grace period."""
        if self.proc.returncode is not None:
            return self.rusage
        self.signal(self.stop_signal)
        ru = self.wait_rusage(self.grace_s if timeout is None else timeout)
        if ru is None and self.proc.returncode is None:
            print(f"  ({self.name} did not exit after {self.stop_signal!s}: killing it)",
                  file=sys.stderr)
            self.signal(signal.SIGKILL)
            ru = self.wait_rusage(10)
        self.join_output(2)
        for s in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if s is not None:
                with contextlib.suppress(OSError, ValueError):
                    s.close()
        return ru


class Harness:
    """Owns every child process; ``with Harness() as h:`` guarantees cleanup."""

    def __init__(self) -> None:
        self.children: list[Child] = []
        self._old_handlers: dict[int, Any] = {}

    def __enter__(self) -> Harness:
        for sig in (signal.SIGTERM, signal.SIGHUP):
            self._old_handlers[sig] = signal.signal(sig, _raise_interrupted)
        return self

    def __exit__(self, *exc: object) -> None:
        # Ctrl+C pressed again during cleanup must not leave processes behind.
        old_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            self.stop_all()
        finally:
            signal.signal(signal.SIGINT, old_int)
            for sig, h in self._old_handlers.items():
                signal.signal(sig, h)

    def spawn(self, name: str, cmd: Sequence[str], *, env: dict[str, str] | None = None,
              cwd: Path | None = None, stop_signal: int = signal.SIGTERM,
              grace_s: float = 10.0, stdin: Any = subprocess.DEVNULL,
              stdout: Any = subprocess.DEVNULL, stderr: Any = subprocess.DEVNULL,
              pass_fds: Iterable[int] = (), text: bool = False) -> Child:
        proc = subprocess.Popen(
            _with_pdeathsig(list(cmd), stop_signal), env=env, cwd=cwd, stdin=stdin,
            stdout=stdout, stderr=stderr, pass_fds=tuple(pass_fds), text=text,
            # Own session: a Ctrl+C in the terminal reaches only the benchmark, which then
            # stops its children in order.
            start_new_session=True,
        )
        child = Child(name, proc, stop_signal, grace_s)
        self.children.append(child)
        return child

    def stop(self, child: Child, timeout: float | None = None) -> resource.struct_rusage | None:
        try:
            return child.stop(timeout)
        finally:
            if child in self.children and child.proc.returncode is not None:
                self.children.remove(child)

    def stop_all(self) -> None:
        for child in reversed(list(self.children)):
            try:
                child.stop()
            except Exception as exc:  # keep going: the others must be stopped too
                print(f"  (could not stop {child.name}: {exc})", file=sys.stderr)
        self.children = [c for c in self.children if c.proc.returncode is None]


# -- X server ----------------------------------------------------------------------------------
@dataclass
class XServer:
    display: str
    child: Child
    width: int
    height: int

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env["DISPLAY"] = self.display
        env.pop("WAYLAND_DISPLAY", None)
        env["QT_QPA_PLATFORM"] = "xcb"
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        env.update(extra)
        return env

    def cpu_s(self) -> float:
        return proc_cpu_s(self.child.pid)


def start_xvfb(h: Harness, width: int = 1920, height: int = 1080) -> XServer:
    """Xvfb at a free display number (chosen by Xvfb itself through -displayfd)."""
    require_tools("Xvfb")
    r, w = os.pipe()
    child = h.spawn(
        "Xvfb",
        ["Xvfb", "-displayfd", str(w), "-screen", "0", f"{width}x{height}x24",
         "-nolisten", "tcp", "+extension", "RECORD", "-noreset"],
        pass_fds=(w,), grace_s=5,
    )
    os.close(w)
    num = b""
    deadline = time.monotonic() + 20
    try:
        while not num.endswith(b"\n") and time.monotonic() < deadline:
            chunk = os.read(r, 16)
            if not chunk:
                break
            num += chunk
    finally:
        os.close(r)
    if not num.strip():
        die("Xvfb did not start")
    return XServer(f":{num.decode().strip()}", child, width, height)


# -- xdotool -----------------------------------------------------------------------------------
class Xdo:
    """One long-lived ``xdotool -`` that executes the command lines written to it as they
    arrive (no process start per keystroke: the workload itself stays light and steady)."""

    def __init__(self, h: Harness, xs: XServer) -> None:
        require_tools("xdotool")
        self.h = h
        self.child = h.spawn("xdotool", ["xdotool", "-"], env=xs.env(), stdin=subprocess.PIPE,
                             text=True, grace_s=3)
        self._lock = threading.Lock()

    def send(self, *commands: str) -> None:
        with self._lock:
            stdin = self.child.proc.stdin
            assert stdin is not None
            stdin.write("".join(c + "\n" for c in commands))
            stdin.flush()

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            assert self.child.proc.stdin is not None
            self.child.proc.stdin.close()
        self.child.wait_rusage(3)
        self.h.stop(self.child)


# -- CPU and memory ----------------------------------------------------------------------------
def proc_cpu_s(pid: int) -> float:
    """User+system CPU seconds of one process (not its children)."""
    try:
        t = psutil.Process(pid).cpu_times()
        return t.user + t.system
    except psutil.Error:
        return float("nan")


class TreeSampler:
    """Samples a process tree (root + descendants) every ``interval`` s in a thread: peak RSS
    of the tree, the last CPU seen per process, and an RSS time series."""

    def __init__(self, root_pid: int, interval: float = 0.5, series: bool = False) -> None:
        self.root_pid = root_pid
        self.interval = interval
        self.keep_series = series
        self.peak_rss = 0
        self.series: list[tuple[float, int]] = []
        self.cpu_by_pid: dict[int, float] = {}
        self._stop = threading.Event()
        self.t0 = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="tree-sampler", daemon=True)

    def start(self) -> TreeSampler:
        self._thread.start()
        return self

    def sample(self) -> tuple[int, float]:
        try:
            root = psutil.Process(self.root_pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            return 0, 0.0
        rss = 0
        cpu = 0.0
        for p in procs:
            try:
                with p.oneshot():
                    rss += p.memory_info().rss
                    t = p.cpu_times()
                    c = t.user + t.system + t.children_user + t.children_system
            except psutil.Error:
                continue
            self.cpu_by_pid[p.pid] = c
            cpu += c
        self.peak_rss = max(self.peak_rss, rss)
        if self.keep_series and rss:
            self.series.append((time.monotonic() - self.t0, rss))
        return rss, cpu

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def descendants_cpu(self) -> float:
        """CPU last seen of processes other than the root (children that the root may not
        have reaped; normally none: both recorders run in one process)."""
        return sum(c for pid, c in self.cpu_by_pid.items() if pid != self.root_pid)


def rusage_cpu_s(ru: resource.struct_rusage | None) -> float:
    return float("nan") if ru is None else ru.ru_utime + ru.ru_stime


# -- video decoding ----------------------------------------------------------------------------
def decode_frames(path: Path, want: str = "gray") -> Iterable[tuple[int, float, Any]]:
    """Yield (pts, time in s, image) of every frame; image is the Y plane (H, W) for
    ``gray`` or an RGB array for ``rgb24``."""
    import av
    import numpy as np

    with av.open(str(path)) as c:
        st = c.streams.video[0]
        st.thread_type = "AUTO"
        tb = float(st.time_base)
        for f in c.decode(st):
            if want == "gray":
                plane = f.planes[0]
                y = np.frombuffer(plane, np.uint8).reshape(f.height, plane.line_size)
                img = y[:, :f.width]
            else:
                img = f.to_ndarray(format=want)
            yield f.pts, f.pts * tb, img


def video_info(path: Path) -> dict[str, Any]:
    """Frame count, first/last pts in seconds (read from packets, no decoding)."""
    import av

    n = 0
    first = last = None
    with av.open(str(path)) as c:
        st = c.streams.video[0]
        tb = float(st.time_base)
        rate = float(st.average_rate) if st.average_rate else None
        for pkt in c.demux(st):
            if pkt.pts is None:
                continue
            n += 1
            t = pkt.pts * tb
            first = t if first is None else min(first, t)
            last = t if last is None else max(last, t)
    return {"frames": n, "first_s": first, "last_s": last, "avg_rate": rate}


# -- statistics and output ---------------------------------------------------------------------
def median(xs: Iterable[float]) -> float:
    v = [x for x in xs if x is not None and x == x]
    return statistics.median(v) if v else float("nan")


def percentile(xs: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile, q in [0, 100]."""
    v = sorted(xs)
    if not v:
        return float("nan")
    k = (len(v) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def fmt(x: Any, digits: int = 2) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        if x != x:
            return "-"
        return f"{x:.{digits}f}"
    return str(x)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], indent: str = "  ") -> None:
    cells = [[str(h) for h in headers]] + [[fmt(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, r in enumerate(cells):
        print(indent + "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                 for i, (c, w) in enumerate(zip(r, widths, strict=True))))
        if n == 0:
            print(indent + "  ".join("-" * w for w in widths))


def write_result(name: str, data: dict[str, Any]) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = OUT / f"{name}-{stamp}.json"
    path.write_text(json.dumps(data, indent=2, default=_json_default) + "\n")
    return path


def _json_default(o: Any) -> Any:
    if isinstance(o, Path):
        return str(o)
    if hasattr(o, "item"):
        return o.item()
    raise TypeError(f"cannot serialize {type(o).__name__}")


def machine_info() -> dict[str, Any]:
    import platform

    load = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "loadavg_at_start": [round(x, 2) for x in load],
    }


def _cpu_model() -> str | None:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return None
