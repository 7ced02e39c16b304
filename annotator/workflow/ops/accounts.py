"""Accounts: set-up, sign-in, invitations, passphrases, roles, payees."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from annotator.store import models as m
from annotator.workflow import states as sm
from annotator.workflow.auth import check_name, check_passphrase, new_passphrase, new_pseudonym
from annotator.workflow.contract import Actor, Invitation, UserInfo
from annotator.workflow.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotFound,
    SetupError,
)
from annotator.workflow.ops.core import ServiceCore
from annotator.workflow.states import Role
from annotator.workflow.terms import DEFAULT_TERMS_TEXT, DEFAULT_TERMS_VERSION, terms_sha256


class AccountOps(ServiceCore):
    """Users and their accounts."""

    def is_set_up(self) -> bool:
        with self.store.read() as s:
            return s.execute(sa.select(sa.func.count()).select_from(m.User)).scalar_one() > 0

    def setup_first_admin(self, *, name: str, passphrase: str,
                          must_change: bool = False) -> Actor:
        """Create the first admin (only on an empty store) and publish the default terms.
        ``must_change``: the passphrase was generated and shown (a terminal keeps it), so
        the admin must replace it before anything else, like any passphrase someone else saw."""
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
                          passphrase_hash=digest, must_change_passphrase=must_change,
                          created_at=now)
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
                    "Create the first admin: annotator users setup NAME",
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

    def verify_passphrase(self, *, actor: Actor, passphrase: str) -> None:
        """``AuthenticationFailed`` unless ``passphrase`` is the actor's current one."""
        with self.store.read() as s:
            stored = self._user(s, actor).passphrase_hash
        if not self.passphrases.verify(stored, passphrase or ""):
            raise AuthenticationFailed("The current passphrase is wrong.", "Type it again.")

    def set_payee(self, *, actor: Actor, legal_name: str, payment_details: str,
                  passphrase: str | None = None, name: str | None = None) -> None:
        """Record who to pay and how (yourself, or any user as an admin).  Kept apart from
        the pseudonymous records and never exported.  ``passphrase`` (the actor's current
        one) is checked when given; the team server asks for it (a token alone does not
        change where money goes)."""
        if not legal_name.strip() or not payment_details.strip():
            raise InvalidInput("Both the legal name and the payment details are needed.")
        if passphrase is not None:
            self.verify_passphrase(actor=actor, passphrase=passphrase)
        with self.store.write() as s:
            user = self._payee_owner(s, actor, name, doing="set other users' payee details")
            payee = s.get(m.Payee, user.id)
            if payee is None:
                s.add(m.Payee(user_id=user.id, legal_name=legal_name,
                              payment_details=payment_details, updated_at=self.now()))
            else:
                payee.legal_name = legal_name
                payee.payment_details = payment_details
                payee.updated_at = self.now()

    def _payee_owner(self, s: Session, actor: Actor, name: str | None, *, doing: str) -> m.User:
        """The actor, or (admins only) the user named."""
        me = self._user(s, actor)
        if name is None or name == me.name:
            return me
        self._require(s, actor, Role.ADMIN, doing=doing)
        return self._by_name(s, name)

    def get_payee(self, *, actor: Actor, name: str | None = None) -> dict[str, Any] | None:
        with self.store.read() as s:
            user = self._payee_owner(s, actor, name, doing="read other users' payee details")
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
