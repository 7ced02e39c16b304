"""Undo and redo over the edit list, in the core (no QUndoStack), and serializable.

One list of entries and an index (entries before it are applied): undo steps back, redo
steps forward, a new command drops the entries after the index.  Grouping is a context
manager (``with history.transaction("Label 3 steps"):``), nested transactions join the
outer one, and an exception inside a transaction rolls back everything done in it.  A
*clean index* marks a state the UI cares about (Orange's ``isClean``).  Consecutive
commands with the same ``merge_key`` (typing in one text field) coalesce into one entry
while they follow each other within ``coalesce_s`` seconds.

Every change is announced to listeners with one ``Change``, after it is applied.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from annotator.edits.commands import Change, Command, Op, apply_ops, compress, invert
from annotator.edits.errors import EditsFormatError, HistoryConflict
from annotator.edits.model import EditList, clone

DEFAULT_LIMIT = 1000
DEFAULT_COALESCE_S = 2.0

Listener = Callable[[Change], None]


@dataclass
class _Entry:
    command: Command
    last_t: float | None  # monotonic time of the last coalesced edit; None once reloaded
    text: str | None = None  # the command as JSON, cached: autosave rewrites every entry


class UndoHistory:
    def __init__(self, edits: EditList | None = None, *, limit: int = DEFAULT_LIMIT,
                 coalesce_s: float = DEFAULT_COALESCE_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.edits = edits if edits is not None else EditList()
        self.limit = limit
        self.coalesce_s = coalesce_s
        self._clock = clock
        self._entries: list[_Entry] = []
        self._index = 0
        self._clean: int | None = 0
        self._listeners: list[Listener] = []
        self._tx: Command | None = None
        self._tx_marks: list[int] = []
        self._no_merge = False
        # Called before any change; raising there refuses the change (read-only store).
        self.guard: Callable[[], None] | None = None

    # -- listeners -------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(change)`` after every change; returns an unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _notify(self, change: Change) -> None:
        for listener in list(self._listeners):
            listener(change)

    # -- state -------------------------------------------------------------------------
    @property
    def index(self) -> int:
        """How many entries are applied."""
        return self._index

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def names(self) -> list[str]:
        """Entry names, oldest first (for a History panel); ``index`` of them are applied."""
        return [e.command.name for e in self._entries]

    @property
    def can_undo(self) -> bool:
        return self._index > 0 and self._tx is None

    @property
    def can_redo(self) -> bool:
        return self._index < len(self._entries) and self._tx is None

    @property
    def undo_name(self) -> str | None:
        return self._entries[self._index - 1].command.name if self.can_undo else None

    @property
    def redo_name(self) -> str | None:
        return self._entries[self._index].command.name if self.can_redo else None

    def undo_text(self) -> str:
        """Menu text: ``"Undo Trim"``, or ``"Undo"`` when there is nothing to undo."""
        return f"Undo {self.undo_name}" if self.undo_name else "Undo"

    def redo_text(self) -> str:
        return f"Redo {self.redo_name}" if self.redo_name else "Redo"

    @property
    def in_transaction(self) -> bool:
        return self._tx is not None

    # -- clean state ---------------------------------------------------------------------
    @property
    def clean_index(self) -> int | None:
        """Index of the clean state, or None when it can no longer be reached."""
        return self._clean

    @property
    def is_clean(self) -> bool:
        return self._clean == self._index

    def mark_clean(self) -> None:
        self._clean = self._index
        self._no_merge = True  # typing after this starts a new entry, so clean stays exact

    # -- doing -----------------------------------------------------------------------------
    def execute(self, command: Command) -> Change:
        """Apply ``command`` and record it.  A command with no ops changes nothing."""
        if not command.ops:
            return Change(command.name, "do")
        if self.guard is not None:
            self.guard()
        apply_ops(self.edits.data, command.ops)
        change = Change.from_ops(command.name, "do", command.ops)
        if self._tx is not None:
            self._tx.ops.extend(command.ops)
            return change
        if not self._coalesce(command):
            self._push(Command(command.name, list(command.ops), command.merge_key))
        self._notify(change)
        return change

    def _coalesce(self, command: Command) -> bool:
        now = self._clock()
        if (command.merge_key is None or self._no_merge or self._index == 0
                or self._index != len(self._entries) or self._clean == self._index):
            self._no_merge = False
            return False
        top = self._entries[-1]
        if (top.command.merge_key != command.merge_key or top.last_t is None
                or now - top.last_t > self.coalesce_s):
            return False
        ops = compress([*top.command.ops, *command.ops])
        if ops:
            top.command = Command(top.command.name, ops, top.command.merge_key)
            top.last_t = now
            top.text = None
        else:  # typed and erased back to where it was: nothing left to undo
            self._entries.pop()
            self._index -= 1
            if self._clean is not None and self._clean > self._index:
                self._clean = None
        return True

    def _push(self, command: Command) -> None:
        if self._clean is not None and self._clean > self._index:
            self._clean = None  # the clean state was in the redo branch we drop
        del self._entries[self._index:]
        self._entries.append(_Entry(command, self._clock()))
        self._index += 1
        overflow = len(self._entries) - self.limit
        if overflow > 0:
            del self._entries[:overflow]
            self._index -= overflow
            if self._clean is not None:
                self._clean = self._clean - overflow if self._clean >= overflow else None

    def break_coalescing(self) -> None:
        """The next typing starts a new undo entry (call on focus change, Enter...)."""
        self._no_merge = True

    def undo(self) -> Change | None:
        if not self.can_undo:
            return None
        if self.guard is not None:
            self.guard()
        command = self._entries[self._index - 1].command
        apply_ops(self.edits.data, invert(command.ops))
        self._index -= 1
        self._no_merge = True
        change = Change.from_ops(command.name, "undo", command.ops)
        self._notify(change)
        return change

    def redo(self) -> Change | None:
        if not self.can_redo:
            return None
        if self.guard is not None:
            self.guard()
        command = self._entries[self._index].command
        apply_ops(self.edits.data, command.ops)
        self._index += 1
        self._no_merge = True
        change = Change.from_ops(command.name, "redo", command.ops)
        self._notify(change)
        return change

    @contextmanager
    def transaction(self, name: str) -> Iterator[None]:
        """Group the commands executed inside into one undo entry named ``name``.

        Listeners hear one Change at the end.  On an exception, whatever was applied
        inside is rolled back and the exception propagates.
        """
        outer = self._tx is None
        if outer:
            self._tx = Command(name, [])
        assert self._tx is not None
        self._tx_marks.append(len(self._tx.ops))
        try:
            yield
        except BaseException:
            mark = self._tx_marks.pop()
            apply_ops(self.edits.data, invert(self._tx.ops[mark:]))
            del self._tx.ops[mark:]
            if outer:
                self._tx = None
            raise
        self._tx_marks.pop()
        if outer:
            tx, self._tx = self._tx, None
            if tx.ops:
                self._push(tx)
                self._notify(Change.from_ops(tx.name, "do", tx.ops))

    # -- persistence -------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "entries": [e.command.to_json() for e in self._entries],
            "index": self._index,
            "clean_index": self._clean,
        }

    def to_json_text(self) -> str:
        """``to_json()`` as compact JSON text, one entry per line (entries are cached)."""
        lines = []
        for e in self._entries:
            if e.text is None:
                e.text = json.dumps(e.command.to_json(), ensure_ascii=False, sort_keys=True,
                                    separators=(",", ":"))
            lines.append(e.text)
        entries = ",\n".join(lines)
        return (f'{{"clean_index":{json.dumps(self._clean)},"entries":[\n{entries}\n],'
                f'"index":{self._index}}}')

    @classmethod
    def from_json(cls, data: Any, edits: EditList, **kwargs: Any) -> UndoHistory:
        """Rebuild a history over ``edits`` (the state it was saved with).

        Raises EditsFormatError if it is malformed, HistoryConflict if its entries do not
        lead to and from ``edits`` (then the caller keeps the edits and drops the history).
        """
        if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
            raise EditsFormatError("The undo history is not valid.")
        entries = [Command.from_json(e) for e in data["entries"]]
        index, clean = data.get("index"), data.get("clean_index")
        if not isinstance(index, int) or isinstance(index, bool) or not (
            0 <= index <= len(entries)
        ):
            raise EditsFormatError(f"The undo history has an invalid index {index!r}.")
        if clean is not None and (not isinstance(clean, int) or isinstance(clean, bool)
                                  or not 0 <= clean <= len(entries)):
            clean = None
        _verify(entries, index, edits)
        history = cls(edits, **kwargs)
        history._entries = [_Entry(c, None) for c in entries]
        history._index = index
        history._clean = clean
        return history


def _verify(entries: list[Command], index: int, edits: EditList) -> None:
    """Replay the history on copies: undo back to the start, redo to the end."""
    back = clone(edits.data)
    for command in reversed(entries[:index]):
        apply_ops(back, invert(command.ops))
    forward = clone(edits.data)
    for command in entries[index:]:
        apply_ops(forward, command.ops)


__all__ = ["DEFAULT_COALESCE_S", "DEFAULT_LIMIT", "HistoryConflict", "Listener", "Op",
           "UndoHistory"]
