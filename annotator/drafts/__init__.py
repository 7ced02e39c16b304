"""Drafted labels: a short instruction proposed for every step, made offline from what the
recording knows (the accessibility element under each click, the screen read by the
redaction's OCR, the typed text, the keys, the window).  Qt-free.

- ``model``: Draft and Target, the drafter's version;
- ``phrasing``: how drafts read (hotkey meanings, role words, phrases);
- ``screen``: OCR words into phrases, the phrase under the pointer, a field's label;
- ``privacy``: what may be quoted (detectors, redaction boxes and masks);
- ``inputs``: the steps and the bundle's records as the drafter reads them;
- ``drafter``: the drafter itself;
- ``store``: ``drafts.json``, drafts kept while their inputs are unchanged;
- ``service``: the drafts of one recording, for the editor, the CLI and the checklist.
"""

from annotator.drafts.drafter import Drafter
from annotator.drafts.frames import ArrayFrames, BundleFrames
from annotator.drafts.inputs import StepInput
from annotator.drafts.model import DRAFTER_ID, DRAFTER_VERSION, Draft, Target
from annotator.drafts.privacy import Guard
from annotator.drafts.service import RecordingDrafts
from annotator.drafts.store import DRAFTS_FILE, read_drafts, write_drafts

__all__ = [
    "DRAFTER_ID", "DRAFTER_VERSION", "DRAFTS_FILE", "ArrayFrames", "BundleFrames", "Draft",
    "Drafter", "Guard", "RecordingDrafts", "StepInput", "Target", "read_drafts",
    "write_drafts",
]
