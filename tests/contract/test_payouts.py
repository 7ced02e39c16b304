"""Rates, payouts, figures and download-my-data, on both faces."""

from __future__ import annotations

import datetime as dt
import json

from annotator.workflow.contract import PayoutReport, RateInfo, WorkStats
from annotator.workflow.errors import (
    ClosedMonth,
    Conflict,
    InvalidInput,
    PermissionDenied,
)
from tests.contract.cases import case, fails
from tests.contract.test_signals import ACCEPTED, computed

# A month long over, that no other test of the session closes: closing it keeps every rate
# the other tests set (rates may not start in or before the latest closed month).
OLD_MONTH, OLDER_MONTH = "2001-02", "2001-01"


@case("set_rates", PermissionDenied, InvalidInput, Conflict)
@case("list_rates")
def test_rates(face):
    svc = face.as_(face.admin)
    start = dt.datetime(2001, 6, 1, tzinfo=dt.UTC)
    r = svc.set_rates(actor=face.admin, per_approved_minute_cents=50,
                      per_approved_task_cents=20, currency="eur", effective_from=start)
    assert isinstance(r, RateInfo)
    assert (r.per_approved_minute_cents, r.per_approved_task_cents, r.currency,
            r.effective_from) == (50, 20, "EUR", start)
    assert r in face.as_(face.ana).list_rates(actor=face.ana)
    fails(Conflict, svc.set_rates, actor=face.admin, per_approved_minute_cents=1,
          per_approved_task_cents=1, currency="USD")
    fails(InvalidInput, svc.set_rates, actor=face.admin, per_approved_minute_cents=-1,
          per_approved_task_cents=1)
    fails(InvalidInput, svc.set_rates, actor=face.admin, per_approved_minute_cents=1,
          per_approved_task_cents=1, currency="euro")
    fails(InvalidInput, svc.set_rates, actor=face.admin, per_approved_minute_cents=1,
          per_approved_task_cents=1, effective_from=dt.datetime(2030, 1, 1))  # no zone
    fails(PermissionDenied, face.as_(face.rev).set_rates, actor=face.rev,
          per_approved_minute_cents=1, per_approved_task_cents=1)


@case("payouts", PermissionDenied, InvalidInput)
@case("close_month", PermissionDenied, Conflict, ClosedMonth)
def test_payouts(face):
    svc = face.as_(face.admin)
    # a month with an approved item: this one
    sub = face.claimed()
    face.as_(face.rev).approve(actor=face.rev, submission_id=sub.id, quality=5)
    month = face.as_(face.admin).now().strftime("%Y-%m")
    rep = svc.payouts(actor=face.admin, month=month)
    assert isinstance(rep, PayoutReport) and (rep.month, rep.closed) == (month, False)
    row = rep.items[rep.items["submission_id"] == sub.id].iloc[0]
    assert (row["contributor"], row["version"]) == (face.ana.pseudonym, 1)
    assert isinstance(row["approved_at"], dt.datetime) and row["approved_at"].tzinfo
    assert rep.total_cents >= 0
    assert set(rep.summary.columns) >= {"contributor", "items", "amount_cents"}
    fails(InvalidInput, svc.payouts, actor=face.admin, month="2026-13")
    fails(PermissionDenied, face.as_(face.rev).payouts, actor=face.rev, month=month)
    fails(Conflict, svc.close_month, actor=face.admin, month="2999-01")  # not over yet
    closed = svc.close_month(actor=face.admin, month=OLD_MONTH)
    assert isinstance(closed, PayoutReport)
    assert (closed.month, closed.closed, closed.total_cents) == (OLD_MONTH, True, 0)
    assert closed.closed_at is not None
    assert svc.payouts(actor=face.admin, month=OLD_MONTH).closed
    fails(ClosedMonth, svc.close_month, actor=face.admin, month=OLD_MONTH)
    fails(ClosedMonth, svc.close_month, actor=face.admin, month=OLDER_MONTH)
    fails(PermissionDenied, face.as_(face.rev).close_month, actor=face.rev, month=OLD_MONTH)


@case("work_stats", PermissionDenied)
def test_work_stats(face):
    st = face.as_(face.rev).work_stats(actor=face.rev, weeks=4)
    assert isinstance(st, WorkStats)
    assert list(st.queue_size_per_day.columns) == ["day", "waiting"]
    assert list(st.approved_minutes_per_week.columns) == ["week", "approved", "minutes"]
    assert list(st.rejection_reasons.columns) == ["reason", "count"]
    fails(PermissionDenied, face.as_(face.ana).work_stats, actor=face.ana)


@case("download_my_data", Conflict)
def test_download_my_data(face):
    u = face.new_user()
    sub = face.submit(u, redactions=ACCEPTED)
    assert computed(face, u, sub.id).state == "done"
    face.as_(u).answer_signal(actor=u, submission_id=sub.id, signal_key="accepted_leak:0",
                              body="A public address.")
    out = face.as_(u).download_my_data(actor=u, out_dir=face.tmp / f"mine-{u.pseudonym}")
    account = json.loads((out / "account.json").read_text())
    assert account["pseudonym"] == u.pseudonym and account["role"] == "contributor"
    assert (out / "submissions" / str(sub.id) / "steps.json").is_file()
    # The quality signals found in it, and the contributor's answers to them, are theirs too.
    mine = next(d for d in json.loads((out / "submissions.json").read_text())
                if d["id"] == sub.id)
    assert mine["quality_signals"]["status"] == "done"
    assert "accepted_leak:0" in [r["key"] for r in mine["quality_signals"]["signals"]]
    assert [c["answers_signal"] for c in mine["comments"]] == ["accepted_leak:0"]
    (face.tmp / "full").mkdir(exist_ok=True)
    (face.tmp / "full" / "x").write_text("x")
    fails(Conflict, face.as_(u).download_my_data, actor=u, out_dir=face.tmp / "full")
