"""The editor's core, free of Qt: edits as data over the immutable recording, with undo.

- ``model``: the edit list (JSON data) and typed views of it;
- ``timeline``: kept ranges after trim and cuts, original <-> result time;
- ``commands``: named, serializable (old, new) diffs and the builders that make them;
- ``history``: UndoHistory (undo/redo, transactions, clean index, coalesced typing);
- ``store``: ``edits.json`` in the bundle, saved atomically after every change;
- ``apply``: the edited steps a reviewer gets;
- ``session``: all of the above for one recording, as an editor window uses it.

The file format is described in docs/edits-format.md.
"""

from annotator.edits.apply import ApplyResult, Orphan, Part, ResultStep, apply_edits
from annotator.edits.commands import ABSENT, Change, Command, Op
from annotator.edits.errors import (
    EditError,
    EditsFileError,
    EditsFormatError,
    EditsLockedError,
    EditsReadOnlyError,
    EditsSaveError,
    HistoryConflict,
    NewerEditsError,
)
from annotator.edits.history import UndoHistory
from annotator.edits.model import OUTCOMES, SCHEMA_VERSION, EditList, Label, Range, Task
from annotator.edits.session import EditSession
from annotator.edits.store import BACKUP_FILE, EDITS_FILE, EditStore
from annotator.edits.timeline import Timeline

__all__ = [
    "ABSENT", "BACKUP_FILE", "EDITS_FILE", "OUTCOMES", "SCHEMA_VERSION", "ApplyResult",
    "Change", "Command", "EditError", "EditList", "EditSession", "EditStore", "EditsFileError",
    "EditsFormatError", "EditsLockedError", "EditsReadOnlyError", "EditsSaveError",
    "HistoryConflict", "Label", "NewerEditsError", "Op", "Orphan", "Part", "Range",
    "ResultStep", "Task", "Timeline", "UndoHistory", "apply_edits",
]
