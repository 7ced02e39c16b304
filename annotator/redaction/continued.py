"""A value's box continued over the words beside it that are made of the value's characters.

The ink says where a run of text ends: a gap as wide as a space.  Some values show gaps that
wide inside them: a proportional font's "1" with wide side bearings ("IE15BOFI 1144...",
"9d 1:b8c"), a phone number's groups after OCR read its first group wrongly ("<#44" for
"<+44").  Those gaps end the box while the value goes on.

So a box whose kind has an alphabet (an IPv6 address's hex digits and colons, an IBAN's
capitals and digits, a phone number's or an id number's digits, a value no detector could
name made of those) is continued over an OCR word on its line that begins (or ends) within
a word space of it (0.6 of the text height, or 1.3 characters: a monospaced space), when
every character of that word is one of the value's, a character OCR reads for one ("O" for
"0", "&" for "8") or a mark ("<", "[", "|"), and it holds a digit or a colon.  Where the
value's groups have capitals (an IBAN's "NF6M", "BOFI"), a word of capitals and marks
alone continues it too when its ink is shaped like one more group: as tall as the value's
characters and at their height, as wide a character, no longer than the value's longest
group ("NF&M", "BOF]"; OCR's word need not hold a digit).  An IBAN whose country is read
is not continued past its country's length.  Words of other characters ("Server:",
"closed", "is") end it; so does a gap as wide as a table's columns.  Keys, e-mail addresses
and URLs are not continued: any word is made of their characters.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from annotator.redaction import ink
from annotator.redaction.ocr import Word
from annotator.redaction.validators import IBAN_LENGTHS

if TYPE_CHECKING:
    from annotator.redaction.screen_text import Hit

DIGITS = string.digits
HEX = DIGITS + "abcdefABCDEF"
UPPER = string.ascii_uppercase
# Letters and marks OCR reads for digits at screen sizes (0, 1, 2, 5, 6, 8, 9).
READ_FOR_DIGITS = "OoDQlIi|!ZzSsGbB&gq"
MARKS = "[](){}<>|!'\"`.,;"  # brackets, quotes and stops around or misread inside a value

GROUPED = 0.6  # of the text height (or 1.3 characters): a word space, under a column gap

_KINDS = {
    "ipv6": (HEX + ":." + READ_FOR_DIGITS, GROUPED),
    "iban": (UPPER + DIGITS + READ_FOR_DIGITS, GROUPED),
    "phone": (DIGITS + "+()-." + READ_FOR_DIGITS + "#", GROUPED),
    "national_id": (UPPER + DIGITS + "-" + READ_FOR_DIGITS, GROUPED),  # SSN, NI number
    "card": (DIGITS + "-" + READ_FOR_DIGITS, GROUPED),
}


def alphabet(kind: str, text: str) -> tuple[str, float] | None:
    """The characters of a value of ``kind`` (read as ``text``) and the widest gap (share of
    the text height) over which it is continued; None for kinds without one (e-mail
    addresses, URLs, names: their words are any words)."""
    if kind in _KINDS:
        return _KINDS[kind]
    if kind != "unread_value" or not text:
        return None
    dense = text.replace(" ", "")
    if dense.count(":") >= 3:
        return _KINDS["ipv6"]
    # The marks OCR reads beside a group ("M578:", "583)") are no characters of the value.
    dense = "".join(c for c in dense if c not in MARKS + ":;")
    if re.fullmatch(r"[A-Z0-9+()\-.]+", dense) and sum(c.isdigit() for c in dense) >= 4:
        return UPPER + DIGITS + "+#()-." + READ_FOR_DIGITS, GROUPED
    return None


def _made_of(text: str, chars: str, group: bool = False) -> bool:
    """Whether every character of a word is one of ``chars`` or a mark, and the word holds
    a digit or a colon (a letter OCR reads for a digit counts beside a real one only:
    "is" and "so" are words), or, where capitals are the value's, four capitals or more
    (an IBAN's country and bank: "IETSBOFI]"), or, when its ink is shaped like one more
    group of the value (``group``: ``_group_shaped``), two or more capitals with no lower
    case letter ("NF&M", "BOF]").  A word of marks alone (a glyph OCR could not read, "|"
    for "1") continues a value too."""
    if not all(c in chars or c in MARKS for c in text):
        return False
    core = text.strip(MARKS)
    caps = "A" in chars and sum(c.isupper() or c.isdigit() for c in core) >= 4
    grouped = ("A" in chars and group and sum(c.isupper() for c in core) >= 2
               and not any(c.islower() for c in core))
    return not core or any(c.isdigit() or c == ":" for c in core) or caps or grouped


def _group_shaped(w: Word, seed: tuple[int, int, int, int], text: str) -> bool:
    """Whether OCR word ``w`` is shaped like one more group of the value read as ``text``
    in ``seed``: its top and bottom within a quarter of the value's height of the value's,
    its width per character within 0.6-1.6 of the value's, and no more characters than
    the value's longest group."""
    groups = [g for g in text.split() if g.strip(MARKS)]
    core = w.text.strip(MARKS)
    if not groups or not core or len(core) > max(len(g) for g in groups):
        return False
    top, bottom = seed[1], seed[1] + seed[3]
    tol = 0.25 * max(1, bottom - top)
    if abs(w.y - top) > tol or abs(w.y + w.h - bottom) > tol:
        return False
    unit = seed[2] / max(1, len(text))
    return 0.6 * unit <= w.w / len(w.text) <= 1.6 * unit


def _iban_room(text: str) -> int | None:
    """How many characters an IBAN read as ``text`` (its country and check digits first)
    still lacks for its country's length; None when no country is read."""
    dense = "".join(c for c in text if c.isalnum())
    if not re.match(r"[A-Z]{2}[0-9OSIlZB]{2}", dense) or dense[:2] not in IBAN_LENGTHS:
        return None
    return IBAN_LENGTHS[dense[:2]] - len(dense)


def _on_line(w: Word, top: int, bottom: int) -> bool:
    overlap = min(w.y + w.h, bottom) - max(w.y, top)
    return overlap >= 0.5 * (bottom - top)


def continue_hit(g: np.ndarray, hit: Hit, words: Sequence[Word], off: tuple[int, int] = (0, 0)
                 ) -> Hit:
    """``hit`` with its box continued over the words beside it made of its value's
    characters (module docstring), each grown over its ink (``g``: the grey piece of the
    frame at ``off`` that holds the hit)."""
    rule = alphabet(hit.kind, hit.text)
    if rule is None:
        return hit
    chars, share = rule
    seed = hit.seed or hit.rect
    top, bottom = seed[1], seed[1] + seed[3]
    height = max(1, bottom - top)
    gap = share * height
    if share == GROUPED and hit.text:  # a monospaced space is a whole cell, near 1 height
        gap = max(gap, 1.3 * seed[2] / len(hit.text))
    pad = max(2, round(ink.PAD_OF_HEIGHT * height))  # the padding a grown box has
    x0, y0 = hit.rect[0], hit.rect[1]
    x1, y1 = x0 + hit.rect[2], y0 + hit.rect[3]
    line = [w for w in words if _on_line(w, top, bottom) and w.h <= 2.5 * height]
    taken: set[int] = set()
    ox, oy = off
    room = _iban_room(hit.text) if "A" in chars else None
    changed = True
    while changed:
        changed = False
        for i, w in enumerate(line):
            if i in taken or not _made_of(w.text, chars, _group_shaped(w, seed, hit.text)):
                continue
            right = w.x + w.w > x1 and w.x - (x1 - pad) <= gap
            left = w.x < x0 and (x0 + pad) - (w.x + w.w) <= gap
            if not (right or left) or (right and room is not None and room <= 0):
                continue
            if right and room is not None:
                room -= sum(c.isalnum() for c in w.text)
            taken.add(i)
            gx, gy, gw, gh = ink.grow(g, (w.x - ox, w.y - oy, w.w, w.h), (top - oy, bottom - oy))
            x0, y0 = min(x0, gx + ox), min(y0, gy + oy)
            x1, y1 = max(x1, gx + gw + ox), max(y1, gy + gh + oy)
            changed = True
    if not taken:
        return hit
    return replace(hit, rect=(x0, y0, x1 - x0, y1 - y0))


def continue_hits(hits: Sequence[Hit], words: Sequence[Word],
                  pieces: Sequence[tuple[np.ndarray, tuple[int, int]]]) -> list[Hit]:
    """Every hit continued (``continue_hit``) on the piece of the frame that holds it (an
    image and its offset: the frame, or a band that was read)."""
    grays = [(ink.gray(img), off) for img, off in pieces]
    out = []
    for h in hits:
        seed = h.seed or h.rect
        piece = next(((g, (ox, oy)) for g, (ox, oy) in grays
                      if oy <= seed[1] and seed[1] + seed[3] <= oy + g.shape[0]
                      and ox <= seed[0] and seed[0] + seed[2] <= ox + g.shape[1]), None)
        out.append(h if piece is None else continue_hit(piece[0], h, words, piece[1]))
    return out
