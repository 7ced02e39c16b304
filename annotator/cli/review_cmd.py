"""``annotator review list|claim|release|show|comment|approve|request-changes|reject``."""

from __future__ import annotations

import argparse
import re
from typing import TYPE_CHECKING, Any

from annotator.cli import store_common as c
from annotator.display import duration, when
from annotator.workflow.states import state_label

if TYPE_CHECKING:
    from annotator.workflow.contract import (
        Actor,
        CommentIn,
        QueueFilter,
        QueueItem,
        SubmissionDetail,
        SubmissionId,
        WorkflowServices,
    )


def _seconds(text: str) -> int:
    """``12.5`` or ``1:02.5`` -> microseconds."""
    m = re.fullmatch(r"(?:(\d+):)?(\d+(?:\.\d+)?)", text.strip())
    if not m:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time (S, S.S or M:SS.S)")
    return round((int(m.group(1) or 0) * 60 + float(m.group(2))) * 1e6)


def _range(text: str) -> tuple[int, int]:
    parts = text.split("-")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time range START-END")
    return _seconds(parts[0]), _seconds(parts[1])


def _comment_options(p: argparse.ArgumentParser, *, required: bool = False) -> None:
    g = p.add_argument_group("comments (repeat any of them)")
    g.add_argument("--comment", action="append", default=[], metavar="TEXT",
                   help="a comment on the whole submission")
    g.add_argument("--on-step", action="append", default=[], nargs=2, metavar=("N", "TEXT"),
                   help="a comment pinned to step N (1 = first, as `review show` numbers them)")
    g.add_argument("--on-range", action="append", default=[], nargs=2,
                   metavar=("START-END", "TEXT"),
                   help="a comment pinned to a time range of the video, in seconds or M:SS")


def _package_steps(svc: WorkflowServices, actor: Actor, submission_id: SubmissionId,
                   detail: SubmissionDetail | None = None) -> list[Any]:
    """The kept steps of a submission's package (``playback.StepRow``), as its reviewer sees
    them; none when the package has no steps file.  ``detail``: the submission, if read."""
    import json

    from annotator.submission.playback import parse_steps

    d = detail or svc.get_submission(actor=actor, submission_id=submission_id)
    if not any(f.path == "steps.json" for f in d.files):
        return []
    with svc.open_file(actor=actor, submission_id=submission_id, path="steps.json") as fh:
        return parse_steps(json.loads(fh.read().decode("utf-8")))


def _comments(args: argparse.Namespace, svc: WorkflowServices, actor: Actor
              ) -> list[CommentIn]:
    from annotator.errors import AnnotatorError
    from annotator.workflow.service import CommentIn

    # The package's steps, to check a pin's number and give it the step's id.
    steps = _package_steps(svc, actor, args.id) if args.on_step else []
    out = [CommentIn(body=t) for t in args.comment]
    for n, text in args.on_step:
        # Steps are numbered from 1 for people, as `review show`, the signals, the desktop
        # and the contributor's `label --show` number them; the store keeps the index.
        if not n.lstrip("#").isdigit() or int(n.lstrip("#")) < 1:
            raise AnnotatorError(f"--on-step {n!r}: not a step number.",
                                 "Give the step's number as `review show` lists it (1 = "
                                 "the first step).")
        i = int(n.lstrip("#")) - 1
        if steps and i >= len(steps):
            raise AnnotatorError(f"Submission #{args.id} has {len(steps)} step(s); there is "
                                 f"no step {i + 1}.", "See them with `annotator review show "
                                 f"{args.id}`.")
        out.append(CommentIn(body=text, step_index=i,
                             step_id=steps[i].id if i < len(steps) else None))
    for rng, text in args.on_range:
        try:
            start, end = _range(rng)
        except argparse.ArgumentTypeError as exc:
            raise AnnotatorError(f"--on-range: {exc}.", "Give START-END, e.g. 12.5-14 or "
                                 "1:02-1:10.") from None
        out.append(CommentIn(body=text, t_start_us=start, t_end_us=end))
    return out


def _filter_options(p: argparse.ArgumentParser, *, claim: bool = False) -> None:
    """The queue filter's options (``QueueFilter``): every one on ``list``; on ``claim``, those
    that choose among the claimable submissions, with ``--next``."""
    g = p.add_argument_group("filters" + (" (with --next)" if claim else ""))
    g.add_argument("--task", type=int, metavar="ID", help="submissions for this task")
    g.add_argument("--contributor", metavar="PSEUDONYM")
    g.add_argument("--app", metavar="APP", help="tasks using this application")
    g.add_argument("--text", help="words in the goal")
    g.add_argument("--submitted-after", type=c.utc_time, metavar="TIME",
                   help="submitted at or after TIME (YYYY-MM-DD or ISO 8601; UTC unless it "
                   "says)")
    g.add_argument("--submitted-before", type=c.utc_time, metavar="TIME",
                   help="submitted before TIME")
    if claim:
        return
    g.add_argument("--state", action="append", default=[],
                   choices=("draft", "submitted", "in_review", "approved", "changes_requested",
                            "rejected", "superseded"),
                   help="states to show (repeat; default: submitted and in_review)")
    g.add_argument("--claimed-by", metavar="PSEUDONYM", help="or 'me'")
    g.add_argument("--claimable", action="store_true",
                   help="only what can be claimed now (waiting, or its claim expired)")
    g.add_argument("--own", action="store_true", help="include your own submissions")
    g.add_argument("--signal", metavar="KIND",
                   help="only submissions with this quality signal (e.g. no_effect, "
                        "duplicate, synthetic_input; docs/signals.md)")
    g.add_argument("--order", choices=("oldest", "severity"), default="oldest",
                   help="oldest first (default), or the most serious signals first")


def _queue_filter(args: argparse.Namespace) -> QueueFilter:
    from annotator.workflow.contract import QueueFilter, TaskId
    from annotator.workflow.states import QUEUE_STATES, State

    return QueueFilter(
        states=tuple(State(s) for s in getattr(args, "state", ())) or QUEUE_STATES,
        task_id=TaskId(args.task) if args.task is not None else None,
        contributor=args.contributor, claimed_by=getattr(args, "claimed_by", None),
        claimable=getattr(args, "claimable", False), application=args.app, text=args.text,
        submitted_after=args.submitted_after, submitted_before=args.submitted_before,
        include_own=getattr(args, "own", False), signal=getattr(args, "signal", None),
        order=getattr(args, "order", "oldest"),
    )


def _filtered(args: argparse.Namespace) -> bool:
    return any(getattr(args, k, None) is not None for k in (
        "task", "contributor", "app", "text", "submitted_after", "submitted_before"))


def signal_badge(item: QueueItem) -> str:
    """The queue's signal column: the highest severity and how many ("HIGH 3")."""
    from annotator.quality.records import SEVERITY_RANK

    names = {rank: name for name, rank in SEVERITY_RANK.items()}
    if item.signal_severity < 0:
        return "..."  # not computed yet
    if not item.signal_count:
        return "-"
    return f"{names.get(item.signal_severity, '?').upper()} {item.signal_count}"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> str:
    p = subparsers.add_parser("review", help="the review queue: claim, approve, request "
                              "changes, reject (reviewers and admins)")
    sub = p.add_subparsers(dest="review_command", required=True, metavar="COMMAND")
    ls = sub.add_parser("list", help="one page of the queue, oldest first")
    _filter_options(ls)
    ls.add_argument("--limit", type=int, default=50)
    ls.add_argument("--offset", type=int, default=0)
    c.add_user_option(ls)
    c.add_json_option(ls)
    cn = sub.add_parser("counts", help="how many submissions are in each state")
    c.add_user_option(cn)
    c.add_json_option(cn)
    cl = sub.add_parser("claim", help="claim a submission (or --next) for review")
    g = cl.add_mutually_exclusive_group(required=True)
    g.add_argument("id", type=int, nargs="?")
    g.add_argument("--next", action="store_true", help="the oldest one you may review")
    _filter_options(cl, claim=True)
    c.add_user_option(cl)
    c.add_json_option(cl)
    sg = sub.add_parser("signals", help="what the machine found in a submission, and where")
    sg.add_argument("id", type=int)
    c.add_user_option(sg)
    c.add_json_option(sg)
    sr = sub.add_parser("signal-rates", help="signals per contributor and week (admins)")
    sr.add_argument("--weeks", type=int, default=12)
    c.add_user_option(sr)
    c.add_json_option(sr)
    mx = sub.add_parser("set-mix", help="how many blind reviews (gold copies, second "
                        "reviews) are mixed into reviewers' work (admins)")
    mx.add_argument("--gold", type=float, required=True, help="share of gold copies, 0-1")
    mx.add_argument("--second", type=float, required=True, help="share of second reviews, 0-1")
    c.add_user_option(mx)
    mg = sub.add_parser("mark-gold", help="mark a submission as gold with its right decision "
                        "(admins)")
    mg.add_argument("id", type=int)
    mg.add_argument("--decision", required=True, choices=("approve", "request_changes",
                                                           "reject"))
    mg.add_argument("--quality", type=int, choices=range(1, 6), metavar="1-5")
    mg.add_argument("--note")
    c.add_user_option(mg)
    bn = sub.add_parser("blind-next", help="your next blind review (it changes nothing of the "
                        "submission), if one is due")
    c.add_user_option(bn)
    c.add_json_option(bn)
    bs = sub.add_parser("blind-show", help="a blind review's task, steps and signals (not "
                        "the submission it is)")
    bs.add_argument("review_id", type=int)
    c.add_user_option(bs)
    c.add_json_option(bs)
    bd = sub.add_parser("blind-decide", help="decide a blind review")
    bd.add_argument("review_id", type=int)
    bd.add_argument("--decision", required=True, choices=("approve", "request_changes",
                                                           "reject"))
    bd.add_argument("--quality", type=int, choices=range(1, 6), metavar="1-5")
    c.add_user_option(bd)
    ag = sub.add_parser("agreement", help="reviewers' accuracy on gold, agreement (Cohen's "
                        "kappa) and time per review (admins)")
    c.add_user_option(ag)
    c.add_json_option(ag)
    rl = sub.add_parser("release", help="give your claim back to the queue")
    rl.add_argument("id", type=int)
    c.add_user_option(rl)
    sh = sub.add_parser("show", help="a submission with its steps' comments and history")
    sh.add_argument("id", type=int)
    c.add_user_option(sh)
    c.add_json_option(sh)
    cm = sub.add_parser("comment", help="add comments to a submission you claimed")
    cm.add_argument("id", type=int)
    _comment_options(cm)
    c.add_user_option(cm)
    ap = sub.add_parser("approve", help="approve a claimed submission")
    ap.add_argument("id", type=int)
    ap.add_argument("--quality", type=int, required=True, choices=range(1, 6), metavar="1-5",
                    help="1 = usable ... 5 = exemplary")
    ap.add_argument("--note")
    c.add_user_option(ap)
    rc = sub.add_parser("request-changes", help="send a claimed submission back to its "
                        "author with comments")
    rc.add_argument("id", type=int)
    rc.add_argument("--reason", help="a summary (default: the number of comments)")
    _comment_options(rc)
    c.add_user_option(rc)
    rj = sub.add_parser("reject", help="reject a claimed submission, with a reason")
    rj.add_argument("id", type=int)
    rj.add_argument("--reason", required=True)
    c.add_user_option(rj)
    return "review"


def run(args: argparse.Namespace) -> int:
    svc = c.services(args)
    with svc.store:
        actor = c.sign_in(svc, args)
        cmd = args.review_command
        for commands in (_queue_commands, _signal_commands, _decision_commands):
            code = commands(svc, actor, args, cmd)
            if code is not None:
                return code
    return 0


def _queue_commands(svc: WorkflowServices, actor: Actor, args: argparse.Namespace, cmd: str) -> int | None:
    """counts, list, claim, release (None: not one of them)."""
    from annotator.workflow.states import State

    if cmd == "counts":
        counts = svc.queue_counts(actor=actor)
        if args.json:
            c.print_json(counts)
        else:
            print(c.table(("state", "submissions"), [(st.value, counts.get(st.value, 0))
                                                      for st in State]))
        return 0
    if cmd == "list":
        items = svc.list_queue(actor=actor, filters=_queue_filter(args), limit=args.limit,
                               offset=args.offset)
        if args.json:
            c.print_json(items)
            return 0
        print(c.table(("id", "v", "state", "signals", "submitted", "contributor", "length",
                       "steps", "task", "claimed by", "goal"), [
            (i.id, i.version, state_label(i.state), signal_badge(i), when(i.submitted_at),
             i.contributor,
             duration(i.duration_us), i.step_count,
             c.clip(i.task_title, 20) if i.task_id else "-",
             f"{i.claimed_by} until {when(i.lock_expires_at)[11:]}" if i.claimed_by
             else "", c.clip(i.goal, 40)) for i in items]))
        return 0
    if cmd == "claim":
        if args.next:
            info = svc.claim_next(actor=actor, filters=_queue_filter(args))
            if info is None:
                print("Nothing to claim: the queue has nothing you may review"
                      + (" that matches the filters." if _filtered(args) else "."))
                return 1
        else:
            if _filtered(args):
                from annotator.errors import AnnotatorError

                raise AnnotatorError("The filters choose which submission to claim: they "
                                     "go with --next, not with an id.",
                                     "Drop the filters, or claim with --next.")
            info = svc.claim(actor=actor, submission_id=args.id)
        if args.json:
            c.print_json(info)
        else:
            print(f"Claimed submission #{info.id} until {when(info.lock_expires_at)}: "
                  f"{c.clip(info.goal, 60)}")
        return 0
    if cmd == "release":
        info = svc.release(actor=actor, submission_id=args.id)
        print(f"Submission #{info.id} is back in the queue.")
        return 0
    return None


def _show_blind(svc: WorkflowServices, actor: Actor, args: argparse.Namespace) -> None:
    import json

    from annotator.submission.playback import parse_steps

    pkg = svc.open_blind_review(actor=actor, review_id=args.review_id)
    steps: list[Any] = []
    if any(f.path == "steps.json" for f in pkg.files):
        with svc.open_blind_file(actor=actor, review_id=args.review_id,
                                 path="steps.json") as fh:
            steps = parse_steps(json.loads(fh.read().decode("utf-8")))
    if args.json:
        c.print_json({"package": pkg, "steps": [r.raw for r in steps]})
        return
    state = "decided: " + pkg.review.decision if pkg.review.decision else "to decide"
    print(f"Blind review #{pkg.review.id} ({state})")
    print(f"Goal: {pkg.goal or '(none)'}")
    for r in steps:
        print("  " + r.line())
    for rec in pkg.signals:
        print(f"  [{rec.get('severity')}] {rec.get('title') or rec.get('kind')}: "
              f"{rec.get('why') or ''}")
    print(f"Play it in the desktop app, or decide: `annotator review blind-decide "
          f"{pkg.review.id} --decision approve|request_changes|reject [--quality 1-5]`.")


def _signal_commands(svc: WorkflowServices, actor: Actor, args: argparse.Namespace, cmd: str) -> int | None:
    """The quality signals, blind reviews and agreement (None: not one of them)."""
    if cmd == "signals":
        from annotator.cli.signals_cmd import describe_report

        rep = svc.submission_signals(actor=actor, submission_id=args.id)
        if args.json:
            c.print_json(rep)
        else:
            print("\n".join(describe_report(rep)))
    elif cmd == "signal-rates":
        rates = svc.signal_rates(actor=actor, weeks=args.weeks)
        if args.json:
            c.print_json(rates)
        else:
            cols = ("contributor", "week", "submissions", "flagged", "high", *rates.kinds)
            print(c.table(cols, [tuple(r.get(k, 0) for k in cols) for r in rates.rows]))
    elif cmd == "set-mix":
        mix = svc.set_review_mix(actor=actor, gold_rate=args.gold, second_rate=args.second)
        print(f"Blind reviews: {mix['gold_rate']:.0%} gold copies, "
              f"{mix['second_rate']:.0%} second reviews.")
    elif cmd == "mark-gold":
        svc.mark_gold(actor=actor, submission_id=args.id, decision=args.decision,
                      quality=args.quality, note=args.note)
        print(f"Submission #{args.id} is gold: {args.decision}.")
    elif cmd == "blind-next":
        b = svc.next_blind_review(actor=actor)
        if args.json:
            c.print_json(b)
        elif b is None:
            print("No blind review is due: take the next submission from the queue.")
        else:
            print(f"Blind review #{b.id}: see it with `annotator review blind-show {b.id}` "
                  f"and decide with `annotator review blind-decide {b.id} --decision ...`. "
                  "It changes nothing of the submission.")
    elif cmd == "blind-show":
        _show_blind(svc, actor, args)
    elif cmd == "blind-decide":
        svc.decide_blind_review(actor=actor, review_id=args.review_id,
                                decision=args.decision, quality=args.quality)
        print(f"Blind review #{args.review_id} decided: {args.decision}.")
    elif cmd == "agreement":
        ag = svc.reviewer_agreement(actor=actor)
        if args.json:
            c.print_json(ag)
        else:
            def pct(x: float | None) -> str:
                return "-" if x is None else f"{x:.0%}"

            print(c.table(("reviewer", "reviews", "gold", "correct", "accuracy",
                           "median s"), [
                (r["reviewer"], r["reviews"], r["gold_reviews"], r["gold_correct"],
                 pct(r["gold_accuracy"]),
                 "-" if r["median_review_s"] is None else f"{r['median_review_s']:.0f}")
                for r in ag.reviewers]))
            kd = "-" if ag.kappa_decision is None else f"{ag.kappa_decision:.2f}"
            kq = "-" if ag.kappa_quality is None else f"{ag.kappa_quality:.2f}"
            print(f"Agreement (Cohen's kappa): decision {kd} (unweighted, {ag.pairs} pairs),"
                  f" quality {kq} (quadratic-weighted, {ag.quality_pairs} pairs).")
            for d in ag.disagreements:
                print(f"  #{d['submission_id']}: {d['decided_by']} {d['decision']}, "
                      f"{d['second_by']} {d['second']}: an admin decides.")
    else:
        return None
    return 0


def _decision_commands(svc: WorkflowServices, actor: Actor, args: argparse.Namespace, cmd: str) -> int | None:
    """show, comment and the decisions (None: not one of them)."""
    if cmd == "show":
        from annotator.cli.submissions_cmd import format_detail

        d = svc.get_submission(actor=actor, submission_id=args.id)
        steps = _package_steps(svc, actor, args.id, d)
        if args.json:
            c.print_json({**c.plain(d), "steps": [r.raw for r in steps]})
        else:
            print(format_detail(d))
            if steps:
                print("  steps:")
                for r in steps:
                    print("    " + r.line())
    elif cmd == "comment":
        comments = _comments(args, svc, actor)
        if not comments:
            from annotator.errors import AnnotatorError

            raise AnnotatorError("No comment given.",
                                 "Add --comment TEXT, --on-step N TEXT or --on-range S-E TEXT.")
        for cm in comments:
            svc.add_comment(actor=actor, submission_id=args.id, comment=cm)
        print(f"{len(comments)} comment(s) added to submission #{args.id}.")
    elif cmd == "approve":
        svc.approve(actor=actor, submission_id=args.id, quality=args.quality,
                    note=args.note)
        print(f"Submission #{args.id} approved (quality {args.quality}).")
    elif cmd == "request-changes":
        comments = _comments(args, svc, actor)
        svc.request_changes(actor=actor, submission_id=args.id, comments=comments,
                            reason=args.reason)
        print(f"Submission #{args.id} sent back to its author with {len(comments)} "
              "comment(s).")
    elif cmd == "reject":
        svc.reject(actor=actor, submission_id=args.id, reason=args.reason)
        print(f"Submission #{args.id} rejected.")
    else:
        return None
    return 0
