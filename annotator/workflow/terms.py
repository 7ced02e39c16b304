"""The default terms a contributor consents to, and the consent record's standard contents.

An admin publishes new versions (``annotator terms publish --version V --file F``); each
version's text and SHA-256 are kept for ever, and a consent record names the version and the
hash of the exact text that was shown.  The set-up of the first admin publishes this default
as version "1" when no terms exist yet.
"""

from __future__ import annotations

import hashlib

DEFAULT_TERMS_VERSION = "1"

DEFAULT_PURPOSES = (
    "training of AI models that operate computers",
    "evaluation of such models",
)
DEFAULT_PERMITTED_USES = (
    "review of the demonstration by the team's reviewers",
    "inclusion in training and evaluation datasets of the team running this workspace",
    "sharing of those datasets with the model trainers working with that team",
)
DEFAULT_DATA_CATEGORIES = (
    "screen video of the kept parts of the recording, with redactions burned in",
    "one lossless screenshot per kept step, with the same redactions",
    "mouse and keyboard actions (typed text masked where it was redacted)",
    "window titles and application names, where included",
    "the task's goal, outcome and labels",
    "keyed hashes of redacted strings (not the strings themselves)",
)

DEFAULT_TERMS_TEXT = """\
Terms for contributing a demonstration (version 1)

Please read this before you consent. You consent separately for each demonstration, and
you can take your consent back at any time.

1. What you share
   Only the final, rendered version of this one demonstration, exactly as you played it
   back before consenting: the screen video of the parts you kept, with every redaction
   burned in as a solid box; one screenshot per kept step, with the same redactions; the
   steps (clicks, typing, keys), with typed text masked where you redacted it; window
   titles and application names if you chose to include them; the task's goal, outcome and
   labels; and keyed hashes of the strings you redacted, so that later checks can look for
   them without anyone holding the strings. Your raw recording never leaves your computer.

2. What it is used for
   Training AI models that operate computers, and evaluating such models. Reviewers of the
   team running this workspace look at it first; once approved, it may be included in
   training and evaluation datasets of that team and shared with the model trainers it
   works with. It is not used for anything else, and it is not used to monitor or assess
   you.

3. Who you are in the records
   A pseudonymous id. No e-mail address, computer name or network address is stored with
   your demonstrations. Your payment details, if any, are kept apart and never exported.

4. Payment
   Approved work is paid at the rates the team publishes. Withdrawing later does not mean
   paying anything back.

5. Taking your consent back
   You can withdraw this demonstration at any time, as easily as you gave it: the Withdraw
   button in the app, or `annotator withdraw ID`. Its content is then deleted from the
   store and left out of every later export, and the ids of withdrawn demonstrations are
   listed for anyone who received an earlier export, so that they delete their copies. A
   record that you consented and when you withdrew is kept, without the content. You can
   also withdraw everything and delete your account, and download everything the store
   holds about you.

6. Questions
   Ask the administrator of this workspace. Requests about your data are answered within
   one month.
"""


def terms_sha256(text: str) -> str:
    """The SHA-256 of a terms text (UTF-8, exactly as published)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
