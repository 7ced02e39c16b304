"""Exports of approved, consented submissions as training sets (exports/README.md).

Formats: ``canonical`` (Parquet + dataset card + Croissant), ``opencua`` (AgentNet JSONL),
``chat-sft`` (VLM SFT rows in an upstream model's layout and action language),
``computer-use`` (Anthropic and OpenAI transcripts), ``webdataset`` (tar shards).  Qt-free.

The API: ``run_export`` (from the store), ``convert_export`` (from a canonical export alone),
``refresh_export`` and ``check_export``.
"""

from __future__ import annotations

from typing import Any

_API = {
    "FORMAT_NAMES": "annotator.export.run", "ExportRequest": "annotator.export.run",
    "ExportResult": "annotator.export.run", "refresh_export": "annotator.export.run",
    "run_export": "annotator.export.run", "convert_export": "annotator.export.convert",
    "check_export": "annotator.export.checks",
}

__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    # Imported on first use: the action grammars are usable without the store's machinery.
    if name in _API:
        import importlib

        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(name)
