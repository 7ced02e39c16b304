"""The leak check of stored packages, and re-checking the ones made before it looked for
fragments.

A package holds its rendered video, the step frames and ``redactions.json`` (the filled
rectangles with their times), never the recording.  ``check_stored`` runs on those files:

- every step frame is read with OCR and the detectors run on its text (values readable
  whole: e-mail addresses, cards, keys...);
- the video is decoded and, on every frame, the ink next to each filled rectangle is looked
  at (``fragments.output_fragments``): ink within a space of a fill's left or right edge, on
  the rows it was drawn over, is a *possible* fragment (without the recording the check
  cannot tell a value going on past its box from a word the fill's padding reaches into).

Findings say what, where (file or box and side) and when, never the text read.

Checks are recorded as jobs of kind ``ocr`` (``ocr-<id>`` when the team server accepts a
package, ``ocr-<id>-v<version>`` for a re-check), with ``check_version`` in the result.
Packages whose latest check is older than ``CHECK_VERSION`` are due (``due``); ``rescan``
(admins) checks them, here or, on the team server, through its job queue
(``annotator.server.leak_jobs``).  ``reports`` gives each contributor the results for their
own submissions and admins all of them, with the exports that hold a flagged submission.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import struct
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from annotator.store import models as m
from annotator.store.server_models import Job
from annotator.workflow.states import Role, State

CHECK_KIND = "ocr"
# 1: OCR of the step frames; 2: and pieces next to the video's fills; 3: the frames' words
# read as lines, as the suggestions read them, text shaped like a value included
CHECK_VERSION = 3
MAX_TIMES = 10


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def job_id(submission_id: int, version: int = CHECK_VERSION) -> str:
    return f"ocr-{submission_id}-v{version}"


# -- the check of stored files ------------------------------------------------------------------

def _files(svc: Any, sid: int) -> dict[str, list[tuple[str, str]]]:
    with svc.store.read() as s:
        rows = s.execute(sa.select(m.SubmissionBlob.path, m.SubmissionBlob.sha256,
                                   m.SubmissionBlob.role)
                         .where(m.SubmissionBlob.submission_id == sid)
                         .order_by(m.SubmissionBlob.path)).all()
    out: dict[str, list[tuple[str, str]]] = {}
    for path, sha, role in rows:
        out.setdefault(role, []).append((path, sha))
    return out


MAX_SIDE = 8192  # the step frames a package may hold (the server's ingest limits)
MAX_PIXELS = 7680 * 4320  # an 8K screen


def _png_size(data: bytes) -> tuple[int, int]:
    """A PNG's (width, height) from its header; (0, 0) if it is not a PNG."""
    if len(data) >= 24 and data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        w, h = struct.unpack(">II", data[16:24])
        return int(w), int(h)
    return 0, 0


def _frame_findings(svc: Any, frames: Sequence[tuple[str, str]]) -> dict[str, Any]:
    import cv2
    import numpy as np

    from annotator.redaction.detect import Detector
    from annotator.redaction.ocr import OcrOptions, ocr_batch
    from annotator.redaction.screen_text import analyze_words, unread_values

    images, unreadable = [], []
    for path, sha in frames:
        data = svc.blobs.get(sha)
        # The size from the header first: a picture over the limits is never decoded.
        w, h = _png_size(data)
        if not (0 < w <= MAX_SIDE and 0 < h <= MAX_SIDE and w * h <= MAX_PIXELS):
            unreadable.append(path)
            continue
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if img is None:
            unreadable.append(path)
        else:
            images.append((path, img[:, :, ::-1].copy()))
    words = ocr_batch([img for _p, img in images], OcrOptions(workers=1)) if images else []
    det = Detector()
    findings = []
    for (path, _img), ws in zip(images, words, strict=True):
        # As the suggestions read a frame (lines, columns, values OCR misread), so a value
        # the editor would have suggested is found here too.
        hits, regions = analyze_words(ws, det)
        for hit in hits + unread_values(regions, hits):
            findings.append({"path": path, "kind": hit.kind, "score": round(hit.score, 2)})
    return {"frames": len(frames), "read": len(images), "unreadable": unreadable,
            "findings": findings}


def _boxes(svc: Any, redactions: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    if not redactions:
        return []
    try:
        data = json.loads(svc.blobs.get(redactions[0][1]))
        boxes = data.get("boxes") or []
        return [b for b in boxes if isinstance(b, dict) and len(b.get("fill_rect") or []) == 4]
    except (ValueError, AttributeError):
        return []


def video_fragments(video: Path, boxes: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Possible fragments next to the fills of a rendered video (``redactions.json``
    boxes: ``fill_rect`` [x0, y0, x1, y1] and ``result_intervals_us``)."""
    from annotator.media.leakcheck import iter_output_frames
    from annotator.redaction.fragments import output_fragments
    from annotator.redaction.ink import gray

    found: dict[tuple[int, str], dict[str, Any]] = {}
    frames = 0
    for of in iter_output_frames(video):
        frames += 1
        active = [(i, b) for i, b in enumerate(boxes)
                  if any(a < of.end and of.pts < e for a, e in b.get("result_intervals_us")
                         or [])]
        if not active:
            continue
        g = gray(of.rgb())
        fills = [b["fill_rect"] for _i, b in active]
        for i, b in active:
            for side, place, pixels in output_fragments(g, b["fill_rect"], fills):
                it = found.get((i, side))
                if it is None:
                    found[(i, side)] = {"box": i + 1, "side": side, "time_us": of.pts,
                                        "times_us": [of.pts], "frames": 1, "place": place,
                                        "pixels": pixels, "fill_rect": list(b["fill_rect"])}
                    continue
                it["frames"] += 1
                if len(it["times_us"]) < MAX_TIMES:
                    it["times_us"].append(of.pts)
                if pixels > it["pixels"]:
                    it["pixels"], it["place"] = pixels, place
    return {"video_frames": frames, "boxes": len(boxes),
            "fragments": sorted(found.values(), key=lambda d: (d["time_us"], d["box"]))}


def check_stored(svc: Any, submission_id: int) -> dict[str, Any]:
    """The leak check of a stored package (module docstring): a JSON-ready result with
    ``check_version``, ``findings`` (step frames), ``fragments`` (video) and ``passed``."""
    sid = int(submission_id)
    with svc.store.read() as s:
        sub = s.get(m.Submission, sid)
        if sub is None or sub.state == State.WITHDRAWN.value:
            return {"check_version": CHECK_VERSION, "skipped": "withdrawn or gone"}
    files = _files(svc, sid)
    result: dict[str, Any] = {"check_version": CHECK_VERSION}
    result.update(_frame_findings(svc, files.get("frame", [])))
    video = files.get("video", [])
    if video:
        fd, tmp = tempfile.mkstemp(prefix="annotator-leak-", suffix=".mp4")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(svc.blobs.get(video[0][1]))
            result.update(video_fragments(Path(tmp), _boxes(svc, files.get("redactions", []))))
        except Exception as exc:  # noqa: BLE001 - an unreadable video fails the check
            result.update({"video_error": f"{video[0][0]} cannot be decoded "
                           f"({type(exc).__name__})", "fragments": []})
        finally:
            os.unlink(tmp)
    else:
        result.update({"video_error": "the package has no video", "fragments": []})
    result["passed"] = not (result["findings"] or result["unreadable"] or result["fragments"]
                            or result.get("video_error"))
    return result


# -- records, due checks, reports --------------------------------------------------------------

def record(svc: Any, submission_id: int, result: dict[str, Any], *,
           jid: str | None = None, now: dt.datetime | None = None) -> str:
    """Store a check's result as a finished ``ocr`` job (created if missing)."""
    now = now or utcnow()
    jid = jid or job_id(submission_id)
    with svc.store.write() as s:
        job = s.get(Job, jid)
        if job is None:
            job = Job(id=jid, kind=CHECK_KIND, ref=str(submission_id), state="queued",
                      attempts=0, created_at=now, updated_at=now)
            s.add(job)
        job.state, job.result, job.error, job.updated_at = "done", result, None, now
        job.attempts = (job.attempts or 0) + 1
    return jid


def latest_checks(s: Any, ids: Iterable[int] | None = None) -> dict[int, Job]:
    """The latest finished-or-not ``ocr`` job of each submission."""
    q = sa.select(Job).where(Job.kind == CHECK_KIND)
    if ids is not None:
        q = q.where(Job.ref.in_([str(i) for i in ids]))
    out: dict[int, Job] = {}
    for job in s.execute(q).scalars():
        try:
            sid = int(job.ref)
        except ValueError:
            continue
        old = out.get(sid)
        if old is None or _version(job) > _version(old) or (
                _version(job) == _version(old) and job.updated_at > old.updated_at):
            out[sid] = job
    return out


def _version(job: Job) -> int:
    if job.state != "done" or not isinstance(job.result, dict):
        return 0
    return int(job.result.get("check_version") or 1)


def due(svc: Any) -> list[int]:
    """Submissions (not withdrawn) with no finished check of ``CHECK_VERSION``, none
    waiting or running, and no re-check that failed already (it is not tried forever)."""
    with svc.store.read() as s:
        ids = [r[0] for r in s.execute(sa.select(m.Submission.id).where(
            m.Submission.state != State.WITHDRAWN.value).order_by(m.Submission.id))]
        jobs = s.execute(sa.select(Job.id, Job.ref, Job.state, Job.result).where(
            Job.kind == CHECK_KIND)).all()
    current: set[int] = set()
    for jid, ref, state, result in jobs:
        v = int((result or {}).get("check_version") or 1) if state == "done" else 0
        if v >= CHECK_VERSION or state in ("queued", "running") or jid == job_id(int(ref)):
            current.add(int(ref))  # current, on its way, or a re-check that failed
    return [i for i in ids if i not in current]


def require_admin(svc: Any, actor: Any) -> None:
    """PermissionDenied unless ``actor`` is a signed-in admin."""
    with svc.store.read() as s:
        svc._require(s, actor, Role.ADMIN, doing="re-check packages for leaks")


def rescan(svc: Any, *, actor: Any, submission_ids: Iterable[int] | None = None,
           progress: Any = None) -> list[dict[str, Any]]:
    """Check again (here, now) every package made before the current check, or those
    named; record each result; return the reports (admins only)."""
    require_admin(svc, actor)
    todo = list(submission_ids) if submission_ids is not None else due(svc)
    for n, sid in enumerate(todo):
        if progress is not None:
            progress.check()
            progress.report(n, len(todo), "Checking packages again")
        record(svc, sid, check_stored(svc, sid))
    return reports(svc, actor=actor, only=todo)


def reports(svc: Any, *, actor: Any, only: Iterable[int] | None = None,
            export_dirs: Sequence[Path] = ()) -> list[dict[str, Any]]:
    """The latest leak check of each submission the actor may see: a contributor's own, all
    for admins and reviewers; with the exports (server-made, and local export folders
    given) that hold it.  No text read on screen is in them."""
    with svc.store.read() as s:
        user = svc._user(s, actor)
        q = sa.select(m.Submission.id, m.Submission.state, m.Submission.contributor_id)
        if Role(user.role) == Role.CONTRIBUTOR:
            q = q.where(m.Submission.contributor_id == user.id)
        if only is not None:
            q = q.where(m.Submission.id.in_(list(only)))
        subs = s.execute(q.order_by(m.Submission.id)).all()
        pseudonyms = dict(s.execute(sa.select(m.User.id, m.User.pseudonym)).all())
        checks = latest_checks(s, [r[0] for r in subs])
        exports = _server_exports(s)
    local = _local_exports(export_dirs)
    out = []
    for sid, state, cid in subs:
        job = checks.get(sid)
        res = job.result if job is not None and isinstance(job.result, dict) else None
        out.append({
            "submission_id": sid, "state": state, "contributor": pseudonyms.get(cid),
            "check": None if job is None else {
                "job": job.id, "state": job.state, "version": _version(job),
                "checked_at": job.updated_at.isoformat() if job.updated_at else None,
                "passed": None if res is None else res.get("passed"),
                "findings": [] if res is None else res.get("findings", []),
                "fragments": [] if res is None else res.get("fragments", []),
                "unreadable": [] if res is None else res.get("unreadable", []),
                "error": job.error or (res or {}).get("video_error")},
            "due": _version(job) < CHECK_VERSION if job is not None else True,
            "exports": sorted(e for e, ids in {**exports, **local}.items() if sid in ids),
        })
    return out


def _server_exports(s: Any) -> dict[str, set[int]]:
    got: dict[str, set[int]] = {}
    for jid, result in s.execute(sa.select(Job.id, Job.result).where(Job.kind == "export")):
        if isinstance(result, dict):
            got[jid] = {int(x["id"]) for x in result.get("submissions") or []
                        if isinstance(x, dict) and "id" in x}
    return got


def _local_exports(folders: Sequence[Path]) -> dict[str, set[int]]:
    """Export folders (``annotator export`` output, or folders holding such) -> the
    submissions in each, from their manifests."""
    got: dict[str, set[int]] = {}
    for folder in folders:
        candidates = [folder] + ([p for p in sorted(Path(folder).iterdir()) if p.is_dir()]
                                 if Path(folder).is_dir() else [])
        for f in candidates:
            try:
                data = json.loads((f / "manifest.json").read_text("utf-8"))
            except (OSError, ValueError):
                continue
            eps = data.get("episodes") if isinstance(data, dict) else None
            if isinstance(eps, list):
                got[str(f)] = {int(e["submission_id"]) for e in eps
                               if isinstance(e, dict) and "submission_id" in e}
    return got
