"""Verification is authoritative: every figure that matters is measured in the package's
files.  A package whose claims disagree with its files is rejected with a reason and pays
nothing; a valid video of one picture held for hours pays for active time only; pictures
too large are refused from their headers, before anything is decoded, and the worker's
memory stays bounded."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import zlib
from pathlib import Path

import pytest

from annotator.store import models as m
from annotator.store.server_models import Job, Upload
from tests.server.helpers import (
    client,
    manifest_sha,
    package,
    pseudonym,
    raw_upload,
    tar_folder,
    wait_upload,
)
from tests.workflow import helpers as wh


def resealed(folder: Path, *, summary: dict | None = None) -> Path:
    """The package's manifest written again (with ``summary`` changes) and consented again,
    as a tampering client would."""
    from annotator.workflow import package as P

    manifest = json.loads((folder / "package.json").read_text())
    s = dict(manifest["summary"], **(summary or {}))
    sha = P.write_manifest(folder, goal=manifest["task"]["goal"], outcome="success", summary=s,
                           task_id=manifest["task"]["task_id"])
    record = json.loads((folder / "consent.json").read_text())
    record.update(manifest_sha256=sha, record_id=os.urandom(8).hex())
    P.write_consent(folder, record)
    return folder


def big_png(width: int, height: int) -> bytes:
    """A valid PNG of that size (one grey, so a few hundred kB on disk, gigabytes decoded)."""
    row = b"\x00" + b"\x80" * width
    raw = zlib.compress(row * height, 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        import struct

        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    import struct

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def _claims_ten_hours(folder: Path) -> Path:
    return resealed(folder, summary={"duration_us": 36_000_000_000})


def _claims_steps(folder: Path) -> Path:
    return resealed(folder, summary={"steps": 40})


def _frame_of_other_size(folder: Path) -> Path:
    from tests.mediafiles import png_bytes, screen

    (folder / "frames" / "0001.png").write_bytes(png_bytes(screen(320, 200, 5)))
    return resealed(folder)


def _random_video(folder: Path) -> Path:
    (folder / "video.mp4").write_bytes(os.urandom(4096))
    return _claims_ten_hours(folder)


def _image_bombs(folder: Path) -> Path:
    for name in ("0000.png", "0001.png"):
        (folder / "frames" / name).write_bytes(big_png(12000, 12000))
    return resealed(folder)


CASES = {
    "declares ten hours": (_claims_ten_hours, "lasts"),
    "declares 40 steps": (_claims_steps, "steps"),
    "a frame of another size": (_frame_of_other_size, "320x200"),
    "4 kB of random bytes declared as ten hours of video": (_random_video, "video"),
    "two PNGs of 12000x12000": (_image_bombs, "12000x12000"),
}


def test_claims_that_disagree_with_the_files_are_rejected_and_pay_nothing(team, tmp_path):
    _c, _p, ctok = team.new_user("contributor")
    me = pseudonym(team, ctok)
    uploads = {}
    for name, (spoil, _words) in CASES.items():
        folder = spoil(package(team, tmp_path, me))
        uploads[name] = (raw_upload(team, ctok, tar_folder(folder), manifest_sha(folder)),
                         manifest_sha(folder))
    for name, (up, sha) in uploads.items():
        done = wait_upload(team, ctok, up["id"])
        words = CASES[name][1]
        assert done["state"] == "rejected", (name, done)
        assert words in done["error"] and "/tmp" not in done["error"], (name, done["error"])
        with team.svc.store.read() as s:  # nothing to review, nothing to pay
            n = s.query(m.Submission).filter(m.Submission.manifest_sha256 == sha).count()
        assert n == 0, name
    # The pictures too large were refused from their headers: the worker's memory peak
    # stayed far below what decoding one of them takes (12000 x 12000 x 3 = 432 MB).
    job_id = f"verify-{uploads['two PNGs of 12000x12000'][0]['id']}"
    deadline = time.monotonic() + 30
    while True:  # the upload is rejected a moment before its job records its result
        with team.svc.store.read() as s:
            job = s.get(Job, job_id)
        if job.state == "done" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert job.result["memory"]["peak_mb"] < 300, job.result


def test_one_picture_held_for_hours_pays_for_active_time_only(team, tmp_path):
    _c, _p, ctok = team.new_user("contributor")
    _r, _p, rtok = team.new_user("reviewer")
    # A valid video of ten hours: one picture, the next 3 h 20 min later, held till the end
    # (a millisecond clock holds a picture that long); two steps; every claim true.
    # Paid: the steps' span with the idle wait capped, not ten hours.
    folder = package(team, tmp_path, pseudonym(team, ctok), steps=2,
                     summary={"duration_us": 36_000_000_000}, clock_hz=1000)
    info = client(team, ctok, tmp_path).ingest_package(folder=folder)
    cap = getattr(team.cfg, "pay_idle_cap_s", 30) * 1e6
    rev = client(team, rtok, tmp_path)
    rev.claim(submission_id=info.id)
    done = rev.approve(submission_id=info.id, quality=3)
    admin = client(team, team.admin_token, tmp_path)
    admin.set_rates(per_approved_minute_cents=100, per_approved_task_cents=0,
                    effective_from=done.decided_at - dt.timedelta(minutes=1))
    report = admin.payouts(month=done.decided_at.strftime("%Y-%m"))
    rows = report.items[report.items["submission_id"] == info.id]
    assert len(rows) == 1, report.items
    item = rows.iloc[0]
    assert item["approved_minutes"] <= 2 * cap / 60e6 and item["minute_cents"] <= 100, item
    with team.svc.store.read() as s:
        sub = s.get(m.Submission, info.id)
        up = s.query(Upload).filter(Upload.submission_id == info.id).one()
        assert sub.duration_us == 36_000_000_000  # measured: the file does last ten hours
        assert 0 < sub.paid_us <= 2 * cap and sub.verified_at is not None
        assert up.figures["active_us"] == sub.paid_us and up.figures["steps"] == 2


@pytest.mark.parametrize("width,height", [(8208, 16)])
def test_a_video_over_the_size_limit_is_refused_before_decoding(team, tmp_path, width, height):
    _c, _p, ctok = team.new_user("contributor")
    folder = wh.make_package(tmp_path / "wide", contributor=pseudonym(team, ctok),
                             svc=team.svc, seed=os.urandom(4).hex(), size=(width, height),
                             steps=1)
    up = raw_upload(team, ctok, tar_folder(folder), manifest_sha(folder))
    done = wait_upload(team, ctok, up["id"])
    assert done["state"] == "rejected" and f"{width}x{height}" in done["error"]
