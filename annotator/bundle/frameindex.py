"""The frame index of a version-2 bundle (``frames.idx``): one 8-byte record per screen grab.

Why binary: a grab happens 30 times a second whether or not the screen changed; one JSON
line per grab cost 2.6 KB per second of recording, these records cost 240 bytes, and an
hour's index loads in milliseconds (``numpy.fromfile``) instead of 0.4 s.

Layout (docs/bundle-format.md, "frames.idx"): a 16-byte header (``MAGIC``, format version,
record size), then little-endian uint64 records ``t << 8 | check << 4 | flags``:
``t`` the capture time in µs, ``flags`` the bits below, ``check`` 4 bits folded from ``t``
and ``flags`` so that a zeroed or garbled record is recognised and skipped, never read as a
grab.  A grab's ``pts`` is not stored: it is ``t`` of the last stored grab at or before it.

Crash safety: records are appended whole and flushed (with fsync) by the recorder every
0.5 s; a cut-off tail (a size that is not a whole number of records) is ignored by readers
and cut by ``annotator recover``.
"""

from __future__ import annotations

import os
import struct
import threading
from pathlib import Path

import numpy as np

from annotator.bundle.jsonl import JsonlReport

MAGIC = b"ANNFIDX\0"
FORMAT_VERSION = 1
RECORD_SIZE = 8
HEADER = struct.pack("<8sHHI", MAGIC, FORMAT_VERSION, RECORD_SIZE, 0)
HEADER_SIZE = len(HEADER)

STORED = 1  # the grab was encoded into the video
CHANGED = 2  # the screen (after masking) differed from the previous grab
READ = 4  # pixels were read this tick (a damaged area, or a whole-screen grab)
FULL = 8  # the whole capture region was read (first grab, safety grab, no DAMAGE)

_CHECK_SALT = 0xA
_MAX_T = (1 << 56) - 1


def _fold4(v: np.ndarray) -> np.ndarray:
    v = v ^ (v >> np.uint64(32))
    v = v ^ (v >> np.uint64(16))
    v = v ^ (v >> np.uint64(8))
    v = v ^ (v >> np.uint64(4))
    return v & np.uint64(0xF)


def encode_record(t_us: int, flags: int) -> int:
    if not 0 <= t_us <= _MAX_T:
        raise ValueError(f"capture time {t_us} out of range")
    v = t_us ^ (flags & 0xF)
    v ^= v >> 32
    v ^= v >> 16
    v ^= v >> 8
    v ^= v >> 4
    check = (v & 0xF) ^ _CHECK_SALT
    return (t_us << 8) | (check << 4) | (flags & 0xF)


def pts_of(t: np.ndarray, stored: np.ndarray) -> np.ndarray:
    """Each grab's pts: ``t`` of the last stored grab at or before it, -1 before the first."""
    n = len(t)
    if n == 0:
        return np.zeros(0, np.int64)
    last = np.where(stored, np.arange(n), -1)
    np.maximum.accumulate(last, out=last)
    return np.where(last >= 0, t[np.maximum(last, 0)], -1).astype(np.int64)


class FrameIndexWriter:
    """Append-only writer of ``frames.idx``; thread-safe; whole records only.

    ``flush()`` hands buffered records to the OS and fsyncs them (the recorder calls it every
    0.5 s), so a crash loses at most the grabs since the last flush."""

    def __init__(self, path: Path) -> None:
        self.path = path
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._fh = os.fdopen(fd, "ab", buffering=0)
        self._lock = threading.Lock()
        self._buf = bytearray()
        self._last_t = -1
        self.records = 0
        if os.fstat(fd).st_size == 0:
            self._buf += HEADER

    def add(self, t_us: int, flags: int) -> None:
        with self._lock:
            if t_us < self._last_t:
                raise ValueError(f"grab times must not go back ({t_us} after {self._last_t})")
            self._last_t = t_us
            self._buf += struct.pack("<Q", encode_record(t_us, flags))
            self.records += 1

    def flush(self, fsync: bool = True) -> None:
        with self._lock:
            data = bytes(self._buf)
            self._buf.clear()
        if data:
            self._fh.write(data)
            if fsync:
                os.fsync(self._fh.fileno())

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._fh.close()


class NotAFrameIndex(ValueError):
    """The file does not start with a frame index's header (damaged after it was written)."""


def read_frame_index(path: Path, report: JsonlReport | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(t, pts, stored, changed)`` arrays, one row per grab in capture order.

    Damaged records (check bits wrong, or a time going back) are skipped and counted in
    ``report.bad_lines`` (record numbers from 1); a cut-off last record sets
    ``report.truncated_tail``.  A missing file reads as an empty index."""
    if report is None:
        report = JsonlReport(path.name)
    t, flags = _read_records(path, report)
    stored = (flags & STORED) != 0
    changed = (flags & CHANGED) != 0
    report.records = len(t)
    return t, pts_of(t, stored), stored, changed


def read_records(path: Path, report: JsonlReport | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """``(t, flags)`` of the valid records (damaged ones skipped and counted in ``report``),
    for recovery and for tools that want the READ/FULL bits."""
    return _read_records(path, report if report is not None else JsonlReport(path.name))


def _read_records(path: Path, report: JsonlReport) -> tuple[np.ndarray, np.ndarray]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if len(data) < HEADER_SIZE:
        if data:
            report.truncated_tail = True
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    magic, version, size, _ = struct.unpack("<8sHHI", data[:HEADER_SIZE])
    if magic != MAGIC or size != RECORD_SIZE:
        raise NotAFrameIndex(f"{path.name} is not a frame index (bad header)")
    if version > FORMAT_VERSION:
        raise ValueError(f"{path.name} has frame index format {version}; this annotator "
                         f"reads up to {FORMAT_VERSION}")
    body = len(data) - HEADER_SIZE
    whole = body // RECORD_SIZE
    if body % RECORD_SIZE:
        report.truncated_tail = True
    raw = np.frombuffer(data, "<u8", count=whole, offset=HEADER_SIZE)
    t = (raw >> np.uint64(8)).astype(np.int64)
    flags = (raw & np.uint64(0xF)).astype(np.int64)
    check = (raw >> np.uint64(4)) & np.uint64(0xF)
    good = check == (_fold4((raw >> np.uint64(8)) ^ (raw & np.uint64(0xF)))
                     ^ np.uint64(_CHECK_SALT))
    if whole and not good.all():
        report.bad_lines.extend((np.nonzero(~good)[0] + 1).tolist())
        t, flags = t[good], flags[good]
        keep_numbers = np.nonzero(good)[0] + 1
    else:
        keep_numbers = None
    if len(t) > 1:
        # A record whose time goes back is damage that passed the check bits: drop it.
        back = t < np.maximum.accumulate(t)
        if back.any():
            nums = keep_numbers if keep_numbers is not None else np.arange(1, len(t) + 1)
            report.bad_lines.extend(nums[back].tolist())
            report.bad_lines.sort()
            t, flags = t[~back], flags[~back]
    return t, flags


def truncate_to_records(path: Path) -> int:
    """Cut a cut-off last record (after a crash).  Returns the bytes removed."""
    if not path.is_file():
        return 0
    size = path.stat().st_size
    keep = HEADER_SIZE + max(0, size - HEADER_SIZE) // RECORD_SIZE * RECORD_SIZE
    if size < HEADER_SIZE:
        keep = 0
    if keep < size:
        with open(path, "r+b") as fh:
            fh.truncate(keep)
            fh.flush()
            os.fsync(fh.fileno())
    return size - keep


def write_frame_index(path: Path, t: np.ndarray, flags: np.ndarray) -> None:
    """Write a whole index at once, atomically (recover rewrites one this way)."""
    from annotator.fsutil import atomic_write

    recs = np.fromiter((encode_record(int(a), int(b)) for a, b in zip(t, flags, strict=True)),
                       np.uint64, len(t))
    atomic_write(path, HEADER + recs.astype("<u8").tobytes())
