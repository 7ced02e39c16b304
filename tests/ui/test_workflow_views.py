"""The workflow views of the desktop app, offscreen, against a real SQLite workspace store:
first-run set-up and sign-in, switching user, the reviewer's queue and keyboard decisions,
the contributor's submissions (comments, withdrawal, download, account deletion), the
admin's charts and payouts, and an unreachable database."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QPushButton

from annotator.workflow.errors import NotFound
from annotator.workflow.states import State
from tests.store.db_fixtures import Clock
from tests.ui.workflow_helpers import library, workspace_store, workspace_world
from tests.workflow.helpers import build_world


@pytest.fixture
def wsvc(tmp_path, tmp_path_factory):
    return workspace_store(tmp_path / "ws", tmp_path_factory.getbasetemp())


@pytest.fixture
def world(tmp_path, tmp_path_factory):
    clock = Clock(dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC))
    return workspace_world(tmp_path, tmp_path_factory.getbasetemp(), clock=clock)


def _key(qtbot, view, key, mods=Qt.KeyboardModifier.NoModifier):
    # Shortcuts need the window active and the focus in the view (and single-key ones are off
    # while a text field has focus).
    view.window().activateWindow()
    view.table.setFocus()
    qtbot.waitUntil(lambda: view.table.hasFocus(), timeout=2000)
    qtbot.keyClick(view.table, key, mods)


def _files(folder) -> dict[str, str]:
    """Every file of a recording with its SHA-256 (the library's derived cache aside)."""
    import hashlib

    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.rglob("*") if p.is_file() and "cache" not in p.parts}


def _visible_tabs(win) -> list[str]:
    return [win.tabs.tabText(i) for i in range(win.tabs.count()) if win.tabs.isTabVisible(i)]


# -- sign-in --------------------------------------------------------------------------------------
def test_first_run_setup_invite_switch_user_and_wrong_passphrase(qtbot, wsvc):
    ws, svc = wsvc
    win = library(qtbot, ws, svc)
    dlg = win.sign_in_dialog
    assert dlg is not None and dlg.mode == "setup"  # an empty store: create the first admin
    assert _visible_tabs(win) == ["Recordings"]
    # Submitting from the editor while it is open asks in the same dialog, then goes on.
    went_on = []
    assert win.show_sign_in(then=lambda: went_on.append(True)) is dlg
    dlg.name.setText("admin")
    dlg.passphrase.setText("admin passphrase")
    dlg.again.setText("another passphrase")
    dlg.submit()
    assert dlg.error.isVisible() and "differ" in dlg.error.text()
    assert not svc.is_set_up()
    dlg.again.setText("admin passphrase")
    dlg.submit()
    assert win.session.actor.name == "admin" and win.session.role == "admin"
    assert went_on == [True]
    assert _visible_tabs(win) == ["Recordings", "Tasks", "My submissions", "Review", "Admin"]

    # The admin invites a contributor; the generated passphrase is shown once.
    admin = win.admin_view
    admin.new_name.setText("ana")
    admin.new_role.setCurrentText("contributor")
    admin.invite_btn.click()
    secret = re.search(r"<b>(.+?)</b>", admin.banner.text()).group(1)
    assert [u.name for u in svc.list_users(actor=win.session.actor)] == ["admin", "ana"]

    # Switch user: wrong passphrase first (nothing changes), then the right one, which must be
    # replaced by the user's own.
    win.switch_action.trigger()
    dlg = win.sign_in_dialog
    assert dlg.mode == "sign_in"
    dlg.name.setText("ana")
    dlg.passphrase.setText("not the passphrase")
    dlg.submit()
    assert dlg.isVisible() and "wrong user name or passphrase" in dlg.error.text()
    assert win.session.actor.name == "admin"
    dlg.passphrase.setText(secret)
    dlg.submit()
    assert dlg.mode == "change" and win.session.actor.name == "admin"
    dlg.passphrase.setText("short")
    dlg.again.setText("short")
    dlg.submit()
    assert "at least 10 characters" in dlg.error.text()
    dlg.passphrase.setText("ana's own passphrase")
    dlg.again.setText("ana's own passphrase")
    dlg.submit()
    assert win.session.actor.name == "ana" and win.session.role == "contributor"
    assert _visible_tabs(win) == ["Recordings", "Tasks", "My submissions"]
    assert "Signed in as ana (contributor)" in win.user_btn.text()
    assert svc.sign_in(name="ana", passphrase="ana's own passphrase").name == "ana"
    # Change passphrase from the user menu: the current one is checked.
    dlg = win.change_passphrase()
    current = dlg.current
    assert current.isVisible() and not dlg.name.isEnabled()
    current.setText("not my passphrase")
    dlg.passphrase.setText("ana's newer passphrase")
    dlg.again.setText("ana's newer passphrase")
    dlg.ok.click()
    assert dlg.isVisible() and "current passphrase is wrong" in dlg.error.text()
    current.setText("ana's own passphrase")
    dlg.ok.click()
    assert not dlg.isVisible() and "Passphrase changed" in win.banner.text()
    assert svc.sign_in(name="ana", passphrase="ana's newer passphrase").name == "ana"
    win.sign_out_action.trigger()
    assert win.session.actor is None and _visible_tabs(win) == ["Recordings"]


# -- review ---------------------------------------------------------------------------------------
def test_reviewer_queue_claim_comment_request_changes_and_approve_by_keys(qtbot, world):
    first = world.submit(goal="Rename the report to final.txt")
    second = world.submit(world.bob, goal="Archive last year's invoices")
    task = world.svc.publish_task(actor=world.admin, title="Invoices", goal="Archive invoices",
                                  applications=["Files"])
    win = library(qtbot, world.ws, world.svc, world.rev)
    assert _visible_tabs(win) == ["Recordings", "Tasks", "My submissions", "Review"]
    win.show_tab("Review")
    view = win.review_view
    assert view.table.rowCount() == 2
    assert [view.table.item(r, 3).text() for r in range(2)] == [
        "Rename the report to final.txt", "Archive last year's invoices"]
    assert view.table.item(0, 1).text() == "… not yet"  # no signal set computed for it
    assert view.task_filter.findData(task.id) > 0
    assert "N" in view.keys_label.text() and "quality" in view.keys_label.text()

    # N claims the oldest waiting submission and shows it.
    _key(qtbot, view, Qt.Key.Key_N)
    assert view.current.info.id == first.id
    assert str(world.get(first.id).state) == "in_review"
    assert world.get(first.id).claimed_by == world.rev.pseudonym
    qtbot.waitUntil(lambda: view.playback.steps.count() == 4, timeout=10_000)
    assert "no task" in view.header.text() or "own goal" in view.header.text()

    # C without a comment is refused in the banner; nothing changes.
    _key(qtbot, view, Qt.Key.Key_C)
    assert view.banner.kind == "error" and "add a comment" in view.banner.text()
    assert str(world.get(first.id).state) == "in_review"

    # A comment on step 2, then C: changes requested, the comment pinned to that step.
    view.playback.steps.setCurrentRow(1)
    view.pin.setCurrentIndex(0)
    view.comment_edit.setPlainText("Step 2's instruction names the wrong folder.")
    view.add_comment_btn.click()
    assert len(view.drafts) == 1 and view.comments.count() == 1
    _key(qtbot, view, Qt.Key.Key_C)
    info = world.get(first.id)
    assert str(info.state) == "changes_requested"
    (c,) = world.svc.get_submission(actor=world.admin, submission_id=first.id).comments
    assert c.step_index == 1 and c.body == "Step 2's instruction names the wrong folder."
    assert view.banner.kind == "ok" and "Changes requested" in view.banner.text()

    # Next: A without a quality score is refused; 4 then A approves.
    _key(qtbot, view, Qt.Key.Key_N)
    assert view.current.info.id == second.id
    _key(qtbot, view, Qt.Key.Key_A)
    assert "quality" in view.banner.text() and str(world.get(second.id).state) == "in_review"
    _key(qtbot, view, Qt.Key.Key_R)
    assert "reason" in view.banner.text() and str(world.get(second.id).state) == "in_review"
    _key(qtbot, view, Qt.Key.Key_4)
    assert view.quality == 4 and view.quality_buttons[3].isChecked()
    _key(qtbot, view, Qt.Key.Key_A)
    info = world.get(second.id)
    assert str(info.state) == "approved" and info.quality == 4
    assert info.reviewer == world.rev.pseudonym
    # Typing in the comment box never triggers a decision.
    view.comment_edit.setFocus()
    qtbot.keyClick(view.comment_edit, Qt.Key.Key_A)
    assert view.comment_edit.toPlainText() == "a"
    # The queue is empty now.
    _key(qtbot, view, Qt.Key.Key_N)
    assert "Nothing is waiting" in view.banner.text()


def test_reviewer_rejects_with_a_reason_and_never_sees_own_work(qtbot, world):
    sub = world.submit(world.ana)
    own = world.submit(world.admin)
    win = library(qtbot, world.ws, world.svc, world.admin)
    view = win.review_view
    ids = [view.table.item(r, 0).data(Qt.ItemDataRole.UserRole)
           for r in range(view.table.rowCount())]
    assert ids == [sub.id] and own.id not in ids  # nobody reviews their own
    view.table.selectRow(0)
    world.svc.claim(actor=world.rita, submission_id=sub.id)  # another reviewer was quicker
    view.claim_btn.click()
    assert view.banner.kind == "error" and world.rita.pseudonym in view.banner.text()
    world.svc.release(actor=world.rita, submission_id=sub.id)
    view.claim_btn.click()
    assert view.banner.kind == "ok" and view.release_btn.isEnabled()
    view.reason.setText("Off task: the goal is about invoices")
    view.reject_btn.click()
    info = world.get(sub.id)
    assert str(info.state) == "rejected" and info.decision_reason.startswith("Off task")
    # Only the admin's own submission waits: Claim next says why it takes nothing (it said
    # "Nothing is waiting for review." beside "Queue: waiting for review 1").
    view.next_btn.click()
    assert view.current is None or view.current.info.id != own.id
    assert "None of the 1 waiting submission(s) is for you to review" in view.banner.text()
    assert "your own" in view.banner.text()


def test_claim_next_mixes_in_blind_reviews_that_tell_nothing(qtbot, world):
    sub = world.submit(world.ana, goal="Rename the report to final.txt")
    world.svc.claim(actor=world.rev, submission_id=sub.id)
    world.svc.approve(actor=world.rev, submission_id=sub.id, quality=4)
    world.svc.mark_gold(actor=world.admin, submission_id=sub.id, decision="approve", quality=4)
    world.svc.set_review_mix(actor=world.admin, gold_rate=1.0, second_rate=0.0)
    win = library(qtbot, world.ws, world.svc, world.rita)
    win.show_tab("Review")
    view = win.review_view
    _key(qtbot, view, Qt.Key.Key_N)
    # The work is shown: its goal, its steps and video; not its number, state or reviewer.
    assert view.blind is not None and view.current is None
    header = view.header.text()
    assert "Rename the report" in header and f"#{sub.id}" not in header
    assert "approved" not in header.lower() and world.rev.pseudonym not in header
    qtbot.waitUntil(lambda: view.playback.steps.count() == 4, timeout=10_000)
    assert view.approve_btn.isEnabled() and not view.release_btn.isEnabled()
    assert not view.add_comment_btn.isEnabled()
    _key(qtbot, view, Qt.Key.Key_A)  # no quality yet: refused
    assert "quality" in view.banner.text() and view.blind is not None
    _key(qtbot, view, Qt.Key.Key_2)
    _key(qtbot, view, Qt.Key.Key_A)
    assert view.blind is None and "Blind review decided" in view.banner.text()
    ag = world.svc.reviewer_agreement(actor=world.admin)
    row = next(r for r in ag.reviewers if r["reviewer"] == world.rita.pseudonym)
    assert (row["gold_reviews"], row["gold_correct"]) == (1, 1)
    # The submission itself is as the first reviewer left it.
    info = world.get(sub.id)
    assert str(info.state) == "approved" and info.quality == 4 and info.reviewer == \
        world.rev.pseudonym
    # Every gold item reviewed: N goes back to the ordinary queue.
    _key(qtbot, view, Qt.Key.Key_N)
    assert view.blind is None and "Nothing is waiting" in view.banner.text()


# -- contributor ----------------------------------------------------------------------------------
def test_contributor_sees_comments_downloads_and_withdraws(qtbot, world, tmp_path):
    sub = world.in_state(State.CHANGES_REQUESTED)
    approved = world.in_state(State.APPROVED)
    win = library(qtbot, world.ws, world.svc, world.ana)
    assert _visible_tabs(win) == ["Recordings", "Tasks", "My submissions"]
    view = win.submissions_view
    win.show_tab("My submissions")
    assert view.table.rowCount() == 2
    view.select(sub.id)
    html = view.details.toPlainText()
    assert "Changes requested" in html and "step 2" in html
    assert "step 2 label is wrong" in html
    assert not view.resubmit_btn.isEnabled()  # no local recording is known for it

    # Download my data: everything, as files.
    out = tmp_path / "mydata"
    view.out_dir.setText(str(out))
    job = view.download()
    assert job.wait(30)
    qtbot.waitUntil(lambda: "Your data" in view.banner.text(), timeout=5000)
    assert (out / "submissions.json").is_file() and (out / "account.json").is_file()
    assert json.loads((out / "account.json").read_text())["pseudonym"] == world.ana.pseudonym

    # Withdraw: one click, then the confirmation in the window.
    view.select(approved.id)
    view.withdraw_btn.click()
    assert view.banner.kind == "warn" and str(world.get(approved.id).state) == "approved"
    view.banner.button("Yes, withdraw").click()
    assert str(world.get(approved.id).state) == "withdrawn"
    with pytest.raises(NotFound):
        world.svc.open_file(actor=world.ana, submission_id=approved.id, path="video.mp4")
    view.select(approved.id)
    assert "withdrawn" in view.details.toPlainText()
    assert not view.withdraw_btn.isEnabled()

    # Withdraw everything and delete the account: signed out, content gone.
    view.delete_all_btn.click()
    view.banner.button("Yes, withdraw everything and delete my account").click()
    assert win.session.actor is None
    assert str(world.get(sub.id).state) == "withdrawn"
    assert "account was deleted" in win.banner.text()


def test_contributor_picks_a_task_and_the_reviewer_sees_it(qtbot, world):
    task = world.svc.publish_task(actor=world.admin, title="Rename", goal="Rename the report",
                                  applications=["Files"], pay_cents=150)
    sub = world.submit(world.ana, task_id=task.id)
    win = library(qtbot, world.ws, world.svc, world.ana)
    tv = win.tasks_view
    assert tv.list.count() == 1 and "Rename" in tv.list.item(0).text()
    tv.list.setCurrentRow(0)
    assert tv.record_btn.isEnabled() and "Rename the report" in tv.detail.text()
    win.session.set_actor(world.rev)  # switched (the dialog is tested above)
    rv = win.review_view
    rv.table.selectRow(0)
    assert f"task <b>#{task.id} Rename</b>" in rv.header.text()
    assert rv.current.info.id == sub.id


# -- admin ----------------------------------------------------------------------------------------
def test_admin_charts_payouts_rates_and_tasks(qtbot, world, tmp_path):
    svc, clock = world.svc, world.clock
    svc.set_rates(actor=world.admin, per_approved_minute_cents=50, per_approved_task_cents=100,
                  currency="EUR", effective_from=clock() - dt.timedelta(days=30))
    for _ in range(3):
        world.in_state(State.APPROVED)
        clock.advance(days=8)
    world.in_state(State.REJECTED)
    world.in_state(State.SUBMITTED, world.bob)
    clock.advance(days=1)
    win = library(qtbot, world.ws, svc, world.admin)
    view = win.admin_view
    win.show_tab("Admin")
    # Charts from Services.work_stats: 3 weeks with approvals, a queue line, one reason.
    (bars,) = view.minutes_chart.series()
    (bar_set,) = bars.barSets()
    values = [bar_set.at(i) for i in range(bar_set.count())]
    assert len(values) == 12  # every week of the period, weeks without approvals at 0
    assert [v for v in values if v] == [1.5, 1.5, 1.5] and values[-1] == 0
    (line,) = view.queue_chart.series()
    assert line.count() >= 20 and max(line.at(i).y() for i in range(line.count())) >= 1
    # The queue's line spans the period the bars span: from 12 weeks ago, empty then (the
    # first submission came later), to now, where bob's submission waits.
    now_ms = svc.now().timestamp() * 1000
    assert line.at(0).x() == now_ms - 12 * 7 * 86_400_000 and line.at(0).y() == 0
    assert line.at(line.count() - 1).x() == now_ms and line.at(line.count() - 1).y() == 1
    (axis,) = view.queue_chart.axes(Qt.Orientation.Horizontal)
    assert axis.max().toMSecsSinceEpoch() == now_ms
    (reasons,) = view.reasons_chart.series()
    assert reasons.barSets()[0].at(0) == 1
    assert "4.5</b> approved minutes in <b>3</b>" in view.figures.text()
    pix = view.minutes_view.grab()
    assert pix.width() > 100

    # Payouts: March holds the approvals made in March; closing a month not over is refused.
    view.tabs.setCurrentIndex(1)
    view.month.setText("2026-03")
    view.show_btn.click()
    assert view.summary_table.rowCount() == 1
    assert view.items_table.rowCount() >= 2
    assert "Open" in view.payout_state.text()
    view.month.setText("2026-04")
    view.show_btn.click()
    view.close_btn.click()
    view.banner.button("Yes, close it").click()
    assert view.banner.kind == "error" and "not over yet" in view.banner.text()
    view.month.setText("2026-03")
    view.show_btn.click()
    view.close_btn.click()
    view.banner.button("Yes, close it").click()
    assert view.banner.kind == "ok" and "closed" in view.banner.text()
    assert "Closed" in view.payout_state.text() and not view.close_btn.isEnabled()
    csv = tmp_path / "march.csv"
    view.csv_path.setText(str(csv))
    view.csv_btn.click()
    assert csv.read_text().splitlines()[0].startswith("month,contributor")
    # A bad month is an error in the banner.
    view.month.setText("March")
    view.show_btn.click()
    assert "is not a month" in view.banner.text()

    # Rates, tasks, terms.
    view.per_minute.setValue(60)
    view.per_task.setValue(120)
    view.set_rates_btn.click()
    assert view.rates_table.rowCount() == 2
    view.task_title.setText("Invoices")
    view.task_goal.setText("Archive last year's invoices")
    view.publish_task_btn.click()
    assert [t.title for t in svc.list_tasks(actor=world.admin)] == ["Invoices"]
    assert win.tasks_view.list.count() == 1
    view.publish_task_btn.click()  # empty title and goal
    assert "needs a title and a goal" in view.banner.text()
    view.new_terms_version.setText("2")
    view.new_terms_text.setPlainText("New terms text.")
    view.publish_terms_btn.click()
    assert svc.get_terms().version == "2" and view.terms_list.count() == 2
    # Reset a passphrase: shown once, must be changed.
    rows = [u.name for u in view.users]
    view.users_table.selectRow(rows.index("bob"))
    view.reset_btn.click()
    secret = re.search(r"<b>(.+?)</b>", view.banner.text()).group(1)
    assert svc.sign_in(name="bob", passphrase=secret).must_change_passphrase
    # Change a role: bob the contributor becomes a reviewer; nobody changes their own.
    view.role_choice.setCurrentText("reviewer")
    view.role_btn.click()
    assert "bob is now a reviewer" in view.banner.text()
    assert [u.role for u in svc.list_users(actor=world.admin) if u.name == "bob"] == ["reviewer"]
    assert view.users_table.item(rows.index("bob"), 2).text() == "reviewer"
    view.users_table.selectRow(rows.index("admin"))
    view.role_btn.click()
    assert view.banner.kind == "error" and "your own role" in view.banner.text()
    assert not any(b.isVisible() for b in view.banner.findChildren(QPushButton)
                   if b is not view.banner.close_btn)  # the month's "Yes, close it" is gone


# -- the database unreachable --------------------------------------------------------------------
def test_unreachable_database_says_so_and_keeps_local_work(qtbot, tmp_path, demo):
    from annotator.workspace import Workspace

    ws = Workspace.open(tmp_path / "ws")
    before = _files(demo)
    win = library(qtbot, ws, None, database_url="postgresql://u:secret@127.0.0.1:1/nothing")
    qtbot.waitUntil(lambda: win.banner.isVisible() and win.banner.kind == "error",
                    timeout=30_000)
    text = win.banner.text()
    assert "cannot be reached" in text and "local recordings are untouched" in text
    assert "secret" not in text  # the password is masked
    assert _visible_tabs(win) == ["Recordings"]
    assert win.table.rowCount() == 1  # the local recording is listed as before
    win.table.selectRow(0)
    win.submit_btn.click()  # submitting says why it cannot
    assert "cannot be reached" in win.banner.text()
    assert win.banner.button("Retry") is not None
    assert _files(demo) == before


def test_editor_submit_action_opens_the_consent_dialog(qtbot, demo, tmp_path,
                                                       tmp_path_factory):
    from annotator.ui.workflow.consent_dialog import ConsentDialog

    ws, svc = workspace_store(tmp_path / "ws", tmp_path_factory.getbasetemp())
    world = build_world(svc, tmp_path / "pkgs")
    task = svc.publish_task(actor=world.admin, title="Invoice", goal="Fill in invoice 2041",
                            applications=["Sample Books"])
    win = library(qtbot, ws, svc, None)
    win.sign_in_dialog.reject()
    win.apply_task(demo, task)  # what "Record / demo for this task" does with the recording
    editor = win.open_editor(demo)
    assert editor.session.edits.task.goal == "Fill in invoice 2041"  # the task panel
    file_menu = editor.menuBar().actions()[0].menu()
    (submit,) = [a for a in file_menu.actions() if a.text() == "S&ubmit…"]
    submit.trigger()  # not signed in: the sign-in dialog comes first
    dlg = win.sign_in_dialog
    assert dlg is not None and not win.dialogs
    dlg.name.setText("ana")
    dlg.passphrase.setText("wrong passphrase")
    dlg.submit()
    assert not win.dialogs and dlg.error.isVisible()
    dlg.actor = world.ana
    dlg.accept()  # (signing in itself is tested above)
    (consent,) = win.dialogs
    assert isinstance(consent, ConsentDialog) and consent.bundle == demo
    assert consent.task_id == task.id
    texts = [consent.checklist.item(i).text() for i in range(consent.checklist.count())]
    assert "✓  The task has a goal." in texts
    assert not consent.checklist_ok  # no outcome nor instructions yet: blocked, no render
    assert consent.job is None and consent.prepared is None
    consent.close()
    editor.close()
