"""A value's box continued over the OCR words beside it made of the value's characters
(annotator.redaction.continued): gaps as wide as a space inside a value (a "1" with wide
side bearings, a group OCR misread) no longer end its box.  Text drawn with Qt at known
places; the OCR words are given as OCR read them on the benchmark's screens."""

from __future__ import annotations

import pytest

from annotator.redaction import continued
from annotator.redaction.ocr import Word
from annotator.redaction.screen_text import Hit

from .test_ink import draw, inside, overlaps


def word(text: str, box: tuple[int, int, int, int]) -> Word:
    x, y, w, h = box
    return Word(text, x, y, w, h, 80.0, 1, 1, 1)


def hit(kind: str, text: str, box: tuple[int, int, int, int]) -> Hit:
    x, y, w, h = box
    return Hit((x - 3, y - 3, w + 6, h + 6), kind, 0.9, text, "test", seed=box)


def spaced(parts: list[str], x: int, top: int, gap: int) -> list[tuple[int, int, str]]:
    """Parts drawn one after the other with ``gap`` px between their advances."""
    from PyQt6.QtGui import QFont, QFontMetrics

    f = QFont("URW Gothic")
    f.setPixelSize(21)
    fm = QFontMetrics(f)
    out = []
    for p in parts:
        out.append((x, top, p))
        x += fm.horizontalAdvance(p) + gap
    return out


@pytest.mark.parametrize(("parts", "ocr", "kind", "read"), [
    # An IPv6 address whose "1" OCR read as "|", its "8" as "&" (seed 8429).
    (["fe80::849b:9d", "1:b8c:678d"], ["fe80::849b:9d", "|:b&e:678d"], "ipv6",
     "fe80::849b:9d"),
    # An IBAN without spaces cut at a "1" (its bank code read as a word of its own).
    (["IE15BOFI", "11443159064371"], ["IETSBOFI]", "11443159064371"], "unread_value",
     "11443159064371"),
    # A phone number whose first group OCR read "<#44" for "<+44".
    (["<+44", "7700", "900250>"], ["<#44", "7700", "900250>"], "unread_value",
     "7700 900250"),
])
def test_a_value_cut_at_a_wide_gap_is_continued_over_its_other_words(qapp, parts, ocr, kind,
                                                                     read):
    img, boxes = draw(spaced(["Account:", *parts, "Server:", "status"], 20, 40, 8),
                      family="URW Gothic", px=21)
    words = [word(o, boxes[p]) for p, o in zip(parts, ocr, strict=True)]
    words += [word("Account:", boxes["Account:"]), word("Server:", boxes["Server:"]),
              word("status", boxes["status"])]
    found = [boxes[p] for p in parts if p in read or read in p]
    x0 = min(b[0] for b in found)
    x1 = max(b[0] + b[2] for b in found)
    y0 = min(b[1] for b in found)
    y1 = max(b[1] + b[3] for b in found)
    h = hit(kind, read, (x0, y0, x1 - x0, y1 - y0))
    out = continued.continue_hit(img[:, :, 0].copy(), h, words)
    for p in parts:
        assert inside(boxes[p], out.rect), p
    assert not overlaps(boxes["Account:"], out.rect)
    assert not overlaps(boxes["Server:"], out.rect)


@pytest.mark.parametrize("after", ["is", "Server:", "closed", "2024"])
def test_words_of_other_characters_or_past_a_column_gap_end_the_box(qapp, after):
    gap = 60 if after == "2024" else 8  # a number beyond a table's column gap
    img, boxes = draw(spaced(["fe80::849b:9d1:b8c:678d", after], 20, 40, gap),
                      family="URW Gothic", px=21)
    value = boxes["fe80::849b:9d1:b8c:678d"]
    words = [word("fe80::849b:9d1:b8c:678d", value), word(after, boxes[after])]
    out = continued.continue_hit(img[:, :, 0].copy(), hit("ipv6", "fe80::849b:9d1:b8c:678d",
                                                          value), words)
    assert not overlaps(boxes[after], out.rect)


def test_keys_and_emails_are_not_continued(qapp):
    img, boxes = draw(spaced(["jane.doe@example.com", "2024"], 20, 40, 6),
                      family="URW Gothic", px=21)
    words = [word("jane.doe@example.com", boxes["jane.doe@example.com"]),
             word("2024", boxes["2024"])]
    h = hit("email", "jane.doe@example.com", boxes["jane.doe@example.com"])
    assert continued.continue_hit(img[:, :, 0].copy(), h, words) is h


def _iban_case(qapp, parts, ocr, read_from, read_to, kind="unread_value", after=()):
    """An IBAN's groups drawn after "Account:" (and ``after``), OCR's words as ``ocr``,
    and a hit over parts[read_from:read_to]."""
    img, boxes = draw(spaced(["Account:", *parts, *after], 20, 40, 8), family="URW Gothic",
                      px=21)
    words = [word(o, boxes[p]) for p, o in zip(parts, ocr, strict=True)]
    words += [word(t, boxes[t]) for t in ("Account:", *after)]
    found = [boxes[p] for p in parts[read_from:read_to]]
    x0, x1 = min(b[0] for b in found), max(b[0] + b[2] for b in found)
    y0, y1 = min(b[1] for b in found), max(b[1] + b[3] for b in found)
    text = " ".join(ocr[read_from:read_to])
    return img, boxes, continued.continue_hit(img[:, :, 0].copy(),
                                              hit(kind, text, (x0, y0, x1 - x0, y1 - y0)),
                                              words)


@pytest.mark.parametrize(("ocr", "read_from", "read_to"), [
    # A group read with no digit ("NF6M" as "NF&M"): before, the box stopped before it and
    # the last two groups stayed readable (seed 4177).
    (["FR43", "0345", "5749", "583)", "MD28", "NF&M", "897"], 0, 5),
    # The country and bank read as "E45" and "BOF]": the box began at the digits (9371).
    (["E45", "BOF]", "8355", "8200", "1912", "08"], 2, 6),
])
def test_an_iban_is_continued_over_groups_shaped_like_its_own_without_digits(qapp, ocr,
                                                                             read_from,
                                                                             read_to):
    parts = (["FR43", "0345", "5749", "583J", "MD28", "NF6M", "897"] if len(ocr) == 7 else
             ["IE45", "BOFI", "8355", "8200", "1912", "08"])
    _img, boxes, out = _iban_case(qapp, parts, ocr, read_from, read_to)
    for p in parts:
        assert inside(boxes[p], out.rect), p
    assert not overlaps(boxes["Account:"], out.rect)


@pytest.mark.parametrize(("kind", "parts", "after"), [
    # A whole IBAN (its country's length reached) is not continued over a currency.
    ("iban", ["FR76", "3000", "6000", "0112", "3456", "7890", "189"], ["EUR"]),
    # Nor is one for a value with no capitals (a card's groups).
    ("card", ["4111", "1111", "1111", "1111"], ["VISA"]),
])
def test_capitals_after_a_value_that_are_no_group_of_it_end_the_box(qapp, kind, parts, after):
    _img, boxes, out = _iban_case(qapp, parts, parts, 0, len(parts), kind=kind, after=after)
    assert inside(boxes[parts[-1]], out.rect)
    assert not overlaps(boxes[after[0]], out.rect)
