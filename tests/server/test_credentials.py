"""Credentials behave like a bank's: a passphrase change or reset revokes every other token
(the caller keeps a fresh one), passphrase and payee changes need the current passphrase and
are rate-limited, an admin-set passphrase must be changed before anything else, token
lifetimes are capped, and logins are limited per address across names, answering 429
before any passphrase is hashed (the API's CPU stays bounded under a spray)."""

from __future__ import annotations

import dataclasses

import httpx
import psutil
import pytest


def _login(team, name: str, pw: str, *, source: str = "127.0.0.3", **extra) -> tuple[int, dict]:
    with team.http(source=source) as h:
        r = h.post("/v1/auth/token", json={"name": name, "passphrase": pw, **extra})
        return r.status_code, r.json()


def test_a_passphrase_change_or_reset_revokes_every_other_token(team):
    name, pw, laptop = team.new_user("contributor")
    code, r = _login(team, name, pw, source="127.0.0.4")
    assert code == 201
    phone = r["token"]
    with team.http(laptop) as h:
        r = h.post("/v1/me/passphrase", json={"current": pw, "new": "a brand new phrase 1"})
        assert r.status_code == 200, r.text
    for old in (laptop, phone):
        with team.http(old) as h:
            assert h.get("/v1/me").status_code == 401
    fresh = r.json()["token"]  # the caller keeps a fresh one
    with team.http(fresh) as h:
        assert h.get("/v1/submissions").status_code == 200
    # An admin's reset revokes the user's tokens too, and the new passphrase must be changed
    # before anything else.
    with team.http(team.admin_token) as h:
        given = h.post(f"/v1/users/{name}/reset").json()["passphrase"]
    with team.http(fresh) as h:
        assert h.get("/v1/me").status_code == 401
    code, r = _login(team, name, given, source="127.0.0.4")
    assert code == 201
    with team.http(r["token"]) as h:
        r = h.get("/v1/submissions")
        assert r.status_code == 403 and "change it" in r.json()["message"]
        assert h.get("/v1/me").status_code == 200
        r = h.post("/v1/me/passphrase", json={"current": given, "new": "mine again, longer"})
        assert r.status_code == 200
    with team.http(r.json()["token"]) as h:
        assert h.get("/v1/submissions").status_code == 200


def test_passphrase_and_payee_changes_need_the_passphrase_and_are_limited(team):
    name, pw, token = team.new_user("contributor")
    with team.http(token) as h:
        body = {"legal_name": "Ana Example", "payment_details": "IBAN XX00 1234"}
        assert h.put("/v1/me/payee", json=body).status_code == 422  # a token alone: no
        assert h.put("/v1/me/payee", json=body | {"passphrase": "wrong"}).status_code == 401
        assert h.put("/v1/me/payee", json=body | {"passphrase": pw}).status_code == 200
        assert h.get("/v1/me/payee").json()["payment_details"] == "IBAN XX00 1234"
        codes = [h.post("/v1/me/passphrase", json={"current": f"guess {i}", "new": "x" * 20}
                        ).status_code for i in range(25)]
    assert 429 in codes and codes[0] == 401  # guessing the current one is limited per user


def test_token_lifetimes_are_capped(team):
    name, pw, _token = team.new_user("contributor")
    days = team.cfg.token_ttl_days
    code, r = _login(team, name, pw, days=days + 1)
    assert code == 422 and str(days) in r["message"]
    code, r = _login(team, name, pw, days=days)
    assert code == 201


def _cpu(pid: int) -> float:
    root = psutil.Process(pid)
    total = 0.0
    for p in (root, *root.children(recursive=True)):
        t = p.cpu_times()
        total += t.user + t.system
    return total


SPRAY_LIMIT = 20  # logins a minute from one address, across names


@pytest.fixture(scope="module")
def strict_api(team, tmp_path_factory):
    """An API process of the team set-up with a per-address login limit of 20 a minute
    (the shared one allows the other tests' many sign-ins from 127.0.0.1)."""
    from annotator.server.processes import ApiProcess

    # (an older server, without a per-address limit, runs with its per-name one alone)
    known = {k: v for k, v in {"login_address_rate": f"{SPRAY_LIMIT}/minute"}.items()
             if k in type(team.cfg).__dataclass_fields__}
    cfg = dataclasses.replace(team.cfg, **known)
    api = ApiProcess(tmp_path_factory.mktemp("strict-api"), cfg.env(), workers=1).start()
    yield api, cfg
    api.stop()


def test_a_login_spray_from_one_address_is_limited_before_hashing(team, strict_api):
    """One address tries one passphrase against many names (the per-name limit does not
    stop that): past the per-address limit, 429 at once, and no more Argon2 work."""
    api, cfg = strict_api
    names = [team.new_user("contributor")[0] for _ in range(3)]
    names += [f"nobody{i}" for i in range(57)]

    def attempt(h: httpx.Client, name: str) -> int:
        return h.post("/v1/auth/token", json={"name": name, "passphrase": "password1"}
                      ).status_code

    # What one passphrase check costs this API, measured here (from other addresses).
    with httpx.Client(base_url=api.url, timeout=60) as h:
        h.get("/v1/health")
        cpu0 = _cpu(api.proc.pid)
        for i, name in enumerate(names[:3]):
            with httpx.Client(base_url=api.url, timeout=60, transport=httpx.HTTPTransport(
                    local_address=f"127.0.0.{60 + i}")) as other:
                assert attempt(other, name) == 401
        per_check = (_cpu(api.proc.pid) - cpu0) / 3
    cpu0 = _cpu(api.proc.pid)
    with httpx.Client(base_url=api.url, timeout=60,
                      transport=httpx.HTTPTransport(local_address="127.0.0.2")) as h:
        codes = [attempt(h, name) for name in names]
        cpu = _cpu(api.proc.pid) - cpu0
        r = h.post("/v1/auth/token", json={"name": names[0], "passphrase": "x"})
    limit = SPRAY_LIMIT
    assert codes[:limit] == [401] * limit and set(codes[limit:]) == {429}, codes
    # At most `limit` checks were paid for (with room for the requests themselves).
    assert cpu < (limit + 5) * per_check + 0.5, (cpu, per_check)
    assert r.status_code == 429 and r.headers["retry-after"]  # whatever the name
