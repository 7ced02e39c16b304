"""``annotator render DIR --out FILE``: burn in, then leak-check (exit 1 if anything leaks).

The leak check includes the OCR scan of the output (annotator.redaction.leakscan): every
detected secret and every string you redacted must be absent; and the look for pieces of
what the boxes hide next to them (annotator.redaction.fragments).  Each finding is listed
with its text; ``--accept TEXT`` records that text as not sensitive (an undoable ``allow``
entry in the recording's edits, which travels with the submission) before rendering, and
``--withdraw-accept TEXT`` removes such an entry.  A fragment is accepted by its key
(``--accept r-1a2b3c4d5e:right``: the box and the side), or fixed with ``annotator redact DIR
--grow r-1a2b3c4d5e``.  Without Tesseract the check says "not checked" and the exit status is
1 (fail closed).
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from annotator.cli import store_common as c


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> str:
    p = sub.add_parser("render", help="burn redactions into the kept ranges and leak-check it",
                       description="Render the kept ranges with every redaction burned in, "
                       "then leak-check the output (boxes, metadata, and OCR of the frames "
                       "for secrets and for the strings you redacted). Exits 1 unless the "
                       "leak check passed.")
    p.add_argument("dir", type=Path)
    p.add_argument("--out", type=Path, required=True, help="the video file to write (.mp4)")
    p.add_argument("--accept", action="append", default=[], metavar="TEXT",
                   help="accept a leak-check finding as not sensitive (its text as listed; "
                   "repeat for several); recorded in the recording's edits")
    p.add_argument("--accept-detector", default=None, metavar="KIND",
                   help="with --accept: only for findings of this detector (default: any)")
    p.add_argument("--withdraw-accept", action="append", default=[], metavar="TEXT",
                   help="remove an earlier --accept of TEXT")
    p.add_argument("--json", action="store_true",
                   help="print JSON (the findings' text is included: keep it on this machine)")
    return "render"


_FRAGMENT_KEY = re.compile(r"(?:r-[0-9a-f]+|box\d+):(?:left|right|top|bottom)")
FRAGMENT_DETECTOR = "fragment"  # annotator.redaction.fragments.DETECTOR (no heavy import)


def _record_allow(folder: Path, accept: list[str], detector: str | None,
                  withdraw: list[str]) -> list[str]:
    from annotator.edits import EditSession
    from annotator.edits.redactions import allow_list
    from annotator.errors import AnnotatorError
    from annotator.steps import load_or_derive

    said = []
    doc = load_or_derive(folder)
    with EditSession.open(folder, steps=doc.steps) as session:
        for text in withdraw:
            norm = " ".join(text.casefold().split())
            hits = [e for e in allow_list(session.edits)
                    if " ".join(e["text"].casefold().split()) == norm]
            if not hits:
                raise AnnotatorError(f"{text!r} was not accepted as not sensitive.",
                                     "Give the text exactly as you accepted it.")
            for e in hits:
                session.remove_allow(e["id"])
            said.append(f"Withdrew the acceptance of {text!r}.")
        for text in accept:
            det = FRAGMENT_DETECTOR if _FRAGMENT_KEY.fullmatch(text.strip()) else detector
            session.allow_leak_item(text.strip() if det == FRAGMENT_DETECTOR else text, det)
            said.append(f"Accepted {text!r} as not sensitive"
                        + (f" (detector {det})" if det else "") + ".")
    return said


def run(args: argparse.Namespace) -> int:
    from annotator.submission.render import render_for_submission
    from annotator.workspace import Workspace

    said = []
    if args.accept or args.withdraw_accept:
        said = _record_allow(args.dir, args.accept, args.accept_detector, args.withdraw_accept)
    deny = Workspace.open(args.workspace).personal_deny_list()

    with c.terminal_progress() as progress:
        result, check, plan = render_for_submission(args.dir, args.out, progress,
                                                    deny_list=deny)
    if args.json:
        print(json.dumps({"render": result.to_dict(),
                          "leak_check": check.to_dict(include_text=True),
                          "items": check.ui_items(), "notes": plan.notes + result.notes,
                          "accepted": said},
                         indent=2, default=str))
        return 0 if check.passed else 1
    for line in said:
        print(line)
    print(f"Rendered {args.out}: {len(plan.boxes)} box redaction(s), "
          f"{len(plan.kept_ranges)} kept range(s).")
    for note in result.notes + plan.notes:
        print(f"  note: {note}")
    print(str(check))
    items = check.ui_items()
    blocking = [i for i in items if i["blocking"]]
    allowed = [i for i in items if not i["blocking"]]
    if blocking:
        print(f"\n{len(blocking)} item(s) block the submission:")
        for i in blocking:
            text = f": {i['text']!r}" if i.get("text") else ""
            print(f"  - [{i.get('detector') or i['check']}] {i['description']}{text}")
            if i.get("check") == "fragments":
                grow = (f"annotator redact {args.dir} --grow {i['box_id']}, or "
                        if i.get("box_id") else "")
                print(f"      fix: {grow}accept it: --accept {i['key']}")
        if any(i["acceptable"] for i in blocking):
            print("Hide them (a box in the editor, or a mask), or, if one is not sensitive, "
                  f"accept it: annotator render {args.dir} --out {args.out} --accept TEXT")
    if allowed:
        print(f"\n{len(allowed)} item(s) accepted as not sensitive:")
        for i in allowed:
            what = f"{i['key']} ({i.get('text')!r})" if i.get("key") else repr(i.get("text"))
            print(f"  - [{i.get('detector')}] {what}")
    if check.passed:
        print("\nThe leak check passed.")
    return 0 if check.passed else 1
