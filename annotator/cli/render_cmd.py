"""``annotator render DIR --out FILE``: burn in, then leak-check (exit 1 if anything leaks)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> str:
    p = sub.add_parser("render", help="burn redactions into the kept ranges and leak-check it")
    p.add_argument("dir", type=Path)
    p.add_argument("--out", type=Path, required=True, help="the video file to write (.mp4)")
    p.add_argument("--json", action="store_true")
    return "render"


def run(args: argparse.Namespace) -> int:
    from annotator.jobs import Progress
    from annotator.submission.render import render_for_submission

    def show(done: int, total: int, msg: str) -> None:
        if total and sys.stderr.isatty():
            print(f"\r{msg}: {done}/{total}", end="", file=sys.stderr, flush=True)

    result, check, plan = render_for_submission(args.dir, args.out, Progress(show))
    if sys.stderr.isatty():
        print(file=sys.stderr)
    if args.json:
        print(json.dumps({"render": result.to_dict(), "leak_check": check.to_dict()},
                         indent=2, default=str))
    else:
        print(f"Rendered {args.out}: {len(plan.boxes)} box redaction(s), "
              f"{len(plan.kept_ranges)} kept range(s).")
        for note in result.notes:
            print(f"  note: {note}")
        print(str(check))
    return 0 if check.passed else 1
