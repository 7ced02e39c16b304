"""Every transition through the services, on SQLite and PostgreSQL: allowed ones change the
state and append to the audit log; forbidden ones are refused with a clear error and change
nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from annotator.store import models as m
from annotator.workflow.errors import (
    AuthenticationFailed,
    ClaimedByAnother,
    ForbiddenTransition,
    InvalidInput,
    LockExpired,
    NotAuthor,
    NotFound,
    OwnSubmission,
    PermissionDenied,
    ReasonRequired,
)
from annotator.workflow.service import CommentIn, QueueFilter
from annotator.workflow.states import TABLE, VISIBLE_TO, Action, Role, State

REVIEW_ACTIONS = (Action.CLAIM, Action.RELEASE, Action.APPROVE, Action.REQUEST_CHANGES,
                  Action.REJECT)


def do(world, action: Action, sid: int):
    """Run ``action`` on submission ``sid`` as the party who may do it."""
    svc, w = world.svc, world
    if action is Action.SUBMIT:
        return svc.submit(actor=w.ana, submission_id=sid)
    if action is Action.CLAIM:
        return svc.claim(actor=w.rev, submission_id=sid)
    if action is Action.RELEASE:
        return svc.release(actor=w.rev, submission_id=sid)
    if action is Action.APPROVE:
        return svc.approve(actor=w.rev, submission_id=sid, quality=5)
    if action is Action.REQUEST_CHANGES:
        return svc.request_changes(actor=w.rev, submission_id=sid,
                                   comments=[CommentIn("redo step 1", step_index=0)])
    if action is Action.REJECT:
        return svc.reject(actor=w.rev, submission_id=sid, reason="not the task")
    if action is Action.RESUBMIT:
        return svc.ingest_package(actor=w.ana, folder=w.package(), previous_id=sid)
    assert action is Action.WITHDRAW
    return svc.withdraw(actor=w.ana, submission_id=sid)


def audit(svc, sid: int) -> list[tuple]:
    with svc.store.read() as s:
        return [tuple(r) for r in s.execute(
            sa.select(m.Transition.action, m.Transition.from_state, m.Transition.to_state)
            .where(m.Transition.submission_id == sid).order_by(m.Transition.id))]


@pytest.mark.parametrize("state", list(State), ids=[s.value for s in State])
def test_every_action_from_every_state(world, state: State) -> None:
    svc = world.svc
    for action in Action:
        sub = world.in_state(state)
        assert sub.state is state
        before = audit(svc, sub.id)
        if (action, state) in TABLE:
            do(world, action, sub.id)
            after = world.get(sub.id)
            assert after.state is TABLE[(action, state)].target, (action, state)
            log = audit(svc, sub.id)
            assert log[:len(before)] == before  # append-only
            assert log[len(before)] == (action.value, state.value, after.state.value)
        else:
            # A reviewer does not see a draft or a withdrawn submission: for them it is not
            # there (never "forbidden", which would tell that it exists).
            hidden = action in REVIEW_ACTIONS and state not in VISIBLE_TO[Role.REVIEWER]
            with pytest.raises(NotFound if hidden else ForbiddenTransition) as ei:
                do(world, action, sub.id)
            assert f"#{sub.id}" in ei.value.message and ei.value.hint
            assert world.get(sub.id).state is state
            assert audit(svc, sub.id) == before


def test_the_whole_story(world, clock) -> None:
    svc, w = world.svc, world
    sub = w.submit()
    assert [i.id for i in svc.list_queue(actor=w.rev)] == [sub.id]
    claimed = svc.claim_next(actor=w.rev)
    assert claimed.id == sub.id and claimed.claimed_by == w.rev.pseudonym
    assert claimed.lock_expires_at == clock() + svc.lock_ttl
    svc.request_changes(actor=w.rev, submission_id=sub.id, comments=[
        CommentIn("The label of step 2 is wrong", step_index=2, step_id="st-2"),
        CommentIn("Cut the pause here", t_start_us=10_000_000, t_end_us=12_500_000),
        CommentIn("Nice work otherwise"),
    ])
    # Back with its author automatically: out of the queue, in the author's list, with comments.
    assert svc.list_queue(actor=w.rev) == []
    mine = svc.my_submissions(actor=w.ana)
    assert [(s.id, s.state) for s in mine] == [(sub.id, State.CHANGES_REQUESTED)]
    detail = svc.get_submission(actor=w.ana, submission_id=sub.id)
    assert [(c.step_index, c.t_start_us, c.t_end_us) for c in detail.comments] == [
        (2, None, None), (None, 10_000_000, 12_500_000), (None, None, None)]
    v2 = svc.ingest_package(actor=w.ana, folder=w.package(), previous_id=sub.id)
    assert (v2.version, v2.previous_id, v2.lineage, v2.state) == (
        2, sub.id, sub.lineage, State.SUBMITTED)
    assert w.get(sub.id).state is State.SUPERSEDED
    d2 = svc.get_submission(actor=w.rita, submission_id=v2.id)
    assert d2.versions == (sub.id, v2.id)
    assert len(d2.comments) == 3 and {c.version for c in d2.comments} == {1}
    svc.claim(actor=w.rita, submission_id=v2.id)
    done = svc.approve(actor=w.rita, submission_id=v2.id, quality=4, note="good")
    assert (done.state, done.quality, done.reviewer, done.claimed_by) == (
        State.APPROVED, 4, w.rita.pseudonym, None)
    history = [(h.submission_id, h.action, h.from_state, h.to_state, h.actor)
               for h in svc.get_submission(actor=w.ana, submission_id=v2.id).history]
    assert history == [
        (sub.id, "ingest", None, "draft", w.ana.pseudonym),
        (sub.id, "submit", "draft", "submitted", w.ana.pseudonym),
        (sub.id, "claim", "submitted", "in_review", w.rev.pseudonym),
        (sub.id, "request_changes", "in_review", "changes_requested", w.rev.pseudonym),
        (v2.id, "ingest", None, "draft", w.ana.pseudonym),
        (sub.id, "resubmit", "changes_requested", "superseded", w.ana.pseudonym),
        (v2.id, "submit", "draft", "submitted", w.ana.pseudonym),
        (v2.id, "claim", "submitted", "in_review", w.rita.pseudonym),
        (v2.id, "approve", "in_review", "approved", w.rita.pseudonym),
    ]


def test_roles_and_parties(world) -> None:
    svc, w = world.svc, world
    sub = w.submit()
    with pytest.raises(PermissionDenied):
        svc.claim(actor=w.bob, submission_id=sub.id)  # a contributor cannot review
    with pytest.raises(PermissionDenied):
        svc.list_queue(actor=w.bob)
    with pytest.raises(PermissionDenied):
        svc.claim_next(actor=w.ana)
    with pytest.raises(NotFound):
        svc.get_submission(actor=w.bob, submission_id=sub.id)  # not visible to others
    with pytest.raises(NotFound):
        svc.withdraw(actor=w.bob, submission_id=sub.id)
    with pytest.raises(NotAuthor):
        svc.withdraw(actor=w.rev, submission_id=sub.id)
    own = w.submit(w.rev)  # a reviewer's own demonstration
    with pytest.raises(OwnSubmission):
        svc.claim(actor=w.rev, submission_id=own.id)
    assert svc.claim_next(actor=w.rev).id == sub.id  # skips its own
    assert svc.claim_next(actor=w.rev) is None
    with pytest.raises(ClaimedByAnother) as ei:
        svc.claim(actor=w.rita, submission_id=sub.id)
    assert w.rev.pseudonym in ei.value.message
    for call in (lambda: svc.approve(actor=w.rita, submission_id=sub.id, quality=3),
                 lambda: svc.reject(actor=w.rita, submission_id=sub.id, reason="x"),
                 lambda: svc.request_changes(actor=w.rita, submission_id=sub.id,
                                             comments=[CommentIn("x")]),
                 lambda: svc.release(actor=w.rita, submission_id=sub.id),
                 lambda: svc.add_comment(actor=w.rita, submission_id=sub.id,
                                         comment=CommentIn("x"))):
        with pytest.raises(ClaimedByAnother):
            call()
    with pytest.raises(ReasonRequired):
        svc.reject(actor=w.rev, submission_id=sub.id, reason=" ")
    with pytest.raises(ReasonRequired):
        svc.request_changes(actor=w.rev, submission_id=sub.id, comments=[])
    with pytest.raises(InvalidInput):
        svc.approve(actor=w.rev, submission_id=sub.id, quality=0)
    with pytest.raises(InvalidInput):
        svc.request_changes(actor=w.rev, submission_id=sub.id,
                            comments=[CommentIn("no such step", step_index=99)])
    with pytest.raises(InvalidInput):
        svc.request_changes(actor=w.rev, submission_id=sub.id,
                            comments=[CommentIn("past the end", t_start_us=0,
                                                t_end_us=10**12)])
    assert w.get(sub.id).state is State.IN_REVIEW  # nothing changed
    # An admin may release someone else's claim (not decide on it).
    released = svc.release(actor=w.admin, submission_id=sub.id)
    assert released.state is State.SUBMITTED and released.claimed_by is None


def test_lock_expiry(world, clock) -> None:
    svc, w = world.svc, world
    sub = w.submit()
    svc.claim(actor=w.rev, submission_id=sub.id)
    clock.advance(minutes=29)
    with pytest.raises(ClaimedByAnother):
        svc.claim(actor=w.rita, submission_id=sub.id)
    assert svc.claim_next(actor=w.rita) is None
    clock.advance(minutes=2)  # the claim expired
    with pytest.raises(LockExpired):
        svc.approve(actor=w.rev, submission_id=sub.id, quality=3)
    queue = svc.list_queue(actor=w.rita, filters=QueueFilter(claimable=True))
    assert [i.id for i in queue] == [sub.id]
    taken = svc.claim_next(actor=w.rita)
    assert taken.id == sub.id and taken.claimed_by == w.rita.pseudonym
    log = svc.get_submission(actor=w.admin, submission_id=sub.id).history
    assert log[-1].action == "claim" and "expired" in (log[-1].reason or "")
    with pytest.raises(ClaimedByAnother):
        svc.approve(actor=w.rev, submission_id=sub.id, quality=3)
    # Renewing one's own claim.
    clock.advance(minutes=20)
    renewed = svc.claim(actor=w.rita, submission_id=sub.id)
    assert renewed.lock_expires_at == clock() + svc.lock_ttl
    svc.approve(actor=w.rita, submission_id=sub.id, quality=2)


def test_disabled_account_and_changed_role_take_effect_at_once(world) -> None:
    svc, w = world.svc, world
    sub = w.submit()
    svc.set_disabled(actor=w.admin, name="rev")
    with pytest.raises(AuthenticationFailed):
        svc.claim(actor=w.rev, submission_id=sub.id)
    svc.set_disabled(actor=w.admin, name="rev", disabled=False)
    assert svc.claim(actor=w.rev, submission_id=sub.id).state is State.IN_REVIEW


def test_queue_filters(world, clock) -> None:
    svc, w = world.svc, world
    task = svc.publish_task(actor=w.admin, title="Spreadsheet", goal="Sum a column",
                            applications=["LibreOffice Calc"], difficulty="easy")
    a = w.submit(goal="Sum column B in Calc", task_id=task.id)
    clock.advance(seconds=1)
    b = w.submit(w.bob, goal="Rename a file in Nautilus")
    clock.advance(seconds=1)
    c = w.submit(w.bob, goal="Draft an e-mail")
    svc.claim(actor=w.rev, submission_id=c.id)

    def ids(**kw):
        return [i.id for i in svc.list_queue(actor=w.rita, filters=QueueFilter(**kw))]

    assert ids() == [a.id, b.id, c.id]
    assert ids(task_id=task.id) == [a.id]
    assert ids(application="LibreOffice Calc") == [a.id]
    assert ids(contributor=w.bob.pseudonym) == [b.id, c.id]
    assert ids(claimed_by=w.rev.pseudonym) == [c.id]
    assert ids(claimable=True) == [a.id, b.id]
    assert ids(text="RENAME") == [b.id]
    assert ids(states=(State.IN_REVIEW,)) == [c.id]
    assert ids(submitted_after=clock() - dt.timedelta(seconds=1)) == [b.id, c.id]
    assert [i.id for i in svc.list_queue(actor=w.rita, limit=1, offset=1)] == [b.id]
    item = svc.list_queue(actor=w.rita, filters=QueueFilter(task_id=task.id))[0]
    assert (item.task_title, item.goal, item.step_count) == ("Spreadsheet",
                                                            "Sum column B in Calc", 4)
    assert svc.queue_counts(actor=w.admin)["submitted"] == 2
    with pytest.raises(InvalidInput):
        svc.list_queue(actor=w.rita, limit=0)


def test_audit_log_is_append_only(world) -> None:
    sub = world.submit()
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        with world.svc.store.write() as s:
            s.execute(sa.update(m.Transition).where(m.Transition.submission_id == sub.id)
                      .values(reason="rewritten"))
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        with world.svc.store.write() as s:
            s.execute(sa.delete(m.Transition))
    assert len(audit(world.svc, sub.id)) == 2
