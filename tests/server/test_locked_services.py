"""Every service of the team set-up asks for credentials, even on loopback: the object store
answers unsigned requests on no port but S3's (the ports are read from its processes, not
from a list), Redis refuses a client without its password, and no secret lands in a log."""

from __future__ import annotations

import os
import socket
import ssl
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


def listening_ports(pid: int) -> set[int]:
    """Every TCP port a process and its children listen on, as the system sees it."""
    import psutil

    root = psutil.Process(pid)
    return {c.laddr.port for p in (root, *root.children(recursive=True))
            for c in p.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN}


def _config_secrets(team) -> list[str]:
    from urllib.parse import unquote, urlsplit

    found = [team.cfg.s3_secret_key]
    for url in (team.cfg.database_url, team.cfg.redis_url):
        password = urlsplit(url).password
        if password:
            found.append(unquote(password))
    return found


H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"


def _kind(port: int) -> str:
    """How a port answers a client without credentials: ``tls-refused`` (TLS that wants a
    client certificate), ``tls-open``, ``h2c-open`` (plaintext HTTP/2, gRPC's usual form)
    or ``http`` (plaintext HTTP/1, probed request by request)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", port), timeout=3)
    try:
        tls = ctx.wrap_socket(raw, server_hostname="localhost")
    except (ssl.SSLError, ConnectionError, TimeoutError, OSError):
        raw.close()
    else:
        try:  # TLS 1.3 reports a missing client certificate at the first read
            tls.sendall(H2_PREFACE)
            return "tls-refused" if tls.recv(4096) == b"" else "tls-open"
        except (ssl.SSLError, ConnectionError, TimeoutError, OSError):
            return "tls-refused"
        finally:
            tls.close()
    with socket.create_connection(("127.0.0.1", port), timeout=3) as plain:
        plain.sendall(H2_PREFACE)
        try:
            reply = plain.recv(64)
        except (ConnectionError, TimeoutError, OSError):
            reply = b""
    return "h2c-open" if len(reply) >= 9 and reply[3] == 0x04 else "http"


def test_no_store_port_but_s3_answers_an_unsigned_request(team) -> None:
    bucket, key = team.cfg.s3_bucket, f"accepted/blobs/probe-{os.urandom(8).hex()}"
    s3 = _s3(team)
    s3.put_object(Bucket=bucket, Key=key, Body=SECRET_BYTES)
    before = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))
    ports = listening_ports(team.weed.proc.pid)
    s3_port = int(team.cfg.s3_endpoint.rsplit(":", 1)[1])
    assert s3_port in ports and len(ports) >= 8  # master, volume, filer, S3, admin, gRPC...
    name = key.rsplit("/", 1)[1].encode()
    reads = ["/", f"/buckets/{bucket}/", f"/buckets/{bucket}/{key}", f"/{bucket}/{key}",
             f"/buckets/{bucket}/{key}?metadata=true", "/dir/assign", "/dir/lookup?volumeId=1",
             "/dir/status", "/vol/status", "/1,0123456789", "/status?pretty=y", "/cluster/status",
             "/debug/pprof/goroutine", "/api/s3/buckets", "/api/cluster/filers"]
    writes = [("POST", "/submit"), ("PUT", f"/buckets/{bucket}/evil"),
              ("POST", f"/buckets/{bucket}/evil"), ("DELETE", f"/buckets/{bucket}/{key}"),
              ("POST", "/vol/vacuum?garbageThreshold=0.1"), ("POST", "/col/delete?collection=x"),
              ("DELETE", f"/{bucket}/{key}")]
    answered: dict[int, list[str]] = {}
    for port in sorted(ports - {s3_port}):
        kind = _kind(port)
        assert kind in ("tls-refused", "http"), f"port {port} ({kind}) talks to anyone"
        if kind == "tls-refused":
            answered[port] = ["TLS: refused without a client certificate"]
            continue
        seen = answered.setdefault(port, [])
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as h:
            for path in reads:
                r = h.get(path)
                seen.append(f"GET {path} {r.status_code}")
                assert SECRET_BYTES not in r.content and name not in r.content, (port, path)
                assert b'"fid"' not in r.content, (port, path)  # no write grant handed out
            for method, path in writes:
                r = h.request(method, path, content=b"written without a signature")
                seen.append(f"{method} {path} {r.status_code}")
                assert r.status_code >= 400, (port, method, path, r.status_code, r.text[:200])
    after = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))
    assert after == before  # nothing written, nothing deleted
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == SECRET_BYTES
    s3.delete_object(Bucket=bucket, Key=key)
    # The S3 port itself refuses what is not signed.
    assert httpx.get(f"{team.cfg.s3_endpoint}/{bucket}/{key}", timeout=5).status_code == 403
    print({p: v[:3] for p, v in answered.items()})


def test_redis_refuses_a_client_without_the_password(team) -> None:
    port = team.redis.port
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis(host="127.0.0.1", port=port, socket_timeout=5).ping()
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis(host="127.0.0.1", port=port, password="guess", socket_timeout=5).ping()
    # Not even a job can be queued: the attack the review showed (a worker running an
    # enqueued os.system call) needs exactly this.
    from rq import Queue

    with pytest.raises(redis.exceptions.AuthenticationError):
        Queue("verify", connection=redis.Redis(host="127.0.0.1", port=port)).enqueue(
            "os.system", "true")
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
