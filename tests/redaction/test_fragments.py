"""The fragment leak check (annotator.redaction.fragments): any ink of what a box hides that
is readable next to it fails the check, named (box, side, time, place, OCR's reading); a
box grown over its text passes; neighbouring words and lines the fill's padding reaches are
no fragments; accepting a fragment (by box and side) or growing the box clears it, from the
command line too.  Real renders of small bundles; OCR only names what was found."""

from __future__ import annotations

import json
import os

import pytest

from annotator.edits import EditSession
from annotator.media import leakcheck
from annotator.media.render import render_video
from annotator.redaction import fragments, ink
from tests.conftest import run_annotator

from .helpers import render, write_bundle

W, H = 800, 200
LINE = "Contact: jane.doe@example.com until Friday"
EMAIL = "jane.doe@example.com"
END_US = 1_500_000


@pytest.fixture(scope="module")
def screens(qapp):
    """Two states: the e-mail, then the same line with more typed after the address (the
    value grew); a terminal-like block of tight lines below."""
    lines = [(30, 120 + 15 * i, f"dev@host:~$ echo line {i} with some words", 13)
             for i in range(4)]
    a, placed = render((W, H), [(30, 40, LINE, 18)] + lines, family="DejaVu Sans")
    b, _ = render((W, H), [(30, 40, LINE.replace(".com", ".com.au"), 18)] + lines)
    return a, b, placed


@pytest.fixture
def bundle(screens, tmp_path):
    a, b, _ = screens
    return write_bundle(tmp_path / "rec", [(100_000, a), (800_000, b)], duration_us=END_US)


def email_box(img) -> tuple[int, int, int, int]:
    """The e-mail's box as a suggestion makes it: a seed in the middle, grown."""
    g = ink.gray(img)
    line = ink.lines_in(g, (120, 38, 200, 26))[0]
    runs = ink.runs_touching(g, line, 150, 160)[1]
    (a, b), = runs
    return ink.grow(img, (a + 20, line.top, b - a - 40, line.height))


def check(folder, tmp_path, boxes, allow=(), name="out"):
    out = tmp_path / f"{name}.mp4"
    render_video(folder, out, [(0, END_US)], boxes)
    return leakcheck.check_render(
        out, folder, [(0, END_US)], boxes, checks=["box_fill"],
        extra_checks={fragments.FRAGMENT_CHECK: fragments.check_fragments},
        allow_list=list(allow), options={"box_ids": [b.get("id") for b in boxes]})


def box(rect, t0=0, t1=END_US, rid="r-1"):
    return {"rect": list(rect), "t_start_us": t0, "t_end_us": t1, "label": "email", "id": rid}


def test_a_grown_box_passes_and_one_two_characters_short_fails_named(screens, bundle,
                                                                      tmp_path):
    a, _, _ = screens
    grown = email_box(a)
    res = check(bundle, tmp_path, [box(grown, 0, 700_000)], name="grown")
    assert res.check(fragments.FRAGMENT_CHECK).status == leakcheck.PASSED, str(res)
    # Two characters shorter ("om" of ".com" left out).
    x, y, w, h = grown
    short = (x, y, w - 2 * 11, h)
    res = check(bundle, tmp_path, [box(short, 0, 700_000, "r-abc")], name="short")
    frag = res.check(fragments.FRAGMENT_CHECK)
    assert frag.status == leakcheck.FAILED and not res.passed
    (item,) = frag.failures
    assert (item.side, item.box_id, item.key) == ("right", "r-abc", "r-abc:right")
    assert item.time_us == 100_000 and item.source_time_us == 100_000
    px, py, pw, ph = item.place
    assert x + w - 2 * 11 <= px + pw and px <= x + w and y <= py <= y + h  # the cut-off part
    assert "right edge" in item.description and "0:00.10" in item.description
    d = item.to_dict()
    assert d["check"] == "fragments" and "text" not in d
    assert item.text  # OCR named something (best effort; not what decides)


def test_accepting_a_fragment_by_box_and_side(screens, bundle, tmp_path):
    a, _, _ = screens
    x, y, w, h = email_box(a)
    short = box((x, y, w - 22, h), 0, 700_000, "r-abc")
    res = check(bundle, tmp_path, [short],
                allow=[{"id": "r-ok", "text": "r-abc:right", "detector": "fragment"}])
    frag = res.check(fragments.FRAGMENT_CHECK)
    assert frag.status == leakcheck.PASSED and frag.items[0].allowed
    assert frag.items[0].allow_id == "r-ok"
    # Another side or another box is not accepted by it.
    res = check(bundle, tmp_path, [short],
                allow=[{"id": "r-no", "text": "r-abc:left", "detector": "fragment"},
                       {"id": "r-no2", "text": "r-abc:right", "detector": "email"}])
    assert res.check(fragments.FRAGMENT_CHECK).status == leakcheck.FAILED


def test_a_value_that_grew_past_its_box_is_found_when_it_grew(screens, bundle, tmp_path):
    a, _, _ = screens
    res = check(bundle, tmp_path, [box(email_box(a))])  # sized on the first state
    (item,) = res.check(fragments.FRAGMENT_CHECK).failures
    assert item.side == "right" and item.time_us == 800_000


def test_cut_lines_and_neighbouring_words_are_not_fragments(screens, bundle, tmp_path):
    a, _, placed = screens
    g = ink.gray(a)
    # A box over the middle line of the tight terminal block: the fill (padded 4 px and
    # aligned to 8) cuts the lines above and below; their words are not what it hides.
    tline = ink.lines_in(g, (30, 150, 300, 12))[0]
    rect = ink.grow(a, (30, tline.top, 300, tline.height))
    res = check(bundle, tmp_path, [box(rect, 0, 700_000)])
    assert res.check(fragments.FRAGMENT_CHECK).status == leakcheck.PASSED, str(res)
    # A box over the lower half of the e-mail's line: its glyphs are cut at the top.
    x, y, w, h = email_box(a)
    res = check(bundle, tmp_path, [box((x, y + h // 2 + 2, w, h // 2), 0, 700_000)])
    sides = {i.side for i in res.check(fragments.FRAGMENT_CHECK).failures}
    assert "top" in sides


def test_the_output_alone_flags_ink_next_to_a_fill(qapp):
    # Without the recording (a package checked again later): ink within a space of the
    # fill's left or right edge is a possible fragment.
    img, (placed,) = render((W, H), [(200, 60, EMAIL, 18)])
    g = ink.gray(img).copy()
    x, y, w, h = ink.grow(img, placed.box)
    x0, y0, x1, y1 = x - 4, y - 4, x + w + 4, y + h + 4
    g[y0:y1, x0:x1] = 0
    assert fragments.output_fragments(g, (x0, y0, x1, y1)) == []
    cut = x1 - 24  # the fill two characters short: ink right at its edge
    g2 = ink.gray(img).copy()
    g2[y0:y1, x0:cut] = 0
    (side, place, pixels), = fragments.output_fragments(g2, (x0, y0, cut, y1))
    assert side == "right" and place[0] < cut + 8 and pixels > 20


@pytest.mark.tesseract
def test_the_command_line_names_grows_and_accepts(screens, tmp_path):
    a, _, _ = screens
    bundle = write_bundle(tmp_path / "one", [(100_000, a)], duration_us=END_US)
    x, y, w, h = email_box(a)
    with EditSession.open(bundle, steps=[]) as s:
        s.add_box([x, y, w - 22, h], 0, END_US)
        rid = s.edits.redactions[0]["id"]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    ws = ["--workspace", str(tmp_path / "ws")]
    out = tmp_path / "r.mp4"
    got = run_annotator([*ws, "render", str(bundle), "--out", str(out), "--json"], env,
                        timeout=300)
    assert got.returncode == 1, got.stderr
    items = [i for i in json.loads(got.stdout)["items"] if i["check"] == "fragments"]
    assert [(i["key"], i["blocking"]) for i in items] == [(f"{rid}:right", True)]
    # Grown over its text: one undoable edit; the check then passes.
    got = run_annotator([*ws, "redact", str(bundle), "--grow", rid], env, timeout=300)
    assert got.returncode == 0 and f"Grew {rid}" in got.stdout, got.stdout + got.stderr
    with EditSession.open(bundle, steps=[]) as s:
        assert s.undo_text() == "Undo Grow redaction to its text"
        new = s.edits.redactions[0]["rect"]
        assert new[0] + new[2] >= x + w - 2
        s.undo()  # back to the short box
    got = run_annotator([*ws, "render", str(bundle), "--out", str(out), "--accept",
                         f"{rid}:right"], env, timeout=300)
    assert got.returncode == 0, got.stdout + got.stderr
    assert f"Accepted '{rid}:right' as not sensitive (detector fragment)" in got.stdout
    assert "1 item(s) accepted as not sensitive" in got.stdout
