"""``annotator db upgrade|status|check``: the store's database schema and blob consistency."""

from __future__ import annotations

import argparse

from annotator.cli import store_common as c


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> str:
    p = subparsers.add_parser(
        "db", help="the workspace store's database: upgrade its schema, check it",
        description="The workspace store (docs/store.md): SQLite in the workspace, or the "
        "PostgreSQL database named by $ANNOTATOR_DATABASE_URL.",
    )
    sub = p.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    sub.add_parser("upgrade", help="run the migrations up to this annotator's schema")
    sub.add_parser("status", help="show the schema revision of the database and of annotator")
    ck = sub.add_parser("check", help="compare the blob store with the database's references")
    ck.add_argument("--gc", action="store_true",
                    help="also delete unreferenced blob files and abandoned staged uploads")
    return "db"


def run(args: argparse.Namespace) -> int:
    from annotator.store.db import current_revision, describe, head_revision

    store = c.open_store(args, migrate="none")
    with store:
        if args.db_command == "upgrade":
            before, after = store.upgrade()
            if before == after:
                print(f"{describe(store.url)} is up to date (schema revision {after}).")
            else:
                print(f"{describe(store.url)} upgraded from "
                      f"{'an empty database' if before is None else 'revision ' + before} to "
                      f"revision {after}.")
            return 0
        if args.db_command == "status":
            try:
                current = current_revision(store.engine)
            except Exception as exc:  # noqa: BLE001 - reported as unreachable
                from annotator.store.db import unavailable

                raise unavailable(store.url, exc) from exc
            head = head_revision()
            state = "up to date" if current == head else "needs `annotator db upgrade`"
            print(f"database: {describe(store.url)}\nschema revision: {current or 'none (empty)'}"
                  f"\nthis annotator: {head}\n{state}")
            return 0 if current == head else 1
        store.check_schema()
        from annotator.store.refs import check_blobs

        report = check_blobs(store, gc=args.gc)
        print(f"{report.referenced} blob(s) referenced, {len(report.missing)} missing, "
              f"{len(report.unreferenced)} unreferenced file(s)"
              + (f" (deleted), {report.staging_purged} abandoned upload(s) purged"
                 if args.gc else "") + ".")
        for sha in report.missing[:20]:
            print(f"  missing: {sha}")
        return 1 if report.missing else 0
