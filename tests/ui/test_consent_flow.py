"""The issue's "done when", offscreen, on one machine: the demo recording is labelled and
redacted, the consent dialog blocks it until the checklist holds, renders it in the
background (cancel works), shows what will be shared and asks for consent; a reviewer plays
it and requests changes on a step; the contributor fixes and resubmits; the reviewer
approves; the admin sees the payout; the contributor withdraws and the content is gone."""

from __future__ import annotations

import pytest
from PyQt6.QtCore import Qt

from annotator.edits import EditSession
from annotator.steps import load_or_derive
from annotator.ui.workflow.consent_dialog import ConsentDialog
from annotator.workflow.errors import NotFound
from tests.ui.workflow_helpers import library, workspace_store
from tests.workflow.helpers import build_world

EMAIL_BOX = [70, 74, 170, 26]  # the demo's e-mail address on screen (tests/ui/test_editor_*)
CUSTOMER_BOX = [72, 44, 320, 28]  # the Customer field, where "Acme Corporation" is typed


def label(folder, *, instruction: str = "Do it", boxes: bool = True) -> None:
    """What the contributor does in the editor: a short kept range, goal, outcome, an
    instruction per kept step, the typed customer name masked, and (``boxes``) boxes over
    the customer name and the e-mail address on screen."""
    doc = load_or_derive(folder)
    with EditSession.open(folder, steps=doc.steps) as s:
        s.trim(0, 6_000_000)
        s.set_goal("Fill in the invoice's customer")
        s.set_outcome("success")
        for st in s.result.steps:
            s.set_instruction(st.id, f"{instruction} ({st.type})")
        typing = next(st for st in s.result.steps if st.type == "type")
        if not any(r.get("kind") == "text" for r in s.edits.redactions):
            s.mask_text(typing.id)
        if boxes and not any(r.get("kind") == "box" for r in s.edits.redactions):
            s.add_box(CUSTOMER_BOX, 0, 30_000_000)
            s.add_box(EMAIL_BOX, 0, 30_000_000)


def _error(dlg) -> bool:
    return dlg.banner.isVisible() and dlg.banner.kind == "error"


def wait_prepared(qtbot, dlg) -> None:
    qtbot.waitUntil(lambda: dlg.job is None and (dlg.prepared is not None
                                                 or _error(dlg)),
                    timeout=180_000)
    assert dlg.prepared is not None, dlg.banner.text()


@pytest.mark.slow
def test_record_consent_review_resubmit_approve_pay_withdraw(qtbot, demo, tmp_path,
                                                             tmp_path_factory):
    ws, svc = workspace_store(tmp_path / "ws", tmp_path_factory.getbasetemp())
    world = build_world(svc, tmp_path / "pkgs")
    svc.set_rates(actor=world.admin, per_approved_minute_cents=100, per_approved_task_cents=50)
    win = library(qtbot, ws, svc, world.ana)

    # Blocked: no goal, no outcome, no instructions.  Nothing is prepared.
    win.table.selectRow(0)
    win.submit_btn.click()
    (dlg,) = win.dialogs
    assert isinstance(dlg, ConsentDialog)
    assert not dlg.checklist_ok and dlg.job is None
    texts = [dlg.checklist.item(i).text() for i in range(dlg.checklist.count())]
    assert any("no goal" in t for t in texts) and any("no instruction" in t for t in texts)
    assert not dlg.prepare_btn.isEnabled() and not dlg.submit_btn.isEnabled()
    assert not dlg.consent.isEnabled() and "blocked" in dlg.check_state.text()
    assert not ws.packages_dir.exists() or not any(ws.packages_dir.iterdir())

    # Labelled in the editor, the typed name masked but still on screen; "Check again"
    # prepares in the background, and Cancel stops it.
    label(demo, boxes=False)
    dlg.recheck()
    assert dlg.checklist_ok and dlg.job is not None
    dlg.cancel_btn.click()
    qtbot.waitUntil(lambda: dlg.job is None, timeout=60_000)
    if dlg.prepared is None:  # (a very fast machine may finish first)
        assert "Cancelled" in dlg.progress_label.text()
        assert not any(p.name.startswith("demo") for p in ws.packages_dir.glob("*"))
    dlg.prepare_btn.click()
    wait_prepared(qtbot, dlg)
    # The leak check reads the masked name in the video: consent is blocked, and says why.
    assert not dlg.prepared.leak_check.passed
    assert "failed" in dlg.summary.text()
    assert _error(dlg) and "Consent is blocked" in dlg.banner.text()
    assert "leak check" in dlg.banner.text()
    # The line under the checklist agrees with the ✗ in it (it said "Everything needed is
    # there": the checks made before preparing had passed).
    assert "Consent is blocked" in dlg.check_state.text()
    assert not dlg.consent.isEnabled() and not dlg.submit_btn.isEnabled()
    dlg.consent.setChecked(True)  # even if ticked by other means, Submit stays off
    assert not dlg.submit_btn.isEnabled()
    dlg.submit()
    assert dlg.info is None and svc.my_submissions(actor=world.ana) == []
    # Boxes over the name and the e-mail address; prepared again, it passes.
    label(demo)
    assert dlg.prepare_btn.text() == "Prepare again"
    dlg.prepare_btn.click()
    wait_prepared(qtbot, dlg)
    summary = dlg.summary.text()
    for want in ("Leak check</b>: <span", "passed", "Steps</b>: 3", "Typed text</b>: not",
                 "Window titles</b>", "Redactions</b>: 3", "0:06.0"):
        assert want in summary, want
    assert dlg.check_state.text() == "Everything needed is there."
    assert dlg.player.pts and dlg.player.loader is not None  # the rendered result plays
    qtbot.waitUntil(lambda: dlg.player.view.rgb is not None, timeout=10_000)
    assert "Terms version 1" in dlg.terms_text.toPlainText()
    # Consent is explicit: never ticked for the contributor; Submit waits for it.
    assert not dlg.consent.isChecked() and not dlg.submit_btn.isEnabled()
    dlg.retention_buttons["delete"].setChecked(True)
    dlg.consent.setChecked(True)
    assert dlg.submit_btn.isEnabled()
    dlg.submit_btn.click()
    qtbot.waitUntil(lambda: dlg.info is not None or _error(dlg), timeout=60_000)
    first = dlg.info
    assert first is not None, dlg.banner.text()
    detail = svc.get_submission(actor=world.admin, submission_id=first.id)
    # three actions, then the terminal step that carries the outcome
    assert str(detail.info.state) == "submitted" and detail.info.step_count == 4
    assert "I consent" in detail.consent.method and detail.consent.terms_version == "1"
    dlg.close()

    # The reviewer plays it and requests changes with a comment on step 2.
    win.session.set_actor(world.rev)
    win.show_tab("Review")
    rv = win.review_view
    assert rv.table.rowCount() == 1
    rv.table.selectRow(0)
    rv.claim_btn.click()
    qtbot.waitUntil(lambda: rv.playback.steps.count() == 4, timeout=30_000)
    assert "Do it (type)" in rv.playback.steps.item(1).text()
    assert "Fill in the invoice" in rv.task_box.text()
    qtbot.waitUntil(lambda: rv.playback.player.view.rgb is not None, timeout=10_000)
    rv.playback.steps.setCurrentRow(1)
    rv.comment_edit.setPlainText("Say which field you type into.")
    rv.window().activateWindow()
    rv.table.setFocus()
    qtbot.waitUntil(rv.table.hasFocus, timeout=2000)
    qtbot.keyClick(rv.table, Qt.Key.Key_C)
    assert str(svc.get_submission(actor=world.admin, submission_id=first.id).info.state) \
        == "changes_requested"

    # The contributor sees the comment, fixes the instruction and resubmits.
    win.session.set_actor(world.ana)
    sv = win.submissions_view
    sv.select(first.id)
    assert "Say which field you type into." in sv.details.toPlainText()
    assert "step 2" in sv.details.toPlainText()
    assert sv.resubmit_btn.isEnabled()
    label(demo, instruction="Type the customer into the Customer field")
    sv.resubmit_btn.click()
    dlg2 = win.dialogs[-1]
    assert dlg2.resubmit_of == first.id
    wait_prepared(qtbot, dlg2)
    dlg2.consent.setChecked(True)
    dlg2.submit_btn.click()
    qtbot.waitUntil(lambda: dlg2.info is not None or _error(dlg2),
                    timeout=60_000)
    second = dlg2.info
    assert second is not None, dlg2.banner.text()
    assert second.version == 2 and second.previous_id == first.id
    dlg2.close()

    # The reviewer approves it with quality 5.
    win.session.set_actor(world.rev)
    rv.table.selectRow(0)
    rv.claim_btn.click()
    rv.set_quality(5)
    rv.approve_btn.click()
    assert str(svc.get_submission(actor=world.admin, submission_id=second.id).info.state) \
        == "approved"

    # The admin sees the payout: 6 s at 1.00/min = 0.10, plus 0.50 for the task.
    win.session.set_actor(world.admin)
    av = win.admin_view
    av.month.setText(svc.now().strftime("%Y-%m"))
    av.show_btn.click()
    assert av.summary_table.rowCount() == 1
    assert av.summary_table.item(0, 0).text() == world.ana.pseudonym
    assert av.summary_table.item(0, 3).text() == "0.60 EUR"

    # The contributor: the raw recording is deleted once approved (as chosen), then the
    # contributor withdraws and the content is gone from the store.
    win.session.set_actor(world.ana)
    assert not demo.exists()
    assert "raw local recording was deleted" in sv.banner.text()
    sv.select(second.id)
    sv.withdraw_btn.click()
    sv.banner.button("Yes, withdraw").click()
    for sid in (first.id, second.id):
        assert str(svc.get_submission(actor=world.admin, submission_id=sid).info.state) \
            == "withdrawn"
        with pytest.raises(NotFound):
            svc.open_file(actor=world.admin, submission_id=sid, path="video.mp4")
    assert svc.payouts(actor=world.admin, month=svc.now().strftime("%Y-%m")).items.empty
