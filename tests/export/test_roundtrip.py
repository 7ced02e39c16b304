"""Round trips through the consumers: every action of every dialect read back by the upstream
parser (the ``ui-tars`` package) or by a reader written from the quoted upstream grammar
(tests/export/parsers.py), and compared field by field with the canonical step it came from;
the files loaded by ``datasets``, ``webdataset``, ``mlcroissant`` and validated by the
``openai`` package's types."""

from __future__ import annotations

import json
import os

import pyarrow.parquet as pq
import pytest
from PIL import Image

from tests.export import parsers

W, H = 640, 400  # the golden frames


@pytest.fixture(scope="module")
def canonical(golden_exports) -> dict[tuple[str, int], dict]:
    out = golden_exports["canonical"]
    rows = {}
    for p in sorted((out / "data/steps").glob("*.parquet")):
        for r in pq.read_table(p).to_pylist():
            rows[(r["episode_id"], r["step_index"])] = r
    return rows


def _same_step(got: dict, want: dict, tol: float, where: str, *, mods: bool = True,
               scroll: str = "clicks") -> None:
    """A parsed action says what the canonical step says."""
    t = want["action_type"]
    assert got["action_type"] == t, where
    if "xy" in got:
        for a, b in zip(got["xy"], (want["x"], want["y"]), strict=True):
            assert abs(a - b) <= tol, (where, got["xy"], (want["x"], want["y"]))
    if "end" in got:
        end = want["path"][-1]
        for a, b in zip(got["end"], (end["x"], end["y"]), strict=True):
            assert abs(a - b) <= tol, (where, got["end"], end)
    if t == "type":
        assert got["text"] == want["text"], where
    if t == "key":
        assert got["keys"] == want["keys"], where
        assert got.get("repeat", 1) == want["repeat"], where
    if t == "scroll":
        dx, dy = want["scroll_dx"], want["scroll_dy"]
        if scroll == "clicks":
            assert tuple(got["scroll"]) == (dx, dy), where
        elif scroll == "px":
            assert tuple(got["scroll_px"]) == (dx * 100, dy * 100), where
    if mods and t != "key" and "mods" in got:
        assert got["mods"] == (want["keys"] or []), where
    if t == "terminate":
        assert got["status"] == want["terminal_status"], where


def _step_of(image: str) -> int:
    return int(image.rsplit("_", 1)[1].split(".")[0])


def test_agentnet_dialects_read_back(golden_exports, canonical):
    """opencua (fractions), aguvis (fractions), opencua-qwen25 (smart-resized pixels):
    every code string, read as PyAutoGUIAction.from_string reads it, is the canonical step
    (points within half a pixel: 4 decimals of 640 is 0.03 px; the 644x392 grid, 0.51)."""
    n = 0
    out = golden_exports["opencua"]
    for rec in map(json.loads, (out / "train.jsonl").open()):
        for st in rec["traj"]:
            want = canonical[(rec["task_id"], _step_of(st["image"]))]
            got = parsers.agentnet_step(st["value"]["code"], lambda x, y: (x * W, y * H))
            _same_step(got, want, 0.5, st["image"])
            n += 1
    for dialect, to_pixel, tol in (
            ("aguvis", lambda x, y: (x * W, y * H), 0.5),
            ("opencua-qwen25", lambda x, y: (x / 644 * W, y / 392 * H), 0.5 * 400 / 392)):
        for r in map(json.loads, (golden_exports[dialect] / "data/train.jsonl").open()):
            want = canonical[(r["episode_id"], r["step_index"])]
            if dialect == "aguvis":
                code = r["conversations"][-1]["value"]
            else:
                code = r["messages"][-1]["content"].split("## Code:\n", 1)[1][:-1]
            got = parsers.agentnet_step(code, to_pixel)
            _same_step(got, want, tol, r["id"])
            n += 1
    assert n == 3 * (16 + 3 + 2)  # each: the episodes' steps but the two with ctrl held


def test_uitars_dialects_read_back_by_the_uitars_package(golden_exports, canonical):
    from ui_tars.action_parser import smart_resize as upstream_resize

    from annotator.export.actions import smart_resize

    # The pixel grid: ours is UI-TARS's (and Qwen2.5-VL's) smart_resize.
    for h, w in ((400, 640), (1080, 1920), (768, 1366), (1440, 2560), (2160, 3840),
                 (2880, 5120), (600, 800), (30, 1000)):
        for lo, hi in ((100 * 28 * 28, 16384 * 28 * 28), (3136, 12845056)):
            assert smart_resize(h, w, 28, lo, hi) == upstream_resize(h, w, 28, lo, hi)
    for dialect, version, tol in (("uitars-1000", "v1", 0.5 * W / 1000),
                                  ("uitars15", "v15", 0.5 * 400 / 392)):
        n = 0
        for r in map(json.loads, (golden_exports[dialect] / "data/train.jsonl").open()):
            want = canonical[(r["episode_id"], r["step_index"])]
            acts = parsers.uitars_steps(r["messages"][-1]["content"], version, W, H)
            got = acts[0]
            if want["action_type"] == "key":  # a repeated key is the same hotkey again
                assert all(a == got for a in acts)
                got = {**got, "repeat": len(acts)}
            if want["action_type"] == "scroll":  # UI-TARS scrolls in directions only
                dirs = [a["direction"] for a in acts]
                assert dirs == [d for d, v in (("down" if want["scroll_dy"] > 0 else "up",
                                                want["scroll_dy"]),
                                               ("right" if want["scroll_dx"] > 0 else "left",
                                                want["scroll_dx"])) if v]
            _same_step(got, want, tol, f"{dialect} {r['id']}", scroll="direction")
            n += 1
        # Left out: ctrl held (2), triple, middle, 4 keys, leading spaces; and, in 1.5, the
        # failed and impossible endings.
        assert n == (12 + 3 + 2 if version == "v1" else 12 + 2 + 1)


def test_computer_use_transcripts_read_back(golden_exports, canonical):
    from openai.types.responses.computer_use_preview_tool_param import (
        ComputerUsePreviewToolParam,
    )
    from pydantic import TypeAdapter

    out = golden_exports["computer-use"]
    items = parsers.openai_item_adapter()
    tools = TypeAdapter(ComputerUsePreviewToolParam)
    for rec in map(json.loads, (out / "openai/train.jsonl").open()):
        tools.validate_python(rec["tools"][0])
        for item in rec["input"]:
            items.validate_python(item)  # e.g. a computer_call without its id fails here
        ep = rec["episode_id"]
        step = -1
        calls: dict[int, list] = {}
        for item in rec["input"]:
            if item["type"] == "computer_call_output":
                step = _step_of(item["output"]["image_url"])
            elif item["type"] == "computer_call" and item["action"]["type"] != "screenshot":
                calls.setdefault(step, []).append(item["action"])
        assert calls
        for step, actions in calls.items():
            _same_step(parsers.openai_step(actions), canonical[(ep, step)], 0.5,
                       f"openai {ep} {step}", scroll="px")
    for rec in map(json.loads, (out / "anthropic/train.jsonl").open()):
        ep = rec["episode_id"]
        step = -1
        for msg in rec["messages"]:
            for b in msg["content"]:
                if b["type"] == "tool_result" and b.get("content"):
                    step = _step_of(b["content"][0]["source"]["url"])
            uses = [b["input"] for b in msg["content"] if b["type"] == "tool_use"]
            if msg["role"] == "assistant" and uses and uses[0]["action"] != "screenshot":
                _same_step(parsers.anthropic_step(uses), canonical[(ep, step)], 0.5,
                           f"anthropic {ep} {step}")


def test_datasets_load_every_format(golden_exports, tmp_path, monkeypatch):
    import datasets

    can = golden_exports["canonical"]
    ds = datasets.load_dataset("parquet", data_files={
        "train": sorted(str(p) for p in (can / "data/steps").glob("train-*.parquet"))})["train"]
    assert len(ds) == 23 and isinstance(ds[0]["obs_image"], Image.Image)
    assert ds[1]["keys"] == ["ctrl"] and ds[7]["path"][-1]["x"] == 384.0
    # The card's configs, from outside the folder and from inside it (as the card says:
    # ``load_dataset(".")`` cannot work, datasets names the dataset after the folder).
    assert len(datasets.load_dataset(str(can), "episodes")["train"]) == 3
    monkeypatch.chdir(can)
    assert len(datasets.load_dataset(os.getcwd(), "steps")["train"]) == 23
    monkeypatch.chdir(tmp_path)
    for name, rows in (("opencua", 3), ("aguvis", 21), ("uitars15", 15)):
        assert len(datasets.load_dataset(str(golden_exports[name]))["train"]) == rows
    both = datasets.load_dataset(str(golden_exports["computer-use"]), "openai")
    assert len(both["train"]) == 3
    # WebDataset: with the declared features every sample loads, nulls included.
    wd = golden_exports["webdataset"]
    features = datasets.Features.from_dict(json.loads((wd / "features.json").read_text()))
    urls = sorted(str(p) for p in (wd / "shards").glob("*.tar"))
    ds = datasets.load_dataset("webdataset", data_files={"train": urls},
                               features=features)["train"]
    assert len(ds) == 23 and ds[1]["json"]["keys"] == ["ctrl"]
    assert isinstance(ds[0]["png"], Image.Image) and ds[11]["json"]["x"] is None
    import webdataset as wds

    pairs = list(wds.WebDataset(urls, shardshuffle=False).decode("pil").to_tuple("png", "json"))
    assert len(pairs) == 23 and pairs[10][1]["text"] == ds[10]["json"]["text"]


def test_croissant_reads_every_field(golden_exports, canonical):
    import mlcroissant as mlc

    can = golden_exports["canonical"]
    meta = json.loads((can / "croissant.json").read_text())
    # croissant-rai-spec.md: "dct:conformsTo" : "http://mlcommons.org/croissant/RAI/1.0"
    assert "http://mlcommons.org/croissant/RAI/1.0" in meta["conformsTo"]
    for k in ("rai:dataAnnotationProtocol", "rai:dataAnnotationPlatform",
              "rai:annotationsPerItem", "rai:dataCollection", "rai:dataReleaseMaintenancePlan"):
        assert meta[k], k
    assert meta["license"]["url"] == "LICENSE.md" and (can / "LICENSE.md").is_file()
    ds = mlc.Dataset(jsonld=str(can / "croissant.json"))
    recs = list(ds.records("steps"))
    assert len(recs) == 23
    from annotator.export.schema import EPISODE_FIELDS, STEP_FIELDS

    assert {k.split("/", 1)[1] for k in recs[0]} == set(STEP_FIELDS)
    by_key = {(r["steps/episode_id"].decode(), r["steps/step_index"]): r for r in recs}
    for key, want in canonical.items():
        r = by_key[key]
        assert r["steps/action_type"].decode() == want["action_type"]
        if want["x"] is not None:
            assert (r["steps/x"], r["steps/y"]) == (want["x"], want["y"])
        assert [k.decode() for k in r["steps/keys"] or []] == (want["keys"] or [])
        if want["text"] is not None:
            assert r["steps/text"].decode() == want["text"]
        assert r["steps/obs_image"].size == (W, H)
        if want["path"]:
            assert [p["steps/path/x"] for p in r["steps/path"]] == [p["x"] for p in want["path"]]
        if want["target"] and want["target"]["role"]:
            assert r["steps/target"]["steps/target/role"].decode() == want["target"]["role"]
            assert list(r["steps/target"]["steps/target/bbox_px"]) == \
                want["target"]["bbox_px"]
    eps = list(ds.records("episodes"))
    assert {k.split("/", 1)[1] for k in eps[0]} == set(EPISODE_FIELDS)
    assert sorted(e["episodes/quality"]["episodes/quality/difficulty"] or 0 for e in eps) == \
        [0, 1, 4]


def test_every_format_has_its_card_and_licence(golden_exports):
    for name, out in golden_exports.items():
        card = (out / "README.md").read_text()
        m = json.loads((out / "manifest.json").read_text())
        assert card.startswith("---\n") and "license_link: LICENSE.md" in card, name
        assert "## Consent, withdrawal and personal data" in card, name
        assert f"{m['counts']['episodes']} episodes, {m['counts']['steps']} steps" in card
        assert "## Loading" in card and m["upstream"][0]["commit"][:12] in card, name
        licence = (out / "LICENSE.md").read_text()
        assert "not under an open licence" in licence and "withdrawn" in licence, name
        assert os.path.getsize(out / "SHA256SUMS") > 0
