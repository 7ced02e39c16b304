"""Drafts of one recording, as the editor, the CLI and the submission checklist ask for them.

``RecordingDrafts`` holds what drafting needs (the bundle's accessibility and window
records, the redactions, the detectors, a frame source) and the drafts made so far:

    rd = RecordingDrafts.open(folder, edits=session.edits, deny_list=deny)
    rd.update_steps(session.result.all_steps)      # or after every edit that matters
    rd.quick()                                     # reuse stored drafts, draft what needs no OCR
    rd.run(order=rows_on_screen_first)             # the rest (OCR), cancellable
    rd.save()                                      # drafts.json, for the next opening
    rd.drafts[step_id].text

Drafting a step that needs no OCR costs microseconds; one that reads the screen costs one
small Tesseract run (tens of milliseconds).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from annotator.bundle.reader import Bundle
from annotator.drafts.drafter import Drafter
from annotator.drafts.frames import FrameNotReady, ThreadFrames
from annotator.drafts.inputs import BundleContext, StepInput, result_inputs
from annotator.drafts.model import Draft
from annotator.drafts.privacy import Guard
from annotator.drafts.store import read_drafts, write_drafts
from annotator.redaction.ocr import OcrOptions


class RecordingDrafts:
    def __init__(self, folder: Path, bundle: Bundle, *, redactions: Iterable[Mapping[str, Any]],
                 deny_list: Iterable[str] = (), ocr: bool = True,
                 options: OcrOptions | None = None) -> None:
        self.folder = folder
        self.bundle = bundle
        self.context = BundleContext(bundle)
        self.deny_list = list(deny_list)
        self.ocr_wanted = ocr
        self.options = options or OcrOptions(workers=1)
        self.cancel = threading.Event()
        self._frames: ThreadFrames | None = None
        self.redactions = [dict(r) for r in redactions]
        self.guard = Guard(self.redactions, deny_list=self.deny_list)
        self.drafter = self._new_drafter()
        self.stored = read_drafts(folder)
        self.drafts: dict[str, Draft] = {}
        self.inputs: list[StepInput] = []
        self._index: dict[str, int] = {}
        self._keys: dict[str, str] = {}
        self._fingerprints: dict[int, str] = {}  # of ``inputs``, by index
        self._busy: set[str] = set()  # being drafted by some thread
        self._older: dict[str, Draft] = {}  # drafts replaced since opening
        self._waiting: set[str] = set()  # their frame is not cached yet (FrameNotReady)
        self._lock = threading.RLock()

    @classmethod
    def open(cls, folder: str | Path, *, edits: Any = None,
             redactions: Iterable[Mapping[str, Any]] | None = None,
             deny_list: Iterable[str] = (), ocr: bool = True,
             options: OcrOptions | None = None) -> RecordingDrafts:
        folder = Path(folder)
        if redactions is None:
            redactions = edits.redactions if edits is not None else []
        return cls(folder, Bundle.open(folder), redactions=redactions, deny_list=deny_list,
                   ocr=ocr, options=options)

    def _new_drafter(self) -> Drafter:
        if self._frames is None and self.bundle.video_path.is_file():
            self._frames = ThreadFrames(self.folder, self.bundle.video_path)
        return Drafter(self.guard, self._frames, ocr=self.ocr_wanted, options=self.options,
                       context=self.context, cancel=self.cancel)

    @property
    def ocr_note(self) -> str | None:
        """Why drafts could not read the screen, when they could not."""
        return self.drafter.ocr_error

    # -- inputs -------------------------------------------------------------------------
    def update_steps(self, result_steps: Sequence[Any]) -> None:
        """The edited steps (``ApplyResult.all_steps``) to draft; drafts whose inputs did
        not change are kept."""
        self.set_inputs(result_inputs(result_steps, self.context))

    def set_inputs(self, inputs: Sequence[StepInput]) -> None:
        """The steps to draft as the drafter reads them (``update_steps`` makes them; the
        drafting process is sent them)."""
        with self._lock:
            self.inputs = list(inputs)
            self._index = {s.id: i for i, s in enumerate(self.inputs)}
            fps: dict[int, str] = {}
            self._keys = {s.id: self.drafter.key(self.inputs, i, fps)
                          for i, s in enumerate(self.inputs)}
            self._fingerprints = fps
            for sid, d in self.drafts.items():
                if self._keys.get(sid) != d.key:
                    self._older[sid] = d
            self.drafts = {sid: d for sid, d in self.drafts.items()
                           if self._keys.get(sid) == d.key}

    def update_redactions(self, redactions: Iterable[Mapping[str, Any]]) -> list[str]:
        """New redactions: every draft whose key changed is dropped (and made again by
        ``quick``/``run``).  Returns the ids of the steps concerned."""
        with self._lock:
            self.redactions = [dict(r) for r in redactions]
            self.guard = Guard(self.redactions, deny_list=self.deny_list)
            old = self.drafter
            self.drafter = self._new_drafter()
            self.drafter.share_cache(old)
            before = dict(self._keys)
            self._keys = {s.id: self.drafter.key(self.inputs, i, self._fingerprints)
                          for i, s in enumerate(self.inputs)}
            changed = [sid for sid, k in self._keys.items() if before.get(sid) != k]
            for sid in changed:
                old_draft = self.drafts.pop(sid, None)
                if old_draft is not None:
                    self._older[sid] = old_draft
            return changed

    # -- drafting ------------------------------------------------------------------------
    def missing(self) -> list[str]:
        with self._lock:
            return [s.id for s in self.inputs if s.id not in self.drafts]

    def quick(self) -> list[str]:
        """Reuse stored drafts with the same key, and draft every step that needs no OCR
        (never reading a frame: fit for the UI thread).  Returns the ids drafted or
        reused."""
        done = []
        with self._lock:
            for i, s in enumerate(self.inputs):
                if s.id in self.drafts:
                    continue
                stored = self.stored.get(s.id)
                if stored is not None and stored.key == self._keys.get(s.id):
                    self.drafts[s.id] = stored
                    done.append(s.id)
                elif not self.drafter.needs_screen(s) or not self.drafter.ocr:
                    try:
                        with self.drafter.without_screen():
                            d = self.drafter.draft(self.inputs, i)
                    except FrameNotReady:
                        continue  # it reads the screen after all: ``run`` drafts it
                    d.remember(self._older.get(s.id) or stored)
                    self.drafts[s.id] = d
                    done.append(s.id)
        return done

    def next_missing(self, order: Iterable[str] = (), *, only: bool = False) -> str | None:
        """The next step to draft: the first of ``order`` without a draft (and not being
        drafted), else (unless ``only``) the first of all."""
        with self._lock:
            skip = self._busy | self._waiting
            for sid in order:
                if sid in self._index and sid not in self.drafts and sid not in skip:
                    return sid
            if only:
                return None
            for s in self.inputs:
                if s.id not in self.drafts and s.id not in skip:
                    return s.id
        return None

    def _frames_of(self, step_ids: Iterable[str]) -> list[int]:
        with self._lock:
            steps = [self.inputs[self._index[i]] for i in step_ids
                     if i in self._index and i not in self.drafts]
            drafter = self.drafter
        return [p for s in steps for p in drafter.frames_needed(s)]

    def frames_arrived(self, complete: bool = False) -> None:
        """The frame cache wrote more frames (``complete``: all it will): steps that were
        waiting for one may be drafted now."""
        with self._lock:
            self._waiting.clear()
            if complete and self._frames is not None:
                self._frames.decode_everywhere = True

    @property
    def frames_complete(self) -> bool:
        """Every frame is at hand (the frame cache is complete, or there is no video)."""
        return self._frames is None or self._frames.decode_everywhere

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting)

    def allow_decode(self, allowed: bool) -> None:
        """May the calling thread decode frames the cache does not have yet?"""
        if self._frames is not None:
            self._frames.allow_decode(allowed)

    def draft_one(self, sid: str) -> Draft | None:
        """Draft one step (outside the lock: the editor may change steps or redactions
        meanwhile, and a draft made from old inputs is then dropped, not kept)."""
        with self._lock:
            i = self._index.get(sid)
            if i is None or sid in self._busy:
                return None
            drafter, inputs = self.drafter, self.inputs
            self._busy.add(sid)
        try:
            d = drafter.draft(inputs, i)
        except FrameNotReady:
            with self._lock:
                if not self.frames_complete:  # (else: at hand now, the next try gets it)
                    self._waiting.add(sid)  # after the frame cache's next frames
            return None
        finally:
            with self._lock:
                self._busy.discard(sid)
        with self._lock:
            if self._keys.get(sid) != d.key or self.inputs is not inputs:
                return None
            d.remember(self._older.get(sid) or self.stored.get(sid))
            self.drafts[sid] = d
        return d

    def accept(self, d: Draft) -> bool:
        """A draft made elsewhere (the drafting process): kept if it was made from the
        steps and redactions as they are now (its key), else refused."""
        with self._lock:
            if d.step_id not in self._index or self._keys.get(d.step_id) != d.key:
                return False
            d.remember(self._older.get(d.step_id) or self.stored.get(d.step_id))
            self.drafts[d.step_id] = d
            return True

    def ready_again(self, step_ids: Iterable[str]) -> None:
        """Those of these steps waiting for frames that the frame cache has written since
        may be drafted now."""
        from annotator.media.framecache import cached

        with self._lock:
            waiting = [i for i in step_ids if i in self._waiting]
        for sid in waiting:
            if all(cached(self.folder, p) for p in self._frames_of([sid])):
                with self._lock:
                    self._waiting.discard(sid)

    def mark_failed(self, sid: str) -> None:
        """The drafter raised on this step: it gets an empty weak draft, not another try
        (until its inputs change)."""
        with self._lock:
            self.drafts.setdefault(sid, Draft(sid, "", weak=True,
                                              why="the drafter failed on this step",
                                              key=self._keys.get(sid, "")))

    def run(self, order: Iterable[str] | None = None,
            on_draft: Callable[[Draft], None] | None = None) -> int:
        """Draft every step still missing, the ids in ``order`` first.  Cancellable
        (``cancel.set()``: raises annotator.jobs.Cancelled).  Returns how many were made."""
        order = list(order or ())
        n = 0
        tried: set[str] = set()
        while True:
            sid = self.next_missing(order)
            if sid is None or sid in tried:
                return n
            tried.add(sid)
            d = self.draft_one(sid)
            if d is not None:
                n += 1
                if on_draft is not None:
                    on_draft(d)

    def draft_all(self) -> dict[str, Draft]:
        self.quick()
        self.run()
        return dict(self.drafts)

    def save(self) -> bool:
        with self._lock:
            merged = {**{k: v for k, v in self.stored.items() if k not in self._index},
                      **self.drafts}
            ok = write_drafts(self.folder, merged, meta={"bundle_id": self.bundle.id})
            if ok:
                self.stored = merged
            return ok

    def close(self) -> None:
        self.cancel.set()
        if self._frames is not None:
            self._frames.close()

    def texts(self) -> dict[str, tuple[str, bool]]:
        """``{step_id: (draft text, weak)}``, as ``EditSession.set_drafts`` takes them."""
        with self._lock:
            return {sid: (d.text, d.weak) for sid, d in self.drafts.items()}
