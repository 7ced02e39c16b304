"""``annotator``: the command-line entry point.

With no command it opens the app on the local workspace.  Every command reports bad input
with a message that says what was wrong and what to do, and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from annotator import __version__
from annotator.cli import argtypes
from annotator.errors import AnnotatorError
from annotator.settings import reload as reload_settings

if TYPE_CHECKING:
    from annotator.capture.interfaces import Rect


def _region(text: str) -> Rect:
    from annotator.capture.interfaces import Rect

    parts = text.replace(" ", "").split(",")
    try:
        x, y, w, h = (int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a region: give X,Y,W,H in pixels, for example 0,0,1280,720"
        ) from None
    return Rect(x, y, w, h)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="annotator",
        description="Record, edit, redact and label computer-use demonstrations, with consent. "
        "Without a command, opens the app on your local workspace.",
    )
    p.add_argument("--version", action="version", version=f"annotator {__version__}")
    p.add_argument("--workspace", metavar="DIR",
                   help="workspace folder (default: $ANNOTATOR_HOME or your user data folder)")
    sub = p.add_subparsers(dest="command")

    r = sub.add_parser("record", help="record the screen, mouse, keyboard and window titles")
    r.add_argument("--out", metavar="DIR", type=Path,
                   help="bundle folder to create (default: a new folder in the workspace)")
    r.add_argument("--fps", type=argtypes.fps, default=30.0,
                   help="capture rate, at most 60 (default 30)")
    g = r.add_mutually_exclusive_group()
    g.add_argument("--screen", type=int, metavar="N", help="record screen N (1 = first)")
    g.add_argument("--region", type=_region, metavar="X,Y,W,H", help="record this rectangle")
    r.add_argument("--duration", type=argtypes.positive_seconds, metavar="S",
                   help="stop after S seconds of recording (pauses excluded)")
    r.add_argument("--no-control", action="store_true",
                   help="record without the control window, until --duration, Ctrl+C or SIGTERM")
    r.add_argument("--yes", action="store_true",
                   help="acknowledge what a recording captures (asked once per workspace)")
    r.add_argument("--force", action="store_true", help="record into a non-empty --out folder")
    r.add_argument("--preset", default="veryfast", choices=argtypes.X264_PRESETS,
                   help="x264 preset (default veryfast; ultrafast for full-motion content)")
    r.add_argument("--crf", type=argtypes.crf, default=23,
                   help="x264 quality from 0 to 51, lower is better (default 23)")
    r.add_argument("--deny", action="append", default=[], metavar="TEXT",
                   help="also black out and pause on windows whose title or app contains TEXT")

    i = sub.add_parser("inspect", help="describe a recording and the problems found in it")
    i.add_argument("dir", type=Path)
    i.add_argument("--json", action="store_true", help="print JSON (keys in docs/bundle-format.md)")

    rc = sub.add_parser("recover", help="recover a recording cut off by a crash")
    rc.add_argument("dir", type=Path)

    e = sub.add_parser("edit", help="open a recording in the editor")
    e.add_argument("dir", type=Path)

    sub.add_parser("demo", help="make a sample recording in the workspace (no screen needed) "
                   "and open it in the editor")

    c = sub.add_parser("check", help="check what this computer provides for recording, "
                       "redaction and signing in, and what anything missing means")
    c.add_argument("--json", action="store_true", help="print the checks as JSON")

    sub.add_parser("uninstall", help="remove the app installed by annotator-linux-x86_64.run "
                   "(your recordings and settings stay)")
    return p


def cmd_record(args: argparse.Namespace) -> int:
    from annotator.capture.platform import require_x11
    from annotator.workspace import Workspace

    ws = Workspace.open(args.workspace)
    if not args.no_control:
        from annotator.ui.recorder_control import run_recorder_control

        return run_recorder_control(ws, args)
    ack = ws.require_acknowledgement(yes=args.yes)
    require_x11()
    from annotator.capture.record_setup import RecordOptions
    from annotator.capture.recorder import Recorder

    config = RecordOptions.from_args(args).config(ws, ack)
    out = config.out_dir
    lock = ws.lock_recorder()
    lock.acquire()
    try:
        rec = Recorder(config)
        stop_reason: list[str] = []

        def on_signal(signum: int, _frame: object) -> None:
            stop_reason.append("interrupted (Ctrl+C)" if signum == signal.SIGINT else "terminated")
            rec._request_stop(stop_reason[-1])

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        rec.start()
        print(f"Recording to {out} ({rec.region.width}x{rec.region.height} at {args.fps:g} fps). "
              "Press Ctrl+C to stop.", file=sys.stderr, flush=True)
        while not rec.wait(0.5):
            pass
        manifest = rec.stop(stop_reason[-1] if stop_reason else "stopped")
    finally:
        lock.release()
    stats = manifest.get("stats", {})
    print(
        f"Saved {out}: {manifest['duration_us'] / 1e6:.1f} s, {stats.get('frames_stored')} frames, "
        f"{stats.get('events')} events ({manifest.get('stop_reason')}).",
        file=sys.stderr,
    )
    for problem in manifest.get("problems", []):
        print(f"  problem: {problem}", file=sys.stderr)
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from annotator.bundle.inspect import format_report, inspect_bundle

    report = inspect_bundle(args.dir)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(format_report(report))
    return 0


def cmd_recover(args: argparse.Namespace) -> int:
    from annotator.bundle.recover import needs_recovery, recover
    from annotator.bundle.schema import read_manifest

    before = read_manifest(args.dir)
    if not needs_recovery(before, args.dir):
        print(f"{args.dir} was finalized ({before.get('status')}): nothing to recover.")
        return 0
    m = recover(args.dir)
    rec = m.get("recovery", {})
    print(
        f"Recovered {args.dir}: {m['duration_us'] / 1e6:.1f} s, "
        f"{m['stats']['frames_stored']} frames, {m['stats']['events']} events; "
        f"last frame at {(rec.get('last_frame_us') or 0) / 1e6:.2f} s, "
        f"{rec.get('frames_lost')} grab(s) lost."
    )
    for problem in m.get("problems", [])[len(before.get("problems", [])):]:
        print(f"  - {problem}")
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    from annotator.bundle.schema import read_manifest

    read_manifest(args.dir)  # a clear error before any window opens
    from annotator.ui.app import run_editor

    return run_editor(args.workspace, args.dir)


def cmd_demo(args: argparse.Namespace) -> int:
    from annotator.ui.app import run_demo

    return run_demo(args.workspace)


def cmd_check(args: argparse.Namespace) -> int:
    from annotator.platformcheck import REQUIRED, format_report, problems, run_checks
    from annotator.workspace import default_workspace_path

    root = Path(args.workspace).expanduser() if args.workspace else default_workspace_path()
    checks = run_checks(root)
    if args.json:
        print(json.dumps([c.as_dict() for c in checks], indent=2))
    else:
        print(format_report(checks))
    return 1 if any(c.level == REQUIRED for c in problems(checks)) else 0


def cmd_uninstall(args: argparse.Namespace) -> int:
    """Hands over to the installed app's own install.sh, which the installer's --uninstall
    runs too: one way to remove it."""
    if not getattr(sys, "frozen", False):
        raise AnnotatorError(
            "This annotator runs from a development install (a clone of the repository with "
            "its .venv), not from the installer, so there is nothing to uninstall here.",
            "Delete the clone to remove it; your recordings stay in your workspace folder.")
    # <data>/annotator-app/versions/<version>/annotator
    script = Path(sys.executable).resolve().parents[2] / "install.sh"
    if not script.is_file():
        raise AnnotatorError(f"The installer's script {script} is missing.",
                             "Run the installer again with --uninstall: "
                             "sh annotator-linux-x86_64.run --uninstall")
    os.execv("/bin/sh", ["sh", str(script), "--uninstall"])
    return 0  # not reached


def cmd_app(args: argparse.Namespace) -> int:
    from annotator.ui.app import run_app

    return run_app(args.workspace)


# Commands that live in their own modules: each defines add_parser(subparsers) and run(args).
COMMAND_MODULES: list[str] = [
    "annotator.cli.steps_cmd",
    "annotator.cli.label_cmd",
    "annotator.cli.signals_cmd",
    "annotator.cli.redact_cmd",
    "annotator.cli.render_cmd",
    "annotator.cli.leaks_cmd",
    "annotator.cli.db_cmd",
    "annotator.cli.users_cmd",
    "annotator.cli.terms_cmd",
    "annotator.cli.tasks_cmd",
    "annotator.cli.submit_cmd",
    "annotator.cli.submissions_cmd",
    "annotator.cli.retention_cmd",
    "annotator.cli.review_cmd",
    "annotator.cli.withdraw_cmd",
    "annotator.cli.rates_cmd",
    "annotator.cli.payouts_cmd",
    "annotator.cli.mydata_cmd",
    "annotator.cli.serve_cmd",
    "annotator.cli.server_up_cmd",
    "annotator.cli.remote_cmd",
    "annotator.cli.export_cmd",
]


def _command_token(argv: list[str]) -> str | None:
    """The first word of ``argv`` that is not a main option (``--workspace DIR``): the
    command, or None when the app itself is asked for."""
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--workspace":
            i += 2
            continue
        if a.startswith("--workspace="):
            i += 1
            continue
        return a
    return None


def _add_command_module(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str,
                        handlers: dict[str | None, Callable[[argparse.Namespace], int]],
                        unavailable: dict[str, AnnotatorError]) -> None:
    """Register the commands of module ``name``.  A command whose module needs a component
    this installation leaves out (the contributor app has no pyarrow, no server stack) is
    still listed, and says so when used, instead of breaking every other command."""
    import importlib

    from annotator.optional import explain

    try:
        mod = importlib.import_module(name)
        handlers[mod.add_parser(sub)] = mod.run
    except ImportError as exc:
        err = explain(exc)
        if err is None:
            raise
        command = name.rsplit(".", 1)[-1].removesuffix("_cmd").replace("_", "-")
        if command not in sub.choices:  # else add_parser got as far as registering it
            sub.add_parser(command, help="(not included in this installation)")
        unavailable[command] = err


def _innermost_parser(parser: argparse.ArgumentParser,
                      args: argparse.Namespace) -> argparse.ArgumentParser:
    """The (sub)command's own parser, so that a word it does not take is refused with its
    usage (``annotator users add``'s), not the top-level one's."""
    while True:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        chosen = getattr(args, subs[0].dest, None) if subs else None
        if not isinstance(chosen, str) or chosen not in subs[0].choices:
            return parser
        parser = subs[0].choices[chosen]


def main(argv: list[str] | None = None) -> int:
    os.umask(0o077)  # everything annotator writes is for the contributor's eyes only
    reload_settings()  # the environment, read once for this command
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    handlers: dict[str | None, Callable[[argparse.Namespace], int]] = {
        "record": cmd_record,
        "inspect": cmd_inspect,
        "recover": cmd_recover,
        "edit": cmd_edit,
        "demo": cmd_demo,
        "check": cmd_check,
        "uninstall": cmd_uninstall,
        None: cmd_app,
    }
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    # Opening the app, or a command defined here (record above all: its start-up CPU is
    # part of every recording's cost), needs none of the command modules: loading them (the
    # store, the export formats...) would only delay it.
    command = _command_token(argv)
    unavailable: dict[str, AnnotatorError] = {}
    if command is not None and command not in handlers:
        for name in COMMAND_MODULES:
            _add_command_module(sub, name, handlers, unavailable)
    if command in unavailable:
        print(f"annotator: error: {unavailable[command]}", file=sys.stderr)
        return unavailable[command].exit_code
    args, extra = parser.parse_known_args(argv)
    if extra:
        _innermost_parser(parser, args).error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return handlers[args.command](args)
    except AnnotatorError as exc:
        print(f"annotator: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except ImportError as exc:
        from annotator.optional import explain

        err = explain(exc)
        if err is None:
            raise
        print(f"annotator: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        return 130

if __name__ == "__main__":
    sys.exit(main())

