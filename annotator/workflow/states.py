"""The review state machine, as a table (pure: no database, no I/O, no Qt).

Every state change of a submission is one row of ``TRANSITIONS``: an action, the state it
starts from, the state it leads to, the roles allowed to do it, which party of the
submission the actor must be (its author, a reviewer who is not its author, or the reviewer
holding its claim), and what it needs (a reason, a comment, a quality score).  ``check()`` is
the only judge: the services call it inside the transaction that changes the row, and append
the transition to the audit log.

The lessons of CVAT and Label Studio (style.md part 2) built in: author and reviewer are
different columns and nobody reviews their own work; a request for changes goes back to the
author automatically (``changes_requested`` is the author's to resubmit, as a new version);
the claim is a lock with an expiry, enforced here rather than in a view; every transition is
logged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

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


class State(StrEnum):
    DRAFT = "draft"  # ingested with its consent, not yet in the queue
    SUBMITTED = "submitted"  # waiting in the review queue
    IN_REVIEW = "in_review"  # claimed by a reviewer, locked until the claim expires
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"  # back with its author, with comments
    REJECTED = "rejected"  # final, with a reason
    SUPERSEDED = "superseded"  # changes were requested and a new version was submitted
    WITHDRAWN = "withdrawn"  # content deleted, tombstone kept


class Action(StrEnum):
    SUBMIT = "submit"
    CLAIM = "claim"
    RELEASE = "release"
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"
    RESUBMIT = "resubmit"
    WITHDRAW = "withdraw"


class Role(StrEnum):
    CONTRIBUTOR = "contributor"
    REVIEWER = "reviewer"
    ADMIN = "admin"


class Party(StrEnum):
    AUTHOR = "author"  # the contributor who made the submission
    REVIEWER = "reviewer"  # anyone allowed to review who is not the author
    CLAIMANT = "claimant"  # the reviewer holding the claim (admins may release any claim)


class Needs(StrEnum):
    NOTHING = ""
    REASON = "reason"
    COMMENT = "comment"
    QUALITY = "quality"


ANYONE = frozenset(Role)
REVIEWERS = frozenset({Role.REVIEWER, Role.ADMIN})
VISIBLE_STATES = frozenset(State) - {State.WITHDRAWN}
QUEUE_STATES = (State.SUBMITTED, State.IN_REVIEW)

# Who sees a submission (its record, files, comments, history, checks), by state: its
# author always; reviewers and admins once it was submitted and until it is withdrawn;
# nobody else a draft (not yet submitted: the contributor's alone); admins the record of a
# withdrawn one (its content is gone: what is left is what the tombstone says).  Anyone
# else gets "not found", never "forbidden": the answer does not tell that it exists.
SUBMITTED_STATES = frozenset({State.SUBMITTED, State.IN_REVIEW, State.APPROVED,
                              State.CHANGES_REQUESTED, State.REJECTED, State.SUPERSEDED})
VISIBLE_TO: dict[Role, frozenset[State]] = {
    Role.CONTRIBUTOR: frozenset(),
    Role.REVIEWER: SUBMITTED_STATES,
    Role.ADMIN: SUBMITTED_STATES | {State.WITHDRAWN},
}


def may_see(role: Role | str, *, is_author: bool, state: State | str) -> bool:
    """Whether someone of ``role`` sees a submission in ``state`` (``VISIBLE_TO``)."""
    return is_author or State(state) in VISIBLE_TO[Role(role)]


@dataclass(frozen=True)
class Rule:
    action: Action
    source: State
    target: State
    roles: frozenset[Role]
    party: Party
    needs: Needs = Needs.NOTHING
    note: str = ""


TRANSITIONS: tuple[Rule, ...] = (
    Rule(Action.SUBMIT, State.DRAFT, State.SUBMITTED, ANYONE, Party.AUTHOR,
         note="the author sends an ingested, consented package to the queue"),
    Rule(Action.CLAIM, State.SUBMITTED, State.IN_REVIEW, REVIEWERS, Party.REVIEWER,
         note="takes the lock for the claim time (default 30 min)"),
    Rule(Action.CLAIM, State.IN_REVIEW, State.IN_REVIEW, REVIEWERS, Party.REVIEWER,
         note="only once the holder's lock expired, or by the holder to renew it"),
    Rule(Action.RELEASE, State.IN_REVIEW, State.SUBMITTED, REVIEWERS, Party.CLAIMANT,
         note="back to the queue; an admin may release anyone's claim"),
    Rule(Action.APPROVE, State.IN_REVIEW, State.APPROVED, REVIEWERS, Party.CLAIMANT,
         Needs.QUALITY, note="quality score 1-5; counts for payouts"),
    Rule(Action.REQUEST_CHANGES, State.IN_REVIEW, State.CHANGES_REQUESTED, REVIEWERS,
         Party.CLAIMANT, Needs.COMMENT,
         note="back to the author, with comments pinned to steps or time ranges"),
    Rule(Action.REJECT, State.IN_REVIEW, State.REJECTED, REVIEWERS, Party.CLAIMANT,
         Needs.REASON, note="final"),
    Rule(Action.RESUBMIT, State.CHANGES_REQUESTED, State.SUPERSEDED, ANYONE, Party.AUTHOR,
         note="the new version (previous_id = this one) enters as submitted"),
    *(
        Rule(Action.WITHDRAW, s, State.WITHDRAWN, ANYONE, Party.AUTHOR,
             note="deletes the content blobs only it used, keeps a tombstone; every "
             "version of the demonstration is withdrawn")
        for s in State if s is not State.WITHDRAWN
    ),
)

TABLE: dict[tuple[Action, State], Rule] = {(r.action, r.source): r for r in TRANSITIONS}
ACTION_ROLES: dict[Action, frozenset[Role]] = {r.action: r.roles for r in TRANSITIONS}
ACTION_PARTY: dict[Action, Party] = {r.action: r.party for r in TRANSITIONS}

VERBS = {
    Action.SUBMIT: "submit",
    Action.CLAIM: "claim",
    Action.RELEASE: "release the claim on",
    Action.APPROVE: "approve",
    Action.REQUEST_CHANGES: "request changes on",
    Action.REJECT: "reject",
    Action.RESUBMIT: "resubmit",
    Action.WITHDRAW: "withdraw",
}
PAST = {
    Action.SUBMIT: "submitted",
    Action.CLAIM: "claimed",
    Action.RELEASE: "released",
    Action.APPROVE: "approved",
    Action.REQUEST_CHANGES: "sent back for changes",
    Action.REJECT: "rejected",
    Action.RESUBMIT: "resubmitted",
    Action.WITHDRAW: "withdrawn",
}
# How each state reads to people, in every face (lists, details, messages).
STATE_LABELS = {
    State.DRAFT: "Draft (not submitted)",
    State.SUBMITTED: "Waiting for review",
    State.IN_REVIEW: "In review",
    State.APPROVED: "Approved",
    State.CHANGES_REQUESTED: "Changes requested",
    State.REJECTED: "Rejected",
    State.SUPERSEDED: "Superseded by a newer version",
    State.WITHDRAWN: "Withdrawn (content deleted)",
}


def state_label(state: str) -> str:
    """The label of a state given as a ``State`` or its value (unknown values as given)."""
    try:
        return STATE_LABELS[State(state)]
    except ValueError:
        return str(state)
CLI_HINTS = {
    Action.SUBMIT: "annotator submit DIR",
    Action.CLAIM: "annotator review claim ID",
    Action.RELEASE: "annotator review release ID",
    Action.APPROVE: "annotator review approve ID --quality N",
    Action.REQUEST_CHANGES: "annotator review request-changes ID --comment TEXT",
    Action.REJECT: "annotator review reject ID --reason TEXT",
    Action.RESUBMIT: "annotator submit DIR --resubmit-of ID",
    Action.WITHDRAW: "annotator withdraw ID",
}


@dataclass(frozen=True)
class ActorView:
    user_id: int
    role: Role
    label: str  # the pseudonym, for messages


@dataclass(frozen=True)
class SubjectView:
    id: int
    state: State
    author_id: int
    claimed_by_id: int | None = None
    claimed_by_label: str | None = None
    lock_expires_at: dt.datetime | None = None


def allowed_actions(state: State) -> list[Action]:
    return [r.action for r in TRANSITIONS if r.source is state]


def lock_held(subject: SubjectView, now: dt.datetime) -> bool:
    return (subject.claimed_by_id is not None and subject.lock_expires_at is not None
            and subject.lock_expires_at > now)


def check_role(action: Action, actor: ActorView, *, verb: str | None = None) -> None:
    """Refuse an actor whose role may never do ``action`` (a contributor reviewing...)."""
    roles = ACTION_ROLES[Action(action)]
    if actor.role not in roles:
        who = " and ".join(sorted(f"{r}s" for r in roles))
        raise PermissionDenied(
            f"Only {who} can {verb or VERBS[Action(action)]} submissions; you ({actor.label}) "
            f"are a {actor.role}.",
            "Sign in as a user with that role (--user NAME), or ask an admin for it.",
        )


def check(
    action: Action,
    *,
    actor: ActorView,
    subject: SubjectView,
    now: dt.datetime,
    reason: str | None = None,
    comments: int = 0,
    quality: int | None = None,
    verb: str | None = None,
    past: str | None = None,
) -> Rule:
    """The rule that allows ``actor`` to do ``action`` on ``subject`` now, or the error that
    says why not.  Checks, in order: role, party (author / not the author / claim holder),
    state, claim lock, and what the action needs."""
    action = Action(action)
    state = State(subject.state)
    sid = f"#{subject.id}"
    verb = verb or VERBS[action]
    past = past or PAST[action]
    check_role(action, actor, verb=verb)
    party = ACTION_PARTY[action]
    is_author = actor.user_id == subject.author_id
    if party is Party.AUTHOR and not is_author:
        raise NotAuthor(
            f"Only the contributor who made submission {sid} can {verb} it.",
            "Ask its contributor to do it." if action is not Action.WITHDRAW else
            "Ask its contributor to withdraw it, or reject it with a reason.",
        )
    if party in (Party.REVIEWER, Party.CLAIMANT) and is_author:
        raise OwnSubmission(
            f"You cannot {verb} submission {sid}: it is your own, and nobody reviews their "
            "own submission.",
            "Another reviewer has to review it.",
        )
    rule = TABLE.get((action, state))
    if rule is None:
        sources = [r.source.value for r in TRANSITIONS if r.action is action]
        allowed = [a.value for a in allowed_actions(state)]
        raise ForbiddenTransition(
            f"Cannot {verb} submission {sid}: its state is “{STATE_LABELS[state]}” "
            f"({state.value}); "
            f"only {' or '.join(sources)} submissions can be {past}.",
            (f"From {state.value}, the possible actions are: {', '.join(allowed)}."
             if allowed else f"Nothing can be done with a {state.value} submission."),
        )
    held = lock_held(subject, now)
    mine = subject.claimed_by_id == actor.user_id
    other = subject.claimed_by_label or "another reviewer"
    if action is Action.CLAIM and state is State.IN_REVIEW and held and not mine:
        raise ClaimedByAnother(
            f"Submission {sid} is being reviewed by {other} until "
            f"{_t(subject.lock_expires_at)}.",
            "Claim another one (annotator review claim --next), or wait until that claim "
            "expires.",
        )
    if party is Party.CLAIMANT:
        admin_release = action is Action.RELEASE and actor.role is Role.ADMIN
        if not mine and not admin_release:
            if held:
                raise ClaimedByAnother(
                    f"Cannot {verb} submission {sid}: {other} has claimed it until "
                    f"{_t(subject.lock_expires_at)}.",
                    "Only the reviewer holding the claim can decide; pick another "
                    "submission.",
                )
            raise NotClaimed(
                f"Cannot {verb} submission {sid}: you have not claimed it.",
                f"Claim it first: {CLI_HINTS[Action.CLAIM].replace('ID', str(subject.id))}.",
            )
        if mine and not held and action is not Action.RELEASE:
            raise LockExpired(
                f"Your claim on submission {sid} expired at {_t(subject.lock_expires_at)}.",
                f"Claim it again ({CLI_HINTS[Action.CLAIM].replace('ID', str(subject.id))}) "
                "and repeat your decision.",
            )
    if rule.needs is Needs.REASON and not (reason and reason.strip()):
        raise ReasonRequired(
            f"Rejecting submission {sid} needs a reason.",
            "Say why, for example: --reason 'task not done: the file was never saved'.",
        )
    if rule.needs is Needs.COMMENT and comments < 1:
        raise ReasonRequired(
            f"Requesting changes on submission {sid} needs at least one comment.",
            "Say what to change, pinned to a step (--step N) or a time range "
            "(--at START-END) where you can.",
        )
    if rule.needs is Needs.QUALITY and (
        quality is None or isinstance(quality, bool) or not isinstance(quality, int)
        or not 1 <= quality <= 5
    ):
        raise InvalidInput(
            f"Approving submission {sid} needs a quality score from 1 to 5, not {quality!r}.",
            "Give --quality 1 (usable) to 5 (exemplary).",
        )
    return rule


def check_comment(*, actor: ActorView, subject: SubjectView, now: dt.datetime) -> None:
    """Commenting needs what deciding needs: a reviewer (not the author) holding an unexpired
    claim on a submission in review."""
    check(Action.APPROVE, actor=actor, subject=subject, now=now, quality=1,
          verb="comment on", past="commented on")


def _t(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "?"


def table_markdown() -> str:
    """The transition table as Markdown (docs/store.md carries a copy; a test compares)."""
    lines = ["| action | from | to | roles | who | needs | note |",
             "|---|---|---|---|---|---|---|"]
    seen_withdraw = False
    for r in TRANSITIONS:
        if r.action is Action.WITHDRAW:
            if seen_withdraw:
                continue
            seen_withdraw = True
            source = "any state but withdrawn"
        else:
            source = r.source.value
        lines.append(
            f"| {r.action.value} | {source} | {r.target.value} | "
            f"{', '.join(sorted(x.value for x in r.roles))} | {r.party.value} | "
            f"{r.needs.value or '-'} | {r.note} |"
        )
    return "\n".join(lines)
