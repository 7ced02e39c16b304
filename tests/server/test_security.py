"""The security list of docs/server.md, against the real services."""

from __future__ import annotations

import contextlib
import os
import re
import time

import boto3
import httpx
import pytest
import sqlalchemy as sa
from botocore.config import Config

from annotator.server import jobs
from annotator.server.objects import ObjectStore, ObjectStoreUnavailable
from annotator.store import models as m
from annotator.store.server_models import Job, Upload
from tests.server.helpers import (
    bucket_keys,
    client,
    manifest_sha,
    package,
    pseudonym,
    raw_upload,
    reseal,
    tar_folder,
    tar_of,
    wait_upload,
)


def test_another_contributors_upload_and_submission_answer_404_for_every_verb(
        team, tmp_path) -> None:
    _a, _p, atok = team.new_user("contributor")
    _b, _p, btok = team.new_user("contributor")
    _r, _p, rtok = team.new_user("reviewer")
    folder = package(team, tmp_path, pseudonym(team, atok))
    pending = raw_upload(team, atok, tar_folder(folder)[:1000], "e" * 64, complete=False)
    info = client(team, atok, tmp_path).ingest_package(
        folder=package(team, tmp_path, pseudonym(team, atok)))
    up = pending["id"]
    for tok in (btok, rtok, team.admin_token):  # not theirs: 404, whoever they are
        with team.http(tok) as h:
            for method, path, body in (
                    ("GET", f"/v1/uploads/{up}", None),
                    ("GET", f"/v1/uploads/{up}/parts", None),
                    ("POST", f"/v1/uploads/{up}/part-urls", {"parts": [1]}),
                    ("POST", f"/v1/uploads/{up}/complete", None),
                    ("DELETE", f"/v1/uploads/{up}", None)):
                r = h.request(method, path, json=body)
                assert r.status_code == 404, (method, path, r.text)
                assert up not in r.text or "no upload" in r.text
    with team.http(btok) as h:  # another contributor: the submission does not exist
        for method, path, body in (
                ("GET", f"/v1/submissions/{info.id}", None),
                ("GET", f"/v1/submissions/{info.id}/files/video.mp4", None),
                ("POST", f"/v1/submissions/{info.id}/withdraw", None),
                ("POST", f"/v1/submissions/{info.id}/submit", None)):
            r = h.request(method, path, json=body)
            assert r.status_code == 404, (method, path, r.text)
    with team.http(atok) as h:  # the owner still sees both
        assert h.get(f"/v1/uploads/{up}").status_code == 200
        assert h.get(f"/v1/submissions/{info.id}").status_code == 200


def test_reviewers_only_get_accepted_objects_and_urls_expire(team, tmp_path) -> None:
    _a, _p, atok = team.new_user("contributor")
    _r, _p, rtok = team.new_user("reviewer")
    info = client(team, atok, tmp_path).ingest_package(
        folder=package(team, tmp_path, pseudonym(team, atok)))
    with team.http(rtok) as h:
        f = h.get(f"/v1/submissions/{info.id}/files/video.mp4").json()
    assert re.search(r"/accepted/blobs/[0-9a-f]{64}\?", f["url"])
    assert httpx.get(f["url"], timeout=30).status_code == 200
    # A swapped key, a tampered signature and an unsigned URL are refused by the store.
    other = "accepted/blobs/" + "0" * 64
    swapped = re.sub(r"accepted/blobs/[0-9a-f]{64}", other, f["url"])
    assert httpx.get(swapped, timeout=30).status_code == 403
    sig = re.search(r"X-Amz-Signature=([0-9a-f]+)", f["url"]).group(1)
    tampered = f["url"].replace(sig, ("0" if sig[0] != "0" else "1") + sig[1:])
    assert httpx.get(tampered, timeout=30).status_code == 403
    assert httpx.get(f["url"].split("?")[0], timeout=30).status_code == 403
    # An incoming (unverified) object never gets a URL from the API.
    objs = ObjectStore(team.cfg)
    with pytest.raises(Exception, match="Only accepted"):
        objs.presign_get("incoming/1/" + "a" * 32 + "/package.tar", 60)
    time.sleep(team.cfg.download_url_ttl_s + 2)
    assert httpx.get(f["url"], timeout=30).status_code == 403  # expired


def test_a_tampered_package_is_rejected_and_never_shown(team, tmp_path) -> None:
    _a, _p, atok = team.new_user("contributor")
    _r, _p, rtok = team.new_user("reviewer")
    folder = package(team, tmp_path, pseudonym(team, atok))
    video = folder / "video.mp4"
    data = bytearray(video.read_bytes())
    data[100] ^= 0xFF  # same size, other bytes
    video.write_bytes(bytes(data))
    up = raw_upload(team, atok, tar_folder(folder), manifest_sha(folder))
    done = wait_upload(team, atok, up["id"])
    assert done["state"] == "rejected" and "no longer matches" in done["error"]
    assert done["submission_id"] is None
    keys = bucket_keys(team)
    assert not any(up["id"] in k for k in keys)  # the incoming object is gone
    with team.svc.store.read() as s:
        n = s.execute(sa.select(sa.func.count()).select_from(m.Submission).where(
            m.Submission.manifest_sha256 == manifest_sha(folder))).scalar()
    assert n == 0
    with team.http(rtok) as h:
        queue = h.get("/v1/queue", params={"limit": 500}).json()
    assert manifest_sha(folder) not in str(queue)


def test_client_file_names_never_reach_object_keys(team, tmp_path) -> None:
    _a, _p, atok = team.new_user("contributor")
    evil = tar_of({"package.json": b"{}", "../../etc/passwd": b"root:x:0:0"})
    up = raw_upload(team, atok, evil, "f" * 64)
    done = wait_upload(team, atok, up["id"])
    assert done["state"] == "rejected" and "escapes" in done["error"]
    assert not os.path.exists(os.path.join(team.cfg.work_dir, "..", "etc", "passwd"))
    folder = package(team, tmp_path, pseudonym(team, atok))
    (folder / "frames" / "0000.png").rename(folder / "frames" / "secret name.png")
    steps = folder / "steps.json"
    steps.write_text(steps.read_text().replace("frames/0000.png", "frames/secret name.png"))
    # A regular package: its file names stay inside the archive and the database.
    client(team, atok, tmp_path).ingest_package(folder=reseal(folder))
    for key in bucket_keys(team):
        assert re.fullmatch(r"(incoming/\d+/[0-9a-f]{32}/package\.tar|accepted/blobs/[0-9a-f]{64}"
                            r"|staging/[0-9a-f]{32}|exports/[0-9a-f]{32}/dataset\.tar)", key), key


def test_a_worker_killed_mid_job_ends_in_exactly_one_final_state(team, tmp_path) -> None:
    _a, _p, atok = team.new_user("contributor")
    folder = package(team, tmp_path, pseudonym(team, atok), big=40 << 20)
    up = raw_upload(team, atok, tar_folder(folder), manifest_sha(folder))
    job_id = f"verify-{up['id']}"
    deadline = time.monotonic() + 60
    while True:  # wait until a worker runs it, then kill that worker (and its work-horse)
        with team.svc.store.read() as s:
            job = s.get(Job, job_id)
            if job is not None and job.state == "running":
                break
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.02)
    _kill_workers_and_their_work_horses(team)
    team.start_worker()
    ctx = jobs.context(team.cfg)
    time.sleep(team.cfg.stale_after_s + 0.5)
    with team.svc.store.read() as s:
        job = s.get(Job, job_id)
    assert job.state == "running"  # killed half-way: nobody will finish it on their own
    assert jobs.reconcile(ctx)["dead"] >= 1  # (an OCR job of an earlier test may die too)
    done = wait_upload(team, atok, up["id"], timeout=120)
    assert done["state"] == "accepted"
    deadline = time.monotonic() + 30
    while True:  # the upload is accepted a moment before its job records that it is done
        with team.svc.store.read() as s:
            job = s.get(Job, job_id)
            subs = s.execute(sa.select(m.Submission.id).where(
                m.Submission.manifest_sha256 == manifest_sha(folder))).scalars().all()
        if job.state == "done" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert job.state == "done" and subs == [done["submission_id"]]
    assert jobs.reconcile(ctx)["dead"] == 0


def _kill_workers_and_their_work_horses(team) -> None:
    import signal

    import psutil

    for w in team.workers:
        if not w.alive():
            continue
        main = psutil.Process(w.proc.pid)
        for p in [*main.children(recursive=True), main]:  # RQ's work-horse has its own session
            with contextlib.suppress(psutil.Error):
                p.send_signal(signal.SIGKILL)
        w.proc.wait(10)


def test_the_reaper_aborts_an_old_upload(team) -> None:
    _a, _p, atok = team.new_user("contributor")
    up = raw_upload(team, atok, b"z" * (6 << 20), "9" * 64, complete=False)
    ctx = jobs.context(team.cfg)
    objs = ObjectStore(team.cfg)
    assert any(mp.key.endswith(f"{up['id']}/package.tar") for mp in objs.list_multipart())
    assert jobs.reap(ctx, older_than_s=3600)["aborted"] == 0  # young: kept
    r = jobs.reap(ctx, older_than_s=0)
    assert r["aborted"] >= 1
    assert not any(up["id"] in mp.key for mp in objs.list_multipart())
    with team.svc.store.read() as s:
        assert s.get(Upload, up["id"]).state == "aborted"
    with team.http(atok) as h:
        r = h.post(f"/v1/uploads/{up['id']}/complete")
    assert r.status_code == 409


def test_the_store_refuses_a_wrong_secret(team) -> None:
    s3 = boto3.client("s3", endpoint_url=team.cfg.s3_endpoint,
                      aws_access_key_id=team.cfg.s3_access_key,
                      aws_secret_access_key="not-the-secret", region_name="us-east-1",
                      config=Config(s3={"addressing_style": "path"},
                                    retries={"max_attempts": 1}))
    with pytest.raises(Exception, match="SignatureDoesNotMatch"):
        s3.list_objects_v2(Bucket=team.cfg.s3_bucket)
    anon = httpx.get(f"{team.cfg.s3_endpoint}/{team.cfg.s3_bucket}?list-type=2", timeout=10)
    assert anon.status_code == 403  # never "allow all"
    import dataclasses

    bad = ObjectStore(dataclasses.replace(team.cfg, s3_secret_key="wrong"), max_attempts=1)
    with pytest.raises(ObjectStoreUnavailable, match="refused the server's credentials"):
        bad.check()
