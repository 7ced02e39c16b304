"""The OCR leak check, run again on the server after acceptance: PII visible in a frame is
reported to reviewers (by kind and frame, never the text itself); an unreadable frame (of a
submission accepted before verification refused such frames) fails the check, and one too
large is not decoded."""

from __future__ import annotations

import os

import cv2
import numpy as np

from tests.server.helpers import client, package, pseudonym, reseal, wait_check


def test_an_email_left_in_a_frame_is_reported_to_reviewers(team, tmp_path) -> None:
    _c, _p, ctok = team.new_user("contributor")
    _r, _p, rtok = team.new_user("reviewer")
    _o, _p, otok = team.new_user("contributor")
    folder = package(team, tmp_path, pseudonym(team, ctok), steps=2, size=(900, 120))
    img = np.full((120, 900, 3), 255, np.uint8)
    cv2.putText(img, "Contact: alice.smith@example.com", (10, 70), cv2.FONT_HERSHEY_SIMPLEX,
                1.2, (0, 0, 0), 2)
    for i in range(2):  # both frames real PNGs: one with an address, one blank
        frame = img if i == 0 else np.full_like(img, 255)
        cv2.imwrite(str(folder / "frames" / f"{i:04d}.png"), frame)
    info = client(team, ctok, tmp_path).ingest_package(folder=reseal(folder))
    ocr = wait_check(team, rtok, info.id)
    assert ocr["state"] == "done", ocr
    res = ocr["result"]
    assert res["read"] == 2 and res["passed"] is False
    assert res["findings"] == [{"path": "frames/0000.png", "kind": "email",
                                "score": res["findings"][0]["score"]}]
    assert "alice" not in str(res)  # the finding, not the text
    with team.http(otok) as h:  # not visible to another contributor
        assert h.get(f"/v1/submissions/{info.id}/checks").status_code == 404


def test_unreadable_frames_fail_the_check(team, tmp_path) -> None:
    from annotator.server import jobs
    from tests.server.test_verification import big_png

    name, pw, _tok = team.new_user("contributor")
    me = team.svc.sign_in(name=name, passphrase=pw)
    folder = package(team, tmp_path, me.pseudonym, steps=2)
    (folder / "frames" / "0000.png").write_bytes(b"\x89PNG\r\n" + os.urandom(512))
    (folder / "frames" / "0001.png").write_bytes(big_png(12000, 12000))
    # Straight into the store, as before the server measured files (it refuses these now).
    info = team.svc.ingest_package(actor=me, folder=reseal(folder))
    res = jobs.ocr_check(jobs.context(team.cfg), str(info.id))
    assert res["passed"] is False and res["unreadable"] == ["frames/0000.png",
                                                            "frames/0001.png"]
