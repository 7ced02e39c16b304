"""The raw recording once its submission is approved, chosen through each face: the consent
dialog (offscreen, pytest-qt) and the command line (``annotator submit --retention``,
``annotator retention``), then applied by each face: deleted, kept, or asked about.  A
preferences file written by an earlier version (the desktop's yes/no, the command line's
"delete" that nothing applied) is migrated: old words rewritten, and recordings kept because
of the old behaviour offered for deletion, never deleted without asking."""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest

from annotator.submission.builder import consent_and_submit, default_package_dir, prepare_package
from annotator.submission.local import local_submissions
from annotator.workflow.package import MANIFEST_NAME, write_manifest
from annotator.workflow.states import State
from tests.clirun import cli_runner
from tests.ui.test_consent_flow import label
from tests.ui.workflow_helpers import library, workspace_world


@pytest.fixture(scope="session")
def prepared_demo(demo_template, tmp_path_factory):
    """The demo recording, labelled, with its package prepared once (rendering is the slow
    part); tests take copies."""
    from annotator.workspace import Workspace

    ws = Workspace.open(tmp_path_factory.mktemp("retention-ws"))
    rec = ws.recordings_dir / demo_template.name
    shutil.copytree(demo_template, rec)
    label(rec)
    return prepare_package(rec, default_package_dir(ws, rec), workspace=ws)


def _copy(prepared, ws, name: str):
    """A copy of the prepared demo as the recording ``name`` of ``ws``, with its package
    (a package of its own: a new package id, so a new manifest hash)."""
    rec = ws.recordings_dir / name
    shutil.copytree(prepared.bundle_dir, rec)
    pkg = ws.packages_dir / f"{name}-20260310-120000"
    shutil.copytree(prepared.folder, pkg)
    manifest = json.loads((pkg / MANIFEST_NAME).read_text())
    (pkg / MANIFEST_NAME).unlink()
    sha = write_manifest(pkg, goal=manifest["task"]["goal"],
                         outcome=manifest["task"]["outcome"], summary=manifest["summary"],
                         task_id=manifest["task"]["task_id"],
                         roles={f["path"]: f["role"] for f in manifest["files"]})
    return rec, dataclasses.replace(prepared, bundle_dir=rec, folder=pkg, manifest_sha256=sha,
                                    video=pkg / prepared.video.name)


@pytest.fixture
def world(tmp_path, tmp_path_factory):
    return workspace_world(tmp_path, tmp_path_factory.getbasetemp())


def _approve(world, sid: int) -> None:
    world.svc.claim(actor=world.rev, submission_id=sid)
    world.svc.approve(actor=world.rev, submission_id=sid, quality=4)


# -- the desktop -------------------------------------------------------------------------------
@pytest.mark.parametrize("choice", ["delete", "keep", "ask"])
def test_choice_made_in_the_consent_dialog_is_applied_once_approved(
        qtbot, world, prepared_demo, choice):
    from annotator.ui.workflow.consent_dialog import ConsentDialog

    rec, prepared = _copy(prepared_demo, world.ws, "rec-20260310-120000")
    win = library(qtbot, world.ws, world.svc, world.ana)
    dlg = ConsentDialog(win.session, rec, win, auto_prepare=False)
    qtbot.addWidget(dlg)
    assert dlg.checklist_ok
    dlg._prepared((prepared, []))  # what the dialog's own preparing job hands back
    assert dlg.retention_buttons["ask"].isChecked()  # the default
    dlg.retention_buttons[choice].setChecked(True)
    dlg.consent.setChecked(True)
    dlg.submit_btn.click()
    qtbot.waitUntil(lambda: dlg.info is not None or dlg.banner.kind == "error",
                    timeout=60_000)
    sid = dlg.info.id
    assert world.ws.retention_for(rec) == choice
    assert local_submissions(world.ws)[str(sid)] == str(rec)

    view = win.submissions_view
    view.refresh()
    assert rec.is_dir()  # submitted, not approved: nothing happens whatever the choice
    _approve(world, sid)
    view.refresh()
    if choice == "delete":
        assert not rec.exists() and not any(world.ws.recordings_dir.iterdir())
        assert "raw local recording was deleted" in view.banner.text()
    elif choice == "keep":
        assert rec.is_dir() and not view.banner.isVisible()
    else:
        assert rec.is_dir() and "Delete its raw local recording" in view.banner.text()
        view.banner.button("Keep it").click()
        assert rec.is_dir() and world.ws.retention_for(rec) == "keep"
        view.refresh()  # asked once only
        assert not view.banner.isVisible(), view.banner.text()
    # The approved submission stays in the store whatever happened to the raw recording.
    assert world.svc.get_submission(actor=world.admin, submission_id=sid).info.state \
        is State.APPROVED


# -- the command line -----------------------------------------------------------------------------
@pytest.fixture
def cli(world, monkeypatch, capsys):
    """``annotator --workspace WS ARGS`` in this process, signed in as ana; stdin is not a
    terminal.  Returns (status, stdout, stderr)."""
    return cli_runner(monkeypatch, capsys, world.ws.root, "ana", world.passphrases["ana"])


def test_choice_made_on_the_command_line_is_applied_once_approved(world, prepared_demo, cli):
    # "delete", chosen by `annotator submit --retention delete`: the whole command, render
    # included.
    rec = world.ws.recordings_dir / "rec-20260310-110000"
    shutil.copytree(prepared_demo.bundle_dir, rec)
    code, out, err = cli("submit", str(rec), "--retention", "delete", "--yes-i-consent")
    assert code == 0, err
    assert "raw recording will be deleted" in out
    (sub,) = world.svc.my_submissions(actor=world.ana)
    code, _out, err = cli("submissions", "list")
    assert code == 0 and rec.is_dir() and "deleted" not in err  # not approved yet
    _approve(world, sub.id)
    code, out, err = cli("submissions", "list")  # learns the new state: applies the choice
    assert code == 0, err
    assert not rec.exists() and "raw local recording was deleted" in err
    assert "Approved" in out

    # "keep" and "ask", chosen with `annotator retention set` for recordings submitted (as
    # the consent step does) from copies of the prepared package.
    kept, p1 = _copy(prepared_demo, world.ws, "rec-20260310-120000")
    asked, p2 = _copy(prepared_demo, world.ws, "rec-20260310-130000")
    assert cli("retention", "set", "keep", str(kept))[0] == 0
    assert cli("retention", "set", "ask", str(asked))[0] == 0
    with pytest.raises(SystemExit):  # argparse: "invalid choice", with the three words
        cli("retention", "set", "shred", str(asked))
    s1 = consent_and_submit(p1, services=world.svc, actor=world.ana)
    s2 = consent_and_submit(p2, services=world.svc, actor=world.ana)
    _approve(world, s1.id)
    _approve(world, s2.id)
    code, out, err = cli("submissions", "show", str(s2.id))
    assert code == 0, err
    assert kept.is_dir() and asked.is_dir()
    assert f"Delete its raw local recording ({asked.name})" in err
    assert f"annotator retention delete {asked}" in err and kept.name not in err
    code, out, err = cli("retention", "list", "--json")
    rows = {r["recording"]: r for r in json.loads(out)}
    assert rows[str(kept)]["action"] == "keep" and rows[str(asked)]["action"] == "ask"
    # The answer: without a terminal it must be confirmed with --yes.
    code, _o, err = cli("retention", "delete", str(asked))
    assert code == 2 and "--yes" in err and asked.is_dir()
    code, out, err = cli("retention", "delete", str(asked), "--yes")
    assert code == 0, err
    assert not asked.exists() and "was deleted" in out
    # A recording whose submission is not approved is never deleted, even when asked to.
    waiting, p3 = _copy(prepared_demo, world.ws, "rec-20260310-140000")
    consent_and_submit(p3, services=world.svc, actor=world.ana)
    code, _o, err = cli("retention", "delete", str(waiting), "--yes")
    assert code == 2 and "not deleted" in err and waiting.is_dir()


# -- preferences of an earlier version ----------------------------------------------------------
def test_old_preferences_are_migrated_and_what_the_bug_kept_is_offered(
        qtbot, world, prepared_demo, cli):
    recs = {}
    for name, word in (("rec-a", "yes"), ("rec-b", "no"), ("rec-c", "delete"),
                       ("rec-d", "ask")):
        rec, prepared = _copy(prepared_demo, world.ws, name)
        info = consent_and_submit(prepared, services=world.svc, actor=world.ana)
        _approve(world, info.id)
        recs[name] = (rec, word)
    # As the old desktop (yes/no, folders as given, "asked once" list) and the old command
    # line ("delete", resolved folders) left them.
    (world.ws.root / "preferences.json").write_text(json.dumps({
        "retention": {str(rec): word for rec, word in recs.values()},
        "retention_handled": [str(recs["rec-d"][0])],
        "personal_deny_list": ["Ana Example"]}))
    prefs = world.ws.preferences()
    assert prefs.retention == {str(recs["rec-a"][0]): "delete",
                                  str(recs["rec-b"][0]): "keep",
                                  str(recs["rec-c"][0]): "delete",
                                  str(recs["rec-d"][0]): "keep"}
    assert prefs.personal_deny_list == ["Ana Example"] and not prefs.problems
    on_disk = json.loads((world.ws.root / "preferences.json").read_text())
    assert on_disk["retention"] == prefs.retention  # rewritten in the one vocabulary
    assert "retention_handled" not in on_disk

    # The command line applies them: "yes" (which the desktop applied) is deleted; the
    # command line's "delete", which nothing applied, is offered instead.
    code, _out, err = cli("retention", "apply")
    assert code == 0, err
    assert not recs["rec-a"][0].exists()
    assert recs["rec-b"][0].is_dir() and recs["rec-d"][0].is_dir()
    assert recs["rec-c"][0].is_dir() and "an earlier version of annotator kept it" in err
    # The desktop offers it too; "Delete it" deletes it.
    win = library(qtbot, world.ws, world.svc, world.ana)
    view = win.submissions_view
    view.refresh()
    assert "an earlier version of annotator kept it" in view.banner.text()
    view.banner.button("Delete it").click()
    assert not recs["rec-c"][0].exists() and "was deleted" in view.banner.text()
    view.refresh()
    assert recs["rec-b"][0].is_dir() and recs["rec-d"][0].is_dir()
