"""Observation images: from the package's lossless step frames (PNG) to the exported bytes.

- PNG at the source size: the source bytes are kept (no decode, no re-encode: lossless and
  fast), with every ancillary chunk but colour information dropped (text, time and other
  metadata chunks could carry anything).
- Otherwise the frame is decoded, resized with Pillow (``--max-side``, or the target size of
  a computer-use transcript) and encoded:
  - PNG: ``compress_level=1`` (zlib's fastest: on UI screens 3x faster than the default 6
    for a few per cent more bytes; use WebP for size);
  - WebP: **lossless**, ``method=1, quality=10`` (measured on 1920x1080 UI screens: about
    70 ms a frame and 40 % of the PNG's size; method 4 halves the size again at 3x the
    time; lossy q90 is larger than lossless on UI screens);
  - JPEG: ``quality=90``, 4:4:4 (lossy: small text survives better without subsampling).

Encoding is deterministic: the same frame and settings give the same bytes.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass

from PIL import Image

FORMATS = ("png", "webp", "jpeg")
EXT = {"png": "png", "webp": "webp", "jpeg": "jpg"}
MIME = {"png": "image/png", "webp": "image/webp", "jpeg": "image/jpeg"}
WEBP_SETTINGS = {"lossless": True, "method": 1, "quality": 10}
PNG_SETTINGS = {"compress_level": 1}
JPEG_SETTINGS = {"quality": 90, "subsampling": 0}
_PNG_SIG = b"\x89PNG\r\n\x1a\n"
_KEEP_CHUNKS = {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND", b"sRGB", b"gAMA", b"cHRM"}


class ImageError(ValueError):
    pass


@dataclass(frozen=True)
class Encoded:
    data: bytes
    width: int
    height: int
    src_width: int
    src_height: int

    @property
    def sx(self) -> float:
        return self.width / self.src_width

    @property
    def sy(self) -> float:
        return self.height / self.src_height


def png_size(data: bytes) -> tuple[int, int]:
    if data[:8] != _PNG_SIG or data[12:16] != b"IHDR":
        raise ImageError("not a PNG file")
    w, h = struct.unpack(">II", data[16:24])
    return w, h


_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def strip_png(data: bytes) -> bytes:
    """The PNG with only the chunks needed to show it.  On the way, every chunk's CRC is
    checked and the image data is decompressed (without keeping it) and its length compared
    with what the header says: a damaged frame is caught without a full decode."""
    out = [_PNG_SIG]
    pos = 8
    n = len(data)
    inflate = zlib.decompressobj()
    inflated = 0
    expect = None
    while pos + 12 <= n:
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        end = pos + 12 + length
        if end > n:
            raise ImageError("the PNG is cut short")
        body = data[pos + 8:pos + 8 + length]
        crc = struct.unpack(">I", data[pos + 8 + length:end])[0]
        if zlib.crc32(ctype + body) != crc:
            raise ImageError(f"the PNG's {ctype.decode('latin-1')} chunk is damaged (CRC)")
        if ctype in _KEEP_CHUNKS:
            out.append(data[pos:end])
        if ctype == b"IHDR":
            w, h, depth, color, _c, _f, interlace = struct.unpack(">IIBBBBB", body[:13])
            if color in _CHANNELS and not interlace:
                expect = h * (1 + (w * _CHANNELS[color] * depth + 7) // 8)
        elif ctype == b"IDAT":
            try:
                while body:  # bounded steps, so a zip bomb cannot take the memory
                    inflated += len(inflate.decompress(body, 1 << 20))
                    body = inflate.unconsumed_tail
            except zlib.error as exc:
                raise ImageError(f"the PNG's image data is damaged ({exc})") from None
        pos = end
        if ctype == b"IEND":
            if expect is not None and (inflated != expect or not inflate.eof):
                raise ImageError(f"the PNG's image data has {inflated} bytes, its header "
                                 f"says {expect}")
            return b"".join(out)
    raise ImageError("the PNG has no end (IEND)")


def target_size(w: int, h: int, max_side: int | None, fit: tuple[int, int] | None = None
                ) -> tuple[int, int]:
    """The exported size: at most ``max_side`` on the long side, or inside ``fit`` (w, h);
    never enlarged; aspect ratio kept."""
    scale = 1.0
    if max_side and max(w, h) > max_side:
        scale = max_side / max(w, h)
    if fit is not None:
        scale = min(scale, fit[0] / w, fit[1] / h)
    if scale >= 1.0:
        return w, h
    return max(1, round(w * scale)), max(1, round(h * scale))


def source_format(data: bytes) -> str | None:
    """png, webp or jpeg, by the bytes' signature."""
    if data[:8] == _PNG_SIG:
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    return None


def encode_frame(src: bytes, fmt: str, *, max_side: int | None = None,
                 fit: tuple[int, int] | None = None) -> Encoded:
    """The image in ``fmt`` at its target size.  A PNG frame (the package's) at its size is
    kept as it is (less its metadata); an image already in ``fmt`` at its size (a canonical
    export being converted) too; anything else is decoded and encoded."""
    kind = source_format(src)
    if kind == "png":
        w, h = png_size(src)
    else:
        try:
            with Image.open(io.BytesIO(src)) as probe:
                w, h = probe.size
        except (OSError, SyntaxError, ValueError) as exc:
            raise ImageError(f"the image does not decode ({exc})") from None
    tw, th = target_size(w, h, max_side, fit)
    if kind == fmt and (tw, th) == (w, h):
        return Encoded(strip_png(src) if kind == "png" else src, w, h, w, h)
    try:
        img: Image.Image = Image.open(io.BytesIO(src))
        img.load()
        if img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"the frame does not decode ({exc})") from None
    if (tw, th) != (w, h):
        img = img.resize((tw, th), Image.Resampling.LANCZOS, reducing_gap=3.0)
    out = io.BytesIO()
    if fmt == "png":
        img.save(out, "PNG", **PNG_SETTINGS)
    elif fmt == "webp":
        img.save(out, "WEBP", **WEBP_SETTINGS)
    elif fmt == "jpeg":
        img.save(out, "JPEG", **JPEG_SETTINGS)
    else:
        raise ImageError(f"unknown image format {fmt!r}")
    return Encoded(out.getvalue(), tw, th, w, h)
