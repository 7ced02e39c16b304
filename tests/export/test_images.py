"""Frame handling: PNG pass-through keeps only what shows the image and catches damage."""

import struct
import zlib

import cv2
import numpy as np
import pytest

from annotator.export.images import ImageError, encode_frame, strip_png, target_size


def _png(w=64, h=40) -> bytes:
    rng = np.random.default_rng(1)
    img = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    ok, buf = cv2.imencode(".png", img)
    assert ok
    return buf.tobytes()


def _chunks(data: bytes):
    pos = 8
    while pos < len(data):
        n, t = struct.unpack(">I4s", data[pos:pos + 8])
        yield pos, n, t
        pos += 12 + n


def _with_chunk(data: bytes, ctype: bytes, body: bytes) -> bytes:
    """Insert a chunk after IHDR, with a valid CRC."""
    end_ihdr = 8 + 12 + 13
    chunk = struct.pack(">I", len(body)) + ctype + body + struct.pack(
        ">I", zlib.crc32(ctype + body))
    return data[:end_ihdr] + chunk + data[end_ihdr:]


def test_metadata_chunks_are_dropped_and_pixels_kept():
    src = _with_chunk(_png(), b"tEXt", b"Author\x00jane@example.com")
    out = strip_png(src)
    assert b"jane@example.com" not in out and len(out) < len(src)
    a = cv2.imdecode(np.frombuffer(src, np.uint8), cv2.IMREAD_COLOR)
    b = cv2.imdecode(np.frombuffer(out, np.uint8), cv2.IMREAD_COLOR)
    assert np.array_equal(a, b)
    enc = encode_frame(src, "png")
    assert enc.data == out and (enc.width, enc.height) == (64, 40)


def test_damaged_image_data_is_caught_even_with_valid_crcs():
    src = bytearray(_png())
    pos, n, t = next((p, n, t) for p, n, t in _chunks(bytes(src)) if t == b"IDAT")
    body = bytearray(src[pos + 8:pos + 8 + n])
    body = bytes(body[: len(body) // 2])  # truncated deflate stream, CRC made valid again
    bad = bytes(src[:pos]) + struct.pack(">I", len(body)) + b"IDAT" + body + struct.pack(
        ">I", zlib.crc32(b"IDAT" + body)) + bytes(src[pos + 12 + n:])
    with pytest.raises(ImageError, match="image data"):
        strip_png(bad)
    flipped = bytearray(src)
    flipped[pos + 10] ^= 0xFF
    with pytest.raises(ImageError, match="CRC"):
        strip_png(bytes(flipped))


def test_sizes_fit_and_never_enlarge():
    assert target_size(1920, 1080, None, (1280, 800)) == (1280, 720)
    assert target_size(800, 500, None, (1280, 800)) == (800, 500)
    assert target_size(1920, 1080, 960) == (960, 540)
    enc = encode_frame(_png(), "webp", max_side=32)
    assert (enc.width, enc.height) == (32, 20) and enc.data[8:12] == b"WEBP"
