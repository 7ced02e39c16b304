"""A database, object store or queue that is down: the API answers 503 with a reason (the
app in-process, on ports where nothing listens, next to the real services)."""

from __future__ import annotations

import dataclasses

from fastapi.testclient import TestClient

from annotator.server.app import create_app
from annotator.server.processes import free_port


def _app(cfg):
    return TestClient(create_app(cfg), raise_server_exceptions=False)


def test_database_down_answers_503_with_the_reason(team) -> None:
    cfg = dataclasses.replace(team.cfg, database_url=f"postgresql://u:pw@127.0.0.1:{free_port()}/x")
    with _app(cfg) as c:
        r = c.post("/v1/auth/token", json={"name": "admin", "passphrase": "admin passphrase"})
        assert r.status_code == 503
        body = r.json()
        assert body["error"] == "StoreUnavailable" and "database" in body["message"]
        assert "pw" not in body["message"]  # the password is masked
        assert c.get("/v1/health").status_code == 503


def test_object_store_down_answers_503_and_nothing_is_recorded(team) -> None:
    _n, _p, token = team.new_user("contributor")
    cfg = dataclasses.replace(team.cfg, s3_endpoint=f"http://127.0.0.1:{free_port()}")
    with _app(cfg) as c:
        c.headers["Authorization"] = f"Bearer {token}"
        r = c.post("/v1/uploads", json={"size": 100, "manifest_sha256": "1" * 64})
        assert r.status_code == 503
        assert "object store" in r.json()["message"]
        h = c.get("/v1/health")
        assert h.status_code == 503 and "object store" in h.json()["problems"]
        assert c.get("/v1/uploads").json() == []


def test_queue_down_answers_503_for_logins(team) -> None:
    cfg = dataclasses.replace(team.cfg, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    with _app(cfg) as c:
        r = c.post("/v1/auth/token", json={"name": "admin", "passphrase": "admin passphrase"})
        assert r.status_code == 503 and "Redis" in r.json()["message"]


def test_a_complete_while_redis_is_down_is_queued_later_by_the_reconciler(team, tmp_path) -> None:
    from annotator.server import jobs
    from tests.server.helpers import (
        manifest_sha,
        package,
        pseudonym,
        raw_upload,
        tar_folder,
        wait_upload,
    )

    _n, _p, token = team.new_user("contributor")
    folder = package(team, tmp_path, pseudonym(team, token))
    up = raw_upload(team, token, tar_folder(folder), manifest_sha(folder), complete=False)
    cfg = dataclasses.replace(team.cfg, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    with _app(cfg) as c:
        c.headers["Authorization"] = f"Bearer {token}"
        r = c.post(f"/v1/uploads/{up['id']}/complete")
        assert r.status_code == 202 and r.json()["state"] == "uploaded"  # recorded in PostgreSQL
    ctx = jobs.context(team.cfg)
    assert ctx.queue.status(f"verify-{up['id']}") is None  # never reached Redis
    assert jobs.reconcile(ctx)["requeued"] >= 1
    assert wait_upload(team, token, up["id"])["state"] == "accepted"
