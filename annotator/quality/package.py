"""The evidence of a submission package folder (docs/store.md, "Submission package").

Everything comes from the package's own files: ``steps.json`` (steps, instructions, targets),
the step pictures (``frames/NNNN.png``), the video's packet times (the renderer encodes a
picture only when the screen changed, so they say when it did), ``redactions.json`` (boxes,
accepted leak-check items), ``task.json`` and the client-declared input summary
``signals.json``.  The folder may be a prepared package not yet consented to (no
``consent.json``) or one unpacked from the store.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from annotator.errors import AnnotatorError
from annotator.quality.evidence import Evidence, as_list, as_map, steps_from_json

MANIFEST = "package.json"
DECLARED_FILE = "signals.json"
MAX_JSON = 16 << 20


class SignalsError(AnnotatorError):
    """The signals cannot be computed: the input is not what it should be."""


def _json(folder: Path, name: str, *, required: bool) -> dict[str, Any] | None:
    path = folder / name
    if not path.is_file():
        if required:
            raise SignalsError(f"{folder} has no {name}: it is not a submission package.",
                               "Give the folder of a prepared package (or of a recording).")
        return None
    if path.stat().st_size > MAX_JSON:
        raise SignalsError(f"{path} is larger than {MAX_JSON >> 20} MB.",
                           "Prepare the package again.")
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise SignalsError(f"{path} cannot be read: {exc}.",
                           "Prepare the package again.") from None
    if not isinstance(data, dict):
        raise SignalsError(f"{path} is not a JSON object.", "Prepare the package again.")
    return data


def video_change_times(video: Path) -> np.ndarray:
    """The pts (µs) of every packet of the package's video: when the screen changed."""
    import av

    try:
        with av.open(str(video)) as c:
            stream = c.streams.video[0]
            tb = stream.time_base
            out = [int(round(float(p.pts * tb) * 1e6)) for p in c.demux(stream)
                   if p.pts is not None and tb is not None]
    except (OSError, av.FFmpegError, IndexError) as exc:
        raise SignalsError(f"The video {video} cannot be read: {exc}.",
                           "Prepare the package again.") from None
    return np.array(sorted(out), dtype=np.int64)


def _frame_reader(folder: Path, paths: list[str | None]
                  ) -> Callable[[int], np.ndarray | None]:
    root = folder.resolve()

    def read(i: int) -> np.ndarray | None:
        rel = paths[i] if 0 <= i < len(paths) else None
        if not rel:
            return None
        p = (folder / rel).resolve()
        if not p.is_relative_to(root) or not p.is_file():
            return None
        bgr = cv2.imread(str(p), cv2.IMREAD_COLOR)
        return None if bgr is None else cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    return read


def picture_reader(video: Path, to_source: Callable[[int], int | None] | None = None
                   ) -> Callable[[int], np.ndarray | None]:
    """``picture_at(t)``: the grey picture ``video`` shows at ``t`` (µs; ``to_source`` maps
    the subject's clock onto the video's), read forward, the reader opened on first use."""
    state: dict[str, Any] = {}

    def picture_at(t: int) -> np.ndarray | None:
        from annotator.media.video import VideoReader

        if "reader" not in state:
            try:
                state["reader"] = VideoReader(video, threads=1)
            except AnnotatorError:
                state["reader"] = None
        reader = state["reader"]
        if reader is None:
            return None
        src = to_source(t) if to_source is not None else t
        if src is None:
            return None
        try:
            f = reader.frame_at(int(src))
        except Exception:  # noqa: BLE001 - an unreadable stretch is not a picture
            return None
        return None if f is None else cv2.cvtColor(f.rgb, cv2.COLOR_RGB2GRAY)

    return picture_at


def manifest_sha256(folder: Path) -> str:
    try:
        return hashlib.sha256((folder / MANIFEST).read_bytes()).hexdigest()
    except OSError as exc:
        raise SignalsError(f"{folder} has no readable {MANIFEST} ({exc.strerror or exc}).",
                           "Give the folder of a prepared package.") from None


def accepted_items(red: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Leak-check findings the contributor accepted as not sensitive: the leak check's
    allowed items (with where and when), else the allow-list's entries."""
    out: list[dict[str, Any]] = []
    leak = as_map(red.get("leak_check"))
    for check in as_list(leak.get("checks")):
        if not isinstance(check, Mapping):
            continue
        for item in check.get("items") or ():
            if isinstance(item, Mapping) and item.get("allowed"):
                out.append({k: item.get(k) for k in ("description", "detector", "t_us",
                                                     "result_us", "box", "kind")
                            if item.get(k) is not None})
    if not out:
        for entry in red.get("allow_list") or ():
            if isinstance(entry, Mapping):
                out.append({"detector": entry.get("detector"), "text": entry.get("text")})
    return out


def load_package(folder: str | Path, *, manifest_sha: str | None = None,
                 manifest: Mapping[str, Any] | None = None) -> Evidence:
    """The evidence of a package folder; ``SignalsError`` if it is not one.  A package
    copied out of the store has no ``package.json`` (the store keeps its hash, given as
    ``manifest_sha``, and what it read from it, ``manifest``): its files are the same, so are
    its signals."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SignalsError(f"{folder} is not a folder.",
                           "Give the folder of a recording or of a prepared package.")
    if manifest_sha is None:
        sha = manifest_sha256(folder)
        manifest = _json(folder, MANIFEST, required=True) or {}
    else:
        sha, manifest = manifest_sha, dict(manifest or {})
    doc = _json(folder, "steps.json", required=True) or {}
    task = _json(folder, "task.json", required=False) or {}
    red = _json(folder, "redactions.json", required=False) or {}
    declared = _json(folder, DECLARED_FILE, required=False)
    raw_steps = as_list(doc.get("steps"))
    steps = steps_from_json(raw_steps)
    frame = as_map(doc.get("frame"))
    width, height = int(frame.get("width") or 0), int(frame.get("height") or 0)
    paths: list[str | None] = []
    for d in raw_steps:
        frame_path = as_map(as_map(d).get("observation")).get("frame")
        paths.append(frame_path if isinstance(frame_path, str) else None)
    video = folder / "video.mp4"
    try:
        changes = video_change_times(video) if video.is_file() else None
    except SignalsError:
        changes = None  # the checks of the video are verification's: judge the rest
    if changes is None:
        video = folder / "no-video"
        changes = np.zeros(0, np.int64)
    boxes = [b for b in as_list(red.get("boxes")) if isinstance(b, Mapping)]
    mtask = as_map(manifest.get("task"))
    task_id = task.get("task_id", mtask.get("task_id"))
    return Evidence(
        subject={"kind": "package", "manifest_sha256": sha},
        width=width, height=height,
        duration_us=int(doc.get("duration_us") or 0),
        steps=steps, frame=_frame_reader(folder, paths), changes_us=changes,
        boxes=[{"fill_rect": as_list(b.get("fill_rect")),
                "intervals_us": [as_list(iv) for iv in as_list(b.get("result_intervals_us"))]}
               for b in boxes],
        accepted=accepted_items(red), declared=declared,
        goal=str(task.get("goal") or mtask.get("goal") or ""),
        task_id=task_id if isinstance(task_id, int) and not isinstance(task_id, bool) else None,
        placeholder=str(doc.get("placeholder") or "<redacted>"),
        picture_at=picture_reader(video) if video.is_file() else None,
    )
