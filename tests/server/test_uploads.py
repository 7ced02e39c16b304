"""The submission path through the team server: presigned multipart upload, verification,
review, export and withdrawal, with the client library; resuming; bad uploads."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from annotator.remote.http import ServerUnavailable
from annotator.remote.upload import send
from annotator.server.objects import ObjectStore, accepted_key
from annotator.workflow.errors import PackageError
from annotator.workflow.states import State
from tests.server.helpers import (
    bucket_keys,
    client,
    manifest_sha,
    package,
    pseudonym,
    raw_upload,
    tar_folder,
    wait_upload,
)


def test_submit_review_export_withdraw(team, tmp_path) -> None:
    _c, _p, ctok = team.new_user("contributor")
    _r, _p, rtok = team.new_user("reviewer")
    me = pseudonym(team, ctok)
    folder = package(team, tmp_path, me, big=7 << 20)  # two parts of 5 MiB
    ana = client(team, ctok, tmp_path)
    # Another package with the same task.json, so that this test does not depend on what
    # earlier tests left in the shared store (see the withdrawal below).
    ana.ingest_package(folder=package(team, tmp_path, me))
    info = ana.ingest_package(folder=folder)
    assert info.state is State.SUBMITTED and info.contributor == me
    assert list(ana.outbox.root.iterdir()) == []  # accepted: nothing left to send
    keys = bucket_keys(team)
    assert not [k for k in keys if k.startswith("incoming/")]  # moved out once verified

    rev = client(team, rtok, tmp_path)
    page = rev.list_queue(limit=500)
    assert info.id in [q.id for q in page]
    claimed = rev.claim(submission_id=info.id)
    assert claimed.state is State.IN_REVIEW
    detail = rev.get_submission(submission_id=info.id)
    big = next(f for f in detail.files if f.path == "video.mp4")
    assert big.size > 7 << 20
    with rev.open_file(submission_id=info.id, path="video.mp4") as fh:
        data = fh.read()
    assert hashlib.sha256(data).hexdigest() == big.sha256
    assert (folder / "video.mp4").read_bytes() == data
    url = rev.file_url(submission_id=info.id, path="video.mp4")["url"]
    assert "/accepted/blobs/" in url
    rev.approve(submission_id=info.id, quality=4)

    admin = client(team, team.admin_token, tmp_path)
    export = admin.get_export(admin.start_export())
    assert export["state"] == "done", export
    ids = [s["id"] for s in export["submissions"]]
    assert info.id in ids
    out = admin.download_export(
        {"submissions": [s for s in export["submissions"] if s["id"] == info.id]},
        tmp_path / "export")
    assert (out / str(info.id) / "video.mp4").read_bytes() == data

    r = ana.withdraw(submission_id=info.id)
    # task.json has the same bytes in every test package: that blob stays for the others.
    own = [f for f in detail.files if f.path != "task.json"]
    assert r.submission_ids == (info.id,) and r.blobs_deleted == len(own)
    objs = ObjectStore(team.cfg)
    assert all(objs.head_size(accepted_key(f.sha256)) is None for f in own)
    assert httpx.get(url, timeout=30).status_code in (403, 404)  # the bytes are gone
    again = admin.get_export(export["id"])  # an earlier export no longer offers it
    assert info.id not in [s["id"] for s in again["submissions"]]
    assert info.id in again["withdrawn_submission_ids"]
    later = admin.get_export(admin.start_export())  # nor does a later one
    assert info.id not in [s["id"] for s in later["submissions"]]


def test_an_interrupted_upload_resumes_where_it_stopped(team, tmp_path) -> None:
    _c, _p, ctok = team.new_user("contributor")
    folder = package(team, tmp_path, pseudonym(team, ctok), big=16 << 20)  # 4 parts
    ana = client(team, ctok, tmp_path)
    st = ana.outbox.prepare(folder, server=team.url)

    class Crash(Exception):
        pass

    def crash(_n: int) -> None:
        raise Crash

    ana.upload_threads = 1
    with pytest.raises(Crash):
        send(ana.api, ana.outbox, st, threads=1, on_part=crash)
    saved = ana.outbox.load(st.manifest_sha256)
    assert saved.state == "uploading" and len(saved.parts_sent) == 1
    assert saved.part_count == 4

    # A new process: same outbox, a new client.
    again = client(team, ctok, tmp_path)
    again.outbox = ana.outbox
    with team.http(ctok) as h:
        arrived = [p["number"] for p in h.get(f"/v1/uploads/{saved.upload_id}/parts")
                   .json()["parts"]]
    assert 1 in arrived and len(arrived) < 4
    sent = []
    st2 = send(again.api, again.outbox, again.outbox.load(st.manifest_sha256), threads=2,
               on_part=sent.append)
    assert sorted(sent) == sorted({1, 2, 3, 4} - set(arrived))  # only the missing ones
    assert st2.state == "accepted" and st2.submission_id


def test_client_keeps_the_work_when_the_server_is_down(team, tmp_path) -> None:
    from annotator.remote.client import RemoteServices
    from annotator.server.processes import free_port

    _c, _p, ctok = team.new_user("contributor")
    folder = package(team, tmp_path, pseudonym(team, ctok))
    down = RemoteServices(f"http://127.0.0.1:{free_port()}", token=ctok,
                          outbox=tmp_path / "outbox")
    with pytest.raises(ServerUnavailable) as ei:
        down.ingest_package(folder=folder)
    assert "stays on this computer" in ei.value.hint
    assert len(down.outbox.pending()) == 1
    up = RemoteServices(team.url, token=ctok, outbox=tmp_path / "outbox")
    (res,) = up.send_pending()
    assert res.state is State.SUBMITTED
    assert up.outbox.pending() == []


def test_expired_token_mid_upload_is_refreshed_and_the_upload_resumes(team, tmp_path) -> None:
    name, pw, ctok = team.new_user("contributor")
    folder = package(team, tmp_path, pseudonym(team, ctok), big=11 << 20)
    ana = client(team, ctok, tmp_path)
    st = ana.outbox.prepare(folder, server=team.url)
    refreshed = []

    def relogin() -> str:
        with team.http() as h:
            t = h.post("/v1/auth/token", json={"name": name, "passphrase": pw}).json()["token"]
        refreshed.append(t)
        return t

    ana.api.on_unauthorized = relogin

    revoked = []

    def revoke_after_first(_n: int) -> None:
        if not revoked:  # the token dies half-way through the upload
            with team.http(ana.api.token) as h:
                assert h.delete("/v1/auth/token").status_code == 204
            revoked.append(1)

    st = send(ana.api, ana.outbox, st, threads=1, on_part=revoke_after_first)
    assert st.state == "accepted" and len(refreshed) == 1


def test_parts_that_do_not_add_up_are_refused(team) -> None:
    _c, _p, ctok = team.new_user("contributor")
    data = b"x" * (12 << 20)
    with team.http(ctok) as h:
        up = h.post("/v1/uploads", json={"size": len(data), "manifest_sha256": "b" * 64}).json()
        assert up["part_count"] == 3
        urls = h.post(f"/v1/uploads/{up['id']}/part-urls", json={"parts": [1, 3]}).json()["urls"]
        ps = up["part_size"]
        assert httpx.put(urls["1"], content=data[:ps], timeout=30).status_code == 200
        # Too big for the last part: the URL signs its length, the store refuses it.
        assert httpx.put(urls["3"], content=data[:ps], timeout=30).status_code == 403
        r = h.post(f"/v1/uploads/{up['id']}/complete")
        assert r.status_code == 422
        msg = r.json()["message"]
        assert "missing part(s) 2, 3" in msg
        parts = h.get(f"/v1/uploads/{up['id']}/parts").json()["parts"]
        assert [p["number"] for p in parts] == [1]  # nothing lost: fix and complete
        r = h.post(f"/v1/uploads/{up['id']}/part-urls", json={"parts": [9]})
        assert r.status_code == 422


def test_a_package_over_the_size_limit_is_refused(team) -> None:
    _c, _p, ctok = team.new_user("contributor")
    with team.http(ctok) as h:
        r = h.post("/v1/uploads", json={"size": team.cfg.max_package_bytes + 1,
                                        "manifest_sha256": "c" * 64})
    assert r.status_code == 422 and "up to" in r.json()["message"]


def test_a_malformed_manifest_is_rejected_by_verification(team, tmp_path) -> None:
    _c, _p, ctok = team.new_user("contributor")
    folder = package(team, tmp_path, pseudonym(team, ctok))
    (folder / "package.json").write_text('{"format": "annotator-package", "files": [')
    data = tar_folder(folder)
    up = raw_upload(team, ctok, data, manifest_sha(folder))
    done = wait_upload(team, ctok, up["id"])
    assert done["state"] == "rejected" and "does not parse" in done["error"]
    assert str(tmp_path) not in done["error"]  # no server paths in messages


def test_an_upload_for_an_unknown_manifest_sha_is_rejected(team, tmp_path) -> None:
    _c, _p, ctok = team.new_user("contributor")
    folder = package(team, tmp_path, pseudonym(team, ctok))
    up = raw_upload(team, ctok, tar_folder(folder), "d" * 64)
    done = wait_upload(team, ctok, up["id"])
    assert done["state"] == "rejected" and "not the one declared" in done["error"]


def test_a_second_complete_answers_409(team, tmp_path) -> None:
    _c, _p, ctok = team.new_user("contributor")
    folder = package(team, tmp_path, pseudonym(team, ctok))
    up = raw_upload(team, ctok, tar_folder(folder), manifest_sha(folder))
    with team.http(ctok) as h:
        r = h.post(f"/v1/uploads/{up['id']}/complete")
    assert r.status_code == 409
    assert wait_upload(team, ctok, up["id"])["state"] == "accepted"


def test_rejected_package_error_reaches_the_client(team, tmp_path) -> None:
    _c, _p, ctok = team.new_user("contributor")
    folder = package(team, tmp_path, pseudonym(team, ctok))
    (folder / "video.mp4").write_bytes(b"\x00" * (folder / "video.mp4").stat().st_size)
    ana = client(team, ctok, tmp_path)
    with pytest.raises(PackageError, match="no longer matches"):
        ana.ingest_package(folder=folder)
