"""Uploads are bounded: a part URL takes exactly its part's length (a larger, smaller or
chunked PUT is refused by the store), a user's unverified uploads hold a capped number of
bytes, a request body over the API's limit is refused before it is read, and numbers from
clients are range-checked (a clear 422, never a 500, and nothing left behind)."""

from __future__ import annotations

import socket
import time

import httpx

from annotator.server.objects import ObjectStore


def _upload(h: httpx.Client, size: int, sha: str) -> httpx.Response:
    return h.post("/v1/uploads", json={"size": size, "manifest_sha256": sha})


def test_a_part_url_takes_exactly_its_length(team):
    _c, _p, tok = team.new_user("contributor")
    with team.http(tok) as h:
        up = _upload(h, 7 << 20, "a1" * 32).json()
        urls = h.post(f"/v1/uploads/{up['id']}/part-urls", json={"parts": [1, 2]}).json()
    first, last = up["part_size"], (7 << 20) - up["part_size"]
    for body in (b"x" * (first + 1), b"x" * (first - 1), b"x" * (64 << 20)):
        assert httpx.put(urls["urls"]["1"], content=body, timeout=60).status_code == 403
    chunked = httpx.put(urls["urls"]["1"], content=iter([b"x" * first]), timeout=60)
    assert chunked.status_code == 403  # no length: refused too
    assert urls["sizes"] == {"1": first, "2": last}  # the client is told each length
    assert httpx.put(urls["urls"]["1"], content=b"x" * first, timeout=60).status_code == 200
    parts = ObjectStore(team.cfg).list_parts(f"incoming/{_uid(team, tok)}/{up['id']}/package.tar",
                                             _s3_id(team, up["id"]))
    assert [(p.number, p.size) for p in parts] == [(1, first)]
    with team.http(tok) as h:
        assert h.delete(f"/v1/uploads/{up['id']}").status_code == 200


def _uid(team, tok) -> int:
    with team.http(tok) as h:
        return h.get("/v1/me").json()["user"]["user_id"]


def _s3_id(team, upload_id: str) -> str:
    from annotator.store.server_models import Upload

    with team.svc.store.read() as s:
        return s.get(Upload, upload_id).s3_upload_id


def test_unverified_uploads_of_one_user_hold_a_capped_number_of_bytes(team):
    _c, _p, tok = team.new_user("contributor")
    # (the test set-up's cap, also where an older server has no such setting)
    cap, largest = getattr(team.cfg, "max_open_upload_bytes", 192 << 20), team.cfg.max_package_bytes
    made = []
    with team.http(tok) as h:
        while (len(made) + 1) * largest <= cap:
            r = _upload(h, largest, f"{len(made):064x}")
            assert r.status_code == 201, r.text
            made.append(r.json()["id"])
        r = _upload(h, largest, "f" * 64)
        assert r.status_code == 422 and "not yet verified" in r.json()["message"]
        for upload_id in made:  # aborted: room again
            assert h.delete(f"/v1/uploads/{upload_id}").status_code == 200
        r = _upload(h, largest, "f" * 64)
        assert r.status_code == 201
        assert h.delete(f"/v1/uploads/{r.json()['id']}").status_code == 200


def test_a_large_body_is_refused_before_it_is_read(team):
    """150 MiB announced: the answer (413) comes while only the socket's buffers' worth was
    sent; and a body without a length is cut off at the limit."""
    host, port = "127.0.0.1", team.api.port
    size = 150 << 20
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall((f"POST /v1/uploads HTTP/1.1\r\nHost: {host}\r\n"
                      f"Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n")
                     .encode())
        sock.setblocking(False)
        sent, reply, chunk = 0, b"", b" " * (256 << 10)
        deadline = time.monotonic() + 60
        while b"\r\n\r\n" not in reply and time.monotonic() < deadline:
            try:
                reply += sock.recv(65536)
            except BlockingIOError:
                pass
            except OSError:
                break
            if sent < size:
                try:
                    sent += sock.send(chunk)
                except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                    time.sleep(0.01)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert sent < 32 << 20, sent  # the server never read the 150 MiB
    with team.http() as h:
        r = h.post("/v1/auth/token", content=iter([b"{" + b" " * (4 << 20)]),
                   headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_numbers_from_clients_are_range_checked(team):
    _c, _p, tok = team.new_user("contributor")
    objects = ObjectStore(team.cfg)
    before = {mp.upload_id for mp in objects.list_multipart()}
    with team.http(tok) as h:
        for body in ({"size": 100, "manifest_sha256": "c" * 64, "previous_id": 2 ** 63},
                     {"size": 2 ** 70, "manifest_sha256": "c" * 64},
                     {"size": -1, "manifest_sha256": "c" * 64}):
            r = h.post("/v1/uploads", json=body)
            assert r.status_code == 422, (body, r.text)
        for path in (f"/v1/submissions/{2 ** 63}", f"/v1/submissions/{2 ** 40}/history",
                     f"/v1/submissions/{2 ** 63}/files/video.mp4"):
            r = h.get(path)
            assert r.status_code in (404, 422), (path, r.status_code, r.text)
    assert {mp.upload_id for mp in objects.list_multipart()} == before  # nothing left behind
