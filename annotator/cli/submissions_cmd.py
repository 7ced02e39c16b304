"""``annotator submissions [list|show ID|send ID]``: your own submissions, their states and
the reviewers' comments."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from annotator.cli import store_common as c
from annotator.display import duration, when
from annotator.workflow.states import state_label

if TYPE_CHECKING:
    from annotator.workflow.contract import (
        Actor,
        SubmissionDetail,
        SubmissionInfo,
        WorkflowServices,
    )


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> str:
    p = subparsers.add_parser("submissions",
                              help="your submissions: status, reviewers' comments, drafts")
    sub = p.add_subparsers(dest="submissions_command", metavar="COMMAND")
    ls = sub.add_parser("list", help="list your submissions (the default)")
    c.add_user_option(ls)
    c.add_json_option(ls)
    sh = sub.add_parser("show", help="one submission: files, history, comments, consent")
    sh.add_argument("id", type=int)
    c.add_user_option(sh)
    c.add_json_option(sh)
    se = sub.add_parser("send", help="send a draft to the review queue")
    se.add_argument("id", type=int)
    c.add_user_option(se)
    an = sub.add_parser("answer", help="answer a quality signal of your submission (the "
                        "reviewer sees it beside the signal)")
    an.add_argument("id", type=int)
    an.add_argument("key", help="the signal's key (`annotator review signals ID` lists them)")
    an.add_argument("text")
    c.add_user_option(an)
    c.add_user_option(p)
    c.add_json_option(p)
    return "submissions"


def format_detail(d: SubmissionDetail) -> str:
    i = d.info
    lines = [
        f"Submission #{i.id} (version {i.version}"
        + (f", after #{i.previous_id}" if i.previous_id else "") + f"): {state_label(i.state)}",
        f"  contributor {i.contributor}; task {('#' + str(i.task_id)) if i.task_id else '-'}"
        f" {i.task_title or ''}".rstrip(),
        f"  goal: {i.goal or '-'}",
        f"  {duration(i.duration_us)}, {i.step_count} step(s), {i.total_bytes / 1e6:.1f} MB; "
        f"manifest {i.manifest_sha256[:16]}…",
        f"  consent {d.consent.record_id} ({d.consent.status}) to terms "
        f"{d.consent.terms_version}, given {when(d.consent.given_at)}",
    ]
    if i.claimed_by:
        lines.append(f"  claimed by {i.claimed_by} until {when(i.lock_expires_at)}")
    if i.reviewer:
        lines.append(f"  decided by {i.reviewer} {when(i.decided_at)}"
                     + (f", quality {i.quality}" if i.quality else "")
                     + (f": {i.decision_reason}" if i.decision_reason else ""))
    if d.comments:
        lines.append("  comments:")
        for cm in d.comments:
            pin = ("" if cm.step_index is None else f"step {cm.step_index + 1} ") + (
                "" if cm.t_start_us is None else
                f"{duration(cm.t_start_us)}-{duration(cm.t_end_us)} ")
            lines.append(f"    v{cm.version} {pin or 'general '}({cm.author}): {cm.body}")
    lines.append("  history:")
    for h in d.history:
        lines.append(f"    {when(h.at)}  #{h.submission_id} {h.action}: "
                     f"{h.from_state or '-'} -> {h.to_state} by {h.actor or 'system'}"
                     + (f" ({h.reason})" if h.reason else ""))
    if d.files:
        lines.append(f"  files: {len(d.files)} ("
                     + ", ".join(sorted({f.role for f in d.files})) + ")")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    svc = c.services(args)
    with svc.store:
        actor = c.sign_in(svc, args)
        cmd = args.submissions_command or "list"
        if cmd == "list":
            subs = svc.my_submissions(actor=actor)
            _apply_retention(args, svc, actor, subs)
            if args.json:
                c.print_json(subs)
            else:
                print(c.table(("id", "v", "state", "submitted", "length", "steps", "quality",
                               "goal"), [
                    (s.id, s.version, state_label(s.state), when(s.submitted_at),
                     duration(s.duration_us), s.step_count, s.quality or "",
                     c.clip(s.goal, 40)) for s in subs]))
        elif cmd == "show":
            d = svc.get_submission(actor=actor, submission_id=args.id)
            _apply_retention(args, svc, actor, None)
            if args.json:
                c.print_json(d)
            else:
                print(format_detail(d))
        elif cmd == "answer":
            svc.answer_signal(actor=actor, submission_id=args.id, signal_key=args.key,
                              body=args.text)
            print(f"Your answer to {args.key} on submission #{args.id} is saved.")
        else:
            i = svc.submit(actor=actor, submission_id=args.id)
            print(f"Submission #{i.id} sent to the review queue.")
    return 0


def _apply_retention(args: argparse.Namespace, svc: WorkflowServices, actor: Actor,
                     subs: list[SubmissionInfo] | None) -> None:
    """The states are known: apply the raw-recording retention choices (as the desktop's
    "My submissions" does), saying what was done on stderr."""
    from annotator.cli.retention_cmd import report
    from annotator.workspace import Workspace

    report(Workspace.open(getattr(args, "workspace", None)), svc, actor, subs)
