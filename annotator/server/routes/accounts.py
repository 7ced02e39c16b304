"""Accounts: tokens, the caller's own account, and users (admins)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import Response

from annotator.server import tokens
from annotator.server.deps import C, Me, plain

router = APIRouter()


@router.post("/v1/auth/token", tags=["auth"], status_code=201)
def login(request: Request, c: C, name: Annotated[str, Body(max_length=64)],
          passphrase: Annotated[str, Body(max_length=1024)],
          token_name: Annotated[str, Body(max_length=64)] = "desktop app",
          scope: Annotated[str, Body(pattern="^(full|read)$")] = "full",
          days: Annotated[int | None, Body(ge=1, le=366)] = None) -> dict[str, Any]:
    """Trade a passphrase for a personal access token (rate-limited per name and
    address)."""
    ip = request.client.host if request.client else "?"
    c.limiter.hit("login", c.cfg.login_rate, ip, name.lower())
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
        return plain(tokens.list_tokens(s, user_id=me.actor.user_id))


@router.delete("/v1/me/tokens/{token_id}", tags=["auth"])
def revoke_token(token_id: int, me: Me, c: C) -> dict[str, Any]:
    with c.store.write() as s:
        return plain(tokens.revoke(s, user_id=me.actor.user_id, token_id=token_id,
                                   now=c.svc.now()))


@router.post("/v1/me/passphrase", tags=["auth"])
def change_passphrase(me: Me, c: C, current: Annotated[str, Body()],
                      new: Annotated[str, Body()]) -> dict[str, Any]:
    return {"user": plain(c.svc.change_passphrase(actor=me.actor, current=current,
                                                   new=new))}


@router.get("/v1/me/payee", tags=["auth"])
def get_payee(me: Me, c: C) -> Any:
    return plain(c.svc.get_payee(actor=me.actor))


@router.put("/v1/me/payee", tags=["auth"])
def set_payee(me: Me, c: C, legal_name: Annotated[str, Body()],
              payment_details: Annotated[str, Body()]) -> Any:
    return plain(c.svc.set_payee(actor=me.actor, legal_name=legal_name,
                                 payment_details=payment_details))


@router.get("/v1/users", tags=["admin"])
def list_users(me: Me, c: C, include_deleted: bool = False) -> list[dict[str, Any]]:
    return plain(c.svc.list_users(actor=me.actor, include_deleted=include_deleted))


@router.post("/v1/users", tags=["admin"], status_code=201)
def invite(me: Me, c: C, name: Annotated[str, Body()],
           role: Annotated[str, Body(pattern="^(contributor|reviewer|admin)$")],
           passphrase: Annotated[str | None, Body(max_length=1024)] = None
           ) -> dict[str, Any]:
    """Invite a user; the passphrase is generated unless given (either way it must be
    changed at the first sign-in)."""
    return plain(c.svc.invite_user(actor=me.actor, name=name, role=role,
                                   passphrase=passphrase))


@router.post("/v1/users/{name}/reset", tags=["admin"])
def reset(name: str, me: Me, c: C,
          passphrase: Annotated[str | None, Body(embed=True, max_length=1024)] = None
          ) -> dict[str, Any]:
    pw = c.svc.reset_passphrase(actor=me.actor, name=name, passphrase=passphrase)
    return {"name": name, "passphrase": pw}


@router.put("/v1/users/{name}/role", tags=["admin"])
def set_role(name: str, me: Me, c: C, role: Annotated[str, Body(embed=True)]
             ) -> dict[str, Any]:
    return plain(c.svc.set_role(actor=me.actor, name=name, role=role))


@router.post("/v1/users/{name}/disable", tags=["admin"])
def disable(name: str, me: Me, c: C) -> dict[str, Any]:
    return plain(c.svc.set_disabled(actor=me.actor, name=name, disabled=True))


@router.post("/v1/users/{name}/enable", tags=["admin"])
def enable(name: str, me: Me, c: C) -> dict[str, Any]:
    return plain(c.svc.set_disabled(actor=me.actor, name=name, disabled=False))


@router.get("/v1/users/{name}/payee", tags=["admin"])
def get_payee_of(name: str, me: Me, c: C) -> Any:
    return plain(c.svc.get_payee(actor=me.actor, name=name))


@router.put("/v1/users/{name}/payee", tags=["admin"])
def set_payee_of(name: str, me: Me, c: C, legal_name: Annotated[str, Body()],
                 payment_details: Annotated[str, Body()]) -> Any:
    return plain(c.svc.set_payee(actor=me.actor, legal_name=legal_name,
                                 payment_details=payment_details, name=name))
