"""Tesseract OCR of rendered screen text: words and boxes, preprocessing, errors."""

from __future__ import annotations

import numpy as np
import pytest

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


def test_flat_images_are_not_sent_to_tesseract(monkeypatch) -> None:
    def boom(*_a, **_k):
        raise AssertionError("tesseract ran on a flat image")

    monkeypatch.setattr(ocr, "run_tesseract", boom)
    monkeypatch.setattr(ocr, "find_tesseract", lambda: "/usr/bin/tesseract")
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


def test_missing_tesseract_says_how_to_install(monkeypatch) -> None:
    monkeypatch.setattr(ocr.shutil, "which", lambda _name: None)
    ocr.find_tesseract.cache_clear()
    try:
        with pytest.raises(TesseractMissing) as err:
            ocr_image(np.zeros((50, 50, 3), np.uint8))
        assert "apt-get install tesseract-ocr tesseract-ocr-eng" in str(err.value)
        assert err.value.hint == INSTALL_HINT
    finally:
        ocr.find_tesseract.cache_clear()


@pytest.mark.tesseract
def test_missing_language_data_says_what_to_install(qapp) -> None:
    img, _ = render((300, 60), [(10, 10, "hello 123", 16)])
    with pytest.raises(OcrError) as err:
        ocr_image(img, OcrOptions(lang="xqz"))
    assert "tesseract-ocr-xqz" in str(err.value)


@pytest.mark.tesseract
def test_version_and_language() -> None:
    assert ocr.tesseract_version().startswith("tesseract")
    ocr.check_language("eng")
    with pytest.raises(OcrError):
        ocr.check_language("xqz")
