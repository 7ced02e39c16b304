"""Redaction of real applications recorded with the real recorder, checked in ink.

On a private Xvfb (1920x1080): a real terminal (xterm, DejaVu Sans Mono 11 pt) showing an
env file, and three real Qt applications (benchmarks/workloads/pii_apps.py): a form with
values left-aligned, right-aligned and centred in their fields, a table, and an HTML page
in a QTextBrowser.  ``annotator record`` records the whole screen while xdotool types the
``cat`` command into the terminal and an e-mail address into an empty field of the form.
Then, as a contributor would: ``annotator redact --suggest --accept-all`` and ``annotator
render --json`` (the leak check, fragments included).

Measured, for every planted value (32), on the last picture of the recording: its ink (the
pixels of its rectangles, as the applications report them, one per line a value is laid
out on, that differ from the background; the terminal's from its character grid) must all
lie under a fill: the renderer's filled rectangles on that frame, and, on the decoded
output, the same redactions rendered again with a magenta fill (every ink pixel must be
magenta there).  The contributor's render must pass its leak check (which reads every
frame, not only the last).  Then one accepted box is shortened by two characters and
rendered again: the leak check must fail with the fragment named.  The last pictures,
rendered, are written to the --keep folder (rendered.png, rendered-magenta.png).

    .venv/bin/python benchmarks/redaction_real_apps.py [--keep DIR]

Needs Xvfb, xdotool, xterm (Debian: xvfb xdotool xterm) and Tesseract.  Exit status 1 if a
value is left readable or the shortened box is not caught.  Results: benchmarks/out/.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import (  # noqa: E402
    PYTHON,
    ROOT,
    Harness,
    Xdo,
    XServer,
    die,
    require_tools,
    start_xvfb,
)

OUT = Path(__file__).resolve().parent / "out"
TERM_COLS, TERM_ROWS, BORDER = 110, 30, 2
ENV = [  # what the terminal shows: (line, value or None, kind)
    ("# staging credentials (rotate after the demo)", None, ""),
    ("CONTACT_EMAIL=olivia.garcia64@fabrikam.de", "olivia.garcia64@fabrikam.de", "email"),
    ("SUPPORT_PHONE=+44 20 7946 0958", "+44 20 7946 0958", "phone"),
    ("CARD=4111 1111 1111 1111", "4111 1111 1111 1111", "card"),
    ("IBAN=DE89 3704 0044 0532 0130 00", "DE89 3704 0044 0532 0130 00", "iban"),
    ("DB_HOST=10.42.7.19", "10.42.7.19", "ipv4"),
    ("GITHUB_TOKEN=ghp_Zq3Xw8Rt5Yu1Io7Pa4Sd9Fg2Hj6Kl0Mn3Bv5", "ghp_Zq3Xw8Rt5Yu1Io7Pa4Sd9Fg2Hj6Kl0Mn3Bv5",
     "api_key"),
    ("OPENAI_API_KEY=sk-proj-Xy7Qp2Lm9Rt4Vw8Zk3Nb6Hs1Df5Gj0Ka", "sk-proj-Xy7Qp2Lm9Rt4Vw8Zk3Nb6Hs1Df5Gj0Ka",
     "api_key"),
]


def run(args: list[str], env: dict[str, str], timeout: float = 1800) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-m", "annotator", *args], env=env, cwd=ROOT, text=True,
                          capture_output=True, timeout=timeout)


def window_geometry(env: dict[str, str], name: str) -> tuple[int, int, int, int]:
    wid = subprocess.run(["xdotool", "search", "--sync", "--name", name], env=env, text=True,
                         capture_output=True, timeout=30).stdout.split()[0]
    out = subprocess.run(["xdotool", "getwindowgeometry", "--shell", wid], env=env, text=True,
                         capture_output=True, timeout=30).stdout
    g = dict(line.split("=", 1) for line in out.split() if "=" in line)
    return int(g["X"]), int(g["Y"]), int(g["WIDTH"]), int(g["HEIGHT"])


def terminal_values(geom: tuple[int, int, int, int], first_row: int) -> list[dict[str, Any]]:
    """The terminal's values and their character cells (xterm's grid: its size over the
    columns and rows it was asked for, inside its 2-pixel border)."""
    x, y, w, h = geom
    cw, ch = (w - 2 * BORDER) / TERM_COLS, (h - 2 * BORDER) / TERM_ROWS
    out = []
    for i, (line, value, kind) in enumerate(ENV):
        if value is None:
            continue
        col = line.index(value)
        row = first_row + i
        out.append({"text": value, "kind": kind, "app": "terminal",
                    "rect": [int(x + BORDER + col * cw), int(y + BORDER + row * ch),
                             int(round(len(value) * cw)) + 1, int(round(ch)) + 1]})
    return out


def value_ink(gray: np.ndarray, rect: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The pixels of a value's rectangle (one pixel around it) that differ from its most
    common level by more than 40: its glyphs' ink (anti-aliasing included)."""
    x, y, w, h = rect
    x0, y0 = max(0, x - 1), max(0, y - 1)
    region = gray[y0:y + h + 1, x0:x + w + 1].astype(int)
    if region.size == 0:
        return np.zeros(0, int), np.zeros(0, int)
    vals, counts = np.unique(region // 4, return_counts=True)
    bg = vals[np.argmax(counts)] * 4 + 2
    ys, xs = np.nonzero(np.abs(region - bg) > 40)
    return ys + y0, xs + x0


def covered(values: list[dict[str, Any]], gray: np.ndarray, fills: list[tuple[int, ...]]
            ) -> list[dict[str, Any]]:
    H, W = gray.shape
    under = np.zeros((H, W), bool)
    for x0, y0, x1, y1 in fills:
        under[y0:y1, x0:x1] = True
    rows = []
    for v in values:
        rects = v.get("rects") or ([v["rect"]] if v.get("rect") else [])
        if not rects:
            rows.append(dict(v, ink=0, readable=-1))
            continue
        ink = readable = 0
        for rect in rects:
            ys, xs = value_ink(gray, rect)
            ink += int(ys.size)
            readable += int((~under[ys, xs]).sum())
        rows.append(dict(v, ink=ink, readable=readable if ink else -1))
    return rows


def xvfb_at(h: Harness, display: str) -> XServer:
    """Xvfb at a given display number (a shared machine's own range), 1920x1080."""
    num = display.lstrip(":")
    sock = Path(f"/tmp/.X11-unix/X{num}")
    if sock.exists():
        die(f"display {display} is in use; give another with --display")
    child = h.spawn("Xvfb", ["Xvfb", display, "-screen", "0", "1920x1080x24", "-nolisten", "tcp",
                             "+extension", "RECORD", "-noreset"], grace_s=5)
    deadline = time.monotonic() + 20
    while not sock.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    if not sock.exists():
        die(f"Xvfb did not start at {display}")
    return XServer(display, child, 1920, 1080)


def record_apps(workdir: Path, display: str | None = None) -> tuple[Path, list[dict[str, Any]]]:
    """Record the four applications (on a private Xvfb, at ``display`` if given); returns
    the recording and the planted values."""
    require_tools("Xvfb", "xdotool", "xterm")
    env_file = workdir / "env.txt"
    env_file.write_text("".join(line + "\n" for line, _v, _k in ENV))
    with Harness() as h:
        xs = xvfb_at(h, display) if display else start_xvfb(h)
        env = xs.env(ANNOTATOR_HOME=str(workdir / "ws"))
        h.spawn("xterm", ["xterm", "-fa", "DejaVu Sans Mono", "-fs", "11", "-geometry",
                          f"{TERM_COLS}x{TERM_ROWS}+0+0", "-bg", "white", "-fg", "black",
                          "-T", "terminal", "-e", "bash", "--norc", "--noprofile"],
                env=dict(env, PS1="$ "), cwd=workdir)
        apps = h.spawn("pii_apps", [PYTHON, str(ROOT / "benchmarks/workloads/pii_apps.py"),
                                    "960,0"], env=env, stdin=subprocess.PIPE,
                       stdout=subprocess.PIPE, stderr=None)  # bytes: the reader reads what is there
        apps.follow(apps.proc.stdout)
        ready = json.loads(apps.wait_for_line(lambda s: s.startswith("ready "), 60)[6:])
        term = window_geometry(env, "terminal")
        xdo = Xdo(h, xs)
        out = workdir / "rec"
        rec = h.spawn("recorder", [PYTHON, "-m", "annotator", "record", "--no-control",
                                   "--yes", "--out", str(out)], env=env, cwd=ROOT,
                      stop_signal=signal.SIGINT, grace_s=60)
        deadline = time.monotonic() + 60
        while not (out / "manifest.json").exists():
            if time.monotonic() > deadline or not rec.running:
                die("the recorder did not start")
            time.sleep(0.1)
        time.sleep(1.0)
        xdo.send(f"mousemove {term[0] + 200} {term[1] + 100}", "click 1",
                 "type --delay 60 'cat env.txt'", "key Return")
        time.sleep(2.0)
        fx, fy = ready["typed_field"]
        xdo.send(f"mousemove {fx} {fy}", "click 1", "type --delay 80 marta.rossi@contoso.com")
        time.sleep(3.0)
        apps.proc.stdin.write(b"measure\n")
        apps.proc.stdin.flush()
        typed = json.loads(apps.wait_for_line(lambda s: s.startswith("typed "), 30)[6:])
        time.sleep(1.5)
        h.stop(rec, 60)
        xdo.close()
    values = terminal_values(term, first_row=1) + ready["values"] + [typed]
    (workdir / "values.json").write_text(json.dumps(values, indent=1))
    return out, values


MAGENTA = (255, 0, 255)  # a fill no text on these screens has


def rendered_readable(values: list[dict[str, Any]], gray: np.ndarray, folder: Path,
                      workdir: Path) -> tuple[list[int], np.ndarray, np.ndarray]:
    """The same redactions rendered again by the real renderer with a magenta fill, the last
    picture decoded: per value, its ink pixels (from the recording's last picture) that are
    not magenta in the output.  Also the decoded pictures, magenta and black."""
    from annotator.media.render import render_video
    from annotator.media.video import VideoReader
    from annotator.submission.render import plan_from_edits

    plan = plan_from_edits(folder)
    out = workdir / "magenta.mp4"
    render_video(folder, out, plan.kept_ranges, plan.boxes, fill=MAGENTA)
    with VideoReader(out) as r:
        rgb = r.frame_at(r.all_pts()[-1]).rgb
    with VideoReader(workdir / "out.mp4") as r:
        black = r.frame_at(r.all_pts()[-1]).rgb
    fill = np.abs(rgb.astype(int) - np.array(MAGENTA)).sum(axis=2) <= 120
    counts = []
    for v in values:
        n = 0
        for rect in v.get("rects") or ([v["rect"]] if v.get("rect") else []):
            ys, xs = value_ink(gray, rect)
            n += int((~fill[ys, xs]).sum())
        counts.append(n)
    return counts, rgb, black


def last_picture(folder: Path) -> tuple[int, np.ndarray]:
    from annotator.bundle.reader import Bundle
    from annotator.media.video import VideoReader
    from annotator.redaction.ink import gray

    b = Bundle.open(folder)
    fi = b.frames
    last = int(max(fi.pts[fi.stored]))
    with VideoReader(b.video_path) as r:
        f = r.frame_at(last)
    return last, gray(f.rgb)


def shortened_box_check(folder: Path, env: dict[str, str], workdir: Path) -> dict[str, Any]:
    """Shorten one accepted e-mail box by two characters and render again."""
    from annotator.edits import EditSession
    from annotator.steps import load_or_derive

    doc = load_or_derive(folder)
    with EditSession.open(folder, steps=doc.steps) as s:
        boxes = [r for r in s.edits.redactions if r.get("kind") == "box"
                 and r.get("detector") == "email" and r["rect"] != "full"]
        box = max(boxes, key=lambda r: r["rect"][0])  # the right-most: the HTML page's
        x, y, w, h = box["rect"]
        cut = int(round(2 * h * 0.55))  # two characters of a proportional font at that height
        s.update_box(box["id"], rect=[x, y, w - cut, h], name="Shorten for the benchmark")
    res = run(["render", str(folder), "--out", str(workdir / "short.mp4"), "--json"], env)
    report = json.loads(res.stdout) if res.stdout.strip().startswith("{") else {}
    items = [i for i in report.get("items", []) if i.get("check") == "fragments"]
    with EditSession.open(folder, steps=doc.steps) as s:
        s.undo()
    return {"box_id": box["id"], "cut_px": cut, "exit_status": res.returncode,
            "fragments": [{k: i.get(k) for k in ("key", "description", "text", "blocking")}
                          for i in items]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--keep", type=Path, help="keep the recording and outputs here")
    ap.add_argument("--display", help="the Xvfb's display number (e.g. :110; default: the "
                                      "first free one)")
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="redaction-real-apps-"))
    try:
        t0 = time.perf_counter()
        folder, values = record_apps(workdir, args.display)
        env = dict(os.environ, ANNOTATOR_HOME=str(workdir / "ws"), QT_QPA_PLATFORM="offscreen")
        t1 = time.perf_counter()
        res = run(["redact", str(folder), "--suggest", "--accept-all"], env)
        if res.returncode:
            die(f"annotator redact failed: {res.stderr}")
        t2 = time.perf_counter()
        res = run(["render", str(folder), "--out", str(workdir / "out.mp4"), "--json"], env)
        report = json.loads(res.stdout)
        t3 = time.perf_counter()
        from annotator.media.render import plan_render
        from annotator.submission.render import plan_from_edits

        plan = plan_from_edits(folder)
        rplan = plan_render(folder, plan.kept_ranges, plan.boxes)
        last, gray = last_picture(folder)
        fills = [b.fill_rect for b in rplan.active_at_source(last)]
        rows = covered(values, gray, fills)
        decoded, magenta, black = rendered_readable(values, gray, folder, workdir)
        for r, n in zip(rows, decoded, strict=True):
            r["readable_decoded"] = n
        import cv2

        for name, pic in (("rendered-magenta", magenta), ("rendered", black)):
            cv2.imwrite(str(workdir / f"{name}.png"), pic[:, :, ::-1])
        short = shortened_box_check(folder, env, workdir)
        bad = [r for r in rows if r["readable"] != 0 or r["readable_decoded"] != 0]
        caught = short["exit_status"] == 1 and any(
            f["key"] == f"{short['box_id']}:right" for f in short["fragments"])
        print(f"\n{len(rows)} planted values in 4 applications; leak check: "
              f"{report['leak_check']['status']}")
        for r in rows:
            state = "hidden" if r["readable"] == 0 == r["readable_decoded"] else (
                "NO RECTANGLE" if r["readable"] < 0 else
                f"{r['readable']}/{r['readable_decoded']} px READABLE")
            print(f"  {r['app']:9s} {r['kind']:8s} {state:18s} ({r['ink']} px of ink) {r['text']}")
        print(f"\nshortened box {short['box_id']} by {short['cut_px']} px: exit status "
              f"{short['exit_status']}")
        for f in short["fragments"]:
            print(f"  - {f['description']}: {f.get('text')!r} (key {f['key']})")
        print(f"\nrecorded in {t1 - t0:.0f} s; suggestions {t2 - t1:.0f} s; render and leak "
              f"check {t3 - t2:.0f} s; load average {os.getloadavg()[0]:.1f}")
        result = {"benchmark": "redaction_real_apps",
                  "time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                  "values": [{k: r[k] for k in ("app", "kind", "ink", "readable", "readable_decoded")}
                             for r in rows],
                  "leak_check": report["leak_check"]["status"],
                  "leak_check_items": [{k: i.get(k) for k in ("check", "description",
                                                             "blocking")}
                                       for i in report.get("items", [])],
                  "shortened": {k: v for k, v in short.items() if k != "fragments"},
                  "shortened_caught": caught,
                  "seconds": {"record": t1 - t0, "suggest": t2 - t1, "render_check": t3 - t2},
                  "load_avg_1m": os.getloadavg()[0]}
        path = OUT / f"redaction_real_apps-{time.strftime('%Y%m%d-%H%M%S')}.json"
        path.write_text(json.dumps(result, indent=1))
        print(f"written {path}")
        ok = not bad and caught and report["leak_check"]["status"] == "passed"
        print("\nPASSED" if ok else "\nFAILED")
        return 0 if ok else 1
    finally:
        if args.keep:
            shutil.copytree(workdir, args.keep, dirs_exist_ok=True)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
