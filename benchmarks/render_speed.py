"""Render speed: our burn-in render against ffmpeg's ``drawbox`` on the same input and boxes.

The input is a real recording of the "typical UI" workload (benchmarks/workloads/
typical_ui.py: an editor typed into at 5 characters a second, a table scrolled every 3 s, a
toolbar button clicked every 2 s) at 1920x1080, made by our recorder with its default
settings (``python -m annotator record --no-control --yes --duration S``, libx264 veryfast
CRF 23) on a private Xvfb.  It is kept in benchmarks/out/ and reused by later runs
(``--fresh`` records a new one; ``--recording DIR`` uses any bundle).

Ten boxes over various time ranges (short, long, whole recording, one full-frame flash,
starting and ending while the screen is static) are rendered over the whole recording:

- ours: ``annotator.media.render.render_video`` (decode threaded, burn-in into the decoded
  planes, only changed frames encoded, plain MP4);
- ffmpeg, the command a user would write (CFR output, as ffmpeg picks for MP4):
      ffmpeg -i video.mp4 -vf "drawbox=x=..:y=..:w=..:h=..:color=black:t=fill:
             enable='between(t,a,b)',..." -c:v libx264 -preset veryfast -crf 23 out.mp4
- ffmpeg with ``-fps_mode passthrough`` (variable frame rate: each stored frame once), the
  fairest ffmpeg equivalent of ours.

The boxes are the same pixels for all (ours padded and aligned; ffmpeg gets those filled
rectangles) and the same times (ffmpeg's ``t`` counts from the first frame).  Each is timed
``--runs`` times (median wall time, same machine, same run; CPU time of the process tree
too).  Printed: x real time for each, the ratios, and the targets of issue 5 (at least 4x
real time, faster than ffmpeg drawbox).  Then our leak check runs on our output (timed, not
part of the target).  Results go to benchmarks/out/render_speed-<stamp>.json.

    .venv/bin/python benchmarks/render_speed.py [--seconds 60] [--runs 3] [--fresh]
    .venv/bin/python benchmarks/render_speed.py --recording DIR
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import harness  # noqa: E402
from harness import PYTHON, ROOT, Harness, fmt, median, print_table  # noqa: E402
from workloads import typical_ui  # noqa: E402

from annotator.media import leakcheck  # noqa: E402
from annotator.media.render import plan_render, render_video  # noqa: E402

TARGETS = {"x_real_time_min": 4.0, "faster_than_ffmpeg_drawbox": True}


# -- the input recording -------------------------------------------------------------------------
def record_typical(dest: Path, seconds: float, width: int, height: int) -> None:
    """Record the typical-UI workload with our recorder on a private Xvfb into ``dest``."""
    harness.require_tools("Xvfb", "xdotool")
    tmp = dest.with_name(dest.name + ".recording")
    shutil.rmtree(tmp, ignore_errors=True)
    home = Path(tempfile.mkdtemp(prefix="annotator-bench-home-"))
    try:
        with Harness() as h:
            xs = harness.start_xvfb(h, width, height)
            app, layout = typical_ui.start(h, xs)
            time.sleep(1.0)
            cmd = [PYTHON, "-m", "annotator", "record", "--no-control", "--yes",
                   "--out", str(tmp), "--duration", f"{seconds:g}"]
            rec = h.spawn("annotator record", cmd, env=xs.env(ANNOTATOR_HOME=str(home)),
                          cwd=ROOT, stderr=subprocess.PIPE, stop_signal=signal.SIGTERM,
                          grace_s=60)
            rec.follow(rec.proc.stderr)
            rec.wait_for_line(lambda s: s.startswith("Recording to"), timeout=90)
            xdo = harness.Xdo(h, xs)
            try:
                typical_ui.Driver(xdo.send, layout, seconds + 1.0).run()
                rec.wait_rusage(60)  # --duration stops it
            finally:
                xdo.close()
                h.stop(rec)
                h.stop(app)
            if rec.proc.returncode != 0:
                harness.die(f"the recorder exited with {rec.proc.returncode}: "
                            + " | ".join(rec.lines[-5:]))
        manifest = json.loads((tmp / "manifest.json").read_text())
        if manifest.get("status") != "complete":
            harness.die(f"the recording is {manifest.get('status')!r}, not complete")
        shutil.rmtree(dest, ignore_errors=True)
        tmp.rename(dest)
    finally:
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


# -- boxes ----------------------------------------------------------------------------------------
def make_boxes(duration_us: int, width: int, height: int) -> list[dict[str, Any]]:
    """Ten boxes: editor lines, table cells, toolbar, status bar, tree; various time ranges
    (fractions of the recording), one whole-recording box and one full-frame flash."""
    sx, sy = width / 1920, height / 1080

    def box(x, y, w, h, a, b, label):
        rect = "full" if w == 0 else [round(x * sx), round(y * sy), round(w * sx),
                                      round(h * sy)]
        return {"rect": rect,
                "t_start_us": int(a * duration_us), "t_end_us": int(b * duration_us),
                "label": label}

    return [
        box(300, 140, 520, 22, 0.00, 1.00, "editor line, whole recording"),
        box(300, 400, 640, 44, 0.05, 0.35, "editor lines"),
        box(1000, 300, 420, 20, 0.10, 0.12, "table cell, short"),
        box(1000, 500, 880, 200, 0.20, 0.60, "table block"),
        box(10, 60, 260, 30, 0.30, 0.31, "toolbar, flash"),
        box(0, 1050, 700, 24, 0.40, 0.90, "status bar"),
        box(20, 120, 250, 600, 0.45, 0.55, "project tree"),
        box(1500, 800, 400, 200, 0.62, 0.99, "table corner, partly off-screen"),
        box(0, 0, 0, 0, 0.70, 0.705, "full frame, flash"),  # w=0: "full"
        box(600, 600, 300, 60, 0.80, 1.00, "editor, to the end"),
    ]


# -- runners --------------------------------------------------------------------------------------
def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _self_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def run_ours(bundle: Path, out: Path, kept, boxes) -> dict[str, Any]:
    c0, t0 = _self_cpu(), time.perf_counter()
    res = render_video(bundle, out, kept, boxes)
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "cpu_s": _self_cpu() - c0, "frames": res.frames_encoded,
            "bytes": out.stat().st_size, "frames_unchanged": res.frames_unchanged,
            "frames_decoded": res.frames_decoded}


def ffmpeg_filter(plan, first_pts: int) -> str:
    parts = []
    for b in plan.boxes:
        if b.fill_rect is None:
            continue
        x0, y0, x1, y1 = b.fill_rect
        s, e = b.source_interval
        e = min(e, plan.timeline.duration_us + 1)
        a, z = (s - first_pts) / 1e6, (e - first_pts) / 1e6 - 1e-6
        parts.append(f"drawbox=x={x0}:y={y0}:w={x1 - x0}:h={y1 - y0}:color=black:t=fill"
                     f":enable='between(t,{max(0.0, a):.6f},{z:.6f})'")
    return ",".join(parts)


def run_ffmpeg(video: Path, out: Path, vf: str, vfr: bool) -> dict[str, Any]:
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(video),
           "-vf", vf]
    if vfr:
        cmd += ["-fps_mode", "passthrough"]
    cmd += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", str(out)]
    c0, t0 = _children_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        harness.die(f"ffmpeg failed: {proc.stderr.strip()[-500:]}")
    return {"wall_s": wall, "cpu_s": _children_cpu() - c0,
            "frames": harness.video_info(out)["frames"], "bytes": out.stat().st_size,
            "cmd": " ".join(cmd[:9]) + " ... " + " ".join(cmd[-7:])}


# -- main -----------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60, help="length of the recording made")
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--runs", type=int, default=3, help="timed runs of each (median)")
    ap.add_argument("--recording", type=Path, help="render this bundle instead")
    ap.add_argument("--fresh", action="store_true", help="record a new input recording")
    ap.add_argument("--keep", action="store_true", help="keep the rendered files")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    harness.require_tools("ffmpeg")
    width, height = (int(v) for v in args.size.lower().split("x"))
    if args.recording:
        bundle = args.recording
    else:
        bundle = harness.OUT / f"render_speed-input-{width}x{height}-{args.seconds:g}s"
        if args.fresh or not (bundle / "manifest.json").is_file():
            print(f"recording {args.seconds:g} s of the typical-UI workload at {args.size} "
                  f"into {bundle} ...")
            record_typical(bundle, args.seconds, width, height)
        else:
            print(f"reusing the recording {bundle} (--fresh records a new one)")
    manifest = json.loads((bundle / "manifest.json").read_text())
    duration = int(manifest["duration_us"])
    video = bundle / manifest.get("video", {}).get("file", "video.mp4")
    kept = [(0, duration)]
    boxes = make_boxes(duration, width, height)
    plan = plan_render(bundle, kept, boxes)
    first_pts = plan.source.pts[0]
    vf = ffmpeg_filter(plan, first_pts)
    src_info = harness.video_info(video)
    result: dict[str, Any] = {
        "benchmark": "render_speed", "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": harness.machine_info(), "args": {k: str(v) for k, v in vars(args).items()},
        "input": {"bundle": str(bundle), "duration_s": duration / 1e6,
                  "size": f"{plan.width}x{plan.height}", "frames_stored": len(plan.source.pts),
                  "video_bytes": video.stat().st_size,
                  "settings": {k: manifest.get("video", {}).get(k)
                               for k in ("encoder", "preset", "crf", "gop_frames")}},
        "boxes": [b.to_dict() for b in plan.boxes], "notes": plan.notes,
        "ffmpeg_filter": vf, "targets": TARGETS, "runs": {},
    }
    print(f"input: {duration / 1e6:.1f} s at {plan.width}x{plan.height}, "
          f"{len(plan.source.pts)} stored frames ({src_info['frames']} in the video), "
          f"{video.stat().st_size / 1e6:.1f} MB; {len(boxes)} boxes; "
          f"{result['machine']['cpus']} CPU(s), load {result['machine']['loadavg_at_start']}")
    work = Path(tempfile.mkdtemp(prefix="render-speed-"))
    names = ("ours", "ffmpeg drawbox", "ffmpeg drawbox VFR")
    runs: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    try:
        for i in range(args.runs):
            # Alternate the order so that neither always runs on a warm cache.
            order = names if i % 2 == 0 else tuple(reversed(names))
            for name in order:
                out = work / f"{name.replace(' ', '-')}-{i}.mp4"
                if name == "ours":
                    r = run_ours(bundle, out, kept, boxes)
                else:
                    r = run_ffmpeg(video, out, vf, vfr=name.endswith("VFR"))
                r["x_real_time"] = duration / 1e6 / r["wall_s"]
                runs[name].append(r)
                print(f"  run {i + 1} {name:<20} {r['wall_s']:7.2f} s  "
                      f"{r['x_real_time']:6.2f}x real time  {r['frames']:6d} frames  "
                      f"cpu {r['cpu_s']:.1f} s")
        summary = {}
        for name in names:
            wall = median(r["wall_s"] for r in runs[name])
            cpu = median(r["cpu_s"] for r in runs[name])
            summary[name] = {"wall_s": wall, "x_real_time": duration / 1e6 / wall,
                             "cpu_s": cpu, "x_real_time_per_cpu_s": duration / 1e6 / cpu,
                             "frames": runs[name][-1]["frames"],
                             "mb": runs[name][-1]["bytes"] / 1e6}
        ours = summary["ours"]
        rows = [[n, s["wall_s"], s["x_real_time"], s["cpu_s"], s["x_real_time_per_cpu_s"],
                 s["frames"], s["mb"], summary[n]["wall_s"] / ours["wall_s"],
                 summary[n]["cpu_s"] / ours["cpu_s"]] for n, s in summary.items()]
        print()
        # "x per CPU s": recording seconds per CPU second, i.e. the speed on one dedicated
        # core; it does not depend on what else runs on the machine, the wall time does.
        print_table(["", "wall s", "x real time", "cpu s", "x per CPU s", "frames", "MB",
                     "wall / ours", "cpu / ours"], rows)
        print(f"  load average now {[round(x, 2) for x in os.getloadavg()]} on "
              f"{os.cpu_count()} CPU(s)")
        # Leak check of our last output (timed; not part of the speed target).
        t0 = time.perf_counter()
        report = leakcheck.check_render(work / f"ours-{args.runs - 1}.mp4", bundle, kept, boxes)
        check_s = time.perf_counter() - t0
        print(f"\nleak check of our output: {report.status} in {check_s:.2f} s "
              f"({duration / 1e6 / check_s:.1f}x real time)")
        for c in report.checks:
            print(f"  {c.name}: {c.status} - {c.summary}")
        for n in plan.notes:
            print(f"  note: {n}")
        ratio = summary["ffmpeg drawbox"]["wall_s"] / ours["wall_s"]
        ratio_vfr = summary["ffmpeg drawbox VFR"]["wall_s"] / ours["wall_s"]
        ok_speed = ours["x_real_time"] >= TARGETS["x_real_time_min"]
        print(f"\ntargets: ours {fmt(ours['x_real_time'])}x real time (>= 4x: "
              f"{'met' if ok_speed else 'NOT met'}); ffmpeg drawbox takes {fmt(ratio)}x our "
              f"time ({'faster' if ratio > 1 else 'NOT faster'}), its VFR variant "
              f"{fmt(ratio_vfr)}x")
        result["runs"] = runs
        result["summary"] = summary
        result["ratio_ffmpeg_over_ours"] = ratio
        result["ratio_ffmpeg_vfr_over_ours"] = ratio_vfr
        result["leak_check"] = {"status": report.status, "seconds": check_s,
                                "checks": [c.to_dict() for c in report.checks]}
        result["targets_met"] = {"x_real_time": ok_speed, "faster_than_ffmpeg": ratio > 1,
                                 "x_real_time_per_cpu_s": ours["x_real_time_per_cpu_s"]}
    finally:
        result["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        if args.keep:
            print(f"rendered files kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    path = harness.write_result("render_speed", result)
    print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
