"""Nothing sensitive enters a draft.

Every string a draft could quote passes through here first, whatever it came from:

- text read off the screen (an accessibility name, OCR): the redaction detectors (e-mail,
  phone, card, IBAN, keys and tokens, the contributor's deny-list...) must find nothing in
  it, and no box redaction may cover where it was read, at any time of the step; text OCR
  read must not be shaped like a value either (dense digits, an address, a long token),
  which the redaction suggests hiding even when no detector can name it (OCR may have
  misread a character of a card or account number);
- typed text: the contributor's text masks replace their characters, a password field's
  keys were never recorded, and detector hits are described (``an e-mail address``), never
  quoted;
- window titles: not if the contributor masked the title, or a detector finds anything;
- keys: not if the contributor masked them.

A text the contributor accepted as not sensitive (a leak-check ``allow`` entry, matched as
the leak check matches) may be quoted.  ``Guard.key`` is what a draft depends on, so that
drafts are made again after every change of the redactions that concern their step.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from annotator.edits.redactions import ANY_DETECTOR, PLACEHOLDER
from annotator.redaction.detect import Detector, Span
from annotator.redaction.leakscan import describe_kind, fold
from annotator.redaction.screen_text import looks_like_a_value
from annotator.redaction.spans import DENY_LIST, UNREAD_VALUE

Box = tuple[int, int, int, int]



def kind_words(kind: str) -> str:
    return {DENY_LIST: "private text", UNREAD_VALUE: "a value"}.get(kind) or describe_kind(kind)


def _intersects(a: Sequence[int], b: Sequence[int]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


class Guard:
    """The redactions of one recording (edit list entries) and the detectors."""

    def __init__(self, redactions: Iterable[Mapping[str, Any]] = (), *,
                 deny_list: Iterable[str] = (), detector: Detector | None = None) -> None:
        self.deny_list = [str(d) for d in deny_list]
        self.detector = detector or Detector(self.deny_list)
        self.boxes: list[tuple[int, int, Any]] = []
        self.text_masks: dict[str, list[tuple[int, int]]] = {}
        self.titles: set[str] = set()
        self.keys: set[str] = set()
        self.allowed: list[tuple[str, str]] = []  # (folded text, detector kind or "*")
        for r in redactions:
            kind = r.get("kind")
            if kind == "box" and isinstance(r.get("t_start_us"), int):
                self.boxes.append((int(r["t_start_us"]), int(r.get("t_end_us") or 0),
                                   r.get("rect")))
            elif kind == "text" and r.get("step_id"):
                self.text_masks.setdefault(str(r["step_id"]), []).append(
                    (int(r.get("start") or 0), int(r.get("end") or 0)))
            elif kind == "title" and r.get("title"):
                self.titles.add(str(r["title"]))
            elif kind == "keys" and r.get("step_id"):
                self.keys.add(str(r["step_id"]))
            elif kind == "allow" and r.get("text"):
                self.allowed.append((fold(str(r["text"])), str(r.get("detector") or "*")))

    # -- what a step's draft depends on ------------------------------------------------------
    def boxes_during(self, t0: int, t1: int) -> list[Any]:
        return [rect for a, b, rect in self.boxes if a <= t1 and t0 <= b]

    def key(self, step_ids: Iterable[str], t0: int, t1: int, title: str | None, *,
            screen: bool = True) -> str:
        """A short hash of everything here that can change a draft of steps ``step_ids``
        spanning ``t0``..``t1`` (in the window ``title``); boxes only if the draft may
        quote the screen (``screen``)."""
        ids = sorted(step_ids)
        state = {
            "boxes": sorted(json.dumps(r) for r in self.boxes_during(t0, t1)) if screen else [],
            "masks": {i: sorted(self.text_masks.get(i, [])) for i in ids if i in self.text_masks},
            "keys": [i for i in ids if i in self.keys],
            "title": bool(title and title in self.titles),
            "allow": sorted(self.allowed),
            "deny": sorted(self.deny_list),
        }
        return hashlib.sha1(json.dumps(state, sort_keys=True).encode()).hexdigest()[:16]

    # -- checks ------------------------------------------------------------------------------
    def _allowed(self, span: Span) -> bool:
        f = fold(span.text)
        return any(f and f == a and (k == ANY_DETECTOR or k == span.kind) for a, k in self.allowed)

    def findings(self, text: str, *, ocr: bool = False) -> list[Span]:
        """Detector spans in ``text`` not accepted as not sensitive."""
        return [s for s in self.detector.detect(text, ocr=ocr) if not self._allowed(s)]

    def under_redaction(self, box: Sequence[int] | None, t0: int, t1: int) -> bool:
        """A box redaction covers (part of) ``box`` at some time of ``t0``..``t1``."""
        for rect in self.boxes_during(t0, t1):
            if rect == "full":
                return True
            if box is not None and rect is not None and _intersects(box, rect):
                return True
        return False

    def screen_text(self, text: str, box: Sequence[int] | None, t0: int, t1: int, *,
                    ocr: bool = False) -> str | None:
        """Why ``text`` read off the screen at ``box`` must not be quoted, or None if it may."""
        if self.under_redaction(box, t0, t1):
            return "redacted"
        spans = self.findings(text, ocr=ocr)
        if spans:
            return kind_words(spans[0].kind)
        if ocr and looks_like_a_value(text):
            return kind_words(UNREAD_VALUE)
        if any(fold(t) and fold(t) in fold(text) for t in self.titles if len(fold(t)) >= 4):
            return "redacted"
        return None

    def title(self, title: str | None) -> str | None:
        """The window title if it may be quoted, else None."""
        if not title or title in self.titles or self.findings(title):
            return None
        return title

    def keys_masked(self, step_id: str) -> bool:
        return step_id in self.keys

    def typed(self, step_id: str, text: str, offset: int = 0,
              whole: str | None = None) -> tuple[str, str | None]:
        """Typed text as a draft may show it: ``(text, None)`` with the contributor's masks
        applied (placeholders), or ``("", description)`` when what was typed must only be
        described (``an e-mail address``, ``private text``).  ``text`` is
        ``whole[offset:]`` (a part of a split typing step): the detectors read ``whole``, so
        that an address cut in two by a split is still found in each half."""
        def local(a: int, b: int) -> tuple[int, int]:
            return max(0, a - offset), min(len(text), b - offset)

        masks = [local(a, b) for a, b in self.text_masks.get(step_id, [])]
        masks = [(a, b) for a, b in masks if b > a]
        if whole is None or whole[offset:offset + len(text)] != text:
            whole, offset = text, 0
        spans = [s for s in self.findings(whole) if local(s.start, s.end)[1] >
                 local(s.start, s.end)[0]]
        covered = sorted(masks + [local(s.start, s.end) for s in spans])
        if not covered:
            return text, None
        # Mostly private (or every character of it): describe it rather than show
        # placeholders in quotes.
        hidden = sum(b - a for a, b in _merge(covered))
        visible = len(text.strip()) - hidden
        if visible < max(3, 0.3 * len(text.strip())):
            if spans and not masks:
                return "", kind_words(spans[0].kind)
            return "", "private text"
        out, last = [], 0
        for a, b in _merge(covered):
            out.append(text[last:a])
            out.append(PLACEHOLDER)
            last = b
        out.append(text[last:])
        return "".join(out), None


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out
