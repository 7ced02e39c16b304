"""The workflow contract: the operations every face offers, their typed ids and results.

``WorkflowServices`` is the one interface of the workflow.  ``annotator.workflow.service.Services``
implements it on a store (the embedded workspace and the team server's own process);
``annotator.remote.client.RemoteServices`` implements it over the team server's HTTP API;
the server's routes (``annotator.server.routes``) are thin adapters over it; the desktop views
and the CLI take a ``WorkflowServices`` and work on either (``TeamServices`` adds the team
face's outbox).  The type checker confirms both implementations (``_implements_contract`` in
each module, checked by the mypy stage of ``.ci/run``), and one behavioural suite
(``tests/contract``) runs every operation over both faces.

This module is pure: it imports no store, no SQL, no HTTP and no Qt, so any layer may depend
on it (an import contract in pyproject.toml keeps it so).  docs/workflow-contract.md tells
how to add an operation.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Any,
    BinaryIO,
    NamedTuple,
    NewType,
    Protocol,
    TypeVar,
    runtime_checkable,
)

from annotator.workflow import states as sm
from annotator.workflow.errors import (
    AuthenticationFailed,
    ClaimedByAnother,
    ClosedMonth,
    Conflict,
    ConsentError,
    ForbiddenTransition,
    InvalidInput,
    NotFound,
    OwnSubmission,
    PackageError,
    PermissionDenied,
    ReasonRequired,
    WorkflowError,
)
from annotator.workflow.states import Role, State

if TYPE_CHECKING:
    import pandas as pd

# -- typed ids ------------------------------------------------------------------------------------
# Plain ints on the wire and in the database; distinct types to the type checker, so that a
# task id is never passed where a submission id is meant.
UserId = NewType("UserId", int)
SubmissionId = NewType("SubmissionId", int)
TaskId = NewType("TaskId", int)
CommentId = NewType("CommentId", int)


# -- results ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Actor:
    """A signed-in user.  Services re-check it against the store on every call."""

    user_id: UserId
    pseudonym: str
    name: str
    role: Role
    must_change_passphrase: bool = False


@dataclass(frozen=True)
class UserInfo:
    pseudonym: str
    name: str | None
    role: str
    created_at: dt.datetime
    disabled_at: dt.datetime | None
    deleted_at: dt.datetime | None
    must_change_passphrase: bool


@dataclass(frozen=True)
class Invitation:
    user: UserInfo
    passphrase: str  # shown once: give it to the user, who changes it at first sign-in


@dataclass(frozen=True)
class TermsInfo:
    version: str
    sha256: str
    published_at: dt.datetime
    text: str


@dataclass(frozen=True)
class TaskInfo:
    id: TaskId
    title: str
    goal: str
    applications: tuple[str, ...]
    difficulty: str
    pay_cents: int | None
    published_at: dt.datetime
    closed_at: dt.datetime | None


@dataclass(frozen=True)
class SubmissionInfo:
    id: SubmissionId
    lineage: str
    version: int
    previous_id: SubmissionId | None
    contributor: str
    task_id: TaskId | None
    task_title: str | None
    state: State
    claimed_by: str | None
    lock_expires_at: dt.datetime | None
    reviewer: str | None
    quality: int | None
    decision_reason: str | None
    goal: str | None
    duration_us: int
    step_count: int
    total_bytes: int
    manifest_sha256: str
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    withdrawn_at: dt.datetime | None


class QueueItem(NamedTuple):
    """One line of the review queue (a named tuple: pages are built on every click)."""

    id: SubmissionId
    version: int
    contributor: str
    task_id: TaskId | None
    task_title: str | None
    goal: str | None
    state: State
    claimed_by: str | None
    lock_expires_at: dt.datetime | None
    submitted_at: dt.datetime | None
    duration_us: int
    step_count: int
    # The machine's findings (docs/signals.md): the highest severity (-1 not computed yet, 0
    # none, 1 low, 2 medium, 3 high) and how many signals.
    signal_severity: int = -1
    signal_count: int = 0


@dataclass(frozen=True)
class CommentIn:
    """A review comment: on the whole submission, a step (``step_index``, optionally its
    ``step_id`` from steps.json), or a time range in microseconds of the rendered video."""

    body: str
    step_index: int | None = None
    step_id: str | None = None
    t_start_us: int | None = None
    t_end_us: int | None = None


@dataclass(frozen=True)
class CommentInfo:
    id: CommentId
    submission_id: SubmissionId
    version: int
    author: str
    body: str
    step_index: int | None
    step_id: str | None
    t_start_us: int | None
    t_end_us: int | None
    created_at: dt.datetime
    signal_key: str | None = None  # the quality signal this comment answers


@dataclass(frozen=True)
class TransitionInfo:
    submission_id: SubmissionId
    at: dt.datetime
    action: str
    from_state: str | None
    to_state: str
    actor: str | None
    reason: str | None


@dataclass(frozen=True)
class FileInfo:
    path: str
    role: str
    sha256: str
    size: int


@dataclass(frozen=True)
class ConsentInfo:
    """A consent record: as the package carries it (``consent.json``, read by
    ``annotator.workflow.package.parse_consent``) and as the store keeps it (with
    ``withdrawn_at`` once withdrawn).  The one type for both."""

    record_id: str
    contributor: str
    terms_version: str
    terms_sha256: str
    purposes: tuple[str, ...]
    permitted_uses: tuple[str, ...]
    data_categories: tuple[str, ...]
    given_at: dt.datetime
    method: str
    manifest_sha256: str
    record_sha256: str
    status: str
    withdrawn_at: dt.datetime | None = None


@dataclass(frozen=True)
class SubmissionDetail:
    info: SubmissionInfo
    files: tuple[FileInfo, ...]
    comments: tuple[CommentInfo, ...]  # of this and every earlier version
    history: tuple[TransitionInfo, ...]  # of this and every earlier version
    consent: ConsentInfo
    versions: tuple[SubmissionId, ...]  # ids of every version of the demonstration, oldest first


@dataclass(frozen=True)
class QueueFilter:
    """Which submissions the queue shows (withdrawn ones never appear)."""

    states: tuple[State, ...] = sm.QUEUE_STATES
    task_id: TaskId | None = None
    contributor: str | None = None  # pseudonym
    claimed_by: str | None = None  # pseudonym, or "me"
    claimable: bool = False  # only what claim_next could give: waiting or with an expired lock
    application: str | None = None
    text: str | None = None  # in the goal
    submitted_after: dt.datetime | None = None
    submitted_before: dt.datetime | None = None
    include_own: bool = False
    signal: str | None = None  # only submissions with a quality signal of this kind
    order: str = "oldest"  # or "severity": the most serious signals first, then oldest




@dataclass(frozen=True)
class WithdrawResult:
    submission_ids: tuple[SubmissionId, ...]
    blobs_deleted: int
    already_withdrawn: tuple[SubmissionId, ...] = ()
    account_deleted: bool = False


@dataclass(frozen=True)
class RateInfo:
    effective_from: dt.datetime
    per_approved_minute_cents: int
    per_approved_task_cents: int
    currency: str
    created_at: dt.datetime



@dataclass(frozen=True)
class PayoutReport:
    month: str
    closed: bool
    closed_at: dt.datetime | None
    items: pd.DataFrame  # one row per approved submission (payouts.ITEM_COLUMNS)
    summary: pd.DataFrame  # one row per contributor (payouts.SUMMARY_COLUMNS)

    @property
    def total_cents(self) -> int:
        return int(self.items["amount_cents"].sum()) if len(self.items) else 0

    def to_csv(self, path: str | Path) -> Path:
        """The items, one row per approved submission, with the contributor's pseudonym (no
        payee details: those are never exported)."""
        path = Path(path)
        self.items.to_csv(path, index=False)
        return path


@dataclass(frozen=True)
class SignalReport:
    """The quality signals of a submission (docs/signals.md).  ``state``: ``done``,
    ``pending`` (not computed yet: the store computes them after verification) or
    ``failed`` (``error`` says why).  ``package_json`` is the package's signal set exactly as
    computed (the same bytes on every computer for the same package); ``records`` is every
    signal shown: the package's, then the store's (duplicates, length), with what the caller
    may not see left out (another contributor's name)."""

    submission_id: SubmissionId
    state: str
    algorithm_version: int | None
    computed_at: dt.datetime | None
    max_severity: str | None
    records: tuple[dict[str, Any], ...]
    package_json: str | None
    package_sha256: str | None
    error: str | None
    answers: tuple[CommentInfo, ...]  # the contributor's answers, by signal key


@dataclass(frozen=True)
class SignalRates:
    """Signals per contributor over time, for admins: one row per contributor and week
    (``contributor``, ``week`` (its Monday), ``submissions``, ``computed`` (with a signal set
    yet), ``flagged`` (with any signal), ``high``) and one field per kind in ``kinds`` (that
    week's submissions with it)."""

    rows: tuple[dict[str, Any], ...]
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class BlindReviewInfo:
    """A review that never changes its submission's state or pay: a copy of a gold item or a
    second, independent review.  The reviewer is not told which (``kind`` is shown to admins
    only: ``None`` otherwise).  ``decision``: approve, request_changes or reject, once made."""

    id: int
    submission_id: SubmissionId | None  # admins only: the reviewer is not told which it is
    assigned_at: dt.datetime
    kind: str | None = None
    decision: str | None = None
    quality: int | None = None
    decided_at: dt.datetime | None = None


@dataclass(frozen=True)
class BlindReviewPackage:
    """What a reviewer sees of a blind review's submission: the task, the package's files
    (read with ``open_blind_file``) and its quality signals; never its id, state, history,
    comments, reviewer or earlier versions, which would tell a gold copy or a second review
    from ordinary work."""

    review: BlindReviewInfo
    goal: str
    task_id: TaskId | None
    files: tuple[FileInfo, ...]
    signals: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class ReviewerAgreement:
    """How well reviewers review (admins).  ``reviewers``: one row per reviewer (``reviewer``,
    ``reviews`` (decisions and blind reviews), ``gold_reviews``, ``gold_correct``,
    ``gold_accuracy`` (share of gold reviews with the gold item's decision, None without
    any), ``median_review_s`` (claim to decision, or assignment to decision)).  Agreement is
    Cohen's kappa over pairs of independent reviews of one submission (its decision and a
    second review): unweighted on the decision (approve / request changes / reject) and
    quadratic-weighted on the 1-5 quality (pairs where both gave one); None with too few
    pairs.  ``disagreements``: submissions whose second review disagrees with the decision
    (the rule: an admin decides; the submission's state is unchanged until then)."""

    reviewers: tuple[dict[str, Any], ...]
    kappa_decision: float | None
    kappa_quality: float | None
    pairs: int
    quality_pairs: int
    disagreements: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class WorkStats:
    approved_minutes_per_week: pd.DataFrame  # week (Monday, UTC), approved, minutes
    queue_size_per_day: pd.DataFrame  # day (UTC), waiting (submitted + in review at day's end)
    rejection_reasons: pd.DataFrame  # reason, count

    def minutes_every_week(self, weeks: int, now: dt.datetime
                           ) -> list[tuple[pd.Timestamp, float]]:
        """Approved minutes for every week of the last ``weeks`` up to ``now`` (a week
        without approvals is 0, not missing; weeks reported outside it are kept), oldest
        first, each as its Monday (UTC)."""
        import pandas as pd

        weekly = self.approved_minutes_per_week
        got: dict[pd.Timestamp, float] = {}
        for w, v in zip(weekly.get("week", []), weekly.get("minutes", []), strict=False):
            t = pd.Timestamp(w)
            got[t.tz_convert("UTC") if t.tzinfo else t.tz_localize("UTC")] = float(v)
        today = pd.Timestamp(now).tz_convert("UTC").normalize()
        monday = today - pd.Timedelta(days=today.day_of_week)
        start = monday - pd.Timedelta(weeks=max(1, weeks) - 1)
        if got:
            start = min(start, min(got))
            monday = max(monday, max(got))
        out = []
        w = start
        while w <= monday:
            out.append((w, round(got.get(w, 0.0), 1)))
            w += pd.Timedelta(weeks=1)
        return out


# -- what each operation declares -----------------------------------------------------------------
@dataclass(frozen=True)
class Operation:
    """What the contract says of one operation besides its signature: the errors it raises
    (each has a case in tests/contract, on every face), the team server's route that serves
    it, and the CLI command that offers it (or why there is none)."""

    name: str
    raises: tuple[type[WorkflowError], ...]
    route: str | None  # "METHOD /v1/path/{param}"
    cli: str | None  # "review approve": the command path
    no_cli: str | None = None  # why the CLI does not offer it


_F = TypeVar("_F", bound=Callable[..., Any])


def operation(*, raises: Sequence[type[WorkflowError]] = (), route: str | None = None,
              cli: str | None = None, no_cli: str | None = None) -> Callable[[_F], _F]:
    """Declare an operation of ``WorkflowServices`` (see ``Operation``); the method itself
    is left as it is, so the type checker sees its signature."""

    def mark(fn: _F) -> _F:
        setattr(fn, "__operation__",  # noqa: B010 - an attribute functions do not declare
                Operation(fn.__name__, tuple(raises), route, cli, no_cli))
        return fn

    return mark


def operations() -> dict[str, Operation]:
    """Every operation of the contract, by name (the public methods of ``WorkflowServices``;
    one without an ``@operation`` declaration has ``raises=()`` and no route or CLI)."""
    out = {}
    for name, fn in vars(WorkflowServices).items():
        if name.startswith("_") or not callable(fn):
            continue
        out[name] = getattr(fn, "__operation__", None) or Operation(name, (), None, None)
    return out


# Errors that every operation acting for a signed-in user may raise.
_ACTS = (AuthenticationFailed,)


# -- the operations -------------------------------------------------------------------------------
@runtime_checkable
class WorkflowServices(Protocol):
    """The workflow operations, keyword-only.  Every operation that acts names its ``actor``
    (from ``sign_in``); a remote face ignores it (the access token says who acts) but takes
    it, so that callers are written once.  Errors are the classes of
    ``annotator.workflow.errors`` on every face: ``AuthenticationFailed``,
    ``PermissionDenied`` (role), ``NotFound`` (absent, or not yours to see), ``Conflict`` and
    ``ForbiddenTransition`` (state), ``InvalidInput`` and ``ReasonRequired`` (bad input),
    ``PackageError`` and its kinds (a refused package), ``SetupError``.

    The sections follow the modules of ``annotator.workflow.ops``."""

    @operation(raises=(), route=None, cli=None, no_cli="a clock, not an action")
    def now(self) -> dt.datetime:
        """The face's clock, timezone-aware UTC."""
        ...

    # -- accounts
    @operation(raises=(AuthenticationFailed,), route="POST /v1/auth/token", cli="remote login")
    def sign_in(self, *, name: str, passphrase: str) -> Actor: ...

    @operation(raises=(AuthenticationFailed, InvalidInput), route="POST /v1/me/passphrase",
               cli="users passwd")
    def change_passphrase(self, *, actor: Actor, current: str, new: str) -> Actor: ...

    @operation(raises=(PermissionDenied, InvalidInput, Conflict), route="POST /v1/users",
               cli="users add")
    def invite_user(self, *, actor: Actor, name: str, role: Role | str,
                    passphrase: str | None = None) -> Invitation: ...

    @operation(raises=(PermissionDenied, NotFound), route="POST /v1/users/{name}/reset",
               cli="users reset")
    def reset_passphrase(self, *, actor: Actor, name: str,
                         passphrase: str | None = None) -> str: ...

    @operation(raises=(PermissionDenied, NotFound, InvalidInput, Conflict),
               route="PUT /v1/users/{name}/role", cli="users role")
    def set_role(self, *, actor: Actor, name: str, role: Role | str) -> UserInfo: ...

    @operation(raises=(PermissionDenied, NotFound, Conflict),
               route="POST /v1/users/{name}/disable", cli="users disable")
    def set_disabled(self, *, actor: Actor, name: str, disabled: bool = True) -> UserInfo: ...

    @operation(raises=(PermissionDenied,), route="GET /v1/users", cli="users list")
    def list_users(self, *, actor: Actor, include_deleted: bool = False) -> list[UserInfo]: ...

    @operation(raises=(PermissionDenied, NotFound, InvalidInput, AuthenticationFailed),
               route="PUT /v1/users/{name}/payee", cli="users payee")
    def set_payee(self, *, actor: Actor, legal_name: str, payment_details: str,
                  passphrase: str | None = None, name: str | None = None) -> None: ...

    @operation(raises=(PermissionDenied, NotFound), route="GET /v1/users/{name}/payee", cli=None,
               no_cli="payee details are shown in the desktop app's settings only")
    def get_payee(self, *, actor: Actor, name: str | None = None) -> dict[str, Any] | None: ...

    # -- terms and tasks
    @operation(raises=(PermissionDenied, InvalidInput, Conflict), route="POST /v1/terms",
               cli="terms publish")
    def publish_terms(self, *, actor: Actor, version: str, text: str) -> TermsInfo: ...

    @operation(raises=(NotFound,), route="GET /v1/terms/{version}", cli="terms show")
    def get_terms(self, *, version: str | None = None) -> TermsInfo: ...

    @operation(raises=(), route="GET /v1/terms", cli="terms list")
    def list_terms(self) -> list[TermsInfo]: ...

    @operation(raises=(PermissionDenied, InvalidInput), route="POST /v1/tasks", cli="tasks publish")
    def publish_task(self, *, actor: Actor, title: str, goal: str, applications: Sequence[str],
                     difficulty: str = "medium", pay_cents: int | None = None) -> TaskInfo: ...

    @operation(raises=(PermissionDenied, NotFound), route="POST /v1/tasks/{task_id}/close",
               cli="tasks close")
    def close_task(self, *, actor: Actor, task_id: TaskId) -> TaskInfo: ...

    @operation(raises=(), route="GET /v1/tasks", cli="tasks list")
    def list_tasks(self, *, actor: Actor, include_closed: bool = False) -> list[TaskInfo]: ...

    # -- ingest
    @operation(raises=(PackageError, ConsentError, NotFound), route="POST /v1/uploads",
               cli="submit")
    def ingest_package(self, *, actor: Actor, folder: str | os.PathLike[str],
                       submit: bool = True, previous_id: SubmissionId | None = None
                       ) -> SubmissionInfo: ...

    @operation(raises=(NotFound, ForbiddenTransition), route="POST /v1/submissions/{sid}/submit",
               cli="submissions send")
    def submit(self, *, actor: Actor, submission_id: SubmissionId) -> SubmissionInfo: ...

    # -- review
    @operation(raises=(PermissionDenied, NotFound, OwnSubmission, ForbiddenTransition,
                       ClaimedByAnother),
               route="POST /v1/submissions/{sid}/claim", cli="review claim")
    def claim(self, *, actor: Actor, submission_id: SubmissionId) -> SubmissionInfo: ...

    @operation(raises=(PermissionDenied,), route="POST /v1/queue/claim-next", cli="review claim")
    def claim_next(self, *, actor: Actor, filters: QueueFilter | None = None
                   ) -> SubmissionInfo | None: ...

    @operation(raises=(NotFound, ClaimedByAnother), route="POST /v1/submissions/{sid}/release",
               cli="review release")
    def release(self, *, actor: Actor, submission_id: SubmissionId) -> SubmissionInfo: ...

    @operation(raises=(PermissionDenied, NotFound, ClaimedByAnother, InvalidInput),
               route="POST /v1/submissions/{sid}/comments", cli="review comment")
    def add_comment(self, *, actor: Actor, submission_id: SubmissionId, comment: CommentIn
                    ) -> CommentInfo: ...

    @operation(raises=(PermissionDenied, NotFound, ClaimedByAnother, InvalidInput),
               route="POST /v1/submissions/{sid}/approve", cli="review approve")
    def approve(self, *, actor: Actor, submission_id: SubmissionId, quality: int,
                note: str | None = None) -> SubmissionInfo: ...

    @operation(raises=(NotFound, ClaimedByAnother, InvalidInput, ReasonRequired),
               route="POST /v1/submissions/{sid}/request-changes", cli="review request-changes")
    def request_changes(self, *, actor: Actor, submission_id: SubmissionId,
                        comments: Sequence[CommentIn], reason: str | None = None
                        ) -> SubmissionInfo: ...

    @operation(raises=(NotFound, ClaimedByAnother, ReasonRequired),
               route="POST /v1/submissions/{sid}/reject", cli="review reject")
    def reject(self, *, actor: Actor, submission_id: SubmissionId, reason: str
               ) -> SubmissionInfo: ...

    # -- withdrawal
    @operation(raises=(NotFound, ForbiddenTransition), route="POST /v1/submissions/{sid}/withdraw",
               cli="withdraw")
    def withdraw(self, *, actor: Actor, submission_id: SubmissionId) -> WithdrawResult: ...

    @operation(raises=(Conflict,), route="POST /v1/me/withdraw-all", cli="withdraw")
    def withdraw_everything(self, *, actor: Actor, delete_account: bool = False
                            ) -> WithdrawResult: ...

    # -- queries
    @operation(raises=(NotFound,), route="GET /v1/submissions/{sid}", cli="submissions show")
    def get_submission(self, *, actor: Actor, submission_id: SubmissionId
                       ) -> SubmissionDetail: ...

    @operation(raises=(), route="GET /v1/submissions", cli="submissions list")
    def my_submissions(self, *, actor: Actor, include_withdrawn: bool = True
                       ) -> list[SubmissionInfo]: ...

    @operation(raises=(NotFound,), route="GET /v1/submissions/{sid}/history", cli=None,
               no_cli="`annotator submissions show` prints it, from get_submission")
    def history(self, *, actor: Actor, submission_id: SubmissionId
                ) -> list[TransitionInfo]: ...

    @operation(raises=(NotFound,), route="GET /v1/submissions/{sid}/files/{path}", cli=None,
               no_cli="files are played back in the desktop app; download-my-data writes them all")
    def open_file(self, *, actor: Actor, submission_id: SubmissionId, path: str
                  ) -> BinaryIO: ...

    @operation(raises=(PermissionDenied, InvalidInput), route="GET /v1/queue", cli="review list")
    def list_queue(self, *, actor: Actor, filters: QueueFilter | None = None, limit: int = 50,
                   offset: int = 0) -> list[QueueItem]: ...

    @operation(raises=(PermissionDenied,), route="GET /v1/queue/counts", cli="review counts")
    def queue_counts(self, *, actor: Actor) -> dict[str, int]: ...

    # -- payouts
    @operation(raises=(PermissionDenied, InvalidInput, Conflict), route="POST /v1/rates",
               cli="rates set")
    def set_rates(self, *, actor: Actor, per_approved_minute_cents: int,
                  per_approved_task_cents: int, currency: str = "EUR",
                  effective_from: dt.datetime | None = None) -> RateInfo: ...

    @operation(raises=(), route="GET /v1/rates", cli="rates list")
    def list_rates(self, *, actor: Actor) -> list[RateInfo]: ...

    @operation(raises=(PermissionDenied, InvalidInput), route="GET /v1/payouts/{month}",
               cli="payouts")
    def payouts(self, *, actor: Actor, month: str) -> PayoutReport: ...

    @operation(raises=(PermissionDenied, Conflict, ClosedMonth),
               route="POST /v1/payouts/{month}/close", cli="payouts")
    def close_month(self, *, actor: Actor, month: str) -> PayoutReport: ...

    @operation(raises=(PermissionDenied,), route="GET /v1/stats", cli=None,
               no_cli="charts: the desktop admin view draws them")
    def work_stats(self, *, actor: Actor, weeks: int = 12) -> WorkStats: ...

    # -- exports: what leaves the store
    @operation(raises=(PermissionDenied,), route="GET /v1/tombstones", cli=None,
               no_cli="exports read them (annotator export honours withdrawals)")
    def tombstones(self, *, actor: Actor, since: dt.datetime | None = None
                   ) -> list[dict[str, Any]]: ...

    @operation(raises=(Conflict,), route="GET /v1/me/data", cli="my-data")
    def download_my_data(self, *, actor: Actor, out_dir: str | os.PathLike[str]) -> Path: ...

    # -- quality signals
    @operation(raises=(NotFound,), route="GET /v1/submissions/{sid}/signals",
               cli="review signals")
    def submission_signals(self, *, actor: Actor, submission_id: SubmissionId
                           ) -> SignalReport: ...

    @operation(raises=(NotFound, PermissionDenied, InvalidInput),
               route="POST /v1/submissions/{sid}/signals/answers", cli="submissions answer")
    def answer_signal(self, *, actor: Actor, submission_id: SubmissionId, signal_key: str,
                      body: str) -> CommentInfo: ...

    # -- review quality: gold items, blind reviews, agreement
    @operation(raises=(NotFound, PermissionDenied, InvalidInput),
               route="POST /v1/submissions/{sid}/gold", cli="review mark-gold")
    def mark_gold(self, *, actor: Actor, submission_id: SubmissionId, decision: str,
                  quality: int | None = None, note: str | None = None) -> None: ...

    @operation(raises=(PermissionDenied, InvalidInput), route="PUT /v1/review-mix",
               cli="review set-mix")
    def set_review_mix(self, *, actor: Actor, gold_rate: float, second_rate: float
                       ) -> dict[str, float]: ...

    @operation(raises=(PermissionDenied,), route="POST /v1/blind-reviews/next",
               cli="review blind-next")
    def next_blind_review(self, *, actor: Actor) -> BlindReviewInfo | None: ...

    @operation(raises=(NotFound,), route="GET /v1/blind-reviews/{review_id}",
               cli="review blind-show")
    def open_blind_review(self, *, actor: Actor, review_id: int) -> BlindReviewPackage: ...

    @operation(raises=(NotFound,), route="GET /v1/blind-reviews/{review_id}/files/{path}",
               cli=None, no_cli="files are played back in the desktop app")
    def open_blind_file(self, *, actor: Actor, review_id: int, path: str) -> BinaryIO: ...

    @operation(raises=(NotFound, InvalidInput, Conflict),
               route="POST /v1/blind-reviews/{review_id}/decide", cli="review blind-decide")
    def decide_blind_review(self, *, actor: Actor, review_id: int, decision: str,
                            quality: int | None = None) -> BlindReviewInfo: ...

    @operation(raises=(PermissionDenied,), route="GET /v1/reviewers/agreement",
               cli="review agreement")
    def reviewer_agreement(self, *, actor: Actor) -> ReviewerAgreement: ...

    @operation(raises=(PermissionDenied, InvalidInput), route="GET /v1/signals/rates",
               cli="review signal-rates")
    def signal_rates(self, *, actor: Actor, weeks: int = 12) -> SignalRates: ...

# -- the team face's outbox -----------------------------------------------------------------------
class QueuedPackage(Protocol):
    """A consented package waiting to be sent (``annotator.remote.upload.UploadState``)."""

    @property
    def folder(self) -> str: ...

    @property
    def manifest_sha256(self) -> str: ...


class PackageOutbox(Protocol):
    def pending(self) -> Sequence[QueuedPackage]: ...


@runtime_checkable
class TeamServices(WorkflowServices, Protocol):
    """The workflow over a team server, with the outbox of packages consented to but not yet
    accepted (``RemoteServices``).  Only the team face has one: on this computer's store a
    package is ingested when it is consented to."""

    @property
    def server(self) -> str: ...

    @property
    def outbox(self) -> PackageOutbox | None: ...

    def send_pending(self) -> list[SubmissionInfo | Exception]: ...

    def sign_out(self) -> None:
        """Revoke this sign-in's token on the server and forget it here."""

    def close(self) -> None:
        """Close the connection to the server."""
