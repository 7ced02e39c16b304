"""Pay rates, monthly payouts and the work's figures."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from annotator.store import models as m
from annotator.workflow.contract import Actor, PayoutReport, RateInfo, WorkStats
from annotator.workflow.errors import Conflict, InvalidInput
from annotator.workflow.ops.core import ServiceCore
from annotator.workflow.states import Role


class PayoutOps(ServiceCore):
    """Rates and payouts."""

    def set_rates(self, *, actor: Actor, per_approved_minute_cents: int,
                  per_approved_task_cents: int, currency: str = "EUR",
                  effective_from: dt.datetime | None = None) -> RateInfo:
        """New rates from ``effective_from`` (default now) on; earlier rates stay for earlier
        approvals.  A task's own pay, when set, replaces the per-task rate."""
        for v in (per_approved_minute_cents, per_approved_task_cents):
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise InvalidInput("Rates are whole numbers of cents, 0 or more.")
        if effective_from is not None and effective_from.tzinfo is None:
            raise InvalidInput("The rates' start needs a time zone.",
                               "Give it in UTC, e.g. 2026-04-01T00:00Z.")
        currency = (currency or "").upper()
        if len(currency) != 3 or not currency.isalpha():
            raise InvalidInput(f"{currency!r} is not a currency code.", "Use e.g. EUR or USD.")
        now = self.now()
        start = effective_from or now
        with self.store.write() as s:
            admin = self._require(s, actor, Role.ADMIN, doing="set rates")
            closed = s.execute(sa.select(sa.func.max(m.PayoutMonth.month))).scalar()
            if closed and start.strftime("%Y-%m") <= closed:
                raise Conflict(f"Month {closed} is closed; rates cannot start in or before it.",
                               "Choose a start in an open month.")
            other = s.execute(sa.select(m.Rate.currency).where(m.Rate.currency != currency)
                              .limit(1)).scalar()
            if other:
                raise Conflict(f"Rates are in {other}; one store pays in one currency.")
            r = m.Rate(effective_from=start, per_approved_minute_cents=per_approved_minute_cents,
                       per_approved_task_cents=per_approved_task_cents, currency=currency,
                       created_at=now, created_by_id=admin.id)
            s.add(r)
            s.flush()
            return RateInfo(r.effective_from, r.per_approved_minute_cents,
                            r.per_approved_task_cents, r.currency, r.created_at)

    def list_rates(self, *, actor: Actor) -> list[RateInfo]:
        with self.store.read() as s:
            self._user(s, actor)
            return [RateInfo(r.effective_from, r.per_approved_minute_cents,
                             r.per_approved_task_cents, r.currency, r.created_at)
                    for r in s.execute(sa.select(m.Rate).order_by(m.Rate.effective_from,
                                                                  m.Rate.id)).scalars()]

    def payouts(self, *, actor: Actor, month: str) -> PayoutReport:
        """The payout report of a month (``annotator.workflow.payouts.PayoutReport``)."""
        from annotator.workflow.payouts import report

        with self.store.read() as s:
            self._require(s, actor, Role.ADMIN, doing="see payouts")
            return report(s, month=month, now=self.now())

    def close_month(self, *, actor: Actor, month: str) -> PayoutReport:
        """Record the month's payouts as paid and close it: it never changes again."""
        from annotator.workflow.payouts import close

        with self.store.write() as s:
            admin = self._require(s, actor, Role.ADMIN, doing="record payouts")
            return close(s, month=month, now=self.now(), admin_id=admin.id)

    def work_stats(self, *, actor: Actor, weeks: int = 12) -> WorkStats:
        """The admin's charts: approved minutes per week, queue size per day, rejection
        reasons (``annotator.workflow.payouts.WorkStats``, pandas DataFrames)."""
        from annotator.workflow.payouts import work_stats

        with self.store.read() as s:
            self._require(s, actor, Role.ADMIN, Role.REVIEWER, doing="see the work's figures")
            now = self.now()
            return work_stats(s, since=now - dt.timedelta(weeks=weeks), now=now)
