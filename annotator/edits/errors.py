"""Errors of the editor core.  Each one carries a message for the user and a hint."""

from __future__ import annotations

from annotator.errors import AnnotatorError, NewerSchemaError


class EditError(AnnotatorError):
    """An edit cannot be made as asked (in point after out point, steps not adjacent...).

    Raised before anything changes: the edit list and the history are untouched.
    """


class HistoryConflict(EditError):
    """A command's recorded old value does not match the edit list it is applied to."""


class EditsFileError(AnnotatorError):
    """The edit file of a recording cannot be read or written."""


class EditsFormatError(EditsFileError):
    """An edit file (or edit list) is damaged or not valid."""


class EditsReadOnlyError(EditsFileError):
    """The recording's folder cannot be written, so edits cannot be saved there."""


class EditsSaveError(EditsFileError):
    """Saving failed (disk full, I/O error, folder became read-only).

    The edit stays applied in memory and in the history; the next change, ``flush()`` or
    ``close()`` tries to save again.
    """


class EditsLockedError(EditsFileError):
    """Another editor has this recording open."""


class NewerEditsError(NewerSchemaError):
    """The edit file was written by a newer annotator (its schema version is higher)."""
