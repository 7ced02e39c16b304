"""Team mode on the command line: ``annotator remote login|status|submit|list|logout``; the
token goes to the keyring (keyrings.alt's file backend here) or, without a keyring, to a file
only the user can read, and the command says so."""

from __future__ import annotations

import json
import stat

import pytest

from annotator.remote.client import RemoteServices
from tests.server.helpers import package, pseudonym


@pytest.fixture
def keyring_backend(tmp_path):
    """Switch the keyring backend for one test (keyring caches the one it chose)."""
    import keyring

    before = keyring.get_keyring()

    def use(kind: str):
        if kind == "file":
            from keyrings.alt.file import PlaintextKeyring

            kr = PlaintextKeyring()
            kr.file_path = str(tmp_path / "keyring" / "keyring_pass.cfg")
        else:
            from keyring.backends.fail import Keyring

            kr = Keyring()
        keyring.set_keyring(kr)
        return kr

    yield use
    keyring.set_keyring(before)


class Cli:
    def __init__(self, capsys, monkeypatch, ws, name, pw) -> None:
        self.capsys, self.ws = capsys, ws
        monkeypatch.setenv("ANNOTATOR_PASSPHRASE", pw)
        monkeypatch.setenv("ANNOTATOR_USER", name)
        monkeypatch.delenv("ANNOTATOR_DATABASE_URL", raising=False)

    def __call__(self, *args, check=True):
        from annotator.cli.main import main

        self.capsys.readouterr()
        code = main(["--workspace", str(self.ws), *args])
        out = self.capsys.readouterr()
        if check:
            assert code == 0, out.err + out.out
        return code, out.out, out.err


def test_login_submit_list_logout_with_a_keyring(team, tmp_path, capsys, monkeypatch,
                                                 keyring_backend) -> None:
    kr = keyring_backend("file")
    name, pw, token = team.new_user("contributor")
    ws = tmp_path / "ws"
    cli = Cli(capsys, monkeypatch, ws, name, pw)
    _c, out, err = cli("remote", "login", team.url)
    assert f"as {name}" in out and "note:" not in err
    settings = (ws / "team" / "settings.json").read_text()
    assert "ann_" not in settings  # the token is not in the workspace
    assert not (ws / "team" / "tokens.json").exists()
    assert "annotator" in open(kr.file_path).read()

    folder = package(team, tmp_path, pseudonym(team, token))
    _c, out, _e = cli("remote", "submit", str(folder), "--json")
    sid = json.loads(out)["id"]
    _c, out, _e = cli("remote", "list", "--json")
    assert [s["id"] for s in json.loads(out)] == [sid]
    _c, out, _e = cli("remote", "status")
    assert "0 package(s) waiting" in out
    cli("remote", "logout")
    code, _o, err = cli("remote", "status", check=False)
    assert code == 2 and "not signed in" in err


def test_without_a_keyring_the_token_goes_to_a_private_file(team, tmp_path, capsys,
                                                            monkeypatch, keyring_backend) -> None:
    keyring_backend("fail")
    name, pw, _t = team.new_user("contributor")
    ws = tmp_path / "ws"
    cli = Cli(capsys, monkeypatch, ws, name, pw)
    _c, _o, err = cli("remote", "login", team.url)
    assert "readable only by you" in err and "no keyring" in err
    f = ws / "team" / "tokens.json"
    assert stat.S_IMODE(f.stat().st_mode) == 0o600
    assert cli("remote", "status")[0] == 0


def test_a_wrong_passphrase_is_a_clear_error(team, tmp_path, capsys, monkeypatch,
                                             keyring_backend) -> None:
    keyring_backend("file")
    name, _pw, _t = team.new_user("contributor")
    cli = Cli(capsys, monkeypatch, tmp_path / "ws", name, "wrong passphrase!")
    code, _o, err = cli("remote", "login", team.url, check=False)
    assert code == 2 and "wrong user name or passphrase" in err


def test_remote_send_records_each_package_in_its_recording_like_the_desktop(
        team, tmp_path, capsys, monkeypatch, keyring_backend) -> None:
    """A package left in the outbox (consented while the server was away) and sent later by
    `annotator remote send` is noted in the recording it was made from, as the desktop's
    "Send pending" does: "Resubmit" and retention find it; once approved, the recording's
    retention choice is applied by the next command that lists the states."""
    from annotator.remote import team as team_mod
    from annotator.submission.local import local_submissions, recorded_submissions
    from annotator.workspace import Workspace
    from tests.workflow.helpers import make_package

    keyring_backend("file")
    name, pw, token = team.new_user("contributor")
    ws = Workspace.open(tmp_path / "ws")
    cli = Cli(capsys, monkeypatch, ws.root, name, pw)
    cli("remote", "login", team.url)
    rec = ws.recordings_dir / "rec-20260310-120000"
    rec.mkdir()
    (rec / "manifest.json").write_text("{}")
    pkg = make_package(ws.packages_dir / f"{rec.name}-20260310-121500",
                       contributor=pseudonym(team, token), svc=team.svc,
                       seed=f"send-{tmp_path.name}")
    ws.set_retention_for(rec, "delete")  # chosen with the consent
    svc = team_mod.remote_services(ws.root)
    svc.outbox.prepare(pkg, server=svc.server)
    svc.close()

    _c, out, _e = cli("remote", "send")
    (entry,) = recorded_submissions(rec)
    sid = entry["submission_id"]
    assert f"Submission #{sid}: Waiting for review" in out
    assert entry["store"] == team.url and entry["package_folder"] == str(pkg)
    assert local_submissions(ws)[str(sid)] == str(rec)

    _rev, _rpw, rtoken = team.new_user("reviewer")
    reviewer = RemoteServices(team.url, token=rtoken)
    reviewer.claim(submission_id=sid)
    reviewer.approve(submission_id=sid, quality=4)
    reviewer.close()
    _c, _o, err = cli("remote", "list")
    assert not rec.exists() and "raw local recording was deleted" in err
