"""``annotator withdraw ID`` / ``annotator withdraw --all [--delete-account]``."""

from __future__ import annotations

import argparse

from annotator.cli import store_common as c


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> str:
    p = subparsers.add_parser(
        "withdraw", help="withdraw a submission (every version of it), or everything",
        description="Withdrawing takes your consent back: the submission's content is deleted "
        "from the store and left out of later exports; a record of the consent and of the "
        "withdrawal (ids, hashes, times) is kept.",
    )
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("id", type=int, nargs="?", help="the submission to withdraw")
    g.add_argument("--all", action="store_true", help="withdraw every submission of yours")
    p.add_argument("--delete-account", action="store_true",
                   help="with --all: also delete your account and payee details")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    c.add_user_option(p)
    return "withdraw"


def run(args: argparse.Namespace) -> int:
    from annotator.errors import AnnotatorError

    if args.delete_account and not args.all:
        raise AnnotatorError("--delete-account goes with --all.",
                             "Run `annotator withdraw --all --delete-account`.")
    svc = c.services(args)
    with svc.store:
        actor = c.sign_in(svc, args)
        if args.all:
            what = "every submission of yours" + (" and your account" if args.delete_account
                                                  else "")
            c.confirm(f"Withdraw {what}? This deletes the content from the store.", yes=args.yes)
            r = svc.withdraw_everything(actor=actor, delete_account=args.delete_account)
        else:
            c.confirm(f"Withdraw submission #{args.id} (every version of it)? This deletes its "
                      "content from the store.", yes=args.yes)
            r = svc.withdraw(actor=actor, submission_id=args.id)
        ids = ", ".join(f"#{i}" for i in r.submission_ids) or "nothing"
        print(f"Withdrawn: {ids}; {r.blobs_deleted} stored file(s) deleted."
              + (" Your account is deleted." if r.account_deleted else ""))
    return 0
