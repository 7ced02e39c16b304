"""Recording overhead: our recorder against ffmpeg x11grab on the same scripted workloads.

Starts its own Xvfb (1920x1080 by default, at a free display number) and, for each workload,
runs ROUNDS rounds; each round records the workload once with our recorder
(``python -m annotator record --no-control``) and once with the reference

    ffmpeg -f x11grab -framerate 30 -video_size 1920x1080 -i :N \\
           -c:v libx264 -preset P -crf 23 -g 150 -pix_fmt yuv420p out.mp4

(same preset, CRF and keyframe interval as ours; the order alternates between rounds), then
runs the workload once more with no recorder at all: the X server's CPU in that baseline is
subtracted from its CPU during the recordings.  Workloads (benchmarks/workloads/):
- typical: an editor typed into at 5 characters a second, a 2,000-row table scrolled every
  3 s, the pointer gliding to a toolbar button and clicking it every 2 s (preset veryfast);
- full: a full-screen pattern repainted at 30 fps with a frame counter drawn as blocks
  (preset ultrafast), read back from the decoded video of both recorders.

Measured per run:
- CPU s per recorded minute: user+system CPU of the recorder's whole process tree over its
  whole life (start-up and finalization included), from wait4() of the recorder process
  (which includes any children it reaped) and psutil samples of live descendants; also the
  CPU spent only while the workload ran ("while recording");
- X server extra CPU: Xvfb's CPU per minute while recording minus its CPU per minute in the
  baseline run of the same workload (median of the baselines);
- achieved fps and dropped frames: ours from its bundle (grabs per second, missed capture
  deadlines + frames the encoder queue refused); ffmpeg from its output (frames - duplicates
  per second; its own dup+drop counts: with a constant-rate mp4 output ffmpeg fills a late
  capture with a duplicate).  Full motion adds the counters read from the decoded video of
  both: counters missing between the first and the last one seen, split into those that
  stayed on screen for at least 1.1 capture intervals by the app's own repaint log and those
  the app showed only briefly because its own repaint was late.  The log says when the app
  handed a repaint to the X server, not when the server drew it, so for ours each of the
  first kind is looked up in our frame index (``explain_missing``): it is a dropped frame
  when a tick in its time read nothing (DAMAGE had not reported it); when on-time grabs that
  both read the screen straddle it, it was on screen for less than an interval;
- MB per recorded minute (video file; for ours also the whole bundle), peak RSS of the
  recorder's process tree (max of wait4's ru_maxrss and of psutil samples of the tree).
  MB are 10^6 bytes throughout, as in `annotator inspect`.
- with ``--quality`` (typical workloads): one more untimed round in which both recorders
  record the same screen at once while a third process grabs it: SSIM of each against those
  reference grabs at the same instants, and the paired difference with a 95% interval
  (benchmarks/record_quality.py).

Then a table per workload: medians per recorder, the ratio ours/ffmpeg per round (pair) and
its median, and the targets of issue 2.  ``--minutes M`` instead records the typical workload
for M minutes with our recorder and reports its RSS over time (growth target <= 50 MB).
A JSON file with every figure is written to benchmarks/out/.

    .venv/bin/python benchmarks/record_overhead.py [--seconds 60] [--runs 3]
    .venv/bin/python benchmarks/record_overhead.py --minutes 10
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import harness
import record_quality
import tick_report
from harness import PYTHON, ROOT, Harness, TreeSampler, fmt, median, print_table
from workloads import full_motion, kinds, typical_ui

from annotator.capture.x11_screen import GRAB_IN_PLACE

WORKLOADS = ("editor", "scroll", "spreadsheet", "idle", "typical", "full", "notes",
             "idle-term")
TYPICAL = {"cpu_ratio_max": 0.35, "mb_ratio_max": 0.85}
TARGETS = {
    **{k: dict(TYPICAL) for k in ("editor", "scroll", "spreadsheet", "typical", "notes")},
    **{k: {**TYPICAL, "cpu_s_per_min_max": 2.0} for k in ("idle", "idle-term")},
    "full": {"cpu_ratio_max": 1.0, "fps_min": 29.5, "dropped_max": 0},
    "rss_growth_mb_max": 50,
}
MB = 1e6  # decimal megabytes, as `annotator inspect` reports them


# -- one run -----------------------------------------------------------------------------------
class Run:
    """One recording (or the no-recorder baseline) of one workload."""

    def __init__(self, args: argparse.Namespace, h: Harness, xs: harness.XServer,
                 workdir: Path, workload: str, recorder: str, round_no: int) -> None:
        self.args, self.h, self.xs = args, h, xs
        self.workload, self.recorder, self.round_no = workload, recorder, round_no
        self.dir = workdir / f"{workload}-{recorder}-{round_no}"
        self.dir.mkdir(parents=True)
        self.home = workdir / "annotator-home"
        self.preset = args.full_preset if workload == "full" else args.typical_preset
        self.rec_lines: list[str] = []
        self.result: dict[str, Any] = {"workload": workload, "recorder": recorder,
                                       "round": round_no, "preset": self.preset}

    # The measured part: workload app up, recorder up, drive for N s, recorder down.
    def execute(self, seconds: float) -> dict[str, Any]:
        xs, args = self.xs, self.args
        res = self.result
        paint_log = self.dir / "paint.log"
        app, layout, xdo = self._start_app(paint_log)
        rec = None
        sampler = None
        try:
            time.sleep(args.settle)
            if self.recorder == "ours":
                rec = self._start_ours()
            elif self.recorder == "ffmpeg":
                rec = self._start_ffmpeg()
            if rec is not None:
                sampler = TreeSampler(rec.pid, interval=args.sample_interval,
                                      series=args.minutes is not None).start()
                res["startup_cpu_s"] = sampler.sample()[1]
            x0, a0 = xs.cpu_s(), harness.proc_cpu_s(app.pid)
            c0 = sampler.sample()[1] if sampler else 0.0
            w0 = time.monotonic()
            self._drive(seconds, rec, xdo, layout)
            w1 = time.monotonic()
            c1 = sampler.sample()[1] if sampler else 0.0
            x1, a1 = xs.cpu_s(), harness.proc_cpu_s(app.pid)
            window_min = (w1 - w0) / 60
            res["window_s"] = w1 - w0
            res["xvfb_cpu_per_min"] = (x1 - x0) / window_min
            res["app_cpu_per_min"] = (a1 - a0) / window_min
            if rec is not None:
                res["cpu_while_recording_per_min"] = (c1 - c0) / window_min
                if not rec.running():
                    raise RuntimeError(f"{rec.name} exited early; output:\n  "
                                       + "\n  ".join(rec.lines[-10:]))
                t_stop = time.monotonic()
                res["stop_at_s"] = t_stop - sampler.t0
                ru = self.h.stop(rec, timeout=args.stop_timeout)
                res["stop_s"] = time.monotonic() - t_stop
                sampler.stop()
                res["returncode"] = rec.proc.returncode
                res["cpu_total_s"] = harness.rusage_cpu_s(ru) + sampler.descendants_cpu()
                res["peak_rss_mb"] = max(sampler.peak_rss,
                                         (ru.ru_maxrss * 1024) if ru else 0) / MB
                if args.minutes is not None:
                    res["rss_series"] = [(round(t, 1), round(r / MB, 1))
                                         for t, r in sampler.series]
                self.rec_lines = list(rec.lines)
                res["stderr_tail"] = [s for s in rec.lines[-6:] if s.strip()]
        finally:
            if sampler is not None:
                sampler.stop()
            if rec is not None and rec.running():
                self.h.stop(rec)
            if xdo is not None:
                xdo.close()
            self.h.stop(app)
        if self.workload == "full":
            res["app_exit"] = app.lines[-1] if app.lines else None
        if self.recorder == "ours":
            self._analyze_ours(paint_log)
        elif self.recorder == "ffmpeg":
            self._analyze_ffmpeg(paint_log)
        if not args.keep:
            for p in self.dir.iterdir():
                if p.is_dir():
                    shutil.rmtree(p)
                elif p.suffix == ".mp4":
                    p.unlink()
        return res

    def _start_app(self, paint_log: Path) -> tuple[harness.Child, Any, harness.Xdo | None]:
        h, xs = self.h, self.xs
        layout = None
        if self.workload == "typical":
            app, layout = typical_ui.start(h, xs)
        elif self.workload == "full":
            app = full_motion.start(h, xs, log=paint_log)
        else:
            app = kinds.start(self.workload, h, xs, self.dir)
        xdo = (harness.Xdo(h, xs) if self.workload not in ("full", "idle", "idle-term")
               else None)
        return app, layout, xdo

    def _drive(self, seconds: float, rec: harness.Child | None, xdo: harness.Xdo | None,
               layout: Any) -> None:
        if self.workload == "typical":
            typical_ui.Driver(xdo.send, layout, seconds).run()
        elif xdo is not None:
            kinds.PlanDriver(xdo.send, kinds.plan(self.workload, seconds), seconds).run()
        else:
            _sleep_watching(seconds, rec)

    def _start_ours(self) -> harness.Child:
        a = self.args
        self.out = self.dir / "rec"
        cmd = [PYTHON, "-m", "annotator", "record", "--no-control", "--yes",
               "--out", str(self.out), "--fps", f"{a.fps:g}", "--preset", self.preset,
               "--crf", str(a.crf)]
        extra = {"ANNOTATOR_HOME": str(self.home)}
        if self.args.trace:
            extra["ANNOTATOR_BENCH_TICK_TRACE"] = str(self.dir / "trace.json")
        env = self.xs.env(**extra)
        rec = self.h.spawn("annotator record", cmd, env=env, cwd=ROOT, stderr=subprocess.PIPE,
                           stop_signal=signal.SIGTERM, grace_s=a.stop_timeout)
        rec.follow(rec.proc.stderr)
        rec.wait_for_line(lambda s: s.startswith("Recording to"), timeout=90)
        self.result["cmd"] = cmd
        return rec

    def _start_ffmpeg(self) -> harness.Child:
        a = self.args
        self.out = self.dir / "out.mp4"
        cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-y",
               "-f", "x11grab", "-framerate", f"{a.fps:g}",
               "-video_size", f"{self.xs.width}x{self.xs.height}"]
        if not a.ffmpeg_mouse:
            cmd += ["-draw_mouse", "0"]
        cmd += ["-i", self.xs.display, "-map", "0:v", "-c:v", "libx264", "-preset", self.preset,
                "-crf", str(a.crf), "-g", str(a.gop), "-pix_fmt", "yuv420p", str(self.out)]
        rec = self.h.spawn("ffmpeg", cmd, env=self.xs.env(), stderr=subprocess.PIPE,
                           stop_signal=signal.SIGINT, grace_s=a.stop_timeout)
        rec.follow(rec.proc.stderr)
        rec.wait_for_line(lambda s: s.startswith("frame="), timeout=60)
        self.result["cmd"] = cmd
        return rec

    # -- analysis (after the run: not measured) ----------------------------------------------
    def _analyze_ours(self, paint_log: Path) -> None:
        res = self.result
        out = subprocess.run([PYTHON, "-m", "annotator", "inspect", "--json", str(self.out)],
                             env=self.xs.env(ANNOTATOR_HOME=str(self.home)), cwd=ROOT,
                             capture_output=True, text=True, timeout=300)
        if out.returncode != 0:
            raise RuntimeError(f"annotator inspect failed: {out.stderr.strip()}")
        ins = json.loads(out.stdout)
        manifest = json.loads((self.out / "manifest.json").read_text())
        stats = manifest.get("stats", {})
        video = self.out / "video.mp4"
        vinfo = harness.video_info(video)
        rec_s = ins["recorded_s"]
        res.update(
            recorded_s=rec_s,
            fps_achieved=ins["fps_achieved"],
            grabs=ins["grabs"],
            frames_stored=ins["frames_stored"],
            frames_in_video=vinfo["frames"],
            dropped_deadlines=stats.get("dropped_deadlines", ins.get("dropped_deadlines")),
            encoder_dropped=stats.get("encoder_dropped", 0),
            dropped=(stats.get("dropped_deadlines") or 0) + (stats.get("encoder_dropped") or 0),
            video_mb_per_min=video.stat().st_size / MB / (rec_s / 60),
            bundle_mb_per_min=ins["mb_per_min"],
            problems=ins.get("problems", []),
            status=ins.get("status"),
            gop_frames=manifest.get("video", {}).get("gop_frames"),
            stop_reason=manifest.get("stop_reason"),
            grab_path=manifest.get("capture", {}).get("grab"),
        )
        res["cpu_per_min"] = res["cpu_total_s"] / (rec_s / 60)
        if res.get("returncode") != 0 or ins.get("status") != "complete":
            res.setdefault("notes", []).append(
                f"the recorder exited with status {res.get('returncode')}, bundle status "
                f"{ins.get('status')!r}")
        if vinfo["frames"] != ins["frames_stored"]:
            res.setdefault("notes", []).append(
                f"the video holds {vinfo['frames']} frames but the frame index says "
                f"{ins['frames_stored']} were stored")
        if self.workload == "full":
            res["counters"] = analyze_counters(video, paint_log, self.args.fps)
            res["fps_decoded"] = res["counters"]["fps_decoded"]
            why = explain_missing(self.out, paint_log,
                                  res["counters"].get("missing_long_list", []))
            res["counters"]["why_missing"] = why
            res["counters"]["missed_by_damage"] = sum(w["verdict"] == "tick read nothing"
                                                      for w in why)
            res["fps_read"] = read_rate(self.out, rec_s)
        if self.args.trace and (self.dir / "trace.json").is_file():
            res["ticks"] = tick_report.summarize(json.loads((self.dir / "trace.json").read_text()))

    def _analyze_ffmpeg(self, paint_log: Path) -> None:
        res = self.result
        if not self.out.is_file():
            raise RuntimeError("ffmpeg wrote no output; stderr:\n  "
                               + "\n  ".join(res.get("stderr_tail", [])))
        vinfo = harness.video_info(self.out)
        fps = self.args.fps
        rec_s = vinfo["last_s"] - vinfo["first_s"] + 1 / fps
        dup = drop = 0
        progress = [s for s in self.rec_lines if s.startswith("frame=")]
        if progress:
            m = re.search(r"dup=\s*(\d+)", progress[-1])
            dup = int(m.group(1)) if m else 0
            m = re.search(r"drop=\s*(\d+)", progress[-1])
            drop = int(m.group(1)) if m else 0
        mb = self.out.stat().st_size / MB / (rec_s / 60)
        res.update(
            recorded_s=rec_s,
            frames_in_video=vinfo["frames"],
            ffmpeg_dup=dup,
            ffmpeg_drop=drop,
            dropped=dup + drop,
            fps_achieved=(vinfo["frames"] - dup) / rec_s,
            video_mb_per_min=mb,
        )
        res["cpu_per_min"] = res["cpu_total_s"] / (rec_s / 60)
        if self.workload == "full":
            res["counters"] = analyze_counters(self.out, paint_log, fps)
            res["fps_decoded"] = res["counters"]["fps_decoded"]


def _sleep_watching(seconds: float, rec: harness.Child | None) -> None:
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        if rec is not None and not rec.running():
            return
        time.sleep(min(left, 0.2))


# -- frame counters ----------------------------------------------------------------------------
def analyze_counters(video: Path, paint_log: Path, fps: float) -> dict[str, Any]:
    """Read the full-motion counter of every decoded frame and compare with the app's log."""
    times: list[float] = []
    counters: list[int | None] = []
    for _pts, t, y in harness.decode_frames(video, "gray"):
        times.append(t)
        counters.append(full_motion.read_counter(y))
    readable = [(t, c) for t, c in zip(times, counters, strict=True) if c is not None]
    out: dict[str, Any] = {"frames": len(counters),
                           "unreadable": sum(c is None for c in counters)}
    if len(readable) < 2:
        out["error"] = "fewer than two readable counters"
        out["fps_decoded"] = float("nan")
        return out
    cs = [c for _, c in readable]
    first, last = cs[0], cs[-1]
    seen = set(cs)
    expected = set(range(first, last + 1))
    missing = sorted(expected - seen)
    dups = sum(1 for a, b in zip(cs, cs[1:], strict=False) if b == a)
    backwards = sum(1 for a, b in zip(cs, cs[1:], strict=False) if b < a)
    span = times[-1] - times[0] + 1 / fps
    interval_ns = 1e9 / fps
    logc, logt = full_motion.read_log(paint_log)
    shown_ms: dict[int, float] = {}
    if len(logc):
        idx = {int(c): i for i, c in enumerate(logc)}
        for c in missing:
            i = idx.get(c)
            if i is not None and i + 1 < len(logt):
                shown_ms[c] = (int(logt[i + 1]) - int(logt[i])) / 1e6
    long_missing = [c for c in missing if shown_ms.get(c, 0) >= 1.1 * interval_ns / 1e6]
    app_span = None
    if len(logc) and first in set(logc.tolist()) and last in set(logc.tolist()):
        i0 = int(list(logc).index(first))
        i1 = int(list(logc).index(last))
        app_span = (int(logt[i1]) - int(logt[i0])) / 1e9
    out.update(
        first=first, last=last, expected=len(expected), distinct=len(seen),
        missing=len(missing), missing_long=len(long_missing),
        missing_short=len(missing) - len(long_missing),
        missing_examples=[(c, round(shown_ms.get(c, float("nan")), 1)) for c in missing[:12]],
        missing_long_list=long_missing,
        duplicates=dups, backwards=backwards, span_s=span,
        fps_decoded=len(counters) / span, fps_distinct=len(seen) / span,
        app_fps=(last - first) / app_span if app_span else None,
    )
    return out


def read_rate(bundle: Path, recorded_s: float) -> float:
    """Grabs per second that read the screen (READ bit): under full motion, every one."""
    from annotator.bundle.frameindex import READ, read_records

    _t, flags = read_records(bundle / "frames.idx")
    return int(((flags & READ) != 0).sum()) / recorded_s


def explain_missing(bundle: Path, paint_log: Path, counters: list[int]
                    ) -> list[dict[str, Any]]:
    """Why our video lacks each of ``counters`` (counters the app kept on screen for at least
    1.1 capture intervals by its own log): our grabs between the app handing the counter to
    the X server and handing it the next one, and the grabs just before and after that time,
    each with its frame index bits (READ: pixels were read at that tick) and the counter its
    frame shows.  A grab's time is stamped once its pixels are read.  The verdict:
    - ``tick read nothing``: a grab in that time read no pixels (no damage notification had
      come): the recorder's miss;
    - ``not drawn yet``: every grab in that time read the screen and found an older counter:
      the X server drew it later than the app handed it over;
    - ``late tick``: no grab stamped in that time: the tick due then ran late (the thread
      woke, or the X server answered, after the next counter had reached the screen) or
      not at all (a missed deadline, counted in the dropped frames).  The grabs around it
      say how late: two rows more than 1.5 intervals apart."""
    import numpy as np

    from annotator.bundle.frameindex import READ, STORED, read_records

    if not counters:
        return []
    manifest = json.loads((bundle / "manifest.json").read_text())
    t0 = manifest["clock"]["start_monotonic_ns"]
    t_us, flags = read_records(bundle / "frames.idx")
    t_ns = t_us * 1000 + t0
    shown = {int(pts): full_motion.read_counter(y)
             for pts, _t, y in harness.decode_frames(bundle / "video.mp4")}
    last_stored = np.maximum.accumulate(np.where(flags & STORED, np.arange(len(flags)), -1))
    logc, logt = full_motion.read_log(paint_log)
    when = {int(c): int(t) for c, t in zip(logc, logt, strict=True)}
    def row(i: int, a: int) -> dict[str, Any]:
        k = int(last_stored[i])
        return {"after_ms": round((int(t_ns[i]) - a) / 1e6, 1),
                "read": bool(flags[i] & READ), "stored": bool(flags[i] & STORED),
                "shows": shown.get(int(t_us[k])) if k >= 0 else None}

    out = []
    for c in counters:
        a, b = when.get(c), when.get(c + 1)
        if a is None or b is None:
            continue
        inside = np.flatnonzero((t_ns > a) & (t_ns < b))
        before = np.flatnonzero(t_ns <= a)
        after = np.flatnonzero(t_ns >= b)
        rows = [row(int(i), a) for i in inside]
        around = ([row(int(before[-1]), a)] if len(before) else []) + \
            ([row(int(after[0]), a)] if len(after) else [])
        if rows and not all(r["read"] for r in rows):
            verdict = "tick read nothing"
        elif rows:
            verdict = "not drawn yet"
        else:
            verdict = "late tick"
        out.append({"counter": c, "app_shown_ms": round((b - a) / 1e6, 1), "verdict": verdict,
                    "grabs": rows, "around": around})
    return out


# -- quality: both recorders against one reference grab stream (record_quality.py) -----------
def run_quality(args: argparse.Namespace, h: Harness, xs: harness.XServer, workdir: Path,
                workload: str) -> dict[str, Any]:
    """One untimed round: ours and ffmpeg record the same screen at once while a third
    process grabs it as the ground truth; SSIM of both at the same instants."""
    ours = Run(args, h, xs, workdir, workload, "ours", 0)
    ff = Run(args, h, xs, workdir, workload, "ffmpeg", 0)
    ref_dir = workdir / f"{workload}-reference"
    ref_dir.mkdir()
    app, layout, xdo = ours._start_app(ours.dir / "paint.log")
    grabber = rec_o = rec_f = None
    try:
        time.sleep(args.settle)
        grabber = h.spawn("reference grabs", [PYTHON, str(Path(record_quality.__file__)),
                                              str(ref_dir), f"{args.quality_period:g}"],
                          env=xs.env(), stdout=subprocess.PIPE, grace_s=30)
        grabber.follow(grabber.proc.stdout)
        grabber.wait_for_line(lambda s: s.startswith("grabbing"), timeout=30)
        rec_o, rec_f = ours._start_ours(), ff._start_ffmpeg()
        w0 = time.monotonic_ns()
        ours._drive(args.quality_seconds, rec_o, xdo, layout)
        w1 = time.monotonic_ns()
        for name, rec in (("ours", rec_o), ("ffmpeg", rec_f)):
            if not rec.running():
                raise RuntimeError(f"{name} exited early: " + " | ".join(rec.lines[-5:]))
        for rec in (rec_o, rec_f, grabber):
            h.stop(rec, timeout=args.stop_timeout)
    finally:
        for rec in (rec_o, rec_f, grabber):
            if rec is not None and rec.running():
                h.stop(rec)
        if xdo is not None:
            xdo.close()
        h.stop(app)
    manifest = json.loads((ours.out / "manifest.json").read_text())
    res = record_quality.analyze(ref_dir, ours.out / "video.mp4",
                                 manifest["clock"]["start_monotonic_ns"], ff.out,
                                 list(rec_f.lines), (w0, w1), args.quality_max_gap)
    res["seconds"] = args.quality_seconds
    if not args.keep:
        shutil.rmtree(ref_dir, ignore_errors=True)
        for d in (ours.dir, ff.dir):
            shutil.rmtree(d, ignore_errors=True)
    return res


def _quality_line(q: dict[str, Any]) -> str:
    if not q.get("instants"):
        return f"FAILED: {q.get('error')}"
    lo, hi = q["diff_ci95"]
    return (f"SSIM at {q['instants']} instants ({q['pictures']} pictures, "
            f"{q['reference_grabs']} reference grabs): ours {q['ours']:.5f}, ffmpeg "
            f"{q['ffmpeg']:.5f}, ours - ffmpeg {q['diff']:+.5f} [{lo:+.5f}, {hi:+.5f}]")


# -- one workload ------------------------------------------------------------------------------
def run_workload(args: argparse.Namespace, h: Harness, xs: harness.XServer, workdir: Path,
                 workload: str) -> dict[str, Any]:
    preset = args.full_preset if workload == "full" else args.typical_preset
    print(f"\n== workload '{workload}': {args.runs} round(s) x {args.seconds:g} s, "
          f"{args.fps:g} fps, x264 preset {preset}, crf {args.crf}, -g {args.gop} ==",
          flush=True)
    runs: list[dict[str, Any]] = []
    for r in range(1, args.runs + 1):
        order = ["ours", "ffmpeg"] if r % 2 else ["ffmpeg", "ours"]
        if not args.no_baseline:
            order.append("baseline")
        for recorder in order:
            run = Run(args, h, xs, workdir, workload, recorder, r)
            print(f"  round {r}: {recorder:8s} ...", end=" ", flush=True)
            try:
                res = run.execute(args.seconds)
            except Exception as exc:  # one bad run must not lose the others
                res = {**run.result, "error": str(exc)}
                print(f"FAILED: {exc}", flush=True)
            else:
                print(_run_line(res), flush=True)
            runs.append(res)
    quality: dict[str, Any] | None = None
    if args.quality and workload != "full":  # full motion never holds still: no instants
        print("  quality: both recorders at once, and reference grabs ...", end=" ", flush=True)
        try:
            quality = run_quality(args, h, xs, workdir, workload)
        except Exception as exc:
            quality = {"error": str(exc)}
        print(_quality_line(quality), flush=True)
    failed = [r for r in runs if r.get("error")]
    runs_ok = [r for r in runs if not r.get("error")]
    base = median(r["xvfb_cpu_per_min"] for r in runs_ok if r["recorder"] == "baseline")
    for r in runs_ok:
        if r["recorder"] != "baseline":
            r["xvfb_extra_cpu_per_min"] = (r["xvfb_cpu_per_min"] - base
                                           if base == base else float("nan"))
    for r in runs_ok:
        if r["recorder"] != "baseline":
            r["cpu_with_x_per_min"] = r["cpu_per_min"] + r["xvfb_extra_cpu_per_min"]
    out = summarize(workload, preset, runs_ok, base, args, quality)
    if failed:
        print(f"  {len(failed)} run(s) FAILED and were left out: "
              + ", ".join(f"{r['recorder']} round {r['round']}" for r in failed))
    out["failed_runs"] = failed
    return out


def _run_line(r: dict[str, Any]) -> str:
    if r["recorder"] == "baseline":
        return (f"Xvfb {r['xvfb_cpu_per_min']:.1f} CPU s/min, workload app "
                f"{r['app_cpu_per_min']:.1f} CPU s/min")
    s = (f"CPU {r['cpu_per_min']:.1f} s/min (while recording {r['cpu_while_recording_per_min']:.1f}),"
         f" Xvfb {r['xvfb_cpu_per_min']:.1f} s/min, {r['fps_achieved']:.2f} fps,"
         f" dropped {r['dropped']}, {r['video_mb_per_min']:.2f} MB/min,"
         f" peak RSS {r['peak_rss_mb']:.0f} MB")
    if r["recorder"] == "ours" and r.get("grab_path") != GRAB_IN_PLACE:
        # mss's copies cost about 1.3 CPU s/min more: figures from such a run are not ours
        s += f"\n      NOT THE USUAL GRAB PATH: {r.get('grab_path')}"
    c = r.get("counters")
    if c and "missing" in c:
        s += (f"; counters {c['distinct']}/{c['expected']} seen, missing {c['missing']} "
              f"(on screen >= 1.1 intervals: {c['missing_long']}), unreadable {c['unreadable']}")
        for w in c.get("why_missing", []):
            s += (f"\n      counter {w['counter']} (app: {w['app_shown_ms']} ms): {w['verdict']};"
                  " grabs in its time / around it: "
                  + "; ".join(", ".join(f"{g['after_ms']:+} ms {'read' if g['read'] else 'unread'}"
                                        f"{' stored' if g['stored'] else ''} shows {g['shows']}"
                                        for g in w[k]) or "none" for k in ("grabs", "around")))
    t = r.get("ticks")
    if t:
        s += (f"\n      ticks: {t['ticks']}, began late p50 {t['late_ms']['p50']:.2f} ms, p99 "
              f"{t['late_ms']['p99']:.2f}, max {t['late_ms']['max']:.1f} "
              f"[{t['late_ms']['histogram']}]; work p99 {t['work_ms']['p99']:.1f} ms, max "
              f"{t['work_ms']['max']:.1f}; encoder queue max {t['queue_max']}; capture thread "
              f"waited for a core {t['runq_ms_total'] / 1e3:.2f} s; "
              + ", ".join(f"{k} {v['n']} x max {v['max_ms']:.1f} ms"
                          for k, v in t["spans"].items() if k.startswith("gc") or k == "encode"))
        for b in t["bad_ticks"]:
            s += (f"\n      late tick {b['tick']}: began {b['late_ms']} ms late (missed "
                  f"{b['missed']}; waited for a core {b['runq_before_ms']} ms before, "
                  f"{b['runq_ms']} during), X requests {b['x_ms']} ms, work {b['work_ms']} "
                  f"ms; steal {b['steal_ticks']}; overlapping: "
                  + (", ".join(f"{k} {d} ms" for k, _a, d, _c, _r in b["overlapping"]
                               if k != "gc0") or "nothing traced"))
    if r.get("notes"):
        s += "; NOTE: " + "; ".join(r["notes"])
    return s


def summarize(workload: str, preset: str, runs: list[dict[str, Any]], base: float,
              args: argparse.Namespace, quality: dict[str, Any] | None = None
              ) -> dict[str, Any]:
    ours = [r for r in runs if r["recorder"] == "ours"]
    ff = [r for r in runs if r["recorder"] == "ffmpeg"]
    pairs = [(o, f) for o in ours for f in ff if o["round"] == f["round"]]
    for o, f in pairs:
        o["bundle_vs_ffmpeg"] = o["bundle_mb_per_min"] / f["video_mb_per_min"]

    def ratio(key: str) -> list[float]:
        return [o[key] / f[key] if f.get(key) else float("nan") for o, f in pairs]

    rows_spec = [
        ("CPU s / recorded min (whole process)", "cpu_per_min", True),
        ("CPU s / min while recording", "cpu_while_recording_per_min", True),
        ("X server extra CPU s / min", "xvfb_extra_cpu_per_min", True),
        ("CPU s / min, recorder + X server extra", "cpu_with_x_per_min", True),
        ("achieved fps (captures/s)", "fps_achieved", False),
        ("dropped frames (recorder's count)", "dropped", False),
        ("MB / min, video", "video_mb_per_min", True),
        ("MB / min, whole bundle", "bundle_mb_per_min", False),
        ("whole bundle / ffmpeg's file", "bundle_vs_ffmpeg", False),
        ("peak RSS MB (process tree)", "peak_rss_mb", False),
    ]
    if workload == "full":
        rows_spec[4:4] = [
            ("fps decoded (frames/s in video)", "fps_decoded", False),
            ("grabs that read the screen / s", "fps_read", False),
            ("counters missing", ("counters", "missing"), False),
            ("  of which shown >= 1.1 intervals", ("counters", "missing_long"), False),
            ("  of which a tick read nothing", ("counters", "missed_by_damage"), False),
            ("counters unreadable", ("counters", "unreadable"), False),
        ]

    def get(r: dict[str, Any], key: Any) -> Any:
        if isinstance(key, tuple):
            return (r.get(key[0]) or {}).get(key[1])
        return r.get(key)

    summary: dict[str, Any] = {}
    table = []
    for label, key, with_ratio in rows_spec:
        mo = median(get(r, key) for r in ours if get(r, key) is not None)
        mf = median(get(r, key) for r in ff if get(r, key) is not None)
        rat = ([get(o, key) / get(f, key) if get(f, key) else float("nan") for o, f in pairs]
               if with_ratio else [])
        name = key if isinstance(key, str) else "_".join(key)
        summary[name] = {"ours": mo, "ffmpeg": mf,
                         "ratios": rat, "ratio_median": median(rat) if rat else None}
        table.append([label, mo, mf, ", ".join(fmt(x) for x in rat) or "",
                      median(rat) if rat else None])
    print(f"\n-- {workload} (x264 preset {preset} for both, crf {args.crf}, -g {args.gop}, "
          f"{args.fps:g} fps; medians of {len(ours)} run(s) each; Xvfb baseline "
          f"{fmt(base, 1)} CPU s/min) --")
    print_table(["metric", "ours", "ffmpeg", "ours/ffmpeg per pair", "median ratio"], table)

    # The machine's speed moves by 20-50% between quarter hours here: the workload app does
    # the same work in every run, so its CPU (in the no-recorder baseline of the round, and
    # during each recording) says how fast the machine was when each ratio was measured.
    bases = {r["round"]: r for r in runs if r["recorder"] == "baseline"}
    summary["pairs"] = []
    print("  per pair: CPU ratio with X; the workload app's CPU s/min (a machine-speed "
          "indicator) in the round's baseline / during ours / during ffmpeg:")
    for o, f in pairs:
        b = bases.get(o["round"], {})
        p = {"round": o["round"], "cpu_ratio_with_x":
             o["cpu_with_x_per_min"] / f["cpu_with_x_per_min"],
             "baseline_app_cpu_per_min": b.get("app_cpu_per_min"),
             "baseline_xvfb_cpu_per_min": b.get("xvfb_cpu_per_min"),
             "app_cpu_per_min_ours": o.get("app_cpu_per_min"),
             "app_cpu_per_min_ffmpeg": f.get("app_cpu_per_min")}
        summary["pairs"].append(p)
        print(f"    round {o['round']}: {p['cpu_ratio_with_x']:.3f}  app "
              f"{fmt(p['baseline_app_cpu_per_min'], 2)} / {fmt(p['app_cpu_per_min_ours'], 2)} / "
              f"{fmt(p['app_cpu_per_min_ffmpeg'], 2)}  (ours {o['cpu_with_x_per_min']:.2f}, "
              f"ffmpeg {f['cpu_with_x_per_min']:.2f} CPU s/min with X)")

    for o, f in pairs:
        slow = [(name, r["fps_achieved"]) for name, r in (("ours", o), ("ffmpeg", f))
                if r.get("fps_achieved", 0) < 0.95 * args.fps]
        if slow:
            print(f"  WARNING: round {o['round']}: "
                  + ", ".join(f"{n} captured only {v:.1f} fps" for n, v in slow)
                  + f" of {args.fps:g}: this round's CPU and size figures are not "
                  "comparable (a busy machine?)")

    # Targets of issue 2.
    checks = []
    t = TARGETS[workload]
    cpu_r = median(ratio("cpu_with_x_per_min"))
    checks.append(("CPU ratio (recorder + X server extra)", cpu_r, f"<= {t['cpu_ratio_max']}",
                   cpu_r <= t["cpu_ratio_max"]))
    if workload != "full":
        bundle_r = median([o["bundle_mb_per_min"] / f["video_mb_per_min"] for o, f in pairs])
        checks.append(("MB/min ratio (our whole bundle vs ffmpeg's file)", bundle_r,
                       f"<= {t['mb_ratio_max']}", bundle_r <= t["mb_ratio_max"]))
        if quality and quality.get("instants"):
            summary["ssim"] = quality
            lo, hi = quality["diff_ci95"]
            print(f"  SSIM against the same reference grabs at the same "
                  f"{quality['instants']} instants: ours {quality['ours']:.5f}, ffmpeg "
                  f"{quality['ffmpeg']:.5f}, ours - ffmpeg {quality['diff']:+.5f} "
                  f"(95% interval {lo:+.5f} .. {hi:+.5f})")
            # Met when ours is not lower beyond the sampling error: equal counts as equal.
            checks.append(("SSIM ours - ffmpeg's at the same instants", f"{quality['diff']:+.5f}",
                           f">= 0, or 0 inside its 95% interval [{lo:+.5f}, {hi:+.5f}]",
                           hi >= 0))
        if "cpu_s_per_min_max" in t:
            # Steady state: what an hour on an idle screen costs a minute.  The start-up
            # (imports, X and encoder set-up: a few CPU s once) is in the row above.
            cpu = median(o["cpu_while_recording_per_min"] for o in ours)
            checks.append(("our CPU s per recorded minute while recording", cpu,
                           f"< {t['cpu_s_per_min_max']}", cpu < t["cpu_s_per_min_max"]))
    else:
        # Ours is variable-rate: a grab that read the same picture as the one before (the
        # app repainted late) is a row of the index, not a second copy in the video, so the
        # rate is of grabs that read the screen; frames in the video are in the table.
        fps_min = min((min(o["fps_achieved"], o.get("fps_read") or 0) for o in ours),
                      default=float("nan"))
        checks.append(("our achieved fps (worst run, captures that read the screen)", fps_min,
                       f">= {t['fps_min']}", fps_min >= t["fps_min"]))
        # A counter is the recorder's drop when a tick in its time read nothing (DAMAGE had
        # not reported it); one straddled by two on-time grabs that both read the screen
        # was on screen for less than an interval whatever the app's log says (see
        # explain_missing), and a missed deadline is already counted.
        dropped = sum(o["dropped"] + ((o.get("counters") or {}).get("missed_by_damage") or 0)
                      for o in ours)
        checks.append(("our dropped frames (all runs: missed deadlines + encoder drops + "
                       "counters missed by a tick that read nothing)", dropped,
                       f"<= {t['dropped_max']}", dropped <= t["dropped_max"]))
        verdicts: dict[str, int] = {}
        for o in ours:
            for w in (o.get("counters") or {}).get("why_missing", []):
                verdicts[w["verdict"]] = verdicts.get(w["verdict"], 0) + 1
        print("  our missing counters shown >= 1.1 intervals by the app's log, by cause: "
              + (", ".join(f"{k} {v}" for k, v in sorted(verdicts.items())) or "none"))
        missing_all = sum((o.get("counters") or {}).get("missing") or 0 for o in ours)
        ff_missing = sum((f.get("counters") or {}).get("missing") or 0 for f in ff)
        print(f"  (all missing counters, including those the app showed briefly: ours "
              f"{missing_all}, ffmpeg {ff_missing})")
    print("  targets:")
    for name, val, target, ok in checks:
        print(f"    {'PASS' if ok else 'FAIL'}  {name}: {fmt(val, 3)} (target {target})")
    return {"preset": preset, "xvfb_baseline_cpu_per_min": base, "runs": runs,
            "summary": summary,
            "targets": [{"name": n, "value": v, "target": tt, "pass": ok}
                        for n, v, tt, ok in checks]}


# -- long run: memory growth -------------------------------------------------------------------
def run_minutes(args: argparse.Namespace, h: Harness, xs: harness.XServer,
                workdir: Path) -> dict[str, Any]:
    seconds = args.minutes * 60
    print(f"\n== memory: typical workload recorded by ours for {args.minutes:g} min "
          f"(RSS sampled every {args.sample_interval:g} s) ==", flush=True)
    run = Run(args, h, xs, workdir, "typical", "ours", 1)
    res = run.execute(seconds)
    print("  " + _run_line(res))
    series = res.get("rss_series", [])
    stop_at = res.get("stop_at_s", float("inf"))
    warm = [(t, r) for t, r in series if args.warmup <= t <= stop_at]
    if not warm:
        print("  not enough RSS samples after the warm-up")
        return {"run": res}
    start_mb, end_mb = warm[0][1], warm[-1][1]
    max_t, max_mb = max(warm, key=lambda x: x[1])
    growth = max_mb - start_mb
    print(f"  RSS: start {start_mb:.1f} MB (at {warm[0][0]:.0f} s, after the "
          f"{args.warmup:g} s warm-up), max {max_mb:.1f} MB (at {max_t:.0f} s), "
          f"end {end_mb:.1f} MB (at {warm[-1][0]:.0f} s)")
    step = max(1, int(60 / args.sample_interval))
    print("  RSS by minute: " + ", ".join(f"{t / 60:.0f}m {r:.0f}" for t, r in series[::step]))
    ok = growth <= TARGETS["rss_growth_mb_max"]
    print(f"  {'PASS' if ok else 'FAIL'}  RSS growth (max - start): {growth:.1f} MB "
          f"(target <= {TARGETS['rss_growth_mb_max']} MB); end - start {end_mb - start_mb:.1f}"
          " MB")
    return {"run": res, "rss_start_mb": start_mb, "rss_max_mb": max_mb, "rss_end_mb": end_mb,
            "rss_growth_mb": growth, "pass": ok}


# -- main --------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60, help="length of each run (default 60)")
    ap.add_argument("--runs", type=int, default=4, help="rounds per workload (default 4)")
    ap.add_argument("--workloads", default=",".join(WORKLOADS),
                    help="comma-separated, from: " + ", ".join(WORKLOADS) + " (default all)")
    ap.add_argument("--fps", type=float, default=30.0)
    ap.add_argument("--crf", type=int, default=23)
    ap.add_argument("--gop", type=int, default=150,
                    help="ffmpeg -g; must equal our recorder's keyframe interval (150)")
    ap.add_argument("--typical-preset", default="veryfast")
    ap.add_argument("--full-preset", default="ultrafast")
    ap.add_argument("--size", default="1920x1080", help="Xvfb screen size (default 1920x1080)")
    ap.add_argument("--ffmpeg-mouse", action="store_true",
                    help="let ffmpeg draw the pointer (x11grab's default; ours never draws "
                    "it, so by default ffmpeg gets -draw_mouse 0: the same pictures)")
    ap.add_argument("--quality", action="store_true",
                    help="per workload (but full motion), one more untimed round: both "
                    "recorders at once and reference grabs of the same screen; SSIM of both "
                    "at the same instants (benchmarks/record_quality.py)")
    ap.add_argument("--quality-seconds", type=float, default=30.0)
    ap.add_argument("--quality-period", type=float, default=0.1,
                    help="s between reference grabs (default 0.1)")
    ap.add_argument("--quality-max-gap", type=float, default=record_quality.MAX_GAP_S,
                    help="an instant is used when the reference grabs before and after it, "
                    "at most this many s away, show the same picture (default "
                    f"{record_quality.MAX_GAP_S:g})")
    ap.add_argument("--compositor", choices=("xcompmgr", "picom"),
                    help="run this compositing manager on the Xvfb for the whole benchmark")
    ap.add_argument("--trace", action="store_true",
                    help="our recorder writes its threads' timeline (ANNOTATOR_BENCH_TICK_TRACE):"
                    " per run, how late each capture tick began and why the late ones were "
                    "(benchmarks/tick_report.py); it reads /proc at every tick: the idle "
                    "workload's CPU rose from 1.8 to 2.1 s/min with it")
    ap.add_argument("--no-baseline", action="store_true",
                    help="skip the no-recorder runs (no X server extra CPU then)")
    ap.add_argument("--minutes", type=float,
                    help="instead: record the typical workload this long with our recorder "
                    "and report RSS growth")
    ap.add_argument("--warmup", type=float, default=30.0,
                    help="--minutes: RSS 'start' is the first sample after this many s")
    ap.add_argument("--sample-interval", type=float, default=None,
                    help="psutil sampling interval in s (default 0.5; 5 with --minutes)")
    ap.add_argument("--nice", type=int, default=0,
                    help="run everything the benchmark starts (X server, apps, both "
                    "recorders) at this niceness, as a group: on a machine shared with other "
                    "work, a negative value (as root) lets both recorders capture at their "
                    "rate, which at load 10 ffmpeg did not (under 1 fps)")
    ap.add_argument("--settle", type=float, default=1.0,
                    help="s between the workload window appearing and the recorder starting")
    ap.add_argument("--stop-timeout", type=float, default=60.0,
                    help="s a recorder may take to finalize after its stop signal")
    ap.add_argument("--workdir", type=Path,
                    help="where recordings go (default: a new temporary folder)")
    ap.add_argument("--keep", action="store_true", help="keep the recordings (else deleted "
                    "after each run's analysis; the full-motion ones are large)")
    args = ap.parse_args(argv)
    args.workload_list = [w.strip() for w in args.workloads.split(",") if w.strip()]
    bad = [w for w in args.workload_list if w not in WORKLOADS]
    if bad:
        ap.error(f"unknown workload(s) {bad}; choose from {WORKLOADS}")
    if args.sample_interval is None:
        args.sample_interval = 5.0 if args.minutes is not None else 0.5
    if args.runs < 1 or args.seconds <= 0:
        ap.error("--runs and --seconds must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    harness.require_tools("Xvfb", "xdotool", "ffmpeg")
    w, hgt = (int(v) for v in args.size.lower().split("x"))
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="annotator-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "benchmark": "record_overhead",
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "args": {k: v for k, v in vars(args).items() if k != "workdir"},
        "machine": harness.machine_info(),
        "ffmpeg": _ffmpeg_version(),
        "targets": TARGETS,
    }
    print(f"record_overhead: {args.size}, machine {result['machine']['cpus']} CPU(s) "
          f"({result['machine']['cpu_model']}), load average "
          f"{result['machine']['loadavg_at_start']}, {result['ffmpeg']}")
    print(f"recordings in {workdir}" + ("" if args.keep else " (deleted after analysis)"))
    rc = 0
    try:
        with Harness() as h:
            if args.nice:
                _spawn_at_niceness(h, args.nice)
            xs = harness.start_xvfb(h, w, hgt)
            print(f"Xvfb on {xs.display}")
            if args.compositor:
                harness.require_tools(args.compositor)
                cmd = [args.compositor] + (["--backend", "xrender"]
                                           if args.compositor == "picom" else [])
                h.spawn(args.compositor, cmd, env=xs.env(), grace_s=3)
                time.sleep(1.0)
                result["compositor"] = args.compositor
                print(f"compositing manager: {args.compositor}")
            if args.minutes is not None:
                result["memory"] = run_minutes(args, h, xs, workdir)
            else:
                result["workloads"] = {}
                for wl in args.workload_list:
                    result["workloads"][wl] = run_workload(args, h, xs, workdir, wl)
    except (KeyboardInterrupt, harness.Interrupted):
        print("\ninterrupted: every process started was stopped", file=sys.stderr)
        result["interrupted"] = True
        rc = 130
    finally:
        result["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    path = harness.write_result("record_overhead", result)
    print(f"\nresults: {path}")
    return rc


def _spawn_at_niceness(h: Harness, nice: int) -> None:
    """Every child ``h`` starts gets ``nice``: its own, and its session's scheduling group's
    (each child has its own session; with the kernel's autogroups, which group a process is
    in weighs more than its own niceness, so both are set)."""
    spawn = h.spawn

    def spawn_nice(*a: Any, **kw: Any) -> harness.Child:
        child = spawn(*a, **kw)
        pid = child.proc.pid
        try:
            os.setpriority(os.PRIO_PROCESS, pid, nice)
            Path(f"/proc/{pid}/autogroup").write_text(str(nice))
        except OSError as exc:
            print(f"  (could not set the niceness of {child.name}: {exc})", file=sys.stderr)
        return child

    h.spawn = spawn_nice  # type: ignore[method-assign]


def _ffmpeg_version() -> str:
    try:
        out = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True, timeout=10)
        return out.stdout.splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "ffmpeg (version unknown)"


if __name__ == "__main__":
    sys.exit(main())
