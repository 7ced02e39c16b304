"""The OCR leak scan of a rendered recording: the same OCR and detectors as the suggestions,
run over the *output*, and a search for every string the contributor redacted.

It is a leak check (``annotator.media.leakcheck``) named ``ocr_text``:
``annotator.submission.render.render_for_submission`` passes it to ``check_render`` and
requires it, and ``register()`` adds it to every ``check_render`` of the process.

What is read.  The output is decoded in order and fed to the suggestions' frame reader
(``tracking.FrameTracker``): only what changed is OCR'd again, in full-width bands (never
downscaled: Tesseract gets the bands at 1.5x), on the first frame, on the frame shown at
every kept step's observation time, before a change to a state that stayed on screen half a
second or more, at least once a second during continuous change, and on the last frame.

What is a finding (an item).

- Every detector hit (e-mail, phone, card, IBAN, keys and tokens, high-entropy strings, the
  contributor's deny-list...; ``annotator.redaction.detect``) on the output.
- Every string the contributor redacted (typed-text masks, masked window titles) found on an
  OCR line.  Both sides are folded the same way: case-folded, whitespace and punctuation
  removed, and the letters OCR confuses with digits (o/O and 0, i/l/I/| and 1) made equal, so
  "Alice.Smith" matches an OCR line "alice smith" or "aIice,smith"; then the folded string
  must occur in the folded line (a substring).  Strings of fewer than 4 folded characters
  match only a whole OCR word (a 2-digit PIN must not match every "12" on screen).

Each item has the detector (``redacted`` for a redacted string), the text as read, the first
time it was read (result and recording clocks), its box, how many readings found it, and a
human description.  Items are merged by detector and folded text.

The allow-list.  An item whose folded text equals the folded text of an allow entry
(``{"text", "detector"}``; a detector of ``""``, ``"*"`` or None allows any detector) is
shown as allowed and does not fail the check: the contributor accepted it as not sensitive
(``EditSession.allow_leak_item``; the entries travel with the submission).

Fail closed.  Without Tesseract (or its English data) the check is ``not_checked`` with the
command to install it, and a leak check that is not passed blocks submission.

Privacy.  The matched text is kept in memory for the contributor to see; ``to_dict()`` leaves
it out unless asked (``include_text=True``), so a report that travels or is logged never holds
the secret.

Limits.  Text shown for less than half a second while the screen keeps changing around it,
between two readings, is not read; OCR misses some text (benchmarks/pii_recall.py); a
redacted string split over two lines on screen is not matched.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from annotator.display import duration
from annotator.media.leakcheck import (
    FAILED,
    NOT_CHECKED,
    PASSED,
    CheckResult,
    LeakCheckContext,
    register_check,
)
from annotator.media.render import RenderPlan
from annotator.redaction.detect import Detector
from annotator.redaction.ocr import (
    OcrError,
    OcrOptions,
    TesseractMissing,
    Word,
    check_language,
    find_tesseract,
)
from annotator.redaction.screen_text import Hit, group_lines
from annotator.redaction.tracking import FrameTracker, Reading

OCR_CHECK = "ocr_text"
REDACTED = "redacted"  # the detector name of a redacted string found on screen
INSTALL_COMMAND = "sudo apt install tesseract-ocr tesseract-ocr-eng"
MIN_SUBSTRING = 4  # folded characters: shorter redacted strings match whole words only
MAX_TIMES = 20

_DESCRIBE = {
    "email": "an e-mail address", "phone": "a phone number", "card": "a card number",
    "iban": "an IBAN", "ipv4": "an IP address", "ipv6": "an IPv6 address",
    "national_id": "a national id number", "api_key": "an API key", "jwt": "a web token (JWT)",
    "private_key": "a private key", "secret": "a random-looking secret",
    "credential": "a credential after a key word", "url_credentials": "a URL with a password",
    "url_token": "a URL with a token", "deny_list": "an entry of your deny-list",
    "unread_value": "text shaped like a number, address or key that OCR could not name",
    REDACTED: "text you redacted",
}

_CONFUSED = str.maketrans({"o": "0", "i": "1", "l": "1", "|": "1"})


def describe_kind(kind: str) -> str:
    """A detector kind in words: ``email`` -> ``an e-mail address``."""
    return _DESCRIBE.get(kind, kind.replace("_", " "))


def fold(text: str) -> str:
    """Case-folded, only letters and digits, OCR's letter/digit confusions made equal."""
    return re.sub(r"[\W_]+", "", text.casefold().translate(_CONFUSED))


def _fmt(us: int) -> str:
    return duration(us, places=2)


@dataclass(eq=False)
class LeakItem:
    """Something readable in the rendered output that should not be there."""

    detector: str  # detect kind, or REDACTED
    text: str = field(repr=False)  # as read on screen (local only: see to_dict)
    time_us: int = 0  # first reading that found it, result clock
    source_time_us: int = 0  # the same moment on the recording clock
    box: list[int] = field(default_factory=list)  # [x, y, w, h] in frame pixels
    frames: int = 1  # readings that found it
    times_us: list[int] = field(default_factory=list)  # the first few (result clock)
    score: float = 0.0
    reason: str = ""
    allowed: bool = False
    allow_id: str | None = None  # the allow entry that accepted it

    @property
    def key(self) -> tuple[str, str]:
        return (self.detector, fold(self.text))

    @property
    def description(self) -> str:
        what = describe_kind(self.detector)
        x, y, w, h = (self.box + [0, 0, 0, 0])[:4]
        more = f", {self.frames} readings" if self.frames > 1 else ""
        tail = " (accepted as not sensitive)" if self.allowed else ""
        return (f"{what} ({len(self.text)} characters) is readable at {_fmt(self.time_us)} "
                f"of the result ({_fmt(self.source_time_us)} of the recording), "
                f"{w}x{h} at ({x}, {y}){more}{tail}")

    def to_dict(self, *, include_text: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {
            "check": OCR_CHECK, "detector": self.detector, "time_us": self.time_us,
            "source_time_us": self.source_time_us, "box": list(self.box),
            "frames": self.frames, "times_us": list(self.times_us),
            "score": round(self.score, 3), "reason": self.reason, "allowed": self.allowed,
            "allow_id": self.allow_id, "acceptable": True, "length": len(self.text),
            "description": self.description,
        }
        if include_text:
            d["text"] = self.text
        return d

    def __str__(self) -> str:
        return self.description


# -- matching ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Wanted:
    text: str
    folded: str


def wanted_strings(strings: Iterable[str]) -> list[_Wanted]:
    out: dict[str, _Wanted] = {}
    for s in strings:
        f = fold(str(s))
        if f and f not in out:
            out[f] = _Wanted(str(s), f)
    return list(out.values())


def find_strings(words: Sequence[Word], wanted: Sequence[_Wanted]
                 ) -> list[tuple[_Wanted, str, tuple[int, int, int, int]]]:
    """(wanted, text read, box) of every wanted string on an OCR line of ``words``."""
    out: list[tuple[_Wanted, str, tuple[int, int, int, int]]] = []
    if not wanted or not words:
        return out
    for line in group_lines(words):
        chars: list[str] = []
        owner: list[int] = []
        folded_words = []
        for i, w in enumerate(line.words):
            f = fold(w.text)
            folded_words.append(f)
            chars.append(f)
            owner.extend([i] * len(f))
        joined = "".join(chars)
        for want in wanted:
            if len(want.folded) < MIN_SUBSTRING:
                hits = [[i] for i, f in enumerate(folded_words) if f == want.folded]
            else:
                hits = []
                start = joined.find(want.folded)
                while start >= 0:
                    hits.append(sorted(set(owner[start:start + len(want.folded)])))
                    start = joined.find(want.folded, start + 1)
            for idx in hits:
                ws = [line.words[i] for i in idx]
                x0, y0 = min(w.x for w in ws), min(w.y for w in ws)
                x1, y1 = max(w.x + w.w for w in ws), max(w.y + w.h for w in ws)
                out.append((want, " ".join(w.text for w in ws), (x0, y0, x1 - x0, y1 - y0)))
    return out


def allow_match(item: LeakItem, allow_list: Iterable[Mapping[str, Any]]) -> str | None:
    """The id (or "") of the allow entry that accepts ``item``, else None."""
    f = fold(item.text)
    for entry in allow_list:
        det = entry.get("detector") or "*"
        if det not in ("*", item.detector):
            continue
        if f and fold(str(entry.get("text") or "")) == f:
            return str(entry.get("id") or "")
    return None


# -- the reader --------------------------------------------------------------------------------
class _OutputReader(FrameTracker):
    """The suggestions' reader, keeping every reading's words and hits instead of tracks."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)  # it reads as the suggestions do (``unread_ink`` too)
        self.read: list[tuple[int, list[Word], list[Hit]]] = []

    def _track(self, r: Reading) -> None:
        self.read.append((r.pts, r.words, r.hits))


def _ocr_options(opts: dict[str, Any]) -> OcrOptions | CheckResult:
    """The OCR settings to read with, or the check's "not checked" result when Tesseract
    or its language data is missing."""
    try:
        find_tesseract()
        options: OcrOptions = opts.get("ocr_options") or OcrOptions()
        check_language(options.lang)
    except TesseractMissing:
        return CheckResult(
            OCR_CHECK, NOT_CHECKED,
            "not checked: Tesseract OCR is not installed, so the rendered frames could not be "
            f"read for secrets. Install it with `{INSTALL_COMMAND}` and render again; "
            "submission stays blocked until this check has run.",
            details={"install": INSTALL_COMMAND})
    except OcrError as exc:
        return CheckResult(OCR_CHECK, NOT_CHECKED,
                           f"not checked: {exc.message} {exc.hint or ''}".strip(),
                           details={"install": INSTALL_COMMAND})
    return options


def _leak_items(read: Iterable[tuple[int, list[Word], list[Hit]]], wanted: Sequence[_Wanted],
                plan: RenderPlan) -> list[LeakItem]:
    """What the readings found, one item per detector and text (with the frames it was
    read in), in time order: secrets the detectors see and strings the contributor
    redacted."""
    items: dict[tuple[str, str], LeakItem] = {}

    def add(detector_kind: str, text: str, pts: int, box: Sequence[int], score: float,
            reason: str) -> None:
        it = LeakItem(detector_kind, text, pts, 0, [int(v) for v in box], 1, [pts], score,
                      reason)
        old = items.get(it.key)
        if old is not None:
            old.frames += 1
            if len(old.times_us) < MAX_TIMES and pts not in old.times_us:
                old.times_us.append(pts)
            return
        it.source_time_us = int(plan.timeline.to_original(min(pts, plan.result_duration_us)))
        items[it.key] = it

    for pts, words, hits in sorted(read, key=lambda r: r[0]):
        for h in hits:
            add(h.kind, h.text, pts, h.rect, h.score, h.reason)
        for want, text, box in find_strings(words, wanted):
            add(REDACTED, text, pts, box, 1.0,
                f"matches a string you redacted ({len(want.text)} characters)")
    return sorted(items.values(), key=lambda i: (i.time_us, i.detector))


def check_ocr_text(ctx: LeakCheckContext) -> CheckResult:
    """The ``ocr_text`` leak check (see the module docstring).

    Inputs from the context: ``redacted_strings``, ``allow_list``, and in ``options``:
    ``deny_list`` (the contributor's own identifiers), ``observation_us`` (kept steps'
    observation times on the result clock), ``ocr_options`` (an OcrOptions)."""
    t_begin = time.perf_counter()
    opts = ctx.options
    options = _ocr_options(opts)
    if isinstance(options, CheckResult):
        return options  # not checked, and why
    plan = ctx.plan
    detector = Detector(opts.get("deny_list") or ())
    wanted = wanted_strings(ctx.redacted_strings)
    allow = list(ctx.allow_list)
    # Observation times -> the output frame shown then (the reader matches frame pts).
    obs_result = sorted(int(t) for t in opts.get("observation_us") or ())
    reader = _OutputReader((plan.width, plan.height), detector, options,
                           obs_pts=(), progress=ctx.progress)
    frames = 0
    total = max(1, plan.result_duration_us)
    prev_pts: int | None = None
    oi = 0
    for of in ctx.frames():
        ctx.progress.check()
        # Every observation time shown by this frame: read it (the reader reads frames whose
        # pts is in ``obs``).
        while oi < len(obs_result) and obs_result[oi] < of.end:
            if obs_result[oi] >= of.pts or prev_pts is None:
                reader.obs.add(of.pts)
            oi += 1
        reader.feed(of.pts, of.rgb())
        prev_pts = of.pts
        frames += 1
        if frames % 8 == 1:
            ctx.progress.report(min(of.pts, total), total, "Reading the rendered frames")
    if frames == 0:
        return CheckResult(OCR_CHECK, NOT_CHECKED, "not checked: the output has no frames")
    reader.finish(plan.result_duration_us)

    found = _leak_items(reader.read, wanted, plan)
    for it in found:
        aid = allow_match(it, allow)
        if aid is not None:
            it.allowed, it.allow_id = True, aid or None
    blocking = [i for i in found if not i.allowed]
    details = {"frames": frames, "readings": reader.readings, "ocr_px": reader.ocr_px,
               "frame_px": plan.width * plan.height, "ocr_s": round(reader.ocr_s, 3),
               "seconds": round(time.perf_counter() - t_begin, 3),
               "redacted_strings": len(wanted), "allow_entries": len(allow),
               "deny_entries": len(detector.deny_patterns),
               "observations": len(obs_result), "items": len(found),
               "allowed_items": len(found) - len(blocking)}
    if blocking:
        n_red = sum(1 for i in blocking if i.detector == REDACTED)
        parts = []
        if n_red:
            parts.append(f"{n_red} string(s) you redacted")
        if len(blocking) > n_red:
            parts.append(f"{len(blocking) - n_red} detected secret(s)")
        return CheckResult(OCR_CHECK, FAILED,
                           " and ".join(parts) + " readable in the output: hide them, or "
                           "accept them as not sensitive", blocking, details, items=found)
    allowed = f", {len(found)} accepted as not sensitive" if found else ""
    return CheckResult(OCR_CHECK, PASSED,
                       f"no secret and none of {len(wanted)} redacted string(s) read in "
                       f"{reader.readings} reading(s) of {frames} frame(s){allowed}",
                       [], details, items=found)


def register() -> None:
    """Make every ``check_render`` of this process run the OCR scan."""
    register_check(OCR_CHECK, check_ocr_text, replace=True)


def leak_items(check: Any) -> list[LeakItem]:
    """The LeakItems of a LeakCheckResult (allowed ones included)."""
    c = check.check(OCR_CHECK) if hasattr(check, "check") else check
    return [i for i in (getattr(c, "items", None) or []) if isinstance(i, LeakItem)]
