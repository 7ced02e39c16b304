"""Errors of the workspace store.  Each one carries a message for the user and a hint."""

from __future__ import annotations

from annotator.errors import AnnotatorError


class StoreError(AnnotatorError):
    """Something is wrong with the store (database or blob store)."""


class StoreUnavailable(StoreError):
    """The database cannot be reached or opened.  Local work is never touched by this."""


class SchemaOutOfDate(StoreError):
    """The database schema is older than this annotator: ``annotator db upgrade`` fixes it."""


class SchemaTooNew(StoreError):
    """The database was upgraded by a newer annotator than this one."""


class BlobError(StoreError):
    """A blob cannot be stored or read (missing, damaged, hash mismatch, disk error)."""


class BlobMissing(BlobError):
    """No blob with this SHA-256 is in the store."""


class BlobHashMismatch(BlobError):
    """The bytes received do not have the SHA-256 (or size) they were declared with."""
