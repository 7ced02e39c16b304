"""The workflow services: users, terms, tasks, submission, review, withdrawal, payouts.

Qt-free and transport-free: the desktop views, the CLI and the tests call the same methods.
Every call is keyword-only, names its ``actor`` (an ``Actor`` from ``sign_in``), re-reads the
actor's role inside the transaction (a disabled account or a changed role takes effect at
once), checks the transition against the table in ``annotator.workflow.states``, and
appends every state change to the audit log in the same transaction.  Results are plain
frozen dataclasses, never database rows.

Locking: each state change locks the submission's row (PostgreSQL: ``SELECT ... FOR UPDATE``;
``claim_next`` uses ``FOR UPDATE SKIP LOCKED`` so that concurrent reviewers never get the same
item); on SQLite every write transaction starts with ``BEGIN IMMEDIATE`` (a single writer).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from annotator.store import models as m
from annotator.store.blobs import StagedBlob, sha256_file
from annotator.store.db import Store, relaxed_commit
from annotator.store.errors import BlobHashMismatch
from annotator.store.fastsql import Prepared
from annotator.store.refs import FileRef, add_refs, release_refs
from annotator.workflow import states as sm
from annotator.workflow.auth import (
    Passphrases,
    check_name,
    check_passphrase,
    new_passphrase,
    new_pseudonym,
)
from annotator.workflow.errors import (
    AuthenticationFailed,
    Conflict,
    ConsentError,
    InvalidInput,
    NotFound,
    PackageError,
    PackageHashMismatch,
    PermissionDenied,
    SetupError,
    UnknownTerms,
)
from annotator.workflow.package import Package, read_package
from annotator.workflow.states import Action, Role, State
from annotator.workflow.terms import DEFAULT_TERMS_TEXT, DEFAULT_TERMS_VERSION, terms_sha256

DEFAULT_LOCK_TTL = dt.timedelta(minutes=30)
MAX_PAGE = 500
STAGING_THREADS = 6
_STATES = {s.value: s for s in State}

# Core tables, aliases and selects of the hot paths, built once: building ORM aliases on every
# call costs milliseconds (benchmarks/review_queue.py).
_U = m.User.__table__
_S = m.Submission.__table__
_TK = m.Task.__table__
_TR = m.Transition.__table__
_CONTRIB = _U.alias("contributor")
_CLAIMER = _U.alias("claimer")
_REVIEWER = _U.alias("reviewer")
_INFO = sa.select(
    _S.c.id, _S.c.lineage, _S.c.version, _S.c.previous_id, _CONTRIB.c.pseudonym, _S.c.task_id,
    _TK.c.title, _S.c.state, _CLAIMER.c.pseudonym, _S.c.lock_expires_at,
    _REVIEWER.c.pseudonym, _S.c.quality, _S.c.decision_reason, _S.c.goal, _S.c.duration_us,
    _S.c.step_count, _S.c.total_bytes, _S.c.manifest_sha256, _S.c.created_at,
    _S.c.submitted_at, _S.c.decided_at, _S.c.withdrawn_at,
).select_from(
    _S.join(_CONTRIB, _CONTRIB.c.id == _S.c.contributor_id)
    .outerjoin(_CLAIMER, _CLAIMER.c.id == _S.c.claimed_by_id)
    .outerjoin(_REVIEWER, _REVIEWER.c.id == _S.c.reviewer_id)
    .outerjoin(_TK, _TK.c.id == _S.c.task_id)
)
_QUEUE = sa.select(
    _S.c.id, _S.c.version, _CONTRIB.c.pseudonym, _S.c.task_id, _TK.c.title, _S.c.goal,
    _S.c.state, _CLAIMER.c.pseudonym, _S.c.lock_expires_at, _S.c.submitted_at,
    _S.c.duration_us, _S.c.step_count,
).select_from(
    _S.join(_CONTRIB, _CONTRIB.c.id == _S.c.contributor_id)
    .outerjoin(_CLAIMER, _CLAIMER.c.id == _S.c.claimed_by_id)
    .outerjoin(_TK, _TK.c.id == _S.c.task_id)
)
_ACTOR = sa.select(_U.c.id, _U.c.role, _U.c.pseudonym, _U.c.disabled_at,
                   _U.c.deleted_at).where(_U.c.id == sa.bindparam("uid"))
_ROW = sa.select(_S.c.id, _S.c.state, _S.c.contributor_id, _S.c.claimed_by_id,
                 _S.c.lock_expires_at)
_PSEUDONYM = sa.select(_U.c.pseudonym).where(_U.c.id == sa.bindparam("uid"))
_INFO_BY_ID = _INFO.where(_S.c.id == sa.bindparam("sid"))
# The queue's states as literals, so that SQLite can use the partial index of open items.
_OPEN = _S.c.state.in_([sa.literal_column(f"'{s}'") for s in ("submitted", "in_review")])
_QUEUE_PAGE = (
    _QUEUE.where(_OPEN, _S.c.contributor_id != sa.bindparam("me"))
    .order_by(_S.c.submitted_at, _S.c.id)
    .limit(sa.bindparam("lim")).offset(sa.bindparam("off"))
)


def _next(waiting: bool, pg: bool) -> sa.Select:
    cond = (_S.c.state == sa.literal_column("'submitted'") if waiting else sa.and_(
        _S.c.state == sa.literal_column("'in_review'"),
        _S.c.lock_expires_at <= sa.bindparam("now", type_=m.UTCDateTime())))
    q = (_ROW.where(cond, _S.c.contributor_id != sa.bindparam("me"))
         .order_by(_S.c.submitted_at, _S.c.id).limit(1))
    return q.with_for_update(skip_locked=True, of=_S) if pg else q


_LOG = Prepared(_TR.insert().values(
    submission_id=sa.bindparam("submission_id"), action=sa.bindparam("action"),
    from_state=sa.bindparam("from_state"), to_state=sa.bindparam("to_state"),
    actor_id=sa.bindparam("actor_id"), at=sa.bindparam("at", type_=m.UTCDateTime()),
    reason=sa.bindparam("reason", type_=sa.Text())))
_SET_CLAIM = Prepared(_S.update().where(_S.c.id == sa.bindparam("sid")).values(
    state=sa.bindparam("state"), claimed_by_id=sa.bindparam("claimer"),
    lock_expires_at=sa.bindparam("until", type_=m.UTCDateTime()),
    updated_at=sa.bindparam("now", type_=m.UTCDateTime())))
_NEXT_WAITING = {pg: Prepared(_next(True, pg)) for pg in (False, True)}
_NEXT_EXPIRED = {pg: Prepared(_next(False, pg)) for pg in (False, True)}
_ROW_BY_ID = {pg: Prepared(_ROW.where(_S.c.id == sa.bindparam("sid")).with_for_update())
              for pg in (False, True)}
_ACTOR_P = Prepared(_ACTOR)
_PSEUDONYM_P = Prepared(_PSEUDONYM)
_INFO_BY_ID_P = Prepared(_INFO_BY_ID)
_QUEUE_PAGE_P = Prepared(_QUEUE_PAGE)


class _Row(NamedTuple):
    id: int
    state: str
    contributor_id: int
    claimed_by_id: int | None
    lock_expires_at: dt.datetime | None


def _c(s: Session | sa.Connection) -> sa.Connection:
    """The connection under a session (flushed first: prepared statements bypass the ORM's
    autoflush) or the connection itself."""
    if isinstance(s, Session):
        s.flush()
        return s.connection()
    return s


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# -- results -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Actor:
    """A signed-in user.  Services re-check it against the store on every call."""

    user_id: int
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
    id: int
    title: str
    goal: str
    applications: tuple[str, ...]
    difficulty: str
    pay_cents: int | None
    published_at: dt.datetime
    closed_at: dt.datetime | None


@dataclass(frozen=True)
class SubmissionInfo:
    id: int
    lineage: str
    version: int
    previous_id: int | None
    contributor: str
    task_id: int | None
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

    id: int
    version: int
    contributor: str
    task_id: int | None
    task_title: str | None
    goal: str | None
    state: State
    claimed_by: str | None
    lock_expires_at: dt.datetime | None
    submitted_at: dt.datetime | None
    duration_us: int
    step_count: int


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
    id: int
    submission_id: int
    version: int
    author: str
    body: str
    step_index: int | None
    step_id: str | None
    t_start_us: int | None
    t_end_us: int | None
    created_at: dt.datetime


@dataclass(frozen=True)
class TransitionInfo:
    submission_id: int
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
    withdrawn_at: dt.datetime | None


@dataclass(frozen=True)
class SubmissionDetail:
    info: SubmissionInfo
    files: tuple[FileInfo, ...]
    comments: tuple[CommentInfo, ...]  # of this and every earlier version
    history: tuple[TransitionInfo, ...]  # of this and every earlier version
    consent: ConsentInfo
    versions: tuple[int, ...]  # ids of every version of the demonstration, oldest first


@dataclass(frozen=True)
class QueueFilter:
    """Which submissions the queue shows (withdrawn ones never appear)."""

    states: tuple[State, ...] = sm.QUEUE_STATES
    task_id: int | None = None
    contributor: str | None = None  # pseudonym
    claimed_by: str | None = None  # pseudonym, or "me"
    claimable: bool = False  # only what claim_next could give: waiting or with an expired lock
    application: str | None = None
    text: str | None = None  # in the goal
    submitted_after: dt.datetime | None = None
    submitted_before: dt.datetime | None = None
    include_own: bool = False


_NO_FILTER = QueueFilter()


@dataclass(frozen=True)
class WithdrawResult:
    submission_ids: tuple[int, ...]
    blobs_deleted: int
    already_withdrawn: tuple[int, ...] = ()
    account_deleted: bool = False


@dataclass(frozen=True)
class RateInfo:
    effective_from: dt.datetime
    per_approved_minute_cents: int
    per_approved_task_cents: int
    currency: str
    created_at: dt.datetime


@dataclass
class _Staging:
    staged: dict[str, StagedBlob] = field(default_factory=dict)
    verified_existing: set[str] = field(default_factory=set)


# -- the services -------------------------------------------------------------------------------
class Services:
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

    def _view(self, s: Session, actor: Actor) -> sm.ActorView:
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
        return Actor(user.id, user.pseudonym, user.name or "", Role(user.role),
                     bool(user.must_change_passphrase))

    @staticmethod
    def _user_info(u: m.User) -> UserInfo:
        return UserInfo(u.pseudonym, u.name, u.role, u.created_at, u.disabled_at, u.deleted_at,
                        bool(u.must_change_passphrase))

    # ---- set-up and users ---------------------------------------------------------------------
    def is_set_up(self) -> bool:
        with self.store.read() as s:
            return s.execute(sa.select(sa.func.count()).select_from(m.User)).scalar_one() > 0

    def setup_first_admin(self, *, name: str, passphrase: str) -> Actor:
        """Create the first admin (only on an empty store) and publish the default terms."""
        check_name(name)
        check_passphrase(passphrase)
        digest = self.passphrases.hash(passphrase)
        now = self.now()
        with self.store.write() as s:
            if s.execute(sa.select(sa.func.count()).select_from(m.User)).scalar_one():
                raise SetupError(
                    "This store is set up already: it has users.",
                    "Sign in as an admin and invite users with `annotator users add`.",
                )
            user = m.User(pseudonym=new_pseudonym("admin"), name=name, role=Role.ADMIN.value,
                          passphrase_hash=digest, created_at=now)
            s.add(user)
            s.flush()
            if not s.execute(sa.select(m.TermsVersion.id).limit(1)).first():
                s.add(m.TermsVersion(version=DEFAULT_TERMS_VERSION, text=DEFAULT_TERMS_TEXT,
                                     sha256=terms_sha256(DEFAULT_TERMS_TEXT), published_at=now,
                                     published_by_id=user.id))
            return self._actor(user)

    def sign_in(self, *, name: str, passphrase: str) -> Actor:
        """Check the passphrase against the stored Argon2id hash."""
        with self.store.read() as s:
            user = s.execute(sa.select(m.User).where(m.User.name == name)).scalar_one_or_none()
            if user is None and not s.execute(sa.select(m.User.id).limit(1)).first():
                raise SetupError(
                    "Nobody can sign in yet: this store has no users.",
                    "Create the first admin: annotator users setup --name NAME",
                )
        stored = user.passphrase_hash if user is not None else None
        ok = self.passphrases.verify(stored, passphrase)
        if not ok or user is None or user.disabled_at or user.deleted_at:
            raise AuthenticationFailed(
                f"Cannot sign in as {name!r}: wrong user name or passphrase, or the account is "
                "disabled.",
                "Check both; an admin can reset your passphrase (annotator users reset NAME).",
            )
        if stored and self.passphrases.needs_rehash(stored):
            with self.store.write() as s:
                s.execute(sa.update(m.User).where(m.User.id == user.id)
                          .values(passphrase_hash=self.passphrases.hash(passphrase)))
        return self._actor(user)

    def invite_user(self, *, actor: Actor, name: str, role: Role | str,
                    passphrase: str | None = None) -> Invitation:
        """Create an account; the passphrase (given or generated) must be changed at first
        sign-in."""
        check_name(name)
        try:
            role = Role(role)
        except ValueError:
            raise InvalidInput(f"{role!r} is not a role.",
                               f"Roles: {', '.join(r.value for r in Role)}.") from None
        secret = passphrase or new_passphrase()
        check_passphrase(secret)
        digest = self.passphrases.hash(secret)
        with self.store.write() as s:
            admin = self._require(s, actor, Role.ADMIN, doing="invite users")
            if s.execute(sa.select(m.User.id).where(m.User.name == name)).first():
                raise Conflict(f"There is already a user named {name!r}.",
                               "Choose another name, or reset that user's passphrase.")
            user = m.User(pseudonym=new_pseudonym(role.value), name=name, role=role.value,
                          passphrase_hash=digest, must_change_passphrase=True,
                          created_at=self.now(), created_by_id=admin.id)
            s.add(user)
            s.flush()
            return Invitation(self._user_info(user), secret)

    def reset_passphrase(self, *, actor: Actor, name: str, passphrase: str | None = None) -> str:
        secret = passphrase or new_passphrase()
        check_passphrase(secret)
        digest = self.passphrases.hash(secret)
        with self.store.write() as s:
            self._require(s, actor, Role.ADMIN, doing="reset passphrases")
            user = self._by_name(s, name)
            user.passphrase_hash = digest
            user.must_change_passphrase = True
        return secret

    def change_passphrase(self, *, actor: Actor, current: str, new: str) -> Actor:
        check_passphrase(new)
        if current == new:
            raise InvalidInput("The new passphrase is the same as the current one.",
                               "Choose a different one.")
        with self.store.read() as s:
            stored = self._user(s, actor).passphrase_hash
        if not self.passphrases.verify(stored, current):
            raise AuthenticationFailed("The current passphrase is wrong.", "Type it again.")
        digest = self.passphrases.hash(new)
        with self.store.write() as s:
            user = self._user(s, actor, lock=True)
            user.passphrase_hash = digest
            user.must_change_passphrase = False
            return self._actor(user)

    def set_disabled(self, *, actor: Actor, name: str, disabled: bool = True) -> UserInfo:
        with self.store.write() as s:
            admin = self._require(s, actor, Role.ADMIN, doing="disable or enable users")
            user = self._by_name(s, name)
            if disabled and user.role == Role.ADMIN.value:
                self._keep_an_admin(s, but=user.id)
            if disabled and user.id == admin.id:
                raise Conflict("You cannot disable your own account.",
                               "Ask another admin to do it.")
            user.disabled_at = self.now() if disabled else None
            return self._user_info(user)

    def list_users(self, *, actor: Actor, include_deleted: bool = False) -> list[UserInfo]:
        with self.store.read() as s:
            self._require(s, actor, Role.ADMIN, doing="list users")
            q = sa.select(m.User).order_by(m.User.id)
            if not include_deleted:
                q = q.where(m.User.deleted_at.is_(None))
            return [self._user_info(u) for u in s.execute(q).scalars()]

    def set_payee(self, *, actor: Actor, legal_name: str, payment_details: str,
                  name: str | None = None) -> None:
        """Record who to pay and how (yourself, or any user as an admin).  Kept apart from
        the pseudonymous records and never exported."""
        if not legal_name.strip() or not payment_details.strip():
            raise InvalidInput("Both the legal name and the payment details are needed.")
        with self.store.write() as s:
            me = self._user(s, actor)
            user = me
            if name is not None and name != me.name:
                self._require(s, actor, Role.ADMIN, doing="set other users' payee details")
                user = self._by_name(s, name)
            payee = s.get(m.Payee, user.id)
            if payee is None:
                s.add(m.Payee(user_id=user.id, legal_name=legal_name,
                              payment_details=payment_details, updated_at=self.now()))
            else:
                payee.legal_name = legal_name
                payee.payment_details = payment_details
                payee.updated_at = self.now()

    def get_payee(self, *, actor: Actor, name: str | None = None) -> dict[str, Any] | None:
        with self.store.read() as s:
            me = self._user(s, actor)
            user = me
            if name is not None and name != me.name:
                self._require(s, actor, Role.ADMIN, doing="read other users' payee details")
                user = self._by_name(s, name)
            payee = s.get(m.Payee, user.id)
            if payee is None:
                return None
            return {"pseudonym": user.pseudonym, "legal_name": payee.legal_name,
                    "payment_details": payee.payment_details, "updated_at": payee.updated_at}

    def _by_name(self, s: Session, name: str) -> m.User:
        user = s.execute(sa.select(m.User).where(m.User.name == name)
                         .with_for_update()).scalar_one_or_none()
        if user is None:
            raise NotFound(f"There is no user named {name!r}.",
                           "List the users with `annotator users list`.")
        return user

    def set_role(self, *, actor: Actor, name: str, role: str | Role) -> UserInfo:
        """Make a user a contributor, reviewer or admin, effective at their next request.
        Nobody changes their own role (so an admin always remains), and the claims of a
        reviewer who becomes a contributor go back to the queue."""
        try:
            new = Role(role)
        except ValueError:
            raise InvalidInput(f"{role!r} is not a role.",
                               f"Roles: {', '.join(r.value for r in Role)}.") from None
        with self.store.write() as s:
            admin = self._require(s, actor, Role.ADMIN, doing="change users' roles")
            user = self._by_name(s, name)
            if user.id == admin.id:
                raise Conflict("You cannot change your own role.", "Ask another admin to.")
            if user.deleted_at is not None:
                raise Conflict(f"The account {name!r} was deleted.")
            if new not in sm.REVIEWERS:
                self._return_claims(s, user, self.now(), by=admin.id,
                                    reason=f"reviewer became a {new.value}")
            user.role = new.value
            return self._user_info(user)

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

    # ---- terms ---------------------------------------------------------------------------------
    def publish_terms(self, *, actor: Actor, version: str, text: str) -> TermsInfo:
        version = (version or "").strip()
        if not version or len(version) > 32:
            raise InvalidInput(f"{version!r} cannot be a terms version (1-32 characters).")
        if not text.strip():
            raise InvalidInput("The terms text is empty.", "Give the full text to publish.")
        with self.store.write() as s:
            admin = self._require(s, actor, Role.ADMIN, doing="publish terms")
            if s.execute(sa.select(m.TermsVersion.id)
                         .where(m.TermsVersion.version == version)).first():
                raise Conflict(f"Terms version {version!r} was published already; a published "
                               "version never changes.", "Publish the new text as a new version.")
            t = m.TermsVersion(version=version, text=text, sha256=terms_sha256(text),
                               published_at=self.now(), published_by_id=admin.id)
            s.add(t)
            s.flush()
            return TermsInfo(t.version, t.sha256, t.published_at, t.text)

    def get_terms(self, *, version: str | None = None) -> TermsInfo:
        """A published version, or the latest one."""
        with self.store.read() as s:
            q = sa.select(m.TermsVersion)
            q = (q.where(m.TermsVersion.version == version) if version is not None
                 else q.order_by(m.TermsVersion.published_at.desc(), m.TermsVersion.id.desc()))
            t = s.execute(q.limit(1)).scalar_one_or_none()
            if t is None:
                raise NotFound(
                    "No terms were published yet." if version is None else
                    f"Terms version {version!r} was never published.",
                    "An admin publishes terms with `annotator terms publish`.",
                )
            return TermsInfo(t.version, t.sha256, t.published_at, t.text)

    def list_terms(self) -> list[TermsInfo]:
        with self.store.read() as s:
            return [TermsInfo(t.version, t.sha256, t.published_at, t.text) for t in s.execute(
                sa.select(m.TermsVersion).order_by(m.TermsVersion.published_at,
                                                   m.TermsVersion.id)).scalars()]

    # ---- tasks ---------------------------------------------------------------------------------
    @staticmethod
    def _task_info(t: m.Task) -> TaskInfo:
        return TaskInfo(t.id, t.title, t.goal, tuple(t.applications), t.difficulty, t.pay_cents,
                        t.published_at, t.closed_at)

    def publish_task(self, *, actor: Actor, title: str, goal: str, applications: Sequence[str],
                     difficulty: str = "medium", pay_cents: int | None = None) -> TaskInfo:
        if not title.strip() or not goal.strip():
            raise InvalidInput("A task needs a title and a goal.")
        if difficulty not in m.DIFFICULTIES:
            raise InvalidInput(f"{difficulty!r} is not a difficulty.",
                               f"Use one of: {', '.join(m.DIFFICULTIES)}.")
        if pay_cents is not None and (not isinstance(pay_cents, int) or pay_cents < 0):
            raise InvalidInput("The task's pay must be a whole number of cents, 0 or more.")
        apps = [a.strip() for a in applications if a and a.strip()]
        with self.store.write() as s:
            admin = self._require(s, actor, Role.ADMIN, doing="publish tasks")
            t = m.Task(title=title.strip(), goal=goal.strip(), applications=apps,
                       difficulty=difficulty, pay_cents=pay_cents, published_at=self.now(),
                       published_by_id=admin.id)
            s.add(t)
            s.flush()
            return self._task_info(t)

    def close_task(self, *, actor: Actor, task_id: int) -> TaskInfo:
        with self.store.write() as s:
            self._require(s, actor, Role.ADMIN, doing="close tasks")
            t = s.get(m.Task, task_id, with_for_update=True)
            if t is None:
                raise NotFound(f"There is no task #{task_id}.")
            t.closed_at = t.closed_at or self.now()
            return self._task_info(t)

    def list_tasks(self, *, actor: Actor, include_closed: bool = False) -> list[TaskInfo]:
        with self.store.read() as s:
            self._user(s, actor)
            q = sa.select(m.Task).order_by(m.Task.id)
            if not include_closed:
                q = q.where(m.Task.closed_at.is_(None))
            return [self._task_info(t) for t in s.execute(q).scalars()]

    # ---- ingest ----------------------------------------------------------------------------------
    def ingest_package(
        self,
        *,
        actor: Actor,
        folder: str | os.PathLike[str],
        submit: bool = True,
        previous_id: int | None = None,
    ) -> SubmissionInfo:
        """Store a rendered, consented package: check it, copy every file into the blob store
        (verifying its SHA-256 on the way), record the consent and the submission (as a draft,
        then submitted unless ``submit=False``).  ``previous_id`` makes it the next version of
        a submission whose changes were requested.  Nothing is stored if anything is wrong."""
        pkg = read_package(folder)
        with self.store.read() as s:
            self._check_package(s, actor, pkg, previous_id)
        staging = self._stage(pkg)
        try:
            with self.store.write() as s:
                sub = self._record(s, actor, pkg, staging, submit=submit,
                                   previous_id=previous_id)
                s.flush()
                info = self._info(s, sub.id)
            if hasattr(self.blobs, "sync"):
                self.blobs.sync({f.sha256 for f in pkg.files})
            return info
        finally:
            for st in staging.staged.values():
                self.blobs.discard(st)

    def _check_package(self, s: Session, actor: Actor, pkg: Package,
                       previous_id: int | None) -> m.TermsVersion:
        user = self._user(s, actor)
        c = pkg.consent
        where = str(pkg.folder / "consent.json")
        if c.contributor != user.pseudonym:
            raise ConsentError(
                f"{where}: the consent was given by {c.contributor!r}, but you are signed in as "
                f"{user.pseudonym}.",
                "Only the contributor who consented can submit: sign in as them, or consent "
                "again as yourself.",
            )
        terms = s.execute(sa.select(m.TermsVersion).where(
            m.TermsVersion.version == c.terms_version)).scalar_one_or_none()
        if terms is None:
            raise UnknownTerms(
                f"{where}: the consent names terms version {c.terms_version!r}, which was never "
                "published here.",
                "Consent again to the current terms (annotator terms show).",
            )
        if terms.sha256 != c.terms_sha256:
            raise UnknownTerms(
                f"{where}: the terms text consented to (SHA-256 {c.terms_sha256[:12]}…) is not "
                f"the published version {c.terms_version} ({terms.sha256[:12]}…).",
                "Consent again to the terms as published (annotator terms show).",
            )
        if c.given_at > self.now() + dt.timedelta(minutes=10):
            raise ConsentError(f"{where}: the consent is dated in the future ({c.given_at}).",
                               "Check this computer's clock, then consent again.")
        dup = s.execute(sa.select(m.Submission.id).where(
            m.Submission.manifest_sha256 == pkg.manifest_sha256,
            m.Submission.contributor_id == user.id,
            m.Submission.state != State.WITHDRAWN.value)).scalar()
        if dup is not None:
            raise PackageError(f"This package was submitted already, as submission #{dup}.",
                               "There is nothing more to do; see `annotator submissions`.")
        if s.execute(sa.select(m.ConsentRecord.id).where(
                m.ConsentRecord.record_id == c.record_id)).first():
            raise ConsentError(
                f"{where}: consent record {c.record_id} was used for another submission already.",
                "Each submission needs its own consent: consent again in the app.",
            )
        if previous_id is not None:  # refused before any byte is copied (checked again, locked)
            view = sm.ActorView(user.id, Role(user.role), user.pseudonym)
            prev = s.get(m.Submission, previous_id)
            if prev is None or (view.role is Role.CONTRIBUTOR and prev.contributor_id != user.id):
                raise NotFound(f"There is no submission #{previous_id} that you can see.",
                               "List yours with `annotator submissions`.")
            sm.check(Action.RESUBMIT, actor=view, subject=self._subject(s, prev), now=self.now())
        if pkg.task_id is not None:
            task = s.get(m.Task, pkg.task_id)
            if task is None:
                raise PackageError(f"The package answers task #{pkg.task_id}, which does not "
                                   "exist here.", "Choose a published task, or none.")
            if task.closed_at is not None and previous_id is None:
                raise PackageError(f"Task #{pkg.task_id} was closed on {task.closed_at:%Y-%m-%d}.",
                                   "Choose an open task, or none.")
        return terms

    def _stage(self, pkg: Package) -> _Staging:
        """Copy every file into staging, checking its SHA-256 and size on the way; several
        files at a time (hashing and fsync release the GIL).  Bytes the store holds already
        (or that appear twice in the package) are only checked."""
        staging = _Staging()
        first: dict[str, Any] = {}
        for e in pkg.files:
            first.setdefault(e.sha256, e)
        to_stage = [e for sha, e in first.items() if not self.blobs.exists(sha)]
        staged_ids = {id(e) for e in to_stage}
        to_verify = [e for e in pkg.files if id(e) not in staged_ids]
        staging.verified_existing = {e.sha256 for e in to_verify} - {e.sha256 for e in to_stage}

        def stage(e: Any) -> None:
            staging.staged[e.sha256] = self._stage_one(pkg, e)

        def verify(e: Any) -> None:
            self._verify_only(pkg, e)

        # Largest first, so that one big video does not finish last.
        jobs = sorted([(e.size, stage, e) for e in to_stage]
                      + [(e.size, verify, e) for e in to_verify], key=lambda j: -j[0])
        try:
            with ThreadPoolExecutor(max_workers=STAGING_THREADS) as pool:
                futures = [pool.submit(fn, e) for _size, fn, e in jobs]
                failed = None
                for fut in futures:
                    try:
                        fut.result()
                    except BaseException as exc:  # noqa: BLE001 - re-raised below
                        failed = failed or exc
                        for other in futures:
                            other.cancel()
                if failed is not None:
                    raise failed
        except BaseException:
            for st in list(staging.staged.values()):
                self.blobs.discard(st)
            raise
        return staging

    def _stage_one(self, pkg: Package, e: Any) -> StagedBlob:
        try:
            with open(pkg.folder / e.path, "rb") as fh:
                return self.blobs.stage(fh, expected_sha256=e.sha256, expected_size=e.size)
        except BlobHashMismatch as exc:
            raise PackageHashMismatch(
                f"{pkg.folder}: {e.path} no longer matches the content manifest "
                f"({exc.message.split(': ', 1)[-1].rstrip('.')}).",
                "The file changed after the package was made and consented to: render it "
                "again and consent again.",
            ) from None
        except OSError as exc:
            raise PackageError(f"{pkg.folder}: cannot read {e.path}: {exc.strerror or exc}.") from None

    def _verify_only(self, pkg: Package, e: Any) -> None:
        try:
            sha, size = sha256_file(pkg.folder / e.path)
        except OSError as exc:
            raise PackageError(f"{pkg.folder}: cannot read {e.path}: {exc.strerror or exc}.") from None
        if sha != e.sha256 or size != e.size:
            raise PackageHashMismatch(
                f"{pkg.folder}: {e.path} no longer matches the content manifest (SHA-256 {sha} "
                f"instead of {e.sha256}).",
                "The file changed after the package was made and consented to: render it "
                "again and consent again.",
            )

    def _record(self, s: Session, actor: Actor, pkg: Package, staging: _Staging, *,
                submit: bool, previous_id: int | None) -> m.Submission:
        now = self.now()
        terms = self._check_package(s, actor, pkg, previous_id)
        view = self._view(s, actor)
        c = pkg.consent
        lineage, version, prev = str(uuid.uuid4()), 1, None
        if previous_id is not None:
            prev = self._lock(s, previous_id, view)
            subject = self._subject(s, prev)
            rule = sm.check(Action.RESUBMIT, actor=view, subject=subject, now=now)
            lineage, version = prev.lineage, prev.version + 1
        consent = m.ConsentRecord(
            record_id=c.record_id, contributor_id=view.user_id, contributor_pseudonym=view.label,
            terms_version_id=terms.id, terms_version=terms.version, terms_sha256=terms.sha256,
            purposes=list(c.purposes), permitted_uses=list(c.permitted_uses),
            data_categories=list(c.data_categories), given_at=c.given_at, method=c.method,
            manifest_sha256=c.manifest_sha256, record_sha256=c.record_sha256, status="given",
            received_at=now,
        )
        s.add(consent)
        s.flush()
        summary = dict(pkg.summary)
        summary["outcome"] = pkg.outcome
        sub = m.Submission(
            lineage=lineage, version=version, previous_id=previous_id,
            contributor_id=view.user_id, task_id=pkg.task_id, consent_id=consent.id,
            package_id=pkg.package_id, manifest_sha256=pkg.manifest_sha256,
            state=State.DRAFT.value, goal=pkg.goal, summary=summary,
            duration_us=pkg.duration_us, step_count=pkg.step_count,
            total_bytes=pkg.total_bytes, created_at=now, updated_at=now,
        )
        s.add(sub)
        s.flush()
        self._log(s, sub.id, "ingest", None, State.DRAFT, view.user_id, now,
                  f"package {pkg.package_id}, consent {c.record_id}")
        add_refs(s, submission_id=sub.id, now=now, files=[
            FileRef(e.path, e.sha256, e.size, e.role) for e in pkg.files])
        # Bytes: promote what was staged; anything that was already stored must still be there
        # now that its row is locked (a concurrent withdrawal may have deleted it).
        for e in pkg.files:
            if e.sha256 in staging.staged:
                self.blobs.promote(staging.staged.pop(e.sha256))
            elif not self.blobs.exists(e.sha256):
                self.blobs.promote(self._stage_one(pkg, e))
        if prev is not None:
            self._apply(s, prev, rule, view.user_id, now, f"new version #{sub.id}")
        if submit or prev is not None:
            rule2 = sm.check(Action.SUBMIT, actor=view, subject=self._subject(s, sub), now=now)
            self._apply(s, sub, rule2, view.user_id, now,
                        f"resubmission of #{previous_id}" if prev is not None else None)
            sub.submitted_at = now
        return sub

    def submit(self, *, actor: Actor, submission_id: int) -> SubmissionInfo:
        """Send a draft to the review queue."""
        with self.store.write() as s:
            view = self._view(s, actor)
            sub = self._lock(s, submission_id, view, Action.SUBMIT)
            now = self.now()
            rule = sm.check(Action.SUBMIT, actor=view, subject=self._subject(s, sub), now=now)
            self._apply(s, sub, rule, view.user_id, now, None)
            sub.submitted_at = now
            return self._info(s, sub.id)

    # ---- helpers for transitions ---------------------------------------------------------------
    def _lock(self, s: Session, submission_id: int, view: sm.ActorView,
              action: Action | None = None) -> m.Submission:
        if action is not None:
            sm.check_role(action, view)  # a contributor trying to review learns just that
        sub = s.execute(sa.select(m.Submission).where(m.Submission.id == submission_id)
                        .with_for_update()).scalar_one_or_none()
        if sub is None or (view.role is Role.CONTRIBUTOR and sub.contributor_id != view.user_id):
            # Contributors do not learn whether other people's submissions exist.
            raise NotFound(f"There is no submission #{submission_id} that you can see.",
                           "List yours with `annotator submissions`.")
        return sub

    def _subject(self, s: Session, sub: m.Submission) -> sm.SubjectView:
        return self._subject_of(s, sub)

    def _subject_of(self, s: Session, row: Any) -> sm.SubjectView:
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

    # ---- review ----------------------------------------------------------------------------------
    def claim(self, *, actor: Actor, submission_id: int) -> SubmissionInfo:
        """Take a submission for review (or renew your own claim): locked until the claim
        expires."""
        with self.store.connect(write=True) as s:
            relaxed_commit(s)  # a claim is soft state: it expires anyway
            view = self._view(s, actor)
            sm.check_role(Action.CLAIM, view)
            found = _ROW_BY_ID[s.dialect.name == "postgresql"].first(s, {"sid": submission_id})
            if found is None:
                raise NotFound(f"There is no submission #{submission_id}.",
                               "List the queue with `annotator review list`.")
            self._claim(s, _Row(*found), view)
            return self._info(s, submission_id)

    def _claim(self, s: Session, row: Any, view: sm.ActorView) -> None:
        now = self.now()
        subject = self._subject_of(s, row)
        rule = sm.check(Action.CLAIM, actor=view, subject=subject, now=now)
        reason = None
        if subject.state is State.IN_REVIEW:
            reason = ("claim renewed" if subject.claimed_by_id == view.user_id else
                      f"claim of {subject.claimed_by_label} expired at "
                      f"{subject.lock_expires_at:%Y-%m-%d %H:%M:%S} UTC")
        conn = _c(s)
        _LOG.run(conn, {
            "submission_id": row.id, "action": rule.action.value,
            "from_state": subject.state.value, "to_state": rule.target.value,
            "actor_id": view.user_id, "at": now, "reason": reason})
        _SET_CLAIM.run(conn, {"sid": row.id, "state": rule.target.value,
                                  "claimer": view.user_id, "until": now + self.lock_ttl,
                                  "now": now})

    def claim_next(self, *, actor: Actor, filters: QueueFilter | None = None
                   ) -> SubmissionInfo | None:
        """Claim the oldest waiting submission (or one whose claim expired) that the actor may
        review; None if there is none.  Concurrent reviewers never get the same one
        (PostgreSQL: ``FOR UPDATE SKIP LOCKED``; SQLite: a single writer)."""
        f = filters or QueueFilter()
        with self.store.connect(write=True) as conn:
            relaxed_commit(conn)  # a claim is soft state: it expires anyway
            view = self._view(conn, actor)
            sm.check_role(Action.CLAIM, view)
            now = self.now()
            pg = conn.dialect.name == "postgresql"
            for waiting in (True, False):
                if f == _NO_FILTER:
                    found = (_NEXT_WAITING[pg] if waiting else _NEXT_EXPIRED[pg]).first(
                        conn, {"me": view.user_id, "now": now})
                else:
                    q = _ROW.where(_S.c.state == State.SUBMITTED.value if waiting else sa.and_(
                        _S.c.state == State.IN_REVIEW.value, _S.c.lock_expires_at <= now))
                    q = self._filtered(q, f, view, skip_states=True)
                    q = q.order_by(_S.c.submitted_at, _S.c.id).limit(1)
                    if pg:
                        q = q.with_for_update(skip_locked=True, of=_S)
                    found = conn.execute(q).first()
                row = _Row(*found) if found is not None else None
                if row is not None:
                    self._claim(conn, row, view)
                    return self._info(conn, row.id)
            return None

    def release(self, *, actor: Actor, submission_id: int) -> SubmissionInfo:
        """Give a claimed submission back to the queue."""
        with self.store.write() as s:
            relaxed_commit(s)  # losing a release in a crash only leaves the claim to expire
            view = self._view(s, actor)
            sub = self._lock(s, submission_id, view, Action.RELEASE)
            now = self.now()
            subject = self._subject(s, sub)
            rule = sm.check(Action.RELEASE, actor=view, subject=subject, now=now)
            reason = None if subject.claimed_by_id == view.user_id else \
                f"claim of {subject.claimed_by_label} released by an admin"
            self._apply(s, sub, rule, view.user_id, now, reason)
            sub.claimed_by_id = None
            sub.lock_expires_at = None
            return self._info(s, sub.id)

    def approve(self, *, actor: Actor, submission_id: int, quality: int,
                note: str | None = None) -> SubmissionInfo:
        with self.store.write() as s:
            view = self._view(s, actor)
            sub = self._lock(s, submission_id, view, Action.APPROVE)
            now = self.now()
            rule = sm.check(Action.APPROVE, actor=view, subject=self._subject(s, sub), now=now,
                            quality=quality)
            self._decide(s, sub, rule, view, now, note or None)
            sub.quality = quality
            return self._info(s, sub.id)

    def request_changes(self, *, actor: Actor, submission_id: int,
                        comments: Sequence[CommentIn], reason: str | None = None
                        ) -> SubmissionInfo:
        """Send a submission back to its author, with comments pinned to steps or time
        ranges."""
        with self.store.write() as s:
            view = self._view(s, actor)
            sub = self._lock(s, submission_id, view, Action.REQUEST_CHANGES)
            now = self.now()
            rule = sm.check(Action.REQUEST_CHANGES, actor=view, subject=self._subject(s, sub),
                            now=now, comments=len(comments))
            for c in comments:
                self._add_comment(s, sub, view, c, now)
            self._decide(s, sub, rule, view, now,
                         reason or f"{len(comments)} comment(s)")
            return self._info(s, sub.id)

    def reject(self, *, actor: Actor, submission_id: int, reason: str) -> SubmissionInfo:
        with self.store.write() as s:
            view = self._view(s, actor)
            sub = self._lock(s, submission_id, view, Action.REJECT)
            now = self.now()
            rule = sm.check(Action.REJECT, actor=view, subject=self._subject(s, sub), now=now,
                            reason=reason)
            self._decide(s, sub, rule, view, now, reason.strip())
            return self._info(s, sub.id)

    def add_comment(self, *, actor: Actor, submission_id: int, comment: CommentIn) -> CommentInfo:
        """A comment by the reviewer holding the claim, before deciding."""
        with self.store.write() as s:
            view = self._view(s, actor)
            sub = self._lock(s, submission_id, view, Action.APPROVE)
            now = self.now()
            sm.check_comment(actor=view, subject=self._subject(s, sub), now=now)
            c = self._add_comment(s, sub, view, comment, now)
            s.flush()
            return self._comment_info(c, sub.version, view.label)

    def _add_comment(self, s: Session, sub: m.Submission, view: sm.ActorView, c: CommentIn,
                     now: dt.datetime) -> m.Comment:
        body = (c.body or "").strip()
        if not body:
            raise InvalidInput("A comment needs some text.")
        if c.step_index is not None and not (0 <= c.step_index < max(sub.step_count, 0)):
            raise InvalidInput(
                f"Submission #{sub.id} has steps 0 to {sub.step_count - 1}; there is no step "
                f"{c.step_index}.", "Pin the comment to an existing step.")
        if (c.t_start_us is None) != (c.t_end_us is None) and c.t_end_us is not None:
            raise InvalidInput("A time range needs a start.")
        if c.t_start_us is not None:
            end = c.t_end_us if c.t_end_us is not None else c.t_start_us
            if c.t_start_us < 0 or end < c.t_start_us or end > sub.duration_us:
                raise InvalidInput(
                    f"The time range {c.t_start_us / 1e6:.3f}-{end / 1e6:.3f} s is outside "
                    f"submission #{sub.id} (0-{sub.duration_us / 1e6:.3f} s) or reversed.",
                    "Give START-END in seconds within the rendered video.")
        comment = m.Comment(submission_id=sub.id, author_id=view.user_id, body=body,
                            step_index=c.step_index, step_id=c.step_id,
                            t_start_us=c.t_start_us,
                            t_end_us=c.t_end_us if c.t_end_us is not None else c.t_start_us,
                            created_at=now)
        s.add(comment)
        return comment

    def _decide(self, s: Session, sub: m.Submission, rule: sm.Rule, view: sm.ActorView,
                now: dt.datetime, reason: str | None) -> None:
        self._apply(s, sub, rule, view.user_id, now, reason)
        sub.reviewer_id = view.user_id
        sub.decided_at = now
        sub.decision_reason = reason
        sub.claimed_by_id = None
        sub.lock_expires_at = None

    # ---- withdrawal ------------------------------------------------------------------------------
    def withdraw(self, *, actor: Actor, submission_id: int) -> WithdrawResult:
        """Withdraw a demonstration: every version of it.  Deletes the blobs only it used,
        marks the consent withdrawn, deletes the review comments, clears the content columns
        and keeps a tombstone (ids, hashes, time)."""
        with self.store.write() as s:
            view = self._view(s, actor)
            sub = self._lock(s, submission_id, view)
            sm_subject = self._subject(s, sub)
            if sub.state == State.WITHDRAWN.value:
                sm.check(Action.WITHDRAW, actor=view, subject=sm_subject, now=self.now())
            return self._withdraw_lineage(s, view, sub.lineage, cause="withdrawn")

    def _withdraw_lineage(self, s: Session, view: sm.ActorView, lineage: str, *,
                          cause: str) -> WithdrawResult:
        now = self.now()
        subs = s.execute(sa.select(m.Submission).where(m.Submission.lineage == lineage)
                         .order_by(m.Submission.id).with_for_update()).scalars().all()
        done, skipped, deleted = [], [], 0
        for sub in subs:
            if sub.state == State.WITHDRAWN.value:
                skipped.append(sub.id)
                continue
            subject = self._subject(s, sub)
            rule = sm.check(Action.WITHDRAW, actor=view, subject=subject, now=now)
            released = release_refs(s, self.blobs, submission_id=sub.id)
            deleted += len(released.deleted)
            consent = s.get(m.ConsentRecord, sub.consent_id, with_for_update=True)
            assert consent is not None
            consent.status = "withdrawn"
            consent.withdrawn_at = now
            s.add(m.Tombstone(
                submission_id=sub.id, lineage=sub.lineage, version=sub.version,
                contributor_pseudonym=view.label, consent_record_id=consent.record_id,
                manifest_sha256=sub.manifest_sha256, blob_sha256s=list(released.hashes),
                blobs_deleted=len(released.deleted), state_before=sub.state, cause=cause,
                withdrawn_at=now,
            ))
            s.execute(sa.delete(m.Comment).where(m.Comment.submission_id == sub.id))
            self._apply(s, sub, rule, view.user_id, now,
                        "account deleted" if cause == "account_deleted" else None)
            sub.withdrawn_at = now
            sub.goal = None
            sub.summary = None
            sub.claimed_by_id = None
            sub.lock_expires_at = None
            done.append(sub.id)
        return WithdrawResult(tuple(done), deleted, tuple(skipped))

    def withdraw_everything(self, *, actor: Actor, delete_account: bool = False
                            ) -> WithdrawResult:
        """Withdraw every demonstration of the actor; with ``delete_account``, also delete the
        payee details, the sign-in name and the passphrase (the pseudonym stays in the audit
        log, the consent records and the tombstones)."""
        with self.store.write() as s:
            user = self._user(s, actor, lock=True)
            view = sm.ActorView(user.id, Role(user.role), user.pseudonym)
            if delete_account and user.role == Role.ADMIN.value:
                self._keep_an_admin(s, but=user.id)
            lineages = s.execute(
                sa.select(m.Submission.lineage).where(
                    m.Submission.contributor_id == user.id,
                    m.Submission.state != State.WITHDRAWN.value)
                .group_by(m.Submission.lineage).order_by(sa.func.min(m.Submission.id))
            ).scalars().all()
            ids: list[int] = []
            deleted = 0
            cause = "account_deleted" if delete_account else "withdrawn"
            for lineage in lineages:
                r = self._withdraw_lineage(s, view, lineage, cause=cause)
                ids.extend(r.submission_ids)
                deleted += r.blobs_deleted
            if delete_account:
                s.execute(sa.delete(m.Payee).where(m.Payee.user_id == user.id))
                now = self.now()
                user.name = None
                user.passphrase_hash = None
                user.disabled_at = user.disabled_at or now
                user.deleted_at = now
                self._return_claims(s, user, now, by=user.id,
                                    reason="reviewer's account deleted")
            return WithdrawResult(tuple(ids), deleted, (), delete_account)

    # ---- reading ---------------------------------------------------------------------------------
    def _info_select(self) -> sa.Select:
        return _INFO

    @staticmethod
    def _row_info(r: Any) -> SubmissionInfo:
        values = list(r)
        values[7] = State(values[7])
        return SubmissionInfo(*values)

    def _info(self, s: Session, submission_id: int) -> SubmissionInfo:
        r = _INFO_BY_ID_P.first(_c(s), {"sid": submission_id})
        if r is None:
            raise NotFound(f"There is no submission #{submission_id}.")
        return self._row_info(r)

    def get_submission(self, *, actor: Actor, submission_id: int) -> SubmissionDetail:
        with self.store.read() as s:
            view = self._view(s, actor)
            sub = s.get(m.Submission, submission_id)
            if sub is None or (view.role is Role.CONTRIBUTOR
                               and sub.contributor_id != view.user_id):
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
                TransitionInfo(tr.submission_id, tr.at, tr.action, tr.from_state, tr.to_state,
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

    @staticmethod
    def _consent_info(c: m.ConsentRecord) -> ConsentInfo:
        return ConsentInfo(c.record_id, c.contributor_pseudonym, c.terms_version,
                           c.terms_sha256, tuple(c.purposes), tuple(c.permitted_uses),
                           tuple(c.data_categories), c.given_at, c.method, c.manifest_sha256,
                           c.record_sha256, c.status, c.withdrawn_at)

    @staticmethod
    def _comment_info(c: m.Comment, version: int, author: str) -> CommentInfo:
        return CommentInfo(c.id, c.submission_id, version, author, c.body, c.step_index,
                           c.step_id, c.t_start_us, c.t_end_us, c.created_at)

    def open_file(self, *, actor: Actor, submission_id: int, path: str) -> BinaryIO:
        """Read one file of a submission's package (for playback and review)."""
        with self.store.read() as s:
            view = self._view(s, actor)
            sub = s.get(m.Submission, submission_id)
            if sub is None or (view.role is Role.CONTRIBUTOR
                               and sub.contributor_id != view.user_id):
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

    def _filtered(self, q: sa.Select, f: QueueFilter, view: sm.ActorView, *,
                  skip_states: bool = False) -> sa.Select:
        t = _S.c
        if not skip_states:
            states = [State(x).value for x in f.states if State(x) is not State.WITHDRAWN]
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
        return q

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
            if f == _NO_FILTER:  # the default page: a prepared statement
                rows = _QUEUE_PAGE_P.all(conn, params)
            else:
                q = self._filtered(_QUEUE, f, view).order_by(_S.c.submitted_at, _S.c.id)
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

    def tombstones(self, *, actor: Actor, since: dt.datetime | None = None
                   ) -> list[dict[str, Any]]:
        """Withdrawn submissions (for exports: what to delete from copies handed out)."""
        with self.store.read() as s:
            self._require(s, actor, Role.ADMIN, doing="list withdrawn submissions")
            q = sa.select(m.Tombstone).order_by(m.Tombstone.withdrawn_at, m.Tombstone.id)
            if since is not None:
                q = q.where(m.Tombstone.withdrawn_at >= since)
            return [_tombstone_dict(tb) for tb in s.execute(q).scalars()]

    # ---- rates and payouts -----------------------------------------------------------------------
    def set_rates(self, *, actor: Actor, per_approved_minute_cents: int,
                  per_approved_task_cents: int, currency: str = "EUR",
                  effective_from: dt.datetime | None = None) -> RateInfo:
        """New rates from ``effective_from`` (default now) on; earlier rates stay for earlier
        approvals.  A task's own pay, when set, replaces the per-task rate."""
        for v in (per_approved_minute_cents, per_approved_task_cents):
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise InvalidInput("Rates are whole numbers of cents, 0 or more.")
        currency = (currency or "").upper()
        if len(currency) != 3 or not currency.isalpha():
            raise InvalidInput(f"{currency!r} is not a currency code.", "Use e.g. EUR or USD.")
        now = self.now()
        start = effective_from or now
        with self.store.write() as s:
            admin = self._require(s, actor, Role.ADMIN, doing="set rates")
            closed = s.execute(sa.select(sa.func.max(m.PayoutMonth.month))).scalar()
            if closed and start.strftime("%Y-%m") <= closed:
                raise Conflict(f"Month {closed} is closed; rates cannot start in or before it.",
                               "Choose a start in an open month.")
            other = s.execute(sa.select(m.Rate.currency).where(m.Rate.currency != currency)
                              .limit(1)).scalar()
            if other:
                raise Conflict(f"Rates are in {other}; one store pays in one currency.")
            r = m.Rate(effective_from=start, per_approved_minute_cents=per_approved_minute_cents,
                       per_approved_task_cents=per_approved_task_cents, currency=currency,
                       created_at=now, created_by_id=admin.id)
            s.add(r)
            s.flush()
            return RateInfo(r.effective_from, r.per_approved_minute_cents,
                            r.per_approved_task_cents, r.currency, r.created_at)

    def list_rates(self, *, actor: Actor) -> list[RateInfo]:
        with self.store.read() as s:
            self._user(s, actor)
            return [RateInfo(r.effective_from, r.per_approved_minute_cents,
                             r.per_approved_task_cents, r.currency, r.created_at)
                    for r in s.execute(sa.select(m.Rate).order_by(m.Rate.effective_from,
                                                                  m.Rate.id)).scalars()]

    def payouts(self, *, actor: Actor, month: str):
        """The payout report of a month (``annotator.workflow.payouts.PayoutReport``)."""
        from annotator.workflow.payouts import report

        with self.store.read() as s:
            self._require(s, actor, Role.ADMIN, doing="see payouts")
            return report(s, month=month, now=self.now())

    def close_month(self, *, actor: Actor, month: str):
        """Record the month's payouts as paid and close it: it never changes again."""
        from annotator.workflow.payouts import close

        with self.store.write() as s:
            admin = self._require(s, actor, Role.ADMIN, doing="record payouts")
            return close(s, month=month, now=self.now(), admin_id=admin.id)

    def work_stats(self, *, actor: Actor, weeks: int = 12):
        """The admin's charts: approved minutes per week, queue size per day, rejection
        reasons (``annotator.workflow.payouts.WorkStats``, pandas DataFrames)."""
        from annotator.workflow.payouts import work_stats

        with self.store.read() as s:
            self._require(s, actor, Role.ADMIN, Role.REVIEWER, doing="see the work's figures")
            now = self.now()
            return work_stats(s, since=now - dt.timedelta(weeks=weeks), now=now)

    # ---- download my data ----------------------------------------------------------------------
    def my_data(self, *, actor: Actor) -> dict[str, Any]:
        """Everything the store holds about the actor, as data (``annotator.workflow.mydata``
        writes it out as files, with the submissions' files)."""
        with self.store.read() as s:
            user = self._user(s, actor)
            account = {
                "pseudonym": user.pseudonym, "name": user.name, "role": user.role,
                "created_at": user.created_at, "disabled_at": user.disabled_at,
                "must_change_passphrase": bool(user.must_change_passphrase),
                "passphrase": "stored only as an Argon2id hash, not included",
            }
            payee = s.get(m.Payee, user.id)
            payee_d = None if payee is None else {
                "legal_name": payee.legal_name, "payment_details": payee.payment_details,
                "updated_at": payee.updated_at}
            consents = [asdict(self._consent_info(c)) for c in s.execute(
                sa.select(m.ConsentRecord).where(m.ConsentRecord.contributor_id == user.id)
                .order_by(m.ConsentRecord.id)).scalars()]
            terms_versions = sorted({c["terms_version"] for c in consents})
            terms = {t.version: t.text for t in s.execute(sa.select(m.TermsVersion).where(
                m.TermsVersion.version.in_(terms_versions))).scalars()}
            subs = []
            for info in [self._row_info(r) for r in s.connection().execute(
                    _INFO.where(_S.c.contributor_id == user.id).order_by(_S.c.id))]:
                d = asdict(info)
                d["history"] = [asdict(TransitionInfo(tr.submission_id, tr.at, tr.action,
                                                      tr.from_state, tr.to_state, None,
                                                      tr.reason))
                                for tr in s.execute(sa.select(m.Transition).where(
                                    m.Transition.submission_id == info.id)
                                    .order_by(m.Transition.id)).scalars()]
                d["comments"] = [{"body": c.body, "step_index": c.step_index,
                                  "step_id": c.step_id, "t_start_us": c.t_start_us,
                                  "t_end_us": c.t_end_us, "created_at": c.created_at}
                                 for c in s.execute(sa.select(m.Comment).where(
                                     m.Comment.submission_id == info.id)
                                     .order_by(m.Comment.id)).scalars()]
                d["files"] = [{"path": f.path, "role": f.role, "sha256": f.sha256,
                               "size": f.size}
                              for f in s.execute(sa.select(m.SubmissionBlob).where(
                                  m.SubmissionBlob.submission_id == info.id)
                                  .order_by(m.SubmissionBlob.path)).scalars()]
                subs.append(d)
            tombs = [_tombstone_dict(tb) for tb in s.execute(
                sa.select(m.Tombstone).where(
                    m.Tombstone.contributor_pseudonym == user.pseudonym)
                .order_by(m.Tombstone.id)).scalars()]
            payouts = [{"month": p.month, "items": p.item_count, "approved_us": p.approved_us,
                        "amount_cents": p.amount_cents, "currency": p.currency,
                        "paid_at": p.paid_at}
                       for p in s.execute(sa.select(m.Payout).where(
                           m.Payout.contributor_id == user.id)
                           .order_by(m.Payout.month)).scalars()]
        return {"as_of": self.now(), "account": account, "payee": payee_d,
                "consent_records": consents, "terms": terms, "submissions": subs,
                "withdrawn": tombs, "payouts": payouts}

    def download_my_data(self, *, actor: Actor, out_dir: str | os.PathLike[str]) -> Path:
        """Write everything the store holds about the actor into a new folder, as files."""
        from annotator.workflow.mydata import check_empty, write_my_data

        out = check_empty(out_dir)
        return write_my_data(out, self.my_data(actor=actor),
                             lambda _sid, _path, sha: self.blobs.open(sha))


def _tombstone_dict(tb: m.Tombstone) -> dict[str, Any]:
    return {"submission_id": tb.submission_id, "lineage": tb.lineage, "version": tb.version,
            "contributor": tb.contributor_pseudonym, "consent_record_id": tb.consent_record_id,
            "manifest_sha256": tb.manifest_sha256, "blob_sha256s": list(tb.blob_sha256s),
            "blobs_deleted": tb.blobs_deleted, "state_before": tb.state_before,
            "cause": tb.cause, "withdrawn_at": tb.withdrawn_at}

