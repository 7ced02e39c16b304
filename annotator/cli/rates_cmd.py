"""``annotator rates set|list``: pay per approved minute and per approved task."""

from __future__ import annotations

import argparse
import datetime as dt

from annotator.cli import store_common as c
from annotator.display import money, when


def _date(text: str) -> dt.datetime:
    try:
        d = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None
    return dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC)


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> str:
    p = subparsers.add_parser("rates", help="set the pay rates (admins) and list them")
    sub = p.add_subparsers(dest="rates_command", required=True, metavar="COMMAND")
    s = sub.add_parser("set", help="new rates from a date on (earlier approvals keep theirs)")
    s.add_argument("--per-minute", type=int, required=True, metavar="CENTS",
                   help="cents per approved minute of rendered video")
    s.add_argument("--per-task", type=int, required=True, metavar="CENTS",
                   help="cents per approved submission (a task's own pay replaces it)")
    s.add_argument("--currency", default="EUR")
    s.add_argument("--from", dest="start", type=_date, metavar="YYYY-MM-DD",
                   help="in effect from this day, 00:00 UTC (default: now)")
    c.add_user_option(s)
    ls = sub.add_parser("list", help="list the rates")
    c.add_user_option(ls)
    return "rates"


def run(args: argparse.Namespace) -> int:
    svc = c.services(args)
    with svc.store:
        actor = c.sign_in(svc, args)
        if args.rates_command == "set":
            r = svc.set_rates(actor=actor, per_approved_minute_cents=args.per_minute,
                              per_approved_task_cents=args.per_task, currency=args.currency,
                              effective_from=args.start)
            per_minute = money(r.per_approved_minute_cents, r.currency)
            per_task = money(r.per_approved_task_cents, r.currency)
            print(f"From {when(r.effective_from)}: {per_minute} per approved minute, "
                  f"{per_task} per approved task.")
        else:
            print(c.table(("from", "per minute", "per task", "currency"), [
                (when(r.effective_from), money(r.per_approved_minute_cents),
                 money(r.per_approved_task_cents), r.currency)
                for r in svc.list_rates(actor=actor)]))
    return 0
