"""Text-like ink that the first OCR reading did not claim (annotator.redaction.unread_ink)."""

from __future__ import annotations

from annotator.redaction import ink, unread_ink
from annotator.redaction.ocr import Word

from .helpers import DARK, render


def _word(text: str, box: tuple[int, int, int, int], conf: float = 90.0) -> Word:
    x, y, w, h = box
    return Word(text, x, y, w, h, conf, 1, 1, 1)


def _lines(theme):
    img, placed = render((900, 200), [
        (20, 20, "Name: Alice Example (read)", 16),
        (20, 70, "aws_access_key_id: AKIAD7SMKXAH4XMK23CC", 15),
        (20, 120, "SSN: 738-86-4120", 17),
        (600, 170, "OK", 16),  # a short word: no run of its own
    ], theme)
    return ink.gray(img), placed


def _inside(inner, outer) -> bool:
    return (outer[0] <= inner[0] and outer[1] <= inner[1] and inner[0] + inner[2] <= outer[0]
            + outer[2] and inner[1] + inner[3] <= outer[1] + outer[3])


def test_runs_no_word_claims_are_read_again_and_claimed_ones_are_not(qapp) -> None:
    for theme in (None, DARK):
        gray, placed = _lines(theme) if theme else _lines(((255, 255, 255), (30, 30, 30)))
        read = [_word(placed[0].text, placed[0].box),
                # read, but with no confidence: it claims nothing
                _word(placed[2].text, placed[2].box, conf=5.0)]
        again = unread_ink.unclaimed(gray, read)
        assert len(again) == 2
        for p in placed[1:3]:
            assert sum(_inside(p.box, r) for r in again) == 1, p.text
        # A crop holds its line only: not the next line's glyphs.
        assert all(r[3] < 40 for r in again)


def test_a_reading_keeps_only_the_words_of_its_own_line() -> None:
    rect = (10, 100, 300, 24)
    words = [_word("key", (12, 104, 40, 15)), _word("tail", (12, 100, 40, 3)),
             _word("next", (12, 120, 40, 4))]
    assert [w.text for w in unread_ink.own_words(rect, words)] == ["key"]
