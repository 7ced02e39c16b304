"""Boxes that follow the ink (annotator.redaction.ink): grown over the whole text run, ended
by a space, a field border or a colour change, padded in proportion to the text height;
"snap to text" for boxes drawn by hand.  Text drawn with Qt at known places, no OCR."""

from __future__ import annotations

import math

import numpy as np
import pytest

from annotator.redaction import ink

W, H = 900, 160


def draw(parts, *, px=18, family="DejaVu Sans", bg=(255, 255, 255), fg=(30, 30, 30),
         frames=(), fills=()):
    """An RGB picture with ``parts`` [(x, top, text)] drawn; per part, the ink box of each
    of its space-separated words; ``frames``: rectangles outlined (fields), ``fills``:
    (rect, colour) panels drawn first."""
    from PyQt6.QtCore import QPointF, QRectF
    from PyQt6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPainterPath, QPen

    img = QImage(W, H, QImage.Format.Format_RGB888)
    img.fill(QColor(*bg))
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
    for (x, y, w, h), colour in fills:
        p.fillRect(QRectF(x, y, w, h), QColor(*colour))
    p.setPen(QPen(QColor(120, 120, 120), 1))
    for x, y, w, h in frames:
        p.drawRect(x, y, w, h)
    f = QFont(family)
    f.setPixelSize(px)
    fm = QFontMetrics(f)
    p.setFont(f)
    p.setPen(QColor(*fg))
    words = {}
    for x, top, text in parts:
        base = top + fm.ascent()
        p.drawText(QPointF(x, base), text)
        pos = 0
        for word in text.split(" "):
            if word:
                path = QPainterPath()
                path.addText(QPointF(x + fm.horizontalAdvance(text[:pos]), base), f, word)
                r = path.boundingRect()
                bx, by = math.floor(r.left()), math.floor(r.top())
                words[word] = (bx, by, math.ceil(r.right()) - bx, math.ceil(r.bottom()) - by)
            pos += len(word) + 1
    p.end()
    ptr = img.constBits()
    ptr.setsize(img.sizeInBytes())
    arr = np.frombuffer(ptr, np.uint8).reshape(H, img.bytesPerLine())[:, :W * 3]
    return arr.reshape(H, W, 3).copy(), words


def inside(box, rect) -> bool:
    x, y, w, h = box
    rx, ry, rw, rh = rect
    return rx <= x and ry <= y and x + w <= rx + rw and y + h <= ry + rh


def overlaps(box, rect) -> bool:
    x, y, w, h = box
    rx, ry, rw, rh = rect
    return x < rx + rw and rx < x + w and y < ry + rh and ry < y + h


def part(box, a: float, b: float):
    """The horizontal slice a..b (shares) of a box: what a too-short OCR box covers."""
    x, y, w, h = box
    return (x + int(a * w), y, max(1, int((b - a) * w)), h)


@pytest.mark.parametrize("px", [12, 14, 18, 24])
def test_a_box_cut_short_grows_over_the_whole_value_and_stops_at_the_next_word(qapp, px):
    img, words = draw([(20, 40, "Contact: jane.doe@example.com until Friday")], px=px)
    email = words["jane.doe@example.com"]
    grown = ink.grow(img, part(email, 0.2, 0.7))
    assert inside(email, grown)
    assert not overlaps(words["until"], grown) and not overlaps(words["Contact:"], grown)
    # Padded in proportion to the text height, never touching the next word.
    assert grown[0] < email[0] and grown[0] + grown[2] > email[0] + email[2]


def test_glued_label_and_brackets_are_one_run(qapp):
    img, words = draw([(20, 30, "API_TOKEN=ghp_R8x2Kq7LmZ4vT9wYb3Nc6Pd1Hs5Jf0Ga2Ue8 ok"),
                       (20, 90, "From: Support <jane.doe@example.com>")], px=14,
                      family="DejaVu Sans Mono")
    token = words["API_TOKEN=ghp_R8x2Kq7LmZ4vT9wYb3Nc6Pd1Hs5Jf0Ga2Ue8"]
    grown = ink.grow(img, part(token, 0.5, 0.9))
    assert inside(token, grown) and not overlaps(words["ok"], grown)
    bracketed = words["<jane.doe@example.com>"]
    assert inside(bracketed, ink.grow(img, part(bracketed, 0.3, 0.6)))
    assert not overlaps(words["Support"], ink.grow(img, part(bracketed, 0.3, 0.6)))


def test_monospaced_gaps_inside_a_word_do_not_end_the_run(qapp):
    # "i.l" in a monospaced font leaves gaps of nearly half a character inside the word.
    img, words = draw([(20, 40, "user ali.li.il@ex.io 10.1.1.1 and more text here")], px=14,
                      family="DejaVu Sans Mono")
    for word in ("ali.li.il@ex.io", "10.1.1.1"):
        grown = ink.grow(img, part(words[word], 0.0, 0.3))
        assert inside(words[word], grown), word
        assert not overlaps(words["user"], grown) and not overlaps(words["and"], grown)


@pytest.mark.parametrize("family", ["DejaVu Sans", "P052", "C059"])
def test_punctuation_gaps_inside_a_value_do_not_end_the_run(qapp, family):
    # Proportional fonts put side bearings around ":" and ".": wider gaps than between
    # letters, yet no space; OCR often splits a value there.  (In some fonts, Nimbus Sans
    # and URW Gothic at 18 px, the gap after a colon is as wide as a word space: there the
    # run still ends at it.)
    img, words = draw([(20, 40, "peer 2001:0db8:c5e7::e0db up"), (20, 90, "via 10.1.17.1 ok")],
                      px=18, family=family)
    for word in ("2001:0db8:c5e7::e0db", "10.1.17.1"):
        grown = ink.grow(img, part(words[word], 0.6, 1.0))
        assert inside(words[word], grown), word
    assert not overlaps(words["peer"], ink.grow(img, part(words["2001:0db8:c5e7::e0db"], 0.6, 1)))
    assert not overlaps(words["via"], ink.grow(img, part(words["10.1.17.1"], 0.6, 1.0)))


def test_a_field_border_flush_against_the_value_ends_the_run(qapp):
    # The value touches the field's left frame (1 px); a second field right after it.
    img, words = draw([(101, 52, "4111 1111 1111 1111"), (331, 52, "0044 7700 900123")],
                      px=16, frames=[(100, 46, 220, 28), (330, 46, 220, 28)])
    card = (words["4111"][0], words["4111"][1],
            words["1111"][0] + words["1111"][2] - words["4111"][0], words["4111"][3])
    # OCR lost the first two digits at the frame ("11 1111 1111 1111").
    grown = ink.grow(img, part(card, 0.1, 1.0))
    assert grown[0] <= card[0] and grown[0] + grown[2] >= card[0] + card[2]
    assert grown[0] + grown[2] <= 331  # not into the next field
    assert grown[1] + grown[3] <= 75  # the field's bottom border is no part of the text


def test_a_colour_change_ends_the_run(qapp):
    # A table row: a grey cell, then a yellow one holding the next value, 2 px apart.
    img, words = draw([(20, 60, "alice@example.org"), (212, 60, "bob@example.org")], px=16,
                      fills=[((10, 50, 200, 30), (230, 230, 230)),
                             ((210, 50, 200, 30), (250, 230, 140))])
    grown = ink.grow(img, part(words["alice@example.org"], 0.4, 0.6))
    assert inside(words["alice@example.org"], grown)
    assert grown[0] + grown[2] <= 212


def test_dark_theme_and_no_text(qapp):
    img, words = draw([(20, 40, "Token: sk-proj-Xy7Qp2Lm9Rt4Vw8Zk3Nb6 done")], px=14,
                      bg=(30, 30, 30), fg=(210, 210, 210))
    tok = words["sk-proj-Xy7Qp2Lm9Rt4Vw8Zk3Nb6"]
    assert inside(tok, ink.grow(img, part(tok, 0.1, 0.4)))
    blank = (400, 100, 50, 20)
    assert ink.grow(img, blank) == blank  # nothing there: unchanged
    assert ink.snap(img, blank) is None


def test_snap_fits_a_hand_drawn_box_to_the_lines_it_covers(qapp):
    img, words = draw([(20, 30, "Name: Ada Lovelace"), (20, 60, "IBAN: DE89 3704 0044 0532 0130 00"),
                       (20, 90, "Saved")], px=16)
    # A box over the middle of the IBAN line, a little of the lines above and below.
    iban = words["DE89"]
    rough = (iban[0] + 10, iban[1] - 6, 120, iban[3] + 12)
    snapped = ink.snap(img, rough)
    assert snapped is not None
    assert inside(words["DE89"], snapped) and inside(words["3704"], snapped)
    assert not overlaps(words["Lovelace"], snapped) and not overlaps(words["Saved"], snapped)


def test_value_ink_of_a_short_box_shows_the_rest_of_the_value(qapp):
    img, words = draw([(20, 40, "Card 4111111111111111 expires")], px=18)
    card = words["4111111111111111"]
    runs = ink.value_ink(img, part(card, 0.0, 0.8))
    assert len(runs) == 1
    x, y, w, h = runs[0].rect
    assert x <= card[0] + 1 and x + w >= card[0] + card[2] - 1
    assert not overlaps(words["expires"], runs[0].rect)


def test_an_ocr_box_reaching_into_the_next_line_keeps_its_own_line(qapp):
    # A terminal at 12 px, lines close together: OCR's box of a token reaches into the top
    # of the next line.  The token's line (not two lines' height) sets the space, so the
    # box does not spread over the words before it.
    img, words = draw([(10, 20, "curl -H Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"),
                       (10, 34, "ERROR: permission denied while opening the log file")],
                      px=12, family="DejaVu Sans Mono")
    token = words["eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"]
    x, y, w, h = token
    tall = (x, y - 2, w, words["ERROR:"][1] + 4 - (y - 2))  # down into the next line
    got = ink.grow(img, tall)
    assert inside(token, got)
    assert not overlaps(words["Bearer"], got)


def test_the_next_line_reaching_into_a_line_does_not_join_its_words():
    # Tightly set lines (a terminal at 12 px drawn without spacing, after H.264): the band
    # of a line, stretched over its glyph tails, takes in the tops of the next line's tall
    # glyphs, right under its word spaces.  Its own tails and underscores stay its own.
    band = np.zeros((16, 120), bool)
    for x0 in (0, 40, 80):  # three words of four 5 px glyphs, 2 px apart
        for c in range(4):
            band[0:11, x0 + c * 7:x0 + c * 7 + 5] = True
    band[11:13, 7:12] = True  # a descender of the first word (below its core rows)
    band[12, 47:52] = True  # an underscore under the second word, on its own
    band[13:16, 28:40] = band[13:16, 68:80] = True  # the next line's glyphs, under the spaces
    ink_rows = np.zeros((20, 120), bool)
    ink_rows[:16] = band
    ink_rows[16:20, 28:40] = ink_rows[16:20, 68:80] = True  # ...which go on below the band
    line = ink.Line(top=10, bottom=26, background=255, threshold=40, space=6.0, x0=0, x1=120,
                    ink_top=10, ink=ink_rows, walls=np.zeros(120, bool), core_top=10,
                    core_bottom=21)
    assert ink._runs(line) == [(0, 26), (40, 66), (80, 106)]



@pytest.mark.parametrize("px", [12, 13])
def test_a_line_whose_letters_touch_ends_runs_at_its_narrow_spaces(qapp, px):
    # Small serif text, light on dark and antialiased: its letters touch and only its
    # word spaces show, narrower than the share of the height a space has in other text.
    # A box over part of the address grows over the address only, not the sentence.
    img, words = draw([(10, 40, "Then you can reach me on ivan_nguyen55@example.com until "
                                "Friday at the desk")],
                      px=px, family="C059", bg=(0, 43, 54), fg=(147, 161, 161))
    x, y, w, h = words["ivan_nguyen55@example.com"]
    got = ink.grow(img, (x + w // 3, y, w - w // 3, h))
    assert inside((x, y, w, h), got)
    assert not overlaps(words["on"], got)
    assert not overlaps(words["until"], got)


@pytest.mark.parametrize("px", [12, 13])
def test_the_next_and_previous_lines_glyphs_are_no_tails_of_a_line(qapp, px):
    # A terminal at 12-13 px, lines 14 px apart: the line above's descenders and the line
    # below's capitals reach into where a line's glyph tails are looked for.  A box grown
    # on the middle line covers it and stays off both.
    img, words = draw([(10, 20, "[DEBUG] peer [J8Yp4THThgFGIPLGmmASuSyPugNefMcS3ekhoy3T]"),
                       (10, 34, "user=gho_rlXHcAHFpGRGeP4Uf status=ok"),
                       (10, 48, "GET /health 200 OK")], px=px, family="DejaVu Sans Mono")
    value = words["user=gho_rlXHcAHFpGRGeP4Uf"]
    got = ink.grow(img, value)
    assert inside(value, got)
    assert got[1] + got[3] <= min(words[k][1] for k in ("GET", "/health", "200", "OK"))
    assert got[1] >= max(words[k][1] + words[k][3] for k in ("[DEBUG]", "peer"))


@pytest.mark.parametrize("px", [14, 15, 16])
def test_courier_like_monospace_pitch_is_found_and_colons_do_not_end_an_address(qapp, px):
    """A monospaced font whose digits are short for its pitch (Nimbus Mono, Courier: the
    pitch is about the digits' height): the pitch is found above 0.95 of the ink height, so
    "::" and ":6" inside an IPv6 address are letter gaps, not spaces (before, a box grown
    from its start stopped at a colon)."""
    img, words = draw([(20, 40, "wlan0 UP 10.218.51.216/24 2001:db8:cd41:4f4d:b004::6cc9/64 up"),
                       (20, 90, "wlan1 UP 2001:0db8:b1f9:283f:578a:d0dc:6de1:b5b1/64")],
                      px=px, family="Nimbus Mono PS")
    for value in ("2001:db8:cd41:4f4d:b004::6cc9/64",
                  "2001:0db8:b1f9:283f:578a:d0dc:6de1:b5b1/64"):
        box = words[value]
        grown = ink.grow(img, part(box, 0.0, 0.4))
        assert inside(box, grown), (px, value)
    grown = ink.grow(img, part(words["2001:db8:cd41:4f4d:b004::6cc9/64"], 0.0, 0.4))
    assert not overlaps(words["10.218.51.216/24"], grown) and not overlaps(words["up"], grown)
