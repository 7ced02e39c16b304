"""The team server checks stored packages for pieces of hidden values next to their boxes
(the leak check's fragments, from the video and redactions.json alone), and checks again, as
jobs, the packages checked before it did: the results reach the contributor and the admin,
not other contributors."""

from __future__ import annotations

import time

from annotator.store.server_models import Job
from annotator.submission.leak_rescan import CHECK_VERSION, job_id
from tests.redaction.helpers import short_box_render
from tests.server.helpers import client, package, pseudonym, reseal, wait_check


def _reports(team, token: str, sid: int, version: int, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    with team.http(token) as h:
        while True:
            r = h.get("/v1/leak-reports")
            assert r.status_code == 200, r.text
            mine = [x for x in r.json() if x["submission_id"] == sid]
            if mine and (mine[0]["check"] or {}).get("version") == version:
                return mine[0]
            assert time.monotonic() < deadline, mine
            time.sleep(0.3)


def test_old_packages_are_checked_again_as_jobs_and_reported(team, tmp_path) -> None:
    _c, _p, ctok = team.new_user("contributor")
    _o, _p, otok = team.new_user("contributor")
    folder = package(team, tmp_path, pseudonym(team, ctok), size=(640, 160))
    short_box_render(folder, tmp_path)
    info = client(team, ctok, tmp_path).ingest_package(folder=reseal(folder))
    first = wait_check(team, ctok, info.id)["result"]
    assert first["check_version"] == CHECK_VERSION and first["passed"] is False
    assert [(f["box"], f["side"]) for f in first["fragments"]] == [(1, "right")]

    # As if it had been checked before the fragment check existed.
    with team.svc.store.write() as s:
        s.get(Job, f"ocr-{info.id}").result = {"read": 0, "findings": [], "passed": True}
    with team.http(team.admin_token) as h:
        r = h.post("/v1/leak-reports/rescan")
        assert r.status_code == 200, r.text
        assert job_id(info.id) in r.json()["scheduled"]
    got = _reports(team, ctok, info.id, CHECK_VERSION)
    assert got["check"]["passed"] is False and got["check"]["job"] == job_id(info.id)
    assert got["check"]["fragments"][0]["side"] == "right" and not got["due"]
    assert "jane" not in str(got)
    with team.http(otok) as h:  # another contributor sees nothing of it
        assert info.id not in [x["submission_id"] for x in h.get("/v1/leak-reports").json()]
    admin = _reports(team, team.admin_token, info.id, CHECK_VERSION)
    assert admin["check"]["job"] == job_id(info.id)
    # The submission's checks show the latest check.
    assert wait_check(team, ctok, info.id)["result"]["check_version"] == CHECK_VERSION
    with team.http(ctok) as h:
        assert h.post("/v1/leak-reports/rescan").status_code == 403  # admins only
