"""A finished recording whose frame index was damaged later (its header overwritten): every
reader refuses it and points to `annotator recover`, and recover, which used to answer
"finalized: nothing to recover", rebuilds the index from the video's frames and says so."""

from __future__ import annotations

import json
import os

import pytest

from annotator.bundle import Bundle, schema
from annotator.bundle.recover import needs_recovery, recover, video_pts
from annotator.errors import BundleError
from tests.conftest import run_annotator
from tests.recorder.test_bundle_v2 import write_bundle


def damaged(tmp_path):
    folder = tmp_path / "b"
    write_bundle(folder, n_ticks=60)  # finished normally
    original = (folder / schema.FRAME_INDEX).read_bytes()
    with open(folder / schema.FRAME_INDEX, "r+b") as fh:
        fh.write(b"\0" * 16)  # the header is gone; the records behind it are intact
    return folder, original


def test_a_damaged_index_is_refused_with_a_way_out_that_works(tmp_path):
    folder, original = damaged(tmp_path)
    with pytest.raises(BundleError) as err:
        Bundle.open(folder).frames  # noqa: B018 (reading it is the test)
    assert "annotator recover" in err.value.hint
    manifest = schema.read_manifest(folder)
    assert manifest["status"] == "complete" and needs_recovery(manifest, folder)

    m = recover(folder)
    assert m["status"] == "recovered"
    assert any("rebuilt from the video's" in p for p in m["problems"])
    # The damaged file is kept, byte for byte.
    kept = (folder / (schema.FRAME_INDEX + ".before-recover")).read_bytes()
    assert kept[16:] == original[16:]
    # One grab per video frame, at the frame's time: the recording plays and steps align.
    frames = Bundle.open(folder).frames
    assert list(frames.t) == video_pts(folder / schema.VIDEO) == list(frames.stored_pts)
    assert not needs_recovery(schema.read_manifest(folder), folder)


def test_the_recover_command_rebuilds_it(tmp_path):
    folder, _ = damaged(tmp_path)
    env = {**os.environ, "ANNOTATOR_HOME": str(tmp_path / "ws")}
    res = run_annotator(["recover", str(folder)], env)
    assert res.returncode == 0, res.stderr
    assert "nothing to recover" not in res.stdout
    assert "rebuilt from the video's" in res.stdout
    res = run_annotator(["inspect", str(folder), "--json"], env)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["status"] == "recovered"
