"""Packages stored before the leak check looked for fragments are checked again (locally
through the workflow services; the team server does the same as jobs), and what is found
reaches their contributor and the admin, with the exports that hold them."""

from __future__ import annotations

import json
import os

import pytest

from annotator.store import open_store
from annotator.submission import leak_rescan
from annotator.workflow import package as P
from annotator.workflow.service import Services
from tests.conftest import run_annotator
from tests.workflow.helpers import SUMMARY, build_world

from .helpers import short_box_render


def _package_with_a_short_box(tmp_path, world, who):
    folder = world.package(who, size=(640, 160))
    short_box_render(folder, tmp_path)
    return _sealed(folder, world, who)


def _package_with_a_broken_video(world, who):
    folder = world.package(who)
    (folder / "video.mp4").write_bytes(os.urandom(4096))
    return _sealed(folder, world, who)


def _sealed(folder, world, who):
    sha = P.write_manifest(folder, goal="Send the invoice", outcome="success",
                           summary=SUMMARY, task_id=None)
    terms = world.svc.get_terms()
    P.write_consent(folder, P.consent_record(
        contributor=who.pseudonym, terms_version=terms.version, terms_sha256=terms.sha256,
        manifest_sha256=sha, method="test", given=world.svc.now()))
    return folder


def test_old_packages_are_checked_again_and_reported(qapp, tmp_path):
    store = open_store(workspace_root=tmp_path / "ws")
    svc = Services(store)
    world = build_world(svc, tmp_path / "pk")
    sub = svc.ingest_package(actor=world.ana,
                             folder=_package_with_a_short_box(tmp_path, world, world.ana),
                             submit=True)
    other = svc.ingest_package(actor=world.bob, submit=True,  # a video that cannot be checked
                               folder=_package_with_a_broken_video(world, world.bob))
    # Made before the change: checked by the first check only (no version).
    leak_rescan.record(svc, sub.id, {"read": 0, "findings": [], "passed": True},
                       jid=f"ocr-{sub.id}")
    assert leak_rescan.due(svc) == [sub.id, other.id]
    (mine,) = leak_rescan.reports(svc, actor=world.ana)
    assert mine["due"] and mine["check"]["passed"] is True and mine["check"]["version"] == 1

    got = leak_rescan.rescan(svc, actor=world.admin)
    assert leak_rescan.due(svc) == []
    rep = {r["submission_id"]: r for r in got}
    frag = rep[sub.id]["check"]
    assert frag["passed"] is False and frag["version"] == leak_rescan.CHECK_VERSION
    (f,) = frag["fragments"]
    assert (f["box"], f["side"]) == (1, "right") and f["time_us"] == 100_000
    assert rep[other.id]["check"]["passed"] is False and rep[other.id]["check"]["error"]
    assert "jane" not in json.dumps(got)  # what it found, never the text

    # The contributor sees their own, not bob's; the admin sees both, and the export.
    assert [r["submission_id"] for r in leak_rescan.reports(svc, actor=world.ana)] == [sub.id]
    exports = tmp_path / "exports" / "set-1"
    exports.mkdir(parents=True)
    (exports / "manifest.json").write_text(json.dumps(
        {"episodes": [{"episode_id": "e1", "submission_id": sub.id}]}))
    rep = {r["submission_id"]: r for r in leak_rescan.reports(
        svc, actor=world.admin, export_dirs=[tmp_path / "exports"])}
    assert rep[sub.id]["exports"] == [str(exports)] and rep[other.id]["exports"] == []

    # The command line, as the admin: the report, flagged (exit status 1).
    store.dispose()
    env = dict(os.environ, ANNOTATOR_PASSPHRASE="admin passphrase", QT_QPA_PLATFORM="offscreen")
    got = run_annotator(["--workspace", str(tmp_path / "ws"), "leaks", "--user", "admin",
                         "--exports", str(tmp_path / "exports")], env, timeout=120)
    assert got.returncode == 1, got.stderr
    assert (f"#{sub.id} ({world.ana.pseudonym}, submitted): FLAGGED - 1 possible piece(s)"
            in got.stdout)
    assert f"#{other.id} ({world.bob.pseudonym}, submitted): FLAGGED" in got.stdout
    assert "video.mp4 cannot be decoded" in got.stdout
    assert "box 1, right edge, from 0:00.10" in got.stdout and str(exports) in got.stdout


@pytest.mark.tesseract
def test_a_stored_step_frame_is_read_as_the_suggestions_read_it(qapp):
    # A card number whose Luhn check fails (as OCR leaves one it misread) is found in a
    # stored step frame as the editor would have suggested it; harmless text is not.
    import cv2

    from .helpers import render

    img, _ = render((640, 100), [(20, 20, "Card number: 4111 1111 1111 1112", 16),
                                 (20, 60, "Order ORD-2024-118842 of 2024-03-01", 16)])
    png = cv2.imencode(".png", img[:, :, ::-1])[1].tobytes()

    class Blobs:
        def get(self, sha):
            assert sha == "f0"
            return png

    svc = type("Svc", (), {"blobs": Blobs()})()
    got = leak_rescan._frame_findings(svc, [("frames/0001.png", "f0")])
    assert got["read"] == 1 and got["unreadable"] == []
    assert [(f["path"], f["kind"]) for f in got["findings"]] == [
        ("frames/0001.png", "unread_value")]

