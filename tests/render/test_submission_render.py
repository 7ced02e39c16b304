"""Rendering a recording from its edits (``render_for_submission``, ``annotator render``): the
bad cases.  A redaction whose step is gone, nothing left in the kept ranges, an interruption
during the leak check."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from annotator.edits import EditSession
from annotator.jobs import Cancelled, Progress
from annotator.media import leakcheck
from annotator.media.render import RenderError
from annotator.redaction.leakscan import OCR_CHECK
from annotator.submission.render import plan_from_edits, render_for_submission
from tests.conftest import run_annotator
from tests.render.synth import SECRET_RECT, T0, make_bundle


def digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file() and p.name != "edits.json"
            and not p.name.startswith("edits.json")}


def test_a_redaction_of_a_removed_step_is_kept_on_its_range_and_flagged(tmp_path):
    info = make_bundle(tmp_path / "rec", grabs=20)
    with EditSession.open(tmp_path / "rec", steps=[]) as s:
        s.add_box(list(SECRET_RECT), 0, info["duration_us"], start_step="gone-step",
                  end_step="gone-step")
    plan = plan_from_edits(tmp_path / "rec")
    assert [r["start_step"] for r in plan.orphaned] == ["gone-step"]
    assert "removed since" in plan.notes[0] and "kept on its time range" in plan.notes[0]
    env = dict(os.environ, ANNOTATOR_HOME=str(tmp_path / "ws"))
    res = run_annotator(["render", str(tmp_path / "rec"), "--out", str(tmp_path / "o.mp4"),
                         "--json"], env, timeout=300)
    report = json.loads(res.stdout)
    assert [b["rect"] for b in report["render"]["boxes"]] == [list(SECRET_RECT)]
    checks = {c["name"]: c["status"] for c in report["leak_check"]["checks"]}
    assert checks["box_fill"] == leakcheck.PASSED  # still burned in, on its time range
    assert checks[OCR_CHECK] in (leakcheck.PASSED, leakcheck.FAILED)
    assert any("removed since" in n for n in report["notes"]), report["notes"]


def test_nothing_in_the_kept_ranges_is_a_clear_error_and_writes_nothing(tmp_path):
    make_bundle(tmp_path / "rec", grabs=20)
    with EditSession.open(tmp_path / "rec", steps=[]) as s:
        s.trim(0, T0 - 1)  # before the first frame
    with pytest.raises(RenderError, match="no video frame") as err:
        render_for_submission(tmp_path / "rec", tmp_path / "out.mp4")
    assert err.value.hint
    env = dict(os.environ, ANNOTATOR_HOME=str(tmp_path / "ws"))
    res = run_annotator(["render", str(tmp_path / "rec"), "--out", str(tmp_path / "out.mp4")],
                        env)
    assert res.returncode == 2 and "no video frame" in res.stderr
    assert "What to do" in res.stderr
    assert not (tmp_path / "out.mp4").exists()
    assert not list(tmp_path.glob(".*partial"))


@pytest.mark.parametrize("when", ["Rendering", "Reading the rendered frames"])
def test_an_interrupted_render_or_check_leaves_no_output(tmp_path, when):
    info = make_bundle(tmp_path / "rec", grabs=40)
    with EditSession.open(tmp_path / "rec", steps=[]) as s:
        s.add_box(list(SECRET_RECT), 0, info["duration_us"])
    plan_from_edits(tmp_path / "rec")  # derives and stores the steps (not a recorded file)
    before = digest(tmp_path / "rec")
    seen = []

    def on(done, total, msg):
        seen.append(msg)
        if msg.startswith(when) and done > 0:
            token.cancel()

    token = Progress(on)
    with pytest.raises(Cancelled):
        render_for_submission(tmp_path / "rec", tmp_path / "out.mp4", token)
    assert any(m.startswith(when) for m in seen)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec"]  # nothing, not even a temp
    assert digest(tmp_path / "rec") == before
