"""``annotator users setup|add|list|role|reset|disable|enable|passwd|payee``."""

from __future__ import annotations

import argparse

from annotator.cli import store_common as c
from annotator.display import when


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> str:
    p = subparsers.add_parser(
        "users", help="set up the first admin; invite users, reset passphrases (admins)",
        description="Users sign in with a name and a passphrase (kept only as an Argon2id "
        "hash) and are known in every record by a pseudonymous id.",
    )
    sub = p.add_subparsers(dest="users_command", required=True, metavar="COMMAND")
    s = sub.add_parser("setup", help="create the first admin of an empty store (and publish "
                       "the default terms)")
    # A positional name, as every other users command takes it; --name as first written.
    s.add_argument("name", nargs="?", help="the admin's sign-in name")
    s.add_argument("--name", dest="name_option", metavar="NAME", help=argparse.SUPPRESS)
    a = sub.add_parser("add", help="invite a user: prints a passphrase to hand over once")
    a.add_argument("name", help="sign-in name (a handle, not an e-mail address)")
    a.add_argument("--role", required=True, choices=("contributor", "reviewer", "admin"))
    c.add_user_option(a)
    ls = sub.add_parser("list", help="list users")
    ls.add_argument("--deleted", action="store_true", help="include deleted accounts")
    c.add_user_option(ls)
    c.add_json_option(ls)
    r = sub.add_parser("reset", help="set a new passphrase for a user (printed once)")
    r.add_argument("name")
    c.add_user_option(r)
    ro = sub.add_parser("role", help="change a user's role (effective at their next request)")
    ro.add_argument("name")
    ro.add_argument("role", choices=("contributor", "reviewer", "admin"))
    c.add_user_option(ro)
    for verb in ("disable", "enable"):
        d = sub.add_parser(verb, help=f"{verb} a user's account")
        d.add_argument("name")
        c.add_user_option(d)
    pw = sub.add_parser("passwd", help="change your own passphrase (the new one comes from "
                        f"${c.ENV_NEW_PASSPHRASE} or is asked for)")
    c.add_user_option(pw)
    py = sub.add_parser("payee", help="record who to pay and how (kept apart, never exported; "
                        f"asks for your passphrase again, or ${c.ENV_PASSPHRASE})")
    py.add_argument("name", nargs="?", help="another user's name (admins)")
    py.add_argument("--legal-name", required=True)
    py.add_argument("--details", required=True, help="payment details (e.g. an IBAN)")
    c.add_user_option(py)
    return "users"


def _setup(args: argparse.Namespace) -> int:
    from annotator.errors import AnnotatorError

    if args.name and args.name_option and args.name != args.name_option:
        raise AnnotatorError(f"Two names were given: {args.name!r} and --name "
                             f"{args.name_option!r}.", "Give the admin's name once.")
    args.name = args.name or args.name_option
    if not args.name:
        raise AnnotatorError("users setup needs the first admin's sign-in name.",
                             "Run: annotator users setup NAME")
    svc = c.local_services(args, "users setup")
    with svc.store:
        secret = c.prompt_secret(f"Passphrase for {args.name}: ", env=c.ENV_PASSPHRASE,
                                 confirm=True)
        admin = svc.setup_first_admin(name=args.name, passphrase=secret)
        terms = svc.get_terms()
        print(f"Admin {admin.name} ({admin.pseudonym}) created. Terms version "
              f"{terms.version} is published ({terms.sha256[:12]}…).")
    return 0


def run(args: argparse.Namespace) -> int:
    cmd = args.users_command
    if cmd == "setup":  # the first admin is made where the database is
        return _setup(args)
    svc = c.services(args)
    with svc.store:
        actor = c.sign_in(svc, args)
        if cmd == "add":
            inv = svc.invite_user(actor=actor, name=args.name, role=args.role)
            print(f"{inv.user.role} {inv.user.name} ({inv.user.pseudonym}) invited.\n"
                  f"Passphrase (shown once; they change it at first sign-in): {inv.passphrase}")
        elif cmd == "list":
            users = svc.list_users(actor=actor, include_deleted=args.deleted)
            if args.json:
                c.print_json(users)
            else:
                print(c.table(("name", "pseudonym", "role", "created", "status"), [
                    (u.name or "-", u.pseudonym, u.role, when(u.created_at),
                     "deleted" if u.deleted_at else "disabled" if u.disabled_at else
                     "must change passphrase" if u.must_change_passphrase else "active")
                    for u in users]))
        elif cmd == "reset":
            secret = svc.reset_passphrase(actor=actor, name=args.name)
            print(f"New passphrase for {args.name} (shown once; they change it at next "
                  f"sign-in): {secret}")
        elif cmd == "role":
            u = svc.set_role(actor=actor, name=args.name, role=args.role)
            print(f"{u.name} ({u.pseudonym}) is now a {u.role}.")
        elif cmd in ("disable", "enable"):
            u = svc.set_disabled(actor=actor, name=args.name, disabled=cmd == "disable")
            print(f"{u.name} ({u.pseudonym}) {cmd}d.")
        elif cmd == "passwd":
            new = c.prompt_secret("New passphrase: ", env=c.ENV_NEW_PASSPHRASE, confirm=True)
            current = c.prompt_secret("Current passphrase: ", env=c.ENV_PASSPHRASE)
            svc.change_passphrase(actor=actor, current=current, new=new)
            print(f"Passphrase of {actor.name} changed.")
        elif cmd == "payee":
            current = c.prompt_secret("Your current passphrase: ", env=c.ENV_PASSPHRASE)
            svc.set_payee(actor=actor, legal_name=args.legal_name, payment_details=args.details,
                          passphrase=current, name=args.name)
            print(f"Payee details of {args.name or actor.name} recorded.")
    return 0
