"""From a package's steps.json to canonical step rows (formats.md section 3, with the changes
listed in exports/README.md).

A package step carries the derived step's fields (docs/steps-format.md: ``type``,
``t_start_us``, ``x``, ``y``, ``path``, ``keys``...) in the pixels of the rendered frame,
plus the contributor's labels (``instruction``, ``thought``...) and the path of its
observation frame.  ``canonical_steps`` maps them; coordinates are scaled later when the
exported image is resized (``scale_step``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from annotator.export.errors import BadSubmission
from annotator.export.schema import ACTION_TYPES, SCHEMA_VERSION
from annotator.export.source import SourceEpisode

DIFFICULTY_MIN, DIFFICULTY_MAX = 1, 5  # the editor's rating (annotator.edits.model)
CLICKS = {"click", "double_click", "triple_click", "right_click", "middle_click"}
POINT_TYPES = CLICKS | {"mouse_move", "drag", "scroll", "long_press", "swipe"}
# The steps' own hotkey type is canonical key with several keys (formats.md folds them).
_TYPE_MAP = {"hotkey": "key"}
_OUTCOME_STATUS: dict[Any, str] = {"success": "success", "failure": "failure",
                                   "infeasible": "failure", "abandoned": "failure"}
MASKED_PLACEHOLDER = "<redacted>"  # annotator.edits.redactions.PLACEHOLDER
LABEL_FIELDS = ("low_level_instruction", "thought", "observation_desc", "reflection")
_LABEL_ALIASES = {"low_level_instruction": ("low_level_instruction", "instruction"),
                  "thought": ("thought",),
                  "observation_desc": ("observation_desc",),
                  "reflection": ("reflection",)}


def _get(d: Mapping[str, Any], *names: str) -> Any:
    for n in names:
        v = d.get(n)
        if v is not None:
            return v
    return None


def _mapping(v: Any) -> Mapping[str, Any]:
    return v if isinstance(v, dict) else {}


def _ms(us: Any) -> int | None:
    return None if us is None else int(us) // 1000


def frame_path(ep: SourceEpisode, raw: Mapping[str, Any], position: int) -> str | None:
    obs = _mapping(raw.get("observation"))
    path = _get(raw, "frame", "obs_frame", "frame_path") or obs.get("frame")
    if path is None:
        for guess in (f"frames/{position:04d}.png", f"frames/{raw.get('index', -1):04d}.png"):
            if guess in ep.files:
                return guess
    return path


def canonical_steps(ep: SourceEpisode, dropped: Counter[str] | None = None
                    ) -> list[dict[str, Any]]:
    """The episode's exportable steps as canonical rows (without the image), in order.
    Steps no target can take (typing that left no text, a key whose name was masked) are
    counted in ``dropped``."""
    dropped = dropped if dropped is not None else Counter()
    doc = ep.steps_doc
    raws = doc.get("steps")
    if not isinstance(raws, list):
        raise BadSubmission(ep.submission_id, "steps.json has no list of steps.")
    screen = doc.get("screen") or doc.get("frame") or {}
    rows: list[dict[str, Any]] = []
    for pos, raw in enumerate(raws):
        if not isinstance(raw, dict):
            raise BadSubmission(ep.submission_id, f"steps.json step {pos} is not an object.")
        kind = _get(raw, "type", "kind", "action_type")
        kind = _TYPE_MAP.get(kind, kind)
        if kind not in ACTION_TYPES:
            raise BadSubmission(ep.submission_id, f"steps.json step {pos} has the unknown "
                                f"action {kind!r}.")
        flags = list(raw.get("flags") or [])
        if kind == "type" and not raw.get("text"):
            dropped["type without text"] += 1
            continue  # empty_text: the validator needs text (docs/steps-format.md)
        if kind == "key" and not raw.get("keys"):
            dropped["key with masked keys"] += 1
            continue  # keys_masked: which key it was is the contributor's secret
        frame = _step_frame(ep, raw, pos)
        t0, t1, obs_ms = _step_times(raw, flags)
        path = raw.get("path")
        target = raw.get("target") if isinstance(raw.get("target"), dict) else None
        masked = bool(raw.get("masked"))
        text = raw.get("text")
        if masked and kind == "type" and raw.get("text_masked") is None:
            text = MASKED_PLACEHOLDER  # a derived step's password typing: placeholders only
        keys = raw.get("keys")
        labels = {f: _get(raw, *_LABEL_ALIASES[f]) for f in LABEL_FIELDS}
        source = _mapping(raw.get("text_source"))
        status = raw.get("terminal_status")
        _check_points(ep, raw, pos, kind, screen)
        rows.append({
            "step_index": len(rows),
            "step_id": str(raw.get("id") or f"{pos}"),
            "t_start_ms": t0,
            "t_end_ms": t1,
            "obs_ts_ms": obs_ms,
            "obs_display_id": str(_get(raw, "display_id") or screen.get("display_id") or ""),
            "action_type": kind,
            "button": raw.get("button") if kind in CLICKS | {"drag"} else None,
            "x": None if raw.get("x") is None else float(raw["x"]),
            "y": None if raw.get("y") is None else float(raw["y"]),
            "path": None if not path else [
                {"x": float(p["x"]), "y": float(p["y"]),
                 "t_ms": _ms(p.get("t_us")) if p.get("t_us") is not None else p.get("t_ms")}
                for p in path],
            "scroll_dx": None if raw.get("scroll_dx") is None else float(raw["scroll_dx"]),
            "scroll_dy": None if raw.get("scroll_dy") is None else float(raw["scroll_dy"]),
            "scroll_px": None,
            "text": text,
            "keys": list(keys) if keys else None,
            "repeat": int(raw.get("repeat") or 1),
            "duration_ms": _ms(raw.get("duration_us")),
            "app_name": raw.get("app_name"),
            "terminal_status": (_OUTCOME_STATUS.get(status, status) if kind == "terminate"
                                else None),
            "target": _target(target, raw),
            **labels,
            # drafted (the drafter's words, accepted), edited (reworked) or written (the
            # contributor's own; packages made before drafts existed carry no origin).
            "text_source": {f: (source.get(f) or ("written" if labels[f] else None))
                            for f in LABEL_FIELDS},
            "is_redundant": bool(_get(raw, "is_redundant", "redundant") or False),
            "is_error": bool(_get(raw, "is_error", "mistake") or False),
            "redacted": bool(masked or raw.get("redacted") or raw.get("text_masked")
                             or raw.get("keys_masked")),
            "redaction_boxes": [[int(v) for v in b] for b in raw.get("redaction_boxes") or []],
            "raw_event_ids": [int(i) for i in raw.get("raw_event_ids") or []],
            "flags": flags,
            "_frame": frame,
        })
    return rows


def _step_frame(ep: SourceEpisode, raw: Mapping[str, Any], pos: int) -> str:
    """The package file of the step's observation: there, and a lossless step frame."""
    frame = frame_path(ep, raw, pos)
    if frame is None or frame not in ep.files:
        raise BadSubmission(ep.submission_id, f"step {pos} has no observation frame in the "
                            f"package ({frame or 'none named'}).")
    if ep.files[frame].role != "frame":
        raise BadSubmission(ep.submission_id, f"step {pos}'s observation {frame} is not a "
                            "lossless step frame (role 'frame').")
    return frame


def _step_times(raw: Mapping[str, Any], flags: list[str]) -> tuple[int, int, int | None]:
    """Start, end and observation time of a step in milliseconds (from µs, or the older
    packages' ms); an observation from before the action is kept before its start."""
    t0 = _ms(_get(raw, "t_start_us"))
    t1 = _ms(_get(raw, "t_end_us"))
    if t0 is None:
        t0 = int(_get(raw, "t_start_ms") or 0)
    if t1 is None:
        t1 = int(_get(raw, "t_end_ms") or t0)
    obs = _mapping(raw.get("observation"))
    obs_us = _get(raw, "obs_t_us")
    if obs_us is None:
        obs_us = obs.get("t_us")
    obs_ms = _ms(obs_us)
    if obs_ms is None and raw.get("obs_ts_ms") is not None:
        obs_ms = int(raw["obs_ts_ms"])
    start_us = _get(raw, "t_start_us")
    if obs_ms is not None and obs_ms >= t0 and (
            (obs_us is not None and start_us is not None and int(obs_us) < int(start_us))
            or "obs_at_kept_start" in flags):
        # Captured before the action, but in the same millisecond after the cut's shift
        # (or the first picture of a kept range): one millisecond earlier, flagged.
        obs_ms = t0 - 1
    return t0, t1, obs_ms


def _check_points(ep: SourceEpisode, raw: Mapping[str, Any], pos: int, kind: str,
                  screen: Mapping[str, Any]) -> None:
    """Every point of the step (its own, its path's) inside the recorded frame."""
    fw, fh = screen.get("width"), screen.get("height")
    if not (fw and fh):
        return
    pts = [(raw.get("x"), raw.get("y"))] if kind in POINT_TYPES else []
    pts += [(p.get("x"), p.get("y")) for p in raw.get("path") or []]
    for px, py in pts:
        if px is None or py is None or not (0 <= px < fw and 0 <= py < fh):
            raise BadSubmission(ep.submission_id, f"steps.json step {pos} ({kind}): "
                                f"the point ({px}, {py}) is outside the {fw}x{fh} "
                                "frame.", "Ask the contributor to submit it again.")


def _target(t: dict[str, Any] | None, raw: Mapping[str, Any]) -> dict[str, Any] | None:
    title = raw.get("window_title")
    if t is None and title is None:
        return None
    t = t or {}
    box = t.get("bbox_px") or t.get("box")
    if box is not None and "box" in t and "bbox_px" not in t:
        x, y, w, h = (int(v) for v in box)  # steps' box is [x, y, w, h]
        box = [x, y, x + w, y + h]
    return {"role": t.get("role_name") or (str(t["role"]) if t.get("role") is not None
                                            else None),
            "name": t.get("name"),
            "bbox_px": None if box is None else [int(v) for v in box],
            "a11y_id": None if t.get("a11y_id") is None else str(t.get("a11y_id")),
            "window_title": t.get("window_title") or title,
            "url": t.get("url")}


def scale_step(row: dict[str, Any], sx: float, sy: float) -> None:
    """Scale a step's pixel coordinates to a resized image (in place)."""
    if sx == 1.0 and sy == 1.0:
        return
    if row["x"] is not None:
        row["x"] = row["x"] * sx
    if row["y"] is not None:
        row["y"] = row["y"] * sy
    if row["path"]:
        for p in row["path"]:
            p["x"] *= sx
            p["y"] *= sy
    t = row["target"]
    if t and t.get("bbox_px"):
        b = t["bbox_px"]
        t["bbox_px"] = [int(b[0] * sx), int(b[1] * sy), int(round(b[2] * sx)),
                        int(round(b[3] * sy))]
    if row["redaction_boxes"]:
        row["redaction_boxes"] = [[int(b[0] * sx), int(b[1] * sy), int(round(b[2] * sx)),
                                   int(round(b[3] * sy))] for b in row["redaction_boxes"]]


def episode_row(ep: SourceEpisode, steps: list[dict[str, Any]], split: str,
                displays: list[dict[str, Any]]) -> dict[str, Any]:
    doc = ep.task_doc
    platform = doc.get("platform") or ep.steps_doc.get("platform") or "linux"
    apps = list(ep.applications) or [a for a in doc.get("applications") or []
                                     if isinstance(a, str)]
    diff = doc.get("difficulty")  # the contributor's rating in the editor, 1-5
    if isinstance(diff, bool) or not isinstance(diff, int) \
            or not DIFFICULTY_MIN <= diff <= DIFFICULTY_MAX:
        diff = None
    started = doc.get("start_time_utc") or doc.get("recorded_utc")
    start = None
    if isinstance(started, str):
        import datetime as dt
        try:
            start = dt.datetime.fromisoformat(started).astimezone(dt.UTC)
        except ValueError:
            start = None
    if start is None:
        start = ep.submitted_at
    variants = doc.get("task_variants")
    return {
        "episode_id": ep.episode_id,
        "schema_version": SCHEMA_VERSION,
        "task_instruction": ep.goal,
        "task_variants": variants if isinstance(variants, dict) else None,
        "platform": platform,
        "os_version": doc.get("os_version"),
        "apps": apps,
        "start_time_utc": start,
        "displays": displays,
        "video": None,
        "outcome": ep.outcome,
        "quality": {"alignment": None, "efficiency": None, "difficulty": diff},
        "review_quality": ep.quality,
        "annotator": ep.contributor,
        "reviewer": ep.reviewer,
        "license": "contributor consent, terms " + ep.terms_version + ": "
                   + "; ".join(ep.permitted_uses),
        "consent_id": ep.consent_record_id,
        "redaction_policy": "burned-in boxes on frames; typed text masked; strings kept only as "
                            "keyed hashes (HMAC-SHA256)",
        "split": split,
        "submission_id": ep.submission_id,
        "task_id": ep.task_id,
        "tags": list(ep.tags),
        "step_count": len(steps),
        "task_difficulty": ep.difficulty,  # the published task's class, if any
        "_approved": ep.decided_at,  # not a column: the card's publication date
    }
