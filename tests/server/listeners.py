"""Every socket a set of processes listens on, read from the system (psutil for TCP,
/proc/net/unix for local sockets), and how each answers a client that has no credentials.
Used to show that the team server's stack exposes nothing but the API and the S3 gateway."""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import stat
import struct
import time
from pathlib import Path

import psutil

H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
# What a port may answer a client without credentials, unless it is the API's or S3's.
REFUSING = {"tls-refused", "redis-refused", "postgres-refused"}


def process_tree(*pids: int) -> list[psutil.Process]:
    procs: dict[int, psutil.Process] = {}
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            root = psutil.Process(pid)
            for p in (root, *root.children(recursive=True)):
                procs[p.pid] = p
    return list(procs.values())


def tcp_listeners(procs: list[psutil.Process]) -> dict[int, str]:
    """{port: command name} of every TCP socket (IPv4 or IPv6) these processes listen on."""
    found: dict[int, str] = {}
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            for c in p.net_connections(kind="inet"):
                if c.status == psutil.CONN_LISTEN:
                    found[c.laddr.port] = f"{p.name()}[{p.pid}] on {c.laddr.ip}"
    return found


def settled_tcp_listeners(procs: list[psutil.Process], *, quiet_s: float = 3.0,
                          timeout_s: float = 60.0) -> dict[int, str]:
    """``tcp_listeners`` once their set has not changed for ``quiet_s``: a stack's parts go
    on opening ports for a moment after it says it is ready, and a port opened after the
    listing would go unchecked."""
    last = tcp_listeners(procs)
    since = time.monotonic()
    deadline = since + timeout_s
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = tcp_listeners(procs)
        if set(now) != set(last):
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            break
    return last


def unix_listeners(procs: list[psutil.Process]) -> dict[str, str]:
    """{path: command name} of every listening local socket of these processes (abstract
    ones are shown with a leading '@': any local user can connect to those)."""
    listening: dict[int, str] = {}
    for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 8 and int(fields[3], 16) & 0x10000:  # __SO_ACCEPTCON: listening
            listening[int(fields[6])] = fields[7]
        elif len(fields) == 7 and int(fields[3], 16) & 0x10000:
            listening[int(fields[6])] = "(unnamed)"
    found: dict[str, str] = {}
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess, PermissionError, FileNotFoundError):
            for fd in os.listdir(f"/proc/{p.pid}/fd"):
                with contextlib.suppress(OSError):
                    link = os.readlink(f"/proc/{p.pid}/fd/{fd}")
                    if link.startswith("socket:["):
                        inode = int(link[8:-1])
                        if inode in listening:
                            found[listening[inode]] = f"{p.name()}[{p.pid}]"
    return found


def reachable_by_others(path: str) -> bool:
    """Whether a user other than the socket's owner may connect: it needs write permission
    on the socket and search permission on every folder above it."""
    if path.startswith("@"):
        return True
    if path == "(unnamed)":
        return False
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        return False  # removed: nobody can connect through the name any more
    owner = st.st_uid
    if not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return False
    for folder in p.parents:
        fst = folder.stat()
        if fst.st_uid == owner and not fst.st_mode & (stat.S_IXGRP | stat.S_IXOTH):
            return False
    return True


def _recv(sock: socket.socket, n: int = 4096) -> bytes:
    try:
        return sock.recv(n)
    except (ConnectionError, TimeoutError, OSError):
        return b""


def _tls(port: int, timeout: float) -> str | None:
    """``tls-refused`` / ``tls-open`` if the port speaks TLS, else None."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        tls = ctx.wrap_socket(raw, server_hostname="localhost")
    except (ssl.SSLError, ConnectionError, TimeoutError, OSError):
        raw.close()
        return None
    try:  # TLS 1.3 reports a missing client certificate at the first read
        tls.sendall(H2_PREFACE)
        return "tls-refused" if tls.recv(4096) == b"" else "tls-open"
    except (ssl.SSLError, ConnectionError, TimeoutError, OSError):
        return "tls-refused"
    finally:
        tls.close()


def _plaintext(port: int) -> str | None:
    with socket.create_connection(("127.0.0.1", port), timeout=3) as plain:
        # eight bytes: PostgreSQL reads them as a (bad) packet length and hangs up at once
        # rather than wait for more; Redis ignores the empty line
        plain.sendall(b"PING\r\n\r\n")
        reply = _recv(plain)
    if reply.startswith(b"-NOAUTH"):
        return "redis-refused"
    if reply.startswith(b"+PONG"):
        return "redis-open"
    if reply.startswith(b"HTTP/") and b"HTTPS server" not in reply:
        return "http"
    # PostgreSQL: a startup message without a password
    params = b"user\0postgres\0database\0postgres\0\0"
    with socket.create_connection(("127.0.0.1", port), timeout=3) as plain:
        plain.sendall(struct.pack("!ii", 8 + len(params), 196608) + params)
        reply = _recv(plain)
    if reply[:1] == b"R" and len(reply) >= 9:
        code = struct.unpack("!i", reply[5:9])[0]
        return "postgres-open" if code == 0 else "postgres-refused"
    if reply[:1] == b"E" and b"SFATAL" in reply:
        return "postgres-refused"
    with socket.create_connection(("127.0.0.1", port), timeout=3) as plain:
        plain.sendall(H2_PREFACE)
        reply = _recv(plain, 64)
    if len(reply) >= 9 and reply[3] == 0x04:
        return "h2c-open"
    return None


def answer(port: int) -> str:
    """How a port answers a client without credentials: ``tls-refused`` (TLS that wants a
    client certificate), ``tls-open``; for plaintext: ``redis-refused`` / ``redis-open``,
    ``postgres-refused`` / ``postgres-open``, ``http`` (an HTTP/1 server), ``h2c-open``
    (plaintext HTTP/2, gRPC's usual form), or ``unknown``.  The first TLS handshake waits
    one second (Redis waits for the end of a line that a TLS greeting never sends); a port
    that nothing else recognises is tried again with time to spare (a loaded machine)."""
    return _tls(port, 1.0) or _plaintext(port) or _tls(port, 10.0) or "unknown"


def postmaster_pid(data_dir: Path) -> int:
    """The PostgreSQL server of a cluster (pg_ctl detaches it from whoever started it)."""
    return int((data_dir / "postmaster.pid").read_text().split()[0])


def assert_only_api_and_s3_open(procs: list[psutil.Process], api_port: int,
                                s3_port: int) -> dict[int, str]:
    """Every TCP socket of ``procs`` is the API, the S3 gateway, or refuses a client without
    credentials; no local socket is open to another user.  Returns {port: answer}."""
    tcp = settled_tcp_listeners(procs)
    assert {api_port, s3_port} <= set(tcp), tcp
    answers = {port: answer(port) for port in sorted(tcp)}
    open_ports = {f"{port} ({tcp[port]})": a for port, a in answers.items()
                  if port not in (api_port, s3_port) and a not in REFUSING}
    assert not open_ports, f"these answer a client without credentials: {open_ports}"
    assert answers[api_port] == answers[s3_port] == "http"
    local = unix_listeners(procs)
    assert local  # SeaweedFS's gRPC and local sockets, PostgreSQL's, Redis's...
    assert not [p for p in local if reachable_by_others(p)], local
    return answers
