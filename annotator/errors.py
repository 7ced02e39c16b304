"""Errors that reach the user: each says what went wrong and what to do about it."""

from __future__ import annotations


class AnnotatorError(Exception):
    """An error with a message for the user and a hint on how to fix it."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  What to do: {self.hint}"


class PlatformNotSupported(AnnotatorError):
    """Screen or input capture is not possible in this session (no display, Wayland...)."""


class BundleError(AnnotatorError):
    """A folder is not a readable recording bundle."""


class NewerSchemaError(BundleError):
    """A bundle was written by a newer version of annotator than this one."""


class OutputFolderError(AnnotatorError):
    """The output folder cannot be used (not empty, not writable...)."""


class AlreadyRecording(AnnotatorError):
    """Another recorder is running on this workspace."""


class AcknowledgementRequired(AnnotatorError):
    """The contributor has not yet acknowledged what a recording captures."""
