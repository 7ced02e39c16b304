"""Errors of the exporter: each says what was wrong and what to do."""

from __future__ import annotations

from annotator.errors import AnnotatorError


class ExportError(AnnotatorError):
    """An export cannot be made as asked (bad arguments, existing folder, nothing matched)."""


class FilterError(ExportError):
    """``--filter`` does not parse or names an unknown field."""


class BadSubmission(ExportError):
    """A submission's package cannot be exported (a blob missing or corrupt, bad steps)."""

    def __init__(self, submission_id: int, message: str, hint: str | None = None) -> None:
        super().__init__(f"submission #{submission_id}: {message}", hint)
        self.submission_id = submission_id


class CheckFailed(ExportError):
    """``annotator export --check`` found problems."""
