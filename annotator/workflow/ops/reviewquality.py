"""Review quality: gold items, blind reviews (gold copies and second reviews) and the admins'
view of reviewers' accuracy and agreement.

A *blind review* never changes its submission's state, pay or history: it is a row of its own
(``blind_reviews``).  When a reviewer asks for the next blind review, the store answers, at
the rates admins set (``set_review_mix``), with a gold item this reviewer has not reviewed
(``gold``) or a submission someone else decided that has no second review yet (``second``),
or with nothing (then the reviewer takes the ordinary queue).  The reviewer is not told which
kind it is.  A second review that disagrees with the decision is listed for the admins, who
decide (the submission stays as it was until then).
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
from collections.abc import Sequence
from typing import Any, BinaryIO

import sqlalchemy as sa

from annotator.store import models as m
from annotator.workflow import states as sm
from annotator.workflow.contract import (
    Actor,
    BlindReviewInfo,
    BlindReviewPackage,
    FileInfo,
    ReviewerAgreement,
    SubmissionId,
    TaskId,
)
from annotator.workflow.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from annotator.workflow.ops.core import ServiceCore
from annotator.workflow.ops.signals import stored_records
from annotator.workflow.states import Action, Role, State

DECISIONS = ("approve", "request_changes", "reject")
DECISION_OF_STATE = {State.APPROVED.value: "approve",
                     State.CHANGES_REQUESTED.value: "request_changes",
                     State.REJECTED.value: "reject"}
DECISION_OF_ACTION = {Action.APPROVE.value: "approve",
                      Action.REQUEST_CHANGES.value: "request_changes",
                      Action.REJECT.value: "reject"}
DEFAULT_MIX = (0.05, 0.1)  # gold, second: until an admin sets the mix
MIN_PAIRS = 2


def cohen_kappa(pairs: Sequence[tuple[Any, Any]], categories: Sequence[Any], *,
                quadratic: bool = False) -> float | None:
    """Cohen's kappa of two raters over ``pairs`` (unweighted, or with quadratic weights on
    ordered ``categories``); None when undefined (too few pairs, or chance agreement 1)."""
    if len(pairs) < MIN_PAIRS:
        return None
    k = len(categories)
    idx = {c: i for i, c in enumerate(categories)}
    n = len(pairs)
    obs = [[0.0] * k for _ in range(k)]
    for a, b in pairs:
        obs[idx[a]][idx[b]] += 1 / n
    row = [sum(obs[i]) for i in range(k)]
    col = [sum(obs[i][j] for i in range(k)) for j in range(k)]

    def w(i: int, j: int) -> float:
        if quadratic:
            return (i - j) ** 2 / (k - 1) ** 2
        return 0.0 if i == j else 1.0

    observed = sum(w(i, j) * obs[i][j] for i in range(k) for j in range(k))
    expected = sum(w(i, j) * row[i] * col[j] for i in range(k) for j in range(k))
    if expected == 0:
        return None
    return 1 - observed / expected


def _check_decision(decision: str, quality: int | None) -> None:
    if decision not in DECISIONS:
        raise InvalidInput(f"Unknown decision {decision!r}.", f"Decisions: {', '.join(DECISIONS)}.")
    if quality is not None and not 1 <= quality <= 5:
        raise InvalidInput("A quality is 1 to 5.")
    if decision == "approve" and quality is None:
        raise InvalidInput("An approval needs a quality (1 to 5).")


class ReviewQualityOps(ServiceCore):
    """Gold items, blind reviews and the reviewers' accuracy and agreement."""

    def set_review_mix(self, *, actor: Actor, gold_rate: float, second_rate: float
                       ) -> dict[str, float]:
        """The share of blind-review requests answered with a gold copy, and with a second
        review (admins)."""
        if not (0 <= gold_rate <= 1 and 0 <= second_rate <= 1 and gold_rate + second_rate <= 1):
            raise InvalidInput("Rates are shares from 0 to 1, together at most 1.",
                               "For example gold 0.05 and second 0.1.")
        with self.store.write() as s:
            admin = self._require(s, actor, Role.ADMIN, doing="set the review mix")
            row = s.get(m.ReviewMix, 1)
            if row is None:
                row = m.ReviewMix(id=1)
                s.add(row)
            row.gold_rate, row.second_rate = float(gold_rate), float(second_rate)
            row.updated_at, row.updated_by_id = self.now(), admin.id
        return {"gold_rate": float(gold_rate), "second_rate": float(second_rate)}

    def mark_gold(self, *, actor: Actor, submission_id: SubmissionId, decision: str,
                  quality: int | None = None, note: str | None = None) -> None:
        """Mark a submission as gold with its right decision (admins)."""
        _check_decision(decision, quality)
        with self.store.write() as s:
            admin = self._require(s, actor, Role.ADMIN, doing="mark gold items")
            sub = s.get(m.Submission, submission_id)
            if sub is None or sub.state == State.WITHDRAWN.value:
                raise NotFound(f"There is no submission #{submission_id} to mark as gold.")
            if sub.state in (State.DRAFT.value, State.SUPERSEDED.value):
                raise InvalidInput(f"Submission #{submission_id} is a {sub.state}: only "
                                   "submitted or decided work is reviewed.")
            row = s.get(m.GoldItem, sub.id)
            if row is None:
                row = m.GoldItem(submission_id=sub.id)
                s.add(row)
            row.decision, row.quality, row.note = decision, quality, note
            row.marked_by_id, row.marked_at = admin.id, self.now()

    def _blind_info(self, r: m.BlindReview, *, admin: bool) -> BlindReviewInfo:
        return BlindReviewInfo(r.id, SubmissionId(r.submission_id) if admin else None,
                               r.assigned_at, r.kind if admin else None, r.decision, r.quality,
                               r.decided_at)

    def _own_blind(self, s: Any, actor: Actor, review_id: int
                   ) -> tuple[m.BlindReview, m.Submission, bool]:
        view = self._view(s, actor)
        r = s.get(m.BlindReview, review_id)
        if r is None or r.reviewer_id != view.user_id:
            raise NotFound(f"You have no blind review #{review_id}.",
                           "Ask for your next one with `annotator review blind-next`.")
        sub = s.get(m.Submission, r.submission_id)
        if sub is None or sub.state == State.WITHDRAWN.value:
            raise NotFound(f"Blind review #{review_id}: its demonstration was withdrawn by its "
                           "contributor, and its content is gone.",
                           "Ask for your next one with `annotator review blind-next`.")
        return r, sub, view.role is Role.ADMIN

    def open_blind_review(self, *, actor: Actor, review_id: int) -> BlindReviewPackage:
        """The package of one of the reviewer's blind reviews, as ``BlindReviewPackage``
        describes: enough to review it, nothing that tells what it is."""
        with self.store.read() as s:
            r, sub, admin = self._own_blind(s, actor, review_id)
            files = tuple(FileInfo(f.path, f.role, f.sha256, f.size) for f in s.execute(
                sa.select(m.SubmissionBlob).where(m.SubmissionBlob.submission_id == sub.id)
                .order_by(m.SubmissionBlob.path)).scalars())
            sig = s.get(m.SignalSet, sub.id)
            records = stored_records(sig.package_records, sig.store_records) if sig else []
            return BlindReviewPackage(self._blind_info(r, admin=admin), sub.goal or "",
                                      TaskId(sub.task_id) if sub.task_id else None, files,
                                      tuple(records))

    def open_blind_file(self, *, actor: Actor, review_id: int, path: str) -> BinaryIO:
        """Read one file of a blind review's package (for playback)."""
        with self.store.read() as s:
            _r, sub, _admin = self._own_blind(s, actor, review_id)
            sha = s.execute(sa.select(m.SubmissionBlob.sha256).where(
                m.SubmissionBlob.submission_id == sub.id,
                m.SubmissionBlob.path == path)).scalar()
            if sha is None:
                raise NotFound(f"Blind review #{review_id} has no file {path!r}.")
        return self.blobs.open(sha)

    def next_blind_review(self, *, actor: Actor) -> BlindReviewInfo | None:
        """The reviewer's next blind review, or None (then: the ordinary queue).  One not
        decided yet comes back first."""
        with self.store.write() as s:
            view = self._view(s, actor)
            if view.role not in sm.REVIEWERS:
                raise PermissionDenied("Only reviewers and admins review.")
            me = view.user_id
            open_ = s.execute(sa.select(m.BlindReview).where(
                m.BlindReview.reviewer_id == me, m.BlindReview.decision.is_(None))
                .order_by(m.BlindReview.id)).scalars().first()
            if open_ is not None:
                return self._blind_info(open_, admin=view.role is Role.ADMIN)
            mix = s.get(m.ReviewMix, 1)
            gold_rate, second_rate = (mix.gold_rate, mix.second_rate) if mix else DEFAULT_MIX
            draw = random.random()
            kind = "gold" if draw < gold_rate else \
                "second" if draw < gold_rate + second_rate else None
            if kind is None:
                return None
            S, B = m.Submission, m.BlindReview
            mine = sa.select(B.submission_id).where(B.reviewer_id == me, B.kind == kind)
            q = sa.select(S.id).where(S.contributor_id != me,
                                      sa.or_(S.reviewer_id.is_(None), S.reviewer_id != me),
                                      S.id.not_in(mine), S.state != State.WITHDRAWN.value)
            if kind == "gold":
                q = q.join(m.GoldItem, m.GoldItem.submission_id == S.id).order_by(
                    sa.func.random())
            else:
                seconded = sa.select(B.submission_id).where(B.kind == "second")
                q = q.where(S.state.in_(tuple(DECISION_OF_STATE)), S.id.not_in(seconded),
                            S.id.not_in(sa.select(m.GoldItem.submission_id))
                            ).order_by(S.decided_at, S.id)
            sid = s.execute(q.limit(1)).scalar()
            if sid is None:
                return None
            r = m.BlindReview(submission_id=sid, reviewer_id=me, kind=kind,
                              assigned_at=self.now())
            s.add(r)
            s.flush()
            return self._blind_info(r, admin=view.role is Role.ADMIN)

    def decide_blind_review(self, *, actor: Actor, review_id: int, decision: str,
                            quality: int | None = None) -> BlindReviewInfo:
        """The reviewer's decision on a blind review (the submission is not changed)."""
        _check_decision(decision, quality)
        with self.store.write() as s:
            r, _sub, admin = self._own_blind(s, actor, review_id)
            if r.decision is not None:
                raise Conflict(f"Blind review #{review_id} was decided already.")
            r.decision, r.quality, r.decided_at = decision, quality, self.now()
            s.flush()
            return self._blind_info(r, admin=admin)

    def reviewer_agreement(self, *, actor: Actor) -> ReviewerAgreement:
        """Per reviewer: reviews, accuracy on gold, time per review; kappa between
        independent reviews of the same submission; the disagreements to decide (admins)."""
        with self.store.read() as s:
            self._require(s, actor, Role.ADMIN, doing="see reviewers' accuracy and agreement")
            names = dict(s.execute(sa.select(m.User.id, m.User.pseudonym)).all())
            gold = {g.submission_id: g for g in s.execute(sa.select(m.GoldItem)).scalars()}
            blind = list(s.execute(sa.select(m.BlindReview).where(
                m.BlindReview.decision.is_not(None))).scalars())
            subs = {r.id: r for r in s.execute(sa.select(
                m.Submission.id, m.Submission.state, m.Submission.reviewer_id,
                m.Submission.quality).where(m.Submission.id.in_(
                    {b.submission_id for b in blind}))).all()}
            trans = s.execute(sa.select(m.Transition.submission_id, m.Transition.action,
                                        m.Transition.actor_id, m.Transition.at)
                              .order_by(m.Transition.id)).all()
        stats: dict[int, dict[str, Any]] = {}

        def row(uid: int) -> dict[str, Any]:
            return stats.setdefault(uid, {"reviews": 0, "gold_reviews": 0, "gold_correct": 0,
                                          "times": []})

        claimed: dict[tuple[int, int], dt.datetime] = {}
        for sid, action, uid, at in trans:
            if action == Action.CLAIM.value and uid is not None:
                claimed[(sid, uid)] = at
            elif action in DECISION_OF_ACTION and uid is not None:
                r = row(uid)
                r["reviews"] += 1
                if (sid, uid) in claimed:
                    r["times"].append((at - claimed.pop((sid, uid))).total_seconds())
        pairs: list[tuple[str, str]] = []
        qpairs: list[tuple[int, int]] = []
        disagreements = []
        for b in blind:
            r = row(b.reviewer_id)
            r["reviews"] += 1
            if b.decided_at is not None:
                r["times"].append((b.decided_at - b.assigned_at).total_seconds())
            if b.kind == "gold" and b.submission_id in gold:
                r["gold_reviews"] += 1
                r["gold_correct"] += b.decision == gold[b.submission_id].decision
            elif b.kind == "second" and b.submission_id in subs:
                sub = subs[b.submission_id]
                first = DECISION_OF_STATE.get(sub.state)
                if first is None:
                    continue  # withdrawn or reopened since
                pairs.append((first, b.decision or ""))
                if sub.quality is not None and b.quality is not None:
                    qpairs.append((sub.quality, b.quality))
                if first != b.decision:
                    disagreements.append({
                        "submission_id": sub.id, "decision": first,
                        "decided_by": names.get(sub.reviewer_id), "second": b.decision,
                        "second_by": names.get(b.reviewer_id)})
        reviewers = []
        for uid, r in sorted(stats.items(), key=lambda kv: names.get(kv[0], "")):
            acc = r["gold_correct"] / r["gold_reviews"] if r["gold_reviews"] else None
            reviewers.append({
                "reviewer": names.get(uid), "reviews": r["reviews"],
                "gold_reviews": r["gold_reviews"], "gold_correct": r["gold_correct"],
                "gold_accuracy": acc,
                "median_review_s": statistics.median(r["times"]) if r["times"] else None})
        reviewers.sort(key=lambda x: (x["gold_accuracy"] is None, -(x["gold_accuracy"] or 0),
                                      x["reviewer"] or ""))
        return ReviewerAgreement(
            tuple(reviewers), cohen_kappa(pairs, DECISIONS),
            cohen_kappa(qpairs, (1, 2, 3, 4, 5), quadratic=True), len(pairs), len(qpairs),
            tuple(disagreements))
