"""``annotator my-data [--out DIR]``: everything the store holds about you, as files."""

from __future__ import annotations

import argparse
from pathlib import Path

from annotator.cli import store_common as c
from annotator.workflow.mydata import default_folder


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> str:
    p = subparsers.add_parser(
        "my-data", help="download everything the store holds about you, as files")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="a new or empty folder (default: annotator-my-data-DATE-TIME here)")
    c.add_user_option(p)
    return "my-data"


def run(args: argparse.Namespace) -> int:
    svc = c.services(args)
    with svc.store:
        actor = c.sign_in(svc, args)
        out = svc.download_my_data(actor=actor,
                                   out_dir=args.out or default_folder(Path.cwd()))
        print(f"Your data is in {out} (see README.txt there).")
    return 0
