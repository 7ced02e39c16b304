"""``webdataset``: tar shards for streaming at scale (the WebDataset convention: files that
share a basename form one sample).

``shards/<split>-000000.tar`` ...; each sample is ``<episode>_<step:05d>.<ext>`` (the
observation image) and ``<episode>_<step:05d>.json`` (the canonical step row without the image
bytes, ``obs_image`` naming the image member, plus the episode's task instruction and split).
``features.json`` declares the sample's types (``datasets.Features`` as a dict): a row whose
value is null is then read with the right type, which inference from the first samples gets
wrong.  Tar members carry no time, owner or mode of this machine, so the same export gives
the same bytes.
"""

from __future__ import annotations

import io
import tarfile
from typing import Any

from annotator.export.base import Writer, dumps
from annotator.export.images import Encoded
from annotator.export.schema import STEP_FIELDS, STEPS, hf_features

SHARD_BYTES = 1 << 30
_FIELDS = [f for f in STEP_FIELDS if f != "obs_image"]


def sample_features(ext: str) -> dict[str, Any]:
    """The ``datasets`` features of a sample (``Features.from_dict`` reads them)."""
    row = {k: v for k, v in hf_features(STEPS).items() if k != "obs_image"}
    text = {"dtype": "string", "_type": "Value"}
    row.update(obs_image=text, task_instruction=text, split=text)
    return {"__key__": text, "__url__": text, "json": row, ext: {"_type": "Image"}}


class WebDatasetWriter(Writer):
    name = "webdataset"

    @property
    def loading(self) -> str:  # type: ignore[override]
        ext = self.ctx.ext
        return f"""```python
import glob, json, datasets, webdataset as wds
urls = sorted(glob.glob("shards/train-*.tar"))
for image, step in wds.WebDataset(urls, shardshuffle=False).decode("pil").to_tuple("{ext}", "json"):
    ...
features = datasets.Features.from_dict(json.load(open("features.json")))
ds = datasets.load_dataset("webdataset", data_files={{"train": urls}}, features=features)
```"""

    def begin(self) -> None:
        self.tars: dict[str, tarfile.TarFile] = {}
        self.fh: dict[str, Any] = {}
        self.count: dict[str, int] = {}
        self.size: dict[str, int] = {}
        self.files: dict[str, list[str]] = {}
        (self.ctx.out / "shards").mkdir(parents=True, exist_ok=True)

    def start_episode(self, episode: dict[str, Any]) -> None:
        self.episode = episode

    def _tar(self, split: str) -> tarfile.TarFile:
        t = self.tars.get(split)
        if t is None:
            n = self.count.get(split, 0)
            rel = f"shards/{split}-{n:06d}.tar"
            self.files.setdefault(split, []).append(rel)
            fh = open(self.ctx.out / rel, "wb")  # noqa: SIM115
            t = tarfile.open(fileobj=fh, mode="w", format=tarfile.USTAR_FORMAT)
            self.tars[split], self.fh[split], self.size[split] = t, fh, 0
        return t

    def _add(self, t: tarfile.TarFile, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = len(data), 0, 0o644
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        t.addfile(info, io.BytesIO(data))

    def step(self, row: dict[str, Any], img: Encoded) -> None:
        split = self.episode["split"]
        t = self._tar(split)
        key = f"{row['episode_id']}_{row['step_index']:05d}"
        meta = {k: row.get(k) for k in _FIELDS}
        meta["obs_image"] = f"{key}.{self.ctx.ext}"
        meta["task_instruction"] = self.episode["task_instruction"]
        meta["split"] = split
        self._add(t, f"{key}.{self.ctx.ext}", img.data)
        self._add(t, f"{key}.json", dumps(meta).encode())
        self.size[split] += len(img.data)
        if self.size[split] >= SHARD_BYTES:
            self._close(split)

    def _close(self, split: str) -> None:
        self.tars.pop(split).close()
        self.fh.pop(split).close()
        self.count[split] = self.count.get(split, 0) + 1

    def finish(self, episodes: list[dict[str, Any]]) -> None:
        for split in sorted(self.tars):
            self._close(split)
        self.write_text("features.json", dumps(sample_features(self.ctx.ext)) + "\n")
