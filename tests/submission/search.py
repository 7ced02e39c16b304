"""Look for a secret everywhere: every file under some folders (archives, compressed streams,
PNG image data and Parquet files opened up; key characters of JSON events joined) and every
row of every table of a store's database."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa


def _png_idat(data: bytes) -> bytes | None:
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    off, idat = 8, []
    while off + 8 <= len(data):
        n, kind = struct.unpack(">I4s", data[off:off + 8])
        if kind == b"IDAT":
            idat.append(data[off + 8:off + 8 + n])
        off += 12 + n
    try:
        return zlib.decompress(b"".join(idat))
    except zlib.error:
        return None


def _key_chars(data: bytes) -> list[str]:
    """Characters of key events (``char``), and one-character key names, joined in order,
    from a JSON document or JSON lines."""
    docs = []
    try:
        docs.append(json.loads(data))
    except (ValueError, UnicodeDecodeError):
        for line in data.splitlines():
            try:
                docs.append(json.loads(line))
            except (ValueError, UnicodeDecodeError):
                pass
    chars: list[str] = []

    def walk(o) -> None:
        if isinstance(o, dict):
            c = o.get("char")
            if isinstance(c, str):
                chars.append(c)
            k = o.get("key")
            if isinstance(k, str) and len(k) == 1:
                chars.append(k)
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            if o and all(isinstance(x, str) and len(x) == 1 for x in o):
                chars.append("".join(o))
            for v in o:
                walk(v)

    for d in docs:
        walk(d)
    return ["".join(chars)] if chars else []


def expand(name: str, data: bytes, depth: int = 0) -> Iterator[tuple[str, bytes]]:
    """The bytes, and every decoded form of them we know how to open."""
    yield name, data
    if depth > 2:
        return
    for how, fn in (("gzip", gzip.decompress), ("bz2", bz2.decompress),
                    ("xz", lzma.decompress), ("zlib", zlib.decompress)):
        try:
            inner = fn(data)
        except Exception:  # noqa: BLE001 - not that format
            continue
        yield from expand(f"{name} ({how})", inner, depth + 1)
    idat = _png_idat(data)
    if idat is not None:
        yield f"{name} (PNG pixels)", idat
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for n in z.namelist():
                yield from expand(f"{name}!{n}", z.read(n), depth + 1)
    try:
        with tarfile.open(fileobj=io.BytesIO(data)) as t:
            for m in t.getmembers():
                f = t.extractfile(m)
                if f is not None:
                    yield from expand(f"{name}!{m.name}", f.read(), depth + 1)
    except (tarfile.TarError, EOFError, OSError):
        pass
    if data[:4] == b"PAR1":
        import pyarrow.parquet as pq

        table = pq.read_table(io.BytesIO(data))
        yield f"{name} (parquet)", table.to_pandas().to_csv().encode("utf-8")
    for joined in _key_chars(data):
        yield f"{name} (key characters joined)", joined.encode("utf-8")


def forms(secret: str) -> list[bytes]:
    out = []
    for s in {secret, secret.lower(), secret.upper(), secret.casefold()}:
        for enc in ("utf-8", "utf-16-le", "utf-16-be"):
            out.append(s.encode(enc))
    return out


def files_containing(roots: list[Path], secret: str) -> list[str]:
    needles = forms(secret)
    found = []
    for root in roots:
        for p in sorted(root.rglob("*")):
            if not p.is_file() or p.is_symlink():
                continue
            for name, data in expand(str(p), p.read_bytes()):
                if any(n in data for n in needles):
                    found.append(name)
    return found


def rows_containing(engine: sa.Engine, secret: str) -> list[str]:
    meta = sa.MetaData()
    meta.reflect(engine)
    found = []
    low = secret.casefold()
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(sa.select(table)):
                text = " ".join(repr(v) for v in row)
                if low in text.casefold():
                    found.append(f"{table.name}: {text[:200]}")
    return found


def count_rows(engine: sa.Engine) -> int:
    meta = sa.MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        return sum(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                   for t in meta.sorted_tables)
