"""Helpers of the server tests: packages, raw uploads (bypassing the client's own checks),
and listing the bucket."""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import tarfile
import time
from pathlib import Path

import httpx

from annotator.remote.client import RemoteServices
from tests.workflow.helpers import make_package

_n = itertools.count(1)


def package(team, tmp: Path, pseudonym: str, *, big: int = 0, **kw) -> Path:
    """A package the server's verification accepts (real video and images); ``big`` makes
    its video about that many bytes (pictures of noise, encoded losslessly)."""
    n = next(_n)
    if big:
        kw.setdefault("size", (640, 480))
        kw["noise_frames"] = big // 560_000 + 1  # about 560 kB a picture at 640x480
    return make_package(tmp / f"pkg{n}", contributor=pseudonym, svc=team.svc,
                        seed=f"srv{n}-{os.urandom(4).hex()}", **kw)


def client(team, token: str, tmp: Path) -> RemoteServices:
    return RemoteServices(team.url, token=token, outbox=tmp / f"outbox{next(_n)}")


def pseudonym(team, token: str) -> str:
    with team.http(token) as h:
        return h.get("/v1/me").json()["user"]["pseudonym"]


def tar_of(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def tar_folder(folder: Path) -> bytes:
    members = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            members[p.relative_to(folder).as_posix()] = p.read_bytes()
    return tar_of(members)


def raw_upload(team, token: str, data: bytes, manifest_sha: str | None = None,
               *, complete: bool = True) -> dict:
    """Upload bytes as a package archive through the API's presigned URLs."""
    manifest_sha = manifest_sha or hashlib.sha256(data).hexdigest()
    with team.http(token) as h:
        r = h.post("/v1/uploads", json={"size": len(data), "manifest_sha256": manifest_sha})
        assert r.status_code == 201, r.text
        up = r.json()
        send_parts(h, up, data)
        if complete:
            r = h.post(f"/v1/uploads/{up['id']}/complete")
            assert r.status_code == 202, r.text
    return up


def send_parts(h, up: dict, data: bytes) -> None:
    """PUT every part of ``data`` to the presigned URLs the API (client ``h``, signed in as
    the upload's owner) gives for upload ``up``."""
    parts = list(range(1, up["part_count"] + 1))
    urls = h.post(f"/v1/uploads/{up['id']}/part-urls", json={"parts": parts}).json()["urls"]
    ps = up["part_size"]
    for n in parts:
        r = httpx.put(urls[str(n)], content=data[(n - 1) * ps:n * ps], timeout=60)
        assert r.status_code == 200, r.text


def wait_upload(team, token: str, upload_id: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    with team.http(token) as h:
        while True:
            up = h.get(f"/v1/uploads/{upload_id}").json()
            if up["state"] in ("accepted", "rejected", "aborted", "cancelled"):
                return up
            assert time.monotonic() < deadline, up
            time.sleep(0.2)


def bucket_keys(team) -> list[str]:
    from annotator.server.objects import ObjectStore

    objs = ObjectStore(team.cfg)
    return [k for k, _ in objs.list_keys("")]


def manifest_sha(folder: Path) -> str:
    return hashlib.sha256((folder / "package.json").read_bytes()).hexdigest()


def reseal(folder: Path) -> Path:
    """After changing a package's files: write its manifest again and consent again (a new
    record id), as the app would."""
    import json

    from annotator.workflow import package as P

    manifest = json.loads((folder / "package.json").read_text())
    sha = P.write_manifest(folder, goal=manifest["task"]["goal"], outcome="success",
                           summary=manifest["summary"], task_id=manifest["task"]["task_id"])
    record = json.loads((folder / "consent.json").read_text())
    record.update(manifest_sha256=sha, record_id=os.urandom(8).hex())
    P.write_consent(folder, record)
    return folder


def wait_check(team, token: str, sid: int, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    with team.http(token) as h:
        while True:
            r = h.get(f"/v1/submissions/{sid}/checks")
            assert r.status_code == 200, r.text
            ocr = r.json()["ocr"]
            if ocr and ocr["state"] in ("done", "failed"):
                return ocr
            assert time.monotonic() < deadline, ocr
            time.sleep(0.3)
