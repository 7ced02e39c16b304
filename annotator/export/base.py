"""What every format writer shares: the export context, file writing, JSON conventions.

A writer turns canonical rows into one format's files; it never sees where the rows came
from (the store, or a canonical export being converted)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.export.images import EXT, Encoded


@dataclass
class Context:
    out: Path  # the temporary folder being written (renamed at the end)
    name: str  # the export's final folder name
    image_format: str = "png"
    max_side: int | None = None
    dialect: str | None = None
    options: dict[str, Any] = field(default_factory=dict)  # what the manifest records
    # Steps a target cannot say (left out), and steps said with less than the canonical
    # step holds (a UI-TARS scroll has a direction, not an amount): counted by reason.
    unsupported: Counter[str] = field(default_factory=Counter)
    simplified: Counter[str] = field(default_factory=Counter)

    @property
    def ext(self) -> str:
        return EXT[self.image_format]


def dumps(data: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces to vary, UTF-8 kept."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def image_name(episode_id: str, step_index: int, ext: str) -> str:
    return f"{episode_id}_{step_index:05d}.{ext}"


def why(what: str, exc: Exception) -> str:
    """A manifest counter's key: the target and step type, and the reason."""
    detail = str(exc)
    return what if not detail or what.endswith(":" + detail) else f"{what} ({detail})"


class Writer:
    """One export format.  The runner calls ``begin``, then for each episode
    ``start_episode``, ``step`` for each step (in order), ``end_episode``; then ``finish``.
    Rows hold canonical step fields with ``obs_*`` filled in for the exported image;
    episodes are canonical episode rows (with ``split`` and ``submission_id``)."""

    name = ""
    # The exported images must fit in this size (w, h), e.g. a computer-use display.
    fit: tuple[int, int] | None = None
    # How to load the files, for the dataset card (Markdown).
    loading = ""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def begin(self) -> None:
        pass

    def start_episode(self, episode: dict[str, Any]) -> None:
        pass

    def step(self, row: dict[str, Any], img: Encoded) -> None:
        raise NotImplementedError

    def end_episode(self) -> None:
        pass

    def finish(self, episodes: list[dict[str, Any]]) -> None:
        pass

    def card_yaml(self, splits: list[str]) -> list[str]:
        """Lines of the card's YAML front matter (``configs`` for ``load_dataset``)."""
        return []

    # helpers
    def write_bytes(self, rel: str, data: bytes) -> None:
        p = self.ctx.out / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        with open(p, "wb") as fh:
            fh.write(data)

    def write_text(self, rel: str, text: str) -> None:
        self.write_bytes(rel, text.encode("utf-8"))


def split_order(s: str) -> tuple[int, str]:
    return ({"train": 0, "validation": 1, "test": 2}.get(s, 3), s)
