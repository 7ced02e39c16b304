"""``canonical``: Parquet tables ``steps`` and ``episodes`` (the lossless archive), a dataset
card (README.md with YAML ``configs``) and ``croissant.json``.

Layout::

    data/steps/<split>-00000.parquet ...   steps, with the observation image embedded
    data/episodes/<split>.parquet          one row per episode
    README.md                              dataset card: configs, fields, consent, redaction
    croissant.json                         Croissant 1.0 with the Responsible-AI fields

Steps are written in row groups of ``ROWS_PER_GROUP`` rows and a new file is started past
``SHARD_BYTES`` of images, so memory stays bounded whatever the size of the export.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from annotator.export import cards, croissant
from annotator.export.base import Writer, image_name, split_order
from annotator.export.images import Encoded
from annotator.export.schema import EPISODE_FIELDS, EPISODES_HF, STEP_FIELDS, STEPS_HF

ROWS_PER_GROUP = 64
SHARD_BYTES = 512 << 20


def parquet_options() -> dict[str, Any]:
    # Images are compressed already: no dictionary and no statistics on their bytes (zstd
    # over them gains 0.4 % and costs well under a millisecond per step: one codec is simpler).
    return {"compression": "zstd", "use_dictionary": ["episode_id", "action_type", "button",
                                                        "obs_display_id", "split", "platform",
                                                        "annotator", "reviewer"],
            "write_statistics": ["episode_id", "step_index", "t_start_ms", "action_type"],
            "data_page_size": 1 << 20}


class CanonicalWriter(Writer):
    name = "canonical"
    loading = """```python
from datasets import load_dataset
steps = load_dataset("parquet", data_files={"train": "data/steps/train-*.parquet"})
# or, with this folder's card: load_dataset("<path of this folder>", "steps") (and
# "episodes"); from inside it, load_dataset(os.getcwd(), "steps"): datasets names a
# dataset after its folder, and "." has no name
import mlcroissant as mlc
records = mlc.Dataset(jsonld="croissant.json").records("steps")
```"""

    def begin(self) -> None:
        self.buffers: dict[str, list[dict[str, Any]]] = {}
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.shard_no: dict[str, int] = {}
        self.shard_bytes: dict[str, int] = {}
        self.files: dict[str, list[str]] = {}
        (self.ctx.out / "data" / "steps").mkdir(parents=True, exist_ok=True)
        (self.ctx.out / "data" / "episodes").mkdir(parents=True, exist_ok=True)

    def start_episode(self, episode: dict[str, Any]) -> None:
        self.split = episode["split"]

    def step(self, row: dict[str, Any], img: Encoded) -> None:
        split = self.split
        out = {k: row.get(k) for k in STEP_FIELDS}
        out["obs_image"] = {"bytes": img.data,
                            "path": image_name(row["episode_id"], row["step_index"],
                                               self.ctx.ext)}
        buf = self.buffers.setdefault(split, [])
        buf.append(out)
        self.shard_bytes[split] = self.shard_bytes.get(split, 0) + len(img.data)
        if len(buf) >= ROWS_PER_GROUP:
            self._flush(split)

    def _flush(self, split: str) -> None:
        buf = self.buffers.get(split)
        if not buf:
            return
        w = self.writers.get(split)
        if w is None:
            n = self.shard_no.get(split, 0)
            rel = f"data/steps/{split}-{n:05d}.parquet"
            self.files.setdefault(split, []).append(rel)
            w = pq.ParquetWriter(self.ctx.out / rel, STEPS_HF, **parquet_options())
            self.writers[split] = w
        w.write_table(pa.Table.from_pylist(buf, schema=STEPS_HF), row_group_size=len(buf))
        self.buffers[split] = []
        if self.shard_bytes.get(split, 0) >= SHARD_BYTES:
            w.close()
            del self.writers[split]
            self.shard_no[split] = self.shard_no.get(split, 0) + 1
            self.shard_bytes[split] = 0

    def finish(self, episodes: list[dict[str, Any]]) -> None:
        for split in sorted(self.buffers):
            self._flush(split)
        for split in sorted(self.writers):
            self.writers[split].close()
        self.writers.clear()
        splits = sorted({e["split"] for e in episodes}, key=split_order)
        for split in splits:
            rows = [{k: e.get(k) for k in EPISODE_FIELDS} for e in episodes
                    if e["split"] == split]
            pq.write_table(pa.Table.from_pylist(rows, schema=EPISODES_HF),
                           self.ctx.out / f"data/episodes/{split}.parquet",
                           compression="zstd")
        self.write_text("croissant.json", croissant.document(
            self.ctx, episodes, splits, licence=cards.licence(episodes),
            withdrawal=cards.WITHDRAWAL))

    def card_yaml(self, splits: list[str]) -> list[str]:
        lines = ["configs:", "- config_name: steps", "  default: true", "  data_files:"]
        for s in splits:
            lines += [f"  - split: {s}", f"    path: data/steps/{s}-*.parquet"]
        lines += ["- config_name: episodes", "  data_files:"]
        for s in splits:
            lines += [f"  - split: {s}", f"    path: data/episodes/{s}.parquet"]
        return lines
