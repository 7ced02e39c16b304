"""Benchmark of the editor on a long recording: open time, seek to steps, peak memory (issue 4).

The recording: 60 minutes at 1920x1080 with about 2,000 steps, made by
benchmarks/make_long_recording.py (the demo's sample window driven offscreen, encoded by the
recorder's own VideoEncoder with its real settings, the recorder's keep-alive frames, VFR),
generated once and cached under benchmarks/out/.  The benchmark works on a fresh copy of it
(the small files copied, the video hard-linked), so every run starts with no steps.json,
no edits and no frame cache.

Measured in four editor sessions, each in a fresh process as a user's would be (Qt
offscreen), then the reference in the parent:

1. Time until the editor is interactive: ``EditorWindow(folder)`` constructed and shown, the
   step list filled, and the first frame shown (``view.pts`` set, then painted); also the
   main thread's CPU time, which other jobs on the machine disturb less than wall time:
   - session 1, cold: no steps.json, no frame cache (steps are derived; steps.json is
     written on a worker thread once the first frame is shown);
   - session 2, warm: steps.json present, no frame cache;
   - session 3, warm + cache: steps.json and the complete frame cache present;
   - session 4, warm without the index of stored frame pts the editor keeps in cache/
     (as after deleting cache/): that index is read from frames.jsonl on a worker thread.
   Session 1 removes the frame cache (cache/frames, cache/thumbs) after its seeks; the small
   frame index (cache/stored-pts.npz) stays, as it would on a user's disk.
2. Seek to 200 random steps (seeded): select the step's row in the step list (what a click
   does), then process Qt events until ``view.pts`` equals the step's observation pts (and
   until painted).  Every 10th frame shown is fingerprinted (SHA-256 of its RGB pixels) and
   the parent checks it against a fresh ``VideoReader`` decode (decoding inside the session
   would add a decoder's memory to the session's peak).
   - before the frame cache (session 1): the background build cancelled with the Cancel
     button and its few files removed, so every seek decodes;
   - after the frame cache (session 2): the background build awaited (its duration and the
     longest stall of the UI event loop meanwhile are reported).
   Session 3 also times what the UI thread pays per edit (a refresh) and per seek (repaints).
3. Peak memory: RSS of each session's process sampled by psutil every 10 ms (and the
   kernel's ru_maxrss high-water mark); the highest session is the figure.
4. Reference, in the same run: a bare PyAV seek-and-decode of the same 200 frames
   (``container.seek(pts, backward=True, stream=s)``, decode until ``frame.pts >= pts``,
   the decoder threaded as the editor's), with and without conversion to RGB, and a read
   of the cached PNGs with OpenCV; ratios of the editor to them.

Targets (issue 4): interactive under 1.5 s; seek p95 under 80 ms (a background cache of step
frames may get there); peak RSS under 600 MB.

Run:   .venv/bin/python benchmarks/editor_open_seek.py [--minutes 60] [--steps 2000]
           [--seeks 200] [--seed 1] [--profile]
Try small first: --minutes 3 --steps 100.  The recording is generated on first use (several
minutes for 60 minutes of 1080p).  Results: a table on stdout, JSON in benchmarks/out/.
``--profile`` also writes cProfile files (open and seeks) to benchmarks/out/ and prints the
top entries.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import cProfile
import datetime as _dt
import hashlib
import io
import json
import multiprocessing
import os
import pstats
import random
import resource
import shutil
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import make_long_recording  # noqa: E402
import numpy as np  # noqa: E402
import psutil  # noqa: E402

from annotator.bundle import schema  # noqa: E402

OPEN_TARGET_S = 1.5
SEEK_P95_TARGET_MS = 80.0
RSS_TARGET_MB = 600.0
WAIT_TIMEOUT_S = 30.0
VERIFY_EVERY = 10


# -- measuring helpers -------------------------------------------------------------------------
class RssSampler:
    """Samples this process's RSS (psutil) every ``interval`` s; keeps the peak per phase."""

    def __init__(self, interval: float = 0.01) -> None:
        self.proc = psutil.Process()
        self.interval = interval
        self.peak = 0
        self.phase = "start"
        self.by_phase: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss", daemon=True)
        self._thread.start()

    def sample(self) -> int:
        rss = self.proc.memory_info().rss
        self.peak = max(self.peak, rss)
        self.by_phase[self.phase] = max(self.by_phase.get(self.phase, 0), rss)
        return rss

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def set_phase(self, name: str) -> None:
        self.sample()
        self.phase = name
        self.sample()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def pct(xs: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(xs, float), q)) if xs else float("nan")


def dist_ms(xs_s: list[float]) -> dict[str, float]:
    ms = [x * 1000 for x in xs_s]
    return {"n": len(ms), "p50_ms": round(pct(ms, 50), 2), "p95_ms": round(pct(ms, 95), 2),
            "max_ms": round(max(ms), 2) if ms else float("nan"),
            "mean_ms": round(float(np.mean(ms)), 2) if ms else float("nan")}


@contextmanager
def maybe_profile(enabled: bool, name: str, stamp: str, sink: dict[str, str]):
    if not enabled:
        yield
        return
    prof = cProfile.Profile()
    prof.enable()
    try:
        yield
    finally:
        prof.disable()
        path = OUT / f"editor_open_seek-{stamp}-{name}.prof"
        prof.dump_stats(str(path))
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(30)
        sink[name] = str(path)
        print(f"\n--- cProfile: {name} (top 30 by cumulative time; saved {path.name}) ---")
        print("\n".join(buf.getvalue().splitlines()[:60]))


# What the recorder writes besides the video (version 2's binary frame index among them; a
# copy without it has no frames to show); derived files (steps.json, edits, cache/) are not.
RECORDED = {schema.MANIFEST, schema.FRAME_INDEX, schema.FRAMES}


def prepare_work_copy(src: Path) -> Path:
    """A fresh bundle beside the cached one: recorded files only, video hard-linked."""
    work = OUT / "editor_open_seek-work" / src.name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, mode=0o700)
    for f in sorted(src.iterdir()):
        if f.name == "video.mp4":
            try:
                os.link(f, work / f.name)
            except OSError:
                shutil.copy2(f, work / f.name)
        elif f.is_file() and (f.name in RECORDED or f.name.endswith(".jsonl")):
            shutil.copy2(f, work / f.name)
    return work


# -- one editor session, in a fresh process ---------------------------------------------------
def editor_session(phase: str, work_s: str, picked: list[list[int]] | None, seeks: int,
                   seed: int, profile: bool, stamp: str) -> dict[str, Any]:
    """Runs in a child process (a user's editor session): ``cold``, ``warm`` or ``cached``."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    work = Path(work_s)
    profiles: dict[str, str] = {}
    rss = RssSampler()
    rss.set_phase("import")
    t0 = time.perf_counter()
    from PyQt6.QtCore import QTimer, qInstallMessageHandler
    from PyQt6.QtWidgets import QApplication

    from annotator.media.framecache import CACHE_DIR, INDEX_FILE, THUMBS_DIR
    from annotator.ui.editor.window import EditorWindow
    res: dict[str, Any] = {"import_s": round(time.perf_counter() - t0, 3)}
    app = QApplication.instance() or QApplication([])

    def qt_messages(_mode, _ctx, msg: str) -> None:
        if "propagateSizeHints" not in msg:  # the offscreen platform says it every show()
            print(f"qt: {msg}", file=sys.stderr)

    qInstallMessageHandler(qt_messages)

    def wait_until(cond, what: str, timeout: float = WAIT_TIMEOUT_S) -> None:
        end = time.perf_counter() + timeout
        while True:
            app.processEvents()
            if cond():
                return
            if time.perf_counter() > end:
                raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
            time.sleep(0.0005)  # let the decoder thread have the GIL

    def drain(seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.002)

    def open_editor(label: str):
        rss.set_phase(f"open {label}")
        with maybe_profile(profile, f"open-{label}", stamp, profiles):
            t0, c0 = time.perf_counter(), time.thread_time()
            win = EditorWindow(work)
            t_ctor = time.perf_counter() - t0
            win.show()
            app.processEvents()
            wait_until(lambda: win.view.pts is not None, "the first frame")
            t_frame = time.perf_counter() - t0
            win.view.repaint()
            t_painted = time.perf_counter() - t0
            cpu = time.thread_time() - c0
        n = win.step_list.count()
        assert n == len(win.session.result.all_steps) and n > 0, "step list not filled"
        r = {"constructed_s": round(t_ctor, 3), "first_frame_s": round(t_frame, 3),
             "interactive_s": round(t_painted, 3), "main_thread_cpu_s": round(cpu, 3),
             "steps_listed": n, "first_frame_pts": win.view.pts,
             "rss_mb_after": round(rss.sample() / 2**20, 1)}
        print(f"  open {label}: interactive in {t_painted:.3f} s (constructed {t_ctor:.3f} s, "
              f"first frame {t_frame:.3f} s; main thread CPU {cpu:.3f} s), {n} steps listed",
              flush=True)
        return win, r

    def sample_rows(win) -> list[list[int]]:
        """[row, observation pts] of ``seeks`` random steps, no two neighbours alike."""
        rows = []
        for row in range(win.step_list.count()):
            step = win.session.result.get(win.step_list.step_id(row))
            src = win._steps_by_id.get(step.source_ids[0]) if step.source_ids else None
            if src is not None and src.obs_pts is not None:
                rows.append([row, win._obs_pts(step)])
        out = random.Random(seed).sample(rows, min(seeks, len(rows)))
        for i in range(1, len(out)):  # the view must change on every seek
            if out[i][1] == out[i - 1][1]:
                j = next((k for k in range(i + 1, len(out)) if out[k][1] != out[i - 1][1]),
                         None)
                if j is not None:
                    out[i], out[j] = out[j], out[i]
        return out

    def measure_seeks(win, rows: list[list[int]], label: str) -> dict[str, Any]:
        """Select each row as a click would; time until the view shows its exact frame.
        Every VERIFY_EVERY-th frame shown is fingerprinted for the parent to check against a
        fresh decode (decoding here would add a decoder's memory to the session's)."""
        rss.set_phase(f"seeks {label}")
        shown: list[float] = []
        painted: list[float] = []
        checks: list[list[Any]] = []
        with maybe_profile(profile, f"seeks-{label}", stamp, profiles):
            for i, (row, want) in enumerate(rows):
                if win.step_list.currentRow() == row:
                    win.step_list.setCurrentRow(-1)
                    drain(0.01)
                t0 = time.perf_counter()
                win.step_list.setCurrentRow(row)
                wait_until(lambda w=want: win.view.pts == w, f"the frame at {want}")
                t1 = time.perf_counter()
                win.view.repaint()
                t2 = time.perf_counter()
                shown.append(t1 - t0)
                painted.append(t2 - t0)
                if i % VERIFY_EVERY == 0:
                    rgb = win.view.rgb
                    checks.append([want, win.view.pts, list(rgb.shape),
                                   hashlib.sha256(rgb.tobytes()).hexdigest()])
        r = {"shown": dist_ms(shown), "painted": dist_ms(painted), "checks": checks,
             "times_ms": [round(x * 1000, 2) for x in shown]}
        print(f"  seeks {label}: p50 {r['shown']['p50_ms']:.1f} ms, p95 "
              f"{r['shown']['p95_ms']:.1f} ms, max {r['shown']['max_ms']:.1f} ms", flush=True)
        return r

    def close_editor(win) -> None:
        rss.set_phase("close")
        win.close()
        win.deleteLater()
        drain(0.3)

    cache = work / CACHE_DIR
    if phase == "no index":
        (work / INDEX_FILE).unlink(missing_ok=True)
    win, res["open"] = open_editor(phase)
    if phase == "cold":
        # Seeks with no frame cache: its build cancelled (the Cancel button), files removed.
        win.cancel_btn.click()
        win.wait_for_cache(120)
        drain(0.5)  # the cache-done refresh
        res["cache_files_removed"] = len(list(cache.glob("*.png"))) if cache.is_dir() else 0
        # The frame cache (frames and thumbnails) goes; the small index of stored pts the
        # editor keeps beside it stays, as it would for a user (session 4 opens without it).
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(work / THUMBS_DIR, ignore_errors=True)
        res["picked"] = sample_rows(win)
        res["seeks"] = measure_seeks(win, res["picked"], "before cache")
    elif phase == "warm":
        # The background cache build, awaited; the UI's longest stall meanwhile.
        rss.set_phase("cache build")
        ticks: list[float] = []
        timer = QTimer()
        timer.setInterval(10)
        timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
        timer.start()
        t0 = time.perf_counter()
        wait_until(lambda: not win._cache_pts or (
            win._cache_job is not None and win._cache_job.finished_event.is_set()),
            "the frame cache", timeout=7200)
        build_s = time.perf_counter() - t0
        drain(0.5)
        timer.stop()
        stall = max(np.diff(ticks + [time.perf_counter()]).tolist() or [0.0])
        files = list(cache.glob("*.png"))
        res["cache_build"] = {
            "seconds_after_open": round(build_s, 1), "files": len(files),
            "mb": round(sum(f.stat().st_size for f in files) / 1e6, 1),
            "thumbs": len(list((work / "cache" / "thumbs").glob("*.png"))),
            "ui_longest_stall_ms": round(stall * 1000, 1),
        }
        print(f"  frame cache built {build_s:.1f} s after the open: {len(files)} frames, "
              f"{res['cache_build']['mb']:.0f} MB; longest UI stall meanwhile "
              f"{stall * 1000:.0f} ms", flush=True)
        res["seeks"] = measure_seeks(win, picked or [], "after cache")
    elif phase == "cached":
        # What every seek and edit pays on the UI thread besides the frame itself.
        rss.set_phase("repaints")

        def med_ms(fn, n: int = 9) -> float:
            ts = []
            for _ in range(n):
                t0 = time.perf_counter()
                fn()
                ts.append(time.perf_counter() - t0)
            return round(float(np.median(ts)) * 1000, 1)

        res["ui_costs_ms"] = {"refresh (after every edit)": med_ms(win.refresh, 5),
                              "timeline repaint (every seek)": med_ms(win.timeline.repaint),
                              "video view repaint": med_ms(win.view.repaint),
                              "step list repaint": med_ms(win.step_list.repaint),
                              "step list relayout": med_ms(win.step_list.doItemsLayout)}
        print("  UI thread costs: " + ", ".join(
            f"{k} {v:.0f} ms" for k, v in res["ui_costs_ms"].items()), flush=True)
    close_editor(win)
    rss.stop()
    res["peak_rss_mb"] = round(rss.peak / 2**20, 1)
    res["ru_maxrss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    res["peak_rss_mb_by_phase"] = {k: round(v / 2**20, 1) for k, v in rss.by_phase.items()}
    res["profiles"] = profiles
    return res


def in_child(fn, *args) -> Any:
    """Run ``fn(*args)`` in a fresh process (spawned: nothing inherited but the arguments)."""
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        return pool.submit(fn, *args).result()


# -- the benchmark ----------------------------------------------------------------------------
def run(args: argparse.Namespace) -> dict[str, Any]:
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    print(f"recording: {args.minutes:g} min, {args.steps} steps, 1920x1080 "
          "(generated on first use, then cached)", flush=True)
    t0 = time.perf_counter()
    if args.bundle is not None:
        src = args.bundle.resolve()
    else:
        src = make_long_recording.ensure_recording(args.minutes, args.steps, args.seed)
    gen_s = time.perf_counter() - t0
    info = json.loads(make_long_recording.info_path(src).read_text())
    work = prepare_work_copy(src)
    video = work / "video.mp4"
    print(f"  {src}\n  {info['frames_stored']} frames stored ({info['keepalive_frames']} "
          f"keep-alive) of {info['grabs']} grabs, {info['steps_derived']} steps, "
          f"video {info['video_bytes'] / 1e6:.1f} MB; working copy {work}", flush=True)
    results: dict[str, Any] = {
        "benchmark": "editor_open_seek", "stamp": stamp, "recording": info,
        "recording_folder": str(src), "work_folder": str(work),
        "generation_or_lookup_s": round(gen_s, 1),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                    "qpa": "offscreen",
                    "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]},
        "targets": {"open_s": OPEN_TARGET_S, "seek_p95_ms": SEEK_P95_TARGET_MS,
                    "peak_rss_mb": RSS_TARGET_MB},
    }
    common = (str(work),)
    print("session 1 (fresh process): cold open, seeks before the frame cache", flush=True)
    cold = in_child(editor_session, "cold", *common, None, args.seeks, args.seed,
                    args.profile, stamp)
    picked = cold["picked"]
    print("session 2 (fresh process): warm open, background frame cache, seeks after it",
          flush=True)
    warm = in_child(editor_session, "warm", *common, picked, args.seeks, args.seed,
                    args.profile, stamp)
    print("session 3 (fresh process): warm open with the frame cache", flush=True)
    cached = in_child(editor_session, "cached", *common, None, args.seeks, args.seed,
                      args.profile, stamp)
    print("session 4 (fresh process): warm open without the kept frame index", flush=True)
    no_index = in_child(editor_session, "no index", *common, None, args.seeks, args.seed,
                        args.profile, stamp)
    results.update({
        "sessions": {"cold": cold, "warm": warm, "cached": cached, "no index": no_index},
        "import_s": cold["import_s"],
        "open_cold": cold["open"], "open_warm": warm["open"],
        "open_warm_cached": cached["open"], "open_warm_no_index": no_index["open"],
        "seek_steps": [{"row": r, "obs_pts": p} for r, p in picked],
        "seeks_before_cache": cold["seeks"], "seeks_after_cache": warm["seeks"],
        "cache_build": warm["cache_build"], "ui_costs_ms": cached["ui_costs_ms"],
        "cache_files_removed_after_cancel": cold["cache_files_removed"],
    })

    # Pixels shown == a fresh VideoReader decode of the step's observation frame.
    from annotator.media.framecache import read_cached
    from annotator.media.video import VideoReader
    for key in ("seeks_before_cache", "seeks_after_cache"):
        bad = 0
        for want, shown_pts, shape, digest in results[key]["checks"]:
            with VideoReader(video) as reader:
                f = reader.frame_at(want)
            ok = (f is not None and f.pts == want == shown_pts and list(f.rgb.shape) == shape
                  and hashlib.sha256(np.ascontiguousarray(f.rgb).tobytes()).hexdigest()
                  == digest)
            bad += not ok
        results[key]["pixels_verified"] = len(results[key]["checks"])
        results[key]["pixel_mismatches"] = bad

    # Reference: bare PyAV seek-and-decode of the same frames, and reading the cached PNGs.
    print("reference: bare PyAV seek-and-decode, cached PNG reads", flush=True)
    import av
    dec: list[float] = []
    dec_rgb: list[float] = []
    with av.open(str(video)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"  # as the editor's VideoReader
        for _row, want in picked:
            t0 = time.perf_counter()
            c.seek(want, backward=True, stream=s)
            got = None
            for frame in c.decode(s):
                if frame.pts is not None and frame.pts >= want:
                    got = frame
                    break
            t1 = time.perf_counter()
            assert got is not None and got.pts == want, (want, got and got.pts)
            got.to_ndarray(format="rgb24")
            t2 = time.perf_counter()
            dec.append(t1 - t0)
            dec_rgb.append(t2 - t0)
    png: list[float] = []
    for _row, want in picked:
        t0 = time.perf_counter()
        assert read_cached(work, want) is not None
        png.append(time.perf_counter() - t0)
    results["reference"] = {"pyav_decode": dist_ms(dec), "pyav_decode_rgb": dist_ms(dec_rgb),
                            "cached_png_read": dist_ms(png)}
    sessions = results["sessions"]
    results["memory"] = {
        "peak_rss_mb": max(max(x["peak_rss_mb"], x["ru_maxrss_mb"]) for x in sessions.values()),
        "peak_rss_mb_by_session": {k: max(x["peak_rss_mb"], x["ru_maxrss_mb"])
                                   for k, x in sessions.items()},
        "peak_rss_mb_by_phase": {k: x["peak_rss_mb_by_phase"] for k, x in sessions.items()},
    }
    results["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return results


def report(res: dict[str, Any]) -> None:
    b, a = res["seeks_before_cache"]["shown"], res["seeks_after_cache"]["shown"]
    ref = res["reference"]
    peak = res["memory"]["peak_rss_mb"]
    rows = [
        ("open, cold (no steps.json, no cache)", res["open_cold"]["interactive_s"], "s",
         OPEN_TARGET_S, True),
        ("open, warm (steps.json)", res["open_warm"]["interactive_s"], "s", OPEN_TARGET_S, True),
        ("open, warm (steps.json + frame cache)", res["open_warm_cached"]["interactive_s"], "s",
         OPEN_TARGET_S, True),
        ("open, warm, frame index not kept", res["open_warm_no_index"]["interactive_s"], "s",
         OPEN_TARGET_S, True),
        ("seek p95, after the frame cache", a["p95_ms"], "ms", SEEK_P95_TARGET_MS, True),
        ("seek p95, before the frame cache", b["p95_ms"], "ms", SEEK_P95_TARGET_MS, False),
        ("peak RSS of an editor session", peak, "MB", RSS_TARGET_MB, True),
    ]
    met_all = True
    print("\n" + "=" * 86)
    print(f"{'editor on ' + format(res['recording']['minutes'], 'g') + ' min, ' + str(res['open_cold']['steps_listed']) + ' steps, 1920x1080':<44}"
          f"{'measured':>14}{'target':>12}   met")
    print("-" * 86)
    for name, value, unit, target, counted in rows:
        ok = value < target
        if counted:
            met_all &= ok
        met = ("yes" if ok else "NO") if counted else ("(yes)" if ok else "(no)") + " info"
        print(f"{name:<44}{value:>11.{3 if unit == 's' else 1}f} {unit:<2}{'< ' + format(target, 'g') + ' ' + unit:>12}   {met}")
    print("-" * 86)
    print(f"{'seek (ms)':<44}{'p50':>10}{'p95':>10}{'max':>10}")
    for name, d in (("editor, before the frame cache", b), ("editor, after the frame cache", a),
                    ("bare PyAV seek + decode", ref["pyav_decode"]),
                    ("bare PyAV seek + decode + RGB", ref["pyav_decode_rgb"]),
                    ("read cached PNG (OpenCV)", ref["cached_png_read"])):
        print(f"{name:<44}{d['p50_ms']:>10.1f}{d['p95_ms']:>10.1f}{d['max_ms']:>10.1f}")
    r = res["ratios"]
    print(f"ratios: editor before cache / bare PyAV decode+RGB: p50 {r['before_vs_pyav_rgb_p50']:.2f}x, "
          f"p95 {r['before_vs_pyav_rgb_p95']:.2f}x; vs decode only: p50 "
          f"{r['before_vs_pyav_p50']:.2f}x, p95 {r['before_vs_pyav_p95']:.2f}x")
    print(f"        editor after cache / bare PyAV decode+RGB: p50 {r['after_vs_pyav_rgb_p50']:.2f}x, "
          f"p95 {r['after_vs_pyav_rgb_p95']:.2f}x; / PNG read: p50 {r['after_vs_png_p50']:.2f}x")
    cb = res["cache_build"]
    print(f"frame cache: {cb['files']} frames, {cb['mb']:.0f} MB, built {cb['seconds_after_open']:.0f} s "
          f"after opening; longest UI stall meanwhile {cb['ui_longest_stall_ms']:.0f} ms")
    print(f"pixels: {res['seeks_before_cache']['pixels_verified'] + res['seeks_after_cache']['pixels_verified']} "
          f"seeks compared with a fresh VideoReader decode, "
          f"{res['seeks_before_cache']['pixel_mismatches'] + res['seeks_after_cache']['pixel_mismatches']} mismatches")
    o = [res[k] for k in ("open_cold", "open_warm", "open_warm_cached", "open_warm_no_index")]
    print("open, main-thread CPU time (cold / warm / warm+cache / no index): "
          + " / ".join(f"{x['main_thread_cpu_s']:.2f} s" for x in o)
          + "; constructed in " + " / ".join(f"{x['constructed_s']:.2f} s" for x in o))
    print("UI thread costs: " + ", ".join(f"{k} {v:.0f} ms"
                                         for k, v in res["ui_costs_ms"].items()))
    m = res["memory"]["peak_rss_mb_by_session"]
    print(f"peak RSS by session (MB): cold {m['cold']:.0f}, warm + cache build {m['warm']:.0f}, "
          f"warm+cache {m['cached']:.0f}, no index {m['no index']:.0f}")
    print(f"load average at start / end: {res['machine']['loadavg_at_start'][0]:.1f} / "
          f"{res['machine']['loadavg_at_end'][0]:.1f} on {res['machine']['cpus']} CPUs "
          "(other jobs on the machine slow every figure)")
    print("all targets met" if met_all else "some targets NOT met")
    print("=" * 86)
    res["all_targets_met"] = met_all


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--seeks", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", action="store_true", help="cProfile the opens and seeks")
    ap.add_argument("--bundle", type=Path,
                    help="instead of generating: a recording made by make_long_recording.py "
                    "(its .json beside it), e.g. one of an earlier generator version")
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    res = run(args)
    b, a = res["seeks_before_cache"]["shown"], res["seeks_after_cache"]["shown"]
    ref = res["reference"]

    def ratio(x: float, y: float) -> float:
        return round(x / y, 2) if y else float("nan")

    res["ratios"] = {
        "before_vs_pyav_p50": ratio(b["p50_ms"], ref["pyav_decode"]["p50_ms"]),
        "before_vs_pyav_p95": ratio(b["p95_ms"], ref["pyav_decode"]["p95_ms"]),
        "before_vs_pyav_rgb_p50": ratio(b["p50_ms"], ref["pyav_decode_rgb"]["p50_ms"]),
        "before_vs_pyav_rgb_p95": ratio(b["p95_ms"], ref["pyav_decode_rgb"]["p95_ms"]),
        "after_vs_pyav_rgb_p50": ratio(a["p50_ms"], ref["pyav_decode_rgb"]["p50_ms"]),
        "after_vs_pyav_rgb_p95": ratio(a["p95_ms"], ref["pyav_decode_rgb"]["p95_ms"]),
        "after_vs_png_p50": ratio(a["p50_ms"], ref["cached_png_read"]["p50_ms"]),
    }
    report(res)
    path = OUT / f"editor_open_seek-{res['stamp']}.json"
    path.write_text(json.dumps(res, indent=2) + "\n")
    print(f"results: {path}")
    return 0 if res["all_targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
