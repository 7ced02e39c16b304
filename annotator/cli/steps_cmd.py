"""``annotator steps DIR``: derive a recording's steps, store them in it, and print them.

The steps document (``--json``, and ``steps.json`` in the bundle) is documented in
docs/steps-format.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from annotator.cli.argtypes import positive_seconds
from annotator.steps import model as m

if TYPE_CHECKING:
    from annotator.steps.store import StepsDocument


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> str:
    p = subparsers.add_parser(
        "steps", help="derive the steps (clicks, typing, hotkeys...) of a recording and print them",
        description="Derive the steps of a recording from its raw input, pair each with the "
        "frame seen before it, store them in the recording as steps.json, and print them.",
    )
    p.add_argument("dir", type=Path, help="recording folder")
    p.add_argument("--json", action="store_true",
                   help="print the steps document as JSON (keys in docs/steps-format.md)")
    p.add_argument("--outcome", choices=m.OUTCOMES,
                   help="the task's outcome: adds a final terminate step")
    p.add_argument("--waits", type=positive_seconds, metavar="S",
                   help="turn idle gaps of at least S seconds between steps into wait steps")
    p.add_argument("--no-write", action="store_true",
                   help="only print: do not store steps.json in the recording")
    p.add_argument("--thumbs", action="store_true",
                   help="also write a thumbnail of every observation frame to thumbs/")
    return "steps"


def run(args: argparse.Namespace) -> int:
    from annotator.bundle.reader import Bundle
    from annotator.bundle.schema import STATUS_RECORDING
    from annotator.steps.derive import Params
    from annotator.steps.store import derive_bundle, write_steps

    bundle = Bundle.open(args.dir)
    params = Params(wait_min_us=round(args.waits * 1e6) if args.waits else None)
    doc = derive_bundle(bundle, params=params, outcome=args.outcome)
    notes: list[str] = []
    if args.no_write:
        pass
    elif bundle.status == STATUS_RECORDING:
        notes.append(f"Not stored: {args.dir} is still being recorded or was cut off; run "
                     f"`annotator recover {args.dir}` first.")
    else:
        notes.append(f"Stored in {write_steps(args.dir, doc)}.")
        if args.thumbs:
            from annotator.steps.thumbs import write_thumbnails

            thumbs = write_thumbnails(args.dir, doc)
            notes.append(f"{len(thumbs)} observation thumbnail(s) in {args.dir / 'thumbs'}.")
    if args.json:
        print(json.dumps(doc.to_dict(), indent=2, sort_keys=True, ensure_ascii=False))
        for n in notes:
            print(n, file=sys.stderr)
    else:
        print(format_steps(doc, args.dir))
        for n in notes:
            print(n)
    return 0


def _details(s: m.Step) -> str:
    if s.type in (m.CLICK, m.DOUBLE_CLICK, m.TRIPLE_CLICK, m.RIGHT_CLICK, m.MIDDLE_CLICK):
        return (s.button or "") + (f" with {'+'.join(s.keys)}" if s.keys else "")
    if s.type == m.DRAG:
        end = s.path[-1] if s.path else {"x": s.x, "y": s.y}
        return f"to ({end['x']}, {end['y']}), {len(s.path or [])} points, {s.button}"
    if s.type == m.SCROLL:
        parts = []
        if s.scroll_dy:
            parts.append(f"{'down' if s.scroll_dy > 0 else 'up'} {abs(s.scroll_dy)}")
        if s.scroll_dx:
            parts.append(f"{'right' if s.scroll_dx > 0 else 'left'} {abs(s.scroll_dx)}")
        mods = f" with {'+'.join(s.keys)}" if s.keys else ""
        return ", ".join(parts) + mods
    return s.describe()


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def format_steps(doc: StepsDocument, path: Path | str) -> str:
    lines = [
        f"Steps of recording {doc.bundle_id} ({path})",
        f"  derivation v{doc.derivation_version}; observation frame: "
        f"{doc.observation_policy.get('name')}; {doc.counts.get('raw_events', 0)} raw "
        f"event(s), {doc.counts.get('frames', 0)} frame(s)",
        "",
        f"{'#':>4}  {'type':<13}{'start s':>9}{'end s':>9}{'x':>6}{'y':>6}  "
        f"{'action':<34}window",
    ]
    for s in doc.steps:
        window = ""
        if s.window_title or s.window_app:
            window = f"{s.window_title or ''} ({s.window_app or '?'})"
        x = "" if s.x is None else str(s.x)
        y = "" if s.y is None else str(s.y)
        flags = f"  [{', '.join(s.flags)}]" if s.flags else ""
        lines.append(
            f"{s.index + 1:>4}  {s.type:<13}{s.t_start_us / 1e6:>9.3f}{s.t_end_us / 1e6:>9.3f}"
            f"{x:>6}{y:>6}  {_clip(_details(s), 33):<34}{_clip(window, 40)}{flags}"
        )
    by_type = doc.counts.get("by_type", {})
    lines.append("")
    lines.append(f"{len(doc.steps)} step(s): "
                 + (", ".join(f"{k} {v}" for k, v in by_type.items()) or "none"))
    lines.append(f"Input outside the captured area (no step): {doc.out_of_area} event(s)")
    dropped = {k: v for k, v in doc.counts.get("dropped", {}).items()
               if v and k != "outside_area"}
    if dropped:
        lines.append("Dropped: " + ", ".join(f"{k.replace('_', ' ')} {v}"
                                             for k, v in dropped.items()))
    for w in doc.warnings:
        lines.append(f"Warning: {w}")
    return "\n".join(lines)
