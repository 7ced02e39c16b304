"""The OCR leak scan of a rendered recording: the same OCR and detectors over the output,
every redacted string looked for, the allow-list, and failing closed without Tesseract.

Real Tesseract on a real (small) render: a bundle whose frames are text drawn with Qt,
encoded with the recorder's encoder; the edits go through EditSession like the editor's."""

from __future__ import annotations

import json
import os

import pytest

from annotator.edits import EditSession
from annotator.media import leakcheck
from annotator.redaction import leakscan
from annotator.redaction.leakscan import REDACTED, find_strings, fold, wanted_strings
from annotator.redaction.ocr import Word, find_tesseract
from annotator.submission.render import plan_from_edits, render_for_submission
from tests.conftest import run_annotator

from .helpers import render, write_bundle

EMAIL = "jane.doe@example.com"
TOKEN = "ghp_R8x2Kq7LmZ4vT9wYb3Nc6Pd1Hs5Jf0Ga2Ue8"
TITLE = "Project Bluebird roadmap"
W, H = 800, 240


def _frames(qapp):
    """Three states of a screen: a title line, a contact line, a token line; the last one
    adds a harmless status line."""
    base = [(30, 20, TITLE, 22), (30, 80, "Contact: " + EMAIL, 18),
            (30, 130, "Token: " + TOKEN, 16)]
    f0, placed = render((W, H), base)
    f1, _ = render((W, H), base + [(30, 190, "Saved 2 minutes ago", 16)])
    f2, _ = render((W, H), base + [(30, 190, "Saved 3 minutes ago", 16)])
    return [(100_000, f0), (700_000, f1), (1_300_000, f2)], {p.text: p.box for p in placed}


@pytest.fixture
def bundle(qapp, tmp_path):
    frames, boxes = _frames(qapp)
    folder = write_bundle(tmp_path / "rec", frames, duration_us=1_800_000)
    return folder, boxes


def _pad(box, px=6):
    x, y, w, h = box
    return [x - px, y - px, w + 2 * px, h + 2 * px]


# -- matching (no OCR) -----------------------------------------------------------------------
def _line(*texts, y=10):
    out, x = [], 0
    for t in texts:
        out.append(Word(t, x, y, 10 * len(t), 14, 90.0, 1, 1, 1))
        x += 10 * len(t) + 8
    return out


def test_redacted_strings_match_folded_substrings_and_short_ones_whole_words():
    wanted = wanted_strings(["Alice.Smith", "  Hunter2  Secret ", "42", "", "  "])
    assert [w.folded for w in wanted] == ["a11cesm1th", "hunter2secret", "42"]
    # Case, spacing, punctuation and l/I/1, o/O/0 confusions do not hide a string...
    for words in (_line("User:", "alice", "smith"), _line("ALICE.SMlTH"),
                  _line("x", "aIice,smith!")):
        hits = find_strings(words, wanted)
        assert [h[0].text for h in hits] == ["Alice.Smith"], words
    (hit,) = find_strings(_line("name:", "alice", "smith", "ok"), wanted)
    assert hit[1] == "alice smith" and hit[2] == (58, 10, 108, 14)  # the two words' box
    assert find_strings(_line("hunter2Secret;"), wanted)[0][0].text == "  Hunter2  Secret "
    # ...a short string matches only a whole word, never inside another one.
    assert [h[1] for h in find_strings(_line("PIN", "42"), wanted)] == ["42"]
    assert find_strings(_line("1427", "x42y", "Total:", "4.5"), wanted) == []
    assert find_strings(_line("alice", "smyth"), wanted) == []
    assert fold("O0 o0 Il1| i") == "000011111"


def test_allow_entries_match_text_and_detector():
    item = leakscan.LeakItem("email", EMAIL, 0, 0, [0, 0, 1, 1])
    assert leakscan.allow_match(item, [{"id": "a", "text": "JANE.DOE@example.com ",
                                        "detector": "email"}]) == "a"
    assert leakscan.allow_match(item, [{"id": "b", "text": EMAIL, "detector": "*"}]) == "b"
    assert leakscan.allow_match(item, [{"text": EMAIL, "detector": "phone"}]) is None
    assert leakscan.allow_match(item, [{"text": "jane.doe@example.org"}]) is None
    assert leakscan.allow_match(item, [{"text": ""}]) is None
    d = item.to_dict()
    assert "text" not in d and EMAIL not in json.dumps(d) and d["length"] == len(EMAIL)
    assert item.to_dict(include_text=True)["text"] == EMAIL
    assert "e-mail address" in d["description"]


def test_allow_entries_are_undoable_edits(tmp_path, bundle):
    folder, _ = bundle
    with EditSession.open(folder, steps=[]) as s:
        s.allow_leak_item(EMAIL, "email")
        assert s.undo_text() == "Undo Accept as not sensitive"
        with pytest.raises(Exception, match="already accepted"):
            s.allow_leak_item("  JANE.DOE@example.com", "email")
        (entry,) = [r for r in s.edits.redactions if r["kind"] == "allow"]
        assert (entry["text"], entry["detector"]) == (EMAIL, "email")
        s.remove_allow(entry["id"])
        assert s.edits.redactions == []
        s.undo()
        s.allow_leak_item("Bluebird")  # any detector
    plan = plan_from_edits(folder)
    assert [(e["text"], e["detector"]) for e in plan.allow_list] == [(EMAIL, "email"),
                                                                     ("Bluebird", "*")]


# -- the scan on a real render ---------------------------------------------------------------
@pytest.mark.tesseract
def test_leak_check_catches_a_missed_secret_and_a_redacted_string(tmp_path, bundle):
    folder, boxes = bundle
    with EditSession.open(folder, steps=[]) as s:
        # The token is boxed; the e-mail is missed; the title is masked as a window title
        # (a redacted string) but not boxed on screen.
        s.add_box(_pad(boxes["Token: " + TOKEN]), 0, 1_800_000)
        s.mask_title(TITLE)
    out = tmp_path / "out" / "render.mp4"
    out.parent.mkdir()
    _, check, plan = render_for_submission(folder, out)
    assert plan.redacted_strings == [TITLE]
    assert not check.passed and check.status == leakcheck.FAILED
    # The box itself is fine: only the OCR scan fails.
    assert check.check("box_fill").status == leakcheck.PASSED
    ocr = check.check(leakscan.OCR_CHECK)
    assert ocr.status == leakcheck.FAILED, str(check)
    items = {(i.detector, fold(i.text)): i for i in ocr.failures}
    assert ("email", fold(EMAIL)) in items, [(i.detector, i.text) for i in ocr.failures]
    red = [i for i in ocr.failures if i.detector == REDACTED]
    assert red and fold(TITLE) in fold(red[0].text)
    assert not any(fold(TOKEN)[:12] in fold(i.text) for i in ocr.items)  # boxed: not read
    email = items[("email", fold(EMAIL))]
    ex, ey, ew, eh = boxes["Contact: " + EMAIL]
    bx, by, bw, bh = email.box
    assert ex <= bx + bw and bx <= ex + ew and ey - 4 <= by <= ey + eh  # where it is drawn
    assert email.time_us == 100_000 and email.frames >= 1  # black before the first grab
    # Only changed bands of the three states were read, not whole frames each time.
    d = ocr.details
    assert d["frames"] == 4 and d["ocr_px"] < 3 * d["frame_px"]
    # What can travel holds no secret; what the contributor sees does, with a sentence.
    public = json.dumps(check.to_dict())
    assert EMAIL not in public and "Bluebird" not in public
    ui = check.ui_items()
    assert all(i["blocking"] and i["acceptable"] and i["description"] for i in ui)
    assert {i["text"] for i in ui} >= {email.text}
    assert any("text you redacted" in i["description"] for i in ui)

    # The contributor accepts the e-mail from the command line and boxes the title: passes.
    with EditSession.open(folder, steps=[]) as s:
        s.add_box(_pad(boxes[TITLE]), 0, 1_800_000)
    env = dict(os.environ, ANNOTATOR_HOME=str(tmp_path / "ws"))
    res = run_annotator(["render", str(folder), "--out", str(out), "--accept", email.text],
                        env, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "accepted as not sensitive" in res.stdout and "leak check passed" in res.stdout
    _, again, plan = render_for_submission(folder, out)
    assert again.passed, str(again)
    (allowed,) = [i for i in again.items if i.detector == "email"]
    assert allowed.allowed and allowed.allow_id == plan.allow_list[0]["id"]
    assert again.ui_items()[0]["blocking"] is False


@pytest.mark.tesseract
def test_cli_lists_the_items_and_exits_non_zero(tmp_path, bundle):
    folder, boxes = bundle
    with EditSession.open(folder, steps=[]) as s:
        s.add_box(_pad(boxes["Token: " + TOKEN]), 0, 1_800_000)
        s.add_box(_pad(boxes[TITLE]), 0, 1_800_000)
    env = dict(os.environ, ANNOTATOR_HOME=str(tmp_path / "ws"))
    res = run_annotator(["render", str(folder), "--out", str(tmp_path / "o.mp4")], env,
                        timeout=300)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "block the submission" in res.stdout and "[email]" in res.stdout
    assert EMAIL in res.stdout and "--accept TEXT" in res.stdout
    res = run_annotator(["render", str(folder), "--out", str(tmp_path / "o.mp4"), "--json"],
                        env, timeout=300)
    assert res.returncode == 1
    report = json.loads(res.stdout)
    assert report["leak_check"]["status"] == "failed"
    assert [i["detector"] for i in report["items"] if i["blocking"]] == ["email"]


def test_without_tesseract_manual_redaction_works_and_the_check_fails_closed(
        tmp_path, bundle, monkeypatch):
    folder, boxes = bundle
    with EditSession.open(folder, steps=[]) as s:
        s.add_box(_pad(boxes["Contact: " + EMAIL]), 0, 1_800_000)
    empty = tmp_path / "no-tessdata"  # Tesseract's language data not installed
    empty.mkdir()
    monkeypatch.setenv("TESSDATA_PREFIX", str(empty))
    try:
        with pytest.raises(Exception, match="apt-get install tesseract-ocr"):
            find_tesseract()
        result, check, _ = render_for_submission(folder, tmp_path / "o.mp4")
    finally:
        monkeypatch.undo()
    assert result.frames_encoded == 4  # the render itself needs no Tesseract
    assert check.check("box_fill").status == leakcheck.PASSED
    ocr = check.check(leakscan.OCR_CHECK)
    assert ocr.status == leakcheck.NOT_CHECKED
    assert "sudo apt install tesseract-ocr" in ocr.summary
    assert not check.passed and check.status == leakcheck.NOT_CHECKED
    (item,) = [i for i in check.ui_items() if i["blocking"]]
    assert not item["acceptable"] and "not installed" in item["description"]
    # The command line says the same and exits 1.
    env = dict(os.environ, ANNOTATOR_HOME=str(tmp_path / "ws"), TESSDATA_PREFIX=str(empty))
    res = run_annotator(["render", str(folder), "--out", str(tmp_path / "o.mp4")], env)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "not checked" in res.stdout and "sudo apt install tesseract-ocr" in res.stdout
