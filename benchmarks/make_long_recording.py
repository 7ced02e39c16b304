"""Generate a long, realistic recording bundle for the editor benchmark, without a screen.

The recording is made the way ``annotator demo`` makes its sample (annotator.ui.demo): the
sample invoicing window is rendered offscreen (here at 1920x1080), driven through Qt's test
input, every scripted input is written as a raw event exactly as the recorder writes it, and
every change on screen is encoded by the recorder's own ``VideoEncoder`` with its real
settings (libx264 veryfast, CRF 23, no B-frames, no encoder delay, a keyframe every 150
frames, fragmented MP4, variable frame rate with pts = capture time in µs).

On top of the demo recorder, this generator:
- runs the recorder's capture loop faithfully between inputs: a grab every 1/30 s of
  scripted time, unchanged grabs not stored, and the recorder's *keep-alive* repeats (the
  last frame stored again every 0.15 s for 1.6 s after a change: annotator.capture.recorder),
  so that frame count, GOP spans and the frame index look like a real recording's;
- makes the sample window a little livelier: a 400-row table of varied invoice lines,
  "New invoice" clears the form and refills the table, "Send" and edits update the status;
- scripts ``--steps`` actions (about one step each) over ``--minutes`` of recording time,
  seeded: clicks on fields, buttons and table cells, double clicks that edit a cell,
  typing bursts at about 5 characters a second with backspace corrections, wheel scrolls of
  the table, Tab/Enter/arrow keys, hotkeys (Ctrl+A, Ctrl+S, Ctrl+Z), right clicks, and idle
  gaps (short pauses and longer reading pauses), paced so that the script ends at the
  requested duration.

Time is scripted, not real: an hour of recording takes a few minutes to several tens of
minutes to encode, depending on the machine.  The result is cached under benchmarks/out/
(gitignored) and reused while the generator version, minutes, steps, size and seed match.

Run:   .venv/bin/python benchmarks/make_long_recording.py [--minutes 60] [--steps 2000]
       [--seed 1] [--force]
From Python: ``ensure_recording(minutes, steps, seed)`` returns the bundle's folder,
generating it in a child process if needed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "out"
GENERATOR_VERSION = 2  # 2: bundle version 2 (frames.idx), the encoder without delay
WIDTH, HEIGHT = 1920, 1080

# The recorder's keep-alive (annotator/capture/recorder.py).

CUSTOMERS = ["Acme Corporation", "Globex Ltd", "Initech", "Umbrella Health", "Stark Logistics",
             "Wayne Shipping", "Hooli Europe", "Vandelay Imports", "Soylent Foods",
             "Tyrell Systems", "Cyberdyne Labs", "Wonka Industries", "Oceanic Air"]
DOMAINS = ["example.com", "example.org", "mail.example.net", "corp.example.com"]
FIRST = ["jane", "john", "maria", "li", "omar", "sofia", "peter", "anna", "raj", "chen"]
LAST = ["doe", "smith", "garcia", "wang", "haddad", "rossi", "berg", "novak", "patel", "kim"]
ITEMS = ["Consulting hours", "Design review", "Hosting (monthly)", "Support plan",
         "Training session", "Travel", "Licence renewal", "Data migration", "Audit",
         "Security assessment", "Onboarding", "Custom report", "API integration",
         "Backup storage", "Workshop", "Maintenance window"]
NOTES = ["Thanks for your business!", "Payment within 30 days please.",
         "Includes the discount agreed on the phone.", "PO number to follow.",
         "Second instalment of three.", "Travel billed at cost.",
         "Please quote the invoice number with your payment.",
         "Hours as per the attached timesheet.", "Prices exclude VAT."]


def bundle_dir(minutes: float, steps: int, seed: int, width: int = WIDTH,
               height: int = HEIGHT) -> Path:
    m = f"{minutes:g}".replace(".", "_")
    return OUT / f"long-recording-v{GENERATOR_VERSION}-{m}min-{steps}steps-{width}x{height}-seed{seed}"


def info_path(folder: Path) -> Path:
    return folder.with_name(folder.name + ".json")


def is_ready(folder: Path) -> bool:
    return (folder / "manifest.json").is_file() and info_path(folder).is_file()


def ensure_recording(minutes: float = 60, steps: int = 2000, seed: int = 1,
                     force: bool = False, quiet: bool = False) -> Path:
    """The cached bundle, generated first (in a child process, so that the caller's memory
    and Qt state are untouched) if it is missing."""
    folder = bundle_dir(minutes, steps, seed)
    if is_ready(folder) and not force:
        return folder
    cmd = [sys.executable, str(Path(__file__).resolve()), "--minutes", str(minutes),
           "--steps", str(steps), "--seed", str(seed)] + (["--force"] if force else [])
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    subprocess.run(cmd, check=True, env=env,
                   stdout=subprocess.DEVNULL if quiet else None)
    if not is_ready(folder):
        raise RuntimeError(f"the generator did not produce {folder}")
    return folder


# ------------------------------------------------------------------------------------------
# Everything below runs in the generator process (Qt, offscreen).


def _generate(minutes: float, steps: int, seed: int, folder: Path) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    import numpy as np
    from PyQt6.QtCore import QPoint, Qt
    from PyQt6.QtTest import QTest
    from PyQt6.QtWidgets import QApplication, QLineEdit, QTableWidgetItem, QTextEdit

    from annotator.bundle import schema
    from annotator.bundle.video import FRAGMENT_CLOSE_US
    from annotator.steps import derive_bundle
    from annotator.ui import demo

    app = QApplication.instance() or QApplication([])  # noqa: F841 (kept alive)
    rng = np.random.default_rng(seed)

    class LongRecorder(demo.DemoRecorder):
        """The demo recorder at full HD, with the recorder's keep-alive and progress."""

        def __init__(self, out: Path, total_us: int) -> None:
            self.total_us = total_us
            self.last_yuv = None
            self.last_change_t = -10**12
            self.closed = True
            self.keepalives = 0
            self.wall0 = time.monotonic()
            self.next_report = self.wall0 + 10
            self.steps_done = 0
            self.steps_planned = 0
            super().__init__(out, None, WIDTH, HEIGHT)
            # Remember the last encoded image: keep-alive repeats store it again.
            encode = self.writer.encode

            def remember(yuv, pts_us):
                self.last_yuv = yuv
                encode(yuv, pts_us)

            self.writer.encode = remember
            self._liven_up()

        # -- a livelier sample window ---------------------------------------------------
        def _liven_up(self) -> None:
            w = self.win
            self.invoice_no = 2041
            self.title = next(lb for lb in w.findChildren(demo.QLabel)
                              if lb.text().startswith("Sample Books"))
            w.table.setRowCount(400)
            for c, width in enumerate((880, 240, 320, 320)):
                w.table.setColumnWidth(c, width)
            self._fill_table()
            w.new_btn.clicked.connect(self._new_invoice)
            w.send_btn.clicked.connect(
                lambda: w.status.setText(f"Invoice {self.invoice_no} sent to "
                                         f"{w.email.text() or 'the customer'}"))
            for field in (w.customer, w.email):
                field.textEdited.connect(lambda _t: w.status.setText("Draft — edited"))
            w.notes.textChanged.connect(lambda: w.status.setText("Draft — edited"))

        def _fill_table(self) -> None:
            t = self.win.table
            for r in range(t.rowCount()):
                qty = int(rng.integers(1, 40))
                price = float(rng.integers(15, 900)) + float(rng.integers(0, 100)) / 100
                item = ITEMS[int(rng.integers(len(ITEMS)))]
                for c, v in enumerate([f"{item} — {int(rng.integers(1, 12)):02d}/2026",
                                       str(qty), f"{price:,.2f}", f"{qty * price:,.2f}"]):
                    t.setItem(r, c, QTableWidgetItem(v))

        def _new_invoice(self) -> None:
            w = self.win
            self.invoice_no += 1
            self.title.setText(f"Sample Books  ›  Invoices  ›  Invoice {self.invoice_no}")
            w.customer.clear()
            w.email.clear()
            w.notes.clear()
            w.table.verticalScrollBar().setValue(0)
            self._fill_table()
            w.status.setText("Draft — not saved")

        # -- the recorder's capture loop between inputs ---------------------------------
        def _grab(self, force: bool = False) -> None:
            interval = 1_000_000 // demo.FPS
            now = self.clock.t_us
            t = self.last_grab_t + interval
            while t < now - interval // 2:  # the grabs the demo would write as unchanged
                # The recorder's one repeat that closes the fragment of the last change.
                store = (self.last_yuv is not None and not self.closed
                         and t - self.last_change_t >= FRAGMENT_CLOSE_US)
                if store:
                    self.writer.encode(self.last_yuv, t)
                    self.closed = True
                    self.keepalives += 1
                self.writer.grab(t, stored=store, changed=False)
                self.last_grab_t = t
                t += interval
            before = self.writer.encoder.frames
            super()._grab(force)
            if self.writer.encoder.frames > before:
                self.last_change_t = now
                self.closed = False
            self._progress()

        def _progress(self, final: bool = False) -> None:
            now = time.monotonic()
            if not final and now < self.next_report:
                return
            self.next_report = now + 10
            el = now - self.wall0
            done = self.clock.t_us / self.total_us
            eta = el / done - el if done > 0.001 else float("nan")
            print(f"  recorded {self.clock.t_us / 60e6:5.1f} / {self.total_us / 60e6:.0f} min "
                  f"({100 * done:4.1f}%), actions {self.steps_done}, "
                  f"frames stored {self.writer.encoder.frames} ({self.keepalives} repeats), "
                  f"{self.writer.encoder.frames / max(el, 1e-9):.0f} frames/s, "
                  f"elapsed {el:.0f} s, ETA {eta:.0f} s", flush=True)

        # -- more input -------------------------------------------------------------------
        def key(self, name: str) -> None:
            keys = {"tab": (Qt.Key.Key_Tab, 65289), "enter": (Qt.Key.Key_Return, 65293),
                    "backspace": (Qt.Key.Key_Backspace, 65288),
                    "down": (Qt.Key.Key_Down, 65364), "up": (Qt.Key.Key_Up, 65362),
                    "pagedown": (Qt.Key.Key_PageDown, 65366),
                    "pageup": (Qt.Key.Key_PageUp, 65365), "home": (Qt.Key.Key_Home, 65360),
                    "end": (Qt.Key.Key_End, 65367), "escape": (Qt.Key.Key_Escape, 65307)}
            qk, vk = keys[name]
            self.clock.advance(float(rng.uniform(180, 450)))
            self._key(name, None, vk, [], qk)
            self._grab()

        def hotkey(self, mod: str, key: str) -> None:
            # As the demo's, and the application reacts to it as it would (select all, undo).
            self.clock.advance(300)
            self._event("key_down", key=mod, char=None, vk=65507, mods=[])
            self.clock.advance(80)
            self._event("key_down", key=key, char=key, vk=ord(key), mods=[mod])
            target = self.focus or self.win
            if (mod, key) == ("ctrl", "s"):
                self.win.save_btn.click()
            elif key in ("a", "z"):
                QTest.keyClick(target, getattr(Qt.Key, f"Key_{key.upper()}"),
                               Qt.KeyboardModifier.ControlModifier)
            self.clock.advance(70)
            self._event("key_up", key=key, char=key, vk=ord(key), mods=[mod])
            self._event("key_up", key=mod, char=None, vk=65507, mods=[mod])
            self.clock.advance(30)
            self._grab()

        def scroll_table(self, clicks: int) -> None:
            sb = self.win.table.verticalScrollBar()
            if clicks > 0 and sb.value() + 3 * clicks > sb.maximum():
                clicks = -clicks
            if clicks < 0 and sb.value() + 3 * clicks < 0:
                clicks = -clicks
            self.scroll(self.win.table, clicks)

        def cell_point(self) -> QPoint:
            """A random visible cell of the table, in the table's coordinates."""
            t = self.win.table
            vp = t.viewport()
            r0 = max(0, t.rowAt(0))
            r1 = t.rowAt(vp.height() - 1)
            r1 = t.rowCount() - 1 if r1 < 0 else r1
            r = int(rng.integers(r0, max(r0 + 1, r1)))
            c = int(rng.integers(0, 4))
            rect = t.visualRect(t.model().index(r, c))
            p = rect.center() + QPoint(int(rng.integers(-40, 41)), int(rng.integers(-4, 5)))
            return vp.mapTo(t, p)

    def typo_text(text: str) -> list[tuple[str, str]]:
        """Typing with corrections: ("type", s) and ("bs", n) chunks."""
        out: list[tuple[str, str]] = []
        i = 0
        while i < len(text):
            j = min(len(text), i + int(rng.integers(4, 14)))
            out.append(("type", text[i:j]))
            if rng.random() < 0.25 and j < len(text):  # a slip, noticed and fixed
                wrong = "".join(rng.choice(list("asdfghjklqwertyuiop"), int(rng.integers(1, 4))))
                out.append(("type", wrong))
                out.append(("bs", str(len(wrong))))
            i = j
        return out

    def random_text(kind: str) -> str:
        if kind == "customer":
            return str(rng.choice(CUSTOMERS))
        if kind == "email":
            return f"{rng.choice(FIRST)}.{rng.choice(LAST)}@{rng.choice(DOMAINS)}"
        if kind == "notes":
            return str(rng.choice(NOTES))
        if kind == "qty":
            return str(int(rng.integers(1, 60)))
        if kind == "price":
            return f"{int(rng.integers(10, 2000))}.{int(rng.integers(0, 100)):02d}"
        return f"{rng.choice(ITEMS)} ({rng.choice(['Q1', 'Q2', 'Q3', 'Q4', 'May', 'June'])})"

    total_us = int(minutes * 60e6)
    d = LongRecorder(folder, total_us)
    w = d.win

    def type_burst(kind: str) -> None:
        cps = float(rng.uniform(4.0, 6.0))
        for op, s in typo_text(random_text(kind)):
            if op == "type":
                d.type(s, cps=cps)
            else:
                for _ in range(int(s)):
                    d.clock.advance(float(rng.uniform(60, 200)))
                    d.press("backspace")

    def fill_field(field, kind: str) -> int:
        d.click(field)
        n = 1
        has_text = (field.toPlainText() if isinstance(field, QTextEdit) else field.text())
        if has_text:
            d.hotkey("ctrl", "a")
            n += 1
        type_burst(kind)
        return n + 1

    def edit_cell() -> int:
        d.click(w.table, count=2, at=d.cell_point())
        if not isinstance(d.focus, QLineEdit):  # no editor opened: the click stands alone
            return 1
        type_burst(str(rng.choice(["item", "qty", "price"])))
        d.press("enter")
        return 3

    # Actions with their weights and the number of steps each makes (about).
    actions = [
        ("fill_customer", 9, lambda: fill_field(w.customer, "customer")),
        ("fill_email", 6, lambda: fill_field(w.email, "email")),
        ("fill_notes", 5, lambda: fill_field(w.notes, "notes")),
        ("tab_to_email", 3, lambda: (d.click(w.customer), d.press("tab", focus=w.email),
                                     type_burst("email"), 3)[-1]),
        ("edit_cell", 12, edit_cell),
        ("click_cell", 14, lambda: (d.click(w.table, at=d.cell_point()), 1)[-1]),
        ("arrow_keys", 6, lambda: (d.click(w.table, at=d.cell_point()),
                                   [d.key(str(rng.choice(["down", "up"])))
                                    for _ in range(int(rng.integers(1, 4)))], 2)[-1]),
        ("page_keys", 3, lambda: (d.click(w.table, at=d.cell_point()),
                                  d.key(str(rng.choice(["pagedown", "pageup"]))), 2)[-1]),
        ("scroll", 14, lambda: (d.scroll_table(int(rng.choice([-1, 1]))
                                               * int(rng.integers(2, 9))), 1)[-1]),
        ("save_button", 4, lambda: (d.click(w.save_btn), 1)[-1]),
        ("save_hotkey", 4, lambda: (d.hotkey("ctrl", "s"), 1)[-1]),
        ("undo_hotkey", 2, lambda: (d.hotkey("ctrl", "z"), 1)[-1]),
        ("right_click", 3, lambda: (d.click(w.table, button="right", at=d.cell_point()), 1)[-1]),
        ("new_invoice", 2, lambda: (d.click(w.new_btn), 1)[-1]),
        ("send", 2, lambda: (d.click(w.send_btn), 1)[-1]),
        ("escape", 2, lambda: (d.key("escape"), 1)[-1]),
    ]
    names = [a[0] for a in actions]
    weights = np.array([a[1] for a in actions], float)
    weights /= weights.sum()
    counts: dict[str, int] = {}
    recent: list[tuple[int, int]] = []  # (µs, steps) of the last actions
    d.wait(800)
    while d.steps_done < steps and d.clock.t_us < total_us - 2_000_000:
        k = int(rng.choice(len(actions), p=weights))
        t0 = d.clock.t_us
        n = actions[k][2]()
        d.steps_done += n
        counts[names[k]] = counts.get(names[k], 0) + 1
        recent = recent[-199:] + [(d.clock.t_us - t0, n)]
        # Pace the idle gaps so that the script ends at the requested duration: the slack
        # left, shared over the steps left, drawn from an exponential (many short pauses,
        # a few long reading ones).
        steps_left = max(1, steps - d.steps_done)
        per_step = sum(u for u, _ in recent) / max(1, sum(n for _, n in recent))
        slack = total_us - d.clock.t_us - steps_left * per_step
        mean_gap = max(150_000.0, slack / steps_left)
        gap = float(min(rng.exponential(mean_gap), 12 * mean_gap, 60e6))
        if gap > 1e6 and rng.random() < 0.6:  # the hand drifts while the eyes read
            ms = min(gap / 2000, 1500.0)
            d.move_to(int(rng.integers(40, WIDTH - 40)), int(rng.integers(40, HEIGHT - 40)), ms)
            gap -= ms * 1000
        d.wait(max(150, gap / 1000))
    if d.clock.t_us < total_us - 600_000:
        d.wait((total_us - 600_000 - d.clock.t_us) / 1000)
    d._progress(final=True)
    manifest = d.finish()
    doc = derive_bundle(folder)
    by_type: dict[str, int] = {}
    for s in doc.steps:
        by_type[s.type] = by_type.get(s.type, 0) + 1
    return {
        "generator_version": GENERATOR_VERSION,
        "minutes": minutes,
        "steps_requested": steps,
        "seed": seed,
        "width": WIDTH,
        "height": HEIGHT,
        "duration_us": manifest["duration_us"],
        "grabs": manifest["stats"]["grabs"],
        "frames_stored": manifest["stats"]["frames_stored"],
        "keepalive_frames": d.keepalives,
        "events": manifest["stats"]["events"],
        "actions": counts,
        "steps_derived": len(doc.steps),
        "steps_by_type": dict(sorted(by_type.items())),
        "video_bytes": (folder / schema.VIDEO).stat().st_size,
        "video_settings": manifest["video"],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=60, help="recording length (default 60)")
    ap.add_argument("--steps", type=int, default=2000, help="scripted steps (default 2000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--force", action="store_true", help="generate again even if cached")
    args = ap.parse_args(argv)
    folder = bundle_dir(args.minutes, args.steps, args.seed)
    if is_ready(folder) and not args.force:
        print(f"cached: {folder}")
        print(info_path(folder).read_text())
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(folder, ignore_errors=True)
    info_path(folder).unlink(missing_ok=True)
    print(f"generating {args.minutes:g} min, {args.steps} steps, {WIDTH}x{HEIGHT} into "
          f"{folder} ...", flush=True)
    t0 = time.monotonic()
    info = _generate(args.minutes, args.steps, args.seed, tmp)
    info["generation_s"] = round(time.monotonic() - t0, 1)
    tmp.rename(folder)
    info["folder"] = str(folder)
    info_path(folder).write_text(json.dumps(info, indent=2) + "\n")
    print(json.dumps(info, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
