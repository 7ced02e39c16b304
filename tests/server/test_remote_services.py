"""``RemoteServices`` offers the operations of ``Services`` with the same results and errors:
admin set-up, review with comments, a resubmission, approval, payouts, withdrawal."""

from __future__ import annotations

import datetime as dt
import time

import pandas as pd
import pytest

from annotator.workflow.errors import (
    Conflict,
    ForbiddenTransition,
    NotFound,
    OwnSubmission,
    PermissionDenied,
)
from annotator.workflow.service import CommentIn, QueueFilter, QueueItem, SubmissionInfo
from annotator.workflow.states import State
from tests.server.helpers import client, package, pseudonym


def test_the_workflow_through_remote_services(team, tmp_path) -> None:
    admin = client(team, team.admin_token, tmp_path)
    rate = admin.set_rates(per_approved_minute_cents=100, per_approved_task_cents=50,
                           effective_from=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    assert rate.currency == "EUR" and rate in admin.list_rates()
    task = admin.publish_task(title="Rename", goal="Rename a file", applications=["Files"],
                              difficulty="easy", pay_cents=250)
    assert task.id and task.applications == ("Files",)
    inv = admin.invite_user(name=f"ana{task.id}", role="contributor")
    assert inv.user.role == "contributor" and inv.passphrase
    assert f"ana{task.id}" in [u.name for u in admin.list_users()]

    cname, cpw, ctok = team.new_user("contributor")
    rname, rpw, rtok = team.new_user("reviewer")
    ana, rev = client(team, ctok, tmp_path), client(team, rtok, tmp_path)
    me = pseudonym(team, ctok)
    sub = ana.ingest_package(folder=package(team, tmp_path, me, task_id=task.id))
    assert isinstance(sub, SubmissionInfo) and sub.task_id == task.id

    with pytest.raises(PermissionDenied):  # a contributor does not review
        ana.claim(submission_id=sub.id)
    with pytest.raises(ForbiddenTransition):  # not claimed yet
        rev.approve(submission_id=sub.id, quality=3)
    page = rev.list_queue(filters=QueueFilter(task_id=task.id))
    assert [q.id for q in page] == [sub.id] and isinstance(page[0], QueueItem)
    assert page[0].state is State.SUBMITTED
    claimed = rev.claim_next(filters=QueueFilter(task_id=task.id))
    assert claimed.id == sub.id and claimed.claimed_by == pseudonym(team, rtok)
    c = rev.add_comment(submission_id=sub.id, comment=CommentIn("blurry", step_index=1))
    assert c.step_index == 1
    back = rev.request_changes(submission_id=sub.id,
                               comments=[CommentIn("redo step 2", step_index=1)])
    assert back.state is State.CHANGES_REQUESTED
    detail = ana.get_submission(submission_id=sub.id)
    assert [x.body for x in detail.comments] == ["blurry", "redo step 2"]
    assert detail.history[-1].action == "request_changes"

    v2 = ana.ingest_package(folder=package(team, tmp_path, me, task_id=task.id),
                            previous_id=sub.id)
    assert v2.version == 2 and v2.previous_id == sub.id and v2.state is State.SUBMITTED
    rev.claim(submission_id=v2.id)
    done = rev.approve(submission_id=v2.id, quality=5)
    assert done.state is State.APPROVED and done.quality == 5

    month = done.decided_at.strftime("%Y-%m")
    report = admin.payouts(month=month)  # the same PayoutReport as locally
    mine = report.items[report.items["submission_id"] == v2.id].to_dict(orient="records")
    assert mine and mine[0]["task_cents"] == 250  # the task's own pay
    assert mine[0]["amount_cents"] == 250 + mine[0]["minute_cents"] > 250

    # History, the charts and "download my data" give what the same services give locally.
    ana_here = team.svc.sign_in(name=cname, passphrase=cpw)
    rev_here = team.svc.sign_in(name=rname, passphrase=rpw)
    hist = ana.history(submission_id=v2.id)
    assert [h.action for h in hist][-1] == "approve"
    assert hist == team.svc.history(actor=ana_here, submission_id=v2.id)
    there, here = rev.work_stats(weeks=4), team.svc.work_stats(actor=rev_here, weeks=4)
    for name in ("approved_minutes_per_week", "queue_size_per_day", "rejection_reasons"):
        pd.testing.assert_frame_equal(getattr(there, name), getattr(here, name),
                                      check_dtype=False)
    assert there.approved_minutes_per_week["approved"].sum() >= 1
    # (once the server's signal jobs are done: the signals are part of the data)
    deadline = time.monotonic() + 120
    while any(ana.submission_signals(submission_id=i).state == "pending"
              for i in (sub.id, v2.id)) and time.monotonic() < deadline:
        time.sleep(0.3)
    mine = ana.download_my_data(out_dir=tmp_path / "mine-remote")
    local = team.svc.download_my_data(actor=ana_here, out_dir=tmp_path / "mine-local")
    files = sorted(str(f.relative_to(mine)) for f in mine.rglob("*") if f.is_file())
    assert files == sorted(str(f.relative_to(local)) for f in local.rglob("*") if f.is_file())
    assert f"submissions/{v2.id}/steps.json" in files
    for f in files:
        if f != "README.txt":  # says when it was written
            assert (mine / f).read_bytes() == (local / f).read_bytes(), f
    with pytest.raises(Conflict):  # never into a folder that holds something
        ana.download_my_data(out_dir=mine)
    with pytest.raises(PermissionDenied):  # a contributor sees no charts
        ana.work_stats()

    # A role change through the server holds from the user's next request on.
    pname, _pw, ptok = team.new_user("contributor")
    promoted = client(team, ptok, tmp_path)
    with pytest.raises(PermissionDenied):
        promoted.list_queue()
    assert admin.set_role(name=pname, role="reviewer").role == "reviewer"
    assert isinstance(promoted.list_queue(), list)
    with pytest.raises(PermissionDenied):
        ana.set_role(name=pname, role="admin")

    with pytest.raises(NotFound):  # nobody else's submission
        client(team, team.new_user()[2], tmp_path).get_submission(submission_id=v2.id)
    with pytest.raises(OwnSubmission):
        admin_sub = admin.ingest_package(folder=package(
            team, tmp_path, pseudonym(team, team.admin_token)))
        admin.claim(submission_id=admin_sub.id)

    r = ana.withdraw(submission_id=v2.id)
    assert set(r.submission_ids) == {sub.id, v2.id}
    assert ana.get_submission(submission_id=v2.id).info.state is State.WITHDRAWN
    tombs = admin.tombstones(since=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    assert {sub.id, v2.id} <= {t["submission_id"] for t in tombs}
    counts = rev.queue_counts()
    assert counts["withdrawn"] >= 2
