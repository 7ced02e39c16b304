"""The signal rules on small drawn screens: what a person would call a click that did
nothing, a repeat, and a video played back (no corpus here: benchmarks/signals.py measures
the rules on one)."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from annotator.quality import effects, replay
from annotator.quality.evidence import Evidence, StepView
from annotator.quality.frames import frame_facts

W, H = 320, 200
APPLY = {"role_name": "push button", "name": "Apply", "box": [240, 160, 60, 24]}
BOX = {"role_name": "check box", "name": "Remember history", "box": [20, 40, 120, 16]}
LABEL = {"role_name": "label", "name": "Search", "box": [20, 80, 50, 16]}
PLAYER = ("totem", "recording.mp4 - Videos")  # GNOME Videos' WM_CLASS, and its title


def screen(status: str = "", ticked: bool = False, item: str = "") -> np.ndarray:
    """A small window drawn pixel-exact, as a desktop draws it."""
    img = np.full((H, W, 3), 240, np.uint8)
    cv2.rectangle(img, (20, 40), (34, 54), (60, 60, 60), 1)
    if ticked:
        cv2.rectangle(img, (23, 43), (31, 51), (40, 90, 200), -1)
    cv2.putText(img, "Remember history", (40, 53), cv2.FONT_HERSHEY_PLAIN, 1, (0, 0, 0), 1)
    cv2.putText(img, "Search", (20, 93), cv2.FONT_HERSHEY_PLAIN, 1, (0, 0, 0), 1)
    cv2.putText(img, item or "Maria Lopez", (20, 123), cv2.FONT_HERSHEY_PLAIN, 1, (0, 0, 0), 1)
    cv2.rectangle(img, (240, 160), (300, 184), (90, 90, 90), 1)
    cv2.putText(img, "Apply", (248, 177), cv2.FONT_HERSHEY_PLAIN, 1, (0, 0, 0), 1)
    if status:
        cv2.putText(img, status, (20, 195), cv2.FONT_HERSHEY_PLAIN, 0.8, (0, 0, 0), 1)
    return img


def clicks(targets: list[dict], pictures: list[np.ndarray], boxes: list | None = None,
           window: tuple[str | None, str | None] = (None, None)) -> Evidence:
    """Clicks on ``targets`` (at their boxes' centres) a second apart, picture ``i`` taken
    before step ``i``; the last picture is before the end."""
    steps = []
    for i, t in enumerate(targets):
        x, y, w, h = t["box"]
        steps.append(StepView(index=i, id=f"s{i}", type="click", t_start_us=i * 1_000_000 + 500,
                              t_end_us=i * 1_000_000 + 600, obs_t_us=i * 1_000_000,
                              x=x + w // 2, y=y + h // 2, target=t, instruction="Click it",
                              window_app=window[0], window_title=window[1]))
    n = len(targets)
    steps.append(StepView(index=n, id=f"s{n}", type="terminate", t_start_us=n * 1_000_000,
                          t_end_us=n * 1_000_000, obs_t_us=n * 1_000_000))
    assert len(pictures) == n + 1
    return Evidence(subject={}, width=W, height=H, duration_us=n * 1_000_000, steps=steps,
                    frame=lambda i: pictures[i], changes_us=np.zeros(0, np.int64),
                    boxes=boxes or [])


def kinds(ev: Evidence) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for s in effects.detect(ev, frame_facts(ev)):
        out.setdefault(s.kind, []).extend(r.index for r in s.steps)
    return out


def test_a_click_on_a_control_whose_effect_already_shows_changed_nothing_new():
    # Apply, tick a box, Apply again: the second Apply's message is already on screen.
    ev = clicks([APPLY, BOX, APPLY], [screen(), screen("Settings applied"),
                                      screen("Settings applied", ticked=True),
                                      screen("Settings applied", ticked=True)])
    assert kinds(ev) == {}
    # A click on a label that never did anything is still one that did nothing.
    ev = clicks([APPLY, LABEL], [screen(), screen("Settings applied"),
                                 screen("Settings applied")])
    assert kinds(ev) == {"no_effect": [1]}


def test_the_same_click_doing_nothing_every_time_is_no_effect_not_a_repeat():
    ev = clicks([LABEL, LABEL], [screen(), screen(), screen()])
    assert kinds(ev) == {"no_effect": [0, 1]}


def test_a_repeat_that_changes_only_a_message_did_nothing_more():
    star = {"role_name": "push button", "name": "", "box": [200, 10, 30, 24]}
    ev = clicks([star, star], [screen(), screen("Marked", item="* Maria Lopez"),
                               screen("Select a contact to mark it", item="* Maria Lopez")])
    assert kinds(ev) == {"repeated_steps": [0, 1]}


def test_a_redaction_box_coming_or_going_is_not_an_effect():
    # The label click changes nothing; a box over the item appears meanwhile.
    box = {"fill_rect": [10, 105, 200, 130], "intervals_us": [[900_000, 5_000_000]]}
    shown = screen()
    shown[105:130, 10:200] = 0
    ev = clicks([LABEL], [screen(), shown], boxes=[box])
    assert kinds(ev) == {"no_effect": [0]}
    # A box hiding the place acted on in one of the pictures: the click cannot be judged.
    box = {"fill_rect": [0, 60, 200, 130], "intervals_us": [[900_000, 5_000_000]]}
    shown = screen()
    shown[60:130, 0:200] = 0
    assert kinds(clicks([LABEL], [screen(), shown], boxes=[box])) == {}


def played_back(img: np.ndarray, scale: float) -> np.ndarray:
    """``img`` as a video player shows it: scaled and compressed twice."""
    h, w = img.shape[:2]
    out = cv2.resize(img, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
    for q in (60, 70):
        out = cv2.imdecode(cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, q])[1], 1)
    frame = np.full_like(img, 24)
    frame[:out.shape[0], :out.shape[1]] = out
    return frame


def test_a_screen_played_back_from_a_video_is_found_and_a_drawn_one_is_not():
    pictures = [screen(), screen("Settings applied"), screen("Settings applied", ticked=True),
                screen("Saved", ticked=True)]
    targets = [APPLY, BOX, APPLY]
    drawn = clicks(targets, pictures, window=PLAYER)
    assert replay.detect(drawn, frame_facts(drawn)) == []
    video = clicks(targets, [played_back(p, 0.85) for p in pictures], window=PLAYER)
    m = replay.measures(video, frame_facts(video))
    assert m["sharp_edges"] >= replay.SOFT_EDGES  # edges still strong: ramps tell it
    assert [s.kind for s in replay.detect(video, frame_facts(video))] == ["replayed_video"]
    for window in (("vlc", "VLC media player"), (None, "demo.webm - Celluloid")):
        video = clicks(targets, [played_back(p, 0.85) for p in pictures], window=window)
        assert [s.kind for s in replay.detect(video, frame_facts(video))] == ["replayed_video"]


def test_ramps_of_a_compressed_desktop_are_not_a_video_outside_a_player():
    # Real applications recorded as H.264 (gtk3-widget-factory, FeatherPad) measure as many
    # ramp steps as the benchmark's replays, and every GTK recording was flagged "played
    # back": outside a video player's window, ramps alone say nothing.
    pictures = [screen(), screen("Settings applied"), screen("Settings applied", ticked=True),
                screen("Saved", ticked=True)]
    ramped = [played_back(p, 0.85) for p in pictures]
    for window in (("gtk3-widget-factory", "Widget Factory"), ("FeatherPad", "*Untitled"),
                   (None, None)):
        ev = clicks([APPLY, BOX, APPLY], ramped, window=window)
        m = replay.measures(ev, frame_facts(ev))
        assert m["ramp_steps"] >= replay.RAMPED and m["sharp_edges"] >= replay.SOFT_EDGES
        assert replay.detect(ev, frame_facts(ev)) == [], window
    # A picture so soft that no desktop draws it is a video in any window.
    soft = [cv2.GaussianBlur(p, (0, 0), 2.0) for p in ramped]
    ev = clicks([APPLY, BOX, APPLY], soft, window=("FeatherPad", "*Untitled"))
    assert replay.measures(ev, frame_facts(ev))["sharp_edges"] < replay.SOFT_EDGES
    assert [s.kind for s in replay.detect(ev, frame_facts(ev))] == ["replayed_video"]


def test_length_is_judged_on_steps_with_the_time_agreeing():
    from annotator.quality.duplicates import length_signal

    peers = [(10_000_000 + k * 500_000, 5) for k in range(6)]  # 5 steps in 10-12.5 s
    # A long pause makes it last four times longer, not do more: not an outlier.
    assert length_signal(45_000_000, peers, 5) == []
    assert [s.kind for s in length_signal(45_000_000, peers, 20)] == ["length_outlier"]
    assert [s.kind for s in length_signal(4_000_000, peers, 2)] == ["length_outlier"]
    assert length_signal(11_000_000, peers, 2) == []  # fewer steps, the usual time
    # The others' steps unknown: on time alone.
    timed = [(d, None) for d, _n in peers]
    assert [s.kind for s in length_signal(45_000_000, timed, 5)] == ["length_outlier"]
    assert length_signal(45_000_000, peers[:2], 20) == []  # too few others


def test_the_same_words_on_a_task_done_again_are_not_a_copied_label():
    from annotator.quality import labels

    prev = {"role_name": "push button", "name": "Previous", "box": [10, 160, 60, 24]}
    nxt = {"role_name": "push button", "name": "Next", "box": [80, 160, 60, 24]}

    def said(words: list[tuple[dict, str]]) -> list[str]:
        ev = clicks([t for t, _w in words], [screen()] * (len(words) + 1))
        ev.steps[:len(words)] = [
            StepView(**{**s.__dict__, "instruction": w}) for s, (_t, w) in zip(
                ev.steps, words, strict=False)]
        return [s.kind for s in labels.detect(ev) if s.kind == "same_instruction"]

    # Done twice over, with one slip: the words fit what most of the steps do.
    assert said([(prev, 'Click "Previous"'), (nxt, 'Click "Next"'), (prev, 'Click "Previous"'),
                 (nxt, 'Click "Previous"')]) == []
    assert said([(prev, "Continue"), (nxt, "Continue"), (APPLY, "Continue")]) == [
        "same_instruction"]


def test_a_video_played_back_is_not_judged_click_by_click():
    from annotator.quality.compute import compute

    pictures = [played_back(p, 0.85) for p in (screen(), screen(), screen())]
    got = compute(clicks([LABEL, APPLY], pictures, window=PLAYER))
    assert [r["kind"] for r in got.records["signals"]] == ["replayed_video"]


def test_a_pointer_arriving_in_one_hop_teleported_and_a_hand_or_a_pause_did_not():
    from annotator.quality.input import RawStep, analyse

    def clicked(approach: list[dict]) -> list[str]:
        events = [{"id": 1, "t": 0, "kind": "mouse_down", "x": 100, "y": 100, "button": "left"},
                  {"id": 2, "t": 50_000, "kind": "mouse_up", "x": 100, "y": 100,
                   "button": "left"}]
        events += [{"id": 3 + n, **e} for n, e in enumerate(approach)]
        press = {"id": 99, "t": 5_000_000, "kind": "mouse_down", "x": 600, "y": 400,
                 "button": "left"}
        steps = [RawStep(0, "a", "click", (1, 2), 0, 50_000),
                 RawStep(1, "b", "click", (99,), 5_000_000, 5_050_000)]
        got = analyse([*events, press], steps, device_source="xinput2")
        return [f["kind"] for f in got["findings"]]

    hand = [{"t": 3_000_000 + k * 16_667, "kind": "mouse_move",
             "x": round(100 + 500 * (k / 30) ** 2 * (3 - 2 * k / 30)),
             "y": round(100 + 300 * (k / 30) ** 2 * (3 - 2 * k / 30))} for k in range(1, 31)]
    assert clicked(hand) == []
    # After two seconds at rest, one reading 580 px away, on the target: no path.
    assert clicked([{"t": 4_900_000, "kind": "mouse_move", "x": 600, "y": 400}]) == \
        ["pointer_teleport"]
    assert clicked([]) == ["pointer_teleport"]  # pressed far from where it was, no move
    # The recording was paused meanwhile: where the pointer was is not known.
    assert clicked([{"t": 2_000_000, "kind": "pause"}, {"t": 4_000_000, "kind": "resume"}]) == []


def test_a_common_word_that_is_also_a_control_name_is_not_naming_it():
    from annotator.quality.labels import pointer_mismatch

    ev = clicks([APPLY, {"role_name": "push button", "name": "Next", "box": [10, 10, 40, 20]}],
                [screen()] * 3)
    s = ev.steps[0]
    known = ["Apply", "Next"]
    assert pointer_mismatch(ev, replace(s, instruction="Do the next step"), known) is None
    assert pointer_mismatch(ev, replace(s, instruction='Click "Next"'), known) == "Next"


def test_keys_under_a_box_over_most_of_the_screen_are_not_judged():
    def typed(boxes: list) -> dict[str, list[int]]:
        ev = clicks([APPLY], [screen(), screen()], boxes=boxes)
        ev.steps[0] = replace(ev.steps[0], type="type", text="3128", x=None, y=None,
                              target=None)
        return kinds(ev)

    assert typed([]) == {"no_effect": [0]}
    # The same box before and after over most of the screen: the typing may be under it.
    assert typed([{"fill_rect": [0, 0, 300, 150], "intervals_us": [[0, 5_000_000]]}]) == {}
    # A small one hides little: typing that changed nothing anywhere else did nothing.
    assert typed([{"fill_rect": [0, 0, 60, 20], "intervals_us": [[0, 5_000_000]]}]) == \
        {"no_effect": [0]}


def test_a_caret_blinking_elsewhere_or_an_edge_halo_is_no_effect():
    # A label click; meanwhile a caret in another field blinks and the encoder redraws the
    # one-pixel halo under a focus frame: neither is the click's doing.
    after = screen()
    after[58:72, 150] = 0
    after[135, 5:300] = 120
    assert kinds(clicks([LABEL], [screen(), after])) == {"no_effect": [0]}
    # The same line inside the clicked target is what the click did (a caret placed there).
    field = {"role_name": "text", "name": "Search", "box": [20, 80, 150, 16]}
    after = screen()
    after[82:95, 120] = 0
    assert kinds(clicks([field], [screen(), after])) == {}


def test_a_click_hidden_under_a_box_in_both_pictures_is_not_judged():
    box = {"fill_rect": [0, 30, 200, 130], "intervals_us": [[0, 5_000_000]]}
    hidden = screen()
    hidden[30:130, 0:200] = 0
    assert kinds(clicks([BOX], [hidden, hidden.copy()], boxes=[box])) == {}


def test_the_same_button_again_after_clicks_that_did_nothing_is_a_repeat():
    star = {"role_name": "push button", "name": "", "box": [200, 10, 30, 24]}
    marked = screen("Marked", item="* Maria Lopez")
    ev = clicks([star, LABEL, LABEL, star, star], [screen()] + [marked] * 5)
    assert kinds(ev) == {"repeated_steps": [0, 3, 4], "no_effect": [1, 2]}
    # Something changed in between: a second click on it sets what is shown (no signal).
    ev = clicks([APPLY, BOX, APPLY], [screen(), screen("Settings applied"),
                                      screen("Settings applied", ticked=True),
                                      screen("Settings applied", ticked=True)])
    assert kinds(ev) == {}


def test_steps_that_changed_nothing_do_not_count_in_a_tasks_length():
    from annotator.quality.duplicates import length_of, length_signal

    fp = {"actions": [["click"]] * 6, "unchanged": 3, "unchanged_ms": 4000}
    assert length_of(10_000_000, fp) == (6_000_000, 3)
    assert length_of(10_000_000, None) == (10_000_000, None)
    peers = [length_of(10_000_000 + k * 400_000, {"actions": [["click"]] * 4}) for k in range(5)]
    # Four junk clicks on a four-step task: not twice the work.
    junk = {"actions": [["click"]] * 8, "unchanged": 4, "unchanged_ms": 8000}
    assert length_signal(*length_of(19_000_000, junk)[:1], peers, 4) == []
    # Cut off after two steps, padded with two clicks that did nothing: half the work.
    cut = {"actions": [["click"]] * 4, "unchanged": 2, "unchanged_ms": 4500}
    own = length_of(9_500_000, cut)
    assert [s.kind for s in length_signal(own[0], peers, own[1])] == ["length_outlier"]


def test_a_two_step_demonstration_matches_only_when_every_action_is_the_same():
    from annotator.quality.duplicates import same_demonstration

    a = {"actions": [["click", 10, 20, "", "", 72], ["click", 80, 90, "", "", 113]],
         "frames": ["0f" * 32, "f0" * 32]}
    assert same_demonstration(a, dict(a)) is not None
    b = {**a, "actions": [["click", 10, 20, "", "", 72], ["click", 80, 90, "", "", 114]]}
    assert same_demonstration(a, b) is None
    assert same_demonstration({**a, "actions": a["actions"][:1]}, a) is None


def test_a_few_keys_typed_as_a_program_types_and_one_straight_move():
    from annotator.quality.input import RawStep, analyse

    def typed(times: list[tuple[int, int]]) -> list[str]:
        events = []
        for n, (down, hold) in enumerate(times):
            events += [{"id": 2 * n + 1, "t": down, "kind": "key_down", "key": "abc"[n]},
                       {"id": 2 * n + 2, "t": down + hold, "kind": "key_up", "key": "abc"[n]}]
        steps = [RawStep(0, "a", "type", tuple(e["id"] for e in events), 0, 1_000_000)]
        return [f["kind"] for f in analyse(events, steps, device_source="xinput2")["findings"]]

    # Three keys, each released 5 ms after it went down: no finger does that.
    assert typed([(0, 5000), (153_000, 5000), (290_000, 5000)]) == ["constant_typing"]
    # A fixed pace with each key held alike: a program's; a person's varies.
    assert typed([(0, 60_000), (110_000, 60_000), (220_000, 60_000)]) == ["constant_typing"]
    assert typed([(0, 62_000), (131_000, 95_000), (307_000, 71_000)]) == []

    def moved(path: list[tuple[int, int]]) -> list[str]:
        events = [{"id": 1 + k, "t": 1_000_000 + k * 16_667, "kind": "mouse_move", "x": x,
                   "y": y} for k, (x, y) in enumerate(path)]
        x, y = path[-1]
        events.append({"id": 99, "t": 2_000_000, "kind": "mouse_down", "x": x, "y": y})
        steps = [RawStep(0, "a", "click", (99,), 2_000_000, 2_050_000)]
        return [f["kind"] for f in analyse(events, steps, device_source="xinput2")["findings"]]

    # The only movement of a short demonstration: straight, at an even speed.
    assert moved([(100 + 20 * k, 100 + 10 * k) for k in range(16)]) == ["straight_moves"]
    bow = [(100 + 20 * k, round(100 + 10 * k + 40 * (k / 15) * (1 - k / 15) * 4))
           for k in range(16)]
    assert moved(bow) == []


def test_a_box_coming_and_going_does_not_break_an_idle_stretch():
    from annotator.quality import timing

    box = {"fill_rect": [0, 0, 300, 180], "intervals_us": [[10_000_000, 20_000_000]]}
    plain, boxed = cv2.cvtColor(screen(), cv2.COLOR_RGB2GRAY), None
    boxed = plain.copy()
    boxed[0:180, 0:300] = 0
    ev = replace(clicks([APPLY], [screen(), screen()]), duration_us=35_000_000,
                 changes_us=np.array([10_000_000, 20_000_000], np.int64), boxes=[box],
                 picture_at=lambda t: boxed if 10_000_000 <= t < 20_000_000 else plain)
    assert [s.kind for s in timing.detect(ev)] == ["idle"]
    # The same changes drawn by the desktop (no box): the screen was busy.
    assert timing.detect(replace(ev, boxes=[])) == []


def test_the_same_recording_redacted_differently_is_the_same_demonstration():
    from annotator.quality.compute import compute
    from annotator.quality.duplicates import same_demonstration

    pictures = [screen(), screen("Settings applied"), screen("Settings applied", ticked=True),
                screen("Saved", ticked=True)]
    plain = compute(clicks([APPLY, BOX, APPLY], pictures)).fingerprint
    box = {"fill_rect": [0, 0, 300, 190], "intervals_us": [[900_000, 2_500_000]]}
    hidden = [p.copy() for p in pictures]
    for p in hidden[1:3]:
        p[0:190, 0:300] = 0
    boxed = compute(clicks([APPLY, BOX, APPLY], hidden, boxes=[box])).fingerprint
    assert boxed["hidden"] == [1, 2] and plain["hidden"] == []
    assert same_demonstration(boxed, plain) is not None
    assert same_demonstration({**boxed, "hidden": []}, plain) is None
