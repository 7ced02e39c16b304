"""Jobs and uploads change state only through their tables, with append-only history: a
job that keeps meeting a service down is retried up to its attempt limit, then becomes a
dead letter an admin sees and retries; the whole story is in its history, which the
database refuses to change."""

from __future__ import annotations

import dataclasses
import time

import pytest
import sqlalchemy as sa

from annotator.server import jobs, lifecycles
from annotator.server.lifecycles import JOB_RULES, UPLOAD_RULES, UploadAction, move_upload
from annotator.server.objects import ObjectStore, incoming_key
from annotator.server.processes import free_port
from annotator.store.server_models import Job, JobTransition, Upload, UploadTransition
from tests.server.helpers import manifest_sha, package, pseudonym, tar_folder, wait_upload


def test_the_docs_carry_both_tables():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "server.md").read_text()
    assert lifecycles.table_markdown(UPLOAD_RULES) in docs
    assert lifecycles.table_markdown(JOB_RULES) in docs


def _upload_without_a_worker(team, tmp_path, token: str) -> str:
    """A completed upload whose verification job is recorded but not queued (so that this
    test runs its attempts)."""
    with team.http(token) as h:
        uid = h.get("/v1/me").json()["user"]["user_id"]
    folder = package(team, tmp_path, pseudonym(team, token))
    data = tar_folder(folder)
    upload_id = f"{time.time_ns():032x}"
    key = incoming_key(uid, upload_id)
    objs = ObjectStore(team.cfg)
    objs.s3.put_object(Bucket=team.cfg.s3_bucket, Key=key, Body=data)
    now = team.svc.now()
    with team.svc.store.write() as s:
        up = Upload(id=upload_id, user_id=uid, object_key=key, s3_upload_id=None,
                    size=len(data), part_size=len(data), part_count=1,
                    manifest_sha256=manifest_sha(folder), previous_id=None, submit=True,
                    created_at=now)
        move_upload(s, up, UploadAction.CREATE, now=now, actor_id=uid)
        move_upload(s, up, UploadAction.COMPLETE, now=now, actor_id=uid, completed_at=now)
        jobs.record_job(s, job_id=f"verify-{upload_id}", kind="verify", ref=upload_id,
                        now=now)
    return upload_id


def test_a_job_out_of_attempts_is_a_dead_letter_an_admin_retries(team, tmp_path):
    _c, _p, ctok = team.new_user("contributor")
    _r, _p, rtok = team.new_user("reviewer")
    upload_id = _upload_without_a_worker(team, tmp_path, ctok)
    job_id = f"verify-{upload_id}"
    # The object store is down for this worker: every attempt meets it.
    down = dataclasses.replace(team.cfg, s3_endpoint=f"http://127.0.0.1:{free_port()}",
                               job_max_attempts=2)
    ctx = jobs.context(team.cfg)
    bad = dataclasses.replace(ctx, cfg=down, objects=ObjectStore(down, max_attempts=1))
    for left in ("queued", "dead"):  # an attempt left, then none: a dead letter
        with pytest.raises(Exception, match="cannot be reached"):
            jobs.run_job(job_id, ctx=bad)
        with team.svc.store.read() as s:
            assert s.get(Job, job_id).state == left
            assert s.get(Upload, upload_id).state == "uploaded"  # not left "verifying"
    assert jobs.run_job(job_id, ctx=bad) is None  # dead: nobody runs it on their own
    with team.http(rtok) as h:
        assert h.get("/v1/jobs").status_code == 403  # admins only
    with team.http(team.admin_token) as h:
        dead = h.get("/v1/jobs", params={"state": "dead"}).json()
        assert job_id in [j["id"] for j in dead]
        r = h.post(f"/v1/jobs/{job_id}/retry")
        assert r.status_code == 200 and r.json()["state"] == "queued"
        assert h.post(f"/v1/jobs/{job_id}/retry").status_code == 409  # queued: not again
    done = wait_upload(team, ctok, upload_id)  # the real worker, with the store up
    assert done["state"] == "accepted", done
    deadline = time.monotonic() + 30
    while True:
        with team.http(team.admin_token) as h:
            job = h.get(f"/v1/jobs/{job_id}").json()
        if job["state"] == "done" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert [t["action"] for t in job["history"]] == [
        "create", "start", "retry", "start", "bury", "revive", "start", "finish"]
    with team.http(ctok) as h:
        story = [t["action"] for t in h.get(f"/v1/uploads/{upload_id}/history").json()]
    assert story == ["create", "complete", "start", "requeue", "start", "requeue", "start",
                     "accept"]


@pytest.mark.parametrize("table", [JobTransition, UploadTransition])
def test_the_histories_are_append_only(team, table):
    with team.svc.store.engine.connect() as conn:
        for stmt in (sa.update(table).values(reason="rewritten"), sa.delete(table)):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                with conn.begin():
                    conn.execute(stmt)


def test_a_forbidden_change_is_refused(team):
    from annotator.workflow.errors import Conflict

    with pytest.raises(Conflict, match="only from"):
        lifecycles.check_upload(UploadAction.ACCEPT, "uploading", ident="x")
    with pytest.raises(Conflict):
        lifecycles.check_job(lifecycles.JobAction.FINISH, "queued", ident="x")
