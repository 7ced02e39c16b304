"""Just enough of ISO BMFF (MP4) to cut a fragmented file back to its last whole fragment.

A fragmented MP4 is ``ftyp``, ``moov`` (no samples), then pairs of ``moof`` + ``mdat``.  A
crash can leave a partial pair at the end, which demuxers may reject; everything before it is
complete and decodable on its own.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Mp4Scan:
    size: int  # file size
    good_end: int  # offset just past the last complete fragment (or the moov)
    fragments: int
    has_moov: bool

    @property
    def truncated(self) -> bool:
        return self.good_end < self.size


def scan_fragmented_mp4(path: Path) -> Mp4Scan:
    size = path.stat().st_size
    good_end = 0
    fragments = 0
    has_moov = False
    pending_moof = False
    with open(path, "rb") as fh:
        pos = 0
        while pos + 8 <= size:
            fh.seek(pos)
            header = fh.read(16)
            box_size, box_type = struct.unpack(">I4s", header[:8])
            header_len = 8
            if box_size == 1:
                if len(header) < 16:
                    break
                box_size = struct.unpack(">Q", header[8:16])[0]
                header_len = 16
            elif box_size == 0:
                box_size = size - pos  # "to the end of the file": complete only if last
            if box_size < header_len or pos + box_size > size:
                break  # partial box: the crash point
            kind = box_type.decode("latin-1")
            pos += box_size
            if kind == "moov":
                has_moov = True
                good_end = pos
            elif kind == "moof":
                pending_moof = True
            elif kind == "mdat" and pending_moof:
                pending_moof = False
                fragments += 1
                good_end = pos
            elif kind in ("ftyp", "free", "skip", "mfra", "sidx", "styp"):
                if not pending_moof:
                    good_end = pos
    return Mp4Scan(size, good_end, fragments, has_moov)


def repair_fragmented_mp4(path: Path) -> Mp4Scan | None:
    """Truncate ``path`` to its last complete fragment.  Returns the scan, or None if the
    file does not exist.  Only whole trailing bytes of an interrupted write are removed."""
    if not path.is_file():
        return None
    scan = scan_fragmented_mp4(path)
    if scan.truncated and scan.has_moov:
        with open(path, "r+b") as fh:
            fh.truncate(scan.good_end)
            fh.flush()
            os.fsync(fh.fileno())
    return scan
