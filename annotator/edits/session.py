"""An editing session on one recording: what a (Qt) editor window holds and calls.

It ties together the edit list, its undo history, the edit file (saved after every change)
and the derived steps, and announces every change to its listeners with one ``Change``::

    session = EditSession.open(bundle_dir, steps=derived_steps)
    session.subscribe(on_change)          # e.g. emit a Qt signal from here
    for msg in session.messages: ...      # show what happened on open (recovery, read-only)
    session.trim(2_000_000, 95_000_000)   # "Trim"
    with session.transaction("Label 3 steps"):
        for sid in ids: session.set_mistake(sid, True)
    session.undo_text()                   # "Undo Label 3 steps"
    session.close()

Every method that changes something returns a Change, raises EditError (nothing changed)
for a request that makes no sense, EditsReadOnlyError (nothing changed) on a read-only
folder, and EditsSaveError when the change is made but could not be saved (it is kept in
memory and saved with the next change, ``flush()`` or ``close()``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from annotator.bundle.schema import read_manifest
from annotator.edits import commands as cmd
from annotator.edits import redactions as red
from annotator.edits.apply import ApplyResult, apply_edits
from annotator.edits.commands import Change, Command
from annotator.edits.errors import EditError, EditsFileError, EditsReadOnlyError
from annotator.edits.history import Listener, UndoHistory
from annotator.edits.model import EditList
from annotator.edits.store import EditStore
from annotator.edits.timeline import Timeline


class EditSession:
    def __init__(self, store: EditStore, history: UndoHistory, *,
                 steps: Sequence[Any] | None = None, duration_us: int | None = None,
                 pauses: Sequence[Mapping[str, Any]] = (), messages: Iterable[str] = ()) -> None:
        self.store = store
        self.history = history
        self.duration_us = duration_us
        self.pauses = list(pauses)
        self.messages: list[str] = list(messages)
        self.save_error: EditsFileError | None = None
        self._steps: list[Any] | None = list(steps) if steps is not None else None
        self._result: ApplyResult | None = None
        self._listeners: list[Listener] = []
        self._closed = False
        # The drafter's proposals, ``{step id: (text, weak)}`` (derived data, not edits: see
        # annotator.drafts); instructions set here get their origin from them.
        self.drafts: dict[str, tuple[str, bool]] = {}
        history.guard = self._check_writable
        history.subscribe(self._on_change)  # first listener: save before the UI hears

    @classmethod
    def open(cls, folder: str | os.PathLike[str], *, steps: Sequence[Any] | None = None,
             duration_us: int | None = None, lock: bool = True,
             **history_kwargs: Any) -> EditSession:
        """Open the edits of the bundle at ``folder`` (its manifest gives the recording's
        id, duration and pauses).  Raises BundleError / NewerSchemaError for the bundle,
        NewerEditsError for a newer edit file, EditsLockedError if another editor has it
        open."""
        folder = Path(folder)
        manifest = read_manifest(folder)
        store = EditStore(folder, recording_id=manifest.get("id"))
        if lock:
            store.lock()
        try:
            history, messages = store.load(**history_kwargs)
        except BaseException:
            store.unlock()
            raise
        if duration_us is None and isinstance(manifest.get("duration_us"), int):
            duration_us = manifest["duration_us"]
        session = cls(store, history, steps=steps, duration_us=duration_us,
                      pauses=manifest.get("pauses") or (), messages=messages)
        region = (manifest.get("capture") or {}).get("region") or {}
        if region.get("width") and region.get("height"):
            session.frame_size = (int(region["width"]), int(region["height"]))
        return session

    # -- state ------------------------------------------------------------------------
    @property
    def folder(self) -> Path:
        return self.store.folder

    @property
    def edits(self) -> EditList:
        return self.history.edits

    @property
    def read_only(self) -> bool:
        return self.store.read_only

    @property
    def unsaved(self) -> bool:
        """True while the file lacks edits held in memory (a save failed)."""
        return self.store.dirty

    @property
    def steps(self) -> list[Any] | None:
        return self._steps

    def set_steps(self, steps: Sequence[Any]) -> Change:
        """New derived steps (first derivation, or derived again): the result is redone."""
        self._steps = list(steps)
        self._result = None
        change = Change("Steps", "steps")
        self._broadcast(change)
        return change

    @property
    def result(self) -> ApplyResult:
        """The edited steps (recomputed lazily after each change)."""
        if self._result is None:
            self._result = apply_edits(self._steps or (), self.edits, duration_us=self.duration_us)
        return self._result

    @property
    def timeline(self) -> Timeline:
        return self.result.timeline

    # -- listeners ----------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _broadcast(self, change: Change) -> None:
        for listener in list(self._listeners):
            listener(change)

    def _on_change(self, change: Change) -> None:
        self._update_result(change)
        self._save()
        self._broadcast(change)

    def _update_result(self, change: Change) -> None:
        result = self._result
        # apply_edits reads neither the task nor redactions
        if result is None or not change.parts <= {"labels", "task", "redactions"}:
            self._result = None
            return
        # Only labels or the task changed: patch the labels, no need to apply everything.
        steps = [result.get(sid) for sid in change.step_ids]
        if any(step is None for step in steps):
            self._result = None  # a label of a step not in the result: orphans may change
            return
        for step in steps:
            assert step is not None
            step.label = self.edits.label(step.id)

    def _save(self) -> None:
        try:
            self.store.save(self.history)
            self.save_error = None
        except EditsFileError as exc:
            self.save_error = exc

    def _check_writable(self) -> None:
        if self._closed:
            raise EditError("This recording was closed.")
        if self.store.read_only:
            raise EditsReadOnlyError(
                f"The recording's folder ({self.folder}) is read-only, so it cannot be edited.",
                "Copy the recording to a writable disk, or fix the folder's permissions, "
                "and open it again.",
            )

    def _raise_save_error(self) -> None:
        if self.save_error is not None and not self.history.in_transaction:
            raise self.save_error

    # -- undo ---------------------------------------------------------------------------
    def _run(self, action: Callable[[], Any]) -> Any:
        if not self.history.in_transaction:
            self.save_error = None  # report only this action's save
        result = action()
        self._raise_save_error()
        return result

    def execute(self, command: Command) -> Change:
        return cast(Change, self._run(lambda: self.history.execute(command)))

    def undo(self) -> Change | None:
        return cast(Change | None, self._run(self.history.undo))

    def redo(self) -> Change | None:
        return cast(Change | None, self._run(self.history.redo))

    @property
    def can_undo(self) -> bool:
        return self.history.can_undo and not self.read_only

    @property
    def can_redo(self) -> bool:
        return self.history.can_redo and not self.read_only

    def undo_text(self) -> str:
        return self.history.undo_text()

    def redo_text(self) -> str:
        return self.history.redo_text()

    @contextmanager
    def transaction(self, name: str) -> Iterator[None]:
        if not self.history.in_transaction:
            self.save_error = None
        with self.history.transaction(name):
            yield
        self._raise_save_error()

    def break_coalescing(self) -> None:
        self.history.break_coalescing()

    @property
    def is_clean(self) -> bool:
        return self.history.is_clean

    def mark_clean(self) -> None:
        self.history.mark_clean()
        if not self.read_only:
            self._save()
            self._raise_save_error()

    # -- trim and cuts ------------------------------------------------------------------
    def trim(self, in_us: int | None, out_us: int | None) -> Change:
        return self.execute(cmd.set_trim(self.edits, in_us, out_us, duration_us=self.duration_us))

    def set_in_point(self, t_us: int) -> Change:
        return self.execute(cmd.set_in_point(self.edits, t_us, duration_us=self.duration_us))

    def set_out_point(self, t_us: int) -> Change:
        return self.execute(cmd.set_out_point(self.edits, t_us, duration_us=self.duration_us))

    def clear_trim(self) -> Change:
        return self.execute(cmd.clear_trim(self.edits))

    def cut(self, start_us: int, end_us: int) -> Change:
        return self.execute(cmd.cut(self.edits, start_us, end_us, duration_us=self.duration_us))

    def restore_range(self, start_us: int, end_us: int) -> Change:
        return self.execute(cmd.restore_range(self.edits, start_us, end_us))

    def cut_pauses(self) -> Change:
        """Cut every pause of the recording (nothing was captured in them)."""
        ranges = [(int(p["start_us"]), int(p["end_us"])) for p in self.pauses
                  if int(p.get("end_us", 0)) > int(p.get("start_us", 0))]
        if not ranges:
            return Change("Cut pauses", "do")
        return self.execute(cmd.cut_ranges(self.edits, ranges, duration_us=self.duration_us,
                                           name="Cut pauses"))

    # -- labels -------------------------------------------------------------------------
    def _label_result(self) -> ApplyResult | None:
        return self.result if self._steps is not None else None

    def set_drafts(self, drafts: Mapping[str, tuple[str, bool]]) -> None:
        """The current drafts (made again after redactions or re-derived steps)."""
        self.drafts = dict(drafts)

    def draft_of(self, step_id: str) -> str | None:
        d = self.drafts.get(step_id)
        return d[0] if d else None

    def set_instruction(self, step_id: str, text: str) -> Change:
        return self.execute(cmd.set_instruction(self.edits, step_id, text,
                                                result=self._label_result(),
                                                draft=self.draft_of(step_id)))

    def accept_draft(self, step_id: str) -> Change:
        """The step's draft becomes its instruction ("Accept draft"), weak or not."""
        text = self.draft_of(step_id)
        if not text:
            raise EditError("This step has no draft yet.", "Wait a moment, or write one.")
        if self.edits.label(step_id).instruction.strip():
            raise EditError("This step already has an instruction.",
                            "Edit it instead (Enter), or clear it first.")
        return self.execute(cmd.accept_drafts(self.edits, {step_id: text},
                                              result=self._label_result(),
                                              name="Accept draft"))

    def accept_drafts(self, step_ids: Iterable[str] | None = None, *,
                      include_weak: bool = False) -> Change:
        """"Accept all drafts": every kept step (or each of ``step_ids``) without an
        instruction takes its draft; weak drafts are left for the contributor to look at
        unless ``include_weak``.  One undoable entry."""
        if step_ids is None:
            step_ids = [s.id for s in self.result.steps]
        wanted = {}
        for sid in step_ids:
            d = self.drafts.get(sid)
            if d and d[0] and (include_weak or not d[1]):
                wanted[sid] = d[0]
        return self.execute(cmd.accept_drafts(self.edits, wanted, result=self._label_result()))

    def set_thought(self, step_id: str, text: str) -> Change:
        return self.execute(cmd.set_thought(self.edits, step_id, text,
                                            result=self._label_result()))

    def set_mistake(self, step_id: str, flag: bool) -> Change:
        return self.execute(cmd.set_mistake(self.edits, step_id, flag,
                                            result=self._label_result()))

    def set_redundant(self, step_id: str, flag: bool) -> Change:
        return self.execute(cmd.set_redundant(self.edits, step_id, flag,
                                              result=self._label_result()))

    # -- step structure ----------------------------------------------------------------
    def _structure_result(self) -> ApplyResult:
        if self._steps is None:
            raise EditError("The steps of this recording are not derived yet.",
                            "Wait until the step list is shown.")
        return self.result

    def delete_step(self, step_id: str) -> Change:
        return self.execute(cmd.delete_step(self.edits, self._structure_result(), step_id))

    def delete_steps(self, step_ids: Iterable[str]) -> Change:
        return self.execute(cmd.delete_steps(self.edits, self._structure_result(), step_ids))

    def restore_step(self, step_id: str) -> Change:
        return self.execute(cmd.restore_step(self.edits, step_id))

    def merge_steps(self, first_id: str, second_id: str) -> Change:
        return self.execute(cmd.merge_steps(self.edits, self._structure_result(), first_id,
                                            second_id))

    def unmerge(self, step_id: str) -> Change:
        return self.execute(cmd.unmerge(self.edits, step_id))

    def split_typing(self, step_id: str, offset: int, *,
                     events: Mapping[int, Mapping[str, Any]] | Iterable[Mapping[str, Any]]
                     | None = None) -> Change:
        """Split a typing step before character ``offset``; ``events`` (the bundle's raw
        events, by id or as a list) place the split at that key press."""
        if events is not None and not isinstance(events, Mapping):
            events = {int(e["id"]): e for e in events if "id" in e}
        return self.execute(cmd.split_typing(self.edits, self._structure_result(), step_id,
                                             offset, events=events))

    def unsplit(self, part_id: str) -> Change:
        return self.execute(cmd.unsplit(self.edits, part_id))

    def discard_orphans(self) -> Change:
        return self.execute(cmd.discard_orphans(self.edits, self.result.orphans))

    # -- task ---------------------------------------------------------------------------
    def set_goal(self, text: str) -> Change:
        return self.execute(cmd.set_goal(self.edits, text))

    def set_outcome(self, outcome: str | None) -> Change:
        return self.execute(cmd.set_outcome(self.edits, outcome))

    def set_applications(self, applications: Iterable[str]) -> Change:
        return self.execute(cmd.set_applications(self.edits, applications))

    def set_tags(self, tags: Iterable[str]) -> Change:
        return self.execute(cmd.set_tags(self.edits, tags))

    def add_tag(self, tag: str) -> Change:
        return self.execute(cmd.add_tag(self.edits, tag))

    def remove_tag(self, tag: str) -> Change:
        return self.execute(cmd.remove_tag(self.edits, tag))

    def set_difficulty(self, difficulty: int | None) -> Change:
        return self.execute(cmd.set_difficulty(self.edits, difficulty))

    # -- closing ---------------------------------------------------------------------------
    # -- redactions (see annotator/edits/redactions.py) -----------------------------------------
    frame_size: tuple[int, int] | None = None
    last_notes: list[str] = []

    def _red(self, built: Command | tuple[Command, list[str]]) -> Change:
        cmd, notes = built if isinstance(built, tuple) else (built, [])
        change = self.execute(cmd)
        self.last_notes = list(notes)
        return change

    def add_box(self, rect: Any, t_start_us: int, t_end_us: int, **kw: Any) -> Change:
        return self._red(red.add_box(self.edits, rect, t_start_us, t_end_us,
                                     size=self.frame_size, duration_us=self.duration_us, **kw))

    def update_box(self, rid: str, **fields: Any) -> Change:
        return self._red(red.update_box(self.edits, rid, size=self.frame_size,
                                        duration_us=self.duration_us, **fields))

    def remove_redaction(self, rid: str) -> Change:
        return self._red(red.remove(self.edits, rid))

    def mask_text(self, step_id: str, start: int = 0, end: int | None = None) -> Change:
        text = self._step_text(step_id)
        return self._red(red.mask_text(self.edits, step_id, text, start, end))

    def mask_title(self, title: str) -> Change:
        return self._red(red.mask_title(self.edits, title))

    def mask_keys(self, step_id: str) -> Change:
        return self._red(red.mask_keys(self.edits, step_id))

    def accept_suggestions(self, suggestions: Iterable[Any]) -> Change:
        texts = {getattr(s, "id", None) or s.get("id"): (getattr(s, "text", None)
                 if not isinstance(s, Mapping) else s.get("text")) or ""
                 for s in (self._steps or [])}
        return self._red(red.accept_suggestions(self.edits, suggestions, size=self.frame_size,
                                                duration_us=self.duration_us,
                                                step_texts=texts))

    def reject_suggestions(self, suggestion_ids: Iterable[str]) -> Change:
        return self._red(red.decide(self.edits, suggestion_ids, "rejected"))

    def allow_leak_item(self, text: str, detector: str | None = None) -> Change:
        return self._red(red.allow(self.edits, text, detector))

    def remove_allow(self, rid: str) -> Change:
        return self._red(red.remove_allow(self.edits, rid))

    def _step_text(self, step_id: str) -> str:
        for s in self._steps or []:
            sid = s.get("id") if isinstance(s, Mapping) else getattr(s, "id", None)
            if sid == step_id:
                text = s.get("text") if isinstance(s, Mapping) else getattr(s, "text", None)
                if text:
                    return str(text)
        raise EditError(f"Step {step_id!r} has no typed text to mask.")

    def flush(self) -> None:
        """Save again if an earlier save failed; raises EditsSaveError if it still fails."""
        if self.store.dirty and not self.read_only:
            self._save()
            if self.save_error is not None:
                raise self.save_error

    def close(self, *, force: bool = False) -> None:
        """Save what is unsaved and release the recording.  If saving fails, raises
        EditsSaveError and stays open (nothing lost) unless ``force``."""
        if self._closed:
            return
        try:
            self.flush()
        except EditsFileError:
            if not force:
                raise
        self._closed = True
        self.store.unlock()

    def __enter__(self) -> EditSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(force=exc[0] is not None)
