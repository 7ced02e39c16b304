"""Steps: the actions a trainer learns from, derived from a bundle's raw input and paired
with the frames the contributor saw.  Qt-free.

The format and the derivation rules are documented in docs/steps-format.md.
"""

from annotator.steps.derive import Derivation, Params, derive_events
from annotator.steps.model import ACTION_TYPES, DERIVATION_VERSION, OUTCOMES, Step, step_id
from annotator.steps.store import (
    STEPS_FILE,
    StepsDocument,
    StepsError,
    StepsForEditing,
    derive_bundle,
    load_or_derive,
    orphaned_edits,
    read_steps,
    steps_for_editing,
    write_steps,
)

__all__ = [
    "ACTION_TYPES",
    "DERIVATION_VERSION",
    "OUTCOMES",
    "STEPS_FILE",
    "Derivation",
    "Params",
    "Step",
    "StepsDocument",
    "StepsError",
    "StepsForEditing",
    "derive_bundle",
    "derive_events",
    "load_or_derive",
    "orphaned_edits",
    "read_steps",
    "step_id",
    "steps_for_editing",
    "write_steps",
]
