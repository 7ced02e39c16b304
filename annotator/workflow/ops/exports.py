"""What leaves the store: the tombstones that exports honour and a user's own data."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from annotator.store import models as m
from annotator.workflow.contract import Actor, SubmissionId, TransitionInfo
from annotator.workflow.ops.core import ServiceCore
from annotator.workflow.ops.signals import contributor_set
from annotator.workflow.ops.statements import _INFO, _S
from annotator.workflow.states import Role


class ExportOps(ServiceCore):
    """Tombstones and download-my-data."""

    def tombstones(self, *, actor: Actor, since: dt.datetime | None = None
                   ) -> list[dict[str, Any]]:
        """Withdrawn submissions (for exports: what to delete from copies handed out)."""
        with self.store.read() as s:
            self._require(s, actor, Role.ADMIN, doing="list withdrawn submissions")
            q = sa.select(m.Tombstone).order_by(m.Tombstone.withdrawn_at, m.Tombstone.id)
            if since is not None:
                q = q.where(m.Tombstone.withdrawn_at >= since)
            return [_tombstone_dict(tb) for tb in s.execute(q).scalars()]

    # ---- download my data ----------------------------------------------------------------------
    def my_data(self, *, actor: Actor) -> dict[str, Any]:
        """Everything the store holds about the actor, as data (``annotator.workflow.mydata``
        writes it out as files, with the submissions' files)."""
        with self.store.read() as s:
            user = self._user(s, actor)
            account = {
                "pseudonym": user.pseudonym, "name": user.name, "role": user.role,
                "created_at": user.created_at, "disabled_at": user.disabled_at,
                "must_change_passphrase": bool(user.must_change_passphrase),
                "passphrase": "stored only as an Argon2id hash, not included",
            }
            payee = s.get(m.Payee, user.id)
            payee_d = None if payee is None else {
                "legal_name": payee.legal_name, "payment_details": payee.payment_details,
                "updated_at": payee.updated_at}
            consents = [asdict(self._consent_info(c)) for c in s.execute(
                sa.select(m.ConsentRecord).where(m.ConsentRecord.contributor_id == user.id)
                .order_by(m.ConsentRecord.id)).scalars()]
            terms_versions = sorted({c["terms_version"] for c in consents})
            terms = {t.version: t.text for t in s.execute(sa.select(m.TermsVersion).where(
                m.TermsVersion.version.in_(terms_versions))).scalars()}
            subs = []
            for info in [self._row_info(r) for r in s.connection().execute(
                    _INFO.where(_S.c.contributor_id == user.id).order_by(_S.c.id))]:
                d = asdict(info)
                d["history"] = [asdict(TransitionInfo(SubmissionId(tr.submission_id), tr.at, tr.action,
                                                      tr.from_state, tr.to_state, None,
                                                      tr.reason))
                                for tr in s.execute(sa.select(m.Transition).where(
                                    m.Transition.submission_id == info.id)
                                    .order_by(m.Transition.id)).scalars()]
                d["comments"] = [{"body": c.body, "step_index": c.step_index,
                                  "step_id": c.step_id, "t_start_us": c.t_start_us,
                                  "t_end_us": c.t_end_us, "created_at": c.created_at,
                                  "answers_signal": c.signal_key}
                                 for c in s.execute(sa.select(m.Comment).where(
                                     m.Comment.submission_id == info.id)
                                     .order_by(m.Comment.id)).scalars()]
                d["files"] = [{"path": f.path, "role": f.role, "sha256": f.sha256,
                               "size": f.size}
                              for f in s.execute(sa.select(m.SubmissionBlob).where(
                                  m.SubmissionBlob.submission_id == info.id)
                                  .order_by(m.SubmissionBlob.path)).scalars()]
                d["quality_signals"] = contributor_set(s.get(m.SignalSet, info.id))
                subs.append(d)
            tombs = [_tombstone_dict(tb) for tb in s.execute(
                sa.select(m.Tombstone).where(
                    m.Tombstone.contributor_pseudonym == user.pseudonym)
                .order_by(m.Tombstone.id)).scalars()]
            payouts = [{"month": p.month, "items": p.item_count, "approved_us": p.approved_us,
                        "amount_cents": p.amount_cents, "currency": p.currency,
                        "paid_at": p.paid_at}
                       for p in s.execute(sa.select(m.Payout).where(
                           m.Payout.contributor_id == user.id)
                           .order_by(m.Payout.month)).scalars()]
        return {"as_of": self.now(), "account": account, "payee": payee_d,
                "consent_records": consents, "terms": terms, "submissions": subs,
                "withdrawn": tombs, "payouts": payouts}

    def download_my_data(self, *, actor: Actor, out_dir: str | os.PathLike[str]) -> Path:
        """Write everything the store holds about the actor into a new folder, as files."""
        from annotator.workflow.mydata import check_empty, write_my_data

        out = check_empty(out_dir)
        return write_my_data(out, self.my_data(actor=actor),
                             lambda _sid, _path, sha: self.blobs.open(sha))




def _tombstone_dict(tb: m.Tombstone) -> dict[str, Any]:
    return {"submission_id": tb.submission_id, "lineage": tb.lineage, "version": tb.version,
            "contributor": tb.contributor_pseudonym, "consent_record_id": tb.consent_record_id,
            "manifest_sha256": tb.manifest_sha256, "blob_sha256s": list(tb.blob_sha256s),
            "blobs_deleted": tb.blobs_deleted, "state_before": tb.state_before,
            "cause": tb.cause, "withdrawn_at": tb.withdrawn_at}
