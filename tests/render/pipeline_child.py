"""The editing and rendering half of the privacy pipeline test, run as its own process under
``unshare -n`` (no network at all): the contributor masks the typed user name, renders (the
leak check must catch the name still on screen), boxes the field, renders again, accepts
what is left as not sensitive, renders again, and prepares the submission package.

Run: python -m tests.render.pipeline_child BUNDLE OUT_DIR USER_NAME X,Y,W,H
Prints one JSON object.
"""

from __future__ import annotations

import errno
import json
import socket
import sys
from pathlib import Path


def network_blocked() -> dict:
    """Try to reach an address outside the machine (TEST-NET-1: nothing answers anyway)."""
    try:
        with socket.create_connection(("192.0.2.1", 80), timeout=2):
            return {"blocked": False, "why": "connected"}
    except OSError as exc:
        return {"blocked": exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH),
                "why": f"{errno.errorcode.get(exc.errno or 0, exc.errno)}: {exc}"}


def main() -> int:
    folder, out_dir, user_name = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    rect = [int(v) for v in sys.argv[4].split(",")]
    from annotator.edits import EditSession
    from annotator.redaction.leakscan import leak_items
    from annotator.steps import load_or_derive
    from annotator.submission.render import render_for_submission

    report: dict = {"network": network_blocked()}
    doc = load_or_derive(folder)
    typed = [s for s in doc.steps if s.type == "type" and s.text and user_name in s.text]
    report["typed_steps"] = [{"id": s.id, "masked": s.masked} for s in typed]
    with EditSession.open(folder, steps=doc.steps) as s:
        for step in typed:
            start = step.text.index(user_name)
            s.mask_text(step.id, start, start + len(user_name))
    out_dir.mkdir(parents=True, exist_ok=True)
    _, missed, plan = render_for_submission(folder, out_dir / "missed.mp4")
    report["redacted_strings"] = len(plan.redacted_strings)
    report["missed"] = {"status": missed.status, "passed": missed.passed,
                        "items": [{"detector": i.detector, "text": i.text,
                                   "allowed": i.allowed} for i in leak_items(missed)]}
    with EditSession.open(folder, steps=doc.steps) as s:
        s.add_box(rect, 0, 10**12)
    _, boxed, _ = render_for_submission(folder, out_dir / "boxed.mp4")
    blocking = [i for i in leak_items(boxed) if not i.allowed]
    report["boxed"] = {"status": boxed.status, "passed": boxed.passed,
                       "items": [{"detector": i.detector, "text": i.text,
                                  "box": i.box} for i in blocking]}
    # What is left is accepted as not sensitive, as the contributor would (the parent checks
    # what it was).
    with EditSession.open(folder, steps=doc.steps) as s:
        for i in blocking:
            s.allow_leak_item(i.text, i.detector)
    _, fixed, _ = render_for_submission(folder, out_dir / "fixed.mp4")
    report["fixed"] = {"status": fixed.status, "passed": fixed.passed, "text": str(fixed),
                       "items": [{"detector": i.detector, "text": i.text,
                                  "allowed": i.allowed} for i in leak_items(fixed)],
                       "ocr": fixed.check("ocr_text").details}
    # The submission package, as the consent dialog prepares it (render, leak check, steps,
    # frames, thumbnails, redactions), into the same folder: the parent searches it too.
    from annotator.submission.builder import prepare_package
    from annotator.workspace import Workspace

    prepared = prepare_package(folder, out_dir / "package", workspace=Workspace.open())
    report["package"] = {"passed": prepared.leak_check.passed,
                         "files": sorted(str(p.relative_to(out_dir / "package"))
                                         for p in (out_dir / "package").rglob("*")
                                         if p.is_file())}
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
