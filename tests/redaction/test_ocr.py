"""Tesseract OCR of rendered screen text: words and boxes, preprocessing, the engines kept
between calls, errors."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from annotator.jobs import Cancelled
from annotator.redaction import ocr
from annotator.redaction.ocr import (
    INSTALL_HINT,
    OcrError,
    OcrOptions,
    TesseractMissing,
    bands,
    flatten_background,
    ocr_batch,
    ocr_image,
    remove_rules,
)

from .helpers import DARK, LIGHT, render

LINES = [(40, 30, "Invoice 4711 for Contoso Ltd", 20),
         (40, 80, "Contact: jane.doe@example.com", 16),
         (40, 120, "Total due 1,249.99 by 2024-05-17", 14),
         (40, 160, "Reference ORD-2024-118842 shipped", 12)]


def _find(words, text):
    return [w for w in words if w.text.strip(".,:;") == text]


@pytest.mark.tesseract
@pytest.mark.parametrize("theme", [LIGHT, DARK], ids=["light", "dark"])
def test_reads_rendered_text_with_boxes(qapp, theme) -> None:
    img, placed = render((900, 200), LINES, theme)
    words = ocr_image(img)
    for p in placed:
        x, y, w, h = p.box
        for token in p.text.split():
            token = token.strip(".,:;")
            found = _find(words, token)
            assert found, f"{token!r} not read; read: {[w.text for w in words]}"
            # Its box lies inside the line's ink box (a pixel or two of slack).
            assert any(x - 3 <= f.x and f.x + f.w <= x + w + 3 and y - 3 <= f.y
                       and f.y + f.h <= y + h + 3 for f in found), (token, found, p.box)
    for wd in words:
        assert 0 <= wd.conf <= 100
        assert wd.line_id[0] >= 0


@pytest.mark.tesseract
def test_word_line_and_paragraph_ids_group_lines(qapp) -> None:
    img, _ = render((900, 200), LINES)
    words = ocr_image(img)
    line_of = {w.text: w.line_id for w in words}
    assert line_of["Invoice"] == line_of["4711"]
    assert line_of["Invoice"] != line_of["Total"]


@pytest.mark.tesseract
def test_batch_maps_boxes_to_each_image_and_offset(qapp) -> None:
    a, pa = render((500, 60), [(10, 10, "alpha 12345", 16)])
    b, pb = render((500, 60), [(10, 10, "bravo 67890", 16)], DARK)
    out = ocr_batch([a, b], OcrOptions(), [(0, 0), (100, 300)])
    assert [w.text for w in out[0]] == ["alpha", "12345"]
    assert [w.text for w in out[1]] == ["bravo", "67890"]
    wa, wb = out[0][0], out[1][0]
    assert abs(wa.x - pa[0].box[0]) <= 3 and abs(wa.y - pa[0].box[1]) <= 3
    assert abs(wb.x - (pb[0].box[0] + 100)) <= 3 and abs(wb.y - (pb[0].box[1] + 300)) <= 3


@pytest.mark.tesseract
def test_flat_images_are_not_sent_to_tesseract(monkeypatch) -> None:
    def boom(*_a, **_k):
        raise AssertionError("tesseract ran on a flat image")

    monkeypatch.setattr(ocr, "recognise", boom)
    assert ocr_image(np.full((100, 100, 3), 200, np.uint8)) == []
    assert ocr_batch([np.zeros((2, 2, 3), np.uint8)]) == [[]]


def test_flatten_makes_any_theme_dark_on_light() -> None:
    for bg, fg in [(255, 40), (30, 210), (240, 180), (50, 90)]:  # incl. low contrast
        g = np.full((120, 400), bg, np.uint8)
        g[50:62, 100:300:4] = fg  # glyph-like strokes
        out = flatten_background(g)
        assert out[5, 5] == 255  # background white
        assert out[55, 100] <= 20  # strokes black


def test_rules_and_box_frames_are_removed_not_text() -> None:
    g = np.full((200, 600), 255, np.uint8)
    g[40, 20:580] = 0  # a rule
    g[80:140, 20] = 0  # a box frame
    g[80:140, 500] = 0
    g[80, 20:501] = 0
    g[139, 20:501] = 0
    g[100:115, 60:64] = 0  # a glyph stroke inside it
    out = remove_rules(g, 60, 40)
    assert out[40, 300] == 255 and out[110, 20] == 255 and out[80, 300] == 255
    assert out[105, 61] == 0


def test_bands_cut_at_blank_rows_with_balanced_ink() -> None:
    g = np.full((1000, 300), 255, np.uint8)
    for y in range(20, 980, 40):
        g[y:y + 12, 10:290:3] = 0  # text lines every 40 px
    cuts = bands(g, 2, 100)
    assert len(cuts) == 2 and cuts[0][0] == 0 and cuts[-1][1] == 1000
    cut = cuts[0][1]
    assert (g[cut] == 255).all()
    assert 400 <= cut <= 600


def test_missing_language_data_says_how_to_install(monkeypatch, tmp_path) -> None:
    # Tesseract's data not installed: TESSDATA_PREFIX names a folder without any.
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    with pytest.raises(TesseractMissing) as err:
        ocr_image(np.zeros((50, 50, 3), np.uint8))
    assert "apt-get install tesseract-ocr tesseract-ocr-eng" in str(err.value)
    assert err.value.hint == INSTALL_HINT
    assert str(tmp_path) in str(err.value)
    with pytest.raises(TesseractMissing):
        ocr.check_language("eng")


def test_missing_engine_says_how_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "tesserocr", None)  # ``import tesserocr`` fails
    with pytest.raises(OcrError) as err:
        ocr_image(np.zeros((50, 50, 3), np.uint8))
    assert "tesserocr" in str(err.value) and "pip install tesserocr" in str(err.value)


@pytest.mark.tesseract
def test_tessdata_prefix_is_used(qapp, monkeypatch, tmp_path) -> None:
    system = Path(ocr.find_tesseract())
    (tmp_path / "tessdata").mkdir()
    (tmp_path / "tessdata" / "eng.traineddata").symlink_to(system / "eng.traineddata")
    img, _ = render((300, 60), [(10, 10, "hello 12345", 16)])
    for prefix in (tmp_path / "tessdata", tmp_path):  # Tesseract 4+ and 3.x conventions
        monkeypatch.setenv("TESSDATA_PREFIX", str(prefix))
        assert ocr.find_tesseract() == str(tmp_path / "tessdata") + "/"
        assert [w.text for w in ocr_image(img)] == ["hello", "12345"]


@pytest.mark.tesseract
def test_missing_language_says_what_to_install(qapp) -> None:
    img, _ = render((300, 60), [(10, 10, "hello 123", 16)])
    with pytest.raises(OcrError) as err:
        ocr_image(img, OcrOptions(lang="xqz"))
    assert "tesseract-ocr-xqz" in str(err.value)


@pytest.mark.tesseract
def test_version_and_language() -> None:
    assert ocr.tesseract_version().startswith("tesseract 5")
    ocr.check_language("eng")
    with pytest.raises(OcrError):
        ocr.check_language("xqz")


@pytest.mark.tesseract
def test_engines_are_kept_and_never_shared_between_threads(qapp) -> None:
    imgs = [render((500, 140), [(10, 10 + 60 * j, f"row{j} value {i}{j}7731", 16)
                                 for j in range(2)])[0] for i in range(4)]
    opts = OcrOptions(workers=2, min_band_height=40)
    key = ocr._config(opts, ocr.find_tesseract())
    with ocr._POOL_LOCK:  # start from none (earlier tests may have left some)
        for api in ocr._POOL.pop(key, []):
            api.End()
    expected = [[w.text for w in ocr_image(img, opts)] for img in imgs]
    assert all(len(e) == 6 for e in expected), expected
    kept = {id(a) for a in ocr._POOL[key]}
    assert len(kept) == 2  # one loaded engine per worker, kept after the call
    # Four callers at once, two threads each: every image still reads as alone.
    got: list[list[str] | None] = [None] * len(imgs)

    def run(i: int) -> None:
        got[i] = [w.text for w in ocr_image(imgs[i], opts)]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(imgs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == expected
    assert kept <= {id(a) for a in ocr._POOL[key]}  # the first two were used again
    assert len(ocr._POOL[key]) <= ocr._POOL_MAX


@pytest.mark.tesseract
def test_cancel_and_timeout(qapp) -> None:
    img, _ = render((900, 200), LINES)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        ocr_batch([img], cancel=cancel)
    busy = np.concatenate([img] * 6)
    with pytest.raises(OcrError, match="took more than"):
        ocr_batch([busy], OcrOptions(workers=1, timeout_s=0.001))


def test_single_threaded_tesseract_is_set_before_it_loads() -> None:
    code = ("import os, sys; from annotator.redaction import ocr; "
            "assert 'tesserocr' not in sys.modules; ocr._tesserocr(); "
            "print(os.environ['OMP_THREAD_LIMIT'])")
    env = {k: v for k, v in os.environ.items() if k != "OMP_THREAD_LIMIT"}
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True,
                         text=True, timeout=60)
    assert out.stdout.strip() == "1", out.stderr
    env["OMP_THREAD_LIMIT"] = "2"  # the user's own setting wins
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True,
                         text=True, timeout=60)
    assert out.stdout.strip() == "2", out.stderr


def _w(text: str, x: int, w: int, y: int = 10, h: int = 20) -> ocr.Word:
    return ocr.Word(text, x, y, w, h, 90.0, 1, 1, 1)


def test_boxes_cut_inside_a_run_of_ink_are_closed_but_spaces_stay() -> None:
    ink = np.zeros((40, 200), bool)
    ink[12:28, 10:40] = True  # "BNN3I": boxed
    for x in range(42, 60, 4):  # "vhll": letters 3 px apart that Tesseract boxed elsewhere
        ink[12:28, x:x + 3] = True
    ink[12:28, 62:90] = True  # "t8Bx": boxed
    ink[12:28, 100:130] = True  # a word after a real space (10 px: half the height)
    words = [_w("BNN3I", 10, 30), _w("t8Bx", 62, 28), _w("next", 100, 30)]
    out = ocr._close_ink_gaps(ink, words)
    assert (out[0].x, out[0].w) == (10, 52)  # widened to the next word: one token
    assert out[1:] == words[1:]  # the space before "next" stays a gap
    # A lone mark Tesseract dropped between two words, with spaces around it: unchanged.
    ink2 = np.zeros((40, 200), bool)
    ink2[12:28, 10:40] = ink2[12:28, 100:130] = True
    ink2[12:28, 68:71] = True
    words2 = [_w("left", 10, 30), _w("right", 100, 30)]
    assert ocr._close_ink_gaps(ink2, words2) == words2
    # Words of different lines are never joined.
    other = [_w("BNN3I", 10, 30), ocr.Word("t8Bx", 62, 10, 28, 20, 90.0, 1, 1, 2)]
    assert ocr._close_ink_gaps(ink, other) == other


def test_a_glyph_flush_against_a_short_box_side_is_kept_and_the_side_removed() -> None:
    # A box barely taller than its value, which fills it (text and frame one component,
    # not hollow): its sides are shorter than a rule.
    g = np.full((120, 200), 255, np.uint8)
    g[40:70, 20:23] = 0  # left side, 3 px thick (1 px scaled and anti-aliased)
    g[40:70, 137:140] = 0
    g[40:43, 20:140] = 0
    g[67:70, 20:140] = 0
    g[48:62, 23:26] = 0  # the first glyph's stroke, touching the side
    g[48:51, 26:34] = 0
    for x in range(36, 134, 6):  # the rest of the value, down to the box's bottom line
        g[48:67, x:x + 3] = 0
    out = remove_rules(g, 60, 40)
    assert out[55, 21] == 255 and out[55, 138] == 255  # the sides are gone
    assert out[55, 24] == 0 and out[49, 30] == 0  # the glyph is not


def test_a_frame_preprocessed_in_pieces_is_the_frame_preprocessed_whole() -> None:
    from annotator.redaction.ocr import OcrOptions, _pieces, preprocess, preprocess_all

    rng = np.random.default_rng(3)
    g = np.full((1080, 640), 235, np.uint8)
    for y in range(30, 1050, 22):  # text-like strokes on panels of two shades
        g[y:y + 11, 20:600:5] = rng.integers(20, 90)
    g[500:700, 300:640] = 60
    g[560:571, 320:620:4] = 230
    rgb = np.dstack([g, g, g])
    opts = OcrOptions(workers=2)
    whole, pieces = preprocess(rgb, opts), preprocess_all([rgb, rgb[:100]], opts)
    assert pieces[0].shape == whole.shape and pieces[1].shape == preprocess(rgb[:100], opts).shape
    assert (pieces[0] != whole).mean() < 1e-4
    assert _pieces(1080, 2) == [(0, 600, 0, 536), (472, 1080, 536, 1080)]
    assert _pieces(300, 2) == [(0, 300, 0, 300)]
