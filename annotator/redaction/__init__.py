"""Redaction: what must not leave the contributor's machine.  Qt-free.

This package holds the automatic suggestion side, fully offline:

- ``detect``: recognizers of personal data and secrets in text (e-mail, phone, card, IBAN,
  IP, national ids, API keys and tokens, high-entropy strings, URLs with credentials, the
  contributor's deny-list);
- ``ocr``: Tesseract OCR of screen frames (the Debian binary, ``OMP_THREAD_LIMIT=1``);
- ``suggest``: suggestions for a recording: OCR of the changed parts of its frames with
  boxes tracked over time (``tracking``), what a picture's words say (``screen_text``),
  its typed text and its window titles.
"""

from annotator.redaction.detect import KINDS, Detector, Span, iban_valid, luhn_valid
from annotator.redaction.ocr import (
    INSTALL_HINT,
    OcrError,
    OcrOptions,
    TesseractMissing,
    Word,
    find_tesseract,
    ocr_image,
    tesseract_version,
)
from annotator.redaction.screen_text import Hit, suggest_for_image
from annotator.redaction.suggest import (
    SOURCE_OCR,
    SOURCE_TITLE,
    SOURCE_TYPED,
    Suggestion,
    suggest_for_bundle,
)

__all__ = [
    "INSTALL_HINT",
    "KINDS",
    "SOURCE_OCR",
    "SOURCE_TITLE",
    "SOURCE_TYPED",
    "Detector",
    "Hit",
    "OcrError",
    "OcrOptions",
    "Span",
    "Suggestion",
    "TesseractMissing",
    "Word",
    "find_tesseract",
    "iban_valid",
    "luhn_valid",
    "ocr_image",
    "suggest_for_bundle",
    "suggest_for_image",
    "tesseract_version",
]
