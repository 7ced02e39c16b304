"""The hard placements of planted values, for benchmarks/pii_recall.py: where a box that
starts where OCR's word starts leaves characters readable.

- ``fields``: input fields whose value sits flush against the field's left or right edge,
  right-aligned or centred, in fields barely taller than the text; and plain rows of
  "Label: value" with one space after the label.
- ``cells``: a table with a 1-pixel grid and 1-3 px of cell padding, left-, right- and
  centre-aligned columns, zebra rows and a selected row.
- ``term_small``: a terminal at 12-14 px with no spacing between lines: values glued to
  what is around them (``KEY=value``, ``"value",``, ``[value]``, ``<value>``, ``|value|``).
  A name glued to its value (``KEY=``) is not scored as a clean word: no box can cover the
  value's ink and leave it out.
"""

from __future__ import annotations

from pii_screens import (
    FORM_PII,
    STRUCTURED,
    Canvas,
    Content,
    H,
    P,
    W,
    menu_bar,
    sidebar,
    title_bar,
)

EDGE_PII = FORM_PII + ("aws_key", "github_token", "openai_key", "generic_secret")
ALIGNS = ("flush_left", "flush_right", "right", "centre", "left")


def _place(cv: Canvas, bx: float, bw: float, text_w: float, align: str) -> float:
    """The x where a text of width ``text_w`` starts in a box [bx, bx + bw]."""
    if align == "flush_left":
        return bx + 1  # the first glyph's ink touches the frame (its bearing only)
    if align == "flush_right":
        return bx + bw - 1 - text_w
    if align == "right":
        return bx + bw - 6 - text_w
    if align == "centre":
        return bx + (bw - text_w) / 2
    return bx + 6


def app_fields(cv: Canvas, content: Content, px: int) -> None:
    t, rng = cv.t, cv.rng
    y = title_bar(cv, rng.choice(["Edit contact - Address Book", "Payment details - Shop",
                                  "Account settings", "Vendor master data - ERP"]))
    y = menu_bar(cv, y, content.c.clean["menu"][:7])
    side = 220
    sidebar(cv, content, y, side, 13, 12)
    f = cv.font(px)
    lh = cv.line_height(f)
    x0 = side + 30
    col_w = (W - x0 - 40) // 2
    yy = y + 20
    # Fields barely taller than their text, values at the edges.
    field_h = lh + rng.choice([2, 4, 6])
    while yy + field_h + lh + 14 < H - 260:
        for col in range(2):
            cx = x0 + col * (col_w + 20)
            kind, val = content.pii(EDGE_PII)
            if cv.width(val, f) + 4 > col_w - 20:
                continue  # a value that would not fit its field
            label = content.label(kind)
            cv.text(cx, yy, label, f, t["muted"])
            bw = min(col_w - 20, cv.width(val, f) + rng.choice([2, 10, 40, 120]))
            by = yy + lh + 3
            cv.rect(cx, by, bw, field_h, t["input"], border=t["border"],
                    radius=rng.choice([0, 0, 3]))
            align = rng.choice(ALIGNS)
            tx = _place(cv, cx, bw, cv.width(val, f), align)
            cv.text(tx, by + (field_h - lh) / 2, [(val, "pii", kind)], f)
        yy += lh + field_h + 14
    # Plain rows: "Label: value", one space after the label.
    yy += 6
    while yy + lh < H - 20:
        cx = x0
        for _ in range(2):
            kind, val = content.pii(EDGE_PII)
            label = content.label(kind).rstrip("=: ")
            parts = [P(label + ": "), (val, "pii", kind)]
            if rng.random() < 0.3:
                nkind, neg = content.neg(["date", "order_number", "price"])
                parts += [P(" "), (neg, "negative", nkind)]
            if cx + sum(cv.width(p[0], f) for p in parts) > x0 + 2 * col_w:
                break
            cx = cv.text(cx, yy, parts, f) + 60
        yy += lh + 6


def app_cells(cv: Canvas, content: Content, px: int) -> None:
    t, rng = cv.t, cv.rng
    y = title_bar(cv, rng.choice(["contacts.csv - Table", "Payments - Grid view",
                                  "hosts - Inventory"]))
    y = menu_bar(cv, y, ["File", "Edit", "View", "Data", "Help"])
    f = cv.font(px)
    fb = cv.font(px, bold=True)
    lh = cv.line_height(f)
    pad = rng.choice([1, 2, 3])
    rh = lh + 2 * pad + 1
    kinds = rng.sample(list(EDGE_PII), 4)
    cols = [(content.label(k).rstrip("=: "), k, rng.choice(["left", "right", "centre"]))
            for k in kinds]
    rows = (H - y - 40) // rh - 1
    data = [[content.pii([k])[1] for _, k, _ in cols] for _ in range(rows)]
    widths = [max([cv.width(c[0], fb)] + [cv.width(r[i], f) for r in data]) + 2 * pad + 1
              for i, c in enumerate(cols)]
    while sum(widths) + 20 > W and len(cols) > 1:
        cols.pop()
        widths.pop()
        data = [r[:len(cols)] for r in data]
    x_start = 10
    yy = y + 10
    for r in range(rows + 1):
        if yy + rh > H:
            break
        if r == 0:
            cv.rect(x_start, yy, sum(widths), rh, t["head"])
        elif r == 3:
            cv.rect(x_start, yy, sum(widths), rh, t["select"])
        elif r % 2 == 0:
            cv.rect(x_start, yy, sum(widths), rh, t["panel"])
        x = x_start
        for i, w in enumerate(widths):
            if r == 0:
                cv.text(x + pad + 1, yy + pad, cols[i][0], fb)
            else:
                val = data[r - 1][i]
                tx = x + 1 + {"left": pad, "right": w - 1 - pad - cv.width(val, f),
                              "centre": (w - 1 - cv.width(val, f)) / 2}[cols[i][2]]
                cv.text(tx, yy + pad + 1, [(val, "pii", cols[i][1])], f)
            x += w
        yy += rh
    # The grid over the cells, one pixel wide.
    x = x_start
    bottom = min(yy, H - 1)
    for w in [0] + widths:
        x += w
        cv.p.save()
        from PyQt6.QtGui import QColor, QPen

        cv.p.setPen(QPen(QColor(*t["border"]), 1))
        cv.p.drawLine(int(x), int(y + 10), int(x), int(bottom))
        cv.p.restore()
    for k in range(0, (bottom - y - 10) // rh + 1):
        cv.hline(x_start, x, y + 10 + k * rh, t["border"])


def app_term_small(cv: Canvas, content: Content, px: int) -> None:
    t, rng = cv.t, cv.rng
    px = rng.choice([12, 13, 14])
    cv.screen.px = px
    cv.rect(0, 0, W, H, t["term_bg"])
    y = title_bar(cv, rng.choice(["bash", "ssh prod-db-2", "tmux: 0:ops"]))
    f = cv.font(px, mono=True)
    lh = cv.line_height(f)  # no spacing between lines, as terminals draw them
    yy = y + 4
    fg = t["term_fg"]
    cw = cv.width("M", f)
    max_chars = (W - 24) // cw
    shapes = [
        lambda k, v: [P("export "), (f"{content.label(k).split()[0].rstrip('=:').upper()}=",
                                    "none", "glued"), (v, "pii", k)],
        lambda k, v: [P('  "' + k + '": "'), (v, "pii", k), P('",')],
        lambda k, v: [P("[" + rng.choice(["INFO", "WARN", "DEBUG"]) + "] peer ["),
                      (v, "pii", k), P("] closed")],
        lambda k, v: [P("From: Support <"), (v, "pii", k), P(">")],
        lambda k, v: [P("| "), (v, "pii", k), P(" |")],
        lambda k, v: [(rng.choice(["user", "owner", "host", "key"]) + "=", "none", "glued"),
                      (v, "pii", k), P(" status=ok")],
        lambda k, v: [P("curl -H 'Authorization: Bearer "), (v, "pii", k), P("'")],
    ]
    while yy + lh < H - 4:
        r = rng.random()
        if r < 0.55:
            kind, val = content.pii(STRUCTURED)
            parts = rng.choice(shapes)(kind, val)
        elif r < 0.75:
            kind, val = content.neg(["uuid", "date", "sha1", "version", "order_number"])
            parts = [P(rng.choice(["id=", "at ", "commit ", "v", "#"])), (val, "negative", kind)]
        else:
            parts = [P(content.clean("terminal"))]
        if sum(len(p[0]) for p in parts) <= max_chars:
            cv.text(12, yy, parts, f, fg)
        yy += lh


EDGE_APPS = {"fields": app_fields, "cells": app_cells, "term_small": app_term_small}
