"""Benchmark of step derivation on a generated 60-minute recording.

Generates a bundle in a temporary folder (manifest, events.jsonl, frames.jsonl,
windows.jsonl) that looks like an hour of real work:

- mouse moves as the recorder stores them: pynput delivers motion at the X server's rate
  and the recorder keeps at most one per 1/60 s, so moving the mouse gives ~60 events/s,
  along eased paths between targets, with slow drifts while reading;
- clicks, double clicks, right clicks, drags with their moves, wheel bursts (3-15 notches),
  typing bursts with shift for capitals and backspace corrections, Enter/Tab/arrows and
  hotkeys, focus changes between applications;
- a 30 fps frame index whose ``changed``/``stored`` flags follow the input (repaints after
  each action, animations, a blinking caret while typing, keep-alive repeats after each
  change, as the recorder writes them).

Then it times, in the same run, a plain ``json.loads`` pass over events.jsonl and the full
derivation (open the bundle, read events, windows and frames, derive the steps, pair every
step with its observation and result frames), and prints events per second, the ratio of
the two, and peak memory.  Targets (issue 3): under 2 s, within 3x of the json.loads pass.

Run: .venv/bin/python benchmarks/steps.py [--minutes 60] [--repeat 3] [--check]
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import random
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotator.steps import derive_bundle, write_steps  # noqa: E402

W, H = 1920, 1080
MOVE_US = 16_667  # the recorder's move coalescing: at most one per 1/60 s
GRAB_US = 33_333  # 30 fps


class Session:
    """Generates raw events in time order, and the screen changes they cause."""

    def __init__(self, seed: int, minutes: float) -> None:
        self.r = random.Random(seed)
        self.end = int(minutes * 60e6)
        self.t = 500_000
        self.x, self.y = W // 2, H // 2
        self.lines: list[str] = []
        self.next_id = 1
        self.changes: list[tuple[int, int]] = []  # (from, to) µs: the screen is changing
        self.caret: list[tuple[int, int]] = []  # intervals with a blinking caret
        self.focus: list[dict] = []
        self.dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

    def emit(self, kind: str, **fields) -> None:
        rec = {"id": self.next_id, "t": self.t, "kind": kind, **fields}
        self.next_id += 1
        self.lines.append(self.dumps(rec))

    def repaint(self, delay_us: int, length_us: int) -> None:
        start = self.t + delay_us
        self.changes.append((start, start + length_us))

    # -- mouse ------------------------------------------------------------------------------
    def move_to(self, x: int, y: int, speed: float = 1.0) -> None:
        dist = math.hypot(x - self.x, y - self.y)
        dur = (0.15 + dist / 1400) / speed
        n = max(1, int(dur * 1e6 / MOVE_US))
        x0, y0 = self.x, self.y
        for i in range(1, n + 1):
            self.t += MOVE_US + self.r.randint(-1500, 1500)
            f = i / n
            e = f * f * (3 - 2 * f)  # ease in and out, like a hand
            self.x = int(x0 + (x - x0) * e + self.r.gauss(0, 1.2))
            self.y = int(y0 + (y - y0) * e + self.r.gauss(0, 1.2))
            self.emit("mouse_move", x=self.x, y=self.y)
        self.x, self.y = x, y

    def drift(self, seconds: float) -> None:
        """Small slow movements while reading; sometimes none at all."""
        end = self.t + int(seconds * 1e6)
        if self.r.random() < 0.01:
            self.t = end
            return
        while self.t < end:
            self.t += MOVE_US + self.r.randint(0, 1000)
            self.x = min(W - 1, max(0, self.x + self.r.randint(-2, 2)))
            self.y = min(H - 1, max(0, self.y + self.r.randint(-2, 2)))
            self.emit("mouse_move", x=self.x, y=self.y)

    def click(self, button: str = "left", times: int = 1) -> None:
        for i in range(times):
            if i:
                self.t += self.r.randint(70_000, 160_000)
            self.emit("mouse_down", x=self.x, y=self.y, button=button)
            self.t += self.r.randint(50_000, 120_000)
            self.emit("mouse_up", x=self.x, y=self.y, button=button)
        self.repaint(self.r.randint(20_000, 80_000), self.r.randint(30_000, 400_000))

    def drag(self) -> None:
        self.emit("mouse_down", x=self.x, y=self.y, button="left")
        self.repaint(30_000, 50_000)
        tx = min(W - 1, max(0, self.x + self.r.randint(-500, 500)))
        ty = min(H - 1, max(0, self.y + self.r.randint(-300, 300)))
        start = self.t
        self.move_to(tx, ty, speed=0.6)
        self.changes.append((start, self.t))
        self.t += self.r.randint(20_000, 80_000)
        self.emit("mouse_up", x=self.x, y=self.y, button="left")

    def scroll(self) -> None:
        dy = self.r.choice((1, 1, 1, -1))
        start = self.t
        for _ in range(self.r.randint(3, 25)):
            self.t += self.r.randint(15_000, 90_000)
            if self.r.random() < 0.1:
                self.x += self.r.randint(-3, 3)
                self.emit("mouse_move", x=self.x, y=self.y)
            self.emit("scroll", x=self.x, y=self.y, dx=0, dy=dy)
        self.changes.append((start + 20_000, self.t + 150_000))

    # -- keyboard -----------------------------------------------------------------------------
    def key(self, key: str, char: str | None, mods: list[str]) -> None:
        self.emit("key_down", key=key, char=char, vk=0, mods=mods)
        self.repaint(self.r.randint(5_000, 30_000), 20_000)
        self.t += self.r.randint(40_000, 110_000)
        self.emit("key_up", key=key, char=char, vk=0, mods=mods)

    def type_text(self) -> None:
        words = self.r.randint(1, 5)
        text = " ".join(self.r.choice(WORDS) for _ in range(words))
        if self.r.random() < 0.4:
            text = text.capitalize()
        start = self.t
        for ch in text:
            self.t += self.r.randint(50_000, 160_000)
            if self.r.random() < 0.04:  # a typo, corrected
                self.key(self.r.choice("qwxz"), None, [])
                self.t += self.r.randint(100_000, 300_000)
                self.key("backspace", None, [])
                self.t += self.r.randint(60_000, 150_000)
            if ch.isupper():
                self.emit("key_down", key="shift", char=None, vk=0, mods=[])
                self.t += self.r.randint(30_000, 90_000)
                self.key(ch.lower(), ch, ["shift"])
                self.t += self.r.randint(10_000, 40_000)
                self.emit("key_up", key="shift", char=None, vk=0, mods=["shift"])
            elif ch == " ":
                self.key("space", " ", [])
            else:
                self.key(ch, ch, [])
        self.caret.append((start, self.t + 3_000_000))

    def hotkey(self) -> None:
        mods, key = self.r.choice(HOTKEYS)
        held: list[str] = []
        for mod in mods:
            self.emit("key_down", key=mod, char=None, vk=0, mods=sorted(held))
            held.append(mod)
            self.t += self.r.randint(20_000, 80_000)
        self.key(key, key if len(key) == 1 else None, sorted(held))
        for mod in reversed(mods):
            self.t += self.r.randint(10_000, 50_000)
            self.emit("key_up", key=mod, char=None, vk=0, mods=sorted(held))
            held.remove(mod)
        self.repaint(self.r.randint(30_000, 200_000), self.r.randint(50_000, 600_000))

    # -- the session ----------------------------------------------------------------------------
    def run(self) -> None:
        r = self.r
        next_focus = 0
        while self.t < self.end - 5_000_000:
            if self.t >= next_focus:
                n = len(self.focus)
                self.focus.append({"t": self.t, "kind": "focus", "title": f"Document {n}",
                                   "app": r.choice(APPS), "window_id": 1000 + n,
                                   "box": [0, 0, W, H]})
                self.repaint(50_000, 300_000)
                next_focus = self.t + r.randint(30, 300) * 1_000_000
            self.move_to(r.randint(0, W - 1), r.randint(0, H - 1))
            self.t += r.randint(40_000, 200_000)
            a = r.random()
            if a < 0.50:
                self.click()
            elif a < 0.55:
                self.click(times=2)
            elif a < 0.58:
                self.click("right")
            elif a < 0.63:
                self.drag()
            elif a < 0.80:
                self.scroll()
            elif a < 0.89:
                self.click()
                self.t += r.randint(200_000, 600_000)
                self.type_text()
                if r.random() < 0.5:
                    self.t += r.randint(100_000, 400_000)
                    self.key(r.choice(("enter", "tab")), None, [])
            elif a < 0.96:
                self.hotkey()
            else:
                self.key(r.choice(("up", "down", "escape", "pagedown", "f5")), None, [])
            self.drift(r.uniform(0.5, 4.5))

    def frames(self) -> list[str]:
        """The recorder's frame index for this session (see docs/bundle-format.md)."""
        changes = sorted(self.changes)
        carets = sorted(self.caret)
        lines = []
        ci = ki = 0
        last_pts = None
        last_change = -(10**12)
        last_keep = -(10**12)
        dumps = self.dumps
        for i, t in enumerate(range(100_000, self.end, GRAB_US)):
            t += self.r.randint(0, 2000)
            while ci < len(changes) and changes[ci][1] < t - GRAB_US:
                ci += 1
            while ki < len(carets) and carets[ki][1] < t:
                ki += 1
            changed = i == 0 or (ci < len(changes) and changes[ci][0] <= t) or (
                ki < len(carets) and carets[ki][0] <= t
                and (t // 500_000) != ((t - GRAB_US) // 500_000))
            stored = changed
            if changed:
                last_change = last_keep = t
            elif t - last_change < 1_600_000 and t - last_keep >= 150_000:
                stored = True  # keep-alive repeats of the last change
                last_keep = t
            if stored:
                last_pts = t
            lines.append(dumps({"i": i, "t": t, "pts": last_pts, "stored": stored,
                                "changed": bool(changed), "file": "video.mp4"}))
        return lines


WORDS = ("report", "quarterly", "the", "meeting", "budget", "notes", "draft", "review",
         "invoice", "project", "team", "update", "schedule", "summary", "data", "plan")
APPS = ("firefox", "libreoffice", "code", "nautilus", "thunderbird", "gnome-terminal")
HOTKEYS = ((["ctrl"], "s"), (["ctrl"], "c"), (["ctrl"], "v"), (["ctrl"], "z"),
           (["ctrl", "shift"], "t"), (["alt"], "tab"), (["ctrl"], "f"), (["ctrl"], "w"))


def write_bundle(folder: Path, minutes: float, seed: int) -> dict:
    s = Session(seed, minutes)
    s.run()
    frames = s.frames()
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {
        "schema_version": 1, "id": f"benchmark-{seed}", "status": "complete",
        "app_version": "bench", "created_by": "benchmarks/steps.py", "duration_us": s.end,
        "displays": [{"id": ":0.0", "origin_x": 0, "origin_y": 0, "width_px": W,
                      "height_px": H, "scale": 1.0, "captured": True}],
        "capture": {"display_id": ":0.0", "region": {"x": 0, "y": 0, "width": W, "height": H},
                    "scale": 1.0, "fps_requested": 30, "cursor": False},
        "video": {"file": "video.mp4"}, "pauses": [], "problems": [],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    (folder / "events.jsonl").write_text("\n".join(s.lines) + "\n")
    (folder / "frames.jsonl").write_text("\n".join(frames) + "\n")
    (folder / "windows.jsonl").write_text("".join(json.dumps(f) + "\n" for f in s.focus))
    return {"events": len(s.lines), "grabs": len(frames), "focus": len(s.focus)}


def json_pass(path: Path) -> float:
    t0 = time.perf_counter()
    loads = json.loads
    with open(path, "rb") as fh:
        for line in fh:
            loads(line)
    return time.perf_counter() - t0


def timed_derive(folder: Path):
    gc.collect()
    t0 = time.perf_counter()
    doc = derive_bundle(folder)
    return time.perf_counter() - t0, doc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--repeat", type=int, default=3, help="best of N timings (default 3)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", metavar="DIR", help="keep the generated bundle in DIR")
    ap.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="steps-bench-"))
    folder = Path(args.keep) if args.keep else tmp / "bundle"
    try:
        t0 = time.perf_counter()
        info = write_bundle(folder, args.minutes, args.seed)
        size = (folder / "events.jsonl").stat().st_size
        print(f"generated {args.minutes:g} min: {info['events']:,} events "
              f"({size / 1e6:.1f} MB), {info['grabs']:,} grabs, {info['focus']} focus "
              f"changes in {time.perf_counter() - t0:.1f} s")

        base = min(json_pass(folder / "events.jsonl") for _ in range(args.repeat))
        runs = [timed_derive(folder) for _ in range(args.repeat)]
        best = min(r[0] for r in runs)
        doc = runs[0][1]
        t0 = time.perf_counter()
        write_steps(folder, doc)
        t_write = time.perf_counter() - t0

        gc.collect()
        tracemalloc.start()
        derive_bundle(folder)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        n = info["events"]
        ratio = best / base
        print(f"steps: {len(doc.steps):,} "
              + ", ".join(f"{k} {v}" for k, v in doc.counts["by_type"].items()))
        print(f"json.loads pass over events.jsonl: {base:.3f} s ({n / base:,.0f} events/s)")
        print(f"derivation incl. reading and frame pairing: {best:.3f} s "
              f"({n / best:,.0f} events/s), best of {args.repeat}")
        print(f"ratio to the json.loads pass: {ratio:.2f}x")
        print(f"writing steps.json: {t_write:.3f} s "
              f"({(folder / 'steps.json').stat().st_size / 1e6:.1f} MB)")
        print(f"peak memory of the derivation (tracemalloc): {peak / 1e6:.0f} MB; "
              f"process max RSS {rss:.0f} MB")
        ok_time, ok_ratio = best < 2.0, ratio <= 3.0
        print(f"targets: under 2 s {'met' if ok_time else 'MISSED'}; within 3x of json.loads "
              f"{'met' if ok_ratio else 'MISSED'}")
        # Like the other benchmarks: the figures also go to benchmarks/out/ as JSON.
        out = Path(__file__).resolve().parent / "out"
        out.mkdir(exist_ok=True)
        result = out / f"steps-{time.strftime('%Y%m%d-%H%M%S')}.json"
        result.write_text(json.dumps({
            "minutes": args.minutes, "events": n, "grabs": info["grabs"],
            "steps": len(doc.steps), "by_type": doc.counts["by_type"],
            "json_loads_s": round(base, 4), "derive_s": round(best, 4),
            "events_per_s": round(n / best), "ratio": round(ratio, 3),
            "write_s": round(t_write, 4), "peak_traced_mb": round(peak / 1e6, 1),
            "max_rss_mb": round(rss), "targets_met": ok_time and ok_ratio,
        }, indent=2) + "\n")
        print(f"results: {result}")
        return 0 if (ok_time and ok_ratio) or not args.check else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
