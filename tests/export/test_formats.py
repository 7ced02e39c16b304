"""Every format, read by its real consumer: datasets (Parquet and JSON), webdataset,
mlcroissant.  Counts, fields and decoded images match the source submissions."""

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
from tests.export.fixtures import ALLOWED_EMAIL, KEY, H, W, steps_for


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


def test_opencua_jsonl(base_world, tmp_path):
    import datasets

    r = export(base_world, tmp_path, "opencua")
    assert r.check.ok, r.check.text()
    ds = datasets.load_dataset("json", data_files=str(r.out / "train.jsonl"))["train"]
    assert len(ds) == 6
    rec = ds[0]
    assert len(rec["traj"]) == 12
    first = rec["traj"][0]
    seed = _seed(base_world, r, {"episode_id": rec["task_id"]})
    assert first["value"]["code"] == (f"pyautogui.click(x={round((120 + seed) / W, 4)}, "
                                      f"y={round(88 / H, 4)})")
    assert (r.out / "images" / first["image"]).is_file()
    assert rec["traj"][2]["value"]["code"] == "pyautogui.hotkey('ctrl', 's')"
    assert rec["traj"][3]["value"]["code"].endswith("pyautogui.scroll(-3)")
    assert rec["traj"][-1]["value"]["code"] == "computer.terminate(status='success')"


@pytest.mark.parametrize("dialect", ["aguvis", "uitars-1000", "opencua-qwen25"])
def test_chat_sft_dialects(base_world, tmp_path, dialect):
    import datasets

    r = export(base_world, tmp_path, "chat-sft", dialect=dialect)
    assert r.check.ok, r.check.text()
    ds = datasets.load_dataset("json", data_files=str(r.out / "data/train.jsonl"))["train"]
    unsupported = sum(r.manifest["counts"]["unsupported"].values())
    assert len(ds) == 72 - unsupported
    row = ds[0]
    assert [m["role"] for m in row["messages"]] == ["system", "user", "assistant"]
    assert row["messages"][1]["content"].count("<image>") == len(row["images"]) == 1
    act = row["messages"][2]["content"].split("\nAction: ", 1)[1]
    if dialect == "uitars-1000":
        assert act.startswith("click(start_box='<|box_start|>(") and unsupported == 6
    elif dialect == "opencua-qwen25":
        lim = r.manifest["options"]["dialect_limits"]
        assert lim["max_pixels"] == 12845056 and lim["min_pixels"] == 3136
        # 640x400 smart-resizes to 644x392: absolute pixels of that image.
        seed = _seed(base_world, r, row)
        assert (W, H) == (640, 400)
        assert act == (f"pyautogui.click(x={round((120 + seed) * 644 / 640)}, "
                       f"y={round(88 * 392 / 400)})")
    else:
        assert act.startswith("pyautogui.click(x=0.")
    info = json.loads((r.out / "dataset_info.json").read_text())
    assert all(v["formatting"] == "sharegpt" for v in info.values())


def test_computer_use_transcripts(base_world, tmp_path):
    import datasets

    r = export(base_world, tmp_path, "computer-use", max_side=512)
    assert r.check.ok, r.check.text()
    a = datasets.load_dataset("json", data_files=str(r.out / "anthropic/train.jsonl"))["train"]
    o = datasets.load_dataset("json", data_files=str(r.out / "openai/train.jsonl"))["train"]
    assert len(a) == len(o) == 6
    rec = json.loads((r.out / "anthropic/train.jsonl").read_text().splitlines()[0])
    tool = rec["tools"][0]
    assert (tool["display_width_px"], tool["display_height_px"]) == (512, 320)
    msgs = rec["messages"]
    assert msgs[1]["content"][0]["input"] == {"action": "screenshot"}
    assert msgs[2]["content"][0]["type"] == "tool_result"  # the observation, then the action
    click = msgs[3]["content"][0]["input"]
    seed = _seed(base_world, r, rec)
    assert click == {"action": "left_click",
                     "coordinate": [round((120 + seed) * 0.8), round(88 * 0.8)]}
    orec = json.loads((r.out / "openai/train.jsonl").read_text().splitlines()[0])
    calls = [i for i in orec["input"] if i["type"] == "computer_call"]
    assert calls[1]["action"] == {"type": "click", "x": round((120 + seed) * 0.8),
                                  "y": round(88 * 0.8), "button": "left"}
    url = [i for i in orec["input"] if i["type"] == "computer_call_output"][0]["output"][
        "image_url"]
    assert Image.open(r.out / url).size == (512, 320)
