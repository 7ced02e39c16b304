"""Drafts in the editor: how soon the first screenful of steps has drafts, what background
drafting costs the frame cache and seeking, and the whole drafting time against the
recording's length.

The recording: benchmarks/make_long_recording.py (the demo's invoicing window at 1920x1080,
driven offscreen, encoded by the recorder's own encoder), 10 minutes with 330 steps by
default, cached under benchmarks/out/.  It has no accessibility records, so every click is
named by OCR: the drafter's heaviest case.  ``--bundle DIR`` uses another recording (for
example one kept by benchmarks/drafts.py, which has accessibility records).

Each session is a fresh process (Qt offscreen) on a fresh copy of the recording (no
steps.json, no drafts, no frame cache), as a contributor opening it for the first time:

- ``drafts``: the editor as it is.  Measured: the time from opening until every row of the
  step list's first screen has a draft (wall, and the process's CPU over all its threads:
  the figure that does not depend on how busy the machine is), the time until every
  step has one, the frame cache's build time (until it returns, on its thread), and the
  latency of ``--seeks`` seeks to random steps (each step once before any twice, on short
  recordings) made while both run (select the row, until the frame is shown), the first one
  a second after opening in both sessions (the first screen's target; the first frame if
  later), so that both seek against the same stretch of the frame cache's work;
- ``no drafts``: the same with background drafting switched off (its process is never
  started; drafts that need no OCR are still made at once): the reference for the frame
  cache and the seeks.

``--prestart`` starts the drafting process before the window opens, as the app does at its
start (without it, it starts as the window opens).  The CPU until the first screen is
drafted counts the editor's process and the drafting process's (its loading only when it
was started as the window opened).

The two alternate (``--rounds``, default 2).  A last session reopens a drafted recording
(drafts.json kept): its first screen's drafts are there at once.  The tolerance for "not
slowed" is the reference's own spread in the same run: its sessions split in two halves
every way, the median over the splits of one half's figure against the other's.
``--profile`` also says where each seek's time goes (benchmarks/seek_profile.py: the UI
thread's handlers and paints, the frame's reading, its delivery, the events delivered).

Run:   .venv/bin/python benchmarks/drafts_editor.py [--minutes 10] [--steps 330]
           [--seeks 30] [--rounds 2] [--bundle DIR] [--prestart] [--profile]
Results: a table on stdout, JSON in benchmarks/out/.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.editor_open_seek import in_child  # noqa: E402
from benchmarks.harness import OUT, machine_info, print_table, write_result  # noqa: E402

WAIT_S = 900.0
SEEKS_FROM_S = 1.0


def work_copy(src: Path, name: str) -> Path:
    """The recorded files only (video hard-linked): no steps, drafts, edits or cache."""
    work = OUT / "drafts_editor-work" / name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, mode=0o700)
    for f in sorted(src.iterdir()):
        if f.name == "video.mp4":
            try:
                os.link(f, work / f.name)
            except OSError:
                shutil.copy2(f, work / f.name)
        elif f.is_file() and f.name not in ("steps.json", "drafts.json", "truth.json") \
                and not f.name.startswith("edits"):
            shutil.copy2(f, work / f.name)  # the recorded files (frames.idx, events, ...)
    return work


def thread_times() -> dict[int, tuple[str, int, int]]:
    """Every thread of this process: its name (Python's, else the kernel's: FFmpeg's decoder
    threads), nanoseconds on a CPU and waiting for one (the run queue)."""
    import threading

    names = {t.native_id: t.name for t in threading.enumerate()}
    out = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            on_cpu, run_queue, _n = (task / "schedstat").read_text().split()
            comm = (task / "comm").read_text().strip()
        except (OSError, ValueError):
            continue
        tid = int(task.name)
        out[tid] = (names.get(tid, comm), int(on_cpu), int(run_queue))
    return out


def thread_use(before: dict, after: dict, wall: float) -> dict[str, Any]:
    """What each thread did while the frame cache was built (``--profile``): CPU seconds
    and seconds waiting for a CPU, summed by name; the cache's own thread also says how long
    it was blocked (neither running nor runnable: the GIL, its decoder threads, I/O)."""
    import threading

    me = threading.get_native_id()
    use: dict[str, list[float]] = {}
    for tid, (name, cpu, rq) in after.items():
        _n, cpu0, rq0 = before.get(tid, (name, 0, 0))
        key = "frame cache" if tid == me else name
        u = use.setdefault(key, [0.0, 0.0])
        u[0] += (cpu - cpu0) / 1e9
        u[1] += (rq - rq0) / 1e9
    out: dict[str, Any] = {k: {"cpu_s": round(v[0], 4), "run_queue_s": round(v[1], 4)}
                           for k, v in use.items() if v[0] + v[1] > 0.0005}
    mine = out.setdefault("frame cache", {"cpu_s": 0.0, "run_queue_s": 0.0})
    mine["wall_s"] = round(wall, 4)
    mine["blocked_s"] = round(wall - mine["cpu_s"] - mine["run_queue_s"], 4)
    return out


def memory_mb(pid: int) -> dict[str, float]:
    """A process's peak resident memory (VmHWM) and its resident memory now (VmRSS), MB."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out["peak" if key == "VmHWM" else "now"] = int(value.split()[0]) / 1024
    except OSError:
        pass
    return out


def session(work_s: str, drafting: bool, seeks: int, seed: int,
            profile: bool = False, prestart: bool = False) -> dict[str, Any]:
    """One editor session in a fresh process."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PyQt6.QtWidgets import QApplication

    import annotator.ui.editor.window as window_mod
    from annotator.ui.editor.window import EditorWindow

    # When the frame cache is complete, taken on its own thread as it returns (the
    # benchmark notices it only after its seeks: on a short recording, later than it is).
    cache_end: list[float] = []
    build = window_mod.build_frame_cache

    threads_during_cache: dict[str, Any] = {}

    def timed_build(*a, **kw):
        before = thread_times() if profile else {}
        t1 = time.perf_counter()
        try:
            return build(*a, **kw)
        finally:
            cache_end.append(time.perf_counter())
            if profile:
                threads_during_cache.update(
                    thread_use(before, thread_times(), time.perf_counter() - t1))

    window_mod.build_frame_cache = timed_build  # type: ignore[assignment]
    if not drafting:  # background drafting off: its process never starts
        from annotator.ui.editor.drafting import DraftWorker

        DraftWorker.start = lambda self: None  # type: ignore[method-assign]
    app = QApplication.instance() or QApplication([])
    work = Path(work_s)
    prof = None
    if profile:  # where each seek's time goes (benchmarks/seek_profile.py)
        from benchmarks.seek_profile import SeekProfile

        prof = SeekProfile()
        prof.install()

    if drafting and prestart:  # as the app does at its start, before any recording opens
        from annotator.drafts.worker import DraftProcess

        DraftProcess.prestart().ready(60)
    first: list[str] = []  # the first screen's rows, once the window shows a frame
    res: dict[str, Any] = {"drafting": drafting}

    def watch() -> None:
        """Whenever the benchmark waits: is the first screen drafted now?"""
        if drafting and first and "first_screen_s" not in res \
                and all(i in win.drafts.drafts for i in first):
            res["first_screen_s"] = time.perf_counter() - t0
            # (the drafting process's CPU too: its OCR, and its imports unless it was
            # started ahead)
            dw = win.draft_worker
            res["first_screen_cpu_s"] = time.process_time() - c0 + dw.cpu_s - (
                dw.cpu_ready_s if prestart else 0.0)

    def wait(cond, what: str, timeout: float = WAIT_S) -> float:
        end = time.perf_counter() + timeout
        while not cond():
            app.processEvents()
            watch()
            if time.perf_counter() > end:
                raise TimeoutError(f"waited {timeout:g} s for {what}")
            time.sleep(0.001)
        watch()
        return time.perf_counter()

    t0, c0 = time.perf_counter(), time.process_time()
    win = EditorWindow(work)
    win.resize(1500, 900)
    win.show()
    app.processEvents()
    res["first_frame_s"] = wait(lambda: win.view.pts is not None, "the first frame") - t0
    view, model = win.step_list, win.step_model
    vp = view.viewport().rect()
    top = max(0, view.indexAt(vp.topLeft()).row())
    bottom = view.indexAt(vp.bottomLeft()).row()
    bottom = model.rowCount() - 1 if bottom < 0 else bottom
    first.extend(model.steps[r].id for r in range(top, bottom + 1))
    res["first_screen_rows"] = len(first)
    res["quick_drafts"] = len(win.drafts.drafts)
    # Seeks to random steps while the frame cache (and the drafter) work in the background,
    # from the same moment in both sessions: SEEKS_FROM_S after opening (the first screen's
    # target), or the first frame if later.
    wait(lambda: time.perf_counter() >= t0 + SEEKS_FROM_S, "the first seek")
    steps = win.session.result.all_steps
    rng = random.Random(seed)
    lat = []
    times = []
    order: list = []
    while len(order) < seeks:  # every step once before any twice (short recordings)
        order += rng.sample(steps, len(steps))
    for s in order[:seeks]:
        want = win._obs_pts(s)
        t1 = time.perf_counter()
        win.select_step(s.id)
        t2 = wait(lambda w=want: win.view.pts == w, "a seek", 60)
        lat.append(t2 - t1)
        for _ in range(20):  # a contributor looks at the frame for a moment
            app.processEvents()
            time.sleep(0.005)
        times.append((t1, t2, time.perf_counter()))
    res["seek_ms"] = [round(x * 1000, 1) for x in lat]
    if prof is not None:
        res["seek_profile"] = [prof.per_seek(*t) for t in times]
    res["threads_during_cache"] = threads_during_cache
    wait(lambda: not win._cache_pts or (win._cache_job is not None
                                         and win._cache_job.finished_event.is_set()),
         "the frame cache")
    res["cache_built_s"] = (cache_end[0] if cache_end else time.perf_counter()) - t0
    total = len(steps)
    if drafting:
        res["all_drafted_s"] = wait(lambda: len(win.drafts.drafts) >= total, "every draft") - t0
        wait(lambda: "first_screen_s" in res, "the first screen")
        res["drafting_busy_s"] = win.draft_worker.busy_s
        res["drafts_made"] = win.draft_worker.made
        res["drafting_cpu_s"] = win.draft_worker.cpu_s
        res["weak"] = sum(1 for d in win.drafts.drafts.values() if d.weak)
        proc = win.draft_worker.process
        if proc is not None:  # its memory, read before it stops: peak and now (MB)
            res["drafting_rss_mb"] = memory_mb(proc.process.pid)
    res["editor_rss_mb"] = memory_mb(os.getpid())
    res["steps"] = total
    res["duration_s"] = win.duration_us / 1e6
    res["cpu_s"] = time.process_time() - c0
    win.close()
    app.processEvents()
    return res


def reopen(work_s: str) -> dict[str, Any]:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PyQt6.QtWidgets import QApplication

    from annotator.ui.editor.window import EditorWindow

    app = QApplication.instance() or QApplication([])
    t0 = time.perf_counter()
    win = EditorWindow(Path(work_s))
    win.resize(1500, 900)
    win.show()
    app.processEvents()
    view, model = win.step_list, win.step_model
    vp = view.viewport().rect()
    bottom = view.indexAt(vp.bottomLeft()).row()
    first = [model.steps[r].id for r in range(0, (bottom if bottom >= 0 else 20) + 1)]
    while not all(i in win.drafts.drafts for i in first):
        app.processEvents()
        time.sleep(0.001)
    out = {"first_screen_s": time.perf_counter() - t0,
           "stored_used": len(win.drafts.drafts)}
    win.close()
    return out


def cache_threads(on: list[dict[str, Any]], off: list[dict[str, Any]]) -> list[list[str]]:
    def cell(rs: list[dict[str, Any]], name: str) -> str:
        got = [r["threads_during_cache"].get(name) for r in rs if r["threads_during_cache"]]
        if not got:
            return "-"
        got = [g or {"cpu_s": 0.0, "run_queue_s": 0.0} for g in got]
        keys = ["cpu_s", "run_queue_s"] + (["wall_s", "blocked_s"] if name == "frame cache"
                                           else [])
        return " / ".join(f"{statistics.median(g.get(k, 0.0) for g in got):.3f}"
                          for k in keys)

    names = sorted({n for r in on + off for n in r["threads_during_cache"]},
                   key=lambda n: (n != "frame cache", n))
    return [[n, cell(on, n), cell(off, n)] for n in names]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--steps", type=int, default=330)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--seeks", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--bundle", type=Path, help="use this recording instead")
    ap.add_argument("--profile", action="store_true",
                    help="also time where each seek's time goes (benchmarks/seek_profile.py)")
    ap.add_argument("--prestart", action="store_true",
                    help="start the drafting process before opening, as the app does at its "
                         "start (else it starts as the editor opens: `annotator edit DIR`)")
    args = ap.parse_args()
    if args.bundle:
        src = args.bundle
    else:
        from benchmarks.make_long_recording import ensure_recording

        src = ensure_recording(args.minutes, args.steps, args.seed)
    load = [os.getloadavg()[0]]
    runs: list[dict[str, Any]] = []
    for r in range(args.rounds):
        for drafting in ((True, False) if r % 2 == 0 else (False, True)):
            work = work_copy(src, f"{'drafts' if drafting else 'nodrafts'}-{r}")
            res = in_child(session, str(work), drafting, args.seeks, args.seed + r,
                           args.profile, args.prestart)
            res["round"] = r
            runs.append(res)
            load.append(os.getloadavg()[0])
            print(f"  round {r + 1}, {'drafts' if drafting else 'no drafts'}: "
                  f"first frame {res['first_frame_s']:.2f} s"
                  + (f", first screen drafted {res['first_screen_s']:.2f} s, all "
                     f"{res['all_drafted_s']:.1f} s" if drafting else "")
                  + f", cache {res['cache_built_s']:.1f} s, seek p50 "
                  f"{statistics.median(res['seek_ms']):.0f} ms", flush=True)
    last = OUT / "drafts_editor-work" / "drafts-0"
    warm = in_child(reopen, str(last))
    load.append(os.getloadavg()[0])
    on = [x for x in runs if x["drafting"]]
    off = [x for x in runs if not x["drafting"]]

    def med(xs: list[float]) -> float:
        return statistics.median(xs) if xs else float("nan")

    def p95(xs: list[float]) -> float:
        xs = sorted(xs)
        return xs[int(0.95 * (len(xs) - 1))] if xs else float("nan")

    seeks_on = [x for r in on for x in r["seek_ms"]]
    seeks_off = [x for r in off for x in r["seek_ms"]]

    def self_ratio(fig) -> float:
        """The reference against itself: its sessions split in two halves, every way (not
        one arbitrary split), each half's figure against the other's (the larger over the
        smaller); the median over the splits.  How far apart two measurements of the same
        thing fall in this run: a ratio with drafting within this is within its noise."""
        n = len(off)
        if n < 2:
            return float("nan")
        ratios = []
        for half in itertools.combinations(range(1, n), n // 2 - 1):
            a = [off[0]] + [off[i] for i in half]
            b = [off[i] for i in range(1, n) if i not in half]
            x, y = fig(a), fig(b)
            ratios.append(max(x / y, y / x))
        return statistics.median(ratios)

    def seeks(rs: list[dict[str, Any]]) -> list[float]:
        return [x for r in rs for x in r["seek_ms"]]

    summary = {
        "recording": str(src), "steps": on[0]["steps"], "duration_s": on[0]["duration_s"],
        "first_screen_rows": on[0]["first_screen_rows"],
        "first_screen_s": med([r["first_screen_s"] for r in on]),
        "first_screen_cpu_s": med([r["first_screen_cpu_s"] for r in on]),
        "first_screen_reopened_s": warm["first_screen_s"],
        "all_drafted_s": med([r["all_drafted_s"] for r in on]),
        "drafting_busy_s": med([r["drafting_busy_s"] for r in on]),
        "cache_s_with": med([r["cache_built_s"] for r in on]),
        "cache_s_without": med([r["cache_built_s"] for r in off]),
        "seek_p50_with": med(seeks_on), "seek_p95_with": p95(seeks_on),
        "seek_p50_without": med(seeks_off), "seek_p95_without": p95(seeks_off),
        "load": load,
        "noise_cache": self_ratio(lambda rs: med([r["cache_built_s"] for r in rs])),
        "noise_seek_p50": self_ratio(lambda rs: med(seeks(rs))),
        "noise_seek_p95": self_ratio(lambda rs: p95(seeks(rs))),
        "drafting_peak_rss_mb": max((r.get("drafting_rss_mb", {}).get("peak", 0.0)
                                     for r in on), default=float("nan")),
        "editor_peak_rss_mb_with": med([r["editor_rss_mb"].get("peak", 0.0) for r in on]),
        "editor_peak_rss_mb_without": med([r["editor_rss_mb"].get("peak", 0.0) for r in off]),
    }
    summary["all_drafted_fraction"] = summary["all_drafted_s"] / summary["duration_s"]
    print()
    print_table(["measure", "with drafts", "without", "ratio", "reference vs itself"], [
        ["first screen drafted (s)", f"{summary['first_screen_s']:.2f} "
         f"({summary['first_screen_rows']} rows)", "-", "-", "-"],
        ["CPU until then (s, all threads)", f"{summary['first_screen_cpu_s']:.2f}", "-", "-",
         "-"],
        ["first screen, reopened (s)", f"{summary['first_screen_reopened_s']:.2f}", "-", "-",
         "-"],
        ["every step drafted (s)", f"{summary['all_drafted_s']:.1f} "
         f"({100 * summary['all_drafted_fraction']:.0f}% of {summary['duration_s']:.0f} s)",
         "-", "-", "-"],
        ["frame cache built (s)", f"{summary['cache_s_with']:.1f}",
         f"{summary['cache_s_without']:.1f}",
         f"{summary['cache_s_with'] / summary['cache_s_without']:.2f}",
         f"{summary['noise_cache']:.2f}"],
        ["seek p50 (ms)", f"{summary['seek_p50_with']:.0f}", f"{summary['seek_p50_without']:.0f}",
         f"{summary['seek_p50_with'] / summary['seek_p50_without']:.2f}",
         f"{summary['noise_seek_p50']:.2f}"],
        ["seek p95 (ms)", f"{summary['seek_p95_with']:.0f}", f"{summary['seek_p95_without']:.0f}",
         f"{summary['seek_p95_with'] / summary['seek_p95_without']:.2f}",
         f"{summary['noise_seek_p95']:.2f}"],
        ["drafting process, peak memory (MB, highest)",
         f"{summary['drafting_peak_rss_mb']:.0f}", "-", "-", "-"],
        ["editor process, peak memory (MB)", f"{summary['editor_peak_rss_mb_with']:.0f}",
         f"{summary['editor_peak_rss_mb_without']:.0f}", "-", "-"],
    ])
    if args.profile:
        from benchmarks.seek_profile import summarize

        print("\nWhere a seek's time goes (ms per seek, median / mean over every session's "
              "seeks):")
        print_table(["part", "with drafts", "without"], summarize(runs))
        print("\nWhile the frame cache was built, per thread (s, median over the sessions: "
              "CPU / waiting for a CPU; the cache's thread: wall, blocked):")
        print_table(["thread", "with drafts", "without"], cache_threads(on, off))
    path = write_result("drafts_editor", {"summary": summary, "runs": runs, "warm": warm,
                                          "machine": machine_info()})
    print("\nReference vs itself: its sessions split in two halves every way, one half "
          "against the other (the larger over the smaller), the median over the splits: the "
          "run's noise, the tolerance for the ratios.")
    print(f"Load average (1 min) during the run: {min(load):.2f}-{max(load):.2f}. "
          f"Results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
