"""Consent, submission, review, withdrawal and payouts: the Qt-free core.

- ``states``: the review state machine as a table (pure).
- ``package``: the submission package format (content manifest + consent record).
- ``service``: ``Services``, keyword-only operations over an ``annotator.store.Store``.
- ``payouts``: monthly payout reports (pandas).

See docs/store.md.
"""
