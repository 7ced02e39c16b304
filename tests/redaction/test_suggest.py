"""Redaction suggestions: on images, across the frames of a recording, on typed text and
window titles, and on the demo recording."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from annotator.jobs import Cancelled, Progress
from annotator.redaction.detect import DENY_LIST, EMAIL, Detector
from annotator.redaction.ocr import TesseractMissing, ocr_image
from annotator.redaction.screen_text import hits_from_words, suggest_for_image
from annotator.redaction.suggest import (
    SOURCE_OCR,
    SOURCE_TITLE,
    SOURCE_TYPED,
    Suggestion,
    suggest_for_bundle,
)

from .helpers import DARK, LIGHT, covered, render, write_bundle

ROOT = Path(__file__).resolve().parents[2]

SCREEN = [
    (40, 30, "Customer record", 22),
    (40, 80, "E-mail", 14), (220, 80, "alice.smith@example.org", 14),
    (40, 120, "Card", 14), (220, 120, "4111 1111 1111 1111", 14),
    (40, 160, "IBAN", 14), (220, 160, "DE89 3704 0044 0532 0130 00", 14),
    (40, 200, "Server", 14), (220, 200, "192.168.20.14", 14),
    (40, 240, "Order", 14), (220, 240, "ORD-2024-118842", 14),
    (40, 280, "Commit", 14), (220, 280, "b6589fc6ab0dc82cf12099d1c2d40ab994e8410c", 14),
    (40, 320, "Version", 14), (220, 320, "v2.14.0-rc1", 14),
    (40, 360, "Name", 14), (220, 360, "Marguerite Okonkwo", 14),
]
SECRETS = {"alice.smith@example.org", "4111 1111 1111 1111", "DE89 3704 0044 0532 0130 00",
           "192.168.20.14", "Marguerite Okonkwo"}


@pytest.mark.tesseract
@pytest.mark.parametrize("theme", [LIGHT, DARK], ids=["light", "dark"])
def test_image_suggestions_cover_the_secrets_and_nothing_else(qapp, theme) -> None:
    img, placed = render((960, 400), SCREEN, theme)
    hits = suggest_for_image(img, deny_list=["Marguerite Okonkwo"])
    rects = [list(h.rect) for h in hits]
    for p in placed:
        c = covered(p.box, rects)
        if p.text in SECRETS:
            assert c >= 0.98, (p.text, c, hits)
        else:
            assert c == 0, (p.text, c)
    kinds = {h.kind for h in hits}
    assert {EMAIL, DENY_LIST, "card", "iban", "ipv4"} <= kinds


@pytest.mark.tesseract
def test_boxes_are_padded_clamped_and_one_per_line(qapp) -> None:
    img, placed = render((500, 120), [(0, 0, "jane.doe@example.com", 16),
                                      (10, 60, "tel +44 20 7946 0958", 16)])
    words = ocr_image(img)
    hits = hits_from_words(words, Detector(), pad=3, size=(500, 120))
    email = next(h for h in hits if h.kind == EMAIL)
    assert email.rect[0] == 0 and email.rect[1] == 0  # clamped at the frame's edge
    phone = next(h for h in hits if h.kind == "phone")
    x, y, w, h = placed[1].box
    _, tel = render((500, 120), [(10, 60, "tel", 16)])
    tel_right = tel[0].box[0] + tel[0].box[2]
    assert phone.rect[0] >= tel_right  # "tel" itself is not covered...
    assert covered(placed[1].box, [list(phone.rect)]) < 1  # ...so the line is not whole
    assert phone.rect[3] <= h + 8  # one line high, padded


def _frame(items, size=(960, 540)):
    img, placed = render(size, items)
    return img, {p.text: p.box for p in placed}


@pytest.mark.tesseract
def test_a_value_wrapped_onto_the_next_line_is_found_on_both() -> None:
    from annotator.redaction.ocr import Word
    from annotator.redaction.screen_text import analyze_words

    def words(y: int, x: int, *texts: str) -> list[Word]:
        out = []
        for t in texts:  # 8 px a character, a space of 6 px
            out.append(Word(t, x, y, 8 * len(t), 14, 90.0, y, 1, 1))
            x += 8 * len(t) + 6
        return out

    para = words(100, 10, "Questions:", "write", "or", "call", "+33", "1") + \
        words(118, 10, "47", "04", "92", "52.")
    hits, _ = analyze_words(para, Detector(), pad=0)
    assert sorted((h.kind, h.text) for h in hits) == [("phone", "+33 1"), ("phone", "47 04 92 52.")]
    # Lines far apart, or the next one indented past the first's start: no joining.
    apart = words(100, 10, "call", "+33", "1") + words(160, 10, "47", "04", "92", "52.")
    indented = words(100, 10, "call", "+33", "1") + words(118, 60, "47", "04", "92", "52.")
    assert analyze_words(apart, Detector(), pad=0)[0] == []
    assert analyze_words(indented, Detector(), pad=0)[0] == []


def _words(y: int, x: int, *texts: str) -> list:
    """OCR words as Tesseract returns them: 8 px a character, a space of 6 px, one line."""
    from annotator.redaction.ocr import Word

    out = []
    for t in texts:
        out.append(Word(t, x, y, 8 * len(t), 14, 90.0, y, 1, 1))
        x += 8 * len(t) + 6
    return out


def test_text_shaped_like_a_value_is_suggested_when_no_detector_names_it() -> None:
    from annotator.redaction.screen_text import Hit, analyze_words, unread_values
    from annotator.redaction.spans import UNREAD_VALUE

    card = _words(10, 10, "Card", "4031", "5370", "5223", "2712")  # "6011" misread: Luhn fails
    ssn = _words(40, 10, "SSN", "231", "-69-4174")  # split at its hyphen
    mail = _words(70, 10, "Reply", "to", "nora+work@acme_corp.i0")
    ipv6 = _words(400, 10, "via", "2a02:95", "1971", "1ba:ab1", "c::ba46:chdb")  # hex, misread
    nino = _words(430, 10, "Number:", "GL", "14.75", "98", "D.")  # its letters a word apart
    ips = (_words(460, 10, "seen", "433.223.211.161")  # an octet over 255: "no address"...
           + _words(490, 10, "token:", "158,", "149.33,113"))  # ...nor a number
    harmless = (_words(100, 10, "Build", "2.13.99-rc1", "on", "2024-01-05T10:45:06Z", "(23E224)")
                + _words(130, 10, "ttl=64", "time=0.412", "ms")
                + _words(160, 10, "Order", "ORD-2024-118842", "ships", "2024-03-01")
                + _words(190, 10, "Screen", "1920x1080", "digest",
                         "sha256:0fd42b3f73c448b34940b339f87d07ad")
                + _words(220, 10, "Total", "$32,538.75", "of", "1,204,330")
                + _words(250, 10, "pip", "install", "django==15.23.28", "requests==9.0.116")
                # harmless formats as OCR misreads them at 12 px
                + _words(280, 10, "v4.8,38-+build.17", "11.17,.14.post1", "€9358;26")
                + _words(310, 10, "#d435a6cdd786300dEF204ee7CZeF942d3e903482")
                + _words(340, 10, "id=53612447-c3d1~4153-a518-—2f0d33d21794")
                + _words(370, 10, "ts=2020-08-14T10", ":45:062")
                + _words(520, 10, "dev@build-01:~/app$", "ls", "budget_2024.xlsx", "1.6G")
                + _words(550, 10, "Shipped", "Dec", "26,", "2024", "and", "May", "2,", "2022."))
    words = card + ssn + mail + ipv6 + nino + ips + harmless
    hits, regions = analyze_words(words, Detector(), pad=0)
    # No detector recognises the misread values (but the e-mail address, garbled as it is,
    # and the NI number whose space OCR read as a dot)...
    assert [(h.kind, h.text) for h in hits] == [("email", "nora+work@acme_corp.i0"),
                                                 ("national_id", "GL 14.75 98 D.")]
    found = unread_values(regions, hits, pad=0)
    # ...but what is shaped like a value is suggested, all of it, and nothing harmless.
    assert sorted(h.text for h in found) == sorted([
        "158, 149.33,113", "231 -69-4174", "2a02:95 1971 1ba:ab1 c::ba46:chdb",
        "433.223.211.161", "4031 5370 5223 2712"])
    assert {h.kind for h in found} == {UNREAD_VALUE}
    by_text = {h.text: h.rect for h in found}
    first, last = card[1], card[-1]
    assert by_text["4031 5370 5223 2712"] == (first.x, first.y, last.x + last.w - first.x, 14)
    assert by_text["231 -69-4174"][0] == ssn[1].x
    # A run that a hit already covers is not suggested twice; one it covers half of is.
    x, y, w, h = by_text["4031 5370 5223 2712"]
    whole = Hit((x - 2, y, w + 4, h), "card", 0.9, "", "")
    half = Hit((x, y, w // 2, h), "card", 0.9, "", "")
    assert [h.text for h in unread_values(regions, [whole], pad=0)
            if h.text.startswith("4031")] == []
    assert [h.text for h in unread_values(regions, [half], pad=0)
            if h.text.startswith("4031")] == ["4031 5370 5223 2712"]
    # A detector restricted to other kinds suggests none of them.
    assert UNREAD_VALUE not in Detector(kinds=["email"]).kinds


def test_misread_values_are_not_taken_for_harmless_formats_and_formats_stay_harmless() -> None:
    from annotator.redaction.screen_text import _harmless, looks_like_a_value

    # An IBAN with a letter misread fails mod 97 and is no hash (its letters are mostly
    # beyond "f"; it starts with a country and check digits).
    # An IBAN in groups whose first one was misread ("FROS" for "FR05"), a key of capitals
    # whose digits were read as letters.
    for value in ("[IE76ATBK71359072914880]", "DE44500105175407324931", "norat+work@acme~corp.io",
                  "1DE55780939469324583457",
                  "FROS 8141 6271 37MT ZCIG 9RVQ E78", "owner=AKEAPISEPABNRV7NQHMF",
                  "ASIAPY23)/TVLYTAVDKM.", "Dx7?teCjévs7 lRowO8X2 ci",
                  # an IPv4 address with its last dot read as a space or apart
                  "125.9.227 34", "170,204,187 .37"):
        assert looks_like_a_value(value), value
    for text in ("CONFIGURATION", "AWS_SECRET_ACCESS_KEY", "ABCDEFGHIJKLMNOPQ",
                 "print(hello_world)", "handleOnClickListener2 getUserName"):
        assert not looks_like_a_value(text), text
    # Hashes and UUIDs with characters misread, order numbers of online shops, a product
    # and its version, an OS version and its build, dates with mixed separators.
    for text in ("b6692ea5df920cad691c20319a6fffd7a4a766b8", "058de112-87d6-4485+827a~e93b5b091led2",
                 "861-1322873-2943370", "nginx/1.24.0", "14.4.1 (23E224)", "14.4.1.(23E224",
                 "18-01.2023", "31-12-2023",
                 # an amount, a date and a version with a digit read as a letter
                 "1l 360.00", "2O24-01-15", "v3.l2.0"):
        assert _harmless(text) and not looks_like_a_value(text), text
    assert looks_like_a_value("12-34-5678")  # no date


def test_a_value_next_to_a_found_value_is_read_again() -> None:
    from annotator.redaction.screen_text import Hit, analyze_words, unread_values

    # One OCR line over two table cells: an address a detector found, then a misread e-mail
    # address ("!" for "l") and a phone number glued to it by a misread "/".
    line = _words(10, 10, "2001:db8:9a2f:afe7::8e76:532d", "walsh.l!@contoso.co.uk")
    phone = _words(40, 10, "020", "7946", "0934/2001:0db8:2dd0:ee77:b4f2:641c:3196:81c6")
    hits, regions = analyze_words(line + phone, Detector(), pad=0)
    assert {h.kind for h in hits} == {"ipv6"}
    assert sorted(" ".join(w.text for w in r.words) for r in regions) == [
        "020 7946", "walsh.l!@contoso.co.uk"]
    assert sorted(h.text for h in unread_values(regions, hits, pad=0)) == [
        "020 7946", "walsh.l!@contoso.co.uk"]
    # A card whose first space was read as a dot: all of it, not from the dot on.
    card = _words(70, 10, "Card", "3532.3145", "5950", "9977")
    hits, regions = analyze_words(card, Detector(), pad=0)
    assert [h.text for h in unread_values(regions, hits, pad=0)] == ["3532.3145 5950 9977"]
    # A card after a key's name (its first group glued to it), a line below a hit whose
    # box reaches into its rows.
    owner = _words(130, 10, "Owner=5302", "6331", "9915", "9501", "status=ok")
    above = Hit((0, 120, 400, 16), "national_id", 0.8, "", "")
    hits, regions = analyze_words(owner, Detector(), pad=0)
    assert [h.text for h in unread_values(regions, hits + [above], pad=0)] == [
        "Owner=5302 6331 9915 9501"]
    # An IBAN whose first group was misread, in brackets: from its first group on.
    iban = _words(100, 10, "peer", "[FROS", "8141", "6271", "37MT", "ZCIG", "9RVQ", "E78]")
    hits, regions = analyze_words(iban, Detector(), pad=0)
    assert [h.text for h in unread_values(regions, hits, pad=0)] == [
        "FROS 8141 6271 37MT ZCIG 9RVQ E78"]


def test_a_row_number_before_a_harmless_reference_is_not_suggested() -> None:
    from annotator.redaction.screen_text import analyze_words, unread_values

    words = (_words(10, 10, "11", "PO", "7218922343") + _words(40, 10, "20", "452-0040789-2583346")
             + _words(70, 10, "Ref", "12", "345678"))  # one number in groups, maybe
    hits, regions = analyze_words(words, Detector(), pad=0)
    assert [h.text for h in unread_values(regions, hits, pad=0)] == ["12 345678"]


@pytest.mark.tesseract
def test_a_value_that_fails_its_check_is_hidden_on_images_and_across_frames(qapp,
                                                                            tmp_path) -> None:
    # As OCR leaves a card number when it misreads one digit: its Luhn check fails.
    items = [(20, 20, "Card number: 4111 1111 1111 1112", 16),
             (20, 70, "Order ORD-2024-118842 of 2024-03-01", 16)]
    img, placed = render((640, 120), items)
    hits = suggest_for_image(img)
    assert [h.kind for h in hits] == ["unread_value"], hits
    rects = [list(h.rect) for h in hits]
    label = render((640, 120), [(20, 20, "Card number:", 16)])[1][0]
    assert covered(placed[1].box, rects) == 0 and covered(label.box, rects) == 0
    x0 = label.box[0] + label.box[2]
    x, y, w, h = placed[0].box
    assert covered((x0 + 8, y, x + w - x0 - 8, h), rects) == 1.0, (rects, placed)
    # The same in a recording: the tracker reading its frames suggests it too.
    bundle = write_bundle(tmp_path / "b", [(100_000, img)], duration_us=1_000_000)
    sugg = [s for s in suggest_for_bundle(bundle, steps=[]) if s.source == SOURCE_OCR]
    assert [s.kind for s in sugg] == ["unread_value"]
    assert covered((x0 + 8, y, x + w - x0 - 8, h), [sugg[0].rect]) == 1.0


def test_a_box_follows_its_text_across_frames(qapp, tmp_path) -> None:
    email = "alice.smith@example.org"
    order = [(40, 200, "Order", 18), (200, 200, "ORD-2024-118842", 18)]
    status = [(40, 400, "Status: saving the record now", 18)]
    a, boxes_a = _frame([(40, 100, "Contact:", 18), (200, 100, email, 18)] + order)
    b, _ = _frame([(40, 100, "Contact:", 18), (200, 100, email, 18)] + order + status)
    c, _ = _frame([(40, 100, "Contact:", 18), (200, 100, "(none)", 18)] + order + status)
    d, boxes_d = _frame([(40, 100, "Contact:", 18), (200, 100, "(none)", 18)] + order
                        + [(40, 300, "Moved:", 18), (200, 300, email, 18)])
    bundle = write_bundle(tmp_path / "b", [(100_000, a), (1_000_000, b), (2_000_000, c),
                                           (3_000_000, d)], duration_us=4_000_000)
    stats: dict = {}
    sugg = suggest_for_bundle(bundle, steps=[], stats=stats)
    ocr_s = sorted((s for s in sugg if s.source == SOURCE_OCR), key=lambda s: s.t_start_us)
    assert [s.kind for s in ocr_s] == [EMAIL, EMAIL], sugg
    first, second = ocr_s
    # Seen on the first frame, carried over the second (nothing changed under it), gone on
    # the third: it covers up to just before the third.
    assert first.t_start_us == 100_000 and first.t_end_us == 1_999_999
    assert first.first_seen_us == 100_000
    assert covered(boxes_a[email], [first.rect]) >= 0.98
    # The moved text is another box, from the frame it appeared on to the end.
    assert second.t_start_us == 3_000_000 and second.t_end_us == 4_000_000
    assert second.rect[1] > first.rect[1] + 150
    assert covered(boxes_d[email], [second.rect]) >= 0.98
    # Only what changed was read again: the whole first frame, then bands.
    assert stats["readings"] == 4
    assert stats["ocr_px"] < 2 * stats["frame_px"]


@pytest.mark.tesseract
def test_unchanged_text_read_again_keeps_one_suggestion(qapp, tmp_path) -> None:
    items = [(40, 100, "Card 4111 1111 1111 1111", 18)]
    f0, _ = _frame(items)
    frames = [(100_000 + i * 700_000, f0.copy()) for i in range(4)]
    for i, (_, img) in enumerate(frames):
        img[300:330, 40:40 + 60 * (i + 1)] = 90  # a growing bar elsewhere: changes
    bundle = write_bundle(tmp_path / "b", frames)
    sugg = [s for s in suggest_for_bundle(bundle, steps=[]) if s.source == SOURCE_OCR]
    assert len(sugg) == 1
    assert sugg[0].t_start_us == 100_000 and sugg[0].t_end_us >= frames[-1][0]


def test_typed_text_and_window_titles(tmp_path, qapp) -> None:
    from annotator.steps.model import Step

    img, _ = _frame([(40, 100, "nothing to see", 18)])
    windows = [{"t": 0, "kind": "focus", "title": "Inbox - bob@example.net - Mail", "app": "mail",
                "window_id": 1, "box": None},
               {"t": 2_000_000, "kind": "focus", "title": "Editor", "app": "ed",
                "window_id": 2, "box": None}]
    bundle = write_bundle(tmp_path / "b", [(100_000, img)], windows=windows,
                          duration_us=5_000_000)
    steps = [Step(type="type", t_start_us=500_000, t_end_us=1_500_000, anchor_event_id=3,
                  text="my card is 4111-1111-1111-1111 ok"),
             Step(type="click", t_start_us=1_600_000, t_end_us=1_700_000, anchor_event_id=9)]
    sugg = suggest_for_bundle(bundle, steps=steps, ocr=False)
    typed = [s for s in sugg if s.source == SOURCE_TYPED]
    titles = [s for s in sugg if s.source == SOURCE_TITLE]
    assert [(s.kind, s.text, s.span, s.step_id, s.t_start_us, s.t_end_us) for s in typed] == [
        ("card", "4111-1111-1111-1111", (11, 30), steps[0].id, 500_000, 1_500_000)]
    assert [(s.kind, s.text, s.span, s.t_start_us, s.t_end_us) for s in titles] == [
        (EMAIL, "bob@example.net", (8, 23), 0, 1_999_999)]
    assert all(s.rect is None for s in typed + titles)


def test_suggestions_keep_the_text_local(tmp_path, qapp) -> None:
    from annotator.steps.model import Step

    img, _ = _frame([(40, 100, "x", 18)])
    bundle = write_bundle(tmp_path / "b", [(100_000, img)])
    steps = [Step(type="type", t_start_us=1, t_end_us=2, anchor_event_id=1,
                  text="jane.doe@example.com")]
    a = suggest_for_bundle(bundle, steps=steps, ocr=False)
    b = suggest_for_bundle(bundle, steps=steps, ocr=False)
    assert [s.id for s in a] == [s.id for s in b]  # stable
    s = a[0]
    assert "jane" not in repr(s) and "jane" not in json.dumps(s.to_dict())
    assert "jane" not in s.id
    assert s.to_dict(include_text=True)["text"] == "jane.doe@example.com"


def test_missing_tesseract_blocks_ocr_only(tmp_path, qapp, monkeypatch) -> None:
    img, _ = _frame([(40, 100, "x", 18)])
    bundle = write_bundle(tmp_path / "b", [(100_000, img)],
                          windows=[{"t": 0, "kind": "focus", "title": "a@example.com"}])
    empty = tmp_path / "no-tessdata"
    empty.mkdir()
    monkeypatch.setenv("TESSDATA_PREFIX", str(empty))  # Tesseract's data not installed
    with pytest.raises(TesseractMissing, match="apt-get install tesseract-ocr"):
        suggest_for_bundle(bundle, steps=[])
    titles = suggest_for_bundle(bundle, steps=[], ocr=False)
    assert [s.kind for s in titles] == [EMAIL]


@pytest.mark.tesseract
def test_progress_and_cancel(tmp_path, qapp) -> None:
    frames = []
    for i in range(6):
        img, _ = _frame([(40, 100 + 40 * i, f"line {i} jane{i}@example.com", 16)])
        frames.append((100_000 + i * 600_000, img))
    bundle = write_bundle(tmp_path / "b", frames)
    seen: list[tuple[int, int]] = []
    p = Progress(lambda done, total, _m: seen.append((done, total)))
    suggest_for_bundle(bundle, steps=[], progress=p)
    assert seen[-1] == (6, 6)

    p2 = Progress(lambda done, _t, _m: p2.cancel() if done >= 2 else None)
    with pytest.raises(Cancelled):
        suggest_for_bundle(bundle, steps=[], progress=p2)


# -- the demo recording --------------------------------------------------------------------------

@pytest.mark.tesseract
def test_demo_recording_email_is_covered_in_frames_and_typed_text(demo_bundle) -> None:
    from annotator.bundle.reader import Bundle
    from annotator.media.video import VideoReader

    sugg = suggest_for_bundle(demo_bundle)
    typed = [s for s in sugg if s.source == SOURCE_TYPED and s.kind == EMAIL]
    assert [s.text for s in typed] == ["jane.doe@example.com"]
    screen = [s for s in sugg if s.source == SOURCE_OCR and s.kind == EMAIL]
    assert screen, sugg
    # From when typing started to the end of the recording (the e-mail stays in the form).
    b = Bundle.open(demo_bundle)
    assert min(s.t_start_us for s in screen) <= typed[0].t_start_us
    assert max(s.t_end_us for s in screen) >= b.duration_us
    # Leak check: fill the suggested boxes on a frame while typing and on the last frame,
    # read them again: no e-mail address is left, partial or whole.
    stored = sorted(int(p) for p in b.frames.pts[b.frames.stored])
    mid = next(p for p in stored if p > (typed[0].t_start_us + typed[0].t_end_us) // 2)
    det = Detector()
    with VideoReader(b.video_path) as r:
        for pts in (mid, stored[-1]):
            rgb = r.frame_at(pts).rgb.copy()
            before = [h for h in suggest_for_image(rgb) if h.kind == EMAIL]
            for s in sugg:
                if s.rect is not None and s.t_start_us <= pts <= s.t_end_us:
                    x, y, w, h = s.rect
                    rgb[y:y + h, x:x + w] = 0
            words = ocr_image(rgb)
            text = " ".join(w.text for w in words)
            assert "jane" not in text and "example" not in text, text
            assert not [h for h in hits_from_words(words, det) if h.kind == EMAIL]
            if pts == stored[-1]:
                assert before  # the last frame did show it before the fill


@pytest.mark.tesseract
def test_demo_recording_steps_are_derived_when_missing(demo_bundle) -> None:
    sugg = suggest_for_bundle(demo_bundle, deny_list=["Acme Corporation"], ocr=False)
    assert {(s.source, s.kind, s.text) for s in sugg} == {
        (SOURCE_TYPED, EMAIL, "jane.doe@example.com"),
        (SOURCE_TYPED, DENY_LIST, "Acme Corporation")}
    assert all(isinstance(s, Suggestion) and s.step_id for s in sugg)


NO_NET_SCRIPT = r"""
import json, socket, sys
# Any attempt to open a connection is a failure of the test, even if unshare -n let it fail
# on its own.
def refuse(*a, **k):
    raise SystemExit("network use attempted")
socket.socket.connect = refuse
socket.create_connection = refuse
from annotator.redaction.suggest import suggest_for_bundle
sugg = suggest_for_bundle(sys.argv[1], deny_list=["Acme Corporation"])
print(json.dumps([s.to_dict() for s in sugg]))
"""


@pytest.mark.tesseract
def test_pipeline_runs_with_no_network(demo_bundle) -> None:
    unshare = shutil.which("unshare")
    if unshare is None or os.geteuid() != 0:
        pytest.skip("needs unshare and root to run without a network namespace")
    probe = subprocess.run([unshare, "-n", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"unshare -n is not permitted here: {probe.stderr.decode().strip()}")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([unshare, "-n", sys.executable, "-c", NO_NET_SCRIPT, str(demo_bundle)],
                         capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert {(s["source"], s["kind"]) for s in got} >= {
        (SOURCE_OCR, EMAIL), (SOURCE_TYPED, EMAIL), (SOURCE_TYPED, DENY_LIST)}
    assert all("text" not in s for s in got)


def test_a_span_ending_inside_a_word_takes_the_rest_of_the_value_but_not_a_suffix():
    # OCR read an IPv6 address's "72" as "/2": the detector's span ends at "db", inside the
    # word; the rest of the word is more of the value and is covered.  A CIDR suffix or a
    # port after an address stays outside.
    from annotator.redaction.ocr import Word
    from annotator.redaction.screen_text import hits_from_words

    det = Detector([])
    word = Word("2001:0db8:59d2:cb2e:f266:db/2:3146:23a3", 100, 50, 390, 16, 90, 1, 1, 1)
    (hit,) = [h for h in hits_from_words([word], det) if h.kind == "ipv6"]
    assert hit.rect[0] + hit.rect[2] >= 490
    cidr = Word("10.20.30.40/24", 100, 50, 140, 16, 90, 1, 1, 1)
    (hit,) = [h for h in hits_from_words([cidr], det) if h.kind == "ipv4"]
    assert hit.rect[0] + hit.rect[2] < 240


@pytest.mark.tesseract
@pytest.mark.parametrize("family", ["Nimbus Mono PS", "DejaVu Sans Mono"])
@pytest.mark.parametrize("px", [17, 19, 21])
def test_an_id_in_groups_in_a_large_monospaced_terminal_is_one_value(qapp, family, px) -> None:
    """In a terminal at 17 px and more, a space is a whole character cell, wider than 0.9 of
    the text height: on a line of short words (a label and an SSN in groups), where the
    character pitch was judged from words of four characters or more only, the groups were
    taken for table cells and the SSN was not found (Nimbus Mono at 17-21 px, DejaVu Sans
    Mono at 19 px)."""
    from .test_ink import draw, inside

    img, boxes = draw([(20, 40, "user: 568 78 2889")], px=px, family=family,
                      bg=(0, 43, 54), fg=(131, 148, 150))
    hits = [h for h in suggest_for_image(img) if h.kind == "national_id"]
    assert hits, "the SSN was not found"
    for g in ("568", "78", "2889"):
        assert any(inside(boxes[g], h.rect) for h in hits), g
    assert not any(inside(boxes["user:"], h.rect) for h in hits)

def test_a_box_ends_when_the_picture_under_it_changed_not_at_the_next_reading(
        qapp, tmp_path) -> None:
    # A dialog opened over the value at 1.0 s while something else kept changing, so the
    # screen was read again only at 2.0 s: the box lasted to 2.0 s over the dialog, and the
    # fragment check then took the dialog's text under it for part of the value.
    email = "alice.smith@example.org"
    shown, boxes = _frame([(40, 100, "Contact:", 18), (200, 100, email, 18)])
    covered_up = shown.copy()
    covered_up[80:140, 150:700] = 235  # a lighter panel over the value
    frames = [(100_000, shown)]
    for i, t in enumerate(range(1_000_000, 2_600_000, 200_000)):
        img = covered_up.copy()
        img[400:430, 40:40 + 40 * (i + 1)] = 90  # a growing bar further down: changes
        frames.append((t, img))
    bundle = write_bundle(tmp_path / "b", frames, duration_us=3_000_000)
    sugg = [s for s in suggest_for_bundle(bundle, steps=[]) if s.source == SOURCE_OCR]
    assert [s.kind for s in sugg] == [EMAIL], sugg
    assert covered(boxes[email], [sugg[0].rect]) >= 0.98
    assert sugg[0].t_start_us == 100_000 and sugg[0].t_end_us == 999_999
