"""Gold items and second reviews with reviewers of planted behaviour: a careful one and one who
approves everything with the top quality.  The admin view ranks them by accuracy on gold and
computes Cohen's kappa equal to the hand-computed values; no blind review changes a
submission."""

from __future__ import annotations

import pytest

from annotator.workflow.contract import CommentIn
from annotator.workflow.ops.reviewquality import cohen_kappa
from tests.workflow.helpers import build_world


def test_planted_reviewers_accuracy_and_kappa(svc, tmp_path):
    w = build_world(svc, tmp_path)
    decided = []  # (submission id, decision, quality) by admin2, in this order
    plan = [("approve", 4), ("approve", 2), ("reject", None), ("request_changes", None),
            ("reject", None), ("approve", 5)]
    for n, (decision, quality) in enumerate(plan):
        sub = w.submit(w.ana if n % 2 == 0 else w.bob)
        svc.claim(actor=w.admin2, submission_id=sub.id)
        if decision == "approve":
            svc.approve(actor=w.admin2, submission_id=sub.id, quality=quality)
        elif decision == "reject":
            svc.reject(actor=w.admin2, submission_id=sub.id, reason="not the task")
        else:
            svc.request_changes(actor=w.admin2, submission_id=sub.id,
                                comments=[CommentIn("redo step 2", step_index=1)])
        decided.append((sub.id, decision, quality))
    gold = {decided[i][0]: decided[i] for i in (0, 2, 3)}
    for sid, decision, quality in gold.values():
        svc.mark_gold(actor=w.admin, submission_id=sid, decision=decision, quality=quality)
    states = {sid: str(svc.get_submission(actor=w.admin, submission_id=sid).info.state)
              for sid, _d, _q in decided}

    def careful(sid):  # the right decision; a quality one below on the last one
        _sid, decision, quality = next(d for d in decided if d[0] == sid)
        return decision, (quality - 1 if quality == 5 else quality)

    def approves_all(sid):
        return "approve", 5

    # The reviewer is not told which submission a blind review is; the test knows it by the
    # package's files (the whole set of files differs between demonstrations).
    def files_of(files):
        return {(f.path, f.sha256) for f in files}

    sid_of = {frozenset(files_of(svc.get_submission(actor=w.admin, submission_id=sid).files)):
              sid for sid, _d, _q in decided}

    def review(actor, behaviour):
        b = svc.next_blind_review(actor=actor)
        if b is None:
            return None
        assert b.submission_id is None
        sid = sid_of[frozenset(files_of(svc.open_blind_review(actor=actor,
                                                              review_id=b.id).files))]
        decision, quality = behaviour(sid)
        svc.decide_blind_review(actor=actor, review_id=b.id, decision=decision, quality=quality)
        return sid

    svc.set_review_mix(actor=w.admin, gold_rate=1.0, second_rate=0.0)
    for actor, behaviour in ((w.rev, careful), (w.rita, approves_all)):
        seen = [review(actor, behaviour) for _ in range(4)]
        assert sorted(s for s in seen if s) == sorted(gold) and seen[-1] is None
    # Second reviews: the oldest decided non-gold submissions, one second review each.
    svc.set_review_mix(actor=w.admin, gold_rate=0.0, second_rate=1.0)
    second = [review(w.rev, careful), review(w.rita, approves_all), review(w.rev, careful)]
    assert second == [decided[1][0], decided[4][0], decided[5][0]]
    assert review(w.rita, approves_all) is None  # each has its second review

    ag = svc.reviewer_agreement(actor=w.admin)
    by = {r["reviewer"]: r for r in ag.reviewers}
    assert [r["reviewer"] for r in ag.reviewers][:2] == [w.rev.pseudonym, w.rita.pseudonym]
    assert by[w.rev.pseudonym]["gold_accuracy"] == 1.0
    assert by[w.rita.pseudonym]["gold_accuracy"] == pytest.approx(1 / 3)
    assert by[w.admin2.pseudonym]["reviews"] == 6 and by[w.admin2.pseudonym]["gold_reviews"] == 0
    assert by[w.rev.pseudonym]["median_review_s"] is not None
    # Pairs (decision, second): (approve, approve) (reject, approve) (approve, approve): the
    # first rater's shares approve 2/3, reject 1/3; the second's approve 1: po = pe = 2/3,
    # kappa 0 (approving everything agrees no better than chance).
    assert ag.pairs == 3 and ag.kappa_decision == pytest.approx(0.0)
    # Qualities (2, 2) and (5, 4), weights (i - j)^2 / 16: observed 1/32, expected 7/32.
    assert ag.quality_pairs == 2 and ag.kappa_quality == pytest.approx(1 - 1 / 7)
    assert [d["submission_id"] for d in ag.disagreements] == [decided[4][0]]
    # No blind review changed a submission.
    assert states == {sid: str(svc.get_submission(actor=w.admin, submission_id=sid).info.state)
                      for sid, _d, _q in decided}


def test_kappa_by_hand():
    # Two raters, 10 items (the textbook table): agree yes 4, no 3; disagree 2 and 1.
    pairs = [("y", "y")] * 4 + [("n", "n")] * 3 + [("y", "n")] * 2 + [("n", "y")]
    po, pe = 0.7, 0.6 * 0.5 + 0.4 * 0.5
    assert cohen_kappa(pairs, ("y", "n")) == pytest.approx((po - pe) / (1 - pe))
    assert cohen_kappa([("y", "y")], ("y", "n")) is None  # too few pairs


def test_a_blind_reviews_original_is_hidden_from_its_reviewer_until_decided(svc, tmp_path):
    # A reviewer who searched the decided submissions for a blind review's goal found the
    # original and its decision.  Until they decide, it (and its lineage) is not there for
    # them: not in a search, not by its number, not its files or signals.
    from annotator.workflow.contract import QueueFilter
    from annotator.workflow.errors import NotFound
    from annotator.workflow.states import State

    w = build_world(svc, tmp_path)
    goal = "File the quarterly report"
    gold, other = (w.submit(w.ana, goal=goal), w.submit(w.bob, goal=goal))
    for sub in (gold, other):
        svc.claim(actor=w.admin2, submission_id=sub.id)
        svc.approve(actor=w.admin2, submission_id=sub.id, quality=4)
    svc.mark_gold(actor=w.admin, submission_id=gold.id, decision="approve", quality=4)
    svc.set_review_mix(actor=w.admin, gold_rate=1.0, second_rate=0.0)
    search = QueueFilter(states=(State.APPROVED,), text="quarterly")

    def found(actor):
        return {q.id for q in svc.list_queue(actor=actor, filters=search)}

    assert found(w.rev) == {gold.id, other.id}
    blind = svc.next_blind_review(actor=w.rev)
    assert blind is not None and blind.submission_id is None
    assert found(w.rev) == {other.id}
    path = svc.get_submission(actor=w.admin, submission_id=gold.id).files[0].path
    for read in (lambda: svc.get_submission(actor=w.rev, submission_id=gold.id),
                 lambda: svc.history(actor=w.rev, submission_id=gold.id),
                 lambda: svc.open_file(actor=w.rev, submission_id=gold.id, path=path),
                 lambda: svc.submission_signals(actor=w.rev, submission_id=gold.id)):
        with pytest.raises(NotFound):
            read()
    assert found(w.rita) == {gold.id, other.id}  # another reviewer is not affected
    assert found(w.admin) == {gold.id, other.id}
    svc.decide_blind_review(actor=w.rev, review_id=blind.id, decision="approve", quality=4)
    assert found(w.rev) == {gold.id, other.id}
    assert svc.get_submission(actor=w.rev, submission_id=gold.id).info.id == gold.id
