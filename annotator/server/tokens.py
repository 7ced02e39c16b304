"""Personal access tokens: opaque, random, stored only as their SHA-256, with an expiry, a
scope (``full`` or ``read``) and immediate revocation.  A passphrase only ever buys a token
(``Services.sign_in`` checks it against the Argon2id hash); every other request carries the
token as ``Authorization: Bearer ...`` and costs one indexed lookup.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from annotator.store import models as m
from annotator.store.server_models import TOKEN_SCOPES, ApiToken
from annotator.workflow.errors import AuthenticationFailed, InvalidInput, NotFound
from annotator.workflow.service import Actor
from annotator.workflow.states import Role

PREFIX = "ann_"
LAST_USED_EVERY = dt.timedelta(minutes=1)  # do not write on every request


@dataclass(frozen=True)
class Principal:
    actor: Actor
    token_id: int
    scope: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    scope: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue(s: Session, *, actor: Actor, name: str, scope: str, ttl: dt.timedelta,
          now: dt.datetime) -> tuple[str, ApiToken]:
    if scope not in TOKEN_SCOPES:
        raise InvalidInput(f"{scope!r} is not a token scope.", "Use 'full' or 'read'.")
    name = (name or "token").strip()[:64] or "token"
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=actor.user_id, token_sha256=digest(token), name=name, scope=scope,
                   created_at=now, expires_at=now + ttl)
    s.add(row)
    s.flush()
    return token, row


_T = ApiToken.__table__
_U = m.User.__table__
_LOOKUP = sa.select(
    _T.c.id, _T.c.scope, _T.c.expires_at, _T.c.revoked_at, _T.c.last_used_at, _U.c.id,
    _U.c.pseudonym, _U.c.name, _U.c.role, _U.c.disabled_at, _U.c.deleted_at,
    _U.c.must_change_passphrase,
).select_from(_T.join(_U, _U.c.id == _T.c.user_id)).where(
    _T.c.token_sha256 == sa.bindparam("h"))

UNAUTHORIZED_HINT = "Sign in again to get a new token (annotator remote login)."


def authenticate(conn: sa.Connection, token: str | None, now: dt.datetime) -> Principal:
    """The principal a bearer token stands for; ``AuthenticationFailed`` (401) if the token is
    missing, unknown (forged), expired or revoked, or the account is disabled."""
    if not token or not token.startswith(PREFIX) or len(token) > 200:
        raise AuthenticationFailed("No valid access token was sent.", UNAUTHORIZED_HINT)
    r = conn.execute(_LOOKUP, {"h": digest(token)}).first()
    if r is None:
        raise AuthenticationFailed("This access token is not valid.", UNAUTHORIZED_HINT)
    tid, scope, expires, revoked, last_used, uid, pseudonym, name, role, disabled, deleted, \
        must_change = r
    if revoked is not None:
        raise AuthenticationFailed("This access token was revoked.", UNAUTHORIZED_HINT)
    if expires <= now:
        raise AuthenticationFailed("This access token expired.", UNAUTHORIZED_HINT)
    if disabled is not None or deleted is not None:
        raise AuthenticationFailed("This account is disabled or was deleted.",
                                   "Ask an admin to re-enable it.")
    if last_used is None or now - last_used > LAST_USED_EVERY:
        conn.execute(sa.update(ApiToken).where(ApiToken.id == tid).values(last_used_at=now))
    return Principal(Actor(uid, pseudonym, name or "", Role(role), bool(must_change)), tid,
                     scope, expires)


def revoke(s: Session, *, user_id: int, token_id: int, now: dt.datetime) -> TokenInfo:
    row = s.get(ApiToken, token_id, with_for_update=True)
    if row is None or row.user_id != user_id:
        raise NotFound(f"There is no token #{token_id} of yours.")
    if row.revoked_at is None:
        row.revoked_at = now
    return info(row)


def revoke_all(s: Session, *, user_id: int, now: dt.datetime) -> int:
    r = s.execute(sa.update(ApiToken).where(ApiToken.user_id == user_id,
                                            ApiToken.revoked_at.is_(None))
                  .values(revoked_at=now))
    # An UPDATE's result is a CursorResult, which counts the rows it matched.
    return r.rowcount if isinstance(r, sa.CursorResult) else 0


def info(row: ApiToken) -> TokenInfo:
    return TokenInfo(row.id, row.name, row.scope, row.created_at, row.expires_at,
                     row.revoked_at, row.last_used_at)


def list_tokens(s: Session, *, user_id: int) -> list[TokenInfo]:
    rows = s.execute(sa.select(ApiToken).where(ApiToken.user_id == user_id)
                     .order_by(ApiToken.id)).scalars()
    return [info(r) for r in rows]
