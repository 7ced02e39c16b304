"""``annotator retention [list|apply|set|delete]``: what happens to your raw local recordings
once their submissions are approved (the same choices and the same function as the desktop
app: ``annotator.submission.retention``).

The choice applies whenever a command learns your submissions' states (``annotator
submissions``, ``annotator remote list|send|status``, and ``annotator retention`` itself):
recordings you chose to delete are deleted once approved, and the ones you chose to be asked
about are listed with the command that answers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from annotator.cli import store_common as c
from annotator.preferences import RETENTION_CHOICES
from annotator.workflow.contract import Actor, WorkflowServices
from annotator.workspace import Workspace

WHAT = {"delete": "deleted once approved", "keep": "kept", "ask": "asked once approved"}


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> str:
    p = subparsers.add_parser(
        "retention", help="your raw recordings once their submissions are approved: delete, "
        "keep or ask",
        description="What happens to your raw local recordings once their submissions are "
        "approved.  The choice (ask, delete or keep) is made per recording when you consent, "
        "with a workspace default; it is applied whenever a command learns your "
        "submissions' states.  A recording is only ever deleted once a submission made from "
        "it is approved, and the approved submission stays in the store.")
    sub = p.add_subparsers(dest="retention_command", metavar="COMMAND")
    ls = sub.add_parser("list", help="each recording you submitted from, its choice and "
                        "where it stands (the default)")
    ap = sub.add_parser("apply", help="apply the choices now: delete what you chose to delete "
                        "once approved, list what to answer")
    st = sub.add_parser("set", help="choose for one recording, or the default (--default)")
    st.add_argument("choice", choices=RETENTION_CHOICES)
    target = st.add_mutually_exclusive_group(required=True)
    target.add_argument("dir", type=Path, nargs="?", help="the recording")
    target.add_argument("--default", action="store_true",
                        help="the workspace default, for recordings without a choice")
    de = sub.add_parser("delete", help="delete an approved recording now (the answer to "
                        "\"ask\")")
    de.add_argument("dir", type=Path)
    de.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    for q in (p, ls, ap, de):
        c.add_user_option(q)
    for q in (p, ls):
        c.add_json_option(q)
    return "retention"


def report(ws: Workspace, svc: WorkflowServices, actor: Actor, submissions: list[Any] | None = None, *,
           out: Any = None) -> Any:
    """Apply the retention choices now that the submissions' states are known, and say what
    was done and what is left to answer (on stderr by default: stdout may hold JSON)."""
    from annotator.submission.retention import review_retention

    out = out or sys.stderr
    review = review_retention(ws, services=svc, actor=actor, submissions=submissions)
    for res in review.deleted:
        print(f"annotator: {res.message}", file=out)
        for note in res.notes:
            print(f"annotator: note: {note}", file=out)
    for st in review.to_ask:
        print(f"annotator: {st.text}", file=out)
        print(f"  Delete it: annotator retention delete {_quote(st.folder)}\n"
              f"  Keep it:   annotator retention set keep {_quote(st.folder)}", file=out)
    for err in review.errors:
        print(f"annotator: note: {err}", file=out)
    return review


def _quote(path: Path | None) -> str:
    import shlex

    return shlex.quote(str(path))


def run(args: argparse.Namespace) -> int:
    from annotator.submission.retention import apply_retention

    ws = Workspace.open(getattr(args, "workspace", None))
    cmd = args.retention_command or "list"
    if cmd == "set":
        if args.default:
            ws.set_retention(args.choice)
            print(f"Raw recordings without a choice of their own are {WHAT[args.choice]}.")
        else:
            _recording(args.dir)
            ws.set_retention_for(args.dir, args.choice)
            print(f"{args.dir}: {WHAT[args.choice]}.")
        return 0
    svc = c.services(args)
    with svc.store:
        actor = c.sign_in(svc, args)
        if cmd == "delete":
            _recording(args.dir)
            c.confirm(f"Delete the raw recording {args.dir} from this computer?", yes=args.yes)
            res = apply_retention(args.dir, services=svc, actor=actor, workspace=ws,
                                  confirmed=True)
            if not res.deleted:
                from annotator.errors import AnnotatorError

                raise AnnotatorError(f"{args.dir} was not deleted: {res.message}",
                                     "A recording is deleted only once a submission made "
                                     "from it is approved.")
            print(res.message)
            for note in res.notes:
                print(f"annotator: note: {note}", file=sys.stderr)
            return 0
        review = report(ws, svc, actor)
        if cmd == "apply":
            if not (review.deleted or review.to_ask):
                print("Nothing to delete or answer.")
            return 0
        rows = [(str(st.folder), st.preference, st.action, st.text) for st in review.statuses]
        if args.json:
            c.print_json([{"recording": r[0], "choice": r[1], "action": r[2], "text": r[3]}
                          for r in rows])
        else:
            print(f"Default: {ws.retention()} ({WHAT[ws.retention()]}).")
            print(c.table(("recording", "choice", "now", "what"),
                          [(Path(r[0]).name, r[1], r[2], c.clip(r[3], 70)) for r in rows]))
    return 0


def _recording(folder: Path) -> None:
    from annotator.errors import AnnotatorError

    if not (folder / "manifest.json").is_file():
        raise AnnotatorError(f"{folder} is not a recording (it has no manifest.json).",
                             "Give the recording's folder (`annotator retention list` "
                             "lists them).")
