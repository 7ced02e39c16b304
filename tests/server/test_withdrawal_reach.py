"""Withdrawal reaches everything, in the same request: after a contributor withdraws
everything and deletes the account, no object of the bucket (every area), no file of the
store's data folder once it is vacuumed, no database row, no Redis value, no worker
temporary file and no log holds their content; the training set the server made with it is
gone, URLs issued before fail, their open multipart upload is aborted and their completed
upload waiting for verification never becomes a submission."""

from __future__ import annotations

import os
import time
from pathlib import Path

import boto3
import httpx
import redis
from botocore.config import Config

from annotator.server.objects import ObjectStore
from annotator.store.server_models import Job, Upload
from tests.server.helpers import client, manifest_sha, package, pseudonym, raw_upload, tar_folder
from tests.submission import search


def _markers(folder: Path, goal: str) -> list[bytes]:
    """Pieces of the content only this contributor supplied."""
    video = (folder / "video.mp4").read_bytes()
    frame = (folder / "frames" / "0001.png").read_bytes()
    return [goal.encode(), video[len(video) // 2:len(video) // 2 + 48],
            frame[len(frame) // 2:len(frame) // 2 + 48]]


def _found_in_bucket(team, markers: list[bytes]) -> list[str]:
    s3 = boto3.client("s3", endpoint_url=team.cfg.s3_endpoint,
                      aws_access_key_id=team.cfg.s3_access_key,
                      aws_secret_access_key=team.cfg.s3_secret_key, region_name="us-east-1",
                      config=Config(s3={"addressing_style": "path"}))
    hits = []
    for key, _t in ObjectStore(team.cfg).list_keys(""):
        data = s3.get_object(Bucket=team.cfg.s3_bucket, Key=key)["Body"].read()
        hits += [key for m in markers if m in data]
    return hits


def _found_in_files(folders: list[Path], markers: list[bytes]) -> list[str]:
    hits = []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and not path.is_symlink():
                try:
                    data = path.read_bytes()
                except OSError:
                    continue
                hits += [str(path) for m in markers if m in data]
    return hits


def _found_in_redis(team, markers: list[bytes]) -> list[str]:
    r = redis.Redis.from_url(team.cfg.redis_url)
    hits = []
    for key in r.scan_iter(count=1000):
        kind = r.type(key)
        values: list[bytes] = [key]
        if kind == b"string":
            values.append(r.get(key) or b"")
        elif kind == b"hash":
            values += [v for kv in r.hgetall(key).items() for v in kv]
        elif kind == b"list":
            values += r.lrange(key, 0, -1)
        elif kind in (b"set", b"zset"):
            values += list(r.smembers(key)) if kind == b"set" else r.zrange(key, 0, -1)
        hits += [key.decode(errors="replace") for v in values for m in markers if m in v]
    return hits


def test_withdrawing_everything_leaves_nothing_of_the_content(team, tmp_path):
    name, pw, ctok = team.new_user("contributor")
    _r, _p, rtok = team.new_user("reviewer")
    me = pseudonym(team, ctok)
    goal = f"Withdrawal marker {os.urandom(6).hex()}"
    folder = package(team, tmp_path, me, goal=goal)
    markers = _markers(folder, goal)
    ana = client(team, ctok, tmp_path)
    info = ana.ingest_package(folder=folder)
    rev = client(team, rtok, tmp_path)
    rev.claim(submission_id=info.id)
    rev.approve(submission_id=info.id, quality=4)
    file_url = rev.file_url(submission_id=info.id, path="video.mp4")["url"]
    admin = client(team, team.admin_token, tmp_path)
    exp = admin.get_export(admin.start_export(format="canonical",
                                              filter=f"contributor = {me}"), wait=180)
    assert exp["state"] == "done" and info.id in exp["dataset"]["submission_ids"], exp
    dataset_url, dataset_key = exp["dataset"]["url"], exp["dataset"]["key"]
    objects = ObjectStore(team.cfg)
    assert objects.head_size(dataset_key)
    assert _found_in_bucket(team, markers)  # the search finds it while it is there

    # An open multipart upload with a part in it, and a completed upload waiting for a
    # verification worker (the workers are stopped meanwhile).
    other = package(team, tmp_path, me)
    half = raw_upload(team, ctok, tar_folder(other) + b"\0" * (6 << 20), "d" * 64,
                      complete=False)
    for w in team.workers:
        w.stop()
    waiting = package(team, tmp_path, me)
    pending = raw_upload(team, ctok, tar_folder(waiting), manifest_sha(waiting))
    try:
        with team.http(ctok) as h:
            r = h.post("/v1/me/withdraw-all", json={"delete_account": True})
            assert r.status_code == 200, r.text
            assert info.id in r.json()["submission_ids"]
    finally:
        team.start_worker()

    # At once (no fetch of the export, no reaper): the export's archive is gone, URLs
    # issued before fail, the uploads are closed and their objects deleted.
    assert objects.head_size(dataset_key) is None
    assert httpx.get(dataset_url, timeout=30).status_code in (403, 404)
    assert httpx.get(file_url, timeout=30).status_code in (403, 404)
    assert not [mp for mp in objects.list_multipart() if half["id"] in mp.key]
    assert not [k for k, _ in objects.list_keys("incoming/") if pending["id"] in k]
    with team.svc.store.read() as s:
        assert s.get(Upload, half["id"]).state == "cancelled"
        assert s.get(Upload, pending["id"]).state == "cancelled"
    # The waiting verification job finds its upload cancelled: no submission ever.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with team.svc.store.read() as s:
            job = s.get(Job, f"verify-{pending['id']}")
        if job.state in ("cancelled", "done"):
            break
        time.sleep(0.2)
    with team.svc.store.read() as s:
        up = s.get(Upload, pending["id"])
    assert up.state == "cancelled" and up.submission_id is None
    with team.http(team.admin_token) as h:
        again = h.get(f"/v1/exports/{exp['id']}").json()
    assert "withdrawn" in again["dataset"]["message"] and goal not in str(again)

    # Nothing anywhere holds the content: the bucket, the store's data folder after a
    # vacuum, the database, Redis, the workers' temporary folders and every log.
    assert not _found_in_bucket(team, markers)
    team.weed.vacuum()
    assert not _found_in_files([team.weed.data_dir], markers)
    for m in markers[:1]:  # text: the database (binary content never goes there)
        assert not search.rows_containing(team.svc.store.engine, m.decode())
    assert not _found_in_redis(team, markers)
    assert not _found_in_files([Path(team.cfg.work_dir)], markers)
    assert not _found_in_files([p.parent for p in team.folder.rglob("*.log")], markers)
