"""Event-to-frame alignment of the recorder, measured from what it stored.

Starts its own Xvfb, the test window tests/apps/click_app.py (its colour and counter change on
every mouse press, through the colours of click_app.COLOURS) and our recorder
(``python -m annotator record --no-control``, full screen, 30 fps); xdotool then clicks the
window at random places (seeded) at random intervals of 0.2-0.7 s.  From the bundle:
- each click is the k-th ``mouse_down`` of events.jsonl, at time ``t``; after it the window
  shows colour_for(k);
- every stored frame of video.mp4 is decoded with PyAV (its pts is its capture time in us,
  checked against the frame index) and classified by the colour of two corners of the pad;
- the error of a click is the capture time of the first stored frame showing its new colour
  minus the click's ``t``;
- a click is a violation if the last stored frame captured strictly before it already shows
  the new colour (the video would show the effect before its cause).

Prints the error distribution in ms (min, median, p95, max), how many clicks were within one
and two frame intervals, and the violations (must be 0: the exit status is 1 otherwise).

    .venv/bin/python benchmarks/alignment.py [--clicks 50 | --seconds S] [--runs R]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import harness
import numpy as np
from harness import PYTHON, ROOT, Harness, fmt, percentile

sys.path.insert(0, str(ROOT))
from tests.apps.click_app import COLOURS, colour_for  # noqa: E402

WIN_X, WIN_Y, WIN_W, WIN_H = 100, 100, 800, 600
# Click area and colour patches, relative to the window (the pad fills its top 300+ pixels).
CLICK_BOX = (40, 40, 760, 260)
PATCHES = [(6, 6, 20, 20), (WIN_W - 26, 6, 20, 20)]
MAX_COLOUR_DIST = 60.0


def classify(rgb: np.ndarray) -> int | None:
    """Index into COLOURS of the pad's colour in a frame, or None if the corners disagree or
    match no colour closely."""
    found = []
    for px, py, pw, ph in PATCHES:
        x, y = WIN_X + px, WIN_Y + py
        mean = rgb[y:y + ph, x:x + pw].reshape(-1, 3).mean(axis=0)
        d = [float(np.linalg.norm(mean - np.array(c))) for c in COLOURS]
        i = int(np.argmin(d))
        found.append(i if d[i] <= MAX_COLOUR_DIST else None)
    return found[0] if found[0] is not None and all(f == found[0] for f in found) else None


def record_once(args: argparse.Namespace, h: Harness, xs: harness.XServer, workdir: Path,
                run_no: int, rnd: random.Random) -> dict[str, Any]:
    out = workdir / f"rec-{run_no}"
    app = h.spawn("click_app", [PYTHON, "-m", "tests.apps.click_app", "--geometry",
                                f"{WIN_X},{WIN_Y},{WIN_W},{WIN_H}"],
                  env=xs.env(), cwd=ROOT, stdout=subprocess.PIPE, grace_s=5)
    app.follow(app.proc.stdout)
    app.wait_for_line(lambda s: s.startswith("ready"), timeout=60)
    time.sleep(0.5)
    cmd = [PYTHON, "-m", "annotator", "record", "--no-control", "--yes", "--out", str(out),
           "--fps", f"{args.fps:g}", "--preset", args.preset]
    rec = h.spawn("annotator record", cmd, env=xs.env(ANNOTATOR_HOME=str(workdir / "home")),
                  cwd=ROOT, stderr=subprocess.PIPE, stop_signal=signal.SIGTERM, grace_s=60)
    rec.follow(rec.proc.stderr)
    rec.wait_for_line(lambda s: s.startswith("Recording to"), timeout=90)
    xdo = harness.Xdo(h, xs)
    sent = []
    try:
        time.sleep(1.0)
        t0 = time.monotonic()
        n = 0
        while True:
            if args.seconds is not None:
                if time.monotonic() - t0 >= args.seconds:
                    break
            elif n >= args.clicks:
                break
            x0, y0, x1, y1 = CLICK_BOX
            x, y = WIN_X + rnd.randint(x0, x1), WIN_Y + rnd.randint(y0, y1)
            xdo.send(f"mousemove {x} {y}", "click 1")
            sent.append((x, y))
            n += 1
            time.sleep(rnd.uniform(args.min_gap, args.max_gap))
        time.sleep(2.5)  # the recorder's keep-alive pushes the last change to disk
        if not rec.running():
            raise RuntimeError("the recorder exited early:\n  " + "\n  ".join(rec.lines[-10:]))
    finally:
        h.stop(rec)
        xdo.close()
        h.stop(app)
    presses = [s for s in app.lines if s.startswith("press ")]
    res = analyze(out, len(sent), args.fps)
    res["clicks_sent"] = len(sent)
    res["app_presses"] = len(presses)
    if not args.keep:
        shutil.rmtree(out, ignore_errors=True)
    return res


def analyze(bundle: Path, clicks_sent: int, fps: float) -> dict[str, Any]:
    events = [json.loads(s) for s in (bundle / "events.jsonl").read_text().splitlines()
              if s.strip()]
    downs = [e for e in events if e.get("kind") == "mouse_down" and e.get("button") == "left"]
    downs.sort(key=lambda e: e["t"])
    from annotator.bundle import Bundle

    index = Bundle.open(bundle).frames  # one row per grab, either bundle version
    stored_t = set(index.t[index.stored].tolist())
    grab_t = np.array(sorted(index.t.tolist()), dtype=np.int64)

    frames: list[tuple[int, int | None]] = []  # (capture time us, colour index)
    for pts, _t, rgb in harness.decode_frames(bundle / "video.mp4", "rgb24"):
        frames.append((int(pts), classify(rgb)))
    frames.sort()
    pts_not_in_index = sum(1 for t, _ in frames if t not in stored_t)
    times = np.array([t for t, _ in frames], dtype=np.int64)

    errors_ms: list[float] = []
    ages_ms: list[float] = []  # how old the newest grab before the click was
    per_click = []
    early = 0  # last frame before the click already shows the new state
    not_previous = 0  # last frame before the click shows neither state
    not_found = 0
    unknown_frames = sum(1 for _, c in frames if c is None)
    ptr = 0
    for k, ev in enumerate(downs, start=1):
        new = COLOURS.index(colour_for(k))
        old = COLOURS.index(colour_for(k - 1))
        t = int(ev["t"])
        g = int(np.searchsorted(grab_t, t, side="left")) - 1
        if g >= 0:
            ages_ms.append((t - int(grab_t[g])) / 1000)
        before = int(np.searchsorted(times, t, side="left")) - 1  # strictly before the click
        if before >= 0:
            c_before = frames[before][1]
            if c_before == new:
                early += 1
            elif c_before != old:
                not_previous += 1
        j = ptr
        while j < len(frames) and frames[j][1] != new:
            j += 1
        if j == len(frames):
            not_found += 1
            per_click.append({"k": k, "t": t, "error_ms": None})
            continue
        ptr = j
        err = (frames[j][0] - t) / 1000
        if err > 1000:  # a later cycle of the same colour: this state never reached the video
            not_found += 1
            per_click.append({"k": k, "t": t, "error_ms": None})
            continue
        errors_ms.append(err)
        per_click.append({"k": k, "t": t, "frame_t": frames[j][0], "error_ms": err})
    interval_ms = 1000 / fps
    return {
        "bundle": str(bundle),
        "mouse_downs": len(downs),
        "frames_decoded": len(frames),
        "frames_unclassified": unknown_frames,
        "decoded_pts_not_in_index": pts_not_in_index,
        "errors_ms": errors_ms,
        "pre_click_grab_age_ms": ages_ms,
        "per_click": per_click,
        "early": early,
        "not_previous": not_previous,
        "not_found": not_found,
        "within_1_interval": sum(1 for e in errors_ms if 0 <= e <= interval_ms),
        "within_2_intervals": sum(1 for e in errors_ms if 0 <= e <= 2 * interval_ms),
        "negative": sum(1 for e in errors_ms if e < 0),
        "clicks_sent": clicks_sent,
    }


def describe(errors: list[float]) -> dict[str, float]:
    if not errors:
        return {}
    return {"min": min(errors), "median": percentile(errors, 50), "p95": percentile(errors, 95),
            "max": max(errors), "mean": float(np.mean(errors))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clicks", type=int, default=50, help="clicks per run (default 50)")
    ap.add_argument("--seconds", type=float,
                    help="instead of --clicks: keep clicking for this many seconds")
    ap.add_argument("--runs", type=int, default=1, help="recordings (default 1); pooled")
    ap.add_argument("--min-gap", type=float, default=0.2)
    ap.add_argument("--max-gap", type=float, default=0.7)
    ap.add_argument("--fps", type=float, default=30.0)
    ap.add_argument("--preset", default="veryfast")
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", action="store_true", help="keep the bundles")
    ap.add_argument("--workdir", type=Path)
    args = ap.parse_args(argv)
    harness.require_tools("Xvfb", "xdotool")
    w, hgt = (int(v) for v in args.size.lower().split("x"))
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="annotator-align-"))
    workdir.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(args.seed)
    interval_ms = 1000 / args.fps
    machine = harness.machine_info()
    print(f"alignment: Xvfb {args.size}, recorder full screen at {args.fps:g} fps (frame "
          f"interval {interval_ms:.1f} ms), preset {args.preset}; {machine['cpus']} CPU(s), "
          f"load average {machine['loadavg_at_start']}")
    runs: list[dict[str, Any]] = []
    rc = 0
    try:
        with Harness() as h:
            xs = harness.start_xvfb(h, w, hgt)
            for r in range(1, args.runs + 1):
                res = record_once(args, h, xs, workdir, r, rnd)
                runs.append(res)
                d = describe(res["errors_ms"])
                print(f"  run {r}: {res['clicks_sent']} clicks sent, {res['app_presses']} seen by "
                      f"the app, {res['mouse_downs']} recorded; {res['frames_decoded']} frames "
                      f"decoded; error ms min {fmt(d.get('min'), 1)} median "
                      f"{fmt(d.get('median'), 1)} p95 {fmt(d.get('p95'), 1)} max "
                      f"{fmt(d.get('max'), 1)}; early {res['early']}", flush=True)
    except (KeyboardInterrupt, harness.Interrupted):
        print("\ninterrupted: every process started was stopped", file=sys.stderr)
        rc = 130
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    if not runs:
        return rc or 1

    errors = [e for r in runs for e in r["errors_ms"]]
    total = sum(r["mouse_downs"] for r in runs)
    d = describe(errors)
    early = sum(r["early"] for r in runs)
    print(f"\nevent-to-frame error over {len(errors)} click(s) in {len(runs)} run(s) "
          "(first stored frame showing the click's new colour, capture time minus the "
          "click's t):")
    harness.print_table(["", "min", "median", "p95", "max", "mean"],
                        [["ms", d.get("min"), d.get("median"), d.get("p95"), d.get("max"),
                          d.get("mean")]])
    if errors:
        edges = list(range(0, int(max(errors) // 10 + 2) * 10, 10))
        hist, _ = np.histogram(errors, bins=edges)
        print("  histogram (ms): " + ", ".join(f"{a}-{a + 10}: {n}"
                                               for a, n in zip(edges, hist, strict=False) if n))
    ages = [a for r in runs for a in r["pre_click_grab_age_ms"]]
    a = describe(ages)
    print(f"  age of the newest grab before each click (the 'before' screenshot of a step), "
          f"ms: min {fmt(a.get('min'), 1)}, median {fmt(a.get('median'), 1)}, p95 "
          f"{fmt(a.get('p95'), 1)}, max {fmt(a.get('max'), 1)}")
    w1 = sum(r["within_1_interval"] for r in runs)
    w2 = sum(r["within_2_intervals"] for r in runs)
    print(f"  within one frame interval ({interval_ms:.1f} ms): {w1}/{total}; within two "
          f"({2 * interval_ms:.1f} ms): {w2}/{total}")
    checks = [
        ("clicks recorded = clicks sent",
         all(r["mouse_downs"] == r["clicks_sent"] == r["app_presses"] for r in runs),
         ", ".join(f"{r['mouse_downs']}/{r['clicks_sent']}" for r in runs)),
        ("clicks whose last frame strictly before them already showed the new state (must "
         "be 0)", early == 0, early),
        ("clicks whose last frame before them did not show the previous state",
         sum(r["not_previous"] for r in runs) == 0, sum(r["not_previous"] for r in runs)),
        ("clicks whose new state never appeared in the video",
         sum(r["not_found"] for r in runs) == 0, sum(r["not_found"] for r in runs)),
        ("clicks shown within two frame intervals", w2 == total, f"{w2}/{total}"),
        ("decoded frames whose pts is not a stored capture time in the frame index",
         sum(r["decoded_pts_not_in_index"] for r in runs) == 0,
         sum(r["decoded_pts_not_in_index"] for r in runs)),
    ]
    for name, ok, val in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {name}: {val}")
    unclassified = sum(r["frames_unclassified"] for r in runs)
    if unclassified:
        print(f"  note: {unclassified} decoded frame(s) matched no colour of the app")
    result = {"benchmark": "alignment", "args": {k: v for k, v in vars(args).items()
                                                 if k != "workdir"},
              "machine": machine, "summary": d, "pre_click_grab_age": a, "within_1_interval": w1,
              "within_2_intervals": w2, "clicks": total, "early": early,
              "checks": [{"name": n, "pass": ok, "value": v} for n, ok, v in checks],
              "runs": runs}
    path = harness.write_result("alignment", result)
    print(f"\nresults: {path}")
    if rc == 0 and not checks[1][1]:
        rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
