"""Drafts of the demo recording (an invoicing window, no accessibility: everything the
drafter says of a click is read off the screen by OCR), through the CLI a contributor would
use, and what later redactions change."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from annotator.cli.main import main
from annotator.drafts import RecordingDrafts, read_drafts
from annotator.edits import EditSession
from annotator.steps import load_or_derive
from annotator.submission.builder import checklist, failing

EXPECTED = [
    "Click the Customer field",
    'Type "Acme Corporation" into the Customer field',
    "Press Tab to move to the next field",
    "Type an e-mail address into the E-mail field",
    "Click the Notes field",
    'Type "Thanks for your business!" into the Notes field',
    'Scroll down in the "Invoice 2041 - Sample Books" window',
    'Scroll up in the "Invoice 2041 - Sample Books" window',
    None,  # a double click on a table row: its text depends on where the table was scrolled
    'Type "Consulting hours (Q3)"',
    "Press Enter",
    None,  # a right click on a row
    "Press Ctrl+S to save",
    'Click "Send"',
]


def label(args, capsys):
    code = main(["label", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_demo_is_drafted_offline_and_made_submittable_with_the_cli(demo, capsys):
    code, out, _ = label([demo, "--json"], capsys)
    assert code == 0
    doc = json.loads(out)
    rows = doc["steps"]
    assert len(rows) == len(EXPECTED)
    for row, want in zip(rows, EXPECTED, strict=True):
        assert row["origin"] == "drafted" and not row["weak"], row
        if want is not None:
            assert row["instruction"] == want
    assert rows[8]["instruction"].startswith('Double-click "')
    assert rows[11]["instruction"].startswith('Right-click "')
    assert rows[0]["target"]["name"] == "Customer" and rows[0]["target"]["box"]
    # nothing typed into the e-mail field is said
    assert "jane" not in out and "example.com" not in out
    assert not doc["ready"]
    assert any("only a drafted instruction" in c["text"] for c in doc["checklist"])
    stored = read_drafts(demo)
    assert len(stored) == len(EXPECTED)  # kept for the next opening

    # Before: 14 instructions typed from scratch.  After: one command (or Shift+A).
    code, out, _ = label([demo, "--accept-drafts", "--goal", "Bill Acme for consulting",
                          "--outcome", "success"], capsys)
    assert code == 0 and "14 draft(s) accepted" in out and "Ready to submit" in out
    assert not failing(checklist(demo))
    code, out, _ = label([demo, "--undo"], capsys)  # the last edit: accepting the drafts
    assert "undid Accept all drafts" in out and "0 of 14 step(s) labelled" in out
    code, out, _ = label([demo, "--accept", "1", "--write", "2", "Enter the customer"], capsys)
    code, out, _ = label([demo, "--show"], capsys)
    assert "[accepted] Click the Customer field" in out
    assert "[written] Enter the customer" in out
    # bad input: a clear error, exit status 2, nothing changed
    code, _, err = label([demo, "--accept", "99"], capsys)
    assert code == 2 and "no step '99'" in err


def test_a_later_redaction_redrafts_the_steps_it_concerns_and_flags_accepted_ones(demo):
    doc = load_or_derive(demo)
    with EditSession.open(demo, steps=doc.steps) as s:
        rd = RecordingDrafts.open(demo, edits=s.edits)
        rd.update_steps(s.result.all_steps)
        first = s.result.steps[0]
        # Only the steps this test looks at are drafted (OCR is the costly part): the first
        # click, and the keys and typing that need no OCR.
        rd.quick()
        rd.draft_one(first.id)
        s.set_drafts(rd.texts())
        assert rd.drafts[first.id].text == "Click the Customer field"
        s.accept_drafts()
        # The contributor redacts the "Customer" label (a box over it for the whole video).
        box = rd.drafts[first.id].quoted[0]["box"]
        s.add_box([box[0] - 2, box[1] - 2, box[2] + 4, box[3] + 4], 0, s.duration_us)
        changed = rd.update_redactions(s.edits.redactions)
        keys = {st.id for st in s.result.all_steps if st.type in ("key", "hotkey")}
        assert first.id in changed and keys and not keys & set(changed)
        rd.draft_one(first.id)
        d = rd.drafts[first.id]
        assert d.weak and "Customer" not in d.text
        rd.save()
        rd.close()
    items = failing(checklist(demo))
    assert any("Customer" in i.text and "redacted afterwards" in i.text for i in items)


@pytest.mark.parametrize("ocr", [False])
def test_without_ocr_clicks_get_honest_weak_drafts(demo, ocr):
    doc = load_or_derive(demo)
    with EditSession.open(demo, steps=doc.steps, lock=False) as s:
        rd = RecordingDrafts.open(demo, edits=s.edits, ocr=ocr)
        rd.update_steps(s.result.all_steps)
        drafts = rd.draft_all()
        rd.close()
    clicks = [st for st in s.result.steps if st.type in ("click", "double_click")]
    assert all(drafts[c.id].weak for c in clicks)
    assert drafts[clicks[0].id].text == \
        'Click the unlabelled control at the top of the "Invoice 2041 - Sample Books" window'


def test_warming_up_loads_the_engine_the_drafter_reads_with():
    """The warm-up must leave an engine loaded (it once read a bar that the clean-up took
    for a rule: a blank image, which OCR skips without loading anything)."""
    import annotator.redaction.ocr as ocr
    from annotator.drafts.drafter import Drafter, read_options
    from annotator.drafts.frames import ArrayFrames
    from annotator.drafts.privacy import Guard

    drafter = Drafter(Guard([]), ArrayFrames({}))
    key = ocr._config(read_options(drafter.options), ocr.find_tesseract())
    with ocr._POOL_LOCK:
        ocr._POOL.pop(key, None)
    drafter.warm_up()
    assert drafter.ocr and ocr._POOL.get(key)


def _drafts_from(proc, want: int, timeout: float = 120.0) -> dict:
    """The drafts the drafting process sends until it has sent ``want`` of them."""
    import time

    from annotator.drafts import Draft

    got: dict = {}
    end = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < end:
        msg = proc.receive(0.5)
        if msg is not None and msg[0] == "drafted":
            d = Draft.from_dict(msg[1]["draft"])
            got[d.step_id] = d
    return got


def test_the_drafting_process_drafts_as_the_cli_does_at_the_lowest_priority(demo, tmp_path):
    """The editor drafts in a process of its own (it must not share the frame cache's
    interpreter or compete with it for a CPU): the same drafts as in-process drafting, sent
    back as plain data and taken in by their key; scheduled SCHED_IDLE; it waits for the
    frame cache's files rather than decode video while the cache is built, and drafts the
    rows asked for first as their frames are written."""
    import shutil

    from annotator.drafts.worker import DraftProcess
    from annotator.media.framecache import build_frame_cache, cached

    doc = load_or_derive(demo)
    other = tmp_path / "same"
    shutil.copytree(demo, other)
    with EditSession.open(demo, steps=doc.steps, lock=False) as s:
        rd = RecordingDrafts.open(demo, edits=s.edits)
        rd.update_steps(s.result.all_steps)
        rd.quick()
        need = rd.missing()
        assert need and not any(cached(demo, int(st.obs_pts)) for st in doc.steps)
        proc = DraftProcess()
        try:
            assert proc.priority == "idle"
            sched = Path(f"/proc/{proc.process.pid}/sched").read_text()
            assert re.search(r"^policy\s+:\s+5$", sched, re.M)  # SCHED_IDLE
            proc.open(demo, rd.redactions, rd.deny_list, rd.inputs)
            proc.order(need[:2])
            assert not _drafts_from(proc, 1, timeout=3)  # no frame cached: it waits
            build_frame_cache(demo, demo / "video.mp4", [int(st.obs_pts) for st in doc.steps])
            first = _drafts_from(proc, 2)  # polled for: no message from the editor needed
            assert set(first) >= set(need[:2])
            proc.frames(complete=True)
            got = {**first, **_drafts_from(proc, len(need) - len(first))}
            assert set(got) == set(need)
            assert all(rd.accept(d) for d in got.values())
        finally:
            proc.close()
        assert proc.process.returncode == 0  # it stopped when asked, saving its drafts
        assert set(read_drafts(demo)) >= set(need)
        texts = [rd.drafts[st.id].text for st in s.result.all_steps]
    # The same as the core drafts in-process (``annotator label``), on a copy
    with EditSession.open(other, steps=doc.steps, lock=False) as s2:
        here = RecordingDrafts.open(other, edits=s2.edits)
        here.update_steps(s2.result.all_steps)
        made = here.draft_all()
        assert [made[st.id].text for st in s2.result.all_steps] == texts
        here.close()
    for got_text, want in zip(texts, EXPECTED, strict=True):
        if want is not None:
            assert got_text == want


def test_a_draft_made_from_old_steps_or_redactions_is_refused(demo):
    doc = load_or_derive(demo)
    with EditSession.open(demo, steps=doc.steps, lock=False) as s:
        rd = RecordingDrafts.open(demo, edits=s.edits)
        rd.update_steps(s.result.all_steps)
        rd.quick()
        sid = rd.missing()[0]
        made = RecordingDrafts.open(demo, edits=s.edits)
        made.update_steps(s.result.all_steps)
        d = made.draft_one(sid)
        assert d is not None
        # A box over the step's frame since: its key changed, the old draft is not kept
        i = rd._index[sid]
        box = {"id": "r1", "kind": "box", "t_start_us": 0, "t_end_us": 10**12,
               "rect": [0, 0, 4000, 3000]}
        rd.update_redactions([box])
        assert rd._keys[sid] != d.key and not rd.accept(d) and sid not in rd.drafts
        rd.update_redactions([])
        assert rd.accept(d) and rd.drafts[sid].text == d.text and rd.inputs[i].id == sid
        made.close()
        rd.close()


def test_closing_a_drafting_process_that_is_still_loading_does_not_wait_for_it():
    import time

    from annotator.drafts.worker import DraftProcess

    proc = DraftProcess()
    t0 = time.monotonic()
    proc.close()
    assert time.monotonic() - t0 < 0.5 and proc.process.returncode is not None


def test_a_weak_draft_left_by_accept_drafts_is_named_with_the_command_that_takes_it(
        demo, capsys):
    label([demo, "--show"], capsys)  # drafts made and stored
    path = Path(demo) / "drafts.json"
    data = json.loads(path.read_text("utf-8"))
    first = load_or_derive(demo).steps[0].id
    data["drafts"][first].update(weak=True, why="no label found beside the field")
    path.write_text(json.dumps(data), "utf-8")
    code, out, _ = label([demo, "--accept-drafts", "--goal", "Bill Acme",
                          "--outcome", "success"], capsys)
    assert "13 draft(s) accepted" in out
    # It said "accept it (... --accept-drafts)", which had just left it alone.
    assert ("Step 1 has only a weak drafted instruction (no label found beside the field): "
            "check it, then accept it (A in the editor, or `annotator label DIR --accept 1`)"
            in out), out
    code, out, _ = label([demo, "--accept", "1"], capsys)
    assert code == 0 and "Ready to submit" in out
