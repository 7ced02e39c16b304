"""The canonical tables, declared once: every column of ``steps`` and ``episodes`` with its
Arrow type and what it means.  The Parquet schemas, the Hugging Face ``datasets`` features
(written into the Parquet metadata so that ``obs_image`` loads as an ``Image``), the webdataset
features, the dataset card's field list and the Croissant record sets are all made from these
lists: to add a column, add it here (and fill it in ``steps.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

SCHEMA_VERSION = "1.1"  # 1.1: episodes.task_difficulty; quality.difficulty is the 1-5 rating


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    doc: str


IMAGE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
POINT = pa.struct([("x", pa.float64()), ("y", pa.float64()), ("t_ms", pa.int64())])
LABELS = ("low_level_instruction", "thought", "observation_desc", "reflection")
ACTION_TYPES = ("click", "double_click", "triple_click", "right_click", "middle_click",
                "mouse_move", "drag", "scroll", "type", "key", "wait", "long_press", "swipe",
                "open_app", "navigate_back", "navigate_home", "answer", "terminate")

STEP_COLUMNS = [
    Column("episode_id", pa.string(), "the demonstration (one uuid for all its versions)"),
    Column("step_index", pa.int32(), "0..n-1 in the episode, contiguous"),
    Column("step_id", pa.string(), "the step's id in the submission"),
    Column("t_start_ms", pa.int64(), "the action's start, ms from the episode's start"),
    Column("t_end_ms", pa.int64(), "the action's end"),
    Column("obs_image", IMAGE, "the observation: the screen before the action"),
    Column("obs_ts_ms", pa.int64(), "when the observation was captured (< t_start_ms)"),
    Column("obs_width", pa.int32(), "the observation's width in pixels"),
    Column("obs_height", pa.int32(), "the observation's height in pixels"),
    Column("obs_display_id", pa.string(), "the display the observation shows"),
    Column("obs_sha256", pa.string(), "SHA-256 of the observation's bytes"),
    Column("action_type", pa.string(), "one of " + ", ".join(ACTION_TYPES)),
    Column("button", pa.string(), "left, right or middle (clicks and drags)"),
    Column("x", pa.float64(), "the action's point, pixels of obs_image"),
    Column("y", pa.float64(), "the action's point, pixels of obs_image"),
    Column("path", pa.list_(POINT), "a drag's points (pixels, ms)"),
    Column("scroll_dx", pa.float32(), "wheel clicks to the right (negative: left)"),
    Column("scroll_dy", pa.float32(), "wheel clicks down (negative: up)"),
    Column("scroll_px", pa.struct([("dx", pa.float32()), ("dy", pa.float32())]),
           "a scroll in pixels, when known"),
    Column("text", pa.string(), "typed text (masked parts are <redacted>)"),
    Column("keys", pa.list_(pa.string()),
           "a key step's combination, or the keys held during a mouse step"),
    Column("repeat", pa.int32(), "how many times a key step's combination was pressed"),
    Column("duration_ms", pa.int32(), "a wait's length"),
    Column("app_name", pa.string(), "open_app's application"),
    Column("terminal_status", pa.string(), "terminate: success or failure"),
    Column("target", pa.struct([("role", pa.string()), ("name", pa.string()),
                                ("bbox_px", pa.list_(pa.int32())), ("a11y_id", pa.string()),
                                ("window_title", pa.string()), ("url", pa.string())]),
           "the element under a mouse action (bbox_px: x0, y0, x1, y1)"),
    Column("low_level_instruction", pa.string(), "what the step does, in words"),
    Column("thought", pa.string(), "why, in words"),
    Column("observation_desc", pa.string(), "what the screen shows, in words"),
    Column("reflection", pa.string(), "a reflection on the step"),
    Column("text_source", pa.struct([(f, pa.string()) for f in LABELS]),
           "where each text field comes from: written (the contributor's own), drafted (the "
           "offline drafter's words, accepted by the contributor) or edited (a draft the "
           "contributor reworked)"),
    Column("is_redundant", pa.bool_(), "the contributor marked the step redundant"),
    Column("is_error", pa.bool_(), "the contributor marked the step a mistake"),
    Column("redacted", pa.bool_(), "part of the step's text or keys was masked"),
    Column("redaction_boxes", pa.list_(pa.list_(pa.int32())), "boxes burned into obs_image"),
    Column("raw_event_ids", pa.list_(pa.int64()), "provenance (empty: not in packages)"),
    Column("flags", pa.list_(pa.string()), "why a step looks unusual (docs/steps-format.md)"),
]

EPISODE_COLUMNS = [
    Column("episode_id", pa.string(), "the demonstration (one uuid for all its versions)"),
    Column("schema_version", pa.string(), "of these tables"),
    Column("task_instruction", pa.string(), "the task, in the contributor's words"),
    Column("task_variants", pa.struct([("actual_task", pa.string()),
                                       ("natural_language_task", pa.string())]),
           "other phrasings of the task"),
    Column("platform", pa.string(), "linux, windows, macos"),
    Column("os_version", pa.string(), "the operating system's version"),
    Column("apps", pa.list_(pa.string()), "the applications used"),
    Column("start_time_utc", pa.timestamp("us", tz="UTC"), "when it was recorded"),
    Column("displays", pa.list_(pa.struct([("id", pa.string()), ("origin_x", pa.int32()),
                                           ("origin_y", pa.int32()),
                                           ("width_px", pa.int32()),
                                           ("height_px", pa.int32()),
                                           ("scale", pa.float32())])),
           "the recorded displays"),
    Column("video", pa.struct([("path", pa.string()), ("fps", pa.float32()),
                               ("start_offset_ms", pa.int64())]), "null: not exported"),
    Column("outcome", pa.string(), "success, failure, infeasible or abandoned"),
    Column("quality", pa.struct([("alignment", pa.int8()), ("efficiency", pa.int8()),
                                 ("difficulty", pa.int8())]),
           "difficulty: the contributor's rating, 1 (easy) to 5 (hard), or null"),
    Column("review_quality", pa.int8(), "the reviewer's score, 1-5"),
    Column("annotator", pa.string(), "the contributor's pseudonym"),
    Column("reviewer", pa.string(), "the reviewer's pseudonym"),
    Column("license", pa.string(), "the consent's terms version and permitted uses"),
    Column("consent_id", pa.string(), "the consent record"),
    Column("redaction_policy", pa.string(), "how the episode was redacted"),
    Column("split", pa.string(), "train, validation or test (by contributor)"),
    Column("submission_id", pa.int64(), "the submission in the store"),
    Column("task_id", pa.int64(), "the published task, if any"),
    Column("tags", pa.list_(pa.string()), "the contributor's tags"),
    Column("step_count", pa.int32(), "rows in steps"),
    Column("task_difficulty", pa.string(), "the published task's class: easy, medium, hard"),
]

STEPS = pa.schema([(c.name, c.type) for c in STEP_COLUMNS])
EPISODES = pa.schema([(c.name, c.type) for c in EPISODE_COLUMNS])
STEP_FIELDS = [c.name for c in STEP_COLUMNS]
EPISODE_FIELDS = [c.name for c in EPISODE_COLUMNS]
IMAGE_COLUMNS = {"obs_image"}


def _feature(t: pa.DataType, name: str = "") -> Any:
    if name in IMAGE_COLUMNS:
        return {"_type": "Image"}
    if pa.types.is_struct(t):
        return {t.field(i).name: _feature(t.field(i).type) for i in range(t.num_fields)}
    if pa.types.is_list(t):
        return {"feature": _feature(t.value_type), "_type": "List"}
    if pa.types.is_timestamp(t):
        return {"dtype": f"timestamp[{t.unit}, tz={t.tz}]", "_type": "Value"}
    dtype = {pa.string(): "string", pa.binary(): "binary", pa.bool_(): "bool"}.get(t, str(t))
    dtype = {"double": "float64", "float": "float32"}.get(dtype, dtype)
    return {"dtype": dtype, "_type": "Value"}


def hf_features(schema: pa.Schema) -> dict[str, Any]:
    return {f.name: _feature(f.type, f.name) for f in schema}


def with_hf_metadata(schema: pa.Schema) -> pa.Schema:
    meta = json.dumps({"info": {"features": hf_features(schema)}}, sort_keys=False)
    return schema.with_metadata({b"huggingface": meta.encode()})


STEPS_HF = with_hf_metadata(STEPS)
EPISODES_HF = with_hf_metadata(EPISODES)
