"""The drafter: a short instruction for every step, offline and deterministic.

Sources, in order of trust:

1. the accessibility element under the press (its name and role; the name of the element it
   is labelled by, or of its parent, when it has none), and keyboard focus while typing;
2. the screen, read by the redaction's offline OCR (Tesseract): the words under the pointer
   inside the control's outline, and for an input field the nearest label to its left or
   above it; for typing with no known field, the field is where the typed text appeared;
3. the window title, and the position in the window, for a target that cannot be named:
   such a draft says so honestly and is marked weak.

Typed text, keys and the meaning of common hotkeys come from the step itself.  Everything
quoted passes ``privacy.Guard`` first.  The same inputs always give the same draft: no
clock, no randomness, and OCR is deterministic for a given frame and engine.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from annotator.drafts import ink
from annotator.drafts import phrasing as ph
from annotator.drafts import screen as sc
from annotator.drafts.elements import box4, box_of, menu_bar_entry, relation, role_name_of
from annotator.drafts.frames import FrameNotReady, FrameSource
from annotator.drafts.inputs import MOUSE_CLICKS, BundleContext, StepInput
from annotator.drafts.model import (
    DRAFTER_VERSION,
    SOURCE_A11Y,
    SOURCE_A11Y_LABEL,
    SOURCE_A11Y_PARENT,
    SOURCE_NONE,
    SOURCE_OCR,
    SOURCE_OCR_LABEL,
    Draft,
    Target,
)
from annotator.drafts.privacy import Guard
from annotator.edits.commands import similar
from annotator.jobs import Cancelled
from annotator.redaction.ocr import OcrError, OcrOptions, Word, ocr_batch, remove_rules

MAX_NAME = 60  # a longer accessible name is content (a paragraph, a document), not a label
MIN_OCR_CONF = 45.0
FIELD_KINDS = frozenset({ph.FIELD})
KEYS_ONLY = frozenset({"key", "hotkey", "wait", "terminate"})  # drafts that quote no screen


@dataclass
class _Named:
    target: Target
    quoted: list[dict[str, Any]] = field(default_factory=list)
    weak: str = ""  # why the target is weakly named ("" if it is not)
    hidden: str = ""  # the name exists but must not be said (``an e-mail address``)


def read_options(options: OcrOptions) -> OcrOptions:
    """How ``Drafter._read`` runs OCR: its images are prepared already (``screen.ink_image``,
    ``remove_rules``), each a block of text (page mode 6: finds short labels that sparse
    mode drops)."""
    return replace(options, scale=1.0, flatten=False, remove_rules=False, psm=6)


_LOADING = threading.Lock()


def load_ocr_engine(options: OcrOptions | None = None,
                    cancel: threading.Event | None = None) -> None:
    """Load the OCR engine drafting reads the screen with, so that the first step read does
    not wait for it (the engines are kept loaded, per settings, between calls): one
    recognition of a few strokes.  Callers at the same time wait for the first one's engine
    rather than load another.  Raises OcrError when OCR cannot run."""
    img = np.full((40, 60), 255, np.uint8)
    for x in range(12, 48, 9):
        img[12:28, x:x + 3] = 0  # "IIII": OCR skips a blank image without loading anything
    with _LOADING:
        ocr_batch([img], read_options(options or OcrOptions(workers=1)), cancel=cancel)


class Drafter:
    """Drafts for a list of steps (``StepInput``), in any order of priority."""

    def __init__(self, guard: Guard, frames: FrameSource | None = None, *, ocr: bool = True,
                 options: OcrOptions | None = None, context: BundleContext | None = None,
                 cancel: threading.Event | None = None) -> None:
        self.guard = guard
        self.context = context
        self.frames = frames
        self.ocr = ocr and frames is not None
        self.options = options or OcrOptions(workers=1)
        self.cancel = cancel
        self.ocr_error: str | None = None
        self.ocr_calls = 0
        self._words: OrderedDict[tuple[int, tuple[int, int, int, int]], list[Word]] = \
            OrderedDict()
        self._named: dict[str, _Named | None] = {}
        self._boxes: dict[tuple[int, int, int], sc.Box | None] = {}
        self._cache_lock = threading.Lock()
        self._local = threading.local()  # without_screen() on this thread
        self.engine = "ocr" if self.ocr else "no-ocr"
        if self.ocr:
            try:
                from annotator.redaction.ocr import tesseract_version

                self.engine = tesseract_version()
            except OcrError as exc:
                self.ocr = False
                self.ocr_error = exc.message
                self.engine = "no-ocr"

    # -- the public API -----------------------------------------------------------------------
    def key(self, steps: Sequence[StepInput], i: int,
            fingerprints: dict[int, str] | None = None) -> str:
        """What step ``i``'s draft depends on: itself, its neighbours' types (a click before
        typing is a field), the redactions over it, the drafter and the OCR engine.
        ``fingerprints``: kept between the calls for one list of steps (by index), so that
        each step's is computed once."""
        fps = fingerprints if fingerprints is not None else {}

        def fp(j: int) -> str:
            if j not in fps:
                fps[j] = steps[j].fingerprint()
            return fps[j]

        s = steps[i]
        prev = steps[i - 1] if i > 0 else None
        nxt = steps[i + 1] if i + 1 < len(steps) else None
        ids = [s.mask_id, *(p.mask_id for p in s.parts)]
        parts = [DRAFTER_VERSION, self.engine, fp(i),
                 fp(i - 1) if prev is not None and s.type == "type" else prev and prev.type,
                 nxt and nxt.type, nxt and nxt.t0,
                 self.guard.key(ids, min(s.obs_t or s.t0, s.t0), s.t1, s.window_title,
                                screen=any(p.type not in KEYS_ONLY for p in (s.parts or [s])))]
        return hashlib.sha1(repr(parts).encode()).hexdigest()[:16]

    def share_cache(self, other: Drafter) -> None:
        """Keep what ``other`` read off the screen (the redactions changed, not the frames)."""
        self._words, self._boxes, self._cache_lock = other._words, other._boxes, \
            other._cache_lock
        if not other.ocr and other.ocr_error:  # OCR is missing: do not ask again per step
            self.ocr, self.ocr_error, self.engine = False, other.ocr_error, "no-ocr"

    def warm_up(self) -> None:
        """Load the OCR engine ``_read`` uses now (a fifth of a second), not on the first
        step."""
        if not self.ocr:
            return
        try:
            load_ocr_engine(self.options, self.cancel)
        except OcrError as exc:
            self.ocr = False
            self.ocr_error = exc.message

    def frames_needed(self, s: StepInput) -> list[int]:
        """The frames drafting ``s`` may read (none without OCR)."""
        if not self.ocr:
            return []
        out = []
        for p in s.parts or [s]:
            out += [v for v in (p.obs_pts, p.result_pts if p.type == "type" else None)
                    if v is not None]
        return out

    def draft(self, steps: Sequence[StepInput], i: int) -> Draft:
        """The draft of step ``i`` (its neighbours give context)."""
        s = steps[i]
        key = self.key(steps, i)
        if s.parts:
            sub = [self._draft_one(s.parts, j, steps, i) for j in range(len(s.parts))]
            text = ph.join_parts([d.text for d in sub])
            weak = [d for d in sub if d.weak]
            return Draft(s.id, text, weak=bool(weak), why=weak[0].why if weak else "",
                         target=next((d.target for d in sub if d.target is not None), None),
                         quoted=[q for d in sub for q in d.quoted], key=key)
        d = self._draft_one(steps, i, steps, i)
        d.key = key
        return d

    def draft_many(self, steps: Sequence[StepInput], order: Iterable[int] | None = None,
                   on_draft: Callable[[Draft], None] | None = None) -> dict[str, Draft]:
        out: dict[str, Draft] = {}
        for i in (order if order is not None else range(len(steps))):
            if self.cancel is not None and self.cancel.is_set():
                raise Cancelled()
            d = self.draft(steps, i)
            out[d.step_id] = d
            if on_draft is not None:
                on_draft(d)
        return out

    def needs_screen(self, s: StepInput) -> bool:
        """Whether drafting this step may read its frames (OCR); False when accessibility
        or the step itself say everything."""
        if s.parts:
            return any(self.needs_screen(p) for p in s.parts)
        if s.type in MOUSE_CLICKS or s.type == "drag":
            el = s.element or {}
            name = ph.clean_name(el.get("name"))
            kind = ph.role_kind(role_name_of(el))
            return not name or kind in FIELD_KINDS or s.type == "drag" or bool(el.get("stale"))
        if s.type == "type":
            f = s.focus or {}
            return not ph.clean_name(f.get("name"))
        return False

    # -- one step ---------------------------------------------------------------------------
    def _draft_one(self, steps: Sequence[StepInput], i: int, outer: Sequence[StepInput],
                   oi: int) -> Draft:
        s = steps[i]
        t = s.type
        if t in MOUSE_CLICKS:
            return self._click(steps, i, outer, oi)
        if t == "drag":
            return self._drag(s)
        if t == "scroll":
            return self._scroll(s)
        if t == "type":
            return self._type(steps, i, outer, oi)
        if t in ("key", "hotkey"):
            if self.guard.keys_masked(s.mask_id):
                return Draft(s.id, "Press the masked keys")
            return Draft(s.id, ph.key_phrase(s.keys or [], s.repeat))
        if t == "wait":
            secs = (s.duration_us or 0) / 1e6
            return Draft(s.id, f"Wait {secs:.0f} s" if secs >= 1.5 else "Wait a moment")
        if t == "terminate":
            return Draft(s.id, {"success": "Finish: the task is done",
                                "failure": "Stop: the task failed",
                                "infeasible": "Stop: the task cannot be done",
                                "abandoned": "Stop: the task was abandoned"}.get(
                                    str(s.terminal_status), "Stop"))
        return Draft(s.id, t.replace("_", " ").capitalize(), weak=True, why="unknown action")

    def _next_is_typing(self, outer: Sequence[StepInput], oi: int, steps: Sequence[StepInput],
                        i: int) -> bool:
        if i + 1 < len(steps):
            nxt = steps[i + 1]
        elif oi + 1 < len(outer):
            nxt = outer[oi + 1]
        else:
            return False
        return nxt.type == "type" and nxt.window_title == steps[i].window_title

    def _click(self, steps: Sequence[StepInput], i: int, outer: Sequence[StepInput],
               oi: int) -> Draft:
        s = steps[i]
        # A single click right before typing went into a field (a double click on an item
        # opens or edits it).
        typing_next = s.type == "click" and self._next_is_typing(outer, oi, steps, i)
        named = self.name_at(s, s.x, s.y, s.element, field_hint=typing_next)
        tg = named.target
        if tg.name:
            checked = "checked" in ((s.element or {}).get("states") or [])
            text = ph.click_phrase(s.type, tg.name, tg.kind, checked=checked,
                                   context=self._context(s))
            return Draft(s.id, text, weak=bool(named.weak), why=named.weak, target=tg,
                         quoted=named.quoted)
        return Draft(s.id, self._weak_click_text(s, named), weak=True,
                     why=named.weak or "the target has no readable name", target=tg)

    def _weak_click_text(self, s: StepInput, named: _Named) -> str:
        tg = named.target
        if named.hidden:
            what = {ph.ITEM: "item", ph.ROW: "row", ph.CELL: "cell", ph.FIELD: "field"}.get(
                tg.kind or "", "item")
            what = f"{what} showing {named.hidden}" if named.hidden != "redacted" \
                else f"redacted {what}"
        else:
            what = {None: "unlabelled control", ph.BUTTON: "unlabelled button",
                    ph.ICON: "icon", ph.FIELD: "field", ph.CELL: "cell",
                    ph.ROW: "row"}.get(tg.kind, f"unlabelled {tg.kind}")
        box = s.window_box
        window = self.guard.title(s.window_title)
        x, y = int(s.x or 0), int(s.y or 0)
        if box is not None and sc.contains(box4(box), x, y):
            where = ph.position_words(x, y, box4(box))
            return ph.weak_click_phrase(s.type, what, where,
                                        ph.quote(ph.shorten(window, 40)) if window else None)
        size = self.context.bundle.size if self.context is not None else None
        where = ph.position_words(x, y, (0, 0, *size)) if size else "middle"
        return ph.weak_click_phrase(s.type, what, where, None)

    def _context(self, s: StepInput) -> str | None:
        """Where the control is, when the recording says: its toolbar, menu or dialog."""
        parent = relation(s.element or {}, "parent")
        if not parent:
            return None
        role = (role_name_of(parent) or "").lower()
        name = ph.clean_name(parent.get("name"))
        if not name or len(name) > 40:
            return None
        if self.guard.screen_text(name, box_of(parent.get("box")), s.t0, s.t1) is not None:
            return None
        if role == "tool bar":
            return f"the {name} toolbar"
        if role == "dialog":
            return f"the {ph.quote(name)} dialog"
        if role == "menu":
            return f"the {ph.quote(name)} menu"
        if role in ("page tab", "panel", "grouping") and role != "panel":
            return f"the {ph.quote(name)} tab" if role == "page tab" else None
        return None

    # -- naming what is under a point -------------------------------------------------------------
    def name_at(self, s: StepInput, x: Any, y: Any, element: dict[str, Any] | None, *,
                field_hint: bool = False) -> _Named:
        """Name the control at (x, y) of step ``s``'s observation frame."""
        memo = f"{s.id}:{x}:{y}:{field_hint}"
        known = self._named.get(memo)
        if known is not None:
            return known
        named = self._name_at(s, x, y, element, field_hint)
        self._named[memo] = named
        return named

    def _name_at(self, s: StepInput, x: Any, y: Any, element: dict[str, Any] | None,
                 field_hint: bool) -> _Named:
        """The step's target named by the cascade: the element's accessibility (its own
        name, a label, its parent), else the text on the screen at the point."""
        t0, t1 = min(s.obs_t if s.obs_t is not None else s.t0, s.t0), s.t1
        el = element or {}
        if el.get("stale") and not self._seen_on_screen(s, el):
            el = {}  # read after the screen changed, and not what the frame shows there
        role = role_name_of(el) if el else None
        kind = ph.role_kind(role)
        box = box_of(el.get("box"))
        hidden = ""
        if el:
            named, kind, role, box, hidden = self._name_from_element(s, el, kind, role, box,
                                                                     t0, t1)
            if named is not None:
                return named
        if hidden:
            return _Named(Target(None, kind, role, box, SOURCE_NONE), hidden=hidden,
                          weak=f"its name is {hidden}" if hidden != "redacted"
                          else "its name is redacted")
        return self._name_from_screen(s, x, y, kind, role, box, field_hint, t0, t1)

    def _name_from_element(self, s: StepInput, el: dict[str, Any], kind: str | None,
                           role: str | None, box: list[int] | None, t0: int, t1: int
                           ) -> tuple[_Named | None, str | None, str | None, list[int] | None,
                                      str]:
        """The element's own name, or a label or a parent standing in for a missing one;
        with the kind, role and box the screen reading goes on from when there is none,
        and why a name the guard hid was hidden."""
        hidden = ""
        parent = relation(el, "parent")
        pcand = None
        if parent:
            prole = role_name_of(parent)
            pkind = ph.role_kind(prole)
            if pkind not in (None, ph.LIST, ph.TABLE) and (prole or "").lower() \
                    not in ph.CONTAINER_ROLES:
                # a label or icon inside a button, a cell inside a row: the parent is
                # the control (its kind), and its name stands in for a missing one
                if kind in (None, ph.TEXT, ph.ICON):
                    kind, role = pkind, prole
                pcand = (SOURCE_A11Y_PARENT, parent.get("name"),
                         box_of(parent.get("box")) or box, kind, role or "")
        if kind == ph.MENU_ITEM and menu_bar_entry(el, box, s.window_box):
            kind = ph.MENU  # a menu bar's entries are "menu item"s too: they open menus
        cands: list[tuple[str, Any, list[int] | None, str | None, str]] = [
            (SOURCE_A11Y, el.get("name"), box, kind, role or "")]
        lab = relation(el, "labelled_by", "labelled-by", "label")
        if lab:
            cands.append((SOURCE_A11Y_LABEL, lab.get("name"), box_of(lab.get("box")) or box,
                          kind, role or ""))
        if pcand is not None:
            cands.append(pcand)
        container = (role or "").lower() in ph.CONTAINER_ROLES or kind in (ph.LIST,
                                                                          ph.TABLE)
        for source, raw, where, k, r in cands:
            name = ph.clean_name(raw)
            if not name or len(name) > MAX_NAME or (source == SOURCE_A11Y and container):
                continue
            if k in FIELD_KINDS and source == SOURCE_A11Y and name == ph.clean_name(
                    el.get("text")):
                continue  # a field named by its content, not a label
            why = self.guard.screen_text(name, where, t0, t1)
            if why is not None:
                hidden = hidden or why
                continue
            return (_Named(Target(name, k, r or None, where, source),
                           [{"text": name, "box": where, "via": source}]),
                    kind, role, box, hidden)
        if container:
            kind, role = None, None
            box = None
        return None, kind, role, box, hidden

    def _name_from_screen(self, s: StepInput, x: Any, y: Any, kind: str | None,
                          role: str | None, box: list[int] | None, field_hint: bool,
                          t0: int, t1: int) -> _Named:
        """The target named from the picture: a field's label beside it, else the phrase
        under the pointer (never a hidden or unreadable one)."""
        if x is None or y is None:
            return _Named(Target(None, kind, role, box, SOURCE_NONE), weak="no position")
        frame = self._frame(s.obs_pts)
        if frame is None or not self.ocr:
            unread = self.ocr_error or ("no frame before this step" if frame is None
                                        else "not read (OCR off)")
            return _Named(Target(None, kind, role, box, SOURCE_NONE), weak=unread)
        x, y = int(x), int(y)
        trusted = box is not None  # the element's own box: its text is inside it
        if box is None:
            box = self._control_box(s.obs_pts, frame, x, y)
        as_field = kind in FIELD_KINDS or (kind is None and field_hint)
        if as_field:
            named = self._field_label(s, frame, box, x, y, t0, t1, role)
            if named is not None:
                return named
            if kind in FIELD_KINDS:
                return _Named(Target(None, ph.FIELD, role, box, SOURCE_NONE),
                              weak="no label found beside the field")
        p = self._phrase_under(s.obs_pts, frame, x, y, box, trusted=trusted)
        if p is None:
            if as_field or field_hint:
                return _Named(Target(None, ph.FIELD, role, box, SOURCE_NONE),
                              weak="no label found beside the field")
            return _Named(Target(None, kind, role, box, SOURCE_NONE),
                          weak="no text under the pointer")
        name = ph.clean_name(p.text)
        pbox = list(p.box)
        why = self.guard.screen_text(name, pbox, t0, t1, ocr=True)
        if why is None and box is not None:  # a redaction over the control hides it too
            why = self.guard.screen_text(name, box, t0, t1, ocr=True)
        if why is not None:
            return _Named(Target(None, kind, role, box or pbox, SOURCE_NONE), hidden=why,
                          weak=f"its text is {why}" if why != "redacted" else "its text is redacted")
        if not name or not sc.is_readable(p, min_conf=MIN_OCR_CONF):
            return _Named(Target(None, kind, role, box or pbox, SOURCE_NONE),
                          weak="the text under the pointer is not clearly readable")
        short = sum(ch.isalnum() for ch in name) < 2
        if short and sc.colourful(frame, pbox):
            return _Named(Target(None, kind or ph.ICON, role, box or pbox, SOURCE_NONE),
                          weak="an icon with no text")
        return _Named(Target(name, kind, role, box or pbox, SOURCE_OCR),
                      [{"text": name, "box": pbox, "via": SOURCE_OCR}],
                      weak="a single character read off the screen: check it" if short
                      else "")

    def _seen_on_screen(self, s: StepInput, el: dict[str, Any]) -> bool:
        """An element read after the screen changed is trusted only if its name can be read
        in its box on the frame the contributor saw (a name-less one never is)."""
        name = ph.clean_name(el.get("name"))
        box = box_of(el.get("box"))
        frame = self._frame(s.obs_pts) if self.ocr else None
        if not name or box is None or frame is None or box[3] > 120 or box[2] > 1000:
            return False
        region = _clip(frame, (box[0] + 1, box[1] + 1, box[2] - 2, box[3] - 2))
        words = self._read(s.obs_pts, frame, region, near=(int(s.x or 0), int(s.y or 0)))
        read = " ".join(w.text for w in sorted(words, key=lambda w: (w.y // 8, w.x)))
        return similar(name, read) or name.casefold() in read.casefold()

    def _field_label(self, s: StepInput, frame: np.ndarray, box: list[int] | None, x: int,
                     y: int, t0: int, t1: int, role: str | None) -> _Named | None:
        fbox = box4(box) if box else (x - 4, y - 12, 8, 24)
        region = _label_region(frame, fbox)
        words = self._read(s.obs_pts, frame, region, exclude=tuple(fbox))
        ps = sc.split_at_edges(sc.phrases(words), words, frame)
        ps = [p for p in ps if sc.is_readable(p, min_conf=0)]
        p = sc.label_of_field(ps, fbox)
        if p is None:
            return None
        name = ph.clean_name(p.text)
        pbox = list(p.box)
        why = self.guard.screen_text(name, pbox, t0, t1, ocr=True)
        if why is not None:
            return _Named(Target(None, ph.FIELD, role, list(fbox), SOURCE_NONE), hidden=why,
                          weak="its label is " + why)
        if not name or not sc.is_readable(p, min_conf=MIN_OCR_CONF):
            return None
        return _Named(Target(name, ph.FIELD, role, list(fbox) if box else None,
                             SOURCE_OCR_LABEL),
                      [{"text": name, "box": pbox, "via": SOURCE_OCR_LABEL}])

    # -- other actions ---------------------------------------------------------------------
    def _drag(self, s: StepInput) -> Draft:
        path = s.path or []
        if s.x is None or s.y is None or len(path) < 2:
            return Draft(s.id, "Drag", weak=True, why="no path")
        end = path[-1]
        dx, dy = int(end["x"]) - int(s.x), int(end["y"]) - int(s.y)
        start = self.name_at(s, s.x, s.y, s.element)
        direction = ph.direction_words(dx, dy)
        tg = start.target
        if tg.kind == ph.SLIDER and tg.name:
            return Draft(s.id, f"Drag the {ph.quote(tg.name)} slider {direction}", target=tg,
                         quoted=start.quoted)
        if tg.kind == ph.SCROLLBAR:
            return Draft(s.id, f"Drag the scroll bar {direction}", target=tg)
        drop = self.name_at(s, end["x"], end["y"], None)
        if tg.name and drop.target.name and drop.target.name != tg.name:
            return Draft(s.id, f"Drag {ph.quote(tg.name)} onto {ph.quote(drop.target.name)}",
                         target=tg, end=drop.target, quoted=start.quoted + drop.quoted,
                         weak=bool(start.weak and tg.name is None))
        if tg.name:
            return Draft(s.id, f"Drag {ph.quote(tg.name)} {direction}", target=tg,
                         end=drop.target, quoted=start.quoted)
        return Draft(s.id, f"Drag {direction} from the {self._where(s, s.x, s.y)}", weak=True,
                     why=start.weak or "the dragged item has no readable name", target=tg,
                     end=drop.target)

    def _where(self, s: StepInput, x: Any, y: Any) -> str:
        box = s.window_box
        if box is not None and sc.contains(box4(box), int(x), int(y)):
            return ph.position_words(int(x), int(y), box4(box)) + " of the window"
        return "screen"

    def _scroll(self, s: StepInput) -> Draft:
        region = None
        if s.x is not None and s.y is not None and self.context is not None:
            region = self._scroll_region(s)
        if region is None:
            title = self.guard.title(s.window_title)
            if title:
                region = f"the {ph.quote(ph.shorten(title, 40))} window"
        return Draft(s.id, ph.scroll_phrase(int(s.scroll_dx or 0), int(s.scroll_dy or 0),
                                            region))

    def _scroll_region(self, s: StepInput) -> str | None:
        assert self.context is not None
        hits = self.context.hits_containing(int(s.x or 0), int(s.y or 0))
        best = None
        for h in sorted(hits, key=lambda h: (h["box"][2] * h["box"][3], h.get("t", 0))):
            kind = ph.role_kind(role_name_of(h))
            if kind in (ph.CELL, ph.ROW):
                best = best or "the table"
            elif kind == ph.ITEM:
                best = best or "the list"
            elif kind in (ph.LIST, ph.TABLE, ph.FIELD):
                name = ph.clean_name(h.get("name"))
                if name and self.guard.screen_text(name, box_of(h.get("box")), s.t0, s.t1) is None:
                    return f"the {name} {kind if kind != ph.FIELD else 'field'}"
                best = best or f"the {kind}"
        return best

    def _type(self, steps: Sequence[StepInput], i: int, outer: Sequence[StepInput],
              oi: int) -> Draft:
        s = steps[i]
        text = s.text or ""
        described: str | None
        password = (role_name_of(s.focus) or "").lower() == "password text"
        if s.masked or password:  # a password field's text is never shown, even unmasked
            shown, described = "", "the password"
        else:
            shown, described = self.guard.typed(s.mask_id, text, s.text_offset, s.full_text)
        field, quoted, tg = self._typing_field(steps, i, outer, oi)
        what = described if described else ph.quote(ph.shorten(shown, 80))
        if not text.strip() and not described:
            what = "spaces" if text else "nothing"
        return Draft(s.id, ph.type_phrase(what, field), target=tg, quoted=quoted)

    def _typing_field(self, steps: Sequence[StepInput], i: int, outer: Sequence[StepInput],
                      oi: int) -> tuple[str | None, list[dict[str, Any]], Target | None]:
        """The name of the field typed into (as "the <name> field" says it), if known."""
        s = steps[i]
        t0, t1 = s.t0, s.t1
        f = s.focus or {}
        if f:
            kind = ph.role_kind(role_name_of(f))
            name = ph.clean_name(f.get("name"))
            box = box_of(f.get("box"))
            if kind in FIELD_KINDS and name and len(name) <= MAX_NAME \
                    and self.guard.screen_text(name, box, t0, t1) is None:
                return name, [{"text": name, "box": box, "via": SOURCE_A11Y}], \
                    Target(name, ph.FIELD, role_name_of(f), box, SOURCE_A11Y)
            lab = relation(f, "labelled_by", "labelled-by", "label")
            if kind in FIELD_KINDS and lab:
                name = ph.clean_name(lab.get("name"))
                if name and self.guard.screen_text(name, box_of(lab.get("box")), t0, t1) is None:
                    return name, [{"text": name, "box": box, "via": SOURCE_A11Y_LABEL}], \
                        Target(name, ph.FIELD, role_name_of(f), box, SOURCE_A11Y_LABEL)
        prev = steps[i - 1] if i > 0 else (outer[oi - 1] if oi > 0 and steps is outer else None)
        if prev is not None and prev.type in MOUSE_CLICKS and prev.type != "right_click" \
                and prev.window_title == s.window_title:
            named = self.name_at(prev, prev.x, prev.y, prev.element,
                                 field_hint=prev.type == "click")
            tg = named.target
            if tg.kind == ph.FIELD and tg.name:
                return tg.name, named.quoted, tg
            if tg.kind in (ph.CELL, ph.ROW):
                return None, [], Target(None, ph.CELL, tg.role, tg.box, SOURCE_NONE)
            if tg.kind == ph.FIELD:
                return None, [], tg
            return None, [], None  # typed into what the click opened: no field to name
        # Where the typed text appeared: the field, and its label beside it.
        if not self.ocr or s.obs_pts is None or s.result_pts is None or s.masked:
            return None, [], None
        before, after = self._frame(s.obs_pts), self._frame(s.result_pts)
        if before is None or after is None:
            return None, [], None
        near = (int(prev.x), int(prev.y)) \
            if prev is not None and prev.x is not None and prev.y is not None else None
        changed = sc.changed_box(before, after, near)
        if changed is None:
            return None, [], None
        cx, cy = changed[0] + min(changed[2], 40) // 2, changed[1] + changed[3] // 2
        box = self._control_box(s.obs_pts, before, cx, cy)
        if box is None or not sc.inside(changed, box4(box), slack=12):
            box = list(changed)
        found = self._field_label(s, before, box, cx, cy, min(s.obs_t or t0, t0), t1, None)
        if found is not None and found.target.name:
            return found.target.name, found.quoted, found.target
        return None, [], Target(None, ph.FIELD, None, box, SOURCE_NONE)

    # -- frames and OCR ---------------------------------------------------------------------
    @contextmanager
    def without_screen(self) -> Iterator[None]:
        """Drafts made meanwhile on this thread never read a frame: one that would (its
        target's name is not usable after all, a neighbour's must be read) raises
        FrameNotReady instead (the UI thread drafts what needs no OCR this way)."""
        self._local.no_screen = True
        try:
            yield
        finally:
            self._local.no_screen = False

    def _frame(self, pts: int | None) -> np.ndarray | None:
        if pts is None or self.frames is None:
            return None
        if getattr(self._local, "no_screen", False) and self.ocr:
            raise FrameNotReady(int(pts))
        return self.frames.get(int(pts))

    def _control_box(self, pts: int | None, frame: np.ndarray, x: int, y: int
                     ) -> list[int] | None:
        key = (int(pts or -1), x, y)
        if key not in self._boxes:
            self._boxes[key] = sc.control_box(frame, x, y)
        b = self._boxes[key]
        return list(b) if b else None

    def _phrase_under(self, pts: int | None, frame: np.ndarray, x: int, y: int,
                      box: list[int] | None, *, trusted: bool = False) -> sc.Phrase | None:
        """The text of the control at (x, y): read inside its outline when it has one (its
        own fill is the background), else in a band around the point; read again in a
        wider band when what was found is cut by the edge of what was read.  With a
        ``trusted`` box (the accessibility element's), only inside it."""
        attempts: list[tuple[tuple[int, int, int, int], sc.Box | None]] = []
        # A control-sized outline is read by itself (its fill is the background); a larger
        # one (a panel, a list) is read in a band around the point, like no outline.
        if box is not None and 8 <= box[3] <= 64 and box[2] <= 1000:
            attempts.append((_clip(frame, (box[0] + 2, box[1] + 2, box[2] - 4, box[3] - 4)),
                             box4(box)))
        small = box is not None and box[2] <= 140 and box[3] <= 64
        if not trusted:  # bands around the point, without the lines their edges cut
            for band in ((x - 260, y - 22, 520, 44), (x - 520, y - 30, 1040, 60)):
                attempts.append((ink.fit_to_lines(frame, _clip(frame, band), y, x=x), None))
        if not trusted and not small and sc.colourful(frame, (x - 10, y - 10, 21, 21)) \
                and ink.icon_at(frame, x, y):
            # On an icon, with no outline of its own around it: the text around belongs to
            # other controls (a button's text under its icon has the button's outline).
            # Coloured text (a link) and an indicator followed by its label are no icon.
            return None
        best: sc.Phrase | None = None
        for region, within in attempts:
            if within is None and small and best is None:
                break  # a small outline with nothing readable in it: no text of its own
            p = self._phrase_in(pts, frame, region, within, x, y)
            if p is None:
                continue
            # Inside an outline the text fills its height: only a cut at a side counts.
            cut = _touches_edge(p, region, frame, vertical=within is None)
            if not cut and sc.is_readable(p, min_conf=MIN_OCR_CONF):
                return p
            if best is None or (not cut and p.conf > best.conf):
                best = p
        if best is not None and not sc.is_readable(best, min_conf=MIN_OCR_CONF):
            # Read unsure among other lines and controls: read once more on its own, and
            # taken when it reads the same, surely (not a new reading: an icon's noise).
            alone = _clip(frame, (best.x - 8, best.y - 5, best.w + 16, best.h + 10))
            p = self._phrase_in(pts, frame, alone, alone, x, y)
            if p is not None and sc.is_readable(p, min_conf=MIN_OCR_CONF) \
                    and similar(p.text, best.text):
                return p
        return best

    def _phrase_in(self, pts: int | None, frame: np.ndarray, region: tuple[int, int, int, int],
                   within: sc.Box | None, x: int, y: int) -> sc.Phrase | None:
        """The phrase at (x, y) read in ``region`` (inside the control's box ``within``)."""
        words = self._read(pts, frame, region, near=(x, y))
        # Icons read as a letter or two are not text: never part of a name.
        words = [w for w in words if not (len(w.text) <= 3 and sc.colourful(frame, w.rect))]
        ps = sc.split_at_edges(sc.phrases(words), words, frame)
        ps = [sc.drop_indicator(p, words) for p in ps]
        keys = [p.box for p in ps if sc.is_shortcut(p.text)]  # a menu row's, not its name
        ps = [p for p in ps if sc.is_readable(p, min_conf=0) and not sc.is_shortcut(p.text)]
        return sc.phrase_at(ps, x, y, within, blank=None if within is not None else (
            lambda a, b, yy: sc.blank_between(frame, a, b, yy, skip=keys)))

    def _read(self, pts: int | None, frame: np.ndarray, region: tuple[int, int, int, int],
              near: tuple[int, int] | None = None,
              exclude: tuple[int, ...] | None = None) -> list[Word]:
        """OCR of one region of a frame (boxes in frame pixels).  The background is the
        most common colour around ``near`` (or of the region outside ``exclude``: a
        field's label is on the window, not in the field), so that text of any colour on
        any fill reads as black on white (``screen.ink_image``); frames and rules are
        removed (Tesseract skips framed text)."""
        key = (int(pts or -1), region)
        with self._cache_lock:
            if key in self._words:
                self._words.move_to_end(key)
                return self._words[key]
        x, y, w, h = region
        if w < 6 or h < 6:
            return []
        crop = frame[y:y + h, x:x + w]
        if near is not None:
            nx, ny = near[0] - x, near[1] - y
            patch = crop[max(0, ny - 10):ny + 10, max(0, nx - 40):nx + 40]
            bg = sc.dominant_colour(patch if patch.size else crop)
        elif exclude is not None:
            mask = np.ones(crop.shape[:2], bool)
            ex, ey = int(exclude[0]) - x, int(exclude[1]) - y
            mask[max(0, ey):max(0, ey + int(exclude[3])),
                 max(0, ex):max(0, ex + int(exclude[2]))] = False
            outside = crop[mask]
            bg = sc.dominant_colour(outside[:, None, :] if outside.size else crop)
        else:
            bg = sc.dominant_colour(crop)
        scale = 3.0 if h <= 70 else 2.0
        pad = 20
        crop = ink.paint_out_icons(crop, bg)
        img = remove_rules(sc.ink_image(crop, bg, scale=scale, pad=pad), int(40 * scale),
                           int(27 * scale))
        try:
            raw = ocr_batch([img], read_options(self.options), cancel=self.cancel)[0]
        except OcrError as exc:
            self.ocr = False
            self.ocr_error = exc.message
            return []
        self.ocr_calls += 1
        words = []
        for wd in raw:
            x0 = x + (wd.x - pad) / scale
            y0 = y + (wd.y - pad) / scale
            word = replace(wd, x=int(x0), y=int(y0), w=max(1, round(wd.w / scale)),
                           h=max(1, round(wd.h / scale)))
            words.append(replace(word, text=ink.fix_first_capital(word.text, frame, word.rect,
                                                                  bg)))
        with self._cache_lock:
            self._words[key] = words
            while len(self._words) > 256:
                self._words.popitem(last=False)
        return words


def _touches_edge(p: sc.Phrase, region: tuple[int, int, int, int], frame: np.ndarray, *,
                  vertical: bool = True) -> bool:
    """The phrase reaches the edge of the region read (it may go on beyond it), and the
    region's edge is not the frame's."""
    x, y, w, h = region
    H, W = frame.shape[:2]
    side = (p.x <= x + 1 and x > 0) or (p.x + p.w >= x + w - 1 and x + w < W)
    return side or (vertical and ((p.y <= y + 1 and y > 0)
                                  or (p.y + p.h >= y + h - 1 and y + h < H)))


def _clip(frame: np.ndarray, r: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    H, W = frame.shape[:2]
    x0, y0 = max(0, int(r[0])), max(0, int(r[1]))
    x1, y1 = min(W, int(r[0] + r[2])), min(H, int(r[1] + r[3]))
    return (x0, y0, max(0, x1 - x0), max(0, y1 - y0))


def _label_region(frame: np.ndarray, fbox: Sequence[int]) -> tuple[int, int, int, int]:
    """Left of a field on its line, and the strip above it: where its label is."""
    fx, fy, fw, fh = (int(v) for v in fbox)
    top = fy - 44
    return _clip(frame, (fx - 420, top, 420 + min(fw, 360), fy + fh + 4 - top))
