"""Team mode of the desktop app (issue 8's "done when"), offscreen, against the real team
services of tests/server (PostgreSQL, Redis, SeaweedFS, the API under Uvicorn, an RQ worker):
two library windows in one process, a contributor and a reviewer, each signed in to the
server URL through the sign-in dialog, go through submit, request changes (a comment on a
step), resubmit, approve, and an export lists the approved version.  Also: a bad URL and a
server that is down keep the dialog and the local recordings usable; a package left in the
outbox is sent by "Send pending"."""

from __future__ import annotations

import shutil

import pytest

from annotator.remote import team as team_mod
from annotator.ui.workflow.consent_dialog import ConsentDialog
from annotator.workflow.states import State
from tests.server.helpers import package
from tests.ui.test_consent_flow import _error, label, wait_prepared
from tests.ui.workflow_helpers import library, workspace_store

pytestmark = pytest.mark.slow

DEAD = "http://127.0.0.1:9"  # the discard port: nothing listens there


@pytest.fixture
def keyring_file(tmp_path):
    """A real keyring backend (keyrings.alt's file) in tmp, not the developer's keyring."""
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    before = keyring.get_keyring()
    kr = PlaintextKeyring()
    kr.file_path = str(tmp_path / "keyring" / "keyring_pass.cfg")
    keyring.set_keyring(kr)
    yield kr
    keyring.set_keyring(before)


def sign_in_to_server(qtbot, win, url: str, name: str, pw: str, new_pw: str):
    """What a user does: Switch user…, "Team server", the URL, name, the admin-set
    passphrase, then (asked once) a passphrase of their own."""
    dlg = win.show_sign_in()
    assert dlg is not None and dlg.where_box.isVisibleTo(dlg)
    dlg.team_radio.setChecked(True)
    assert dlg.url.isVisibleTo(dlg) and "team" in dlg.ok.text().lower() + dlg.title.text()
    dlg.url.setText(url)
    dlg.name.setText(name)
    dlg.passphrase.setText(pw)
    dlg.submit()
    assert dlg.mode == "change", dlg.error.text()
    dlg.passphrase.setText(new_pw)
    dlg.again.setText(new_pw)
    dlg.submit()
    assert dlg.result() == dlg.DialogCode.Accepted, dlg.error.text()
    return dlg


def test_two_desktops_submit_review_resubmit_approve_export(
        qtbot, team, demo, tmp_path, tmp_path_factory, keyring_file, capsys,
        monkeypatch):
    t = team
    base = tmp_path_factory.getbasetemp()
    c_name, c_pw, _ = t.new_user("contributor", changed=False)
    r_name, r_pw, _ = t.new_user("reviewer", changed=False)

    # Two desktops, each first on its own computer's store (as the app starts).
    ws_c, local_c = workspace_store(tmp_path / "ws", base)
    ws_r, local_r = workspace_store(tmp_path / "ws-rev", base)
    win_c = library(qtbot, ws_c, local_c, None, open_store=False)
    win_r = library(qtbot, ws_r, local_r, None, open_store=False)
    for w in (win_c, win_r):
        if w.sign_in_dialog is not None:  # the auto sign-in of the local store
            w.sign_in_dialog.reject()
        assert "This computer" in w.store_label.text()
        # the store's file, as a contributor knows it, not a database URL
        assert "annotator.db" in w.store_label.text() and "sqlite" not in w.store_label.text()

    # Bad input stays in the dialog: not a URL, then a server that is down.
    dlg = win_c.show_sign_in()
    dlg.team_radio.setChecked(True)
    dlg.name.setText(c_name)
    dlg.passphrase.setText(c_pw)
    dlg.url.setText("annotator.example.org")
    dlg.submit()
    assert dlg.isVisible() and "not a server address" in dlg.error.text()
    dlg.url.setText(DEAD)
    dlg.submit()
    assert dlg.isVisible() and "cannot be reached" in dlg.error.text()
    assert "Check the address" in dlg.error.text() and dlg.name.text() == c_name
    assert win_c.session.team is None and win_c.session.services is local_c
    dlg.reject()

    sign_in_to_server(qtbot, win_c, t.url, c_name, c_pw, "contributor's own pw")
    sign_in_to_server(qtbot, win_r, t.url, r_name, r_pw, "reviewer's own pw")
    for w, name, role in ((win_c, c_name, "contributor"), (win_r, r_name, "reviewer")):
        s = w.session
        assert s.team == team_mod.TeamSettings(t.url, name)
        assert type(s.services).__name__ == "RemoteServices" and s.actor.name == name
        assert "Team server" in w.store_label.text() and t.url in w.store_label.text()
        assert f"{name} on {t.url}" in w.windowTitle()
        assert w.user_btn.text().startswith(f"Signed in as {name} ({role})")
        # The token is in the keyring; the workspace keeps the URL and the name only.
        assert keyring_file.get_password("annotator", f"{t.url}|{name}").startswith("ann_")
        assert team_mod.load_settings(w.ws.root) == s.team
        assert not (w.ws.root / "team" / "tokens.json").exists()
    assert win_r.tabs.isTabVisible(win_r.tabs.indexOf(win_r.review_view))
    assert not win_c.tabs.isTabVisible(win_c.tabs.indexOf(win_c.review_view))

    # The contributor labels and redacts the demo, consents, and it is uploaded.
    label(demo)
    win_c.show_tab("Recordings")
    win_c.table.selectRow(0)
    win_c.submit_btn.click()
    dlg = win_c.dialogs[-1]
    assert isinstance(dlg, ConsentDialog)
    wait_prepared(qtbot, dlg)
    assert dlg.prepared.ready, dlg.banner.text()
    dlg.consent.setChecked(True)
    dlg.submit_btn.click()
    assert t.url in dlg.progress_label.text()
    qtbot.waitUntil(lambda: dlg.info is not None or _error(dlg), timeout=90_000)
    first = dlg.info
    assert first is not None, dlg.banner.text()
    # three actions, then the terminal step that carries the outcome
    assert first.state is State.SUBMITTED and first.step_count == 4
    assert win_c.session.pending_count() == 0  # accepted: the outbox is empty again
    dlg.close()
    qtbot.waitUntil(lambda: not dlg.isVisible(), timeout=10_000)
    win_c.refresh()
    assert f"#{first.id}" in win_c.table.item(0, 4).text()  # the library shows it

    # The reviewer (other window, other workspace) plays it and requests changes on step 2.
    rv = win_r.review_view
    win_r.show_tab("Review")
    rv.refresh()
    ids = [it.id for it in rv.items]
    assert first.id in ids
    rv.table.selectRow(ids.index(first.id))
    rv.claim_btn.click()
    qtbot.waitUntil(lambda: rv.playback.steps.count() == 4, timeout=60_000)
    assert "Do it (type)" in rv.playback.steps.item(1).text()
    rv.playback.steps.setCurrentRow(1)
    rv.comment_edit.setPlainText("Say which field you type into.")
    rv.changes_btn.click()
    assert "Changes requested" in rv.banner.text(), rv.banner.text()
    srv_c = win_c.session.services
    assert srv_c.get_submission(submission_id=first.id).info.state is State.CHANGES_REQUESTED

    # The contributor sees the comment on step 2 and resubmits from the same recording.
    sv = win_c.submissions_view
    win_c.show_tab("My submissions")
    sv.refresh()
    sv.select(first.id)
    assert "Say which field you type into." in sv.details.toPlainText()
    assert "step 2" in sv.details.toPlainText()
    assert sv.resubmit_btn.isEnabled()
    label(demo, instruction="Type the customer into the Customer field")
    sv.resubmit_btn.click()
    dlg2 = win_c.dialogs[-1]
    assert dlg2.resubmit_of == first.id
    wait_prepared(qtbot, dlg2)
    dlg2.consent.setChecked(True)
    dlg2.submit_btn.click()
    qtbot.waitUntil(lambda: dlg2.info is not None or _error(dlg2), timeout=90_000)
    second = dlg2.info
    assert second is not None, dlg2.banner.text()
    assert second.version == 2 and second.previous_id == first.id
    dlg2.close()

    # The reviewer approves the new version.
    rv.refresh()
    ids = [it.id for it in rv.items]
    assert second.id in ids and first.id not in ids
    rv.table.selectRow(ids.index(second.id))
    rv.claim_btn.click()
    rv.set_quality(5)
    rv.approve_btn.click()
    assert "approved" in rv.banner.text(), rv.banner.text()
    sv.refresh()
    sv.select(second.id)
    assert "Approved" in sv.details.toPlainText()
    assert srv_c.get_submission(submission_id=second.id).info.state is State.APPROVED
    # Download my data, from the server: the approved version's files come along.
    sv.out_dir.setText(str(tmp_path / "my-data"))
    job = sv.download()
    assert job.wait(60)
    qtbot.waitUntil(lambda: "Your data" in sv.banner.text(), timeout=10000)
    assert (tmp_path / "my-data" / "submissions" / str(second.id) / "steps.json").is_file()

    # The server's export lists the approved version (and not the superseded one).
    with _admin(t) as admin:
        exp = admin.get_export(admin.start_export(), wait=60)
    assert exp["state"] == "done", exp
    listed = {s["id"] for s in exp["submissions"]}
    assert second.id in listed and first.id not in listed
    mine = next(s for s in exp["submissions"] if s["id"] == second.id)
    assert any(f["path"] == "video.mp4" for f in mine["files"])

    # The existing CLI commands in the contributor's workspace work against the server.
    import json

    for var in ("ANNOTATOR_DATABASE_URL", "ANNOTATOR_PASSPHRASE", "ANNOTATOR_USER"):
        monkeypatch.delenv(var, raising=False)
    code, out, err = cli(capsys, ws_c, "submissions", "list", "--json")
    assert code == 0, err
    assert {s["id"]: s["state"] for s in json.loads(out)} == {
        first.id: "superseded", second.id: "approved"}
    # The server's own rules answer, with the server's message (no local store involved).
    code, out, err = cli(capsys, ws_c, "review", "list")
    assert code == 2 and "Only reviewers and admins" in err
    code, out, err = cli(capsys, ws_r, "review", "show", str(second.id), "--json")
    assert code == 0, err
    assert json.loads(out)["info"]["state"] == "approved"

    # Switching user on the same server: the reviewer's window signs in as the contributor
    # (the dialog offers the server it is on), then signs out, which revokes that token.
    dlg = win_r.show_sign_in()
    assert dlg.team_radio.isChecked() and dlg.url.text() == t.url
    dlg.name.setText(c_name)
    dlg.passphrase.setText("contributor's own pw")
    dlg.submit()
    assert dlg.result() == dlg.DialogCode.Accepted, dlg.error.text()
    assert win_r.session.actor.name == c_name and win_r.session.team.server == t.url
    assert not win_r.tabs.isTabVisible(win_r.tabs.indexOf(win_r.review_view))
    token = win_r.session.services.api.token
    win_r.sign_out()
    qtbot.waitUntil(lambda: keyring_file.get_password("annotator", f"{t.url}|{c_name}")
                    is None, timeout=30_000)
    with t.http(token) as h:
        assert h.get("/v1/me").status_code == 401  # revoked on the server
    assert win_r.session.actor is None and "Sign in" in win_r.user_btn.text()

    # Signed out, the workspace's CLI asks for the passphrase again (and keeps a new token).
    monkeypatch.setenv("ANNOTATOR_PASSPHRASE", "contributor's own pw")
    code, out, err = cli(capsys, ws_c, "submissions", "list", "--json")
    assert code == 0, err
    assert keyring_file.get_password("annotator", f"{t.url}|{c_name}").startswith("ann_")

    # Offline work: a package left in the outbox (consented, the connection lost before the
    # upload) is shown and sent by "Send pending".
    svc = win_c.session.services
    pkg = package(t, tmp_path / "outbox-pkgs", win_c.session.actor.pseudonym)
    svc.outbox.prepare(pkg, server=svc.server)
    win_c.session.pending_changed.emit(win_c.session.pending_count())
    assert win_c.pending_btn.isVisibleTo(win_c) and "(1)" in win_c.pending_btn.text()
    # The 30 s retry started a send just before the click: the click is answered by it.
    win_c.session.send_pending()
    win_c.pending_btn.click()
    qtbot.waitUntil(lambda: "Sent 1 waiting" in win_c.banner.text(), timeout=90_000)
    assert win_c.session.pending_count() == 0 and not win_c.pending_btn.isVisibleTo(win_c)


def cli(capsys, ws, *args):
    """The existing store commands, in a workspace signed in to a server: they use it, with
    the token from the keyring (no passphrase)."""
    from annotator.cli.main import main

    capsys.readouterr()
    code = main(["--workspace", str(ws.root), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


class _admin:
    def __init__(self, t) -> None:
        from annotator.remote.client import RemoteServices

        self.svc = RemoteServices(t.url, token=t.admin_token)

    def __enter__(self):
        return self.svc

    def __exit__(self, *exc) -> None:
        self.svc.close()


def test_server_down_keeps_local_work_and_switching_back(qtbot, demo, tmp_path,
                                                        tmp_path_factory):
    """A workspace signed in to a server that is down: the banner says so, the recordings
    are listed and open, and "Work on this computer" goes back to the local store."""
    base = tmp_path_factory.getbasetemp()
    ws, _local = workspace_store(tmp_path / "ws", base)
    team_mod.save_settings(ws.root, team_mod.TeamSettings(DEAD, "ana"))
    from annotator.ui.app import LibraryWindow

    win = LibraryWindow(ws, auto_sign_in=False)
    qtbot.addWidget(win)
    win.show()
    assert win.session.team is not None
    qtbot.waitUntil(lambda: win.session.error is not None, timeout=30_000)
    assert win.banner.kind == "error" and "cannot be reached" in win.banner.text()
    assert "retried every 30 s" in win.banner.text()
    assert DEAD in win.banner.text() and "unreachable" in win.store_label.text()
    assert win.table.rowCount() == 1  # the local recording is still there
    editor = win.open_editor(demo)
    assert editor is not None
    editor.close()
    win.banner.button("Work on this computer").click()
    qtbot.waitUntil(lambda: win.session.ready, timeout=30_000)
    assert win.session.team is None and team_mod.load_settings(ws.root) is None
    assert "This computer" in win.store_label.text()
    qtbot.waitUntil(lambda: win.sign_in_dialog is not None, timeout=10_000)
    assert win.sign_in_dialog.local_radio.isChecked()
    win.sign_in_dialog.reject()
    shutil.rmtree(ws.root / "team", ignore_errors=True)
