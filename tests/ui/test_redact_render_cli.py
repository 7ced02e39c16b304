"""The redaction pipeline from the command line, on the demo recording: suggestions found
offline, accepted, burned in, leak-checked."""

from __future__ import annotations

import json
import os

import numpy as np

from annotator.media.video import VideoReader
from tests.conftest import run_annotator


def test_suggest_accept_render_and_leak_check(demo, tmp_path):
    env = dict(os.environ, ANNOTATOR_HOME=str(tmp_path / "ws"))
    res = run_annotator(["redact", str(demo), "--suggest", "--accept-all"], env, timeout=600)
    assert res.returncode == 0, res.stderr
    sugg = json.loads((demo / "suggestions.json").read_text())["suggestions"]
    assert {(s["kind"], s["source"]) for s in sugg} >= {("email", "ocr"), ("email", "typed_text")}
    assert "jane.doe" not in (demo / "suggestions.json").read_text()  # no secret at rest
    edits = json.loads((demo / "edits.json").read_text())
    reds = edits["edits"]["redactions"] if "edits" in edits else edits["redactions"]
    assert {r["kind"] for r in reds} == {"box", "text"}

    out = tmp_path / "rendered.mp4"
    res = run_annotator(["render", str(demo), "--out", str(out), "--json"], env, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    report = json.loads(res.stdout)
    assert report["leak_check"]["status"] == "passed"
    with VideoReader(out) as r:
        pts = r.all_pts()
        assert pts[0] == 0
        box = next(x for x in reds if x["kind"] == "box")
        x, y, w, h = box["rect"]
        inside = r.frame_at(pts[-1]).rgb[y + 2:y + h - 2, x + 2:x + w - 2]
        # Black, give or take the encoder's noise (a missed box shows the light field: ~240).
        assert inside.mean() <= 10 and np.percentile(inside, 99) <= 40, inside.max()

    # A render into the recording's own folder is refused, with nothing written there.
    res = run_annotator(["render", str(demo), "--out", str(demo / "video.mp4")], env)
    assert res.returncode == 2 and "What to do" in res.stderr


def test_accept_all_takes_the_suggestions_found_before(demo, tmp_path):
    # `redact --suggest` then `redact --accept-all` was refused ("give --suggest"): the
    # contributor had to read every frame again to accept what they had just looked at.
    env = dict(os.environ, ANNOTATOR_HOME=str(tmp_path / "ws"))
    before = (demo / "edits.json").read_bytes() if (demo / "edits.json").exists() else None
    res = run_annotator(["redact", str(demo), "--accept-all"], env)
    assert res.returncode == 2 and "No suggestions were looked for" in res.stderr
    assert f"annotator redact {demo} --suggest --accept-all" in res.stderr
    after = (demo / "edits.json").read_bytes() if (demo / "edits.json").exists() else None
    assert after == before
    res = run_annotator(["redact", str(demo), "--suggest", "--no-ocr"], env)
    assert res.returncode == 0 and "email (typed_text)" in res.stdout, res.stderr
    res = run_annotator(["redact", str(demo), "--accept-all"], env)
    assert res.returncode == 0 and "email (typed_text)" in res.stdout, res.stderr
    n = len(json.loads((demo / "suggestions.json").read_text())["suggestions"])
    assert f"Accepted {n} as redactions" in res.stdout
    res = run_annotator(["redact", str(demo), "--accept-all"], env)
    assert res.returncode == 0 and "None left to accept" in res.stdout
