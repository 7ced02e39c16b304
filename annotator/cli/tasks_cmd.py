"""``annotator tasks publish|list|close``: task prompts for contributors."""

from __future__ import annotations

import argparse

from annotator.cli import store_common as c
from annotator.display import money


def _cents(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of cents") from None
    if v < 0:
        raise argparse.ArgumentTypeError("pay cannot be negative")
    return v


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> str:
    p = subparsers.add_parser("tasks", help="publish task prompts (admins) and list them")
    sub = p.add_subparsers(dest="tasks_command", required=True, metavar="COMMAND")
    pub = sub.add_parser("publish", help="publish a task")
    pub.add_argument("--title", required=True)
    pub.add_argument("--goal", required=True, help="the goal text that fills the task panel")
    pub.add_argument("--app", action="append", default=[], dest="apps", metavar="APP",
                     help="an application the task uses (repeat for several)")
    pub.add_argument("--difficulty", choices=("easy", "medium", "hard"), default="medium")
    pub.add_argument("--pay", type=_cents, metavar="CENTS",
                     help="pay per approved submission of this task, replacing the per-task "
                     "rate")
    c.add_user_option(pub)
    ls = sub.add_parser("list", help="list open tasks")
    ls.add_argument("--all", action="store_true", help="include closed tasks")
    c.add_user_option(ls)
    c.add_json_option(ls)
    cl = sub.add_parser("close", help="close a task: no new submissions answer it")
    cl.add_argument("id", type=int)
    c.add_user_option(cl)
    return "tasks"


def run(args: argparse.Namespace) -> int:
    svc = c.services(args)
    with svc.store:
        actor = c.sign_in(svc, args)
        if args.tasks_command == "publish":
            t = svc.publish_task(actor=actor, title=args.title, goal=args.goal,
                                 applications=args.apps, difficulty=args.difficulty,
                                 pay_cents=args.pay)
            print(f"Task #{t.id} published: {t.title}")
        elif args.tasks_command == "list":
            tasks = svc.list_tasks(actor=actor, include_closed=args.all)
            if args.json:
                c.print_json(tasks)
            else:
                print(c.table(("id", "title", "difficulty", "pay", "applications", "status"), [
                    (t.id, c.clip(t.title, 40), t.difficulty, money(t.pay_cents),
                     c.clip(", ".join(t.applications), 30),
                     "closed" if t.closed_at else "open") for t in tasks]))
        else:
            t = svc.close_task(actor=actor, task_id=args.id)
            print(f"Task #{t.id} closed.")
    return 0
