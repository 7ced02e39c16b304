"""The canonical Arrow schemas (formats.md section 3, with the changes in exports/README.md)
and their Hugging Face ``datasets`` features (written into the Parquet metadata so that
``load_dataset("parquet", ...)`` decodes ``obs_image`` as an image)."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

IMAGE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
POINT = pa.struct([("x", pa.float64()), ("y", pa.float64()), ("t_ms", pa.int64())])
LABELS = ("low_level_instruction", "thought", "observation_desc", "reflection")

STEPS = pa.schema([
    ("episode_id", pa.string()),
    ("step_index", pa.int32()),
    ("step_id", pa.string()),
    ("t_start_ms", pa.int64()),
    ("t_end_ms", pa.int64()),
    ("obs_image", IMAGE),
    ("obs_ts_ms", pa.int64()),
    ("obs_width", pa.int32()),
    ("obs_height", pa.int32()),
    ("obs_display_id", pa.string()),
    ("obs_sha256", pa.string()),
    ("action_type", pa.string()),
    ("button", pa.string()),
    ("x", pa.float64()),
    ("y", pa.float64()),
    ("path", pa.list_(POINT)),
    ("scroll_dx", pa.float32()),
    ("scroll_dy", pa.float32()),
    ("scroll_px", pa.struct([("dx", pa.float32()), ("dy", pa.float32())])),
    ("text", pa.string()),
    ("keys", pa.list_(pa.string())),
    ("repeat", pa.int32()),
    ("duration_ms", pa.int32()),
    ("app_name", pa.string()),
    ("terminal_status", pa.string()),
    ("target", pa.struct([("role", pa.string()), ("name", pa.string()),
                          ("bbox_px", pa.list_(pa.int32())), ("a11y_id", pa.string()),
                          ("window_title", pa.string()), ("url", pa.string())])),
    *[(f, pa.string()) for f in LABELS],
    ("text_source", pa.struct([(f, pa.string()) for f in LABELS])),
    ("is_redundant", pa.bool_()),
    ("is_error", pa.bool_()),
    ("redacted", pa.bool_()),
    ("redaction_boxes", pa.list_(pa.list_(pa.int32()))),
    ("raw_event_ids", pa.list_(pa.int64())),
    ("flags", pa.list_(pa.string())),
])

EPISODES = pa.schema([
    ("episode_id", pa.string()),
    ("schema_version", pa.string()),
    ("task_instruction", pa.string()),
    ("task_variants", pa.struct([("actual_task", pa.string()),
                                 ("natural_language_task", pa.string())])),
    ("platform", pa.string()),
    ("os_version", pa.string()),
    ("apps", pa.list_(pa.string())),
    ("start_time_utc", pa.timestamp("us", tz="UTC")),
    ("displays", pa.list_(pa.struct([("id", pa.string()), ("origin_x", pa.int32()),
                                     ("origin_y", pa.int32()), ("width_px", pa.int32()),
                                     ("height_px", pa.int32()), ("scale", pa.float32())]))),
    ("video", pa.struct([("path", pa.string()), ("fps", pa.float32()),
                         ("start_offset_ms", pa.int64())])),
    ("outcome", pa.string()),
    ("quality", pa.struct([("alignment", pa.int8()), ("efficiency", pa.int8()),
                           ("difficulty", pa.int8())])),
    ("review_quality", pa.int8()),
    ("annotator", pa.string()),
    ("reviewer", pa.string()),
    ("license", pa.string()),
    ("consent_id", pa.string()),
    ("redaction_policy", pa.string()),
    ("split", pa.string()),
    ("submission_id", pa.int64()),
    ("task_id", pa.int64()),
    ("tags", pa.list_(pa.string())),
    ("step_count", pa.int32()),
])


def _feature(t: pa.DataType, name: str = "") -> Any:
    if name == "obs_image":
        return {"_type": "Image"}
    if pa.types.is_struct(t):
        return {t.field(i).name: _feature(t.field(i).type) for i in range(t.num_fields)}
    if pa.types.is_list(t):
        return {"feature": _feature(t.value_type), "_type": "List"}
    if pa.types.is_timestamp(t):
        return {"dtype": f"timestamp[{t.unit}, tz={t.tz}]", "_type": "Value"}
    dtype = {pa.string(): "string", pa.binary(): "binary", pa.bool_(): "bool"}.get(t, str(t))
    if dtype == "double":
        dtype = "float64"
    elif dtype == "float":
        dtype = "float32"
    return {"dtype": dtype, "_type": "Value"}


def hf_features(schema: pa.Schema) -> dict[str, Any]:
    return {f.name: _feature(f.type, f.name) for f in schema}


def with_hf_metadata(schema: pa.Schema) -> pa.Schema:
    meta = json.dumps({"info": {"features": hf_features(schema)}}, sort_keys=False)
    return schema.with_metadata({b"huggingface": meta.encode()})


STEPS_HF = with_hf_metadata(STEPS)
EPISODES_HF = with_hf_metadata(EPISODES)
