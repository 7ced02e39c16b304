"""``annotator redact DIR --suggest`` and ``annotator render DIR --out FILE``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> str:
    p = sub.add_parser("redact", help="find redaction suggestions (offline OCR and detectors)")
    p.add_argument("dir", type=Path)
    p.add_argument("--suggest", action="store_true", required=True,
                   help="add suggestions (written to suggestions.json in the recording)")
    p.add_argument("--no-ocr", action="store_true", help="only typed text and window titles")
    p.add_argument("--accept-all", action="store_true",
                   help="accept every suggestion as a redaction (one undoable edit)")
    p.add_argument("--deny", action="append", default=[], metavar="TEXT",
                   help="also look for this text (your name, e-mail, address...)")
    p.add_argument("--json", action="store_true")
    return "redact"


def run(args: argparse.Namespace) -> int:
    from annotator.edits import EditSession
    from annotator.jobs import Progress
    from annotator.redaction.stored import save_suggestions
    from annotator.redaction.suggest import suggest_for_bundle
    from annotator.steps import load_or_derive
    from annotator.workspace import Workspace

    ws = Workspace.open(args.workspace)
    deny = [*ws.personal_deny_list(), *args.deny]
    doc = load_or_derive(args.dir)

    def show(done: int, total: int, msg: str) -> None:
        if total and sys.stderr.isatty():
            print(f"\r{msg}: {done}/{total}", end="", file=sys.stderr, flush=True)

    found = suggest_for_bundle(args.dir, steps=doc, deny_list=deny,
                               progress=Progress(show), ocr=not args.no_ocr)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    # The matched text stays out of the file: the editor shows kind and place.
    save_suggestions(args.dir, found)
    accepted = 0
    if args.accept_all and found:
        with EditSession.open(args.dir, steps=doc.steps) as session:
            from annotator.edits.redactions import decided_suggestions

            open_ = [s for s in found if s.id not in decided_suggestions(session.edits)]
            if open_:
                session.accept_suggestions(open_)
                accepted = len(open_)
    if args.json:
        print(json.dumps({"suggestions": [s.to_dict() for s in found], "accepted": accepted},
                         indent=2))
        return 0
    by_kind: dict[str, int] = {}
    for s in found:
        by_kind[f"{s.kind} ({s.source})"] = by_kind.get(f"{s.kind} ({s.source})", 0) + 1
    print(f"{len(found)} suggestion(s) in {args.dir}:")
    for k, n in sorted(by_kind.items()):
        print(f"  {n:4d}  {k}")
    if accepted:
        print(f"Accepted {accepted} as redactions (undo in the editor if needed).")
    return 0
