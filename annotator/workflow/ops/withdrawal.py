"""Withdrawal: a demonstration (every version) or everything of a contributor, at once."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from annotator.store import models as m
from annotator.store.refs import release_refs
from annotator.workflow import states as sm
from annotator.workflow.contract import Actor, SubmissionId, WithdrawResult
from annotator.workflow.ops.core import ServiceCore
from annotator.workflow.states import Action, Role, State


class WithdrawalOps(ServiceCore):
    """Withdrawing submissions and deleting accounts."""

    def withdraw(self, *, actor: Actor, submission_id: int) -> WithdrawResult:
        """Withdraw a demonstration: every version of it.  Deletes the blobs only it used,
        marks the consent withdrawn, deletes the review comments, clears the content columns
        and keeps a tombstone (ids, hashes, time)."""
        with self.store.write() as s:
            view = self._view(s, actor)
            sub = self._lock(s, submission_id, view)
            sm_subject = self._subject(s, sub)
            if sub.state == State.WITHDRAWN.value:
                sm.check(Action.WITHDRAW, actor=view, subject=sm_subject, now=self.now())
            return self._withdraw_lineage(s, view, sub.lineage, cause="withdrawn")

    def _withdraw_lineage(self, s: Session, view: sm.ActorView, lineage: str, *,
                          cause: str) -> WithdrawResult:
        now = self.now()
        subs = s.execute(sa.select(m.Submission).where(m.Submission.lineage == lineage)
                         .order_by(m.Submission.id).with_for_update()).scalars().all()
        done: list[SubmissionId] = []
        skipped: list[SubmissionId] = []
        deleted = 0
        for sub in subs:
            if sub.state == State.WITHDRAWN.value:
                skipped.append(SubmissionId(sub.id))
                continue
            subject = self._subject(s, sub)
            rule = sm.check(Action.WITHDRAW, actor=view, subject=subject, now=now)
            released = release_refs(s, self.blobs, submission_id=sub.id)
            deleted += len(released.deleted)
            consent = s.get(m.ConsentRecord, sub.consent_id, with_for_update=True)
            assert consent is not None
            consent.status = "withdrawn"
            consent.withdrawn_at = now
            s.add(m.Tombstone(
                submission_id=sub.id, lineage=sub.lineage, version=sub.version,
                contributor_pseudonym=view.label, consent_record_id=consent.record_id,
                manifest_sha256=sub.manifest_sha256, blob_sha256s=list(released.hashes),
                blobs_deleted=len(released.deleted), state_before=sub.state, cause=cause,
                withdrawn_at=now,
            ))
            s.execute(sa.delete(m.Comment).where(m.Comment.submission_id == sub.id))
            # The signals quote the steps (instructions, typed text): gone with them.
            s.execute(sa.delete(m.SignalKind).where(m.SignalKind.submission_id == sub.id))
            s.execute(sa.delete(m.SignalSet).where(m.SignalSet.submission_id == sub.id))
            s.execute(sa.delete(m.GoldItem).where(m.GoldItem.submission_id == sub.id))
            s.execute(sa.delete(m.BlindReview).where(m.BlindReview.submission_id == sub.id))
            self._apply(s, sub, rule, view.user_id, now,
                        "account deleted" if cause == "account_deleted" else None)
            sub.withdrawn_at = now
            sub.goal = None
            sub.summary = None
            sub.claimed_by_id = None
            sub.lock_expires_at = None
            done.append(SubmissionId(sub.id))
        return WithdrawResult(tuple(done), deleted, tuple(skipped))

    def withdraw_everything(self, *, actor: Actor, delete_account: bool = False
                            ) -> WithdrawResult:
        """Withdraw every demonstration of the actor; with ``delete_account``, also delete the
        payee details, the sign-in name and the passphrase (the pseudonym stays in the audit
        log, the consent records and the tombstones)."""
        with self.store.write() as s:
            user = self._user(s, actor, lock=True)
            view = sm.ActorView(user.id, Role(user.role), user.pseudonym)
            if delete_account and user.role == Role.ADMIN.value:
                self._keep_an_admin(s, but=user.id)
            lineages = s.execute(
                sa.select(m.Submission.lineage).where(
                    m.Submission.contributor_id == user.id,
                    m.Submission.state != State.WITHDRAWN.value)
                .group_by(m.Submission.lineage).order_by(sa.func.min(m.Submission.id))
            ).scalars().all()
            ids: list[SubmissionId] = []
            deleted = 0
            cause = "account_deleted" if delete_account else "withdrawn"
            for lineage in lineages:
                r = self._withdraw_lineage(s, view, lineage, cause=cause)
                ids.extend(r.submission_ids)
                deleted += r.blobs_deleted
            if delete_account:
                s.execute(sa.delete(m.Payee).where(m.Payee.user_id == user.id))
                now = self.now()
                user.name = None
                user.passphrase_hash = None
                user.disabled_at = user.disabled_at or now
                user.deleted_at = now
                self._return_claims(s, user, now, by=user.id,
                                    reason="reviewer's account deleted")
            return WithdrawResult(tuple(ids), deleted, (), delete_account)
