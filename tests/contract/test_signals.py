"""Quality signals on both faces: a submission's stored set (computed by the store: a job on
the team server, ``compute_stored`` in the embedded workspace), the contributor's answers and
the admins' rates."""

from __future__ import annotations

import time

from annotator.workflow.contract import SignalRates, SignalReport
from annotator.workflow.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from annotator.workflow.service import Services
from tests.contract.cases import case, fails

# An item the leak check found and the contributor let through: the package alone says so.
ACCEPTED = {"allow_list": [{"detector": "email", "text": "help@example.org"}]}


def computed(face, who, sid, timeout_s: float = 180) -> SignalReport:
    """The store's signal set once made (the team server's job runs after verification)."""
    svc = face.as_(who)
    if isinstance(svc, Services):
        from annotator.quality.stored import compute_stored

        compute_stored(svc.store, sid)
    deadline = time.monotonic() + timeout_s
    while True:
        rep = svc.submission_signals(actor=who, submission_id=sid)
        if rep.state != "pending" or time.monotonic() > deadline:
            return rep
        time.sleep(0.5)


@case("submission_signals", NotFound)
@case("answer_signal", NotFound, PermissionDenied, InvalidInput)
def test_signals_and_answers(face):
    sub = face.submit(face.ana, redactions=ACCEPTED)
    rep = computed(face, face.ana, sub.id)
    assert rep.state == "done", rep
    keys = [r["key"] for r in rep.records]
    assert "accepted_leak:0" in keys
    leak = next(r for r in rep.records if r["key"] == "accepted_leak:0")
    assert leak["severity"] == "low" and "not sensitive" in leak["why"]
    assert rep.package_sha256 and rep.package_json and '"accepted_leak:0"' in rep.package_json
    # The reviewer sees the same records; another contributor sees nothing.
    seen = face.as_(face.rev).submission_signals(actor=face.rev, submission_id=sub.id)
    assert seen.package_sha256 == rep.package_sha256
    fails(NotFound, face.as_(face.bob).submission_signals, actor=face.bob, submission_id=sub.id)
    # The contributor answers; the reviewer sees the answer beside the signal.
    ans = face.as_(face.ana).answer_signal(actor=face.ana, submission_id=sub.id,
                                           signal_key="accepted_leak:0",
                                           body="It is the shop's public address.")
    assert ans.signal_key == "accepted_leak:0"
    seen = face.as_(face.rev).submission_signals(actor=face.rev, submission_id=sub.id)
    assert [a.body for a in seen.answers] == ["It is the shop's public address."]
    fails(InvalidInput, face.as_(face.ana).answer_signal, actor=face.ana,
          submission_id=sub.id, signal_key="no_such:key", body="?")
    fails(PermissionDenied, face.as_(face.rev).answer_signal, actor=face.rev,
          submission_id=sub.id, signal_key="accepted_leak:0", body="reviewer")
    fails(NotFound, face.as_(face.bob).answer_signal, actor=face.bob,
          submission_id=sub.id, signal_key="accepted_leak:0", body="not mine")
    # The queue shows the severity and filters by kind.
    items = face.as_(face.rev).list_queue(actor=face.rev, filters=_filter(sub))
    rank = {"low": 1, "medium": 2, "high": 3}[rep.max_severity]
    assert [(i.id, i.signal_severity, i.signal_count) for i in items] == [
        (sub.id, rank, len(rep.records))]


def _filter(sub):
    from annotator.workflow.contract import QueueFilter

    return QueueFilter(signal="accepted_leak", order="severity", contributor=sub.contributor)


@case("signal_rates", PermissionDenied, InvalidInput)
def test_signal_rates(face):
    rates = face.as_(face.admin).signal_rates(actor=face.admin, weeks=4)
    assert isinstance(rates, SignalRates)
    for r in rates.rows:
        assert {"contributor", "week", "submissions", "flagged", "high"} <= set(r)
    fails(PermissionDenied, face.as_(face.rev).signal_rates, actor=face.rev)
    fails(InvalidInput, face.as_(face.admin).signal_rates, actor=face.admin, weeks=0)


@case("set_review_mix", PermissionDenied, InvalidInput)
@case("mark_gold", NotFound, PermissionDenied, InvalidInput)
@case("next_blind_review", PermissionDenied)
@case("decide_blind_review", NotFound, InvalidInput, Conflict)
@case("open_blind_review", NotFound)
@case("open_blind_file", NotFound)
@case("reviewer_agreement", PermissionDenied)
def test_gold_blind_reviews_and_agreement(face):
    admin, A = face.admin, face.as_(face.admin)
    sub = face.claimed(face.ana)
    face.as_(face.rev).approve(actor=face.rev, submission_id=sub.id, quality=4)
    A.mark_gold(actor=admin, submission_id=sub.id, decision="approve", quality=4)
    fails(PermissionDenied, face.as_(face.rev).mark_gold, actor=face.rev,
          submission_id=sub.id, decision="approve", quality=4)
    fails(NotFound, A.mark_gold, actor=admin, submission_id=10**8, decision="reject")
    fails(InvalidInput, A.mark_gold, actor=admin, submission_id=sub.id, decision="maybe")
    fails(InvalidInput, A.set_review_mix, actor=admin, gold_rate=0.8, second_rate=0.5)
    fails(PermissionDenied, face.as_(face.rev).set_review_mix, actor=face.rev, gold_rate=0,
          second_rate=0)
    assert A.set_review_mix(actor=admin, gold_rate=1.0, second_rate=0.0)["gold_rate"] == 1.0
    try:
        rita = face.as_(face.rita)
        b = rita.next_blind_review(actor=face.rita)
        # The reviewer is told neither that it is gold nor which submission it is.
        assert b is not None and b.kind is None and b.submission_id is None
        assert rita.next_blind_review(actor=face.rita).id == b.id  # until decided
        # What the reviewer sees: the task, the files and the signals; nothing of its past.
        pkg = rita.open_blind_review(actor=face.rita, review_id=b.id)
        assert pkg.review.id == b.id and pkg.review.submission_id is None
        mine = A.get_submission(actor=admin, submission_id=sub.id)
        assert pkg.goal == (mine.info.goal or "") and pkg.files == mine.files
        assert not {"state", "history", "comments", "versions", "info"} & set(vars(pkg))
        with rita.open_blind_file(actor=face.rita, review_id=b.id, path="steps.json") as fh:
            with A.open_file(actor=admin, submission_id=sub.id, path="steps.json") as orig:
                assert fh.read() == orig.read()
        fails(NotFound, rita.open_blind_file, actor=face.rita, review_id=b.id, path="nope.json")
        fails(NotFound, face.as_(face.rev).open_blind_review, actor=face.rev, review_id=b.id)
        fails(NotFound, face.as_(face.rev).open_blind_file, actor=face.rev, review_id=b.id,
              path="steps.json")
        fails(PermissionDenied, face.as_(face.ana).next_blind_review, actor=face.ana)
        fails(InvalidInput, rita.decide_blind_review, actor=face.rita, review_id=b.id,
              decision="approve")  # an approval needs a quality
        fails(NotFound, face.as_(face.rev).decide_blind_review, actor=face.rev,
              review_id=b.id, decision="reject")
        done = rita.decide_blind_review(actor=face.rita, review_id=b.id, decision="reject")
        assert done.decision == "reject" and done.decided_at is not None
        fails(Conflict, rita.decide_blind_review, actor=face.rita, review_id=b.id,
              decision="reject")
    finally:
        A.set_review_mix(actor=admin, gold_rate=0.05, second_rate=0.1)
    # The gold review changed nothing of the submission.
    assert str(A.get_submission(actor=admin, submission_id=sub.id).info.state) == "approved"
    ag = A.reviewer_agreement(actor=admin)
    row = next(r for r in ag.reviewers if r["reviewer"] == face.rita.pseudonym)
    assert row["gold_reviews"] >= 1 and row["gold_accuracy"] is not None
    fails(PermissionDenied, face.as_(face.rev).reviewer_agreement, actor=face.rev)
