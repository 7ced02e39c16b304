"""Accounts: tokens, the caller's own account, and users (admins)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Body, Request
from fastapi.responses import Response

from annotator.server import tokens
from annotator.server.deps import C, Me, passphrase_check, plain, plain_dict, plain_list
from annotator.store import models as m
from annotator.store.server_models import ApiToken
from annotator.workflow import errors as we

router = APIRouter()


@router.post("/v1/auth/token", tags=["auth"], status_code=201)
def login(request: Request, c: C, name: Annotated[str, Body(max_length=64)],
          passphrase: Annotated[str, Body(max_length=1024)],
          token_name: Annotated[str, Body(max_length=64)] = "desktop app",
          scope: Annotated[str, Body(pattern="^(full|read)$")] = "full",
          days: Annotated[int | None, Body(ge=1, le=3660)] = None) -> dict[str, Any]:
    """Trade a passphrase for a personal access token.  Limited per address (whatever the
    names tried) and per address and name, and passphrase checks (Argon2) run a few at a
    time in each server process: beyond, 429 before any hashing."""
    if days is not None and days > c.cfg.token_ttl_days:
        raise we.InvalidInput(f"A token lives at most {c.cfg.token_ttl_days} days on this "
                              f"server, not {days}.", "Ask for fewer days, or none.")
    ip = request.client.host if request.client else "?"
    c.limiter.hit("login-address", c.cfg.login_address_rate, ip)
    c.limiter.hit("login", c.cfg.login_rate, ip, name.lower())
    with passphrase_check(c):
        actor = c.svc.sign_in(name=name, passphrase=passphrase)
    now = c.svc.now()
    with c.store.write() as s:
        token, row = tokens.issue(s, actor=actor, name=token_name, scope=scope, now=now,
                                  ttl=dt.timedelta(days=days or c.cfg.token_ttl_days))
        info = tokens.info(row)
    return {"token": token, "token_info": plain(info), "user": plain(actor)}


@router.delete("/v1/auth/token", tags=["auth"], status_code=204)
def logout(me: Me, c: C) -> Response:
    with c.store.write() as s:
        tokens.revoke(s, user_id=me.actor.user_id, token_id=me.token_id, now=c.svc.now())
    return Response(status_code=204)


@router.get("/v1/me", tags=["auth"])
def whoami(me: Me) -> dict[str, Any]:
    return {"user": plain(me.actor), "scope": me.scope,
            "token_expires_at": me.expires_at.isoformat()}


@router.get("/v1/me/tokens", tags=["auth"])
def my_tokens(me: Me, c: C) -> list[dict[str, Any]]:
    with c.store.read() as s:
        return plain_list(tokens.list_tokens(s, user_id=me.actor.user_id))


@router.delete("/v1/me/tokens/{token_id}", tags=["auth"])
def revoke_token(token_id: int, me: Me, c: C) -> dict[str, Any]:
    with c.store.write() as s:
        return plain_dict(tokens.revoke(s, user_id=me.actor.user_id, token_id=token_id,
                                        now=c.svc.now()))


@router.post("/v1/me/passphrase", tags=["auth"])
def change_passphrase(me: Me, c: C, current: Annotated[str, Body(max_length=1024)],
                      new: Annotated[str, Body(max_length=1024)]) -> dict[str, Any]:
    """Change the caller's passphrase: every token of theirs is revoked, and the caller gets
    a fresh one (``token``) in the answer.  Limited per user."""
    c.limiter.hit("passphrase", c.cfg.passphrase_rate, str(me.actor.user_id))
    with passphrase_check(c):
        actor = c.svc.change_passphrase(actor=me.actor, current=current, new=new)
    now = c.svc.now()
    with c.store.write() as s:
        old = s.get(ApiToken, me.token_id)
        tokens.revoke_all(s, user_id=me.actor.user_id, now=now)
        token, row = tokens.issue(s, actor=actor, name=old.name if old else "desktop app",
                                  scope=me.scope, now=now,
                                  ttl=dt.timedelta(days=c.cfg.token_ttl_days))
        info = tokens.info(row)
    return {"user": plain(actor), "token": token, "token_info": plain(info)}


@router.get("/v1/me/payee", tags=["auth"])
def get_payee(me: Me, c: C) -> Any:
    return plain(c.svc.get_payee(actor=me.actor))


def _checked_payee(me: Any, c: Any, passphrase: str | None) -> str:
    """Payee details change only with the caller's passphrase (a stolen token must not
    redirect payments); attempts are limited per user."""
    if not passphrase:
        raise we.InvalidInput("Changing payee details needs your current passphrase.",
                              "Send it as 'passphrase'.")
    c.limiter.hit("passphrase", c.cfg.passphrase_rate, str(me.actor.user_id))
    return passphrase


@router.put("/v1/me/payee", tags=["auth"])
def set_payee(me: Me, c: C, legal_name: Annotated[str, Body(max_length=500)],
              payment_details: Annotated[str, Body(max_length=2000)],
              passphrase: Annotated[str | None, Body(max_length=1024)] = None) -> Any:
    checked = _checked_payee(me, c, passphrase)
    with passphrase_check(c):
        c.svc.set_payee(actor=me.actor, legal_name=legal_name,
                        payment_details=payment_details, passphrase=checked)
    return None


@router.get("/v1/users", tags=["admin"])
def list_users(me: Me, c: C, include_deleted: bool = False) -> list[dict[str, Any]]:
    return plain_list(c.svc.list_users(actor=me.actor, include_deleted=include_deleted))


@router.post("/v1/users", tags=["admin"], status_code=201)
def invite(me: Me, c: C, name: Annotated[str, Body()],
           role: Annotated[str, Body(pattern="^(contributor|reviewer|admin)$")],
           passphrase: Annotated[str | None, Body(max_length=1024)] = None
           ) -> dict[str, Any]:
    """Invite a user; the passphrase is generated unless given (either way it must be
    changed at the first sign-in)."""
    return plain_dict(c.svc.invite_user(actor=me.actor, name=name, role=role,
                                        passphrase=passphrase))


@router.post("/v1/users/{name}/reset", tags=["admin"])
def reset(name: str, me: Me, c: C,
          passphrase: Annotated[str | None, Body(embed=True, max_length=1024)] = None
          ) -> dict[str, Any]:
    """A new passphrase for a user, who must change it at the next sign-in; every token of
    theirs is revoked."""
    pw = c.svc.reset_passphrase(actor=me.actor, name=name, passphrase=passphrase)
    with c.store.write() as s:
        uid = s.execute(sa.select(m.User.id).where(m.User.name == name)).scalar_one()
        tokens.revoke_all(s, user_id=uid, now=c.svc.now())
    return {"name": name, "passphrase": pw}


@router.put("/v1/users/{name}/role", tags=["admin"])
def set_role(name: str, me: Me, c: C, role: Annotated[str, Body(embed=True)]
             ) -> dict[str, Any]:
    return plain_dict(c.svc.set_role(actor=me.actor, name=name, role=role))


@router.post("/v1/users/{name}/disable", tags=["admin"])
def disable(name: str, me: Me, c: C) -> dict[str, Any]:
    return plain_dict(c.svc.set_disabled(actor=me.actor, name=name, disabled=True))


@router.post("/v1/users/{name}/enable", tags=["admin"])
def enable(name: str, me: Me, c: C) -> dict[str, Any]:
    return plain_dict(c.svc.set_disabled(actor=me.actor, name=name, disabled=False))


@router.get("/v1/users/{name}/payee", tags=["admin"])
def get_payee_of(name: str, me: Me, c: C) -> Any:
    return plain(c.svc.get_payee(actor=me.actor, name=name))


@router.put("/v1/users/{name}/payee", tags=["admin"])
def set_payee_of(name: str, me: Me, c: C, legal_name: Annotated[str, Body(max_length=500)],
                 payment_details: Annotated[str, Body(max_length=2000)],
                 passphrase: Annotated[str | None, Body(max_length=1024)] = None) -> Any:
    """An admin records another user's payee details (with the admin's own passphrase)."""
    checked = _checked_payee(me, c, passphrase)
    with passphrase_check(c):
        c.svc.set_payee(actor=me.actor, legal_name=legal_name,
                        payment_details=payment_details, passphrase=checked, name=name)
    return None
