"""The contributor's own record of what was submitted from which local recording.

Two places hold it, both on this computer only:

- each recording's ``submissions.json`` (beside ``edits.json``): every submission made from
  it, written when the store (or the team server) accepted the package;
- the workspace preference ``submitted_recordings`` (``{submission id: folder}``), which also
  covers recordings kept outside the workspace's recordings folder.

The desktop app and the command line both go through these functions, so "Resubmit",
retention and "send what waits in the outbox" see the same record whichever face submitted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from annotator.errors import AnnotatorError
from annotator.fsutil import write_json_atomic
from annotator.workflow.contract import SubmissionInfo, TeamServices
from annotator.workflow.states import State
from annotator.workspace import Workspace

SUBMISSIONS_FILE = "submissions.json"  # in the bundle, beside edits.json
SUBMISSIONS_FORMAT = "annotator-bundle-submissions"
SUBMISSIONS_FORMAT_VERSION = 1


class SubmissionError(AnnotatorError):
    """A package cannot be prepared or submitted, or a recording's record of its
    submissions cannot be read."""


def recorded_submissions(bundle_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The submissions made from this recording (oldest first), as recorded at consent;
    their current state is the store's (``Services.get_submission``)."""
    path = Path(bundle_dir) / SUBMISSIONS_FILE
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise SubmissionError(
            f"{path} cannot be read ({exc}).",
            "It lists this recording's submissions; the store still has them "
            "(`annotator submissions`).") from exc
    subs = data.get("submissions") if isinstance(data, dict) else None
    return [s for s in subs or [] if isinstance(s, dict) and isinstance(
        s.get("submission_id"), int)]


def record_submission(bundle_dir: str | os.PathLike[str], entry: dict[str, Any]) -> None:
    """Add one submission to the bundle's ``submissions.json`` (written atomically).  The
    submission is in the store already: a folder that cannot be written is not an error
    (the store's list is the reference)."""
    folder = Path(bundle_dir)
    try:
        subs = recorded_submissions(folder)
    except SubmissionError:
        subs = []
    subs = [s for s in subs if s.get("submission_id") != entry["submission_id"]
            or s.get("store") != entry.get("store")] + [entry]
    with contextlib.suppress(OSError):
        write_json_atomic(folder / SUBMISSIONS_FILE, {
            "format": SUBMISSIONS_FORMAT, "format_version": SUBMISSIONS_FORMAT_VERSION,
            "submissions": subs})


def submission_entry(info: SubmissionInfo, *, package_folder: str | os.PathLike[str],
                     store: str | None, **extra: Any) -> dict[str, Any]:
    """The ``submissions.json`` entry of a submission the store accepted."""
    return {
        "submission_id": info.id, "lineage": info.lineage, "version": info.version,
        "previous_id": info.previous_id, "manifest_sha256": info.manifest_sha256,
        "package_folder": str(package_folder), **extra,
        "submitted_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "state": State(info.state).value, "store": store,
    }


def local_submissions(ws: Workspace) -> dict[str, str]:
    """Which local recording each submission came from (``{submission id: folder}``), from
    every recording's ``submissions.json`` and the workspace's own list."""
    out: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for folder in ws.recordings():
            try:
                for entry in recorded_submissions(folder):
                    out[str(entry["submission_id"])] = str(folder)
            except AnnotatorError:
                continue
    out.update(ws.preferences().submitted_recordings)
    return out


def submitted_folders(ws: Workspace) -> list[Path]:
    """Every local recording something was submitted from (existing ones only)."""
    seen: dict[str, Path] = {}
    for folder in local_submissions(ws).values():
        p = Path(folder)
        with contextlib.suppress(OSError):
            key = str(p.resolve())
            if key not in seen and p.is_dir():
                seen[key] = p
    return list(seen.values())


def remember_submission(ws: Workspace, submission_id: int, folder: str | os.PathLike[str],
                        retention: str | None = None) -> None:
    """Note that ``submission_id`` came from the recording ``folder`` (so "Resubmit" finds
    it), and the contributor's retention choice for that recording if one was made."""
    with ws.edit_preferences() as prefs:
        prefs.submitted_recordings[str(submission_id)] = str(folder)
    if retention is not None:
        ws.set_retention_for(folder, retention)


def recording_of_package(ws: Workspace, package_folder: str | os.PathLike[str]) -> Path | None:
    """The workspace recording a package folder was made from, by the default package
    folder's name (``<recording>-<time>``); None when it cannot be told."""
    name = Path(package_folder).name
    matches = [Path(f) for f in ws.recordings() if name.startswith(Path(f).name + "-")]
    return max(matches, key=lambda f: len(f.name)) if matches else None


def record_sent(ws: Workspace, info: SubmissionInfo, package_folder: str | os.PathLike[str],
                store: str | None) -> Path | None:
    """A package sent later (from the outbox): note its submission in the recording it was
    made from, as a direct submit would have, so "Resubmit" and retention find it."""
    folder = recording_of_package(ws, package_folder)
    if folder is None:
        return None
    record_submission(folder, submission_entry(info, package_folder=package_folder, store=store))
    remember_submission(ws, info.id, folder)
    return folder


def send_pending(services: TeamServices, ws: Workspace) -> list[SubmissionInfo | Exception]:
    """Send every package waiting in the team server's outbox; each accepted one is recorded
    in its recording.  One result per package: the ``SubmissionInfo`` or the error."""
    outbox = services.outbox
    if outbox is None:
        return []
    folders = {p.manifest_sha256: p.folder for p in outbox.pending()}
    results = services.send_pending()
    for r in results:
        if isinstance(r, Exception):
            continue
        folder = folders.get(r.manifest_sha256)
        if folder is not None:
            record_sent(ws, r, folder, services.server)
    return list(results)
