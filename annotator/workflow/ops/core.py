"""The base of ``Services``: the store, the clock and the checks every operation shares."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from annotator.store import models as m
from annotator.store.db import Store
from annotator.workflow import states as sm
from annotator.workflow.auth import Passphrases
from annotator.workflow.contract import (
    Actor,
    CommentId,
    CommentInfo,
    ConsentInfo,
    QueueFilter,
    SubmissionId,
    SubmissionInfo,
    UserId,
    UserInfo,
)
from annotator.workflow.errors import AuthenticationFailed, Conflict, NotFound, PermissionDenied
from annotator.workflow.ops.statements import (
    _ACTOR_P,
    _INFO,
    _INFO_BY_ID_P,
    _PSEUDONYM_P,
    _S,
    _TK,
    _U,
    _c,
)
from annotator.workflow.states import Action, Role, State

DEFAULT_LOCK_TTL = dt.timedelta(minutes=30)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)



class ServiceCore:
    """What every concern shares: the store, the clock, the actor checks, the transition log
    and the reads of a submission."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        passphrases: Passphrases | None = None,
        lock_ttl: dt.timedelta = DEFAULT_LOCK_TTL,
    ) -> None:
        self.store = store
        self.blobs = store.blobs
        self.clock = clock
        self.passphrases = passphrases or Passphrases()
        self.lock_ttl = lock_ttl

    def now(self) -> dt.datetime:
        t = self.clock()
        if t.tzinfo is None:
            raise ValueError("the services' clock must return timezone-aware times")
        return t.astimezone(dt.UTC)

    # ---- actors -------------------------------------------------------------------------------
    def _user(self, s: Session, actor: Actor, *, lock: bool = False) -> m.User:
        q = sa.select(m.User).where(m.User.id == actor.user_id)
        if lock:
            q = q.with_for_update()
        user = s.execute(q).scalar_one_or_none()
        if user is None or user.disabled_at is not None or user.deleted_at is not None:
            raise AuthenticationFailed(
                f"The account {actor.pseudonym} is disabled or was deleted.",
                "Sign in again; an admin can re-enable the account.",
            )
        return user

    def _view(self, s: Session | sa.Connection, actor: Actor) -> sm.ActorView:
        r = _ACTOR_P.first(_c(s), {"uid": actor.user_id})
        if r is None or r[3] is not None or r[4] is not None:
            raise AuthenticationFailed(
                f"The account {actor.pseudonym} is disabled or was deleted.",
                "Sign in again; an admin can re-enable the account.",
            )
        return sm.ActorView(r[0], Role(r[1]), r[2])

    def _require(self, s: Session, actor: Actor, *roles: Role, doing: str) -> m.User:
        user = self._user(s, actor)
        if Role(user.role) not in roles:
            who = " and ".join(sorted(f"{r}s" for r in roles))
            raise PermissionDenied(
                f"Only {who} can {doing}; you ({user.pseudonym}) are a {user.role}.",
                "Sign in as a user with that role (--user NAME), or ask an admin for it.",
            )
        return user

    @staticmethod
    def _actor(user: m.User) -> Actor:
        return Actor(UserId(user.id), user.pseudonym, user.name or "", Role(user.role),
                     bool(user.must_change_passphrase))

    @staticmethod
    def _user_info(u: m.User) -> UserInfo:
        return UserInfo(u.pseudonym, u.name, u.role, u.created_at, u.disabled_at, u.deleted_at,
                        bool(u.must_change_passphrase))

    def _return_claims(self, s: Session, user: m.User, now: dt.datetime, *, by: int,
                       reason: str) -> None:
        """The submissions ``user`` holds as a reviewer go back to the queue."""
        for sub in s.execute(sa.select(m.Submission).where(
                m.Submission.claimed_by_id == user.id).with_for_update()).scalars():
            self._log(s, sub.id, Action.RELEASE.value, State(sub.state), State.SUBMITTED,
                      by, now, reason)
            sub.state = State.SUBMITTED.value
            sub.claimed_by_id = None
            sub.lock_expires_at = None
            sub.updated_at = now

    def _keep_an_admin(self, s: Session, *, but: int) -> None:
        others = s.execute(
            sa.select(sa.func.count()).select_from(m.User).where(
                m.User.role == Role.ADMIN.value, m.User.id != but,
                m.User.disabled_at.is_(None), m.User.deleted_at.is_(None))
        ).scalar_one()
        if not others:
            raise Conflict("This is the last active admin account.",
                           "Invite another admin first.")

    # ---- submissions and transitions -----------------------------------------------------------
    def _lock(self, s: Session, submission_id: int, view: sm.ActorView,
              action: Action | None = None, *, verb: str | None = None) -> m.Submission:
        """The submission, locked for the transaction, once the actor's role may do ``action``
        (``verb``: what the refusal calls it, when that is not the action's own name)."""
        if action is not None:
            sm.check_role(action, view, verb=verb)  # a contributor reviewing learns just that
        sub = s.execute(sa.select(m.Submission).where(m.Submission.id == submission_id)
                        .with_for_update()).scalar_one_or_none()
        if sub is None or not sm.may_see(view.role, is_author=sub.contributor_id == view.user_id,
                                         state=sub.state):
            # Nobody learns whether a submission they may not see exists.
            raise NotFound(f"There is no submission #{submission_id} that you can see.",
                           "List yours with `annotator submissions`.")
        return sub

    def _subject(self, s: Session, sub: m.Submission) -> sm.SubjectView:
        return self._subject_of(s, sub)

    def _subject_of(self, s: Session | sa.Connection, row: Any) -> sm.SubjectView:
        """What the state machine needs to know about a submission (row or ORM object)."""
        label = None
        if row.claimed_by_id is not None:
            found = _PSEUDONYM_P.first(_c(s), {"uid": row.claimed_by_id})
            label = found[0] if found else None
        return sm.SubjectView(row.id, State(row.state), row.contributor_id, row.claimed_by_id,
                              label, row.lock_expires_at)

    @staticmethod
    def _log(s: Session, submission_id: int, action: str, from_state: State | None,
             to_state: State, actor_id: int | None, now: dt.datetime, reason: str | None) -> None:
        s.add(m.Transition(submission_id=submission_id, action=action,
                           from_state=from_state.value if from_state else None,
                           to_state=to_state.value, actor_id=actor_id, at=now, reason=reason))

    def _apply(self, s: Session, sub: m.Submission, rule: sm.Rule, actor_id: int,
               now: dt.datetime, reason: str | None) -> None:
        self._log(s, sub.id, rule.action.value, State(sub.state), rule.target, actor_id, now,
                  reason)
        sub.state = rule.target.value
        sub.updated_at = now

    def _info_select(self) -> sa.Select[*tuple[Any, ...]]:
        return _INFO

    @staticmethod
    def _row_info(r: Any) -> SubmissionInfo:
        values = list(r)
        values[7] = State(values[7])
        return SubmissionInfo(*values)

    def _info(self, s: Session | sa.Connection, submission_id: int) -> SubmissionInfo:
        r = _INFO_BY_ID_P.first(_c(s), {"sid": submission_id})
        if r is None:
            raise NotFound(f"There is no submission #{submission_id}.")
        return self._row_info(r)

    @staticmethod
    def _consent_info(c: m.ConsentRecord) -> ConsentInfo:
        return ConsentInfo(c.record_id, c.contributor_pseudonym, c.terms_version,
                           c.terms_sha256, tuple(c.purposes), tuple(c.permitted_uses),
                           tuple(c.data_categories), c.given_at, c.method, c.manifest_sha256,
                           c.record_sha256, c.status, c.withdrawn_at)

    @staticmethod
    def _comment_info(c: m.Comment, version: int, author: str) -> CommentInfo:
        return CommentInfo(CommentId(c.id), SubmissionId(c.submission_id), version, author,
                           c.body, c.step_index, c.step_id, c.t_start_us, c.t_end_us,
                           c.created_at, c.signal_key)

    def _blind_subjects(self, view: sm.ActorView) -> sa.Select[int] | None:
        """The submissions of the reviewer's undecided blind reviews, with every version of
        their lineage (a version's history shows the others' decisions): hidden from them
        until they decided, or a search by goal would show the original and its decision.
        Admins are told which submission a blind review is anyway."""
        if view.role is Role.ADMIN:
            return None
        B, S = m.BlindReview, m.Submission
        lineages = sa.select(S.lineage).join(B, B.submission_id == S.id).where(
            B.reviewer_id == view.user_id, B.decision.is_(None))
        return sa.select(S.id).where(S.lineage.in_(lineages))

    def _hidden_as_blind(self, s: Session | sa.Connection, view: sm.ActorView,
                         submission_id: int) -> bool:
        q = self._blind_subjects(view)
        return q is not None and s.execute(
            q.where(m.Submission.id == submission_id).limit(1)).first() is not None

    def _filtered(self, q: sa.Select[*tuple[Any, ...]], f: QueueFilter,
                  view: sm.ActorView, *, skip_states: bool = False
                  ) -> sa.Select[*tuple[Any, ...]]:
        t = _S.c
        blind = self._blind_subjects(view)
        if blind is not None:
            q = q.where(t.id.not_in(blind))
        if not skip_states:
            # Only what was submitted (never a draft) and is not withdrawn is in the queue.
            states = [State(x).value for x in f.states
                      if State(x) not in (State.WITHDRAWN, State.DRAFT)]
            if not states:
                states = [x.value for x in sm.QUEUE_STATES]
            q = q.where(t.state.in_(states) if len(states) > 1 else t.state == states[0])
            if f.claimable:
                q = q.where(sa.or_(t.state == State.SUBMITTED.value,
                                   sa.and_(t.state == State.IN_REVIEW.value,
                                           t.lock_expires_at <= self.now())))
        if not f.include_own:
            q = q.where(t.contributor_id != view.user_id)
        if f.task_id is not None:
            q = q.where(t.task_id == f.task_id)
        if f.contributor:
            q = q.where(t.contributor_id == sa.select(_U.c.id).where(
                _U.c.pseudonym == f.contributor).scalar_subquery())
        if f.claimed_by:
            if f.claimed_by == "me":
                q = q.where(t.claimed_by_id == view.user_id)
            else:
                q = q.where(t.claimed_by_id == sa.select(_U.c.id).where(
                    _U.c.pseudonym == f.claimed_by).scalar_subquery())
        if f.application:
            q = q.where(t.task_id.in_(sa.select(_TK.c.id).where(
                sa.cast(_TK.c.applications, sa.Text).contains(json.dumps(f.application),
                                                              autoescape=True))))
        if f.text:
            q = q.where(sa.func.lower(t.goal).contains(f.text.lower(), autoescape=True))
        if f.submitted_after:
            q = q.where(t.submitted_at >= f.submitted_after)
        if f.submitted_before:
            q = q.where(t.submitted_at < f.submitted_before)
        if f.signal:
            kinds = cast(sa.Table, m.SignalKind.__table__)
            q = q.where(sa.exists().where(kinds.c.submission_id == t.id,
                                          kinds.c.kind == f.signal))
        return q
