"""``annotator export``: training sets from the approved, consented submissions.

    annotator export --out exports/NAME --format FORMAT [--dialect D] [--filter EXPR]
                     [--split by-contributor:0.9,0.05,0.05] [--image-format png|webp|jpeg]
                     [--max-side PX] [--force] [--skip-bad]
    annotator export --refresh exports/NAME [--withdrawn FILE]
    annotator export --convert CANONICAL_DIR --out DIR --format FORMAT [--dialect D]
                     [--image-format F] [--max-side PX] [--withdrawn FILE]
    annotator export --withdrawn-since YYYY-MM-DD [--json]
    annotator export --check DIR

Exporting, refreshing from the store and listing withdrawals need an admin (``--user``);
converting a canonical export and refreshing with a withdrawal list (``--withdrawn``) need
only the files.  Exit status: 0; 1 when submissions were skipped as unreadable (unless
``--skip-bad``) or ``--check`` found problems; 2 on bad input.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotator.cli import store_common as c
from annotator.cli.argtypes import positive_int

if TYPE_CHECKING:
    from collections.abc import Callable

    from annotator.export.run import ExportResult
    from annotator.jobs import Progress
    from annotator.workflow.contract import Actor
    from annotator.workflow.service import Services

ENV_KEY = "ANNOTATOR_REDACTION_KEY_FILE"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> str:
    from annotator.export.chatsft import DIALECTS
    from annotator.export.run import FORMAT_NAMES

    p = subparsers.add_parser(
        "export", help="export approved submissions as a training set",
        description="Export the approved submissions whose consent is valid, not withdrawn, "
        "and whose package still matches its hashes. Formats: " + ", ".join(FORMAT_NAMES)
        + "; chat-sft dialects: " + ", ".join(DIALECTS) + ". See exports/README.md.",
    )
    p.add_argument("--out", type=Path, metavar="DIR", help="the export folder to create")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--refresh", type=Path, metavar="DIR",
                      help="rewrite an export without the submissions withdrawn since")
    mode.add_argument("--withdrawn-since", metavar="DATE",
                      help="list the episode ids withdrawn since DATE (YYYY-MM-DD or ISO time)")
    mode.add_argument("--check", type=Path, metavar="DIR", help="validate an export folder")
    mode.add_argument("--convert", type=Path, metavar="DIR",
                      help="make --format (and --dialect) from the canonical export DIR "
                      "alone, into --out (no store needed)")
    add_training_set_options(p, image_format="default png; --convert: the source's")
    p.add_argument("--withdrawn", type=Path, metavar="FILE",
                   help="a newer list of withdrawn episodes to leave out (--refresh, "
                   "--convert): what --withdrawn-since --json prints, a newer manifest.json, "
                   "or one episode id a line")
    p.add_argument("--force", action="store_true", help="replace an existing export folder")
    p.add_argument("--skip-bad", action="store_true",
                   help="exit 0 even if unreadable submissions were skipped")
    p.add_argument("--redaction-key", type=Path, metavar="FILE",
                   help="the contributors' workspace key (submission.key) to check exported "
                   "text for redacted strings (default: this workspace's key, if it has one; "
                   f"or ${ENV_KEY})")
    c.add_json_option(p)
    c.add_user_option(p)
    return "export"


def add_training_set_options(p: argparse.ArgumentParser, *, format_required: bool = False,
                             image_format: str = "default png") -> None:
    """What a training set is made of: the options `annotator export` and `annotator remote
    export` share, so the two faces read them alike."""
    from annotator.export.chatsft import DIALECTS
    from annotator.export.run import FORMAT_NAMES

    p.add_argument("--format", metavar="FORMAT", required=format_required,
                   help=", ".join(FORMAT_NAMES))
    p.add_argument("--dialect", metavar="D", help="chat-sft: " + ", ".join(DIALECTS))
    p.add_argument("--filter", metavar="EXPR",
                   help="e.g. \"application = firefox and quality >= 4\" (fields: task, "
                   "application, date, contributor, reviewer, quality, tags)")
    p.add_argument("--split", metavar="SPEC", help="by-contributor:TRAIN,VAL,TEST fractions")
    p.add_argument("--image-format", default=None, metavar="png|webp|jpeg",
                   help=f"observation image format ({image_format})")
    p.add_argument("--max-side", type=positive_int, metavar="PX",
                   help="scale images down to at most PX on the long side")


def _key(args: argparse.Namespace) -> tuple[bytes | None, str]:

    from annotator.errors import AnnotatorError
    from annotator.settings import current as settings
    from annotator.workspace import KEY_FILE, default_workspace_path

    path = args.redaction_key or settings().redaction_key_file
    if path is None:
        # This workspace's key, if it has one (a single-machine set-up); looked up without
        # creating anything.
        root = Path(args.workspace).expanduser() if args.workspace else default_workspace_path()
        ws_key = root / KEY_FILE
        if ws_key.is_file():
            path = ws_key
    if path is None:
        return None, "no key"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AnnotatorError(f"Cannot read the redaction key {path}: {exc.strerror or exc}.",
                             "Give the workspace's submission.key with --redaction-key.") \
            from None
    if len(data) < 16:
        raise AnnotatorError(f"{path} is not a redaction key ({len(data)} bytes).",
                             "Give the workspace's submission.key with --redaction-key.")
    return data, str(path)


def _progress() -> Progress:
    from annotator.jobs import Progress

    start = time.monotonic()
    tty = sys.stderr.isatty()
    last = [0.0]

    def show(done: int, total: int, msg: str) -> None:
        now = time.monotonic()
        if not total or (now - last[0] < 0.2 and done < total):
            return
        last[0] = now
        rate = done / max(now - start, 1e-6)
        width = 30
        fill = int(width * done / total)
        line = (f"{msg}: [{'#' * fill}{'.' * (width - fill)}] {done}/{total} "
                f"({rate:.1f} steps/s)")
        if tty:
            print("\r" + line, end="" if done < total else "\n", file=sys.stderr, flush=True)
        elif done == total:
            print(line, file=sys.stderr, flush=True)

    return Progress(show)


def _admin(svc: Services, args: argparse.Namespace) -> Actor:
    from annotator.errors import AnnotatorError

    actor = c.sign_in(svc, args)
    if getattr(actor.role, "value", actor.role) != "admin":
        raise AnnotatorError(f"Only admins can export training sets; you ({actor.pseudonym}) "
                             f"are a {getattr(actor.role, 'value', actor.role)}.",
                             "Ask an admin to run the export.")
    return actor


def _since(text: str) -> dt.datetime:
    from annotator.errors import AnnotatorError

    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        raise AnnotatorError(f"--withdrawn-since {text!r} is not a date.",
                             "Write YYYY-MM-DD or an ISO 8601 time.") from None
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)


def _mode(args: argparse.Namespace) -> str:
    """Which operation: exactly one of --out (alone), --convert (with --out), --refresh,
    --withdrawn-since, --check."""
    from annotator.errors import AnnotatorError as UsageError

    modes = [m for m in ("convert", "refresh", "withdrawn_since", "check")
             if getattr(args, m) is not None]
    if not modes:
        if args.out is None:
            raise UsageError("Say what to do: --out DIR --format F (export), --convert DIR, "
                             "--refresh DIR, --withdrawn-since DATE or --check DIR.")
        return "export"
    if modes[0] == "convert":
        if args.out is None or args.format is None:
            raise UsageError("--convert needs --out DIR and --format F.")
        return "convert"
    if args.out is not None:
        raise UsageError(f"--out is for an export or --convert, not --{modes[0]}.")
    if args.withdrawn is not None and modes[0] not in ("refresh",):
        raise UsageError("--withdrawn is for --refresh or --convert.")
    return modes[0]


def run(args: argparse.Namespace) -> int:
    from annotator.errors import AnnotatorError
    from annotator.export import check_export
    from annotator.export.run import ExportRequest, run_export

    mode = _mode(args)
    newer = None
    if args.withdrawn is not None:
        from annotator.export.convert import read_withdrawn

        newer = read_withdrawn(args.withdrawn)
    if mode == "convert":
        from annotator.export.convert import ConvertRequest, convert_export

        key, _where = _key(args)
        result = convert_export(ConvertRequest(
            source=args.convert, out=args.out, format=args.format, dialect=args.dialect,
            image_format=args.image_format, max_side=args.max_side, force=args.force,
            withdrawn=newer, redaction_key=key), progress=_progress())
        return _finish(result, args)

    if args.check is not None:
        if not args.check.is_dir():
            raise AnnotatorError(f"{args.check} is not a folder.", "Give an export folder.")
        key, where = _key(args)
        report = check_export(args.check, key=key)
        if args.json:
            print(json.dumps({"ok": report.ok, "problems": [p.__dict__ for p in report.problems],
                              "notes": report.notes, "checked": dict(report.checked)},
                             indent=2))
        else:
            print(report.text())
        return 0 if report.ok else 1

    def warn(msg: str) -> None:
        print(f"\nannotator: warning: {msg}", file=sys.stderr)

    if args.withdrawn_since is not None:
        from annotator.export.source import withdrawn_since

        since = _since(args.withdrawn_since)
        svc = c.local_services(args, "export")
        with svc.store:
            _admin(svc, args)
            rows = withdrawn_since(svc.store, since)
        if args.json:
            print(json.dumps(rows, indent=2))
        else:
            for r in rows:
                print(f"{r['episode_id']}  submission #{r['submission_id']}  "
                      f"withdrawn {r['withdrawn_at']}")
            print(f"{len(rows)} episode(s) withdrawn since {since.isoformat()}.",
                  file=sys.stderr)
        return 0

    key, _where = _key(args)
    if args.refresh is not None:
        return _refresh(args, newer, key, warn)

    if args.format is None:
        raise AnnotatorError("--out needs a --format.",
                             "Formats: canonical, opencua, chat-sft, computer-use, webdataset.")
    req = ExportRequest(out=args.out, format=args.format, dialect=args.dialect,
                        filter=args.filter, split=args.split,
                        image_format=args.image_format or "png",
                        max_side=args.max_side, force=args.force, skip_bad=args.skip_bad,
                        redaction_key=key)
    from annotator.export.run import validate_request

    validate_request(req)  # bad arguments before asking for a passphrase
    svc = c.local_services(args, "export")
    with svc.store:
        _admin(svc, args)
        result = run_export(svc.store, req, progress=_progress(), warn=warn)
    return _finish(result, args)


def _refresh(args: argparse.Namespace, newer: list[dict[str, Any]] | None, key: bytes | None,
             warn: Callable[[str], None]) -> int:
    """--refresh DIR: from the store, or with a newer withdrawal list from the files alone."""
    from annotator.export.run import refresh_export

    refreshed: ExportResult | None
    if newer is not None:  # the files alone: no store, no sign-in
        from annotator.export.convert import prune_export

        refreshed, removed = prune_export(args.refresh, newer, redaction_key=key)
    else:
        svc = c.local_services(args, "export")
        with svc.store:
            _admin(svc, args)
            refreshed, removed = refresh_export(svc.store, args.refresh, redaction_key=key,
                                                skip_bad=args.skip_bad,
                                                progress=_progress(), warn=warn)
    if refreshed is None and args.json:
        print(json.dumps({"out": str(args.refresh), "deleted": True, "removed": removed},
                         indent=2))
        return 0
    if not args.json:
        print(f"Every episode of {args.refresh} was withdrawn: the export is deleted "
              f"(removed {len(removed)} episode(s))." if refreshed is None else
              f"Refreshed {refreshed.out}: {refreshed.episodes} episode(s), "
              f"{refreshed.steps} step(s); removed {len(removed)} withdrawn episode(s).")
        for r in removed:
            print(f"  removed {r['episode_id']} (submission #{r['submission_id']}, {r['why']}"
                  + (f" at {r['withdrawn_at']}" if r.get("withdrawn_at") else "") + ")")
    if refreshed is None:  # every episode withdrawn: the folder was deleted
        print("Whoever holds a copy must delete it too: send them the list of "
              "`annotator export --withdrawn-since DATE`.")
        return 0
    return _finish(refreshed, args)


def _finish(result: ExportResult, args: argparse.Namespace) -> int:
    counts = result.manifest["counts"]
    if args.json:
        print(json.dumps({"out": str(result.out), "counts": counts,
                          "skipped": result.skipped, "check": result.check.ok,
                          "notes": result.check.notes}, indent=2))
    else:
        acts = ", ".join(f"{k} {v}" for k, v in sorted(counts["by_action_type"].items()))
        splits = ", ".join(f"{k} {v['episodes']}/{v['steps']}"
                           for k, v in counts["by_split"].items())
        print(f"Exported {result.out}: {result.episodes} episode(s), {result.steps} step(s) "
              f"({acts}); splits (episodes/steps): {splits}.")
        if counts.get("unsupported"):
            print("  left out (the target cannot express them): "
                  + ", ".join(f"{k} {v}" for k, v in counts["unsupported"].items()))
        if counts.get("dropped"):
            print("  dropped: " + ", ".join(f"{k} {v}" for k, v in counts["dropped"].items()))
        print("Checks: " + result.check.text().splitlines()[-1])
        for n in result.check.notes:
            print(f"  {n}")
    if result.skipped:
        print(f"annotator: {len(result.skipped)} submission(s) were skipped as unreadable:",
              file=sys.stderr)
        for s in result.skipped:
            print(f"  #{s['submission_id']}: {s['reason']}", file=sys.stderr)
        if not args.skip_bad:
            print("The export was written without them. What to do: run `annotator db check`;"
                  " add --skip-bad to accept this.", file=sys.stderr)
            return 1
    return 0
