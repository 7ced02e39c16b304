"""``annotator label DIR``: label a recording's steps without the editor.

Every change is an edit in the recording's history (undoable here with ``--undo`` and in
the editor), exactly as the editor makes it:

    annotator label DIR --show                     # each step: instruction, origin, draft, target
    annotator label DIR --accept-drafts            # every kept step's draft, weak ones aside
    annotator label DIR --accept 3 --write 5 "Open the invoice list"
    annotator label DIR --goal "Bill Acme for Q3" --outcome success
    annotator label DIR --undo
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from annotator.edits.model import OUTCOMES


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> str:
    p = sub.add_parser(
        "label", help="show and accept drafted instructions, write instructions, set the goal "
        "and outcome",
        description="Label a recording's steps: show each step's instruction and where it "
        "came from (drafted, accepted, edited, written), accept the drafter's proposals, "
        "write instructions, and set the task's goal and outcome. Every change is an "
        "undoable edit, saved at once, as in the editor.")
    p.add_argument("dir", type=Path, help="recording folder")
    p.add_argument("--goal", metavar="TEXT", help="the task's goal, in your words")
    p.add_argument("--outcome", choices=[*OUTCOMES, "none"],
                   help="whether the task succeeded (none: unset)")
    p.add_argument("--accept-drafts", action="store_true",
                   help="accept the draft of every kept step that has no instruction yet "
                   "(weak drafts are left for you to look at; add --include-weak to take them)")
    p.add_argument("--include-weak", action="store_true",
                   help="with --accept-drafts: accept weak drafts too")
    p.add_argument("--accept", action="append", default=[], metavar="STEP",
                   help="accept this step's draft, weak or not (its number in --show, or its id)")
    p.add_argument("--write", action="append", nargs=2, default=[], metavar=("STEP", "TEXT"),
                   help="set this step's instruction (an empty TEXT clears it)")
    p.add_argument("--undo", action="store_true", help="undo the last edit (before the others)")
    p.add_argument("--show", action="store_true", help="list every kept step with its "
                   "instruction, origin, draft and target")
    p.add_argument("--json", action="store_true", help="print the same as JSON")
    p.add_argument("--no-ocr", action="store_true",
                   help="draft without reading the screen (accessibility, typed text, keys)")
    return "label"


def _step_ref(ref: str, kept: list[Any]) -> str:
    from annotator.errors import AnnotatorError

    ids = {s.id for s in kept}
    if ref in ids:
        return ref
    if ref.lstrip("#").isdigit() and len(ref.lstrip("#")) <= 5:
        n = int(ref.lstrip("#"))
        if 1 <= n <= len(kept):
            return str(kept[n - 1].id)
    raise AnnotatorError(f"There is no step {ref!r} among the {len(kept)} kept steps.",
                         "Give a step's number as `annotator label DIR --show` lists it "
                         "(1 is the first), or its id.")


def step_rows(result: Any, drafts: dict[str, Any]) -> list[dict[str, Any]]:
    """Per kept step: what ``--show`` and ``--json`` print."""
    rows = []
    for s in result.steps:
        d = drafts.get(s.id)
        origin = s.label.instruction_origin
        instruction = s.label.instruction
        if not origin and d is not None:
            origin, instruction = "drafted", d.text
        tg = d.target if d is not None else None
        rows.append({
            "index": (s.index or 0) + 1, "id": s.id, "type": s.type,
            "instruction": instruction or None, "origin": origin or None,
            "draft": d.text if d is not None else None,
            "weak": bool(d.weak) if d is not None else None,
            "why_weak": (d.why or None) if d is not None and d.weak else None,
            "target": None if tg is None else {"name": tg.name, "role": tg.role or tg.kind,
                                               "box": tg.box, "source": tg.source},
        })
    return rows


def run(args: argparse.Namespace) -> int:
    from annotator.drafts import RecordingDrafts
    from annotator.edits import EditSession
    from annotator.steps import load_or_derive
    from annotator.submission.builder import checklist, failing
    from annotator.workspace import Workspace

    doc = load_or_derive(args.dir)
    done: list[str] = []
    with EditSession.open(args.dir, steps=doc.steps) as session:
        deny = Workspace.open(args.workspace).personal_deny_list()
        rd = RecordingDrafts.open(args.dir, edits=session.edits, deny_list=deny,
                                  ocr=not args.no_ocr)
        try:
            def redraft() -> None:
                rd.update_steps(session.result.all_steps)
                rd.update_redactions(session.edits.redactions)
                rd.draft_all()
                session.set_drafts(rd.texts())

            redraft()
            if args.undo:
                change = session.undo()
                done.append(f"undid {change.name}" if change else "nothing to undo")
                redraft()
            if args.goal is not None:
                session.set_goal(args.goal)
                done.append("goal set")
            if args.outcome is not None:
                session.set_outcome(None if args.outcome == "none" else args.outcome)
                done.append(f"outcome {args.outcome}")
            kept = session.result.steps
            for ref, text in args.write:
                sid = _step_ref(ref, kept)
                session.set_instruction(sid, text)
                done.append(f"step {ref}: instruction {'cleared' if not text else 'written'}")
            for ref in args.accept:
                session.accept_draft(_step_ref(ref, kept))
                done.append(f"step {ref}: draft accepted")
            if args.accept_drafts:
                change = session.accept_drafts(include_weak=args.include_weak)
                done.append(f"{len(change.step_ids)} draft(s) accepted")
            rd.save()
            rows = step_rows(session.result, rd.drafts)
            task = session.edits.task
            note = rd.ocr_note
        finally:
            rd.close()
    items = checklist(args.dir)
    bad = failing(items)
    if args.json:
        print(json.dumps({"steps": rows, "goal": task.goal, "outcome": task.outcome,
                          "done": done, "ready": not bad,
                          "checklist": [{"key": i.key, "ok": i.ok, "text": i.text,
                                         "step_id": i.step_id} for i in items],
                          "ocr_note": note}, indent=2, ensure_ascii=False))
        return 0
    if args.show:
        for r in rows:
            origin = r["origin"] or "none"
            why = " (weak: " + (r["why_weak"] or "check it") + ")" if r["weak"] and \
                origin == "drafted" else ""
            text = r["instruction"] or "(no instruction)"
            print(f"{r['index']:>3}. [{origin}{why}] {text}    ({r['type']}, {r['id']})")
        print(f"Goal: {task.goal or '(none)'}; outcome: {task.outcome or '(none)'}")
    for line in done:
        print(line)
    if note:
        print(f"note: drafts could not read the screen: {note}", file=sys.stderr)
    labelled = sum(1 for r in rows if r["origin"] in ("accepted", "edited", "written"))
    drafted = sum(1 for r in rows if r["origin"] == "drafted")
    weak = sum(1 for r in rows if r["origin"] == "drafted" and r["weak"])
    print(f"{labelled} of {len(rows)} step(s) labelled; {drafted} draft(s) waiting "
          f"({weak} weak).")
    if bad:
        print("Not ready to submit:")
        for i in bad:
            print(f"  - {i.text}")
    else:
        print("Ready to submit (the leak check runs when the package is prepared).")
    return 0
