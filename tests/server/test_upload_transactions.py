"""The upload routes call the object store outside database transactions: while the store
works (starting a multipart upload, assembling it, aborting it), no row of the caller is
locked, so a slow store holds up nobody else's writes (and, on SQLite, not the whole
database).  A change made by another request meanwhile wins, and what the store was left
with is the reaper's.  The API runs in-process, on the real PostgreSQL and SeaweedFS, with
an object store that looks at the locks each time it is called."""

from __future__ import annotations

import datetime as dt
import hashlib
import os

import sqlalchemy as sa
from fastapi.testclient import TestClient

from annotator.server import jobs
from annotator.server.app import create_app
from annotator.server.objects import ObjectStore
from annotator.store import models as m
from tests.server.helpers import send_parts

_CALLS = ("create_multipart", "list_parts", "complete_multipart", "abort_multipart",
          "head_size", "delete")


class _LockProbe(ObjectStore):
    """The real object store, noting at each call which of the user's rows another
    connection cannot lock at once (NOWAIT): the user row and their uploads being sent."""

    def __init__(self, cfg, engine: sa.Engine, user_id: int) -> None:
        super().__init__(cfg)
        self.engine, self.user_id = engine, user_id
        self.calls: list[tuple[str, list[str]]] = []
        self.during: dict[str, object] = {}  # call name -> what to do while it runs

    def locked(self) -> list[str]:
        held = []
        probes = {"users": "SELECT 1 FROM users WHERE id = :u FOR UPDATE NOWAIT",
                  "uploads": "SELECT 1 FROM uploads WHERE user_id = :u "
                             "AND state = 'uploading' FOR UPDATE NOWAIT"}
        for table, q in probes.items():
            with self.engine.connect() as conn:
                try:
                    with conn.begin():
                        conn.execute(sa.text(q), {"u": self.user_id})
                except sa.exc.OperationalError as exc:
                    assert "lock" in str(exc).lower(), exc
                    held.append(table)
        return held


def _probing(name: str):
    def call(self: _LockProbe, *a, **kw):
        self.calls.append((name, self.locked()))
        result = getattr(ObjectStore, name)(self, *a, **kw)
        then = self.during.pop(name, None)
        if callable(then):
            then()
        return result
    return call


for _n in _CALLS:
    setattr(_LockProbe, _n, _probing(_n))


def _client(team, user_id: int, token: str) -> tuple[TestClient, _LockProbe]:
    app = create_app(team.cfg)
    ctx = app.state.get_ctx()
    probe = _LockProbe(team.cfg, team.svc.store.engine, user_id)
    ctx.objects = probe
    c = TestClient(app)
    c.headers["Authorization"] = f"Bearer {token}"
    return c, probe


def _user_id(team, name: str) -> int:
    with team.svc.store.read() as s:
        return s.execute(sa.select(m.User.id).where(m.User.name == name)).scalar_one()


def test_no_row_is_locked_while_the_object_store_works(team) -> None:
    name, _p, token = team.new_user("contributor")
    c, probe = _client(team, _user_id(team, name), token)
    data = os.urandom(6 << 20)  # two parts
    with c:
        up = c.post("/v1/uploads", json={"size": len(data),
                                         "manifest_sha256": hashlib.sha256(data).hexdigest()})
        assert up.status_code == 201, up.text
        other = c.post("/v1/uploads", json={"size": 10, "manifest_sha256": "2" * 64})
        assert other.status_code == 201, other.text
        assert c.delete(f"/v1/uploads/{other.json()['id']}").json()["state"] == "aborted"
        send_parts(c, up.json(), data)
        done = c.post(f"/v1/uploads/{up.json()['id']}/complete")
        assert done.status_code == 202, done.text
    called = {n for n, _ in probe.calls}
    assert {"create_multipart", "abort_multipart", "list_parts", "complete_multipart",
            "head_size"} <= called, called
    assert [(n, held) for n, held in probe.calls if held] == []


def test_an_abort_while_the_parts_are_assembled_wins_and_the_reaper_clears_the_rest(
        team) -> None:
    name, _p, token = team.new_user("contributor")
    c, probe = _client(team, _user_id(team, name), token)
    data = os.urandom(5 << 20)
    with c:
        up = c.post("/v1/uploads", json={"size": len(data),
                                         "manifest_sha256": hashlib.sha256(data).hexdigest()})
        up = up.json()
        send_parts(c, up, data)
        aborted = {}

        def abort_elsewhere() -> None:  # another request, through the API's own process
            with team.http(token) as h:
                aborted["r"] = h.delete(f"/v1/uploads/{up['id']}")

        probe.during["complete_multipart"] = abort_elsewhere
        r = c.post(f"/v1/uploads/{up['id']}/complete")
        assert aborted["r"].status_code == 200, aborted["r"].text  # it did not wait for us
        assert r.status_code == 409 and "aborted" in r.json()["message"], r.text
        assert c.get(f"/v1/uploads/{up['id']}").json()["state"] == "aborted"
        history = [t["action"] for t in c.get(f"/v1/uploads/{up['id']}/history").json()]
        assert history == ["create", "abort"]
    key = f"incoming/{_user_id(team, name)}/{up['id']}/package.tar"
    objects = ObjectStore(team.cfg)
    assert objects.head_size(key) == len(data)  # assembled, kept by no upload
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)
    jobs.reap(jobs.context(team.cfg), now=later, older_than_s=team.cfg.abandon_after_s)
    assert objects.head_size(key) is None
