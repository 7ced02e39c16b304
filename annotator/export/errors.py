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


def as_bad(submission_id: int, exc: BaseException) -> BadSubmission:
    """Any error met while reading or writing one submission, as the ``BadSubmission`` that
    skips it (and names it) instead of ending the export."""
    if isinstance(exc, BadSubmission):
        return exc
    what = exc.message if isinstance(exc, AnnotatorError) else \
        f"{type(exc).__name__}: {str(exc)[:200]}"
    return BadSubmission(submission_id, f"it cannot be exported ({what}).",
                         "Run `annotator db check`; the other submissions were exported.")
