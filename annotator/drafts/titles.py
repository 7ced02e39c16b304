"""A step's one-line title in the step list (``annotator.steps.summary``), under the drafts'
rule: typed text and the window title pass ``privacy.Guard`` first, so a title never quotes
what a draft may not (typed e-mail addresses, card numbers, keys and tokens, the
contributor's deny-list, masked text, titles or keys); it describes it instead
(``Type an e-mail address``)."""

from __future__ import annotations

from typing import Any

from annotator.drafts.privacy import Guard
from annotator.steps.summary import step_summary

_default: Guard | None = None


def step_title(step: Any, source: Any, guard: Guard | None = None) -> str:
    """``step``: an edited step (or a derived one); ``source``: the derived step it starts
    with, or None; ``guard``: the recording's (its redactions and deny-list), else the
    detectors alone."""
    global _default
    if guard is None:
        if _default is None:
            _default = Guard()
        guard = _default
    return step_summary(step, source, guard)
