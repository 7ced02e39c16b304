"""``annotator submit DIR``: store a rendered, consented submission package and send it to
the review queue.  The package layout is in docs/store.md ("Submission package")."""

from __future__ import annotations

import argparse
from pathlib import Path

from annotator.cli import store_common as c


def add_parser(subparsers: argparse._SubParsersAction) -> str:
    p = subparsers.add_parser(
        "submit", help="submit a rendered, consented package folder for review",
        description="Check a submission package folder (package.json, consent.json and the "
        "files the manifest lists; docs/store.md), copy it into the store and send it to the "
        "review queue.  Nothing is stored if anything is wrong with it.",
    )
    p.add_argument("dir", type=Path, help="the package folder")
    p.add_argument("--resubmit-of", type=int, metavar="ID",
                   help="a new version of submission ID, whose changes were requested")
    p.add_argument("--draft", action="store_true",
                   help="store it as a draft; send it later with `annotator submissions send`")
    c.add_user_option(p)
    c.add_json_option(p)
    return "submit"


def run(args: argparse.Namespace) -> int:
    svc = c.services(args)
    with svc.store:
        actor = c.sign_in(svc, args)
        info = svc.ingest_package(actor=actor, folder=args.dir, submit=not args.draft,
                                  previous_id=args.resubmit_of)
        if args.json:
            c.print_json(info)
            return 0
        what = f"version {info.version} of #{info.previous_id}" if info.previous_id else ""
        print(f"Submission #{info.id} {what + ' ' if what else ''}stored: "
              f"{c.duration(info.duration_us)}, {info.step_count} step(s), "
              f"{info.total_bytes / 1e6:.1f} MB; {info.state.value}.")
        print(f"Withdraw it at any time with `annotator withdraw {info.id}`.")
    return 0
