"""``annotator submit DIR``: submit a demonstration for review.

DIR is either a recording (a bundle: ``manifest.json``) or an already built package folder
(``package.json`` and ``consent.json``; docs/store.md, "Submission package").

For a recording: the checklist (goal, outcome, an instruction for every kept step), then the
package is prepared (rendered with every redaction burned in, leak-checked), what will be
shared is shown with the terms, and an explicit "I consent" for this one demonstration is
asked for (``--yes-i-consent`` in scripts); then the store ingests it.  Exit status 1 when the
checklist or the leak check fails (nothing is submitted), 2 on an error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotator.cli import store_common as c
from annotator.display import duration
from annotator.errors import AnnotatorError
from annotator.workflow.states import state_label

if TYPE_CHECKING:
    from annotator.workflow.contract import SubmissionInfo

CONSENT_WORDS = "i consent"
CLI_METHOD = "command line: typed 'I consent' for this one demonstration"
SCRIPT_METHOD = "command line: --yes-i-consent for this one demonstration"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> str:
    p = subparsers.add_parser(
        "submit", help="submit a recording (or a built package folder) for review",
        description="Submit a demonstration.  DIR is a recording: it is checked (goal, "
        "outcome, an instruction for every kept step), rendered with every redaction burned "
        "in and leak-checked into a package; you are shown what will be shared and the "
        "terms, and asked to consent to sharing this one demonstration.  DIR can also be a "
        "package folder built and consented already (docs/store.md).  Nothing is stored if "
        "anything is wrong.",
    )
    p.add_argument("dir", type=Path, help="a recording folder, or a package folder")
    p.add_argument("--resubmit-of", type=int, metavar="ID",
                   help="a new version of submission ID, whose changes were requested")
    p.add_argument("--draft", action="store_true",
                   help="store it as a draft; send it later with `annotator submissions send`")
    p.add_argument("--package-dir", type=Path, metavar="DIR",
                   help="recording only: where to build the package (default: a new folder "
                   "in the workspace's packages folder)")
    p.add_argument("--task", type=int, metavar="ID",
                   help="recording only: the published task this demonstration answers")
    p.add_argument("--terms-version", metavar="V",
                   help="recording only: consent under this published terms version "
                   "(default: the latest)")
    p.add_argument("--retention", choices=("ask", "delete", "keep"),
                   help="recording only: once approved, delete the raw recording from this "
                   "computer, keep it, or ask (default: your workspace preference, else ask)")
    p.add_argument("--yes-i-consent", action="store_true",
                   help="recording only: consent without being asked (for scripts; you still "
                   "consent to this one demonstration under the terms shown)")
    c.add_user_option(p)
    c.add_json_option(p)
    return "submit"


def run(args: argparse.Namespace) -> int:
    folder: Path = args.dir
    if (folder / "package.json").is_file():
        return _submit_package(args)
    if (folder / "manifest.json").is_file():
        return _submit_recording(args)
    raise AnnotatorError(
        f"{folder} is neither a recording nor a submission package"
        + ("" if folder.is_dir() else " (it is not a folder)") + ".",
        "Give a recording folder (with manifest.json) or a package folder (with "
        "package.json).")


def _print_info(info: SubmissionInfo, args: argparse.Namespace) -> None:
    what = f"version {info.version} of #{info.previous_id}" if info.previous_id else ""
    print(f"Submission #{info.id} {what + ' ' if what else ''}stored: "
          f"{duration(info.duration_us)}, {info.step_count} step(s), "
          f"{info.total_bytes / 1e6:.1f} MB; {state_label(info.state).lower()}.")
    print(f"Withdraw it at any time with `annotator withdraw {info.id}`.")


def _submit_package(args: argparse.Namespace) -> int:
    svc = c.services(args)
    with svc.store:
        actor = c.sign_in(svc, args)
        info = svc.ingest_package(actor=actor, folder=args.dir, submit=not args.draft,
                                  previous_id=args.resubmit_of)
        from annotator.submission.builder import store_signals

        store_signals(svc, info.id)
        if args.json:
            c.print_json(info)
            return 0
        _print_info(info, args)
    return 0


def _need_terminal() -> None:
    if not sys.stdin.isatty():
        raise AnnotatorError(
            "Consent is asked for on a terminal, and there is none: nothing was prepared or "
            "submitted.",
            "Run the command in a terminal, or add --yes-i-consent to consent to this one "
            "demonstration under the terms shown.")


def _ask_consent(terms_version: str, say: Callable[..., None]) -> None:
    _need_terminal()
    say()
    say("Do you consent to sharing this one demonstration, as shown above, under terms "
        f"version {terms_version}?  This consent covers nothing else, and you can withdraw "
        "it at any time (`annotator withdraw`).")
    say("Type 'I consent' to submit, anything else to stop: ", end="", flush=True)
    answer = sys.stdin.readline()
    if answer.strip().casefold() != CONSENT_WORDS:
        raise AnnotatorError("You did not consent: nothing was submitted.",
                             "The package stays prepared; run the command again to consent.")


def _submit_recording(args: argparse.Namespace) -> int:
    from annotator.submission.builder import (
        changes_requested,
        checklist,
        consent_and_submit,
        default_package_dir,
        failing,
        prepare_package,
    )
    from annotator.workspace import Workspace

    bundle: Path = args.dir

    def say(*a: object, **kw: Any) -> None:  # with --json, stdout holds only the JSON
        print(*a, file=sys.stderr if args.json else sys.stdout, **kw)

    ws = Workspace.open(getattr(args, "workspace", None))
    # The checklist first: no sign-in, no rendering for a recording that is not ready.
    bad = failing(checklist(bundle))
    if bad:
        print(f"{bundle} is not ready to submit:", file=sys.stderr)
        for item in bad:
            print(f"  - {item.text}", file=sys.stderr)
        print("Fix these in the editor (`annotator` opens it), then submit again.",
              file=sys.stderr)
        return 1
    if not args.yes_i_consent:
        _need_terminal()  # before the long render, not after it
    svc = c.services(args)
    with svc.store:
        actor = c.sign_in(svc, args)
        terms = svc.get_terms(version=args.terms_version)
        if args.resubmit_of is None:
            earlier = changes_requested(bundle, services=svc, actor=actor)
            if earlier is not None:
                raise AnnotatorError(
                    f"Changes were requested on submission #{earlier} from this recording.",
                    f"Add --resubmit-of {earlier} to send this as its next version (or "
                    f"withdraw #{earlier} first to start over).")

        out = args.package_dir or default_package_dir(ws, bundle)
        with c.terminal_progress() as progress:
            prepared = prepare_package(bundle, out, workspace=ws, progress=progress,
                                       task_id=args.task)
        say(f"What will be shared (package {prepared.folder}):")
        for line in prepared.summary_lines():
            say(f"  {line}")
        say(f"  Play the final video: {prepared.video}")
        if not prepared.ready:
            print("It cannot be submitted:", file=sys.stderr)
            for item in prepared.failing:
                print(f"  - {item.text}", file=sys.stderr)
            if not prepared.leak_check.passed:
                print(str(prepared.leak_check), file=sys.stderr)
            return 1
        say()
        say(f"Terms, version {terms.version} (SHA-256 {terms.sha256[:16]}…):")
        say("-" * 72)
        say(terms.text.rstrip())
        say("-" * 72)
        if args.yes_i_consent:
            method = SCRIPT_METHOD
        else:
            _ask_consent(terms.version, say)
            method = CLI_METHOD
        if args.retention:  # made with the consent: kept even if the package waits to be sent
            ws.set_retention_for(bundle, args.retention)
        info = consent_and_submit(prepared, services=svc, actor=actor,
                                  terms_version=terms.version,
                                  resubmit_of=args.resubmit_of, method=method,
                                  submit=not args.draft)
        if args.json:
            c.print_json(info)
            return 0
        _print_info(info, args)
        say({"ask": "Once it is approved, you will be asked whether to delete the raw "
                    "recording from this computer.",
             "delete": "Once it is approved, the raw recording will be deleted from this "
                       "computer (your choice).",
             "keep": "The raw recording stays on this computer (your choice)."}[
            ws.retention_for(bundle)])
    return 0
