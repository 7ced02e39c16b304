"""The verification job: from an archive in ``incoming/`` to a submission, or a rejection.

``verify_upload`` downloads the archive, unpacks it safely (``unpack``: regular files only,
no link, no path leaving the folder, number of entries, sizes and total capped), checks the
manifest is the one declared, measures every figure in the files
(``annotator.server.verify``), and hands the folder to ``Services.ingest_package`` (the
workspace's checks: manifest, consent, terms, every file re-hashed while it is copied into
the accepted area).  The measured figures replace the claimed ones on the submission
(duration, steps) and give the active time paid for.

Every package ends in a final state: accepted, or rejected with a reason whatever went
wrong (an error of ours says what and what to do; any other exception is named), its
incoming object deleted at once (the reaper deletes what could not be).  Only a service
being down (database, object store) is not the package's fault: the upload goes back to
``uploaded`` and the job is retried, up to its attempt limit.

``reverify_submission`` measures a submission accepted before verification measured files
(its blobs from ``accepted/``) and records what it found; payouts made on claimed figures
are listed for admins (``annotator.workflow.payouts.unverified_payouts``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from annotator.errors import AnnotatorError
from annotator.server.jobs import (
    WorkerContext,
    enqueue_after_acceptance,
    record_after_acceptance,
    utcnow,
)
from annotator.server.lifecycles import FINAL_UPLOAD_STATES, UploadAction, UploadState, move_upload
from annotator.server.verify import Figures, measure_package, verify_package
from annotator.store import models as m
from annotator.store.errors import StoreUnavailable
from annotator.store.server_models import Job, Upload
from annotator.workflow.errors import (
    PackageError,
    PackageHashMismatch,
    PackagePathError,
    WorkflowError,
)
from annotator.workflow.package import FileEntry, Package, check_relpath, read_package
from annotator.workflow.service import Actor
from annotator.workflow.states import Role, State

MAX_MEMBERS = 50_000  # a package has a frame and a thumbnail per step, and 6 more files
MAX_MEMBER_BYTES = 8 << 30


def _actor(s: Any, user_id: int) -> Actor:
    u = s.get(m.User, user_id)
    return Actor(u.id, u.pseudonym, u.name or "", Role(u.role), bool(u.must_change_passphrase))


def _unplaced(text: str | None, folder: Path | None) -> str | None:
    """An error's text without the worker's scratch folder (a server path means nothing to
    the contributor)."""
    if not text or folder is None:
        return text
    text = text.replace(str(folder) + "/", "").replace(str(folder), "the package")
    return text.replace(str(folder.parent), "the server's work folder")


def refusal(exc: BaseException, folder: Path | None) -> dict[str, str | None]:
    """Why a package was refused, as an API error says it (``{error, message, hint}``): the
    same kind of error as the embedded services raise (``ConsentError``, ``UnknownTerms``...:
    the client raises that class), a ``PackageError`` for anything else, any other
    exception named."""
    if isinstance(exc, AnnotatorError):
        kind = type(exc).__name__ if isinstance(exc, WorkflowError) else "PackageError"
        return {"error": kind, "message": _unplaced(exc.message, folder),
                "hint": _unplaced(exc.hint, folder)}
    return {"error": "PackageError",
            "message": f"The package could not be verified ({type(exc).__name__}).",
            "hint": "Render it again in the app and submit it again; if it happens again, "
                    "tell the team's admin."}


def _reason(r: dict[str, str | None]) -> str:
    """The refusal in one text (the upload's ``error``)."""
    return ((r["message"] or "") + (f" What to do: {r['hint']}" if r.get("hint") else ""))[:2000]


def verify_upload(ctx: WorkerContext, upload_id: str) -> dict[str, Any]:
    now = utcnow()
    with ctx.store.write() as s:
        up = s.get(Upload, upload_id, with_for_update=True)
        if up is None:
            return {"skipped": "no such upload"}
        if up.state in FINAL_UPLOAD_STATES:
            return {"state": up.state, "submission_id": up.submission_id}
        if up.state == UploadState.UPLOADING:
            return {"skipped": "not completed"}
        actor = _actor(s, up.user_id)
        key, size, manifest_sha = up.object_key, up.size, up.manifest_sha256
        submit, previous_id = up.submit, up.previous_id
        # Crash recovery: an earlier run may have ingested it before dying.
        done = s.execute(sa.select(m.Submission.id).where(
            m.Submission.contributor_id == up.user_id,
            m.Submission.manifest_sha256 == manifest_sha,
            m.Submission.state != State.WITHDRAWN.value,
            m.Submission.created_at >= up.created_at)).scalar()
        if up.state == UploadState.UPLOADED:
            move_upload(s, up, UploadAction.START, now=now)
    if done is not None:
        return _accept(ctx, upload_id, key, done, None, recovered=True)
    work = Path(tempfile.mkdtemp(prefix="annotator-verify-", dir=ctx.cfg.work_dir or None))
    folder = work / "package"
    try:
        archive = work / "package.tar"
        ctx.objects.download(key, str(archive))
        got = archive.stat().st_size
        if got != size:
            raise PackageError(f"The package archive has {got} bytes; {size} were declared.",
                               "Upload the package again.")
        unpack(archive, folder, max_bytes=ctx.cfg.max_package_bytes)
        archive.unlink()
        raw = (folder / "package.json").read_bytes() \
            if (folder / "package.json").is_file() else b""
        if hashlib.sha256(raw).hexdigest() != manifest_sha:
            raise PackageError(
                "The package's content manifest is not the one declared when the upload "
                "started.", "Upload the package again from the app.")
        pkg = read_package(folder)
        check_hashes(pkg)  # what was consented to, before measuring it
        figures = verify_package(pkg, idle_cap_us=int(ctx.cfg.pay_idle_cap_s * 1e6))

        def accept_with(s: Any, sub: m.Submission) -> None:
            # In the transaction that records the submission: the upload must still be
            # verifying (a withdrawal cancels it), the figures are the measured ones.
            up = s.get(Upload, upload_id, with_for_update=True)
            if up is None or up.state != UploadState.VERIFYING:
                raise UploadCancelled(f"Upload {upload_id} was cancelled while it was "
                                      "verified.")
            now = utcnow()
            record_figures(s, sub, figures, now)
            move_upload(s, up, UploadAction.ACCEPT, now=now, submission_id=sub.id,
                        figures=figures.as_json())
            record_after_acceptance(s, sub.id, now)

        info = ctx.svc.ingest_package(actor=actor, folder=folder, submit=submit,
                                      previous_id=previous_id, on_record=accept_with)
    except UploadCancelled:
        with contextlib.suppress(Exception):
            ctx.objects.delete(key)
        return {"state": "cancelled"}
    except StoreUnavailable as exc:
        # Not the package's fault: verified again later (the job's attempts are counted).
        with ctx.store.write() as s:
            up = s.get(Upload, upload_id, with_for_update=True)
            if up is not None and up.state == UploadState.VERIFYING:
                move_upload(s, up, UploadAction.REQUEUE, now=utcnow(),
                            reason=f"a service was down: {exc.message}")
        raise
    except BaseException as exc:  # noqa: BLE001 - every bad package ends rejected
        if not isinstance(exc, Exception):
            raise  # KeyboardInterrupt, SystemExit: the worker is stopping; retried later
        why = refusal(exc, folder)
        result = {"state": "rejected", "error": _reason(why), "refusal": why}
        _reject(ctx, upload_id, key, result)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with contextlib.suppress(Exception):
        ctx.objects.delete(key)
    enqueue_after_acceptance(ctx, info.id)
    return {"state": "accepted", "submission_id": info.id, "figures": figures.as_json()}


def check_hashes(pkg: Package) -> None:
    """Every file is the one the manifest (and so the consent) names: SHA-256 and size,
    several files at a time (hashing releases the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    from annotator.store.blobs import sha256_file

    def one(e: FileEntry) -> str | None:
        sha, size = sha256_file(pkg.folder / e.path)
        return None if (sha, size) == (e.sha256, e.size) else e.path

    with ThreadPoolExecutor(max_workers=4) as pool:
        bad = [p for p in pool.map(one, sorted(pkg.files, key=lambda e: -e.size)) if p]
    if bad:
        raise PackageHashMismatch(
            f"{bad[0]} no longer matches the content manifest (its SHA-256 differs)"
            + (f", nor do {len(bad) - 1} more files" if len(bad) > 1 else "") + ".",
            "The file changed after the package was made and consented to: render it "
            "again and consent again.")


def _reject(ctx: WorkerContext, upload_id: str, key: str, result: dict[str, Any]) -> None:
    with ctx.store.write() as s:
        up = s.get(Upload, upload_id, with_for_update=True)
        if up is not None and up.state == UploadState.VERIFYING:
            move_upload(s, up, UploadAction.REJECT, now=utcnow(), reason=result["error"])
            # Why, in the same transaction: a client that sees "rejected" must also see the
            # refusal (the job's own result is written only after this function returns).
            job = s.get(Job, f"verify-{upload_id}")
            if job is not None:
                job.result = result
    with contextlib.suppress(Exception):  # the reaper deletes it if this fails
        ctx.objects.delete(key)


class UploadCancelled(Exception):
    """The upload was cancelled (a withdrawal) while it was being verified."""


def record_figures(s: Any, sub: m.Submission, figures: Figures | None, now: dt.datetime,
                   *, problem: str | None = None) -> None:
    """The measured figures replace the claimed ones (duration, steps); pay counts
    ``active_us``.  Without figures (nothing could be measured), nothing is paid."""
    verification: dict[str, Any] = {"at": now.isoformat()}
    if figures is not None:
        verification["figures"] = figures.as_json()
        sub.duration_us = figures.duration_us
        sub.step_count = figures.steps
        sub.paid_us = figures.active_us
    else:
        sub.paid_us = 0
    if problem:
        verification["problem"] = problem
    sub.verification = verification
    sub.verified_at = now


def _accept(ctx: WorkerContext, upload_id: str, key: str, submission_id: int,
            figures: Figures | None, *, recovered: bool = False) -> dict[str, Any]:
    """An upload whose submission an earlier run recorded before its worker died."""
    now = utcnow()
    cancelled = False
    with ctx.store.write() as s:
        up = s.get(Upload, upload_id, with_for_update=True)
        if up is None or up.state not in (UploadState.VERIFYING, UploadState.UPLOADED):
            cancelled = up is None or up.state != UploadState.ACCEPTED
        else:
            if up.state == UploadState.UPLOADED:
                move_upload(s, up, UploadAction.START, now=now)
            move_upload(s, up, UploadAction.ACCEPT, now=now, submission_id=submission_id,
                        figures=figures.as_json() if figures is not None else up.figures)
            record_after_acceptance(s, submission_id, now)
    with contextlib.suppress(Exception):
        ctx.objects.delete(key)
    if cancelled:
        _withdraw_quietly(ctx, submission_id)
        return {"state": "cancelled", "withdrawn": submission_id}
    enqueue_after_acceptance(ctx, submission_id)
    out: dict[str, Any] = {"state": "accepted", "submission_id": submission_id}
    if recovered:
        out["recovered"] = True
    return out


def _withdraw_quietly(ctx: WorkerContext, submission_id: int) -> None:
    """Withdraw a submission ingested for an upload cancelled meanwhile, on its author's
    behalf (the account may be deleted already): its bytes go, a tombstone stays."""
    from annotator.workflow import states as sm

    with ctx.store.write() as s:
        sub = s.get(m.Submission, submission_id, with_for_update=True)
        if sub is None or sub.state == State.WITHDRAWN.value:
            return
        user = s.get(m.User, sub.contributor_id)
        if user is None:  # the row a submission's contributor key points to
            raise AnnotatorError(f"The contributor of submission #{submission_id} is not "
                                 "in the store.")
        view = sm.ActorView(user.id, Role(user.role), user.pseudonym)
        ctx.svc._withdraw_lineage(s, view, sub.lineage,
                                  cause="account_deleted" if user.deleted_at else "withdrawn")


# -- unpacking ----------------------------------------------------------------------------------
def unpack(archive: Path, folder: Path, *, max_bytes: int) -> None:
    """Unpack a package archive: regular files and folders only, paths checked like package
    paths, the number of entries and every size capped (PEP 706's ``data`` filter guards
    the rest)."""
    folder.mkdir(mode=0o700)
    try:
        tf = tarfile.open(archive, "r:")  # noqa: SIM115 - closed below
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise PackageError(f"The upload is not a package archive (tar): {exc}.",
                           "Upload the package again from the app.") from None
    with tf:
        total = 0
        members = []
        try:
            for i, mem in enumerate(tf):
                if i >= MAX_MEMBERS:
                    raise PackageError(f"The archive holds more than {MAX_MEMBERS} entries.")
                name = mem.name.rstrip("/")
                if mem.isdir():
                    check_relpath(name + "/x", where="package archive")
                    members.append(mem)
                    continue
                if not mem.isreg() or mem.issparse():
                    raise PackagePathError(f"package archive: {name!r} is not a regular file "
                                           "(a link, a device or a sparse file).",
                                           "A package holds plain files only.")
                if name not in ("package.json", "consent.json"):
                    check_relpath(name, where="package archive")
                total += mem.size
                if mem.size > MAX_MEMBER_BYTES or total > max_bytes:
                    raise PackageError(f"The package unpacks to more than {max_bytes} bytes.",
                                       "Packages have a size limit on this server.")
                members.append(mem)
        except (tarfile.TarError, EOFError) as exc:
            raise PackageError(f"The package archive is damaged: {exc}.",
                               "Upload the package again from the app.") from None
        try:
            tf.extractall(folder, members=members, filter="data")
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise PackagePathError(f"The package archive cannot be unpacked safely: {exc}.",
                                   "Upload the package again from the app.") from None


# -- re-verification of what was accepted before --------------------------------------------
@dataclass(frozen=True)
class StoredFiles:
    """A stored submission's files copied out to be measured again (``measure_package``
    reads nothing else): no manifest, no consent."""

    folder: Path
    files: tuple[FileEntry, ...]
    summary: dict[str, Any]


def reverify_submission(ctx: WorkerContext, submission_id: str) -> dict[str, Any]:
    """Measure an accepted submission's files (from ``accepted/``) and record the figures;
    what disagrees with its claims is recorded as a problem, not refused (it was accepted,
    maybe paid: admins see the list)."""
    sid = int(submission_id)
    with ctx.store.read() as s:
        sub = s.get(m.Submission, sid)
        if sub is None or sub.state == State.WITHDRAWN.value:
            return {"skipped": "withdrawn or gone"}
        if sub.verified_at is not None:
            return {"skipped": "verified already"}
        files = s.execute(sa.select(m.SubmissionBlob).where(
            m.SubmissionBlob.submission_id == sid)).scalars().all()
        summary = dict(sub.summary or {})
        claimed = (sub.duration_us, sub.step_count)
    work = Path(tempfile.mkdtemp(prefix="annotator-reverify-", dir=ctx.cfg.work_dir or None))
    figures: Figures | None = None
    problem = None
    try:
        for f in files:
            path = work / check_relpath(f.path, where=f"submission #{sid}")
            path.parent.mkdir(parents=True, exist_ok=True)
            with ctx.svc.blobs.open(f.sha256) as src, open(path, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        summary.setdefault("duration_us", claimed[0])
        summary.setdefault("steps", claimed[1])
        pkg = StoredFiles(work, tuple(FileEntry(f.path, f.role, f.sha256, f.size)
                                      for f in files), summary)
        figures, problems = measure_package(pkg, idle_cap_us=int(ctx.cfg.pay_idle_cap_s * 1e6))
        problem = "; ".join(problems) or None
    except StoreUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - recorded (nothing measured: nothing paid)
        problem = _reason(refusal(exc, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with ctx.store.write() as s:
        sub = s.get(m.Submission, sid, with_for_update=True)
        if sub is not None and sub.state != State.WITHDRAWN.value:
            record_figures(s, sub, figures, utcnow(), problem=problem)
    return {"submission_id": sid, "figures": figures.as_json() if figures else None,
            "problem": problem}
