"""``webdataset``: tar shards for streaming at scale.

``shards/<split>-000000.tar`` ...; each sample is ``<episode>_<step:05d>.<ext>`` (the
observation image) and ``<episode>_<step:05d>.json`` (the canonical step row without the
image bytes, plus the episode's task instruction and split).  Tar members carry no time,
owner or mode of this machine, so the same export gives the same bytes.
"""

from __future__ import annotations

import io
import tarfile
from typing import Any

from annotator.export.base import Writer, dumps
from annotator.export.images import Encoded
from annotator.export.schema import STEPS

SHARD_BYTES = 1 << 30
_FIELDS = [f.name for f in STEPS if f.name != "obs_image"]


class WebDatasetWriter(Writer):
    name = "webdataset"

    def begin(self) -> None:
        self.tars: dict[str, tarfile.TarFile] = {}
        self.fh: dict[str, Any] = {}
        self.count: dict[str, int] = {}
        self.size: dict[str, int] = {}
        (self.ctx.out / "shards").mkdir(parents=True, exist_ok=True)

    def start_episode(self, ep, episode: dict[str, Any]) -> None:
        self.episode = episode

    def _tar(self, split: str) -> tarfile.TarFile:
        t = self.tars.get(split)
        if t is None:
            n = self.count.get(split, 0)
            fh = open(self.ctx.out / f"shards/{split}-{n:06d}.tar", "wb")  # noqa: SIM115
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
