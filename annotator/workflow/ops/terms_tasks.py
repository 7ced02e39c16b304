"""Terms versions and tasks: published by admins, read by all."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from annotator.store import models as m
from annotator.workflow.contract import Actor, TaskId, TaskInfo, TermsInfo
from annotator.workflow.errors import Conflict, InvalidInput, NotFound
from annotator.workflow.ops.core import ServiceCore
from annotator.workflow.states import Role
from annotator.workflow.terms import terms_sha256


class TermsTaskOps(ServiceCore):
    """Terms and tasks."""

    def publish_terms(self, *, actor: Actor, version: str, text: str) -> TermsInfo:
        version = (version or "").strip()
        if not version or len(version) > 32:
            raise InvalidInput(f"{version!r} cannot be a terms version (1-32 characters).")
        if not text.strip():
            raise InvalidInput("The terms text is empty.", "Give the full text to publish.")
        with self.store.write() as s:
            admin = self._require(s, actor, Role.ADMIN, doing="publish terms")
            if s.execute(sa.select(m.TermsVersion.id)
                         .where(m.TermsVersion.version == version)).first():
                raise Conflict(f"Terms version {version!r} was published already; a published "
                               "version never changes.", "Publish the new text as a new version.")
            t = m.TermsVersion(version=version, text=text, sha256=terms_sha256(text),
                               published_at=self.now(), published_by_id=admin.id)
            s.add(t)
            s.flush()
            return TermsInfo(t.version, t.sha256, t.published_at, t.text)

    def get_terms(self, *, version: str | None = None) -> TermsInfo:
        """A published version, or the latest one."""
        with self.store.read() as s:
            q = sa.select(m.TermsVersion)
            q = (q.where(m.TermsVersion.version == version) if version is not None
                 else q.order_by(m.TermsVersion.published_at.desc(), m.TermsVersion.id.desc()))
            t = s.execute(q.limit(1)).scalar_one_or_none()
            if t is None:
                raise NotFound(
                    "No terms were published yet." if version is None else
                    f"Terms version {version!r} was never published.",
                    "An admin publishes terms with `annotator terms publish`.",
                )
            return TermsInfo(t.version, t.sha256, t.published_at, t.text)

    def list_terms(self) -> list[TermsInfo]:
        with self.store.read() as s:
            return [TermsInfo(t.version, t.sha256, t.published_at, t.text) for t in s.execute(
                sa.select(m.TermsVersion).order_by(m.TermsVersion.published_at,
                                                   m.TermsVersion.id)).scalars()]

    # ---- tasks ---------------------------------------------------------------------------------
    @staticmethod
    def _task_info(t: m.Task) -> TaskInfo:
        return TaskInfo(TaskId(t.id), t.title, t.goal, tuple(t.applications), t.difficulty, t.pay_cents,
                        t.published_at, t.closed_at)

    def publish_task(self, *, actor: Actor, title: str, goal: str, applications: Sequence[str],
                     difficulty: str = "medium", pay_cents: int | None = None) -> TaskInfo:
        if not title.strip() or not goal.strip():
            raise InvalidInput("A task needs a title and a goal.")
        if difficulty not in m.DIFFICULTIES:
            raise InvalidInput(f"{difficulty!r} is not a difficulty.",
                               f"Use one of: {', '.join(m.DIFFICULTIES)}.")
        if pay_cents is not None and (not isinstance(pay_cents, int) or pay_cents < 0):
            raise InvalidInput("The task's pay must be a whole number of cents, 0 or more.")
        apps = [a.strip() for a in applications if a and a.strip()]
        with self.store.write() as s:
            admin = self._require(s, actor, Role.ADMIN, doing="publish tasks")
            t = m.Task(title=title.strip(), goal=goal.strip(), applications=apps,
                       difficulty=difficulty, pay_cents=pay_cents, published_at=self.now(),
                       published_by_id=admin.id)
            s.add(t)
            s.flush()
            return self._task_info(t)

    def close_task(self, *, actor: Actor, task_id: int) -> TaskInfo:
        with self.store.write() as s:
            self._require(s, actor, Role.ADMIN, doing="close tasks")
            t = s.get(m.Task, task_id, with_for_update=True)
            if t is None:
                raise NotFound(f"There is no task #{task_id}.")
            t.closed_at = t.closed_at or self.now()
            return self._task_info(t)

    def list_tasks(self, *, actor: Actor, include_closed: bool = False) -> list[TaskInfo]:
        with self.store.read() as s:
            self._user(s, actor)
            q = sa.select(m.Task).order_by(m.Task.id)
            if not include_closed:
                q = q.where(m.Task.closed_at.is_(None))
            return [self._task_info(t) for t in s.execute(q).scalars()]
