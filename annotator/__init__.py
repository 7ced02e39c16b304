"""annotator: record, edit, redact and label computer-use demonstrations, with consent."""

__version__ = "0.1.0"
