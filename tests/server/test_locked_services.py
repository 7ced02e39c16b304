"""Every service of the team set-up asks for credentials, even on loopback: the object store
answers unsigned requests on no port but S3's (the ports are read from its processes, not
from a list), Redis refuses a client without its password, and no secret lands in a log."""

from __future__ import annotations

import os
import stat

import boto3
import httpx
import pytest
import redis
from botocore.config import Config

SECRET_BYTES = b"private recording bytes " + os.urandom(16).hex().encode()


def _s3(team):
    return boto3.client("s3", endpoint_url=team.cfg.s3_endpoint,
                        aws_access_key_id=team.cfg.s3_access_key,
                        aws_secret_access_key=team.cfg.s3_secret_key, region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"}))


def _config_secrets(team) -> list[str]:
    from urllib.parse import unquote, urlsplit

    found = [team.cfg.s3_secret_key]
    for url in (team.cfg.database_url, team.cfg.redis_url):
        password = urlsplit(url).password
        if password:
            found.append(unquote(password))
    return found


def _port(url: str) -> int:
    return int(url.rstrip("/").rsplit(":", 1)[1].split("/")[0])


def test_no_socket_of_the_stack_but_the_api_and_s3_answers_without_credentials(
        team, request) -> None:
    """Every socket the stack's processes listen on (read from the system, not from a list):
    the API and S3 refuse what is not signed or authorised; every other TCP port refuses a
    client without credentials at the door (TLS without a client certificate, Redis
    without the password, PostgreSQL without a password); no local socket is open to
    another user of the machine."""
    from tests.server.listeners import assert_only_api_and_s3_open, postmaster_pid, process_tree
    from tests.store.db_fixtures import shared_cluster

    bucket, key = team.cfg.s3_bucket, f"accepted/blobs/probe-{os.urandom(8).hex()}"
    s3 = _s3(team)
    s3.put_object(Bucket=bucket, Key=key, Body=SECRET_BYTES)
    before = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))
    pg = postmaster_pid(shared_cluster(request.config).data_dir)
    procs = process_tree(team.redis.proc.pid, team.weed.proc.pid, team.api.proc.pid, pg,
                         *(w.proc.pid for w in team.workers if w.alive()))
    api, s3_port = _port(team.url), _port(team.cfg.s3_endpoint)
    answers = assert_only_api_and_s3_open(procs, api, s3_port)
    print(answers)
    # + SeaweedFS's master, volume, filer, admin and their gRPC ports
    assert {team.redis.port, _port(team.cfg.database_url)} <= set(answers)
    assert len(answers) >= 12
    # The API answers, and refuses whoever has no token.
    with httpx.Client(base_url=team.url, timeout=10) as h:
        for path in ("/v1/me", "/v1/submissions", "/v1/uploads", "/v1/users"):
            assert h.get(path).status_code == 401, path
    # The S3 port refuses whatever is not signed: reading, listing, writing, deleting.
    with httpx.Client(base_url=team.cfg.s3_endpoint, timeout=10) as h:
        assert h.get(f"/{bucket}/{key}").status_code == 403
        assert h.get(f"/{bucket}?list-type=2").status_code == 403
        assert h.get("/").status_code == 403
        assert h.put(f"/{bucket}/evil", content=b"unsigned").status_code == 403
        assert h.delete(f"/{bucket}/{key}").status_code == 403
    after = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))
    assert after == before  # nothing written, nothing deleted
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == SECRET_BYTES
    s3.delete_object(Bucket=bucket, Key=key)


def test_redis_refuses_a_client_without_the_password(team) -> None:
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    port = team.redis.port
    # No retries: a refused client would otherwise be retried with back-off (seconds each).
    once = {"host": "127.0.0.1", "port": port, "socket_timeout": 5,
            "retry": Retry(NoBackoff(), 0)}
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis(**once).ping()
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis(password="guess", **once).ping()
    # Not even a job can be queued: the attack the review showed (a worker running an
    # enqueued os.system call) needs exactly this.
    from rq import Queue

    with pytest.raises(redis.exceptions.AuthenticationError):
        Queue("verify", connection=redis.Redis(**once)).enqueue("os.system", "true")
    assert redis.Redis.from_url(team.cfg.redis_url).ping()


def test_secrets_are_private_files_and_never_logged(team) -> None:
    secrets = set(_config_secrets(team))
    for proc in (team.redis, team.weed):  # and those only the services know
        secrets.update(proc.secrets.values())
    assert len(secrets) >= 8
    for proc in (team.redis, team.weed):
        assert stat.S_IMODE(proc.folder.stat().st_mode) == 0o700
        for path in proc.folder.rglob("*"):
            if path.is_file() and "data" not in path.relative_to(proc.folder).parts:
                assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    # Nothing the processes wrote (logs of Redis, SeaweedFS, the API, the workers) holds a
    # secret, and no command line shows one (any user of the machine can read those).
    logs = [p for p in team.folder.rglob("*.log") if p.is_file()]
    assert len(logs) >= 4
    for path in logs:
        text = path.read_text(errors="replace")
        for s in secrets:
            assert s not in text, path
    import psutil

    seen = set()
    for proc in (team.redis, team.weed, team.api, *team.workers):
        try:
            root = psutil.Process(proc.proc.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:  # a worker an earlier test of the session stopped
            continue
        for p in procs:
            try:
                cmdline = " ".join(p.cmdline())
            except psutil.NoSuchProcess:  # a child that ended meanwhile shows nothing
                continue
            seen.add(p.pid)
            for s in secrets:
                assert s not in cmdline, cmdline
    assert len(seen) >= 3  # at least Redis, SeaweedFS and the API were looked at
