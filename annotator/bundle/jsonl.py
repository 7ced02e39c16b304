"""Append-only JSON Lines: a writer that flushes on a schedule, and a reader that survives
truncated or corrupt lines (counted and reported, never a crash)."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class JsonlWriter:
    """Thread-safe append-only writer.

    Lines are buffered in memory and written out at least every ``flush_interval`` seconds
    (and fsynced), so a crash loses at most that much.
    """

    def __init__(self, path: Path, flush_interval: float = 0.5) -> None:
        self.path = path
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._fh = os.fdopen(fd, "ab", buffering=0)
        self._buf: list[bytes] = []
        self._lock = threading.Lock()
        self._last_flush = time.monotonic()
        self.flush_interval = flush_interval
        self.lines = 0
        self.error: OSError | None = None

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        with self._lock:
            self._buf.append(line + b"\n")
            self.lines += 1

    def maybe_flush(self) -> None:
        if time.monotonic() - self._last_flush >= self.flush_interval:
            self.flush()

    def flush(self, fsync: bool = True) -> None:
        with self._lock:
            data = b"".join(self._buf)
            self._buf.clear()
        self._last_flush = time.monotonic()
        if not data:
            return
        try:
            self._fh.write(data)
            if fsync:
                os.fsync(self._fh.fileno())
        except OSError as exc:
            self.error = exc
            raise

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._fh.close()


@dataclass
class JsonlReport:
    """What a tolerant read found: lines read, and lines that could not be parsed."""

    path: str
    records: int = 0
    bad_lines: list[int] = field(default_factory=list)
    truncated_tail: bool = False

    @property
    def warnings(self) -> list[str]:
        out = []
        if self.bad_lines:
            shown = ", ".join(str(n) for n in self.bad_lines[:5])
            more = "..." if len(self.bad_lines) > 5 else ""
            out.append(
                f"{self.path}: skipped {len(self.bad_lines)} corrupt line(s) (line {shown}{more})"
            )
        if self.truncated_tail:
            out.append(f"{self.path}: the last line was cut off (the recording was interrupted)")
        return out


def read_jsonl(path: Path, report: JsonlReport | None = None) -> Iterator[dict[str, Any]]:
    """Yield each JSON object of ``path``; corrupt lines are counted in ``report`` and skipped."""
    if report is None:
        report = JsonlReport(str(path.name))
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        return
    loads = json.loads
    with fh:
        n = 0
        for raw in fh:
            n += 1
            if not raw.endswith(b"\n"):
                # A line without its newline is the tail of an interrupted write.
                try:
                    obj = loads(raw)
                except ValueError:
                    report.truncated_tail = True
                    continue
            else:
                try:
                    obj = loads(raw)
                except ValueError:
                    if raw.strip():
                        report.bad_lines.append(n)
                    continue
            if not isinstance(obj, dict):
                report.bad_lines.append(n)
                continue
            report.records += 1
            yield obj
