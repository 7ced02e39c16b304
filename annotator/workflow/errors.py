"""Errors of the consent, submission and review workflow.

Every refusal is an ``annotator.errors.AnnotatorError`` with a message (what was refused and
why) and a hint (what to do), raised before anything changes.
"""

from __future__ import annotations

from annotator.errors import AnnotatorError


class WorkflowError(AnnotatorError):
    """An operation of the submission and review workflow was refused."""


# -- who may do what -------------------------------------------------------------------------
class AuthenticationFailed(WorkflowError):
    """Unknown user, wrong passphrase, or a disabled account (never says which)."""


class PermissionDenied(WorkflowError):
    """The actor's role does not allow this operation (a contributor reviewing, ...)."""


class OwnSubmission(PermissionDenied):
    """Nobody reviews their own submission."""


class NotAuthor(PermissionDenied):
    """Only the contributor who submitted may do this (submit, resubmit, withdraw)."""


class ClaimedByAnother(PermissionDenied):
    """Another reviewer holds the lock on this submission."""


class NotClaimed(PermissionDenied):
    """A review decision needs the submission claimed by the reviewer first."""


class LockExpired(PermissionDenied):
    """The reviewer's lock on the submission expired; claim it again."""


# -- what may happen -------------------------------------------------------------------------
class ForbiddenTransition(WorkflowError):
    """The action is not allowed from the submission's current state."""


class ReasonRequired(WorkflowError):
    """Rejecting needs a reason; requesting changes needs at least one comment."""


class InvalidInput(WorkflowError):
    """An argument is out of range or malformed (quality 1-5, a month, a name...)."""


class NotFound(WorkflowError):
    """No such submission, user, task or terms version (or not visible to the actor)."""


class Conflict(WorkflowError):
    """The operation clashes with what is already stored (a name taken, a month closed...)."""


class ClosedMonth(Conflict):
    """A month whose payouts were recorded as paid never changes."""


class SetupError(WorkflowError):
    """The store has not been set up (no admin yet), or was set up already."""


# -- packages ----------------------------------------------------------------------------------
class PackageError(WorkflowError):
    """A submission package is refused at ingest (docs/store.md, "Submission package")."""


class PackagePathError(PackageError):
    """A path in the package escapes its folder, is absolute, or is a link."""


class PackageFilesMismatch(PackageError):
    """The folder's files and the manifest's list differ (missing or extra files)."""


class PackageHashMismatch(PackageError):
    """A file's bytes no longer match the SHA-256 (or size) in the manifest."""


class ManifestError(PackageError):
    """The content manifest (package.json) does not parse or is not valid."""


class ConsentError(PackageError):
    """The consent record (consent.json) does not parse, is not valid, or does not match."""


class UnknownTerms(ConsentError):
    """The consent names a terms version that was never published (or a different text)."""
