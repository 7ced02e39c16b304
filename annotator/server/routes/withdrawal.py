"""Withdrawal: one demonstration, or everything of the caller; tombstones."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body

from annotator.server import tokens
from annotator.server.deps import C, Me, plain_dict, plain_list
from annotator.server.withdrawal import cancel_uploads, purge_exports

router = APIRouter()


@router.post("/v1/submissions/{sid}/withdraw", tags=["withdrawal"])
def withdraw(sid: int, me: Me, c: C) -> dict[str, Any]:
    """Withdraw a demonstration: its bytes and every server-made export holding it are
    deleted before the answer (``annotator.server.withdrawal``)."""
    r = c.svc.withdraw(actor=me.actor, submission_id=sid)
    purge_exports(c.store, c.objects, r.submission_ids)
    return plain_dict(r)


@router.post("/v1/me/withdraw-all", tags=["withdrawal"])
def withdraw_all(me: Me, c: C, delete_account: Annotated[bool, Body(embed=True)] = False
                 ) -> dict[str, Any]:
    """Withdraw everything (and delete the account): uploads not yet verified are cancelled
    first, so that none of them becomes a submission afterwards."""
    why = "account deleted" if delete_account else "the contributor withdrew everything"
    cancel_uploads(c.store, c.objects, user_id=me.actor.user_id, now=c.svc.now(),
                   reason=why)
    r = c.svc.withdraw_everything(actor=me.actor, delete_account=delete_account)
    purge_exports(c.store, c.objects, r.submission_ids)
    if delete_account:
        with c.store.write() as s:
            tokens.revoke_all(s, user_id=me.actor.user_id, now=c.svc.now())
    return plain_dict(r)


@router.get("/v1/tombstones", tags=["withdrawal"])
def tombstones(me: Me, c: C, since: dt.datetime | None = None) -> list[dict[str, Any]]:
    return plain_list(c.svc.tombstones(actor=me.actor, since=since))
