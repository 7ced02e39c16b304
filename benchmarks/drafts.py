"""How well and how fast the drafter names what each click acted on.

1. Record: a private Xvfb with a session D-Bus and the AT-SPI bus, the generated screens of
   ``workloads/control_screens.py`` (forms, toolbars, menus, tables, dialogs, file lists;
   light and dark; 12-18 px text; accessibility on), the real recorder (``annotator
   record``), and xdotool clicking every control at a random point inside it (double and
   right clicks on some rows and cells), typing into fields, opening menus and choosing an
   item.  The screens report where each control is and its visible text: the truth.
   ``--real-apps`` records real Debian applications the same way (gtk3-widget-factory for
   GTK, FeatherPad for Qt), their controls found by name in their accessibility tree.
2. Draft every click step of the recording three ways: with accessibility (the recorder's
   elements), with OCR only (the same recording, elements ignored), and with the reference
   drafter, which only says the window title and the coordinates.  Drafting runs on one
   core (the process is pinned to it).
3. Score: a click is right when its draft names the control exactly as its visible text
   reads (``Send…`` and ``Send`` are the same; case and every character count) and is not
   weak.  Weak drafts count as wrong; the weak rate is reported.  Unlabelled icon buttons
   must come out weak, and rows holding an e-mail address must never be quoted: both are
   reported apart and left out of the share.

Run: ``.venv/bin/python benchmarks/drafts.py`` (about 10 minutes), ``--screens 6`` for a
quick look, ``--keep`` to keep the recordings and ``--bundle DIR`` to score one again.
Results go to ``benchmarks/out/drafts-*.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import (  # noqa: E402
    PYTHON,
    ROOT,
    Harness,
    die,
    machine_info,
    print_table,
    start_xvfb,
    write_result,
)

WIDTH, HEIGHT = 1280, 800
LAUNCHER = "/usr/libexec/at-spi-bus-launcher"
CLICK_TYPES = ("click", "double_click", "triple_click", "right_click", "middle_click")


# -- the session: X, D-Bus, accessibility bus ------------------------------------------------
def start_session(h: Harness, xs: Any, tmp: Path) -> dict[str, str]:
    """A session D-Bus with the AT-SPI bus launcher; returns the environment to run in."""
    from jeepney import new_method_call
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    if not shutil.which("dbus-daemon") or not os.path.exists(LAUNCHER):
        die("dbus-daemon and at-spi2-core are needed (apt-get install dbus at-spi2-core)")
    run = tmp / "xdg-run"
    run.mkdir(mode=0o700, parents=True, exist_ok=True)
    env = xs.env(XDG_RUNTIME_DIR=str(run), ANNOTATOR_HOME=str(tmp / "ws"))
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    env.pop("AT_SPI_BUS_ADDRESS", None)
    bus = h.spawn("dbus-daemon", ["dbus-daemon", "--nofork", "--session", "--print-address=1"],
                  env=env, stdout=subprocess.PIPE, text=True, grace_s=3)
    address = bus.proc.stdout.readline().strip()
    if not address:
        die("dbus-daemon did not start")
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    h.spawn("at-spi-bus-launcher", [LAUNCHER, "--launch-immediately"], env=env, grace_s=3)
    deadline = time.monotonic() + 15
    while True:
        with open_dbus_connection(address) as conn:
            r = conn.send_and_get_reply(new_method_call(message_bus, "NameHasOwner", "s",
                                                        ("org.a11y.Bus",)), timeout=2)
        if r.body[0]:
            return env
        if time.monotonic() > deadline:
            die("at-spi-bus-launcher did not register org.a11y.Bus")
        time.sleep(0.05)


def xdo(env: dict[str, str], *args: str) -> None:
    subprocess.run(["xdotool", *args], env=env, check=True, timeout=60)


def point_in(box: list[int], rng: random.Random, kind: str) -> tuple[int, int]:
    """Where a person would click in a control: anywhere well inside it (the middle 60 % of
    its width and height; a wide row or field is clicked anywhere along it)."""
    x, y, w, h = box
    fx = 0.8 if kind in ("field", "item", "cell") else 0.6
    px = x + w / 2 + (rng.random() - 0.5) * w * fx
    py = y + h / 2 + (rng.random() - 0.5) * h * 0.5
    return int(px), int(py)


# -- recording the generated screens ---------------------------------------------------------
def record_screens(h: Harness, env: dict[str, str], out: Path, screens: int, seed: int,
                   start: int = 0) -> list[dict[str, Any]]:
    """Record clicks on ``screens`` generated screens into ``out``; returns the truth, one
    entry per click in order."""
    app_env = env | {"QT_ACCESSIBILITY": "1", "QT_LINUX_ACCESSIBILITY_ALWAYS_ON": "1"}
    app = h.spawn("control-screens", [PYTHON, "-m", "benchmarks.workloads.control_screens",
                                      "--seed", str(seed)],
                  env=app_env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                  grace_s=3)
    app.follow(app.proc.stdout)
    app.wait_for_line(lambda ln: ln.startswith("ready"), 30)
    time.sleep(1.5)  # registered with the accessibility bus
    rec = start_recorder(h, env, out)
    rng = random.Random(seed)
    truth: list[dict[str, Any]] = []
    try:
        for k in range(start, start + screens):
            app.proc.stdin.write(f"show {k}\n".encode())
            app.proc.stdin.flush()
            line = app.wait_for_line(lambda ln: ln.startswith("screen "), 30)
            screen = json.loads(line[len("screen "):])
            time.sleep(0.5)
            controls = list(screen["controls"])
            if screen["kind"] == "menu":
                rng.shuffle(controls)
                controls = controls[:3]
            else:
                rng.shuffle(controls)
            for c in controls:
                x, y = point_in(c["box"], rng, c["kind"])
                action = c.get("action", "click")
                truth.append(_truth(screen, c, x, y, action))
                xdo(env, "mousemove", str(x), str(y))
                time.sleep(0.3)
                if action == "double_click":
                    xdo(env, "click", "--repeat", "2", "--delay", "90", "1")
                else:
                    xdo(env, "click", "3" if action == "right_click" else "1")
                time.sleep(0.35)
                if c.get("type"):
                    xdo(env, "type", "--delay", "70", c["type"])
                    time.sleep(0.4)
                    truth[-1]["typed"] = c["type"]
                if c.get("opens"):
                    pl = app.wait_for_line(lambda ln: ln.startswith("popup "), 10)
                    items = json.loads(pl[len("popup "):])["items"]
                    item = rng.choice(items)
                    x, y = point_in(item["box"], rng, "item")
                    truth.append(_truth(screen, item, x, y, "click"))
                    xdo(env, "mousemove", str(x), str(y))
                    time.sleep(0.3)
                    xdo(env, "click", "1")
                    time.sleep(0.5)
                if action == "double_click" and c["kind"] == "cell":
                    xdo(env, "key", "Escape")  # leave the cell editor a double click opened
                    time.sleep(0.3)
            print(f"  screen {k + 1}/{start + screens} ({screen['kind']}, "
                  f"{'dark' if screen['dark'] else 'light'}, {screen['px']} px): "
                  f"{len(truth)} clicks so far", flush=True)
    finally:
        stop_recorder(h, rec)
        app.proc.stdin.write(b"quit\n")
        app.proc.stdin.flush()
        h.stop(app)
    return truth


def _truth(screen: dict[str, Any], c: dict[str, Any], x: int, y: int, action: str
           ) -> dict[str, Any]:
    return {"x": x, "y": y, "action": action, "text": c["text"], "kind": c["kind"],
            "screen": screen.get("k"), "screen_kind": screen.get("kind"),
            "dark": screen.get("dark"), "px": screen.get("px"), "font": screen.get("font"),
            "labelled": c.get("labelled", True), "unlabelled": bool(c.get("unlabelled")),
            "sensitive": bool(c.get("sensitive")), "app": screen.get("app", "generated")}


def start_recorder(h: Harness, env: dict[str, str], out: Path) -> Any:
    rec = h.spawn("recorder", [PYTHON, "-m", "annotator", "record", "--no-control", "--yes",
                               "--out", str(out)], env=env, cwd=ROOT, grace_s=60,
                  stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not (out / "manifest.json").is_file():
        if time.monotonic() > deadline or not rec.running():
            die(f"the recorder did not start: {rec.proc.stderr.read() if rec.proc.stderr else ''}")
        time.sleep(0.1)
    time.sleep(1.0)
    return rec


def stop_recorder(h: Harness, rec: Any) -> None:
    h.stop(rec, timeout=120)


# -- scoring ---------------------------------------------------------------------------------
def norm(text: str | None) -> str:
    from annotator.drafts.phrasing import clean_name

    return clean_name(text or "")


def reference_draft(step: Any) -> tuple[str, None]:
    """The plain reference: the window title and the coordinates."""
    verb = {"click": "Click", "double_click": "Double-click",
            "right_click": "Right-click"}.get(step.type, "Click")
    return f'{verb} ({step.x}, {step.y}) in "{step.window_title}"', None


def score(bundle: Path, truth: list[dict[str, Any]], *, cores: int = 1) -> dict[str, Any]:
    from annotator.drafts.drafter import Drafter
    from annotator.drafts.frames import BundleFrames
    from annotator.drafts.inputs import BundleContext, derived_inputs
    from annotator.drafts.privacy import Guard
    from annotator.steps import load_or_derive

    doc = load_or_derive(bundle)
    steps = doc.steps
    clicks = [i for i, s in enumerate(steps) if s.type in CLICK_TYPES]
    if len(clicks) != len(truth):
        print(f"  warning: {len(clicks)} click steps for {len(truth)} clicks made",
              file=sys.stderr)
    pairs = []
    j = 0
    for t in truth:  # in order; a click the recorder lost is skipped, never misaligned
        while j < len(clicks) and abs(steps[clicks[j]].x - t["x"]) + abs(
                steps[clicks[j]].y - t["y"]) > 3:
            j += 1
        if j >= len(clicks):
            break
        pairs.append((clicks[j], t))
        j += 1
    from annotator.bundle.reader import Bundle

    ctx = BundleContext(Bundle.open(bundle))
    with_a11y = derived_inputs(steps, ctx)
    ocr_only = derived_inputs(steps, ctx)
    for si in ocr_only:
        si.element = None
        si.focus = None
    if cores:
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:cores]))
    results: dict[str, Any] = {"clicks_made": len(truth), "clicks_matched": len(pairs)}
    for mode, inputs in (("a11y", with_a11y), ("ocr", ocr_only)):
        frames = BundleFrames(bundle, bundle / "video.mp4")
        drafter = Drafter(Guard(), frames, context=ctx if mode == "a11y" else None)
        times, cpu = [], []
        drafts = {}
        for i, _t in pairs:
            w0, c0 = time.perf_counter(), time.thread_time()
            drafts[i] = drafter.draft(inputs, i)
            times.append(time.perf_counter() - w0)
            cpu.append(time.thread_time() - c0)
        frames.close()
        results[mode] = _tally(pairs, drafts, times, cpu)
    times = []
    for i, _t in pairs:
        w0 = time.perf_counter()
        reference_draft(steps[i])
        times.append(time.perf_counter() - w0)
    results["reference"] = {"scored": sum(1 for _, t in pairs if _scored(t)), "right": 0,
                            "right_share": 0.0, "weak_share": 0.0,
                            "ms_per_step": 1000 * statistics.fmean(times) if times else 0.0}
    results["typing"] = _typing(bundle, steps, pairs, with_a11y, ctx)
    return results


def _scored(t: dict[str, Any]) -> bool:
    return bool(t["text"]) and not t["unlabelled"] and not t["sensitive"]


def _tally(pairs: list[tuple[int, dict[str, Any]]], drafts: dict[int, Any],
           times: list[float], cpu: list[float]) -> dict[str, Any]:
    from annotator.redaction.detect import Detector

    det = Detector()
    right = weak = wrong = 0
    by: dict[str, list[int]] = {}
    misses = []
    icons = icons_weak = sensitive = leaks = 0
    for i, t in pairs:
        d = drafts[i]
        if t["unlabelled"]:
            icons += 1
            icons_weak += int(d.weak)
            continue
        if t["sensitive"]:
            sensitive += 1
            leaks += int(bool(det.detect(d.text)) or t["text"].lower() in d.text.lower())
            continue
        if not _scored(t):
            continue
        name = d.target.name if d.target is not None else None
        ok = not d.weak and norm(name) == norm(t["text"])
        right += ok
        weak += int(d.weak)
        wrong += int(not ok and not d.weak)
        for key in (f"kind:{t['kind']}", f"theme:{'dark' if t['dark'] else 'light'}",
                    f"px:{t['px']}", f"font:{t['font']}", f"app:{t['app']}"):
            by.setdefault(key, [0, 0])
            by[key][0] += int(ok)
            by[key][1] += 1
        if not ok:
            misses.append({"truth": t["text"], "kind": t["kind"], "draft": d.text,
                           "weak": d.weak, "why": d.why, "px": t["px"], "dark": t["dark"],
                           "font": t["font"], "source": d.target.source if d.target else None})
    n = right + weak + wrong
    return {"scored": n, "right": right, "right_share": right / n if n else 0.0,
            "weak_share": weak / n if n else 0.0, "wrong_share": wrong / n if n else 0.0,
            "ms_per_step": 1000 * statistics.fmean(times) if times else 0.0,
            "ms_p95": 1000 * sorted(times)[int(0.95 * (len(times) - 1))] if times else 0.0,
            "cpu_ms_per_step": 1000 * statistics.fmean(cpu) if cpu else 0.0,
            "icons": icons, "icons_weak": icons_weak, "sensitive": sensitive,
            "sensitive_quoted": leaks, "by": {k: {"right": v[0], "n": v[1]}
                                             for k, v in sorted(by.items())},
            "misses": misses}


def _typing(bundle: Path, steps: list[Any], pairs: list[tuple[int, dict[str, Any]]],
            inputs: list[Any], ctx: Any) -> dict[str, Any]:
    """Typing after a click into a labelled field: is the field named?"""
    from annotator.drafts.drafter import Drafter
    from annotator.drafts.frames import BundleFrames
    from annotator.drafts.privacy import Guard

    out = {}
    for mode in ("a11y", "ocr"):
        ins = inputs
        if mode == "ocr":
            ins = [type(s)(**{**s.__dict__, "element": None, "focus": None}) for s in inputs]
        frames = BundleFrames(bundle, bundle / "video.mp4")
        drafter = Drafter(Guard(), frames, context=ctx if mode == "a11y" else None)
        n = ok = 0
        for i, t in pairs:
            if not t.get("typed") or i + 1 >= len(steps) or steps[i + 1].type != "type":
                continue
            d = drafter.draft(ins, i + 1)
            n += 1
            ok += int(d.target is not None and norm(d.target.name) == norm(t["text"]))
        frames.close()
        out[mode] = {"n": n, "field_named": ok}
    return out


# -- main ------------------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--screens", type=int, default=64, help="generated screens (default 64, "
                    "about 520 clicks)")
    ap.add_argument("--start", type=int, default=0,
                    help="the first screen's number (to add screens to an earlier run)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", action="store_true", help="keep the recordings")
    ap.add_argument("--workdir", type=Path, help="where recordings go (with --keep)")
    ap.add_argument("--bundle", type=Path, action="append", default=[],
                    help="score a kept recording again (its truth.json beside it)")
    ap.add_argument("--cores", type=int, default=1, help="cores drafting may use (default 1)")
    ap.add_argument("--real-apps", action="store_true",
                    help="also record gtk3-widget-factory (GTK) and FeatherPad (Qt)")
    ap.add_argument("--only-real-apps", action="store_true")
    ap.add_argument("--apps", help="with --real-apps: only these (comma separated: "
                    "gtk3-widget-factory, featherpad)")
    args = ap.parse_args()

    bundles: list[Path] = list(args.bundle)
    tmp_ctx = tempfile.TemporaryDirectory(prefix="drafts-bench-") if not args.keep else None
    work = Path(tmp_ctx.name) if tmp_ctx else (args.workdir or Path(tempfile.mkdtemp(
        prefix="drafts-bench-")))
    load_before = os.getloadavg()
    try:
        if not bundles:
            with Harness() as h:
                xs = start_xvfb(h, WIDTH, HEIGHT)
                env = start_session(h, xs, work)
                if not args.only_real_apps:
                    out = work / ("generated" if not args.start else f"generated-{args.start}")
                    print(f"Recording {args.screens} generated screens into {out}", flush=True)
                    truth = record_screens(h, env, out, args.screens, args.seed, args.start)
                    (out / "truth.json").write_text(json.dumps(truth))
                    bundles.append(out)
                if args.real_apps or args.only_real_apps:
                    from benchmarks.drafts_apps import record_real_apps

                    bundles.extend(record_real_apps(
                        h, env, work, args.seed, args.apps.split(",") if args.apps else None))
        all_results = {}
        for b in bundles:
            truth = json.loads((b / "truth.json").read_text())
            print(f"Scoring {b} ({len(truth)} clicks)", flush=True)
            all_results[b.name] = score(b, truth, cores=args.cores)
        report(all_results)
        load_after = os.getloadavg()
        path = write_result("drafts", {"results": all_results, "machine": machine_info(),
                                       "load_before": load_before, "load_after": load_after,
                                       "args": {k: str(v) for k, v in vars(args).items()}})
        print(f"\nLoad average before/after: {load_before[0]:.2f} / {load_after[0]:.2f}. "
              f"Results: {path}")
        if args.keep:
            print(f"Recordings kept in {work}")
    finally:
        if tmp_ctx is not None:
            tmp_ctx.cleanup()
    return 0


def combine(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The results of several recordings of generated screens as one."""
    out: dict[str, Any] = {"typing": {}}
    for mode in ("a11y", "ocr", "reference"):
        ms = [p[mode] for p in parts]
        n = sum(m["scored"] for m in ms)
        right = sum(m["right"] for m in ms)
        steps = sum(p.get("clicks_matched", m["scored"]) for p, m in zip(parts, ms, strict=True))

        def mean(key: str, ms: list[dict[str, Any]] = ms, steps: int = steps) -> float:
            return sum(m.get(key, 0.0) * p.get("clicks_matched", 1)
                       for p, m in zip(parts, ms, strict=True)) / max(1, steps)

        out[mode] = {"scored": n, "right": right, "right_share": right / n if n else 0.0,
                     "weak_share": sum(m.get("weak_share", 0) * m["scored"] for m in ms) / max(1, n),
                     "wrong_share": sum(m.get("wrong_share", 0) * m["scored"] for m in ms)
                     / max(1, n),
                     "ms_per_step": mean("ms_per_step"), "ms_p95": max(m.get("ms_p95", 0)
                                                                        for m in ms),
                     "cpu_ms_per_step": mean("cpu_ms_per_step"),
                     "icons": sum(m.get("icons", 0) for m in ms),
                     "icons_weak": sum(m.get("icons_weak", 0) for m in ms),
                     "sensitive": sum(m.get("sensitive", 0) for m in ms),
                     "sensitive_quoted": sum(m.get("sensitive_quoted", 0) for m in ms),
                     "by": {}, "misses": []}
    for mode in ("a11y", "ocr"):
        out["typing"][mode] = {k: sum(p["typing"][mode][k] for p in parts)
                               for k in ("n", "field_named")}
    out["clicks_matched"] = sum(p.get("clicks_matched", 0) for p in parts)
    return out


def report(all_results: dict[str, Any]) -> None:
    generated = [r for name, r in all_results.items() if name.startswith("generated")]
    if len(generated) > 1:
        all_results["generated (all)"] = combine(generated)
    rows = []
    for name, r in all_results.items():
        for mode in ("a11y", "ocr", "reference"):
            m = r[mode]
            rows.append([name, mode, m["scored"], f"{100 * m['right_share']:.1f}%",
                         f"{100 * m.get('weak_share', 0):.1f}%",
                         f"{100 * m.get('wrong_share', 0):.1f}%",
                         f"{m['ms_per_step']:.1f}", f"{m.get('ms_p95', 0):.0f}",
                         f"{m.get('cpu_ms_per_step', 0):.1f}",
                         f"{m.get('icons_weak', '-')}/{m.get('icons', '-')}",
                         f"{m.get('sensitive_quoted', '-')}/{m.get('sensitive', '-')}"])
    print()
    print_table(["recording", "drafter", "clicks", "right", "weak", "wrong", "ms/step",
                 "p95 ms", "CPU ms/step", "icons weak", "e-mails quoted"], rows)
    for name, r in all_results.items():
        t = r["typing"]
        print(f"  {name}: typing into a field named right: with accessibility "
              f"{t['a11y']['field_named']}/{t['a11y']['n']}, OCR only "
              f"{t['ocr']['field_named']}/{t['ocr']['n']}")
        for mode in ("a11y", "ocr"):
            by = r[mode]["by"]
            worst = sorted(((v["right"] / v["n"], k, v) for k, v in by.items() if v["n"]),
                           key=lambda x: x[0])[:6]
            print(f"  {name} {mode}: lowest " + ", ".join(
                f"{k} {v['right']}/{v['n']}" for _s, k, v in worst))


if __name__ == "__main__":
    sys.exit(main())
