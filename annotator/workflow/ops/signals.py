"""Reads of the quality signals the store keeps (docs/signals.md): a submission's set, the
contributor's answers to them, and the rates per contributor for admins.

The sets are computed by ``annotator.quality.stored`` (a job on the team server, right after
storing in the embedded workspace); here they are only read, as data.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa

from annotator.store import models as m
from annotator.workflow.contract import (
    Actor,
    CommentInfo,
    SignalRates,
    SignalReport,
    SubmissionId,
)
from annotator.workflow.errors import InvalidInput, NotFound, PermissionDenied
from annotator.workflow.ops.core import ServiceCore
from annotator.workflow.states import Role, State

SEVERITY_NAMES = {1: "low", 2: "medium", 3: "high"}
SEVERITY_RANK_OF = {v: k for k, v in SEVERITY_NAMES.items()}
MAX_ANSWER = 4000


def stored_records(package_records: str | None, store_records: str | None
                   ) -> list[dict[str, Any]]:
    """Every signal record of a stored set: the package's, then the store's."""
    out: list[dict[str, Any]] = []
    for text in (package_records, store_records):
        if text:
            data = json.loads(text)
            out += data["signals"] if isinstance(data, dict) else data
    return out


def _for_contributor(r: dict[str, Any]) -> dict[str, Any]:
    """A record as its contributor sees it: another account's submission is not named."""
    ev = r.get("evidence") or {}
    if r.get("kind") != "duplicate" or ev.get("same_contributor"):
        return r
    return {**r, "why": "This demonstration matches one submitted earlier by another account. "
                        "Each demonstration may be submitted once.",
            "evidence": {k: v for k, v in ev.items() if k != "submission_id"}}


def contributor_set(row: m.SignalSet | None) -> dict[str, Any] | None:
    """A submission's stored set as its contributor's own data ("download my data")."""
    if row is None:
        return None
    return {"status": row.status, "algorithm_version": row.algorithm_version,
            "computed_at": row.computed_at,
            "max_severity": SEVERITY_NAMES.get(row.max_severity),
            "signals": [_for_contributor(r)
                        for r in stored_records(row.package_records, row.store_records)],
            "error": row.error}


def export_summary(row: m.SignalSet | None) -> dict[str, Any] | None:
    """A stored set as an export's manifest carries it, so that trainers can filter: the
    kinds, their severity, and the steps they concern (by index in the episode); no
    sentence, no quoted text, no other submission's id."""
    if row is None or row.status != "done":
        return None
    kinds: dict[str, dict[str, Any]] = {}
    for r in stored_records(row.package_records, row.store_records):
        k = kinds.setdefault(str(r["kind"]), {"severity": r.get("severity"), "count": 0,
                                              "steps": set()})
        k["count"] += 1
        if SEVERITY_RANK_OF.get(str(r.get("severity")), 0) > \
                SEVERITY_RANK_OF.get(str(k["severity"]), 0):
            k["severity"] = r.get("severity")
        k["steps"].update(int(st["index"]) for st in r.get("steps") or ()
                          if isinstance(st, dict) and isinstance(st.get("index"), int))
    return {"algorithm_version": row.algorithm_version,
            "max_severity": SEVERITY_NAMES.get(row.max_severity),
            "kinds": {name: {**v, "steps": sorted(v["steps"])}
                      for name, v in sorted(kinds.items())}}


class SignalOps(ServiceCore):
    """The quality signals as the store keeps them."""

    def _visible(self, s: Any, actor: Actor, submission_id: int) -> tuple[m.Submission, Any]:
        view = self._view(s, actor)
        sub = s.get(m.Submission, submission_id)
        if sub is None or (view.role is Role.CONTRIBUTOR and sub.contributor_id != view.user_id) \
                or self._hidden_as_blind(s, view, submission_id):
            raise NotFound(f"There is no submission #{submission_id} that you can see.",
                           "List yours with `annotator submissions`.")
        if sub.state == State.WITHDRAWN.value:
            raise NotFound(f"Submission #{submission_id} was withdrawn: its signals are gone.")
        return sub, view

    def submission_signals(self, *, actor: Actor, submission_id: SubmissionId) -> SignalReport:
        """The signals of a submission: its contributor, reviewers and admins see them."""
        with self.store.read() as s:
            sub, view = self._visible(s, actor, submission_id)
            row = s.get(m.SignalSet, sub.id)
            answers = self._answers(s, sub)
            if row is None:
                return SignalReport(SubmissionId(sub.id), "pending", None, None, None, (), None,
                                    None, None, answers)
            recs = stored_records(row.package_records, row.store_records)
            if view.role is Role.CONTRIBUTOR:
                recs = [_for_contributor(r) for r in recs]
            return SignalReport(
                SubmissionId(sub.id), row.status, row.algorithm_version, row.computed_at,
                SEVERITY_NAMES.get(row.max_severity), tuple(recs), row.package_records,
                row.package_sha256, row.error, answers)

    def _answers(self, s: Any, sub: m.Submission) -> tuple[CommentInfo, ...]:
        return tuple(
            self._comment_info(c, sub.version, label) for c, label in s.execute(
                sa.select(m.Comment, m.User.pseudonym).join(m.User, m.User.id == m.Comment.author_id)
                .where(m.Comment.submission_id == sub.id, m.Comment.signal_key.is_not(None))
                .order_by(m.Comment.id)))

    def answer_signal(self, *, actor: Actor, submission_id: SubmissionId, signal_key: str,
                      body: str) -> CommentInfo:
        """The contributor's answer to one signal of their submission (the reviewer sees it
        beside the signal)."""
        with self.store.write() as s:
            sub, view = self._visible(s, actor, submission_id)
            if sub.contributor_id != view.user_id:
                raise PermissionDenied(
                    "Only the submission's contributor answers its signals.",
                    "Reviewers comment with `annotator review comment`.")
            text = (body or "").strip()
            if not text or len(text) > MAX_ANSWER:
                raise InvalidInput(f"An answer needs 1 to {MAX_ANSWER} characters of text.")
            row = s.get(m.SignalSet, sub.id)
            recs = stored_records(row.package_records, row.store_records) if row else []
            match = next((r for r in recs if r.get("key") == signal_key), None)
            if match is None:
                keys = ", ".join(r["key"] for r in recs[:8]) or "none yet"
                raise InvalidInput(f"Submission #{sub.id} has no signal {signal_key!r}.",
                                   f"Its signals: {keys}.")
            steps = match.get("steps") or []
            c = m.Comment(submission_id=sub.id, author_id=view.user_id, body=text,
                          step_index=steps[0]["index"] if steps else None,
                          step_id=steps[0]["id"] if steps else None,
                          created_at=self.now(), signal_key=signal_key)
            s.add(c)
            s.flush()
            return self._comment_info(c, sub.version, view.label)

    def signal_rates(self, *, actor: Actor, weeks: int = 12) -> SignalRates:
        """Per contributor and week (Monday, UTC): submissions, those with any signal, with a
        high one, and per kind (admins)."""
        if not 1 <= weeks <= 520:
            raise InvalidInput("weeks must be 1 to 520.")
        with self.store.read() as s:
            self._require(s, actor, Role.ADMIN, doing="see signal rates per contributor")
            since = self.now() - dt.timedelta(weeks=weeks)
            subs = s.execute(
                sa.select(m.Submission.id, m.User.pseudonym, m.Submission.submitted_at,
                          m.SignalSet.max_severity, m.SignalSet.signal_count)
                .join(m.User, m.User.id == m.Submission.contributor_id)
                .outerjoin(m.SignalSet, m.SignalSet.submission_id == m.Submission.id)
                .where(m.Submission.submitted_at >= since,
                       m.Submission.state != State.WITHDRAWN.value)).all()
            kinds_of: dict[int, set[str]] = {}
            for sid, kind in s.execute(
                    sa.select(m.SignalKind.submission_id, m.SignalKind.kind)
                    .join(m.Submission, m.Submission.id == m.SignalKind.submission_id)
                    .where(m.Submission.submitted_at >= since)):
                kinds_of.setdefault(sid, set()).add(kind)
        all_kinds = tuple(sorted({k for ks in kinds_of.values() for k in ks}))
        table: dict[tuple[str, str], dict[str, Any]] = {}
        for sid, who, at, sev, count in subs:
            if at is None:
                continue
            at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
            week = (at.date() - dt.timedelta(days=at.weekday())).isoformat()
            row = table.setdefault((who, week), {"contributor": who, "week": week,
                                                 "submissions": 0, "computed": 0,
                                                 "flagged": 0, "high": 0,
                                                 **{k: 0 for k in all_kinds}})
            row["submissions"] += 1
            row["computed"] += sev is not None
            row["flagged"] += bool(count)
            row["high"] += (sev or 0) >= 3
            for k in kinds_of.get(sid, ()):
                row[k] += 1
        rows = tuple(table[k] for k in sorted(table))
        return SignalRates(rows, all_kinds)
