"""``annotator redact DIR --suggest`` (suggestions, offline) and ``annotator redact DIR
--grow BOX`` (a box grown over the text under it, as the leak check's fragments ask)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from annotator.cli import store_common as c


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> str:
    p = sub.add_parser("redact", help="find redaction suggestions (offline OCR and detectors)")
    p.add_argument("dir", type=Path)
    p.add_argument("--suggest", action="store_true",
                   help="add suggestions (written to suggestions.json in the recording)")
    p.add_argument("--grow", action="append", default=[], metavar="BOX",
                   help="grow the box BOX (its id, as the leak check names it) over the text "
                   "it touches on every frame of its time range: one undoable edit")
    p.add_argument("--no-ocr", action="store_true", help="only typed text and window titles")
    p.add_argument("--accept-all", action="store_true",
                   help="accept every suggestion as a redaction (one undoable edit); "
                   "without --suggest, the ones found before")
    p.add_argument("--deny", action="append", default=[], metavar="TEXT",
                   help="also look for this text (your name, e-mail, address...)")
    p.add_argument("--json", action="store_true")
    return "redact"


def grow_boxes(folder: Path, ids: list[str]) -> list[str]:
    """Grow each named box over its text (``boxfit.grow_to_text``), one undoable edit each;
    returns what was done, one line per box."""
    from annotator.edits import EditSession
    from annotator.errors import AnnotatorError
    from annotator.redaction.boxfit import grow_to_text
    from annotator.steps import load_or_derive

    said = []
    doc = load_or_derive(folder)
    with EditSession.open(folder, steps=doc.steps) as session:
        by_id = {r["id"]: r for r in session.edits.redactions}
        for rid in ids:
            r = by_id.get(rid)
            if r is None or r.get("kind") != "box":
                raise AnnotatorError(f"There is no box redaction {rid!r} in {folder}.",
                                     "Give the id the leak check names (r-...).")
            if r["rect"] == "full":
                said.append(f"{rid} covers the whole frame already.")
                continue
            new = grow_to_text(folder, r["rect"], r["t_start_us"], r["t_end_us"])
            if list(new) == list(r["rect"]):
                said.append(f"{rid} already holds all the text it touches.")
                continue
            session.update_box(rid, rect=list(new), name="Grow redaction to its text")
            said.append(f"Grew {rid} from {r['rect']} to {list(new)} (undo in the editor).")
    return said


def run(args: argparse.Namespace) -> int:
    from annotator.edits import EditSession
    from annotator.errors import AnnotatorError
    from annotator.redaction.stored import SUGGESTIONS_FILE, load_suggestions, save_suggestions
    from annotator.redaction.suggest import suggest_for_bundle
    from annotator.steps import load_or_derive
    from annotator.workspace import Workspace

    if args.grow:
        for line in grow_boxes(args.dir, args.grow):
            print(line)
        if not args.suggest and not args.accept_all:
            return 0
    elif not args.suggest and not args.accept_all:
        print("annotator redact: give --suggest (find suggestions), --accept-all (accept "
              "the ones found) or --grow BOX.", file=sys.stderr)
        return 2
    doc = load_or_derive(args.dir)
    if args.suggest:
        ws = Workspace.open(args.workspace)
        deny = [*ws.personal_deny_list(), *args.deny]
        with c.terminal_progress() as progress:
            found = suggest_for_bundle(args.dir, steps=doc, deny_list=deny, progress=progress,
                                       ocr=not args.no_ocr)
        # The matched text stays out of the file: the editor shows kind and place.
        save_suggestions(args.dir, found)
    else:  # --accept-all alone: the suggestions found before, without reading it again
        found = load_suggestions(args.dir)
        if not found and not (args.dir / SUGGESTIONS_FILE).is_file():
            raise AnnotatorError(f"No suggestions were looked for in {args.dir} yet.",
                                 f"Run: annotator redact {args.dir} --suggest --accept-all")
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
    elif args.accept_all and found:
        print("None left to accept: each was accepted or rejected before.")
    return 0
