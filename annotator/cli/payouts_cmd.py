"""``annotator payouts --month YYYY-MM [--csv FILE] [--close]`` (admins)."""

from __future__ import annotations

import argparse
from pathlib import Path

from annotator.cli import store_common as c
from annotator.display import money, when


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> str:
    p = subparsers.add_parser(
        "payouts", help="per contributor, the approved items of a month and their amounts",
        description="Lists, per contributor, the approved submissions of a month and what "
        "they earn.  An open month lists what is approved and not paid yet; --close records "
        "it as paid, and a closed month never changes (an item withdrawn after payment stays "
        "paid and is flagged).",
    )
    p.add_argument("--month", required=True, metavar="YYYY-MM")
    p.add_argument("--csv", type=Path, metavar="FILE", help="also write the items as CSV")
    p.add_argument("--close", action="store_true",
                   help="record the month's payouts as paid and close it (once it is over)")
    p.add_argument("--yes", action="store_true", help="with --close: do not ask")
    c.add_user_option(p)
    c.add_json_option(p)
    return "payouts"


def run(args: argparse.Namespace) -> int:
    svc = c.services(args)
    with svc.store:
        actor = c.sign_in(svc, args)
        if args.close:
            c.confirm(f"Record the payouts of {args.month} as paid and close the month?",
                      yes=args.yes)
            rep = svc.close_month(actor=actor, month=args.month)
        else:
            rep = svc.payouts(actor=actor, month=args.month)
        if args.csv:
            rep.to_csv(args.csv)
        if args.json:
            c.print_json({"month": rep.month, "closed": rep.closed, "closed_at": rep.closed_at,
                          "total_cents": rep.total_cents,
                          "summary": rep.summary.to_dict(orient="records"),
                          "items": rep.items.to_dict(orient="records")})
            return 0
        status = (f"closed {when(rep.closed_at)} (paid)" if rep.closed else
                  "open (not paid yet)")
        print(f"Payouts {rep.month}: {status}")
        if rep.items.empty:
            print("  no approved items.")
        for who, group in rep.items.groupby("contributor", sort=True):
            cur = group["currency"].iloc[0]
            print(f"\n{who}: {len(group)} item(s), {group['approved_minutes'].sum():.1f} min, "
                  f"{money(int(group['amount_cents'].sum()), cur)}")
            print(c.table(("submission", "approved", "minutes", "per minute", "per task",
                           "amount", "flags"), [
                (f"#{r['submission_id']} v{r['version']}", when(r["approved_at"]),
                 f"{r['approved_minutes']:.2f}", money(r["minute_cents"]),
                 money(r["task_cents"]), money(r["amount_cents"]),
                 ", ".join(f for f, on in (("withdrawn after payment",
                                            r["withdrawn_after_payment"]),
                                           ("no rate in effect", r["no_rate"])) if on))
                for r in group.to_dict(orient="records")]))
        if not rep.items.empty:
            print(f"\nTotal: {money(rep.total_cents, rep.items['currency'].iloc[0])}")
        if args.csv:
            print(f"Items written to {args.csv}.")
    return 0
