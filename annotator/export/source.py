"""What an export reads: approved submissions with valid consent, from the workspace store.

A read-only query (``Store.read()``: no write lock on SQLite) selects the submissions that
are ``approved``, not withdrawn, whose consent record is ``given`` (not withdrawn) and was
given for the manifest the submission holds.  Their package files come from the blob store,
and every file's bytes are hashed again as they are read: a blob that is missing or whose
bytes no longer match the SHA-256 recorded at ingest makes the submission bad (it is skipped
and named, see ``annotator.export.run``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from annotator.export.errors import BadSubmission
from annotator.store import BlobError, Store
from annotator.store import models as m
from annotator.workflow import safejson
from annotator.workflow.ops.signals import export_summary

MAX_JSON = 64 << 20


@dataclass(frozen=True)
class PackageFile:
    path: str
    role: str
    sha256: str
    size: int


@dataclass
class SourceEpisode:
    submission_id: int
    episode_id: str  # the demonstration's lineage (one uuid for all its versions)
    version: int
    contributor: str
    reviewer: str | None
    quality: int | None
    task_id: int | None
    task_title: str | None
    applications: tuple[str, ...]
    difficulty: str | None
    goal: str
    outcome: str | None
    summary: dict[str, Any]
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    manifest_sha256: str
    consent_record_id: str
    consent_sha256: str
    terms_version: str
    permitted_uses: tuple[str, ...]
    files: dict[str, PackageFile]
    # The stored quality signals, summarised for the manifest (None: not computed).
    signals: dict[str, Any] | None = None
    # Filled by load():
    steps_doc: dict[str, Any] = field(default_factory=dict)
    task_doc: dict[str, Any] = field(default_factory=dict)
    redactions_doc: dict[str, Any] = field(default_factory=dict)

    @property
    def tags(self) -> tuple[str, ...]:
        raw = self.task_doc.get("tags")
        if raw is None:
            raw = self.task_doc.get("labels") or []
        return tuple(str(t) for t in raw if isinstance(t, str | int))

    def filter_row(self) -> dict[str, Any]:
        apps = list(self.applications)
        for a in self.task_doc.get("applications") or []:
            if isinstance(a, str) and a not in apps:
                apps.append(a)
        return {"task_id": self.task_id, "task_title": self.task_title, "applications": apps,
                "approved_date": self.decided_at.date() if self.decided_at else None,
                "contributor": self.contributor, "reviewer": self.reviewer,
                "quality": self.quality, "tags": list(self.tags),
                "signals": sorted((self.signals or {}).get("kinds") or ())}

    def file_of_role(self, role: str) -> PackageFile:
        found = [f for f in self.files.values() if f.role == role]
        if len(found) != 1:
            raise BadSubmission(self.submission_id, f"the package has {len(found)} file(s) of "
                                f"role {role!r}, not one.", "Leave it out with --filter, or "
                                "ask the contributor to submit it again.")
        return found[0]


def approved_episodes(store: Store, *, only_ids: set[int] | None = None
                      ) -> list[SourceEpisode]:
    """Every exportable submission, oldest first (by id)."""
    S, C, T = m.Submission, m.ConsentRecord, m.Task
    contributor = aliased(m.User)
    reviewer = aliased(m.User)
    q = (sa.select(S, C.record_id, C.record_sha256, C.terms_version, C.permitted_uses,
                   contributor.pseudonym, reviewer.pseudonym, T.title, T.applications,
                   T.difficulty)
         .join(C, C.id == S.consent_id)
         .join(contributor, contributor.id == S.contributor_id)
         .outerjoin(reviewer, reviewer.id == S.reviewer_id)
         .outerjoin(T, T.id == S.task_id)
         .where(S.state == "approved", S.withdrawn_at.is_(None), C.status == "given",
                C.withdrawn_at.is_(None), C.manifest_sha256 == S.manifest_sha256)
         .order_by(S.id))
    if only_ids is not None:
        q = q.where(S.id.in_(sorted(only_ids)))
    out: list[SourceEpisode] = []
    with store.read() as s:
        rows = s.execute(q).all()
        ids = [r[0].id for r in rows]
        files: dict[int, dict[str, PackageFile]] = {i: {} for i in ids}
        signals: dict[int, dict[str, Any] | None] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            for b in s.execute(sa.select(m.SubmissionBlob)
                               .where(m.SubmissionBlob.submission_id.in_(chunk))
                               .order_by(m.SubmissionBlob.submission_id,
                                         m.SubmissionBlob.path)).scalars():
                files[b.submission_id][b.path] = PackageFile(b.path, b.role, b.sha256, b.size)
            for sig in s.execute(sa.select(m.SignalSet)
                                 .where(m.SignalSet.submission_id.in_(chunk))).scalars():
                signals[sig.submission_id] = export_summary(sig)
        for (sub, rec_id, rec_sha, terms, uses, contrib, rev, title, apps, diff) in rows:
            summary = dict(sub.summary or {})
            out.append(SourceEpisode(
                submission_id=sub.id, episode_id=sub.lineage, version=sub.version,
                contributor=contrib, reviewer=rev, quality=sub.quality, task_id=sub.task_id,
                task_title=title, applications=tuple(apps or ()), difficulty=diff,
                goal=sub.goal or "", outcome=summary.get("outcome"), summary=summary,
                submitted_at=sub.submitted_at, decided_at=sub.decided_at,
                manifest_sha256=sub.manifest_sha256, consent_record_id=rec_id,
                consent_sha256=rec_sha, terms_version=terms, permitted_uses=tuple(uses or ()),
                files=files[sub.id], signals=signals.get(sub.id)))
    return out


class BlobReader:
    """Reads package files from the blob store and checks their bytes against the SHA-256
    recorded at ingest."""

    def __init__(self, store: Store) -> None:
        self.blobs = store.blobs

    def read(self, ep: SourceEpisode, f: PackageFile) -> bytes:
        try:
            data = self.blobs.get(f.sha256)
        except (BlobError, OSError) as exc:
            raise BadSubmission(ep.submission_id, f"{f.path} (blob {f.sha256[:12]}…) is "
                                f"missing from the blob store ({exc}).",
                                "Run `annotator db check`; add --skip-bad to export the rest.",
                                ) from None
        if len(data) != f.size or hashlib.sha256(data).hexdigest() != f.sha256:
            raise BadSubmission(ep.submission_id, f"{f.path} (blob {f.sha256[:12]}…) no longer "
                                "matches its SHA-256: the stored bytes are corrupt.",
                                "Run `annotator db check`; add --skip-bad to export the rest.")
        return data

    def verify(self, ep: SourceEpisode, f: PackageFile) -> None:
        """Hash a file without keeping its bytes (before any of the episode is written)."""
        h = hashlib.sha256()
        n = 0
        try:
            with self.blobs.open(f.sha256) as fh:
                while chunk := fh.read(1 << 20):
                    h.update(chunk)
                    n += len(chunk)
        except (BlobError, OSError) as exc:
            raise BadSubmission(ep.submission_id, f"{f.path} (blob {f.sha256[:12]}…) is "
                                f"missing from the blob store ({exc}).",
                                "Run `annotator db check`; add --skip-bad to export the rest.",
                                ) from None
        if n != f.size or h.hexdigest() != f.sha256:
            raise BadSubmission(ep.submission_id, f"{f.path} (blob {f.sha256[:12]}…) no longer "
                                "matches its SHA-256: the stored bytes are corrupt.",
                                "Run `annotator db check`; add --skip-bad to export the rest.")

    def json(self, ep: SourceEpisode, f: PackageFile) -> dict[str, Any]:
        if f.size > MAX_JSON:
            raise BadSubmission(ep.submission_id, f"{f.path} is larger than {MAX_JSON >> 20} MB.")
        try:  # within depth and number limits: stored JSON came from contributors
            data = safejson.loads(self.read(ep, f), max_bytes=MAX_JSON)
        except safejson.JsonLimitError as exc:
            raise BadSubmission(ep.submission_id, f"{f.path} cannot be read: {exc}.") from None
        if not isinstance(data, dict):
            raise BadSubmission(ep.submission_id, f"{f.path} is not a JSON object.")
        return data

    def load(self, ep: SourceEpisode) -> None:
        """Read steps.json, task.json and redactions.json (small) into the episode."""
        ep.steps_doc = self.json(ep, ep.file_of_role("steps"))
        ep.task_doc = self.json(ep, ep.file_of_role("task"))
        ep.redactions_doc = self.json(ep, ep.file_of_role("redactions"))


def package_hashes(store: Store, ids: set[int]) -> dict[int, str]:
    """The package manifest hash of each of these submissions this store holds, withdrawn
    or not (a withdrawn submission keeps its row and hashes, not its content)."""
    with store.read() as s:
        return {sid: sha for sid, sha in s.execute(
            sa.select(m.Submission.id, m.Submission.manifest_sha256)
            .where(m.Submission.id.in_(sorted(ids))))}


def withdrawn_since(store: Store, since: dt.datetime | None) -> list[dict[str, Any]]:
    """Tombstones (withdrawn submissions) since a time, oldest first."""
    q = sa.select(m.Tombstone).order_by(m.Tombstone.withdrawn_at, m.Tombstone.id)
    if since is not None:
        q = q.where(m.Tombstone.withdrawn_at >= since)
    with store.read() as s:
        return [{"submission_id": t.submission_id, "episode_id": t.lineage,
                 "version": t.version, "contributor": t.contributor_pseudonym,
                 "consent_record_id": t.consent_record_id,
                 "manifest_sha256": t.manifest_sha256, "cause": t.cause,
                 "withdrawn_at": t.withdrawn_at.isoformat()}
                for t in s.execute(q).scalars()]
