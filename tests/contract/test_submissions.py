"""Ingest, review, withdrawal and the reads of submissions, on both faces."""

from __future__ import annotations

import datetime as dt
import json

from annotator.workflow.contract import (
    CommentIn,
    CommentInfo,
    QueueFilter,
    QueueItem,
    SubmissionDetail,
    SubmissionInfo,
    TransitionInfo,
    WithdrawResult,
)
from annotator.workflow.errors import (
    ClaimedByAnother,
    Conflict,
    ConsentError,
    ForbiddenTransition,
    InvalidInput,
    NotFound,
    OwnSubmission,
    PackageError,
    PermissionDenied,
    ReasonRequired,
)
from annotator.workflow.states import State
from tests.contract.cases import case, fails

MISSING = 10**9  # no submission has this id


# -- ingest --------------------------------------------------------------------------------------
@case("ingest_package", PackageError, ConsentError, NotFound)
def test_ingest_package(face):
    ana, svc = face.ana, face.as_(face.ana)
    folder = face.package(ana, goal="Rename the report")
    info = svc.ingest_package(actor=ana, folder=folder)
    assert isinstance(info, SubmissionInfo)
    assert (info.state, info.contributor, info.goal, info.version, info.step_count) == \
        (State.SUBMITTED, ana.pseudonym, "Rename the report", 1, 4)
    assert isinstance(info.submitted_at, dt.datetime)
    fails(PackageError, svc.ingest_package, actor=ana, folder=folder)  # the same again
    # consent given by someone else
    fails(ConsentError, face.as_(face.bob).ingest_package, actor=face.bob,
          folder=face.package(ana))
    fails(NotFound, svc.ingest_package, actor=ana, folder=face.package(ana),
          previous_id=MISSING)


@case("submit", NotFound, ForbiddenTransition)
def test_submit(face):
    ana, svc = face.ana, face.as_(face.ana)
    draft = face.submit(ana, submit=False)
    assert draft.state is State.DRAFT and draft.submitted_at is None
    sent = svc.submit(actor=ana, submission_id=draft.id)
    assert sent.state is State.SUBMITTED and sent.submitted_at is not None
    fails(ForbiddenTransition, svc.submit, actor=ana, submission_id=draft.id)
    fails(NotFound, face.as_(face.bob).submit, actor=face.bob, submission_id=draft.id)
    fails(NotFound, svc.submit, actor=ana, submission_id=MISSING)


# -- review --------------------------------------------------------------------------------------
@case("claim", PermissionDenied, NotFound, OwnSubmission, ForbiddenTransition,
      ClaimedByAnother)
def test_claim(face):
    sub = face.submit(face.ana)
    rev = face.as_(face.rev)
    info = rev.claim(actor=face.rev, submission_id=sub.id)
    assert (info.state, info.claimed_by) == (State.IN_REVIEW, face.rev.pseudonym)
    assert info.lock_expires_at > face.as_(face.rev).now()
    fails(ClaimedByAnother, face.as_(face.rita).claim, actor=face.rita, submission_id=sub.id)
    fails(PermissionDenied, face.as_(face.bob).claim, actor=face.bob, submission_id=sub.id)
    fails(NotFound, rev.claim, actor=face.rev, submission_id=MISSING)
    own = face.submit(face.rev)
    fails(OwnSubmission, rev.claim, actor=face.rev, submission_id=own.id)
    draft = face.submit(face.ana, submit=False)
    # A draft is its author's alone: to a reviewer it is not there (not "forbidden").
    fails(NotFound, rev.claim, actor=face.rev, submission_id=draft.id)


@case("claim_next", PermissionDenied)
def test_claim_next(face):
    task = face.as_(face.admin).publish_task(actor=face.admin, title="Next", goal="G",
                                             applications=[])
    sub = face.submit(face.bob, task_id=task.id)
    rita = face.as_(face.rita)
    got = rita.claim_next(actor=face.rita, filters=QueueFilter(task_id=task.id))
    assert got is not None and (got.id, got.claimed_by) == (sub.id, face.rita.pseudonym)
    assert rita.claim_next(actor=face.rita, filters=QueueFilter(task_id=task.id)) is None
    # every filter field reaches the face: an impossible time window finds nothing
    empty = QueueFilter(submitted_before=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    assert rita.claim_next(actor=face.rita, filters=empty) is None
    fails(PermissionDenied, face.as_(face.ana).claim_next, actor=face.ana)


@case("release", NotFound, ClaimedByAnother)
def test_release(face):
    sub = face.claimed()
    fails(ClaimedByAnother, face.as_(face.rita).release, actor=face.rita, submission_id=sub.id)
    info = face.as_(face.rev).release(actor=face.rev, submission_id=sub.id)
    assert (info.state, info.claimed_by, info.lock_expires_at) == (State.SUBMITTED, None, None)
    fails(NotFound, face.as_(face.rev).release, actor=face.rev, submission_id=MISSING)


@case("add_comment", PermissionDenied, NotFound, ClaimedByAnother, InvalidInput)
def test_add_comment(face):
    sub = face.claimed()
    rev = face.as_(face.rev)
    c = rev.add_comment(actor=face.rev, submission_id=sub.id,
                        comment=CommentIn("label of step 2", step_index=1, step_id="s1"))
    assert isinstance(c, CommentInfo)
    assert (c.submission_id, c.author, c.body, c.step_index, c.step_id, c.version) == \
        (sub.id, face.rev.pseudonym, "label of step 2", 1, "s1", 1)
    fails(InvalidInput, rev.add_comment, actor=face.rev, submission_id=sub.id,
          comment=CommentIn("no such step", step_index=99))
    fails(InvalidInput, rev.add_comment, actor=face.rev, submission_id=sub.id,
          comment=CommentIn("  "))
    fails(ClaimedByAnother, face.as_(face.rita).add_comment, actor=face.rita, submission_id=sub.id,
          comment=CommentIn("me too"))
    denied = fails(PermissionDenied, face.as_(face.bob).add_comment, actor=face.bob,
                   submission_id=sub.id, comment=CommentIn("hi"))
    # A contributor is told what they tried (commenting), not another action's name.
    assert "comment on" in str(denied) and "approv" not in str(denied).lower(), denied
    fails(NotFound, rev.add_comment, actor=face.rev, submission_id=MISSING,
          comment=CommentIn("hi"))


@case("approve", PermissionDenied, NotFound, ClaimedByAnother, InvalidInput)
def test_approve(face):
    sub = face.claimed()
    rev = face.as_(face.rev)
    fails(InvalidInput, rev.approve, actor=face.rev, submission_id=sub.id, quality=9)
    fails(ClaimedByAnother, face.as_(face.rita).approve, actor=face.rita, submission_id=sub.id,
          quality=4)
    fails(PermissionDenied, face.as_(face.ana).approve, actor=face.ana, submission_id=sub.id,
          quality=4)
    fails(NotFound, rev.approve, actor=face.rev, submission_id=MISSING, quality=4)
    info = rev.approve(actor=face.rev, submission_id=sub.id, quality=4, note="clean")
    assert (info.state, info.quality, info.reviewer, info.decision_reason, info.claimed_by) == \
        (State.APPROVED, 4, face.rev.pseudonym, "clean", None)


@case("request_changes", NotFound, ClaimedByAnother, InvalidInput, ReasonRequired)
def test_request_changes(face):
    sub = face.claimed()
    rev = face.as_(face.rev)
    fails(ReasonRequired, rev.request_changes, actor=face.rev, submission_id=sub.id,
          comments=[])
    fails(InvalidInput, rev.request_changes, actor=face.rev, submission_id=sub.id,
          comments=[CommentIn("no such step", step_index=99)])
    fails(ClaimedByAnother, face.as_(face.rita).request_changes, actor=face.rita,
          submission_id=sub.id, comments=[CommentIn("x")])
    fails(NotFound, rev.request_changes, actor=face.rev, submission_id=MISSING,
          comments=[CommentIn("x")])
    info = rev.request_changes(actor=face.rev, submission_id=sub.id, comments=[
        CommentIn("step 1 is wrong", step_index=0), CommentIn("at 1 s", t_start_us=1_000_000)])
    assert (info.state, info.decision_reason) == (State.CHANGES_REQUESTED, "2 comment(s)")
    d = face.as_(face.ana).get_submission(actor=face.ana, submission_id=sub.id)
    assert [(c.body, c.step_index, c.t_start_us, c.t_end_us) for c in d.comments] == \
        [("step 1 is wrong", 0, None, None), ("at 1 s", None, 1_000_000, 1_000_000)]
    # the next version supersedes it
    v2 = face.as_(face.ana).ingest_package(actor=face.ana, folder=face.package(face.ana),
                                           previous_id=sub.id)
    assert (v2.version, v2.previous_id, v2.lineage, v2.state) == \
        (2, sub.id, sub.lineage, State.SUBMITTED)


@case("reject", NotFound, ClaimedByAnother, ReasonRequired)
def test_reject(face):
    sub = face.claimed()
    rev = face.as_(face.rev)
    fails(ReasonRequired, rev.reject, actor=face.rev, submission_id=sub.id, reason="  ")
    fails(ClaimedByAnother, face.as_(face.rita).reject, actor=face.rita, submission_id=sub.id,
          reason="off task")
    fails(NotFound, rev.reject, actor=face.rev, submission_id=MISSING, reason="off task")
    info = rev.reject(actor=face.rev, submission_id=sub.id, reason=" off task ")
    assert (info.state, info.decision_reason) == (State.REJECTED, "off task")


# -- withdrawal ------------------------------------------------------------------------------------
@case("withdraw", NotFound, ForbiddenTransition)
@case("tombstones", PermissionDenied)
def test_withdraw(face):
    ana, svc = face.ana, face.as_(face.ana)
    sub = face.submit(ana)
    fails(NotFound, face.as_(face.bob).withdraw, actor=face.bob, submission_id=sub.id)
    before = face.as_(face.admin).now()
    r = svc.withdraw(actor=ana, submission_id=sub.id)
    assert isinstance(r, WithdrawResult)
    assert (r.submission_ids, r.already_withdrawn, r.account_deleted) == ((sub.id,), (), False)
    assert r.blobs_deleted >= 5
    fails(ForbiddenTransition, svc.withdraw, actor=ana, submission_id=sub.id)
    fails(NotFound, svc.withdraw, actor=ana, submission_id=MISSING)
    tombs = face.as_(face.admin).tombstones(actor=face.admin,
                                            since=before - dt.timedelta(seconds=5))
    mine = [t for t in tombs if t["submission_id"] == sub.id]
    assert len(mine) == 1
    t = mine[0]
    assert (t["contributor"], t["cause"], t["state_before"], t["lineage"]) == \
        (ana.pseudonym, "withdrawn", "submitted", sub.lineage)
    assert isinstance(t["withdrawn_at"], dt.datetime)
    assert set(t) == {"submission_id", "lineage", "version", "contributor",
                      "consent_record_id", "manifest_sha256", "blob_sha256s", "blobs_deleted",
                      "state_before", "cause", "withdrawn_at"}
    fails(PermissionDenied, face.as_(face.rev).tombstones, actor=face.rev)


@case("withdraw_everything", Conflict)
def test_withdraw_everything(face):
    u = face.new_user()
    a, b = face.submit(u), face.submit(u, submit=False)
    r = face.as_(u).withdraw_everything(actor=u)
    assert (sorted(r.submission_ids), r.account_deleted) == (sorted([a.id, b.id]), False)
    assert face.as_(u).withdraw_everything(actor=u).submission_ids == ()
    gone = face.as_(u).withdraw_everything(actor=u, delete_account=True)
    assert gone.account_deleted
    assert u.name not in {x.name for x in face.as_(face.admin).list_users(actor=face.admin)}
    # the last active admin cannot delete their account: the other admins are disabled for a
    # moment (on the shared server too: the tests of a session run one at a time)
    svc = face.as_(face.admin)
    others = [x.name for x in svc.list_users(actor=face.admin)
              if x.role == "admin" and x.disabled_at is None and x.name != face.admin.name]
    try:
        for name in others:
            svc.set_disabled(actor=face.admin, name=name)
        fails(Conflict, svc.withdraw_everything, actor=face.admin, delete_account=True)
    finally:
        for name in others:
            svc.set_disabled(actor=face.admin, name=name, disabled=False)


# -- queries ---------------------------------------------------------------------------------------
@case("get_submission", NotFound)
@case("history", NotFound)
@case("open_file", NotFound)
@case("my_submissions")
def test_reads(face):
    ana, svc = face.ana, face.as_(face.ana)
    sub = face.submit(ana)
    d = svc.get_submission(actor=ana, submission_id=sub.id)
    assert isinstance(d, SubmissionDetail) and d.info == sub
    assert {f.path for f in d.files} >= {"video.mp4", "steps.json", "task.json"}
    assert d.consent.contributor == ana.pseudonym and d.consent.status == "given"
    assert d.versions == (sub.id,)
    h = svc.history(actor=ana, submission_id=sub.id)
    assert all(isinstance(x, TransitionInfo) for x in h)
    assert [(x.action, x.to_state) for x in h] == [("ingest", "draft"), ("submit", "submitted")]
    assert h == list(d.history)
    with svc.open_file(actor=ana, submission_id=sub.id, path="steps.json") as fh:
        assert json.loads(fh.read())["format"] == "annotator-package-steps"
    assert sub in svc.my_submissions(actor=ana)
    for op in (svc.get_submission, svc.history):
        fails(NotFound, op, actor=ana, submission_id=MISSING)
    bob = face.as_(face.bob)
    fails(NotFound, bob.get_submission, actor=face.bob, submission_id=sub.id)
    fails(NotFound, bob.history, actor=face.bob, submission_id=sub.id)
    fails(NotFound, svc.open_file, actor=ana, submission_id=sub.id, path="no/such/file")
    fails(NotFound, bob.open_file, actor=face.bob, submission_id=sub.id, path="steps.json")
    svc.withdraw(actor=ana, submission_id=sub.id)
    fails(NotFound, svc.open_file, actor=ana, submission_id=sub.id, path="steps.json")
    assert sub.id not in {x.id for x in svc.my_submissions(actor=ana, include_withdrawn=False)}


@case("list_queue", PermissionDenied, InvalidInput)
@case("queue_counts", PermissionDenied)
def test_queue(face):
    task = face.as_(face.admin).publish_task(actor=face.admin, title="Queue", goal="G",
                                             applications=["gimp"])
    a = face.submit(face.ana, task_id=task.id)
    b = face.submit(face.bob, task_id=task.id, goal="Crop the photo")
    rev = face.as_(face.rev)
    items = rev.list_queue(actor=face.rev, filters=QueueFilter(task_id=task.id))
    assert all(isinstance(i, QueueItem) for i in items)
    assert [i.id for i in items] == [a.id, b.id]
    assert items[0].state is State.SUBMITTED and items[0].contributor == face.ana.pseudonym
    by = dict(task_id=task.id)
    assert [i.id for i in rev.list_queue(actor=face.rev, filters=QueueFilter(
        **by, text="crop"))] == [b.id]
    assert [i.id for i in rev.list_queue(actor=face.rev, filters=QueueFilter(
        **by, contributor=face.ana.pseudonym))] == [a.id]
    assert [i.id for i in rev.list_queue(actor=face.rev, filters=QueueFilter(
        **by, application="gimp"), limit=1, offset=1)] == [b.id]
    assert rev.list_queue(actor=face.rev, filters=QueueFilter(
        **by, submitted_after=b.submitted_at + dt.timedelta(seconds=1))) == []
    assert [i.id for i in rev.list_queue(actor=face.rev, filters=QueueFilter(
        **by, submitted_before=b.submitted_at))] == [a.id]
    rev.claim(actor=face.rev, submission_id=a.id)
    assert [i.id for i in rev.list_queue(actor=face.rev, filters=QueueFilter(
        **by, claimed_by="me"))] == [a.id]
    assert [i.id for i in rev.list_queue(actor=face.rev, filters=QueueFilter(
        **by, states=(State.IN_REVIEW,)))] == [a.id]
    fails(InvalidInput, rev.list_queue, actor=face.rev, limit=0)
    fails(PermissionDenied, face.as_(face.ana).list_queue, actor=face.ana)
    counts = rev.queue_counts(actor=face.rev)
    assert set(counts) == {s.value for s in State}
    assert counts["in_review"] >= 1 and counts["submitted"] >= 1
    fails(PermissionDenied, face.as_(face.ana).queue_counts, actor=face.ana)
