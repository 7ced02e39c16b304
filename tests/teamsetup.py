"""The ``team`` fixture: the whole team set-up, started once per test session on 127.0.0.1
(registered as a plugin in tests/conftest.py, so tests/server and tests/ui share one
instance): PostgreSQL (the store
tests' throwaway cluster, a database copied from its migrated template), Debian's
redis-server, SeaweedFS ``weed mini`` with an identity, the API under Uvicorn (2 workers) and
an RQ worker.  Each test gets fresh users (unique names) on the shared server."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import secrets
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from annotator.server.config import ServerConfig
from annotator.server.processes import ApiProcess, RedisProcess, SeaweedProcess, WorkerProcess
from annotator.store import open_store
from annotator.workflow.auth import Passphrases
from annotator.workflow.service import Services
from tests.store.db_fixtures import FAST_HASHER, shared_cluster

_names = itertools.count(1)


@dataclasses.dataclass
class Team:
    cfg: ServerConfig
    url: str
    folder: Path
    redis: RedisProcess
    weed: SeaweedProcess
    api: ApiProcess
    workers: list[WorkerProcess]
    admin_token: str
    svc: Services  # direct access to the same database, for set-up and checks

    def http(self, token: str | None = None, *, source: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        transport = httpx.HTTPTransport(local_address=source) if source else None
        return httpx.Client(base_url=self.url, headers=headers, timeout=60,
                            transport=transport)

    def new_user(self, role: str = "contributor", *,
                 changed: bool = True) -> tuple[str, str, str]:
        """(name, passphrase, token) of a fresh user who has changed the passphrase the admin
        gave (as the server insists before anything else; ``changed=False``: the admin's
        passphrase, not yet changed, and a token good for changing it only).  Sign-ins come
        from addresses of their own (127.0.0.x): the per-address login limit is for the
        tests that test it."""
        n = next(_names)
        name = f"{role[0]}{n}x{secrets.token_hex(2)}"
        with self.http(self.admin_token) as h:
            r = h.post("/v1/users", json={"name": name, "role": role})
            assert r.status_code == 201, r.text
            given = r.json()["passphrase"]
        with self.http(source=f"127.0.0.{10 + n % 200}") as h:
            r = h.post("/v1/auth/token", json={"name": name, "passphrase": given})
            assert r.status_code == 201, r.text
            first = r.json()["token"]
            if not changed:
                return name, given, first
            pw = f"test passphrase {secrets.token_hex(4)}"
            r = h.post("/v1/me/passphrase", json={"current": given, "new": pw},
                       headers={"Authorization": f"Bearer {first}"})
            assert r.status_code == 200, r.text
        return name, pw, r.json().get("token") or first

    def start_worker(self) -> WorkerProcess:
        w = WorkerProcess(self.folder / "logs", self.cfg.env(), tag=str(len(self.workers)))
        w.start()
        self.workers.append(w)
        return w


@pytest.fixture(scope="session")
def team(request, tmp_path_factory) -> Team:
    t0 = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="annotator-team-"))
    procs: list = []

    def stop_all() -> None:
        for p in reversed(procs):
            p.stop()
        shutil.rmtree(folder, ignore_errors=True)

    request.addfinalizer(stop_all)
    # PostgreSQL, Redis and SeaweedFS start side by side (the machine is slow and loaded).
    with ThreadPoolExecutor(3) as pool:
        f_pg = pool.submit(lambda: shared_cluster(request.config).create_database(
            "team", template="tmpl"))
        f_redis = pool.submit(lambda: RedisProcess(folder / "redis").start())
        f_weed = pool.submit(lambda: SeaweedProcess(folder / "weed").start())
        for f in (f_redis, f_weed):
            with contextlib.suppress(Exception):
                procs.append(f.result())
        db_url, redis, weed = f_pg.result(), f_redis.result(), f_weed.result()
    steps = {"pg+redis+weed": time.monotonic() - t0}
    cfg = _config(
        database_url=db_url, s3_endpoint=weed.endpoint, s3_access_key=weed.access_key,
        s3_secret_key=weed.secret_key, redis_url=redis.url, s3_bucket=weed.bucket,
        max_package_bytes=64 << 20, part_size=5 << 20, download_url_ttl_s=8,
        login_rate="8/minute", login_address_rate="1000/minute", passphrase_rate="20/minute",
        upload_rate="200/minute", max_open_upload_bytes=192 << 20, heartbeat_s=0.5,
        stale_after_s=3.0, work_dir=str(folder / "work"))
    (folder / "work").mkdir()
    store = open_store(database_url=db_url, blobs=_s3_blobs(cfg), migrate="check")
    request.addfinalizer(store.dispose)
    svc = Services(store, passphrases=Passphrases(FAST_HASHER))
    svc.setup_first_admin(name="admin", passphrase="admin passphrase")
    api = ApiProcess(folder / "logs", cfg.env(), workers=2)
    procs.append(api)
    team = Team(cfg, api.url, folder, redis, weed, api, [], "", svc)
    procs.append(_Workers(team))
    team.start_worker()  # while the API starts
    api.start()
    team.url = api.url
    steps["api"] = time.monotonic() - t0
    try:
        with team.http() as h:
            r = h.post("/v1/auth/token", json={"name": "admin", "passphrase": "admin passphrase"})
    except httpx.TransportError as exc:
        pytest.fail(f"the API does not answer: {exc}\n{api.log_tail()}")
    assert r.status_code == 201, r.text
    team.admin_token = r.json()["token"]
    steps["ready"] = time.monotonic() - t0
    print(f"\nteam set-up at {api.url}: " + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items()))
    return team


class _Workers:
    def __init__(self, team: Team) -> None:
        self.team = team

    def stop(self) -> None:
        for w in self.team.workers:
            w.stop()


def _config(**values) -> ServerConfig:
    """The test configuration (what an older server has no setting for is left out: the
    security tests run once against the code before their fix)."""
    known = set(ServerConfig.__dataclass_fields__)
    return ServerConfig(**{k: v for k, v in values.items() if k in known})


def _s3_blobs(cfg: ServerConfig):
    from annotator.server.objects import ObjectStore, S3BlobStore

    return S3BlobStore(ObjectStore(cfg))
