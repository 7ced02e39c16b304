"""Ingest: a rendered, consented package becomes a submission (checked, staged, recorded)."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from annotator.store import models as m
from annotator.store.blobs import StagedBlob, sha256_file
from annotator.store.errors import BlobHashMismatch
from annotator.store.refs import add_refs
from annotator.workflow import states as sm
from annotator.workflow.contract import Actor, SubmissionInfo
from annotator.workflow.errors import (
    ConsentError,
    NotFound,
    PackageError,
    PackageHashMismatch,
    UnknownTerms,
)
from annotator.workflow.ops.core import ServiceCore
from annotator.workflow.package import Package, read_package
from annotator.workflow.states import Action, Role, State

STAGING_THREADS = 6


@dataclass
class _Staging:
    staged: dict[str, StagedBlob] = field(default_factory=dict)
    verified_existing: set[str] = field(default_factory=set)


class IngestOps(ServiceCore):
    """Packages in, drafts submitted."""

    def ingest_package(
        self,
        *,
        actor: Actor,
        folder: str | os.PathLike[str],
        submit: bool = True,
        previous_id: int | None = None,
        on_record: Callable[[Session, m.Submission], None] | None = None,
    ) -> SubmissionInfo:
        """Store a rendered, consented package: check it, copy every file into the blob store
        (verifying its SHA-256 on the way), record the consent and the submission (as a draft,
        then submitted unless ``submit=False``).  ``previous_id`` makes it the next version of
        a submission whose changes were requested.  Nothing is stored if anything is wrong.
        ``on_record`` (the team server's verification) runs inside the transaction that
        records the submission, before it commits: it may add to it (the measured figures,
        the upload's acceptance) or refuse it by raising."""
        pkg = read_package(folder)
        with self.store.read() as s:
            self._check_package(s, actor, pkg, previous_id)
        staging = self._stage(pkg)
        try:
            with self.store.write() as s:
                sub = self._record(s, actor, pkg, staging, submit=submit,
                                   previous_id=previous_id)
                s.flush()
                if on_record is not None:
                    on_record(s, sub)
                    s.flush()
                info = self._info(s, sub.id)
            if hasattr(self.blobs, "sync"):
                self.blobs.sync({f.sha256 for f in pkg.files})
            return info
        finally:
            for st in staging.staged.values():
                self.blobs.discard(st)

    def _check_package(self, s: Session, actor: Actor, pkg: Package,
                       previous_id: int | None) -> m.TermsVersion:
        user = self._user(s, actor)
        c = pkg.consent
        where = str(pkg.folder / "consent.json")
        if c.contributor != user.pseudonym:
            raise ConsentError(
                f"{where}: the consent was given by {c.contributor!r}, but you are signed in as "
                f"{user.pseudonym}.",
                "Only the contributor who consented can submit: sign in as them, or consent "
                "again as yourself.",
            )
        terms = s.execute(sa.select(m.TermsVersion).where(
            m.TermsVersion.version == c.terms_version)).scalar_one_or_none()
        if terms is None:
            raise UnknownTerms(
                f"{where}: the consent names terms version {c.terms_version!r}, which was never "
                "published here.",
                "Consent again to the current terms (annotator terms show).",
            )
        if terms.sha256 != c.terms_sha256:
            raise UnknownTerms(
                f"{where}: the terms text consented to (SHA-256 {c.terms_sha256[:12]}…) is not "
                f"the published version {c.terms_version} ({terms.sha256[:12]}…).",
                "Consent again to the terms as published (annotator terms show).",
            )
        if c.given_at > self.now() + dt.timedelta(minutes=10):
            raise ConsentError(f"{where}: the consent is dated in the future ({c.given_at}).",
                               "Check this computer's clock, then consent again.")
        dup = s.execute(sa.select(m.Submission.id).where(
            m.Submission.manifest_sha256 == pkg.manifest_sha256,
            m.Submission.contributor_id == user.id,
            m.Submission.state != State.WITHDRAWN.value)).scalar()
        if dup is not None:
            raise PackageError(f"This package was submitted already, as submission #{dup}.",
                               "There is nothing more to do; see `annotator submissions`.")
        if s.execute(sa.select(m.ConsentRecord.id).where(
                m.ConsentRecord.record_id == c.record_id)).first():
            raise ConsentError(
                f"{where}: consent record {c.record_id} was used for another submission already.",
                "Each submission needs its own consent: consent again in the app.",
            )
        if previous_id is not None:  # refused before any byte is copied (checked again, locked)
            view = sm.ActorView(user.id, Role(user.role), user.pseudonym)
            prev = s.get(m.Submission, previous_id)
            if prev is None or (view.role is Role.CONTRIBUTOR and prev.contributor_id != user.id):
                raise NotFound(f"There is no submission #{previous_id} that you can see.",
                               "List yours with `annotator submissions`.")
            sm.check(Action.RESUBMIT, actor=view, subject=self._subject(s, prev), now=self.now())
        if pkg.task_id is not None:
            task = s.get(m.Task, pkg.task_id)
            if task is None:
                raise PackageError(f"The package answers task #{pkg.task_id}, which does not "
                                   "exist here.", "Choose a published task, or none.")
            if task.closed_at is not None and previous_id is None:
                raise PackageError(f"Task #{pkg.task_id} was closed on {task.closed_at:%Y-%m-%d}.",
                                   "Choose an open task, or none.")
        return terms

    def _stage(self, pkg: Package) -> _Staging:
        """Copy every file into staging, checking its SHA-256 and size on the way; several
        files at a time (hashing and fsync release the GIL).  Bytes the store holds already
        (or that appear twice in the package) are only checked."""
        staging = _Staging()
        first: dict[str, Any] = {}
        for e in pkg.files:
            first.setdefault(e.sha256, e)
        to_stage = [e for sha, e in first.items() if not self.blobs.exists(sha)]
        staged_ids = {id(e) for e in to_stage}
        to_verify = [e for e in pkg.files if id(e) not in staged_ids]
        staging.verified_existing = {e.sha256 for e in to_verify} - {e.sha256 for e in to_stage}

        def stage(e: Any) -> None:
            staging.staged[e.sha256] = self._stage_one(pkg, e)

        def verify(e: Any) -> None:
            self._verify_only(pkg, e)

        # Largest first, so that one big video does not finish last.
        jobs = sorted([(e.size, stage, e) for e in to_stage]
                      + [(e.size, verify, e) for e in to_verify], key=lambda j: -j[0])
        try:
            with ThreadPoolExecutor(max_workers=STAGING_THREADS) as pool:
                futures = [pool.submit(fn, e) for _size, fn, e in jobs]
                failed = None
                for fut in futures:
                    try:
                        fut.result()
                    except BaseException as exc:  # noqa: BLE001 - re-raised below
                        failed = failed or exc
                        for other in futures:
                            other.cancel()
                if failed is not None:
                    raise failed
        except BaseException:
            for st in list(staging.staged.values()):
                self.blobs.discard(st)
            raise
        return staging

    def _stage_one(self, pkg: Package, e: Any) -> StagedBlob:
        try:
            with open(pkg.folder / e.path, "rb") as fh:
                return self.blobs.stage(fh, expected_sha256=e.sha256, expected_size=e.size)
        except BlobHashMismatch as exc:
            raise PackageHashMismatch(
                f"{pkg.folder}: {e.path} no longer matches the content manifest "
                f"({exc.message.split(': ', 1)[-1].rstrip('.')}).",
                "The file changed after the package was made and consented to: render it "
                "again and consent again.",
            ) from None
        except OSError as exc:
            raise PackageError(f"{pkg.folder}: cannot read {e.path}: {exc.strerror or exc}.") from None

    def _verify_only(self, pkg: Package, e: Any) -> None:
        try:
            sha, size = sha256_file(pkg.folder / e.path)
        except OSError as exc:
            raise PackageError(f"{pkg.folder}: cannot read {e.path}: {exc.strerror or exc}.") from None
        if sha != e.sha256 or size != e.size:
            raise PackageHashMismatch(
                f"{pkg.folder}: {e.path} no longer matches the content manifest (SHA-256 {sha} "
                f"instead of {e.sha256}).",
                "The file changed after the package was made and consented to: render it "
                "again and consent again.",
            )

    def _record(self, s: Session, actor: Actor, pkg: Package, staging: _Staging, *,
                submit: bool, previous_id: int | None) -> m.Submission:
        now = self.now()
        terms = self._check_package(s, actor, pkg, previous_id)
        view = self._view(s, actor)
        c = pkg.consent
        lineage, version, prev = str(uuid.uuid4()), 1, None
        if previous_id is not None:
            prev = self._lock(s, previous_id, view)
            subject = self._subject(s, prev)
            rule = sm.check(Action.RESUBMIT, actor=view, subject=subject, now=now)
            lineage, version = prev.lineage, prev.version + 1
        consent = m.ConsentRecord(
            record_id=c.record_id, contributor_id=view.user_id, contributor_pseudonym=view.label,
            terms_version_id=terms.id, terms_version=terms.version, terms_sha256=terms.sha256,
            purposes=list(c.purposes), permitted_uses=list(c.permitted_uses),
            data_categories=list(c.data_categories), given_at=c.given_at, method=c.method,
            manifest_sha256=c.manifest_sha256, record_sha256=c.record_sha256, status="given",
            received_at=now,
        )
        s.add(consent)
        s.flush()
        summary = dict(pkg.summary)
        summary["outcome"] = pkg.outcome
        sub = m.Submission(
            lineage=lineage, version=version, previous_id=previous_id,
            contributor_id=view.user_id, task_id=pkg.task_id, consent_id=consent.id,
            package_id=pkg.package_id, manifest_sha256=pkg.manifest_sha256,
            state=State.DRAFT.value, goal=pkg.goal, summary=summary,
            duration_us=pkg.duration_us, step_count=pkg.step_count,
            total_bytes=pkg.total_bytes, created_at=now, updated_at=now,
        )
        s.add(sub)
        s.flush()
        self._log(s, sub.id, "ingest", None, State.DRAFT, view.user_id, now,
                  f"package {pkg.package_id}, consent {c.record_id}")
        add_refs(s, submission_id=sub.id, now=now, files=pkg.files)
        # Bytes: promote what was staged; anything that was already stored must still be there
        # now that its row is locked (a concurrent withdrawal may have deleted it).
        for e in pkg.files:
            if e.sha256 in staging.staged:
                self.blobs.promote(staging.staged.pop(e.sha256))
            elif not self.blobs.exists(e.sha256):
                self.blobs.promote(self._stage_one(pkg, e))
        if prev is not None:
            self._apply(s, prev, rule, view.user_id, now, f"new version #{sub.id}")
        if submit or prev is not None:
            rule2 = sm.check(Action.SUBMIT, actor=view, subject=self._subject(s, sub), now=now)
            self._apply(s, sub, rule2, view.user_id, now,
                        f"resubmission of #{previous_id}" if prev is not None else None)
            sub.submitted_at = now
        return sub

    def submit(self, *, actor: Actor, submission_id: int) -> SubmissionInfo:
        """Send a draft to the review queue."""
        with self.store.write() as s:
            view = self._view(s, actor)
            sub = self._lock(s, submission_id, view, Action.SUBMIT)
            now = self.now()
            rule = sm.check(Action.SUBMIT, actor=view, subject=self._subject(s, sub), now=now)
            self._apply(s, sub, rule, view.user_id, now, None)
            sub.submitted_at = now
            return self._info(s, sub.id)
