"""The review state machine as a table (pure): every pair of action and state, allowed or
refused with a clear error, and the checks of role, party, claim lock and requirements."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest

from annotator.errors import AnnotatorError
from annotator.workflow import states as sm
from annotator.workflow.errors import (
    ClaimedByAnother,
    ForbiddenTransition,
    InvalidInput,
    LockExpired,
    NotAuthor,
    NotClaimed,
    OwnSubmission,
    PermissionDenied,
    ReasonRequired,
)
from annotator.workflow.states import Action, Role, State

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
AUTHOR = sm.ActorView(1, Role.CONTRIBUTOR, "c-author")
REVIEWER = sm.ActorView(2, Role.REVIEWER, "r-rev")
OTHER_REVIEWER = sm.ActorView(3, Role.REVIEWER, "r-other")
ADMIN = sm.ActorView(4, Role.ADMIN, "a-admin")
OTHER_CONTRIBUTOR = sm.ActorView(5, Role.CONTRIBUTOR, "c-other")
LATER = NOW + dt.timedelta(minutes=10)


def subject(state: State, *, claimed_by: sm.ActorView | None = None,
            expires: dt.datetime | None = LATER) -> sm.SubjectView:
    if state is State.IN_REVIEW and claimed_by is None:
        claimed_by = REVIEWER
    return sm.SubjectView(7, state, AUTHOR.user_id,
                          claimed_by.user_id if claimed_by else None,
                          claimed_by.label if claimed_by else None,
                          expires if claimed_by else None)


def right_actor(action: Action) -> sm.ActorView:
    return AUTHOR if sm.ACTION_PARTY[action] is sm.Party.AUTHOR else REVIEWER


def extras(action: Action) -> dict:
    return {"reason": "off task", "comments": 1, "quality": 3}


ALL_PAIRS = list(itertools.product(Action, State))


@pytest.mark.parametrize(("action", "state"), ALL_PAIRS,
                         ids=[f"{a.value}-from-{s.value}" for a, s in ALL_PAIRS])
def test_every_pair_is_allowed_or_refused(action: Action, state: State) -> None:
    allowed = (action, state) in sm.TABLE
    subj = subject(state)
    if action is Action.CLAIM and state is State.IN_REVIEW:
        subj = subject(state, expires=NOW - dt.timedelta(seconds=1))  # an expired claim
    if allowed:
        rule = sm.check(action, actor=right_actor(action), subject=subj, now=NOW,
                        **extras(action))
        assert rule.target is sm.TABLE[(action, state)].target
    else:
        with pytest.raises(ForbiddenTransition) as ei:
            sm.check(action, actor=right_actor(action), subject=subj, now=NOW, **extras(action))
        err = ei.value
        assert isinstance(err, AnnotatorError)
        assert f"#{subj.id}" in err.message and state.value in err.message
        assert err.hint  # says what can be done from this state


def test_the_table() -> None:
    targets = {(r.action, r.source): r.target for r in sm.TRANSITIONS}
    assert targets[(Action.SUBMIT, State.DRAFT)] is State.SUBMITTED
    assert targets[(Action.CLAIM, State.SUBMITTED)] is State.IN_REVIEW
    assert targets[(Action.APPROVE, State.IN_REVIEW)] is State.APPROVED
    assert targets[(Action.REQUEST_CHANGES, State.IN_REVIEW)] is State.CHANGES_REQUESTED
    assert targets[(Action.REJECT, State.IN_REVIEW)] is State.REJECTED
    assert targets[(Action.RESUBMIT, State.CHANGES_REQUESTED)] is State.SUPERSEDED
    for s in State:
        if s is not State.WITHDRAWN:
            assert targets[(Action.WITHDRAW, s)] is State.WITHDRAWN
    assert not [k for k in targets if k[1] is State.WITHDRAWN]  # nothing leaves withdrawn
    assert len(sm.TABLE) == len(sm.TRANSITIONS)  # no duplicate (action, state)


@pytest.mark.parametrize("action", [Action.CLAIM, Action.APPROVE, Action.REQUEST_CHANGES,
                                    Action.REJECT, Action.RELEASE])
def test_a_contributor_cannot_review(action: Action) -> None:
    with pytest.raises(PermissionDenied) as ei:
        sm.check(action, actor=OTHER_CONTRIBUTOR, subject=subject(State.IN_REVIEW), now=NOW,
                 **extras(action))
    assert "reviewers" in ei.value.message and "contributor" in ei.value.message


@pytest.mark.parametrize("action", [Action.CLAIM, Action.APPROVE, Action.REQUEST_CHANGES,
                                    Action.REJECT, Action.RELEASE])
def test_nobody_reviews_their_own_submission(action: Action) -> None:
    own = sm.ActorView(AUTHOR.user_id, Role.REVIEWER, "r-author")  # an author who reviews
    subj = sm.SubjectView(7, State.IN_REVIEW, own.user_id, own.user_id, own.label, LATER)
    with pytest.raises(OwnSubmission):
        sm.check(action, actor=own, subject=subj, now=NOW, **extras(action))
    admin_author = sm.ActorView(AUTHOR.user_id, Role.ADMIN, "a-author")
    with pytest.raises(OwnSubmission):
        sm.check(action, actor=admin_author, subject=subj, now=NOW, **extras(action))


@pytest.mark.parametrize("action", [Action.SUBMIT, Action.RESUBMIT, Action.WITHDRAW])
def test_only_the_author_submits_resubmits_and_withdraws(action: Action) -> None:
    for actor in (OTHER_CONTRIBUTOR, REVIEWER, ADMIN):
        with pytest.raises(NotAuthor):
            sm.check(action, actor=actor, subject=subject(State.DRAFT), now=NOW)


@pytest.mark.parametrize("action", [Action.APPROVE, Action.REQUEST_CHANGES, Action.REJECT,
                                    Action.RELEASE])
def test_a_reviewer_cannot_act_on_a_submission_claimed_by_another(action: Action) -> None:
    subj = subject(State.IN_REVIEW, claimed_by=OTHER_REVIEWER)
    with pytest.raises(ClaimedByAnother) as ei:
        sm.check(action, actor=REVIEWER, subject=subj, now=NOW, **extras(action))
    assert "r-other" in ei.value.message


def test_claiming_a_claimed_submission() -> None:
    held = subject(State.IN_REVIEW, claimed_by=OTHER_REVIEWER)
    with pytest.raises(ClaimedByAnother):
        sm.check(Action.CLAIM, actor=REVIEWER, subject=held, now=NOW)
    expired = subject(State.IN_REVIEW, claimed_by=OTHER_REVIEWER, expires=NOW)
    assert sm.check(Action.CLAIM, actor=REVIEWER, subject=expired, now=NOW).target \
        is State.IN_REVIEW
    mine = subject(State.IN_REVIEW, claimed_by=REVIEWER)  # renewing one's own claim
    assert sm.check(Action.CLAIM, actor=REVIEWER, subject=mine, now=NOW)


def test_deciding_needs_an_unexpired_claim_of_ones_own() -> None:
    expired_mine = subject(State.IN_REVIEW, claimed_by=REVIEWER, expires=NOW)
    with pytest.raises(LockExpired):
        sm.check(Action.APPROVE, actor=REVIEWER, subject=expired_mine, now=NOW, quality=3)
    expired_other = subject(State.IN_REVIEW, claimed_by=OTHER_REVIEWER, expires=NOW)
    with pytest.raises(NotClaimed):
        sm.check(Action.APPROVE, actor=REVIEWER, subject=expired_other, now=NOW, quality=3)
    # Releasing an expired claim of one's own is fine; an admin may release anyone's.
    assert sm.check(Action.RELEASE, actor=REVIEWER, subject=expired_mine, now=NOW)
    held_other = subject(State.IN_REVIEW, claimed_by=OTHER_REVIEWER)
    assert sm.check(Action.RELEASE, actor=ADMIN, subject=held_other, now=NOW)
    with pytest.raises(ClaimedByAnother):
        sm.check(Action.APPROVE, actor=ADMIN, subject=held_other, now=NOW, quality=3)


def test_requirements() -> None:
    s = subject(State.IN_REVIEW)
    with pytest.raises(ReasonRequired):
        sm.check(Action.REJECT, actor=REVIEWER, subject=s, now=NOW, reason="  ")
    with pytest.raises(ReasonRequired):
        sm.check(Action.REQUEST_CHANGES, actor=REVIEWER, subject=s, now=NOW, comments=0)
    for q in (None, 0, 6, 2.5, True):
        with pytest.raises(InvalidInput):
            sm.check(Action.APPROVE, actor=REVIEWER, subject=s, now=NOW, quality=q)
    for q in range(1, 6):
        assert sm.check(Action.APPROVE, actor=REVIEWER, subject=s, now=NOW, quality=q)


def test_errors_say_what_and_what_to_do() -> None:
    with pytest.raises(ForbiddenTransition) as ei:
        sm.check(Action.APPROVE, actor=REVIEWER, subject=subject(State.SUBMITTED), now=NOW,
                 quality=3)
    text = str(ei.value)
    assert "Cannot approve submission #7: its state is “Waiting for review” (submitted)" in text
    assert "only in_review submissions can be approved" in text
    assert "What to do: From submitted, the possible actions are: claim, withdraw." in text


def test_docs_carry_the_table() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "store.md").read_text()
    assert sm.table_markdown() in doc
