"""Reads: a submission with its files, comments and history; the queue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from annotator.store import models as m
from annotator.workflow import states as sm
from annotator.workflow.contract import (
    Actor,
    FileInfo,
    QueueFilter,
    QueueItem,
    SubmissionDetail,
    SubmissionId,
    SubmissionInfo,
    TransitionInfo,
)
from annotator.workflow.errors import InvalidInput, NotFound, PermissionDenied
from annotator.workflow.ops.core import ServiceCore
from annotator.workflow.ops.statements import (
    _INFO,
    _NO_FILTER,
    _QUEUE,
    _QUEUE_PAGE_P,
    _S,
    _STATES,
    MAX_PAGE,
    QUEUE_ORDERS,
)
from annotator.workflow.states import Role, State


class QueryOps(ServiceCore):
    """Reading submissions and the queue."""

    def get_submission(self, *, actor: Actor, submission_id: int) -> SubmissionDetail:
        with self.store.read() as s:
            view = self._view(s, actor)
            sub = s.get(m.Submission, submission_id)
            if sub is None or not sm.may_see(view.role, state=sub.state,
                                             is_author=sub.contributor_id == view.user_id) \
                    or self._hidden_as_blind(s, view, submission_id):
                raise NotFound(f"There is no submission #{submission_id} that you can see.",
                               "List yours with `annotator submissions`.")
            info = self._info(s, sub.id)
            versions = s.execute(sa.select(m.Submission.id, m.Submission.version)
                                 .where(m.Submission.lineage == sub.lineage,
                                        m.Submission.version <= sub.version)
                                 .order_by(m.Submission.version)).all()
            ids = [v.id for v in versions]
            version_of = {v.id: v.version for v in versions}
            files = tuple(FileInfo(f.path, f.role, f.sha256, f.size) for f in s.execute(
                sa.select(m.SubmissionBlob).where(m.SubmissionBlob.submission_id == sub.id)
                .order_by(m.SubmissionBlob.path)).scalars())
            author = aliased(m.User)
            comments = tuple(
                self._comment_info(c, version_of[c.submission_id], label)
                for c, label in s.execute(
                    sa.select(m.Comment, author.pseudonym)
                    .join(author, author.id == m.Comment.author_id)
                    .where(m.Comment.submission_id.in_(ids))
                    .order_by(m.Comment.submission_id,
                              sa.case((m.Comment.step_index.is_not(None), 0),
                                      (m.Comment.t_start_us.is_not(None), 1), else_=2),
                              sa.func.coalesce(m.Comment.step_index, -1),
                              sa.func.coalesce(m.Comment.t_start_us, -1), m.Comment.id))
            )
            actor_u = aliased(m.User)
            history = tuple(
                TransitionInfo(SubmissionId(tr.submission_id), tr.at, tr.action, tr.from_state, tr.to_state,
                               label, tr.reason)
                for tr, label in s.execute(
                    sa.select(m.Transition, actor_u.pseudonym)
                    .outerjoin(actor_u, actor_u.id == m.Transition.actor_id)
                    .where(m.Transition.submission_id.in_(ids))
                    .order_by(m.Transition.id))
            )
            c = s.get(m.ConsentRecord, sub.consent_id)
            assert c is not None
            return SubmissionDetail(info, files, comments, history, self._consent_info(c),
                                    tuple(ids))

    def open_file(self, *, actor: Actor, submission_id: int, path: str) -> BinaryIO:
        """Read one file of a submission's package (for playback and review)."""
        with self.store.read() as s:
            view = self._view(s, actor)
            sub = s.get(m.Submission, submission_id)
            if sub is None or not sm.may_see(view.role, state=sub.state,
                                             is_author=sub.contributor_id == view.user_id) \
                    or self._hidden_as_blind(s, view, submission_id):
                raise NotFound(f"There is no submission #{submission_id} that you can see.")
            if sub.state == State.WITHDRAWN.value:
                raise NotFound(f"Submission #{submission_id} was withdrawn: its content is gone.")
            sha = s.execute(sa.select(m.SubmissionBlob.sha256).where(
                m.SubmissionBlob.submission_id == submission_id,
                m.SubmissionBlob.path == path)).scalar()
            if sha is None:
                raise NotFound(f"Submission #{submission_id} has no file {path!r}.")
        return self.blobs.open(sha)

    def my_submissions(self, *, actor: Actor, include_withdrawn: bool = True
                       ) -> list[SubmissionInfo]:
        with self.store.read() as s:
            view = self._view(s, actor)
            q = _INFO.where(_S.c.contributor_id == view.user_id)
            if not include_withdrawn:
                q = q.where(_S.c.state != State.WITHDRAWN.value)
            return [self._row_info(r) for r in s.connection().execute(q.order_by(_S.c.id))]

    def list_queue(self, *, actor: Actor, filters: QueueFilter | None = None, limit: int = 50,
                   offset: int = 0) -> list[QueueItem]:
        """One page of the review queue, oldest first (reviewers and admins)."""
        f = filters or QueueFilter()
        if not 1 <= limit <= MAX_PAGE or offset < 0:
            raise InvalidInput(f"A page holds 1 to {MAX_PAGE} items from offset 0 on.")
        with self.store.connect(write=False) as conn:
            view = self._view(conn, actor)
            if view.role not in sm.REVIEWERS:
                raise PermissionDenied(
                    f"Only reviewers and admins see the review queue; you ({view.label}) are a "
                    f"{view.role}.", "See your own submissions with `annotator submissions`.")
            params = {"me": view.user_id, "lim": limit, "off": offset}
            rows: Sequence[Any]
            if f == _NO_FILTER:  # the default page: a prepared statement
                rows = _QUEUE_PAGE_P.all(conn, params)
            else:
                if f.order not in QUEUE_ORDERS:
                    raise InvalidInput(f"The queue has no order {f.order!r}.",
                                       f"Orders: {', '.join(QUEUE_ORDERS)}.")
                q = self._filtered(_QUEUE, f, view).order_by(*QUEUE_ORDERS[f.order])
                q = q.limit(sa.bindparam("lim")).offset(sa.bindparam("off"))
                rows = conn.execute(q, params).all()
        st, make = _STATES, QueueItem._make
        return [make((*r[:6], st[r[6]], *r[7:])) for r in rows]

    def queue_counts(self, *, actor: Actor) -> dict[str, int]:
        """How many submissions are in each state (withdrawn included), for dashboards."""
        with self.store.read() as s:
            self._require(s, actor, Role.REVIEWER, Role.ADMIN, doing="see the queue's counts")
            rows = s.execute(sa.select(m.Submission.state, sa.func.count())
                             .group_by(m.Submission.state)).all()
        counts = {st.value: 0 for st in State}
        counts.update({st: n for st, n in rows})
        return counts

    def history(self, *, actor: Actor, submission_id: int) -> list[TransitionInfo]:
        return list(self.get_submission(actor=actor, submission_id=submission_id).history)
