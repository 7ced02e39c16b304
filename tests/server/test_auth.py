"""Tokens and authentication over HTTP: passwords only buy tokens; revoked, forged and
expired tokens answer 401; read tokens cannot write; logins are rate-limited; the OpenAPI
description is served."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from annotator.server import tokens
from annotator.store.server_models import ApiToken


def test_health_and_openapi(team) -> None:
    with team.http() as h:
        r = h.get("/v1/health")
        assert r.status_code == 200 and r.json()["ok"] is True
        spec = h.get("/v1/openapi.json").json()
    assert spec["info"]["title"] == "annotator team server"
    for path in ("/v1/uploads", "/v1/uploads/{upload_id}/complete", "/v1/queue",
                 "/v1/submissions/{sid}/withdraw", "/v1/exports"):
        assert path in spec["paths"], path


def test_login_gives_a_token_stored_only_as_a_hash(team) -> None:
    name, pw, token = team.new_user("contributor")
    with team.http(token) as h:
        me = h.get("/v1/me").json()
    assert me["user"]["name"] == name and me["user"]["role"] == "contributor"
    with team.svc.store.read() as s:
        rows = s.execute(sa.select(ApiToken.token_sha256)).scalars().all()
    assert tokens.digest(token) in rows
    assert token not in rows  # never the token itself


def test_wrong_passphrase_is_401(team) -> None:
    name, _pw, _t = team.new_user()
    with team.http() as h:
        r = h.post("/v1/auth/token", json={"name": name, "passphrase": "not it at all"})
    assert r.status_code == 401
    assert r.json()["error"] == "AuthenticationFailed"


def test_missing_forged_revoked_and_expired_tokens_are_401(team) -> None:
    _name, _pw, token = team.new_user()
    with team.http() as h:
        assert h.get("/v1/me").status_code == 401
    with team.http("ann_" + "A" * 43) as h:  # forged
        r = h.get("/v1/me")
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    with team.http(token) as h:
        assert h.get("/v1/me").status_code == 200
        assert h.delete("/v1/auth/token").status_code == 204  # revoke
        r = h.get("/v1/me")
        assert r.status_code == 401 and "revoked" in r.json()["message"]
    _name, _pw, token2 = team.new_user()
    with team.svc.store.write() as s:
        s.execute(sa.update(ApiToken).where(ApiToken.token_sha256 == tokens.digest(token2))
                  .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    with team.http(token2) as h:
        r = h.get("/v1/me")
        assert r.status_code == 401 and "expired" in r.json()["message"]


def test_disabling_an_account_stops_its_tokens_at_once(team) -> None:
    name, _pw, token = team.new_user()
    with team.http(token) as h:
        assert h.get("/v1/submissions").status_code == 200
    with team.http(team.admin_token) as a:
        assert a.post(f"/v1/users/{name}/disable").status_code == 200
    with team.http(token) as h:
        assert h.get("/v1/submissions").status_code == 401


def test_read_token_cannot_write(team) -> None:
    name, pw, _t = team.new_user()
    with team.http() as h:
        r = h.post("/v1/auth/token", json={"name": name, "passphrase": pw, "scope": "read"})
        read = r.json()["token"]
    with team.http(read) as h:
        assert h.get("/v1/submissions").status_code == 200
        r = h.post("/v1/uploads", json={"size": 10, "manifest_sha256": "a" * 64})
        assert r.status_code == 403


def test_admin_only_endpoints_answer_403_to_others(team) -> None:
    _n, _p, token = team.new_user("reviewer")
    with team.http(token) as h:
        assert h.get("/v1/users").status_code == 403
        assert h.post("/v1/tasks", json={"title": "t", "goal": "g"}).status_code == 403
        assert h.post("/v1/exports").status_code == 403


def test_too_many_logins_answer_429(team) -> None:
    name, pw, _t = team.new_user()
    codes = []
    with team.http() as h:
        for _ in range(12):
            codes.append(h.post("/v1/auth/token",
                                json={"name": name, "passphrase": "wrong guess"}).status_code)
        r = h.post("/v1/auth/token", json={"name": name, "passphrase": pw})
    assert codes[:7] == [401] * 7 and 429 in codes  # 8/minute in the tests
    assert r.status_code == 429 and "retry-after" in r.headers
