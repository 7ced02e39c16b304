"""Rates and monthly payouts: amounts, closing, a closed month never changes, an item
withdrawn after payment stays paid and is flagged."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from annotator.workflow.errors import ClosedMonth, Conflict, InvalidInput, PermissionDenied
from annotator.workflow.states import State

MARCH_1 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def approve(w, who=None, **kw):
    sub = w.submit(who, **kw)
    w.svc.claim(actor=w.rev, submission_id=sub.id)
    return w.svc.approve(actor=w.rev, submission_id=sub.id, quality=4)


def test_payouts(world, clock, tmp_path) -> None:
    svc, w = world.svc, world
    with pytest.raises(PermissionDenied):
        svc.set_rates(actor=w.rev, per_approved_minute_cents=100, per_approved_task_cents=0)
    svc.set_rates(actor=w.admin, per_approved_minute_cents=120, per_approved_task_cents=50,
                  effective_from=MARCH_1)
    task = svc.publish_task(actor=w.admin, title="Paid", goal="Do it", applications=[],
                            pay_cents=300)
    a1 = approve(w)  # 90 s: 180 cents + 50
    a2 = approve(w, task_id=task.id, summary={"duration_us": 61_000_000})  # 122 + 300
    b1 = approve(w, w.bob, summary={"duration_us": 30_000_000})  # 60 + 50
    w.in_state(State.REJECTED)  # not paid
    w.in_state(State.SUBMITTED)  # not paid
    withdrawn = approve(w, w.bob)
    svc.withdraw(actor=w.bob, submission_id=withdrawn.id)  # withdrawn before payment: not paid

    rep = svc.payouts(actor=w.admin, month="2026-03")
    assert not rep.closed
    items = rep.items.set_index("submission_id")
    assert set(items.index) == {a1.id, a2.id, b1.id}
    assert items.loc[a1.id, "amount_cents"] == 230
    assert (items.loc[a2.id, "minute_cents"], items.loc[a2.id, "task_cents"]) == (122, 300)
    assert items.loc[b1.id, "amount_cents"] == 110
    summary = rep.summary.set_index("contributor")
    assert summary.loc[w.ana.pseudonym, "amount_cents"] == 652
    assert summary.loc[w.ana.pseudonym, "items"] == 2
    assert rep.total_cents == 762

    with pytest.raises(Conflict, match="not over"):
        svc.close_month(actor=w.admin, month="2026-03")
    clock.advance(days=25)  # April 4th
    late = approve(w)  # approved in April: next month
    closed = svc.close_month(actor=w.admin, month="2026-03")
    assert closed.closed and closed.total_cents == 762
    snapshot = closed.items.copy()
    csv = closed.to_csv(tmp_path / "march.csv")
    assert set(pd.read_csv(csv)["submission_id"]) == {a1.id, a2.id, b1.id}
    assert "legal_name" not in csv.read_text()

    with pytest.raises(ClosedMonth):
        svc.close_month(actor=w.admin, month="2026-03")
    with pytest.raises(Conflict):
        svc.set_rates(actor=w.admin, per_approved_minute_cents=999, per_approved_task_cents=0,
                      effective_from=MARCH_1)
    # Withdrawn after payment: stays paid, flagged; the closed month does not change.
    svc.withdraw(actor=w.ana, submission_id=a1.id)
    after = svc.payouts(actor=w.admin, month="2026-03")
    pd.testing.assert_frame_equal(after.items.drop(columns="withdrawn_after_payment"),
                                  snapshot.drop(columns="withdrawn_after_payment"))
    flags = after.items.set_index("submission_id")["withdrawn_after_payment"]
    assert flags.to_dict() == {a1.id: True, a2.id: False, b1.id: False}
    assert after.summary.set_index("contributor").loc[
        w.ana.pseudonym, "withdrawn_after_payment"] == 1
    # April holds the late approval only; earlier months cannot be closed after a later one.
    april = svc.payouts(actor=w.admin, month="2026-04")
    assert list(april.items["submission_id"]) == [late.id]
    clock.advance(days=40)
    svc.close_month(actor=w.admin, month="2026-04")
    with pytest.raises(ClosedMonth):
        svc.close_month(actor=w.admin, month="2026-02")


def test_no_rate_blocks_closing(world, clock) -> None:
    svc, w = world.svc, world
    sub = approve(world)
    rep = svc.payouts(actor=w.admin, month="2026-03")
    assert rep.items.set_index("submission_id").loc[sub.id, "no_rate"]
    clock.advance(days=30)
    with pytest.raises(Conflict, match="No rate"):
        svc.close_month(actor=w.admin, month="2026-03")


def test_bad_months(world) -> None:
    for bad in ("2026-13", "26-03", "2026/03", ""):
        with pytest.raises(InvalidInput):
            world.svc.payouts(actor=world.admin, month=bad)
    with pytest.raises(PermissionDenied):
        world.svc.payouts(actor=world.rev, month="2026-03")


def test_work_stats(world, clock) -> None:
    svc, w = world.svc, world
    approve(w)  # 90 s
    clock.advance(days=7)
    approve(w, w.bob, summary={"duration_us": 30_000_000})
    w.in_state(State.REJECTED)
    w.in_state(State.REJECTED)
    w.submit()  # waiting
    clock.advance(days=1)
    stats = svc.work_stats(actor=w.admin)
    assert list(stats.approved_minutes_per_week["minutes"]) == [1.5, 0.5]
    assert list(stats.approved_minutes_per_week["approved"]) == [1, 1]
    assert stats.rejection_reasons.to_dict(orient="records") == [
        {"reason": "off task", "count": 2}]
    waiting = stats.queue_size_per_day.set_index("day")["waiting"]
    assert waiting.iloc[-1] == 1 and waiting.iloc[0] == 0
    with pytest.raises(PermissionDenied):
        svc.work_stats(actor=w.ana)


def test_every_week_of_the_period_has_a_bar():
    from annotator.workflow.contract import WorkStats

    weekly = pd.DataFrame({"week": [pd.Timestamp("2026-03-02", tz="UTC"),
                                    pd.Timestamp("2026-03-16")],  # naive: taken as UTC
                           "approved": [2, 1], "minutes": [12.34, 5.0]})
    empty = pd.DataFrame()
    stats = WorkStats(weekly, empty, empty)
    now = dt.datetime(2026, 3, 25, 9, tzinfo=dt.UTC)  # a Wednesday
    got = stats.minutes_every_week(4, now)
    assert [(w.strftime("%Y-%m-%d"), m) for w, m in got] == [
        ("2026-03-02", 12.3), ("2026-03-09", 0.0), ("2026-03-16", 5.0), ("2026-03-23", 0.0)]
    older = stats.minutes_every_week(1, now)  # weeks reported before the period are kept
    assert older[0][0] == pd.Timestamp("2026-03-02", tz="UTC") and len(older) == 4
    none = WorkStats(pd.DataFrame(columns=["week", "approved", "minutes"]), empty, empty)
    assert [m for _w, m in none.minutes_every_week(2, now)] == [0.0, 0.0]
