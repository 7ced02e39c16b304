"""Reading a control off the screen (OCR only), by class: a menu row is named by its item
wherever it is clicked (its shortcut column is never the name), shortcuts as OCR misreads
them, a line cut by the edge of what is read is left out, a coloured indicator or link is
not an icon, a menu's icon read as a letter is dropped, and a first capital OCR read in
lower case is told by its height.  Text is drawn with a real font (DejaVu Sans, as on a
desktop) and read by the real OCR."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from annotator.drafts import ArrayFrames, Drafter, Guard, StepInput, ink
from annotator.drafts import screen as sc
from annotator.redaction.ocr import Word

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
BG = (239, 239, 239)
needs_font = pytest.mark.skipif(not FONT.exists(), reason="DejaVu Sans is not installed")


def canvas(w: int = 640, h: int = 200, bg=BG) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    img = Image.new("RGB", (w, h), bg)
    return img, ImageDraw.Draw(img)


def font(px: int = 13) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT), px)


MENU = [("Line Numbers", "Ctrl+L"), ("Wrap Lines", "Ctrl+W"),
        ("Auto-Indentation", "Ctrl+I"), ("Syntax Highlighting", "Ctrl+Shift+H")]
ROW, TOP, TEXT_X, KEY_X = 26, 20, 40, 300


def menu_frame() -> np.ndarray:
    img, d = canvas(640, 160)
    d.rectangle((10, TOP - 4, 420, TOP + ROW * len(MENU) + 4), fill=(250, 250, 250),
                outline=(160, 160, 160))
    for i, (item, key) in enumerate(MENU):
        y = TOP + i * ROW + 6
        d.text((TEXT_X, y), item, font=font(), fill=(20, 20, 20))
        d.text((KEY_X, y), key, font=font(), fill=(20, 20, 20))
    return np.asarray(img)


def click(x: int, y: int) -> StepInput:
    return StepInput(id="s0", type="click", t0=1_000_000, t1=1_060_000, x=x, y=y,
                     window_title="Untitled", window_box=[0, 0, 640, 160], obs_t=800_000,
                     obs_pts=0)


@needs_font
def test_a_click_anywhere_on_a_menu_row_names_its_item_never_its_shortcut():
    frame = menu_frame()
    drafter = Drafter(Guard(), ArrayFrames({0: frame}))
    if not drafter.ocr:
        pytest.skip(drafter.ocr_error or "no OCR")
    for i, (item, _key) in enumerate(MENU):
        mid = TOP + i * ROW + 12
        # on the text, past its end, on the shortcut, past the shortcut, in the row's padding
        for x, y in ((TEXT_X + 20, mid), (260, mid), (KEY_X + 8, mid), (395, mid),
                     (KEY_X + 10, mid + 8)):
            d = drafter.draft([click(x, y)], 0)
            assert not d.weak and d.target is not None and d.target.name == item, (x, y, d)


def test_shortcuts_as_ocr_reads_and_misreads_them_are_never_names():
    for text in ("Ctrl+J", "Ctri+t", "Ctril+Ww", "ttri+N", "Ctrl+Shift+H", "Ctrl+", "F2",
                 "Ctrl+]", "Ctrl+Alt+P", "Alt+F4", "Shift+Del"):
        assert sc.is_shortcut(text), text
    for text in ("Find", "Control", "Shift", "Print", "F1 Help", "Alt", "Trim"):
        assert not sc.is_shortcut(text), text


@needs_font
def test_a_band_read_around_the_pointer_leaves_out_the_lines_its_edges_cut():
    frame = menu_frame()
    rows = ink.ink_mask(frame[:, 30:400], np.array((250, 250, 250))).sum(axis=1) > 0
    lines, start = [], None  # the text lines' ink rows, (first, last)
    for r, on in enumerate(rows[TOP:TOP + ROW * len(MENU)], TOP):
        if on and start is None:
            start = r
        elif not on and start is not None:
            lines.append((start, r - 1))
            start = None
    assert len(lines) == len(MENU)
    for i, (a, b) in enumerate(lines):
        mid = (a + b) // 2
        for half in (14, 18, 22, 30):  # bands that cut the lines around in every way
            x0, y0, w, h = ink.fit_to_lines(frame, (0, mid - half, 640, 2 * half), mid, x=200)
            assert y0 <= a and y0 + h > b, (i, half)  # its own line whole
            for j, (c, e) in enumerate(lines):  # no other line in part
                assert e < y0 or c >= y0 + h or (c >= y0 and e < y0 + h), (i, half, j)

@needs_font
def test_an_indicator_followed_by_its_label_and_a_link_are_no_icon_an_icon_alone_is():
    img, d = canvas(640, 120)
    d.rounded_rectangle((20, 20, 36, 36), 4, fill=(53, 132, 228))  # a check box, checked
    d.text((44, 21), "checkbutton", font=font(), fill=(40, 40, 40))
    d.text((20, 60), "link button", font=font(), fill=(27, 106, 203))  # a link
    d.ellipse((300, 20, 318, 38), fill=(220, 60, 40))  # an icon, then another icon
    d.rectangle((330, 20, 348, 38), fill=(40, 160, 60))
    frame = np.asarray(img)
    assert not ink.icon_at(frame, 28, 28)
    assert not ink.icon_at(frame, 18, 66)
    assert ink.icon_at(frame, 309, 29)
    painted = ink.paint_out_icons(frame[10:45, 10:200], np.array(BG))
    assert (np.abs(painted[10:27, 10:27].astype(int) - BG).max(axis=2) < 10).all()
    assert (painted[10:30, 40:150] < 100).any()  # the label's ink stays


def word(text: str, x: int, w: int, h: int = 12) -> Word:
    return Word(text, x, 100, w, h, 95.0, 1, 1, 1)


def test_a_menu_icon_read_as_a_letter_is_dropped_from_the_item_name():
    for first in ("B", "J"):  # icon column, then the item's words at their own spacing
        ws = [word(first, 14, 12, 14), word("Save/Restore", 34, 84), word("Session", 123, 48)]
        p = sc.drop_indicator(sc.phrases(ws)[0], ws)
        assert p.text == "Save/Restore Session"
    ws = [word("A", 30, 9), word("Tale", 43, 28), word("of", 75, 12)]  # a word space
    assert sc.drop_indicator(sc.phrases(ws)[0], ws).text == "A Tale of"


@needs_font
@pytest.mark.parametrize("px", [12, 13, 15, 18])
def test_a_first_capital_read_in_lower_case_is_told_by_its_height(px):
    for shown, read in (("Otto", "otto"), ("Save", "save"), ("Orders", "orders"),
                        ("otto", "otto"), ("save", "save"), ("scroll", "scroll"),
                        ("shipping", "shipping"), ("child", "child"), ("Shipping", "shipping")):
        img, d = canvas(200, 40)
        d.text((10, 8), shown, font=font(px), fill=(30, 30, 30))
        frame = np.asarray(img)
        mask = ink.ink_mask(frame, np.array(BG))
        ys, xs = np.nonzero(mask)
        box = (int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1),
               int(ys.max() - ys.min() + 1))
        assert ink.fix_first_capital(read, frame, box, np.array(BG)) == shown, (px, shown)
