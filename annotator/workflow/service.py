"""The workflow services: users, terms, tasks, submission, review, withdrawal, payouts.

``Services`` implements the workflow contract (``annotator.workflow.contract``) on a store.
Qt-free and transport-free: the desktop views, the CLI, the team server's routes and the
tests call the same methods.  Every call is keyword-only, names its ``actor`` (an ``Actor``
from ``sign_in``), re-reads the actor's role inside the transaction (a disabled account or a
changed role takes effect at once), checks the transition against the table in
``annotator.workflow.states``, and appends every state change to the audit log in the same
transaction.  Results are plain frozen dataclasses, never database rows.

The operations live in one module per concern under ``annotator.workflow.ops``; this class
only puts them together.

Locking: each state change locks the submission's row (PostgreSQL: ``SELECT ... FOR UPDATE``;
``claim_next`` uses ``FOR UPDATE SKIP LOCKED`` so that concurrent reviewers never get the same
item); on SQLite every write transaction starts with ``BEGIN IMMEDIATE`` (a single writer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from annotator.workflow.contract import (
    Actor,
    CommentId,
    CommentIn,
    CommentInfo,
    ConsentInfo,
    FileInfo,
    Invitation,
    PayoutReport,
    QueueFilter,
    QueueItem,
    RateInfo,
    SubmissionDetail,
    SubmissionId,
    SubmissionInfo,
    TaskId,
    TaskInfo,
    TermsInfo,
    TransitionInfo,
    UserId,
    UserInfo,
    WithdrawResult,
    WorkflowServices,
    WorkStats,
)
from annotator.workflow.ops.accounts import AccountOps
from annotator.workflow.ops.core import DEFAULT_LOCK_TTL, ServiceCore, utcnow
from annotator.workflow.ops.exports import ExportOps
from annotator.workflow.ops.ingest import STAGING_THREADS, IngestOps
from annotator.workflow.ops.payouts import PayoutOps
from annotator.workflow.ops.queries import QueryOps
from annotator.workflow.ops.review import ReviewOps
from annotator.workflow.ops.reviewquality import ReviewQualityOps
from annotator.workflow.ops.signals import SignalOps
from annotator.workflow.ops.statements import MAX_PAGE
from annotator.workflow.ops.terms_tasks import TermsTaskOps
from annotator.workflow.ops.withdrawal import WithdrawalOps

__all__ = [
    "DEFAULT_LOCK_TTL", "MAX_PAGE", "STAGING_THREADS", "Actor", "CommentId", "CommentIn",
    "CommentInfo", "ConsentInfo", "FileInfo", "Invitation", "PayoutReport", "QueueFilter",
    "QueueItem", "RateInfo", "Services", "SubmissionDetail", "SubmissionId", "SubmissionInfo",
    "TaskId", "TaskInfo", "TermsInfo", "TransitionInfo", "UserId", "UserInfo",
    "WithdrawResult", "WorkStats", "WorkflowServices", "utcnow",
]


class Services(AccountOps, TermsTaskOps, IngestOps, ReviewOps, WithdrawalOps, QueryOps,
               PayoutOps, ExportOps, SignalOps, ReviewQualityOps, ServiceCore):
    """The workflow operations on a store (``ServiceCore.__init__``: the store, a clock, the
    passphrase hasher and the review lock's time to live)."""


if TYPE_CHECKING:  # the type checker confirms that this face implements the contract
    def _implements_contract(s: Services) -> WorkflowServices:
        return s
