"""Table cells that OCR reads across their border (annotator.redaction.columns)."""

from __future__ import annotations

from annotator.redaction.detect import Detector
from annotator.redaction.ocr import Word
from annotator.redaction.screen_text import analyze_words, table_columns


def _row(y: int, cells: list[tuple[int, str]]) -> list[Word]:
    """Words at (x, text), 10 px a character, on line ``y``."""
    return [Word(t, x, y, 10 * len(t), 16, 90.0, y, 1, 1) for x, t in cells]


def _table() -> list[Word]:
    # IBANs right-aligned, ending a space before the SSN column at x=520; OCR read two
    # rows across the border: one as one word with a separator for the gap, one as a
    # plain space.
    return (_row(10, [(20, "Name"), (290, "DE89370400440532013000"), (520, "700-32-0467")])
            + _row(40, [(20, "Lee"), (240, "FR7630006000011234567890189/514-73-2410")])
            + _row(70, [(20, "Ana"), (300, "GB29NWBK60161331926819"), (520, "677-91-3827")])
            + _row(100, [(20, "Bo"), (330, "NL91ABNA0417164300"), (520, "507-53-5396")])
            + _row(130, [(20, "Kim"), (270, "ES9121000418450200051332"), (520, "832-35-0021")]))


def test_cells_read_across_their_border_are_told_apart() -> None:
    words = _table()
    assert any(abs(x - 520) <= 2 for x in table_columns(words))
    hits, _ = analyze_words(words, Detector(), pad=0)
    by_kind = sorted((h.kind, h.text) for h in hits)
    # The IBAN and the SSN of the glued row are found apart, each with its own box.
    assert ("iban", "FR7630006000011234567890189") in by_kind
    assert ("national_id", "514-73-2410") in by_kind
    ssn = next(h for h in hits if h.text == "514-73-2410")
    assert ssn.rect[0] >= 518
    # A word that starts the column starts a cell: no value runs from one into the next.
    assert not any("507" in t and t != "507-53-5396" for _, t in by_kind)


def test_prose_words_that_line_up_by_chance_are_no_column() -> None:
    # Four lines of prose with a phone number's second group at x=178 by chance; more
    # lines run a word across that x.
    a = [_row(10, [(20, "call"), (66, "me"), (92, "+1 (702)"), (178, "555-0192")]),
         _row(30, [(20, "phone:"), (86, "+1 (702)"), (178, "555-0192")]),
         _row(50, [(20, "or"), (46, "ring"), (90, "+1 (702)"), (178, "555-0192")]),
         _row(70, [(20, "dial"), (66, "us"), (88, "+1 (702)"), (178, "555-0192")])]
    b = [_row(90 + 20 * i, [(20, "unremarkably"), (146, "wordy-prose"), (262, "+1 (702)"),
                            (348, "555-0192")]) for i in range(6)]
    words = [w for ln in a + b for w in ln]
    assert not any(abs(x - 178) <= 2 for x in table_columns(words))
    assert len([h for h in analyze_words(words, Detector(), pad=0)[0]
                if h.kind == "phone"]) == 10


def test_the_second_group_of_values_in_one_column_is_no_column() -> None:
    # Phone numbers left-aligned in a column: every second group starts at one x.
    words: list[Word] = []
    for i, number in enumerate(["+44 7700 900250", "+61 2 3965 5023", "+81 3-3789-0583",
                                "+49 30 8580337", "+44 20 7946 0347"]):
        cells = [(20, "Phone")]
        x = 300
        for group in number.split():
            cells.append((x, group))
            x += 10 * len(group) + 8
        words += _row(10 + 30 * i, cells)
    assert not any(abs(x - 338) <= 2 for x in table_columns(words))
    assert len([h for h in analyze_words(words, Detector(), pad=0)[0]
                if h.kind == "phone"]) == 5
