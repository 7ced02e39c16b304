"""Exports of approved, consented submissions as training sets (exports/README.md).

Formats: ``canonical`` (Parquet + dataset card + Croissant), ``opencua`` (AgentNet JSONL),
``chat-sft`` (VLM SFT JSONL in a dialect), ``computer-use`` (Anthropic and OpenAI
transcripts), ``webdataset`` (tar shards).  Qt-free.
"""

from annotator.export.checks import check_export
from annotator.export.run import (
    FORMAT_NAMES,
    ExportRequest,
    ExportResult,
    refresh_export,
    run_export,
)

__all__ = ["FORMAT_NAMES", "ExportRequest", "ExportResult", "check_export", "refresh_export",
           "run_export"]
