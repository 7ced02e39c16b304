"""``annotator terms publish|list|show``: the versioned terms contributors consent to."""

from __future__ import annotations

import argparse
from pathlib import Path

from annotator.cli import store_common as c
from annotator.display import when
from annotator.errors import AnnotatorError


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> str:
    p = subparsers.add_parser("terms", help="publish and show the terms contributors consent to")
    sub = p.add_subparsers(dest="terms_command", required=True, metavar="COMMAND")
    pub = sub.add_parser("publish", help="publish a new terms version (admins); published "
                         "versions never change")
    pub.add_argument("--version", required=True, dest="terms_version", metavar="VERSION")
    src = pub.add_mutually_exclusive_group(required=True)
    src.add_argument("--file", type=Path, help="UTF-8 text file with the terms")
    src.add_argument("--default", action="store_true",
                     help="publish annotator's default template as this version")
    c.add_user_option(pub)
    ls = sub.add_parser("list", help="list the published versions")
    c.add_json_option(ls)
    sh = sub.add_parser("show", help="print a version's text (default: the latest)")
    sh.add_argument("--version", dest="terms_version", metavar="VERSION")
    return "terms"


def run(args: argparse.Namespace) -> int:
    svc = c.services(args)
    with svc.store:
        if args.terms_command == "publish":
            actor = c.sign_in(svc, args)
            if args.default:
                from annotator.workflow.terms import DEFAULT_TERMS_TEXT

                text = DEFAULT_TERMS_TEXT
            else:
                try:
                    text = args.file.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    raise AnnotatorError(f"Cannot read {args.file}: {exc}.",
                                         "Give a UTF-8 text file.") from None
            t = svc.publish_terms(actor=actor, version=args.terms_version, text=text)
            print(f"Terms version {t.version} published (SHA-256 {t.sha256}).")
        elif args.terms_command == "list":
            terms = svc.list_terms()
            if args.json:
                c.print_json([{"version": t.version, "sha256": t.sha256,
                               "published_at": t.published_at} for t in terms])
            else:
                print(c.table(("version", "published", "sha256"),
                              [(t.version, when(t.published_at), t.sha256) for t in terms]))
        else:
            t = svc.get_terms(version=args.terms_version)
            print(t.text.rstrip("\n"))
            print(f"\n(version {t.version}, SHA-256 {t.sha256}, published "
                  f"{when(t.published_at)})")
    return 0
