"""Withdrawal: one demonstration, or everything of the caller; tombstones."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body

from annotator.server import tokens
from annotator.server.deps import C, Me, plain

router = APIRouter()


@router.post("/v1/submissions/{sid}/withdraw", tags=["withdrawal"])
def withdraw(sid: int, me: Me, c: C) -> dict[str, Any]:
    return plain(c.svc.withdraw(actor=me.actor, submission_id=sid))


@router.post("/v1/me/withdraw-all", tags=["withdrawal"])
def withdraw_all(me: Me, c: C, delete_account: Annotated[bool, Body(embed=True)] = False
                 ) -> dict[str, Any]:
    r = c.svc.withdraw_everything(actor=me.actor, delete_account=delete_account)
    if delete_account:
        with c.store.write() as s:
            tokens.revoke_all(s, user_id=me.actor.user_id, now=c.svc.now())
    return plain(r)


@router.get("/v1/tombstones", tags=["withdrawal"])
def tombstones(me: Me, c: C, since: dt.datetime | None = None) -> list[dict[str, Any]]:
    return plain(c.svc.tombstones(actor=me.actor, since=since))
