"""Review: claims, comments and decisions, through the state machine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from annotator.store import models as m
from annotator.store.db import relaxed_commit
from annotator.workflow import states as sm
from annotator.workflow.contract import Actor, CommentIn, CommentInfo, QueueFilter, SubmissionInfo
from annotator.workflow.errors import InvalidInput, NotFound
from annotator.workflow.ops.core import ServiceCore
from annotator.workflow.ops.statements import (
    _LOG,
    _NEXT_EXPIRED,
    _NEXT_WAITING,
    _NO_FILTER,
    _ROW,
    _ROW_BY_ID,
    _S,
    _SET_CLAIM,
    _c,
    _Row,
)
from annotator.workflow.states import Action, State


class ReviewOps(ServiceCore):
    """Claims and decisions."""

    def claim(self, *, actor: Actor, submission_id: int) -> SubmissionInfo:
        """Take a submission for review (or renew your own claim): locked until the claim
        expires."""
        with self.store.connect(write=True) as s:
            relaxed_commit(s)  # a claim is soft state: it expires anyway
            view = self._view(s, actor)
            sm.check_role(Action.CLAIM, view)
            found = _ROW_BY_ID[s.dialect.name == "postgresql"].first(s, {"sid": submission_id})
            row = _Row(*found) if found is not None else None
            if row is None or not sm.may_see(view.role, state=row.state,
                                             is_author=row.contributor_id == view.user_id):
                raise NotFound(f"There is no submission #{submission_id}.",
                               "List the queue with `annotator review list`.")
            self._claim(s, row, view)
            return self._info(s, submission_id)

    def _claim(self, s: Session | sa.Connection, row: Any, view: sm.ActorView) -> None:
        now = self.now()
        subject = self._subject_of(s, row)
        rule = sm.check(Action.CLAIM, actor=view, subject=subject, now=now)
        reason = None
        if subject.state is State.IN_REVIEW:
            reason = ("claim renewed" if subject.claimed_by_id == view.user_id else
                      f"claim of {subject.claimed_by_label} expired at "
                      f"{subject.lock_expires_at:%Y-%m-%d %H:%M:%S} UTC")
        conn = _c(s)
        _LOG.run(conn, {
            "submission_id": row.id, "action": rule.action.value,
            "from_state": subject.state.value, "to_state": rule.target.value,
            "actor_id": view.user_id, "at": now, "reason": reason})
        _SET_CLAIM.run(conn, {"sid": row.id, "state": rule.target.value,
                                  "claimer": view.user_id, "until": now + self.lock_ttl,
                                  "now": now})

    def claim_next(self, *, actor: Actor, filters: QueueFilter | None = None
                   ) -> SubmissionInfo | None:
        """Claim the oldest waiting submission (or one whose claim expired) that the actor may
        review; None if there is none.  Concurrent reviewers never get the same one
        (PostgreSQL: ``FOR UPDATE SKIP LOCKED``; SQLite: a single writer)."""
        f = filters or QueueFilter()
        with self.store.connect(write=True) as conn:
            relaxed_commit(conn)  # a claim is soft state: it expires anyway
            view = self._view(conn, actor)
            sm.check_role(Action.CLAIM, view)
            now = self.now()
            pg = conn.dialect.name == "postgresql"
            for waiting in (True, False):
                if f == _NO_FILTER:
                    found = (_NEXT_WAITING[pg] if waiting else _NEXT_EXPIRED[pg]).first(
                        conn, {"me": view.user_id, "now": now})
                else:
                    q = _ROW.where(_S.c.state == State.SUBMITTED.value if waiting else sa.and_(
                        _S.c.state == State.IN_REVIEW.value, _S.c.lock_expires_at <= now))
                    q = self._filtered(q, f, view, skip_states=True)
                    q = q.order_by(_S.c.submitted_at, _S.c.id).limit(1)
                    if pg:
                        q = q.with_for_update(skip_locked=True, of=_S)
                    found = conn.execute(q).first()
                row = _Row(*found) if found is not None else None
                if row is not None:
                    self._claim(conn, row, view)
                    return self._info(conn, row.id)
            return None

    def release(self, *, actor: Actor, submission_id: int) -> SubmissionInfo:
        """Give a claimed submission back to the queue."""
        with self.store.write() as s:
            relaxed_commit(s)  # losing a release in a crash only leaves the claim to expire
            view = self._view(s, actor)
            sub = self._lock(s, submission_id, view, Action.RELEASE)
            now = self.now()
            subject = self._subject(s, sub)
            rule = sm.check(Action.RELEASE, actor=view, subject=subject, now=now)
            reason = None if subject.claimed_by_id == view.user_id else \
                f"claim of {subject.claimed_by_label} released by an admin"
            self._apply(s, sub, rule, view.user_id, now, reason)
            sub.claimed_by_id = None
            sub.lock_expires_at = None
            return self._info(s, sub.id)

    def approve(self, *, actor: Actor, submission_id: int, quality: int,
                note: str | None = None) -> SubmissionInfo:
        with self.store.write() as s:
            view = self._view(s, actor)
            sub = self._lock(s, submission_id, view, Action.APPROVE)
            now = self.now()
            rule = sm.check(Action.APPROVE, actor=view, subject=self._subject(s, sub), now=now,
                            quality=quality)
            self._decide(s, sub, rule, view, now, note or None)
            sub.quality = quality
            return self._info(s, sub.id)

    def request_changes(self, *, actor: Actor, submission_id: int,
                        comments: Sequence[CommentIn], reason: str | None = None
                        ) -> SubmissionInfo:
        """Send a submission back to its author, with comments pinned to steps or time
        ranges."""
        with self.store.write() as s:
            view = self._view(s, actor)
            sub = self._lock(s, submission_id, view, Action.REQUEST_CHANGES)
            now = self.now()
            rule = sm.check(Action.REQUEST_CHANGES, actor=view, subject=self._subject(s, sub),
                            now=now, comments=len(comments))
            for c in comments:
                self._add_comment(s, sub, view, c, now)
            self._decide(s, sub, rule, view, now,
                         reason or f"{len(comments)} comment(s)")
            return self._info(s, sub.id)

    def reject(self, *, actor: Actor, submission_id: int, reason: str) -> SubmissionInfo:
        with self.store.write() as s:
            view = self._view(s, actor)
            sub = self._lock(s, submission_id, view, Action.REJECT)
            now = self.now()
            rule = sm.check(Action.REJECT, actor=view, subject=self._subject(s, sub), now=now,
                            reason=reason)
            self._decide(s, sub, rule, view, now, reason.strip())
            return self._info(s, sub.id)

    def add_comment(self, *, actor: Actor, submission_id: int, comment: CommentIn) -> CommentInfo:
        """A comment by the reviewer holding the claim, before deciding."""
        with self.store.write() as s:
            view = self._view(s, actor)
            # Commenting needs what approving needs (the claim), but is not approving.
            sub = self._lock(s, submission_id, view, Action.APPROVE, verb="comment on")
            now = self.now()
            sm.check_comment(actor=view, subject=self._subject(s, sub), now=now)
            c = self._add_comment(s, sub, view, comment, now)
            s.flush()
            return self._comment_info(c, sub.version, view.label)

    def _add_comment(self, s: Session, sub: m.Submission, view: sm.ActorView, c: CommentIn,
                     now: dt.datetime) -> m.Comment:
        body = (c.body or "").strip()
        if not body:
            raise InvalidInput("A comment needs some text.")
        if c.step_index is not None and not (0 <= c.step_index < max(sub.step_count, 0)):
            raise InvalidInput(  # people count steps from 1; the stored index from 0
                f"Submission #{sub.id} has {sub.step_count} step(s) (step_index 0 to "
                f"{sub.step_count - 1}); there is no step {c.step_index + 1} (step_index "
                f"{c.step_index}).", "Pin the comment to an existing step.")
        if (c.t_start_us is None) != (c.t_end_us is None) and c.t_end_us is not None:
            raise InvalidInput("A time range needs a start.")
        if c.t_start_us is not None:
            end = c.t_end_us if c.t_end_us is not None else c.t_start_us
            if c.t_start_us < 0 or end < c.t_start_us or end > sub.duration_us:
                raise InvalidInput(
                    f"The time range {c.t_start_us / 1e6:.3f}-{end / 1e6:.3f} s is outside "
                    f"submission #{sub.id} (0-{sub.duration_us / 1e6:.3f} s) or reversed.",
                    "Give START-END in seconds within the rendered video.")
        comment = m.Comment(submission_id=sub.id, author_id=view.user_id, body=body,
                            step_index=c.step_index, step_id=c.step_id,
                            t_start_us=c.t_start_us,
                            t_end_us=c.t_end_us if c.t_end_us is not None else c.t_start_us,
                            created_at=now)
        s.add(comment)
        return comment

    def _decide(self, s: Session, sub: m.Submission, rule: sm.Rule, view: sm.ActorView,
                now: dt.datetime, reason: str | None) -> None:
        self._apply(s, sub, rule, view.user_id, now, reason)
        sub.reviewer_id = view.user_id
        sub.decided_at = now
        sub.decision_reason = reason
        sub.claimed_by_id = None
        sub.lock_expires_at = None
