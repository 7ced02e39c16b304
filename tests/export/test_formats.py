"""The canonical archive and the webdataset shards of realistic episodes (six, from three
contributors), read by their real consumers: datasets, webdataset, mlcroissant; counts,
fields and decoded images match the source submissions.  Every dialect's rows are in
test_golden.py, their round trips in test_roundtrip.py."""

from __future__ import annotations

import glob
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from annotator.export.run import ExportRequest, run_export
from annotator.export.source import approved_episodes
from tests.export.fixtures import ALLOWED_EMAIL, KEY, W, steps_for


def export(world, tmp_path: Path, fmt: str, **kw):
    out = tmp_path / "exports" / f"{fmt}-{kw.get('dialect') or 'x'}"
    req = ExportRequest(out=out, format=fmt, redaction_key=KEY, **kw)
    return run_export(world.store, req)


def source_frames(world) -> dict[tuple[str, int], np.ndarray]:
    """(episode id, step index) -> the package's lossless frame, decoded from the blob."""
    out = {}
    for ep in approved_episodes(world.store):
        for n in range(world.steps_of[ep.submission_id]):
            f = ep.files[f"frames/{n:04d}.png"]
            out[(ep.episode_id, n)] = np.asarray(Image.open(io.BytesIO(
                world.store.blobs.get(f.sha256))).convert("RGB"))
    return out


def test_canonical_loads_with_datasets_and_croissant(base_world, tmp_path):
    import datasets
    import mlcroissant as mlc

    r = export(base_world, tmp_path, "canonical", split="by-contributor:0.5,0.5")
    assert r.check.ok, r.check.text()
    assert r.episodes == len(base_world.approved) == 6
    assert r.steps == sum(base_world.steps_of.values()) == 72
    files = {s: sorted(glob.glob(str(r.out / f"data/steps/{s}-*.parquet")))
             for s in ("train", "test")}
    ds = datasets.load_dataset("parquet", data_files=files)
    assert sum(len(ds[s]) for s in ds) == 72
    frames = source_frames(base_world)
    by_ep: dict[str, list] = {}
    for split in ds:
        for row in ds[split]:
            by_ep.setdefault(row["episode_id"], []).append(row)
            img = row["obs_image"]
            assert isinstance(img, Image.Image)
            assert np.array_equal(np.asarray(img.convert("RGB")),
                                  frames[(row["episode_id"], row["step_index"])])
    # Fields match the source steps (steps_for: the episode's recipe, by its seed).
    eps = {e["episode_id"]: e for e in r.manifest["episodes"]}
    for ep_id, rows in by_ep.items():
        seed = base_world.approved.index(eps[ep_id]["submission_id"]) + 1
        recipe = steps_for(seed)
        assert [x["step_index"] for x in rows] == list(range(len(recipe)))
        for row, raw in zip(rows, recipe, strict=True):
            want = {"hotkey": "key"}.get(raw["type"], raw["type"])
            assert row["action_type"] == want
            if raw.get("x") is not None:
                assert (row["x"], row["y"]) == (raw["x"], raw["y"])
            assert row["obs_ts_ms"] < row["t_start_ms"]
            assert row["low_level_instruction"] == raw["instruction"]
        assert rows[-1]["terminal_status"] == "success"
        assert rows[2]["keys"] == ["ctrl", "s"]
        assert rows[8]["redacted"] and ALLOWED_EMAIL in rows[8]["text"]
    # Splits by contributor, as the manifest says.
    contributors = {}
    for e in r.manifest["episodes"]:
        contributors.setdefault(e["contributor"], set()).add(e["split"])
        assert e["consent_record_id"] and e["manifest_sha256"] and e["reviewer"]
    assert all(len(s) == 1 for s in contributors.values())
    assert r.manifest["counts"]["by_action_type"]["click"] == 6
    # The card's configs and the episodes table.
    card = (r.out / "README.md").read_text()
    assert card.startswith("---\nconfigs:\n")
    epi = datasets.load_dataset(str(r.out), "episodes")
    assert sum(len(epi[s]) for s in epi) == 6
    assert set(epi["train"]["consent_id"]) <= {e["consent_record_id"]
                                               for e in r.manifest["episodes"]}
    # Croissant: validates and reads records.
    meta = json.loads((r.out / "croissant.json").read_text())
    for key in ("rai:dataCollection", "rai:personalSensitiveInformation",
                "rai:dataPreprocessingProtocol", "rai:dataReleaseMaintenancePlan"):
        assert meta[key]
    recs = list(mlc.Dataset(jsonld=str(r.out / "croissant.json")).records("steps"))
    assert len(recs) == 72
    assert {rec["steps/action_type"].decode() for rec in recs} >= {"click", "drag", "scroll"}


def test_max_side_scales_images_and_coordinates(base_world, tmp_path):
    r = export(base_world, tmp_path, "webdataset", image_format="webp", max_side=400)
    assert r.check.ok, r.check.text()
    import webdataset as wds

    urls = sorted(str(p) for p in (r.out / "shards").glob("*.tar"))
    n = 0
    for img, meta in wds.WebDataset(urls, shardshuffle=False).decode("pil").to_tuple(
            "webp", "json"):
        n += 1
        assert img.size == (400, 250) == (meta["obs_width"], meta["obs_height"])
        if meta["action_type"] == "click":
            assert meta["x"] == pytest.approx((120 + _seed(base_world, r, meta)) * 400 / W)
            assert meta["y"] == pytest.approx(88 * 400 / W)
            assert meta["target"]["bbox_px"][0] <= meta["x"] <= meta["target"]["bbox_px"][2]
    assert n == 72


def _seed(world, r, meta) -> int:
    sid = {e["episode_id"]: e["submission_id"] for e in r.manifest["episodes"]}[
        meta["episode_id"]]
    return world.approved.index(sid) + 1
