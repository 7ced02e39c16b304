"""Payouts per month (pandas).

- An item is an approved submission.  Its amount is its approved minutes times the
  per-minute rate, plus the task's own pay when the submission answers a published task that
  has one, else the per-task rate; the rates are those in effect when it was approved.
  Cents are rounded half up, per item.
- An open month's report lists every approved submission that is not withdrawn, was approved
  before the month's end and was not paid yet (so late approvals and unclosed earlier months
  roll into the next month that is closed).
- Closing a month (only once it is over) records those items as paid, per contributor; a
  closed month's report is read from what was recorded and never changes.  An item withdrawn
  after it was paid stays paid and is flagged ``withdrawn_after_payment``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import fields
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from annotator.optional import lazy_module
from annotator.store import models as m
from annotator.workflow.contract import PayoutReport, WorkStats
from annotator.workflow.errors import ClosedMonth, Conflict, InvalidInput
from annotator.workflow.states import State

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_module("pandas")  # imported when payouts or charts run

ITEM_COLUMNS = [
    "month", "contributor", "submission_id", "version", "task_id", "approved_at",
    "approved_minutes", "minute_cents", "task_cents", "amount_cents", "currency",
    "paid", "withdrawn_after_payment", "no_rate",
]
SUMMARY_COLUMNS = ["contributor", "items", "approved_minutes", "amount_cents", "currency",
                   "withdrawn_after_payment"]
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


# What a submission is paid for: the active time the team server measured in its files
# (annotator/server/verify.py), or its duration where nothing measured it (a local store).
PAID_US = sa.func.coalesce(m.Submission.paid_us, m.Submission.duration_us)


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    mt = _MONTH.match(month or "")
    if not mt:
        raise InvalidInput(f"{month!r} is not a month.", "Give it as YYYY-MM, e.g. 2026-11.")
    y, mo = int(mt.group(1)), int(mt.group(2))
    start = dt.datetime(y, mo, 1, tzinfo=dt.UTC)
    end = dt.datetime(y + (mo == 12), 1 if mo == 12 else mo + 1, 1, tzinfo=dt.UTC)
    return start, end


def _amounts(duration_us: int, minute_rate: int, task_cents: int) -> tuple[int, int, int]:
    minute_cents = (duration_us * minute_rate + 30_000_000) // 60_000_000
    return minute_cents, task_cents, minute_cents + task_cents


def _open_items(s: Session, month: str, end: dt.datetime) -> pd.DataFrame:
    t = m.Submission
    paid = sa.select(m.PayoutItem.submission_id)
    rows = s.execute(
        sa.select(t.id, t.version, m.User.pseudonym, t.task_id, m.Task.pay_cents,
                  t.decided_at, PAID_US)
        .join(m.User, m.User.id == t.contributor_id)
        .outerjoin(m.Task, m.Task.id == t.task_id)
        .where(t.state == State.APPROVED.value, t.decided_at < end, t.id.not_in(paid))
        .order_by(m.User.pseudonym, t.decided_at, t.id)
    ).all()
    rates = s.execute(sa.select(m.Rate).order_by(m.Rate.effective_from.desc(),
                                                 m.Rate.id.desc())).scalars().all()
    records = []
    for sid, version, who, task_id, task_pay, approved_at, duration_us in rows:
        rate = next((r for r in rates if approved_at is not None
                     and r.effective_from <= approved_at), None)
        if rate is None:
            minute_c, task_c, amount = 0, 0, 0
            currency = rates[0].currency if rates else ""
        else:
            per_task = task_pay if task_pay is not None else rate.per_approved_task_cents
            minute_c, task_c, amount = _amounts(duration_us, rate.per_approved_minute_cents,
                                                per_task)
            currency = rate.currency
        records.append({
            "month": month, "contributor": who, "submission_id": sid, "version": version,
            "task_id": task_id, "approved_at": approved_at,
            "approved_minutes": round(duration_us / 60e6, 3), "minute_cents": minute_c,
            "task_cents": task_c, "amount_cents": amount, "currency": currency,
            "paid": False, "withdrawn_after_payment": False, "no_rate": rate is None,
            "duration_us": duration_us,
        })
    return pd.DataFrame.from_records(records, columns=[*ITEM_COLUMNS, "duration_us"])


def _closed_items(s: Session, month: str) -> pd.DataFrame:
    t = m.Submission
    rows = s.execute(
        sa.select(m.Payout.contributor_pseudonym, m.PayoutItem.submission_id, t.version,
                  t.task_id, m.PayoutItem.approved_at, m.PayoutItem.duration_us,
                  m.PayoutItem.minute_cents, m.PayoutItem.task_cents,
                  m.PayoutItem.amount_cents, m.Payout.currency, t.withdrawn_at)
        .join(m.Payout, m.Payout.id == m.PayoutItem.payout_id)
        .join(t, t.id == m.PayoutItem.submission_id)
        .where(m.Payout.month == month)
        .order_by(m.Payout.contributor_pseudonym, m.PayoutItem.approved_at,
                  m.PayoutItem.submission_id)
    ).all()
    records = [{
        "month": month, "contributor": who, "submission_id": sid, "version": version,
        "task_id": task_id, "approved_at": approved_at,
        "approved_minutes": round(duration_us / 60e6, 3), "minute_cents": mc,
        "task_cents": tc, "amount_cents": amount, "currency": currency, "paid": True,
        "withdrawn_after_payment": withdrawn_at is not None, "no_rate": False,
        "duration_us": duration_us,
    } for (who, sid, version, task_id, approved_at, duration_us, mc, tc, amount, currency,
           withdrawn_at) in rows]
    return pd.DataFrame.from_records(records, columns=[*ITEM_COLUMNS, "duration_us"])


def _summary(items: pd.DataFrame) -> pd.DataFrame:
    if items.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    g = items.groupby("contributor", sort=True)
    out = pd.DataFrame({
        "items": g["submission_id"].count(),
        "approved_minutes": (g["duration_us"].sum() / 60e6).round(3),
        "amount_cents": g["amount_cents"].sum().astype("int64"),
        "currency": g["currency"].first(),
        "withdrawn_after_payment": g["withdrawn_after_payment"].sum().astype("int64"),
    }).reset_index()
    return out[SUMMARY_COLUMNS]


def report(s: Session, *, month: str, now: dt.datetime) -> PayoutReport:
    _start, end = month_bounds(month)
    closed = s.get(m.PayoutMonth, month)
    items = _closed_items(s, month) if closed else _open_items(s, month, end)
    summary = _summary(items)
    return PayoutReport(month, closed is not None, closed.closed_at if closed else None,
                        items.drop(columns="duration_us"), summary)


def close(s: Session, *, month: str, now: dt.datetime, admin_id: int) -> PayoutReport:
    _start, end = month_bounds(month)
    if end > now:
        raise Conflict(f"Month {month} is not over yet (it ends {end:%Y-%m-%d} UTC).",
                       "Close a month once it has ended; its report can be seen at any time.")
    if s.get(m.PayoutMonth, month) is not None:
        raise ClosedMonth(f"Month {month} was closed already; a closed month never changes.",
                          f"See what was paid with `annotator payouts --month {month}`.")
    later = s.execute(sa.select(sa.func.max(m.PayoutMonth.month))).scalar()
    if later and later > month:
        raise ClosedMonth(f"Month {later} is closed already; {month} comes before it.",
                          "Items of earlier months were paid with the next closed month.")
    items = _open_items(s, month, end)
    if bool(items["no_rate"].any()) if len(items) else False:
        missing = items[items["no_rate"]]["submission_id"].tolist()
        raise Conflict(
            f"No rate was in effect when submission(s) {', '.join(map(str, missing[:10]))} "
            "were approved.", "Set rates that start early enough (annotator rates set).")
    try:
        with s.begin_nested():
            s.add(m.PayoutMonth(month=month, closed_at=now, closed_by_id=admin_id))
            s.flush()
    except sa.exc.IntegrityError:
        raise ClosedMonth(f"Month {month} was closed already.") from None
    users = dict(s.execute(sa.select(m.User.pseudonym, m.User.id)).all())
    for who, group in items.groupby("contributor", sort=True):
        who = str(who)
        payout = m.Payout(month=month, contributor_id=users[who], contributor_pseudonym=who,
                          item_count=len(group),
                          approved_us=int(group["duration_us"].sum()),
                          amount_cents=int(group["amount_cents"].sum()),
                          currency=str(group["currency"].iloc[0]), paid_at=now)
        s.add(payout)
        s.flush()
        rows: Any = group.itertuples()  # (pandas types a row's fields as any scalar)
        s.execute(sa.insert(m.PayoutItem), [{
            "payout_id": payout.id, "submission_id": int(r.submission_id),
            "approved_at": r.approved_at.to_pydatetime() if hasattr(r.approved_at,
                                                                    "to_pydatetime")
            else r.approved_at,
            "duration_us": int(r.duration_us), "minute_cents": int(r.minute_cents),
            "task_cents": int(r.task_cents), "amount_cents": int(r.amount_cents),
        } for r in rows])
    s.flush()
    return report(s, month=month, now=now)


def report_to_json(r: PayoutReport) -> dict[str, Any]:
    """The report as JSON (for the team server): its items and summary as lists of rows."""
    import json

    return {"month": r.month, "closed": r.closed,
            "closed_at": r.closed_at.isoformat() if r.closed_at else None,
            "total_cents": r.total_cents,
            "items": json.loads(r.items.to_json(orient="records", date_format="iso")),
            "summary": json.loads(r.summary.to_json(orient="records", date_format="iso"))}


def report_from_json(d: dict[str, Any]) -> PayoutReport:
    """``report_to_json``'s inverse: the same ``PayoutReport`` (times as UTC datetimes)."""
    closed_at = d.get("closed_at")
    items = pd.DataFrame(d.get("items") or [], columns=ITEM_COLUMNS)
    items["approved_at"] = pd.to_datetime(items["approved_at"], utc=True)
    return PayoutReport(
        month=d["month"], closed=bool(d["closed"]),
        closed_at=dt.datetime.fromisoformat(closed_at) if closed_at else None,
        items=items, summary=pd.DataFrame(d.get("summary") or [], columns=SUMMARY_COLUMNS))


# -- the admin's charts -------------------------------------------------------------------------
QUEUE = {"submitted", "in_review"}


def stats_to_json(st: WorkStats) -> dict[str, Any]:
    """The figures as JSON (for the team server): per table its columns, which of them are
    UTC times, and its rows."""
    out: dict[str, Any] = {}
    for f in fields(WorkStats):
        df: pd.DataFrame = getattr(st, f.name)
        times = [c for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c])]
        rows = [[v.isoformat() if c in times else (v.item() if hasattr(v, "item") else v)
                 for c, v in zip(df.columns, r, strict=True)]
                for r in df.itertuples(index=False, name=None)]
        out[f.name] = {"columns": [str(c) for c in df.columns], "times": times, "rows": rows}
    return out


def stats_from_json(d: dict[str, Any]) -> WorkStats:
    """``stats_to_json``'s inverse: the same DataFrames (times as UTC datetimes)."""
    frames = {}
    for f in fields(WorkStats):
        t = d.get(f.name) or {}
        df = pd.DataFrame(t.get("rows") or [], columns=t.get("columns") or [])
        for c in t.get("times") or []:
            df[c] = pd.to_datetime(df[c], utc=True)
        frames[f.name] = df
    return WorkStats(**frames)


def work_stats(s: Session, *, since: dt.datetime, now: dt.datetime) -> WorkStats:
    t = m.Submission
    approved = pd.DataFrame(s.execute(
        sa.select(t.decided_at, PAID_US).where(
            t.state == State.APPROVED.value, t.decided_at >= since)).all(),
        columns=["decided_at", "duration_us"])
    if approved.empty:
        weekly = pd.DataFrame(columns=["week", "approved", "minutes"])
    else:
        at = pd.to_datetime(approved["decided_at"], utc=True)
        approved["week"] = (at - pd.to_timedelta(at.dt.day_of_week, unit="D")).dt.normalize()
        weekly = approved.groupby("week").agg(
            approved=("duration_us", "size"), minutes=("duration_us", "sum")).reset_index()
        weekly["minutes"] = (weekly["minutes"] / 60e6).round(1)
    # Queue size: +1 when a submission enters the queue, -1 when it leaves, from the audit log.
    moves = pd.DataFrame(s.execute(
        sa.select(m.Transition.at, m.Transition.from_state, m.Transition.to_state)
        .order_by(m.Transition.id)).all(), columns=["at", "from_state", "to_state"])
    if moves.empty:
        daily = pd.DataFrame(columns=["day", "waiting"])
    else:
        delta = (moves["to_state"].isin(QUEUE).astype(int)
                 - moves["from_state"].isin(QUEUE).astype(int))
        moves["day"] = pd.to_datetime(moves["at"], utc=True).dt.normalize()
        per_day = delta.groupby(moves["day"]).sum().cumsum()
        days = pd.date_range(max(per_day.index.min(), pd.Timestamp(since).normalize()),
                             pd.Timestamp(now).normalize(), freq="D")
        waiting = per_day.reindex(per_day.index.union(days)).ffill().fillna(0)
        waiting = waiting[waiting.index >= days[0]] if len(days) else waiting
        daily = waiting.astype("int64").rename("waiting").rename_axis("day").reset_index()
    reasons = pd.DataFrame(s.execute(
        sa.select(t.decision_reason, sa.func.count()).where(
            t.state == State.REJECTED.value, t.decided_at >= since)
        .group_by(t.decision_reason).order_by(sa.func.count().desc(), t.decision_reason)).all(),
        columns=["reason", "count"])
    return WorkStats(weekly, daily, reasons)



def unverified_payouts(s: Session) -> list[dict[str, Any]]:
    """Closed payouts whose minutes were not measured (the submission was paid on what its
    package claimed, before the team server verified files) or were more than measured:
    for admins to settle.  Each: the payout's month, contributor, submission, the minutes
    paid and measured, and what verification found."""
    t = m.Submission
    rows = s.execute(
        sa.select(m.Payout.month, m.Payout.contributor_pseudonym, m.PayoutItem.submission_id,
                  m.PayoutItem.duration_us, m.PayoutItem.minute_cents, t.paid_us,
                  t.verified_at, t.verification, t.withdrawn_at)
        .join(m.Payout, m.Payout.id == m.PayoutItem.payout_id)
        .join(t, t.id == m.PayoutItem.submission_id)
        .where(sa.or_(t.verified_at.is_(None), t.paid_us.is_(None),
                      m.PayoutItem.duration_us > t.paid_us + 1_000_000))
        .order_by(m.Payout.month, m.PayoutItem.submission_id)).all()
    return [{"month": month, "contributor": who, "submission_id": sid,
             "paid_minutes": round(paid / 60e6, 3), "minute_cents": cents,
             "measured_minutes": None if measured is None else round(measured / 60e6, 3),
             "verified_at": verified_at, "withdrawn": withdrawn_at is not None,
             "problem": (verification or {}).get("problem")
             if verified_at is not None else "not verified yet"}
            for (month, who, sid, paid, cents, measured, verified_at, verification,
                 withdrawn_at) in rows]
