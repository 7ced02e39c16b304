"""The editor on bad inputs (issue 4): a folder that is not a recording, a bundle of a newer
schema, a missing or truncated video, damaged steps.json, a recording on a read-only disk.
Each opens what can be shown and says what is missing, or refuses with what to do."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys

import pytest

from annotator.bundle.schema import SCHEMA_VERSION
from annotator.errors import AnnotatorError
from annotator.media.video import VideoReader
from annotator.ui.editor.window import EditorWindow
from tests.conftest import ROOT
from tests.ui.test_editor import open_editor


def test_a_folder_that_is_not_a_recording_is_refused_with_what_to_do(qtbot, tmp_path):
    (tmp_path / "holiday photos").mkdir()
    (tmp_path / "holiday photos" / "a.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(AnnotatorError) as exc:
        EditorWindow(tmp_path / "holiday photos")
    assert "not a recording bundle" in exc.value.message and "manifest.json" in exc.value.message
    assert exc.value.hint
    with pytest.raises(AnnotatorError) as exc:
        EditorWindow(tmp_path / "nowhere")
    assert "not a folder" in exc.value.message
    # The command line says the same and fails, with no window and no traceback.
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-m", "annotator", "edit",
                          str(tmp_path / "holiday photos")], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "not a recording bundle" in out.stderr and "Traceback" not in out.stderr


def test_a_bundle_of_a_newer_schema_is_refused_and_left_untouched(qtbot, demo):
    manifest = demo / "manifest.json"
    data = json.loads(manifest.read_text())
    data["schema_version"] = SCHEMA_VERSION + 1
    manifest.write_text(json.dumps(data))
    before = sorted(p.name for p in demo.iterdir())
    with pytest.raises(AnnotatorError) as exc:
        EditorWindow(demo)
    assert f"schema version {SCHEMA_VERSION + 1}" in exc.value.message
    assert "Update annotator" in exc.value.hint
    assert sorted(p.name for p in demo.iterdir()) == before  # nothing written


def test_missing_video_opens_the_steps_and_says_so(qtbot, demo):
    (demo / "video.mp4").unlink()
    win = EditorWindow(demo)
    qtbot.addWidget(win)
    win.show()
    assert win.step_list.count() >= 10  # the steps are there to label
    assert win.banner_box.isVisibleTo(win) and "video" in win.banner.text().lower()
    assert "missing" in win.banner.text()
    assert win.view.message == "No video to show" and win.view.pts is None
    win.select_step(win.session.result.all_steps[2].id)
    win.instruction.setText("typed the customer")
    win._commit_instruction()
    assert win.session.result.all_steps[2].label.instruction == "typed the customer"
    win.close()


def test_lost_frame_index_still_drafts_every_step(qtbot, demo):
    """No frame index: no frame cache is built, and the drafts that read the screen must not
    wait for one."""
    (demo / "frames.idx").unlink()
    win = EditorWindow(demo)
    qtbot.addWidget(win)
    win.show()
    assert "frame index" in " ".join(win.notes).lower() or not win.video_ok
    total = len(win.session.result.all_steps)
    qtbot.waitUntil(lambda: len(win.drafts.drafts) == total, timeout=120_000)
    # Without the index a step's exact frame is unknown: a click is named from the frame
    # when there is one, else its draft is honestly weak.
    d = win.drafts.drafts[win.session.result.steps[0].id]
    assert d.text == "Click the Customer field" or d.weak
    win.close()


def test_a_damaged_frame_index_header_is_rebuilt_on_opening(qtbot, demo):
    """A finished recording whose frames.idx header was overwritten: the editor repairs it
    (as `annotator recover` does) and says what it did, not that the recording was cut off."""
    index = demo / "frames.idx"
    with open(index, "r+b") as fh:
        fh.write(b"\0" * 16)
    win = EditorWindow(demo)
    qtbot.addWidget(win)
    notes = " ".join(win.notes)
    assert "rebuilt from the video's" in notes and "cut off" not in notes
    assert (demo / "frames.idx.before-recover").is_file()
    assert len(win.bundle.frames) > 0 and win.video_ok
    win.close()


def test_truncated_video_shows_what_it_has_and_says_which_frame_is_missing(qtbot, demo):
    video = demo / "video.mp4"
    with VideoReader(video) as r:
        all_pts = r.all_pts()
    # Cut the file in the middle of its last fragments: the tail of the recording is gone.
    data = video.read_bytes()
    video.write_bytes(data[: int(len(data) * 0.55)])
    with VideoReader(video) as r:
        kept = [f.pts for f in r.frames_at(all_pts)]
    last_kept = max(kept)
    assert last_kept < all_pts[-1]
    win = open_editor(qtbot, demo)
    steps = win.session.result.all_steps
    early = next(s for s in steps if win._obs_pts(s) <= last_kept)
    late = next(s for s in reversed(steps) if win._obs_pts(s) > last_kept)
    # A step inside what is left: its exact frame, no notice.
    win.select_step(early.id)
    qtbot.waitUntil(lambda: win.view.pts == win._obs_pts(early), timeout=5000)
    assert win.view.notice == ""
    # A step past the cut: the last frame there is, and the view says the real one is missing.
    win.select_step(late.id)
    qtbot.waitUntil(lambda: "no frame at" in win.view.notice, timeout=5000)
    assert win.view.pts <= last_kept < win._obs_pts(late)
    assert "cut short or damaged" in win.view.notice
    assert "frames are missing" in win.banner.text() and win.banner_box.isVisibleTo(win)
    win.close()


def test_damaged_steps_file_is_derived_again_and_left_as_it_was(qtbot, demo):
    (demo / "steps.json").write_text('{"format": "annotator-steps", "format_ver')
    win = open_editor(qtbot, demo)
    assert win.step_list.count() >= 10
    assert "derived again" in win.banner.text()
    win.close()
    assert (demo / "steps.json").read_text().endswith('"format_ver')


@pytest.fixture
def read_only_copy(demo, tmp_path):
    """The demo recording on a tmpfs remounted read-only (root only: CI runs as root)."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("needs root to mount a tmpfs")
    mnt = tmp_path / "ro"
    mnt.mkdir()
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mnt)],
                       check=True, capture_output=True, timeout=30)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc.stderr.decode().strip()}")
    try:
        dst = mnt / demo.name
        shutil.copytree(demo, dst, ignore=shutil.ignore_patterns("steps.json", "cache"))
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True,
                       capture_output=True, timeout=30)
        yield dst
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            subprocess.run(["umount", "-l", str(mnt)], check=True, capture_output=True,
                           timeout=30)


def test_recording_on_a_read_only_disk_opens_for_looking(qtbot, read_only_copy):
    folder = read_only_copy
    before = sorted(p.name for p in folder.iterdir())
    # Never opened before: no steps.json, no cache; neither can be written.
    win = open_editor(qtbot, folder)
    assert win.step_list.count() >= 10
    assert win.session.read_only and "read-only" in win.banner.text()
    step = win.session.result.all_steps[3]
    win.select_step(step.id)
    qtbot.waitUntil(lambda: win.view.pts == win._obs_pts(step), timeout=5000)
    win.instruction.setText("something")
    win._commit_instruction()  # refused with a message, nothing lost, no crash
    assert "Not done" in win.banner.text() or win.statusBar().currentMessage()
    win.close()
    assert sorted(p.name for p in folder.iterdir()) == before
