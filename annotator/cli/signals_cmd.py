"""``annotator signals DIR``: what the machine finds in a recording or a package folder.

The same records the submission checklist shows and the store keeps (docs/signals.md):

    annotator signals RECORDING           # before submitting: what to fix first
    annotator signals PACKAGE [--json]    # a prepared package: the bytes the server computes
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path
from typing import Any


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> str:
    p = sub.add_parser(
        "signals", help="quality and integrity signals of a recording or a package folder",
        description="List what the machine finds in a demonstration before a reviewer looks "
        "at it: steps that changed nothing, idle stretches, instructions that do not fit their "
        "action, input made by a program, a video played back, redaction doubts. For a "
        "recording: as its package would give them (and the input only the recording holds); "
        "for a package folder: exactly the records the store computes.")
    p.add_argument("dir", type=Path, help="a recording folder, or a package folder")
    p.add_argument("--json", action="store_true",
                   help="print the signal set as JSON (canonical: sorted keys, no spaces)")
    return "signals"


def describe_set(records: dict[str, Any], title: str) -> list[str]:
    """The human listing of a signal set (also used by `review show`)."""
    sigs = records.get("signals") or []
    worst = records.get("max_severity") or "none"
    lines = [f"{title}: {len(sigs)} signal(s), highest severity {worst} "
             f"(algorithm {records.get('algorithm_version')})"]
    for r in sigs:
        where = ", ".join(str(s["index"] + 1) for s in r.get("steps") or [])
        if where:
            where = f"step {where}" if len(r["steps"]) == 1 else f"steps {where}"
        elif r.get("moments"):
            m = r["moments"][0]
            where = f"at {m['start_us'] / 1e6:.1f} s"
        declared = " (declared by the contributor's computer)" if r.get("declared") else ""
        lines.append(f"  {r['severity'].upper():6}  {r['title']}  [{r['kind']}; {where or 'whole'}]"
                     f"{declared}")
        lines += ["          " + w for w in textwrap.wrap(r["why"], 88)]
    if not sigs:
        lines.append("  Nothing found.")
    return lines


def run(args: argparse.Namespace) -> int:
    from annotator.errors import AnnotatorError
    from annotator.quality.package import MANIFEST, load_package
    from annotator.quality.records import canonical

    folder: Path = args.dir
    if (folder / MANIFEST).is_file():
        from annotator.quality.compute import compute

        records = compute(load_package(folder)).records
        title = f"Signals of the package {folder}"
    elif (folder / "manifest.json").is_file():
        from annotator.submission.signals import recording_signals

        records = recording_signals(folder).computed.records
        title = f"Signals of the recording {folder}"
    else:
        raise AnnotatorError(f"{folder} is neither a recording nor a submission package.",
                             "Give a recording folder (it has manifest.json) or a prepared "
                             "package folder (it has package.json).")
    if args.json:
        sys.stdout.write(canonical(records).decode("utf-8") + "\n")
    else:
        print("\n".join(describe_set(records, title)))
    return 0


def describe_report(rep: Any) -> list[str]:
    """A stored submission's signals (``SignalReport``), with the contributor's answers."""
    if rep.state == "pending":
        return [f"Submission #{rep.submission_id}: the signals are not computed yet (the store "
                "computes them after verification)."]
    if rep.state == "failed":
        return [f"Submission #{rep.submission_id}: the signals could not be computed: "
                f"{rep.error}"]
    lines = describe_set({"signals": list(rep.records), "max_severity": rep.max_severity,
                          "algorithm_version": rep.algorithm_version},
                         f"Signals of submission #{rep.submission_id}")
    for a in rep.answers:
        lines.append(f"  answer to {a.signal_key} ({a.author}): {a.body}")
    return lines
