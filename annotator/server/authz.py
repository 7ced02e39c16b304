"""Object-level authorization, in one place.

Rules (docs/server.md, "Security"):

- Uploads belong to the contributor who started them.  Anyone else, admins included, gets
  **404** for every verb: the answer never tells whether an upload exists.
- Submissions: what ``Services`` decides (a contributor sees only their own, others get
  ``NotFound`` -> 404; roles are checked inside each service call -> 403).
- Files: only those of a visible, not withdrawn submission, and only as short-lived
  presigned URLs to ``accepted/`` objects (uploads in ``incoming/`` are never signed for
  reading).
- A ``read`` token may only read (GET).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from annotator.server.tokens import Principal
from annotator.store.server_models import Upload
from annotator.workflow.errors import NotFound, PermissionDenied
from annotator.workflow.service import FileInfo, Services
from annotator.workflow.states import Role, State

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def check_scope(principal: Principal, method: str) -> None:
    if principal.scope != "full" and method not in READ_METHODS:
        raise PermissionDenied("This access token may only read.",
                               "Sign in again for a token with the 'full' scope.")


def require_role(principal: Principal, *roles: Role, doing: str) -> None:
    if principal.actor.role not in roles:
        who = " and ".join(sorted(f"{r}s" for r in roles))
        raise PermissionDenied(f"Only {who} can {doing}; you ({principal.actor.pseudonym}) "
                               f"are a {principal.actor.role}.",
                               "Ask an admin for that role.")


def own_upload(s: Session, principal: Principal, upload_id: str, *,
               lock: bool = False) -> Upload:
    """The principal's upload; 404 for any other (or malformed) id."""
    if not (isinstance(upload_id, str) and len(upload_id) == 32 and upload_id.isalnum()):
        raise _no_upload(upload_id)
    q = sa.select(Upload).where(Upload.id == upload_id,
                                Upload.user_id == principal.actor.user_id)
    if lock:
        q = q.with_for_update()
    up = s.execute(q).scalar_one_or_none()
    if up is None:
        raise _no_upload(upload_id)
    return up


def _no_upload(upload_id: str) -> NotFound:
    return NotFound(f"There is no upload {upload_id[:40]!r} of yours.",
                    "List yours with GET /v1/uploads.")


def readable_file(svc: Services, principal: Principal, submission_id: int,
                  path: str) -> FileInfo:
    """A file the principal may download: of a submission they can see that is not
    withdrawn.  Its bytes are in ``accepted/`` (a submission exists only once verified)."""
    detail = svc.get_submission(actor=principal.actor, submission_id=submission_id)
    if detail.info.state is State.WITHDRAWN:
        raise NotFound(f"Submission #{submission_id} was withdrawn: its content is gone.")
    for f in detail.files:
        if f.path == path:
            return f
    raise NotFound(f"Submission #{submission_id} has no file {path[:200]!r}.")


def readable_blind_file(svc: Services, principal: Principal, review_id: int,
                        path: str) -> FileInfo:
    """A file of one of the principal's blind reviews (the core refuses another's, and a
    withdrawn submission's)."""
    for f in svc.open_blind_review(actor=principal.actor, review_id=review_id).files:
        if f.path == path:
            return f
    raise NotFound(f"Blind review #{review_id} has no file {path[:200]!r}.")
