"""Columns of values (annotator.redaction.value_columns): the cells of a table column that
the suggestions missed or covered in part, where the column's other cells hold one kind of
value; not a form's fields of many kinds, nor a column of few values.  Text drawn with Qt
at known places, no OCR."""

from __future__ import annotations

import pytest

from annotator.redaction import value_columns
from tests.redaction.helpers import covered, render

PX, PITCH, TOP = 14, 24, 40
NINOS = ["QQ 12 34 56 A", "AB123456C", "ZK 11 42 12 D", "RP 01 42 72 B", "YY468908B",
         "PL 78 76 31 C", "GK 86 81 07 B", "OT605189A"]


def _table(first: list[str], second: list[str]):
    items = [(40, TOP + i * PITCH, t, PX) for i, t in enumerate(first)]
    items += [(300, TOP + i * PITCH, t, PX) for i, t in enumerate(second)]
    items.append((40, TOP - PITCH, "National insurance", PX))
    return render((640, TOP + PITCH * (len(first) + 1)), items)


def _box(p, pad=3):
    x, y, w, h = p.box
    return [x - pad, y - pad, w + 2 * pad, h + 2 * pad]


def test_a_cell_missed_in_a_column_of_values_is_boxed_whole(qapp):
    img, placed = _table(NINOS, ["Active", "Closed", "Active", "Pending", "Active",
                                 "Closed", "Active", "Closed"])
    cells = placed[:len(NINOS)]
    missed = {3, 6}
    part = 1  # boxed in part: OCR read "123456C" and the box began there
    boxes = []
    for i, p in enumerate(cells):
        if i in missed:
            continue
        b = _box(p)
        if i == part:
            b = [b[0] + b[2] // 3, b[1], b[2] - b[2] // 3, b[3]]
        boxes.append((b, "national_id" if i % 3 else "unread_value"))
    got = value_columns.fill_columns(img, boxes, "unread_value")
    rects = [list(b) for b, _ in boxes] + [list(r) for r in got]
    for i in missed | {part}:
        assert covered(cells[i].box, rects) == pytest.approx(1.0), cells[i].text
    header, status = placed[-1], placed[len(NINOS):-1]
    assert covered(header.box, rects) == 0.0
    assert all(covered(s.box, rects) == 0.0 for s in status)


def test_a_forms_fields_of_many_kinds_are_no_column(qapp):
    values = ["jane@example.com", "+44 20 7946 0958", "Premium plan", "AB123456C",
              "North America", "10.20.30.40", "Finance", "4111 1111 1111 1111"]
    img, placed = _table(values, [""] * len(values))
    kinds = ["email", "phone", None, "national_id", None, "ipv4", None, "card"]
    boxes = [(_box(p), k) for p, k in zip(placed, kinds, strict=False) if k]
    assert value_columns.fill_columns(img, boxes, "unread_value") == []


def test_a_column_with_few_values_is_left_alone(qapp):
    values = ["Active", "AB123456C", "Closed", "Pending", "Active", "ZK114212D",
              "Closed", "Active"]
    img, placed = _table(values, [""] * len(values))
    boxes = [(_box(placed[i]), "national_id") for i in (1, 5)]
    boxes.append((_box(placed[7]), "unread_value"))
    assert value_columns.fill_columns(img, boxes, "unread_value") == []
