"""``annotator leaks [--rescan] [--exports DIR ...]``: what the leak check found in stored
packages, and re-checking the packages made before it looked for fragments.

Contributors see their own submissions, reviewers and admins all of them.  ``--rescan``
(admins) checks again every package whose latest check is older than the current one: here,
now, in a local workspace; on a team server as jobs (the server also does it by itself).
The exports holding a flagged submission are named: the server's, and the local export
folders given with ``--exports``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from annotator.cli import store_common as c


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> str:
    p = subparsers.add_parser(
        "leaks", help="what the leak check found in stored packages; re-check old ones",
        description="The latest leak check of each stored submission you may see (pieces of "
        "hidden values next to a box, values readable in step frames), and the exports "
        "holding a flagged one. --rescan (admins) checks again the packages made before "
        "the current check.")
    p.add_argument("--rescan", action="store_true",
                   help="admins: check again every package made before the current check")
    p.add_argument("--exports", action="append", default=[], type=Path, metavar="DIR",
                   help="local export folders (or a folder of them) to name in the report")
    c.add_user_option(p)
    c.add_json_option(p)
    return "leaks"


def _line(r: dict[str, Any]) -> str:
    chk = r.get("check")
    head = f"#{r['submission_id']} ({r.get('contributor') or '?'}, {r['state']})"
    if chk is None or chk.get("passed") is None:
        state = chk["state"] if chk else "never checked"
        return f"{head}: {state}" + (" - due for the current check" if r.get("due") else "")
    if chk["passed"]:
        return f"{head}: passed (check version {chk['version']})"
    parts = []
    if chk.get("fragments"):
        parts.append(f"{len(chk['fragments'])} possible piece(s) of hidden values next to "
                     "boxes")
    if chk.get("findings"):
        kinds = sorted({f["kind"] for f in chk["findings"]})
        parts.append(f"{len(chk['findings'])} value(s) readable in step frames "
                     f"({', '.join(kinds)})")
    if chk.get("unreadable"):
        parts.append(f"{len(chk['unreadable'])} unreadable frame(s)")
    if chk.get("error"):
        parts.append(chk["error"])
    return f"{head}: FLAGGED - " + "; ".join(parts)


def _details(r: dict[str, Any]) -> list[str]:
    chk = r.get("check") or {}
    out = []
    for f in chk.get("fragments") or []:
        s = f["time_us"] / 1e6
        x, y, w, h = f["place"]
        out.append(f"    box {f['box']}, {f['side']} edge, from {int(s // 60)}:{s % 60:05.2f} "
                   f"of the video ({f['frames']} frame(s)): ink {w}x{h} at ({x}, {y})")
    for f in chk.get("findings") or []:
        out.append(f"    {f['path']}: {f['kind']}")
    if r.get("exports"):
        out.append("    in export(s): " + ", ".join(r["exports"]))
    return out


def run(args: argparse.Namespace) -> int:
    import json

    from annotator.workflow.service import Services

    svc = c.services(args)
    remote = not isinstance(svc, Services)
    with svc.store:
        actor = c.sign_in(svc, args)
        scheduled = None
        if args.rescan:
            if not isinstance(svc, Services):  # the server's jobs check them again
                scheduled = svc.rescan_leaks(actor=actor)["scheduled"]
            else:
                from annotator.submission.leak_rescan import rescan

                scheduled = [r["submission_id"] for r in rescan(svc, actor=actor)]
        if not isinstance(svc, Services):
            reports = svc.leak_reports(actor=actor)
        else:
            from annotator.submission.leak_rescan import reports as local_reports

            reports = local_reports(svc, actor=actor, export_dirs=args.exports)
    if args.json:
        print(json.dumps({"rescanned": scheduled, "reports": reports}, indent=2, default=str))
        return 0
    if scheduled is not None:
        what = "queued on the server as jobs" if remote else "checked again"
        print(f"{len(scheduled)} package(s) made before the current check {what}.")
    flagged = [r for r in reports if (r.get("check") or {}).get("passed") is False]
    for r in reports:
        print(_line(r))
        if r in flagged:
            print("\n".join(_details(r)))
    due = sum(1 for r in reports if r.get("due"))
    print(f"\n{len(reports)} submission(s), {len(flagged)} flagged, {due} due for the current "
          "check" + (" (run with --rescan as an admin)" if due and not args.rescan else "")
          + ".", file=sys.stderr if args.json else sys.stdout)
    return 1 if flagged else 0
