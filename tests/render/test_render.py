"""Rendering for submission: burn-in, re-timing, clean output, atomic writes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import threading
from pathlib import Path

import av
import numpy as np
import pytest

from annotator.errors import AnnotatorError
from annotator.jobs import Cancelled, Progress
from annotator.media import leakcheck
from annotator.media.render import (
    FILL_ALIGN,
    METADATA_ALLOWLIST,
    RenderError,
    plan_render,
    png_chunks,
    render_stills,
    render_video,
    rgb_to_yuv,
)
from annotator.media.video import VideoReader
from tests.render.synth import GRAB_US, SECRET_RECT, T0, H, W, make_bundle

BLACK_Y = rgb_to_yuv((0, 0, 0))[0]


def decode(path: Path) -> dict[int, np.ndarray]:
    """{pts: I420 plane stack} of every frame."""
    with av.open(str(path)) as c:
        return {f.pts: f.to_ndarray(format="yuv420p") for f in c.decode(video=0)}


def bundle_digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial" in p.name)


def box_dict(rect, a, b):
    return {"rect": list(rect) if rect != "full" else "full", "t_start_us": a, "t_end_us": b}


def index_frame(i: int, _secret: str = "") -> np.ndarray:
    """A picture that says which grab it is: 10 bits as black/white 32x32 blocks."""
    img = np.full((H, W, 3), 128, np.uint8)
    for bit in range(10):
        on = (i >> bit) & 1
        img[16:48, 16 + 40 * bit:48 + 40 * bit] = 255 if on else 0
    return img


def read_index(yuv: np.ndarray) -> int:
    return sum(1 << bit for bit in range(10)
               if yuv[32, 32 + 40 * bit] > 128)


# -- the secret is gone ----------------------------------------------------------------------
def test_two_secrets_give_identical_redacted_pixels(tmp_path):
    box = [box_dict(SECRET_RECT, 0, 10**12)]
    outs, srcs = {}, {}
    for name, secret in (("a", "hunter2-Tr0ub4dor"), ("b", "XyZZy-99-s3cret!")):
        info = make_bundle(tmp_path / name, secret)
        kept = [(0, info["duration_us"])]
        res = render_video(tmp_path / name, tmp_path / f"{name}.mp4", kept, box)
        assert res.frames_encoded > 5
        report = leakcheck.check_render(tmp_path / f"{name}.mp4", tmp_path / name, kept, box)
        assert report.passed, str(report)
        outs[name] = decode(tmp_path / f"{name}.mp4")
        srcs[name] = decode(tmp_path / name / "video.mp4")
    x, y, w, h = SECRET_RECT
    # The originals differ where the secret is (the test means something)...
    first = min(srcs["a"])
    assert not np.array_equal(srcs["a"][first][y:y + h, x:x + w],
                              srcs["b"][first][y:y + h, x:x + w])
    # ...the renders hold the same frames at the same times, byte-identical in the whole
    # filled rectangle (padding and alignment included), in Y, U and V.
    assert sorted(outs["a"]) == sorted(outs["b"])
    fx0, fy0, fx1, fy1 = res.boxes[0].fill_rect
    assert fx0 <= x - 4 and fy0 <= y - 4 and fx1 >= x + w + 4 and fy1 >= y + h + 4
    assert fx0 % FILL_ALIGN == 0 and fx1 % FILL_ALIGN == 0
    for pts, a in outs["a"].items():
        b = outs["b"][pts]
        assert np.array_equal(a[fy0:fy1, fx0:fx1], b[fy0:fy1, fx0:fx1]), pts
        for plane in (0, 1):  # U and V rows of the box
            ca = a[H:].reshape(2, H // 2, W // 2)[plane, fy0 // 2:fy1 // 2, fx0 // 2:fx1 // 2]
            cb = b[H:].reshape(2, H // 2, W // 2)[plane, fy0 // 2:fy1 // 2, fx0 // 2:fx1 // 2]
            assert np.array_equal(ca, cb), pts
        assert int(np.abs(a[y:y + h, x:x + w].astype(int) - BLACK_Y).max()) <= 4


def _windows(data: bytes, length: int, stride: int) -> list[bytes]:
    return [data[i:i + length] for i in range(0, len(data) - length + 1, stride)]


def test_output_holds_no_original_bytes_and_only_allowlisted_metadata(tmp_path):
    info = make_bundle(tmp_path / "rec")
    src = (tmp_path / "rec" / "video.mp4").read_bytes()
    out = tmp_path / "out.mp4"
    render_video(tmp_path / "rec", out, [(0, info["duration_us"])],
                 [box_dict(SECRET_RECT, T0 + 20 * GRAB_US, T0 + 60 * GRAB_US)])
    data = out.read_bytes()
    # Every run of 48 bytes of the original's mdat boxes (all fragments, the x264 SEI with
    # its version string included) is searched for: any common run of 63+ bytes would hold
    # one of these aligned 48-byte windows.
    mdat = b"".join(src[off + hdr:off + size]
                    for path, off, hdr, size in leakcheck.mp4_boxes(src) if path == "/mdat")
    assert len(mdat) > 10_000 and b"x264" in mdat
    out_runs = {data[i:i + 48] for i in range(len(data) - 47)}
    shared = [w for w in _windows(mdat, 48, 16) if w in out_runs]
    assert not shared, f"{len(shared)} runs of the original stream in the output"
    for marker in (b"x264", b"Lavf", b"Lavc", b"libx264"):
        assert marker not in data
    # Container: plain MP4, index first, no fragments; metadata only from the allow-list.
    paths = [p for p, *_ in leakcheck.mp4_boxes(data)]
    top = [p for p in paths if p.count("/") == 1]
    assert top.index("/moov") < top.index("/mdat")
    assert not any(p.endswith(("/moof", "/mvex")) for p in paths)
    with av.open(str(out)) as c:
        for k, v in c.metadata.items():
            assert METADATA_ALLOWLIST["format"].get(k) == v, (k, v)
        for k, v in c.streams.video[0].metadata.items():
            assert METADATA_ALLOWLIST["stream"].get(k) == v, (k, v)
        assert "creation_time" not in c.metadata
    report = leakcheck.check_render(out, tmp_path / "rec", [(0, info["duration_us"])],
                                    [box_dict(SECRET_RECT, T0 + 20 * GRAB_US,
                                              T0 + 60 * GRAB_US)])
    assert report.check("metadata").status == leakcheck.PASSED, str(report)
    assert report.check("source_bytes").status == leakcheck.PASSED


@pytest.mark.parametrize("gop", [150, 8])  # 8: kept ranges start after other keyframes
def test_kept_ranges_are_retimed_and_unchanged_frames_not_encoded(tmp_path, gop):
    # The picture changes at every grab for 60 grabs, then stays (keep-alives follow).
    info = make_bundle(tmp_path / "rec", grabs=150, frame_fn=index_frame, static_after=60,
                       gop=gop)
    grabs = info["grabs"]
    kept = [(grabs[10] + 5_000, grabs[30]), (grabs[45] + 1, grabs[56] + 10),
            (grabs[90], grabs[120])]
    res = render_video(tmp_path / "rec", tmp_path / "out.mp4", kept)
    offsets, total = [], 0
    for a, b in kept:
        offsets.append(total)
        total += b - a
    expected = []
    for (a, b), off in zip(kept, offsets, strict=True):
        expected.append(off)  # the picture on screen when the range starts
        expected += [off + p - a for p in info["changed"] if a < p < b]
    frames = decode(tmp_path / "out.mp4")
    assert sorted(frames) == expected == res.output_pts
    # The static third range is one frame; keep-alive repeats are never encoded.
    assert res.frames_encoded == len(expected) < len(info["stored"])
    assert res.result_duration_us == total
    if gop == 8:  # seeks skipped the removed stretches instead of decoding them
        assert res.frames_decoded < len([p for p in info["stored"] if p < kept[-1][1]])
    # Each frame shows the grab on screen at its original time.
    for (a, b), off in zip(kept, offsets, strict=True):
        for r, yuv in frames.items():
            if off <= r < off + (b - a):
                t = a + r - off
                shown = max(i for i, g in enumerate(grabs) if g <= t)
                assert read_index(yuv) == min(shown, 60), (r, t)
    report = leakcheck.check_render(tmp_path / "out.mp4", tmp_path / "rec", kept, [])
    assert report.check("timeline").status == leakcheck.PASSED, str(report)


def _merge(intervals):
    out = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _filled(yuv: np.ndarray, rect) -> bool:
    x0, y0, x1, y1 = rect
    return int(np.abs(yuv[y0:y1, x0:x1].astype(int) - BLACK_Y).max()) <= 6


def test_boxes_appear_and_disappear_on_time_on_a_static_screen(tmp_path):
    info = make_bundle(tmp_path / "rec", grabs=150, static_after=10)
    grabs = info["grabs"]
    # Mid-grab start and end in a static stretch (nothing stored there), and a second box
    # over a changing stretch, cut by a removed range.
    b1 = box_dict((300, 250, 120, 40), grabs[70] + 9_000, grabs[100] + 20_000)
    b2 = box_dict((20, 200, 200, 40), grabs[3] + 1, grabs[8])
    kept = [(0, grabs[5]), (grabs[6], info["duration_us"])]
    res = render_video(tmp_path / "rec", tmp_path / "out.mp4", kept, [b1, b2])
    plan = res.plan
    tl = plan.timeline
    # Box 1 covers the grab intervals overlapping its range, in full: from grab 70 to the
    # start of grab 101.
    assert plan.boxes[0].source_interval == (grabs[70], grabs[101])
    start, end = tl.to_result(grabs[70]), tl.to_result(grabs[101])
    assert plan.boxes[0].result_intervals == [(start, end)]
    assert plan.boxes[1].source_interval == (grabs[3], grabs[9])
    r3 = tl.to_result(grabs[3])
    assert plan.boxes[1].result_intervals == [(r3, r3 + grabs[5] - grabs[3]),
                                              (tl.to_result(grabs[6]), tl.to_result(grabs[9]))]
    frames = decode(tmp_path / "out.mp4")
    pts = sorted(frames)
    # On the static screen, frames are emitted exactly where box 1 appears and disappears.
    assert start in frames and end in frames
    ends = pts[1:] + [res.result_duration_us]
    assert pts[0] == 0 and pts[1] == T0  # black until the first grab
    for p, e in zip(pts[1:], ends[1:], strict=True):
        for b in plan.boxes:
            spans = _merge(b.result_intervals)
            inside = any(a <= p and e <= z for a, z in spans)
            outside = all(e <= a or p >= z for a, z in spans)
            assert inside or outside, (p, e, b.result_intervals)  # never straddles
            assert _filled(frames[p], b.fill_rect) == inside, (p, b.index)


@pytest.mark.parametrize("fill", [(0, 0, 0), (200, 30, 90)])
def test_leak_check_passes_a_correct_render_and_catches_a_missed_box(tmp_path, fill):
    info = make_bundle(tmp_path / "rec")
    kept = [(0, info["duration_us"])]
    grabs = info["grabs"]
    boxes = [box_dict(SECRET_RECT, grabs[0], grabs[50]),
             box_dict((0, 200, 250, 30), grabs[20], grabs[90]),  # the login line
             box_dict("full", grabs[100], grabs[105])]
    render_video(tmp_path / "rec", tmp_path / "good.mp4", kept, boxes, fill=fill)
    good = leakcheck.check_render(tmp_path / "good.mp4", tmp_path / "rec", kept, boxes,
                                  fill=fill)
    assert good.passed and good.status == leakcheck.PASSED, str(good)
    render_video(tmp_path / "rec", tmp_path / "bad.mp4", kept, [boxes[0], boxes[2]], fill=fill)
    bad = leakcheck.check_render(tmp_path / "bad.mp4", tmp_path / "rec", kept, boxes,
                                 fill=fill)
    assert not bad.passed and bad.status == leakcheck.FAILED
    fill = bad.check("box_fill")
    assert fill.status == leakcheck.FAILED
    assert [f.box_index for f in fill.failures] == [1]
    f = fill.failures[0]
    assert f.max_deviation > 50 and f.frames_failed >= 1
    assert f.first_result_us >= grabs[20] - GRAB_US
    assert "box 2" in str(bad)


def test_leak_check_fails_closed_and_takes_extra_checks(tmp_path):
    info = make_bundle(tmp_path / "rec", grabs=40)
    kept = [(0, info["duration_us"])]
    boxes = [box_dict(SECRET_RECT, 0, 10**12)]
    render_video(tmp_path / "rec", tmp_path / "out.mp4", kept, boxes)
    seen = []

    def ocr_ok(ctx):
        seen.extend(f.pts for f in ctx.frames())
        return leakcheck.CheckResult("ocr", leakcheck.PASSED, "no secret read")

    def broken(ctx):
        raise RuntimeError("tesseract is not installed")

    ok = leakcheck.check_render(tmp_path / "out.mp4", tmp_path / "rec", kept, boxes,
                                extra_checks={"ocr": ocr_ok}, require=["ocr"])
    assert ok.passed and seen and seen[0] == 0
    missing = leakcheck.check_render(tmp_path / "out.mp4", tmp_path / "rec", kept, boxes,
                                     require=["ocr"])
    assert not missing.passed and missing.status == leakcheck.NOT_CHECKED
    assert missing.check("ocr").status == leakcheck.NOT_CHECKED
    leakcheck.register_check("ocr", broken)
    try:
        failed = leakcheck.check_render(tmp_path / "out.mp4", tmp_path / "rec", kept, boxes,
                                        require=["ocr"])
    finally:
        leakcheck.unregister_check("ocr")
    assert failed.status == leakcheck.NOT_CHECKED and not failed.passed
    assert "tesseract" in failed.check("ocr").summary
    nothing = leakcheck.check_render(tmp_path / "nope.mp4", tmp_path / "rec", kept, boxes)
    assert not nothing.passed


# -- nothing partial, nothing touched --------------------------------------------------------
def test_cancel_leaves_no_partial_output_and_the_recording_untouched(tmp_path):
    info = make_bundle(tmp_path / "rec", grabs=150, frame_fn=index_frame)
    before = bundle_digest(tmp_path / "rec")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "render.mp4").write_bytes(b"previous render")
    reports = []

    def on(done, total, msg):
        reports.append(done)
        if done >= 32:
            token.cancel()

    token = Progress(on)
    with pytest.raises(Cancelled):
        render_video(tmp_path / "rec", out_dir / "render.mp4", [(0, info["duration_us"])],
                     [box_dict(SECRET_RECT, 0, 10**12)], progress=token)
    assert reports and max(reports) >= 32
    assert not [t for t in threading.enumerate() if t.name == "render-decode"]
    assert sorted(p.name for p in out_dir.iterdir()) == ["render.mp4"]
    assert (out_dir / "render.mp4").read_bytes() == b"previous render"
    assert bundle_digest(tmp_path / "rec") == before
    # And a render that completes replaces it in one step, with the contributor-only mode.
    render_video(tmp_path / "rec", out_dir / "render.mp4", [(0, info["duration_us"])])
    assert (out_dir / "render.mp4").stat().st_mode & 0o777 == 0o600
    assert leftovers(out_dir) == []
    assert bundle_digest(tmp_path / "rec") == before


def _noise(i: int, _secret: str) -> np.ndarray:
    return np.random.default_rng(i).integers(0, 255, (H, W, 3), dtype=np.uint8)


def test_disk_full_leaves_nothing(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill needs root")
    info = make_bundle(tmp_path / "rec", grabs=12, frame_fn=_noise)
    before = bundle_digest(tmp_path / "rec")
    small = tmp_path / "small"
    small.mkdir()
    mount = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(small)],
                           capture_output=True, text=True)
    if mount.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mount.stderr.strip()}")
    try:
        with pytest.raises(RenderError, match="disk is full") as err:
            render_video(tmp_path / "rec", small / "out.mp4", [(0, info["duration_us"])])
        assert isinstance(err.value, AnnotatorError) and err.value.hint
        assert os.listdir(small) == []
    finally:
        subprocess.run(["umount", str(small)], check=False)
    assert bundle_digest(tmp_path / "rec") == before


def test_no_frames_in_kept_ranges_is_a_clear_error(tmp_path):
    info = make_bundle(tmp_path / "rec", grabs=30)
    for kept in ([(0, T0 - 1)], [], [(info["duration_us"] + 10, info["duration_us"] + 99)]):
        with pytest.raises(RenderError, match="no video frame") as err:
            render_video(tmp_path / "rec", tmp_path / "out.mp4", kept)
        assert err.value.hint
        assert sorted(p.name for p in tmp_path.iterdir()) == ["rec"]


def test_bad_boxes_and_destinations_are_refused(tmp_path):
    info = make_bundle(tmp_path / "rec", grabs=20)
    kept = [(0, info["duration_us"])]
    for bad in ({"rect": [1, 2, 0, 5], "t_start_us": 0, "t_end_us": 5},
                {"rect": [1, 2, 3, 5], "t_start_us": 9, "t_end_us": 5},
                {"rect": "everywhere", "t_start_us": 0, "t_end_us": 5},
                {"rect": [1, 2, 3, 4]}):
        with pytest.raises(RenderError):
            render_video(tmp_path / "rec", tmp_path / "out.mp4", kept, [bad])
    with pytest.raises(RenderError, match="recording itself"):
        render_video(tmp_path / "rec", tmp_path / "rec" / "video.mp4", kept)
    with pytest.raises(RenderError, match="does not exist"):
        render_video(tmp_path / "rec", tmp_path / "nope" / "out.mp4", kept)
    assert not (tmp_path / "out.mp4").exists()


def test_box_partly_outside_is_clamped_and_reported(tmp_path):
    info = make_bundle(tmp_path / "rec", grabs=40)
    kept = [(0, info["duration_us"])]
    boxes = [box_dict((W - 50, H - 30, 120, 90), 0, 10**12),
             box_dict((W + 10, 5, 40, 40), 0, 10**12)]
    res = render_video(tmp_path / "rec", tmp_path / "out.mp4", kept, boxes)
    b0, b1 = res.boxes
    assert b0.clamped and b0.fill_rect[2:] == (W, H)
    assert b0.fill_rect[0] <= W - 54 and b0.fill_rect[1] <= H - 34
    assert b1.clamped and b1.fill_rect is None
    assert any("Redaction 1" in n and "clamped" in n for n in res.notes)
    assert any("Redaction 2" in n and "outside" in n for n in res.notes)
    frames = decode(tmp_path / "out.mp4")
    for yuv in frames.values():
        assert _filled(yuv, b0.fill_rect)
    assert leakcheck.check_render(tmp_path / "out.mp4", tmp_path / "rec", kept, boxes).passed


# -- step frames --------------------------------------------------------------------------
def test_stills_are_clean_lossless_pngs_with_the_same_burn_in(tmp_path):
    boxes = [box_dict(SECRET_RECT, 0, T0 + 40 * GRAB_US)]
    pngs = {}
    for name, secret in (("a", "hunter2-Tr0ub4dor"), ("b", "XyZZy-99-s3cret!")):
        info = make_bundle(tmp_path / name, secret, grabs=60)
        grabs = info["grabs"]
        out = tmp_path / f"{name}-steps"
        out.mkdir()
        want = [(grabs[5], out / "s1.png"), (grabs[30] + 7, out / "s2.png"),
                (grabs[55], out / "s3.png")]
        res = render_stills(tmp_path / name, want, boxes)
        assert [r.path for r in res] == [p for _, p in want]
        assert [r.boxes for r in res] == [[0], [0], []]
        pngs[name] = []
        with VideoReader(tmp_path / name / "video.mp4") as reader:
            for (t, path), r in zip(want, res, strict=True):
                data = path.read_bytes()
                kinds = [k for k, _ in png_chunks(data)]  # raises on bytes after IEND
                assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND"
                assert set(kinds) == {b"IHDR", b"IDAT", b"IEND"}
                assert data.endswith(b"IEND\xaeB`\x82")
                rgb = _read_png(path)
                src = reader.frame_at(t).rgb
                if r.boxes:
                    x0, y0, x1, y1 = plan_render(tmp_path / name, [(0, 1 << 40)],
                                                 boxes).boxes[0].fill_rect
                    assert (rgb[y0:y1, x0:x1] == 0).all()
                    mask = np.ones(rgb.shape[:2], bool)
                    mask[y0:y1, x0:x1] = False
                    assert np.array_equal(rgb[mask], src[mask])  # lossless elsewhere
                else:
                    assert np.array_equal(rgb, src)
                pngs[name].append(rgb)
    x, y, w, h = SECRET_RECT
    for a, b in zip(pngs["a"][:2], pngs["b"][:2], strict=True):
        assert np.array_equal(a[y:y + h, x:x + w], b[y:y + h, x:x + w])
    assert not np.array_equal(pngs["a"][2][y:y + h, x:x + w], pngs["b"][2][y:y + h, x:x + w])
    assert not list(tmp_path.glob("*/.*partial"))


def _read_png(path: Path) -> np.ndarray:
    import cv2

    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def test_progress_is_reported(tmp_path):
    info = make_bundle(tmp_path / "rec", grabs=90, frame_fn=index_frame)
    seen = []
    render_video(tmp_path / "rec", tmp_path / "out.mp4", [(0, info["duration_us"])],
                 progress=Progress(lambda d, t, m: seen.append((d, t))))
    assert seen[0][0] == 0 and seen[-1][0] == seen[-1][1] > 0


@pytest.fixture(autouse=True)
def _no_partial_files_anywhere(tmp_path):
    yield
    assert not [p for p in tmp_path.rglob("*") if ".partial" in p.name]


def test_png_ancillary_chunks_and_trailing_bytes_are_refused_or_stripped():
    import struct
    import zlib

    from annotator.media.render import encode_png, strip_png

    data = encode_png(np.zeros((4, 6, 3), np.uint8))
    text = b"Comment\x00secret"
    chunk = struct.pack(">I", len(text)) + b"tEXt" + text + struct.pack(
        ">I", zlib.crc32(b"tEXt" + text))
    with_text = data[:33] + chunk + data[33:]  # after IHDR
    assert b"tEXt" in [k for k, _ in png_chunks(with_text)]
    assert b"secret" not in strip_png(with_text)
    with pytest.raises(ValueError, match="after IEND"):
        png_chunks(data + b"cropped-away pixels")


def test_leak_check_catches_original_bytes_and_metadata(tmp_path):
    info = make_bundle(tmp_path / "rec", grabs=40)
    kept = [(0, info["duration_us"])]
    # The original file itself, as if it had been "rendered" by copying.
    copy = tmp_path / "copy.mp4"
    copy.write_bytes((tmp_path / "rec" / "video.mp4").read_bytes())
    report = leakcheck.check_render(copy, tmp_path / "rec", kept, [],
                                    checks=["source_bytes", "metadata"])
    assert report.status == leakcheck.FAILED
    assert report.check("source_bytes").status == leakcheck.FAILED
    meta = report.check("metadata")
    assert meta.status == leakcheck.FAILED
    assert any("moof" in p for p in meta.failures)  # fragmented: not our output
    assert any("SEI" in p for p in meta.failures)  # x264's version string
