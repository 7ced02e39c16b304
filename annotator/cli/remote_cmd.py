"""``annotator remote login|logout|status|submit|send|list|withdraw``: team mode on the
command line (a workspace signed in to a team server; docs/server.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from annotator.cli import store_common as c
from annotator.cli.argtypes import positive_seconds
from annotator.cli.export_cmd import add_training_set_options


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> str:
    p = subparsers.add_parser(
        "remote", help="work against a team server: sign in, submit, send what is waiting",
        description="Team mode: the workspace signs in to a team server (the token is kept "
        "in the OS keyring), packages are uploaded resumably, and work that cannot be sent "
        "stays in the workspace's outbox until `annotator remote send`.")
    sub = p.add_subparsers(dest="remote_what", required=True)
    lg = sub.add_parser("login", help="sign in to a server and keep the token")
    lg.add_argument("url", help="the server, e.g. https://annotator.example.org")
    c.add_user_option(lg)
    sub.add_parser("logout", help="revoke this workspace's token and forget the server")
    st = sub.add_parser("status", help="who you are on the server, and what waits to be sent")
    c.add_json_option(st)
    sm = sub.add_parser("submit", help="send a package folder to the server")
    sm.add_argument("dir", type=Path)
    sm.add_argument("--draft", action="store_true", help="keep it as a draft")
    sm.add_argument("--resubmit-of", type=int, metavar="ID")
    c.add_json_option(sm)
    sub.add_parser("send", help="send the packages waiting in the outbox")
    ls = sub.add_parser("list", help="your submissions on the server")
    c.add_json_option(ls)
    wd = sub.add_parser("withdraw", help="withdraw a submission on the server")
    wd.add_argument("id", type=int)
    wd.add_argument("--yes", action="store_true")
    ex = sub.add_parser("export", help="make a training set on the server and fetch it "
                        "(admins; the options of `annotator export`)")
    ex.add_argument("--out", type=Path, required=True, help="the folder to unpack it into")
    add_training_set_options(ex, format_required=True)
    ex.add_argument("--force", action="store_true", help="replace --out if it exists")
    ex.add_argument("--wait", type=positive_seconds, default=3600, metavar="S",
                    help="how long to wait for the server's job (default 3600 s)")
    return "remote"


def run(args: argparse.Namespace) -> int:
    from annotator.cli.retention_cmd import report
    from annotator.remote import team
    from annotator.settings import current as current_settings
    from annotator.workflow.states import state_label
    from annotator.workspace import Workspace

    ws = Workspace.open(getattr(args, "workspace", None))
    root = ws.root
    what = args.remote_what
    if what == "login":
        name = args.user or current_settings().user
        if not name:
            from annotator.errors import AnnotatorError

            raise AnnotatorError("Whom to sign in as?", "Add --user NAME.")
        signed = team.TeamSettings(args.url.rstrip("/"), name)
        svc = team.remote_services(root, signed)
        with svc.store:
            actor = svc.sign_in(name=name, passphrase=c.prompt_secret(
                f"Passphrase for {name} on {signed.server}: ", env=c.ENV_PASSPHRASE))
        team.save_settings(root, signed)
        if svc.last_warning:
            print(f"annotator: note: {svc.last_warning}", file=sys.stderr)
        print(f"Signed in to {signed.server} as {actor.name} ({actor.pseudonym}, "
              f"{actor.role}).")
        if actor.must_change_passphrase:
            print(f"annotator: note: the server allows nothing but a passphrase change until "
                  f"you choose your own: `annotator users passwd --user {name}`.",
                  file=sys.stderr)
        return 0
    svc = team.remote_services(root)
    with svc.store:
        if what == "logout":
            svc.sign_out()
            team.save_settings(root, None)
            print("Signed out; the token is revoked.")
        elif what == "status":
            me = svc.whoami()
            pending = svc.outbox.pending() if svc.outbox is not None else []
            report(ws, svc, me)
            if args.json:
                from annotator.remote.upload import describe

                c.print_json({"server": svc.server, "user": me,
                              "pending": [describe(p) for p in pending]})
            else:
                print(f"{svc.server}: {me.name} ({me.pseudonym}, {me.role}); "
                      f"{len(pending)} package(s) waiting to be sent.")
        elif what == "submit":
            info = svc.ingest_package(folder=args.dir, submit=not args.draft,
                                      previous_id=args.resubmit_of)
            if args.json:
                c.print_json(info)
            else:
                print(f"Submission #{info.id}: {state_label(info.state)}.")
        elif what == "send":
            from annotator.submission.local import send_pending

            results = send_pending(svc, ws)  # each accepted package noted in its recording
            for r in results:
                print(f"Submission #{r.id}: {state_label(r.state)}." if not isinstance(r, Exception)
                      else f"Refused: {r}")
            if not results:
                print("Nothing waits to be sent.")
            elif not all(isinstance(r, Exception) for r in results):
                report(ws, svc, svc.whoami())
        elif what == "list":
            subs = svc.my_submissions()
            report(ws, svc, svc.whoami(), subs)
            if args.json:
                c.print_json(subs)
            else:
                print(c.table(["id", "state", "goal"],
                              [(s.id, state_label(s.state), c.clip(s.goal, 50)) for s in subs]))
        elif what == "export":
            from annotator.export.errors import ExportError
            from annotator.remote.client import download_dataset

            if args.out.exists() and not args.force:  # before the server does the work
                raise ExportError(f"{args.out} exists already.",
                                  "Choose another --out, or add --force.")
            export_id = svc.start_export(format=args.format, dialect=args.dialect,
                                         filter=args.filter, split=args.split,
                                         image_format=args.image_format,
                                         max_side=args.max_side, name=args.out.name)
            print(f"Export {export_id} queued on {svc.server}; waiting...", file=sys.stderr)
            exp = svc.get_export(export_id, wait=args.wait)
            out = download_dataset(exp, args.out, force=args.force)
            ds = exp["dataset"]
            print(f"{out}: {ds['episodes']} episode(s), {ds['steps']} step(s), made on the "
                  f"server and checked ({ds['check'].splitlines()[-1]}).")
            for sk in ds.get("skipped") or []:
                print(f"annotator: skipped submission #{sk['submission_id']}: {sk['reason']}",
                      file=sys.stderr)
        elif what == "withdraw":
            c.confirm(f"Withdraw submission #{args.id} (every version of it)?", yes=args.yes)
            gone = svc.withdraw(submission_id=args.id)
            print(f"Withdrawn: {', '.join(f'#{i}' for i in gone.submission_ids) or 'nothing'}.")
    return 0
