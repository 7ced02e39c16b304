"""Training sets made on the team server: `annotator remote export` gives the same files as
`annotator export` run on the server's store; bad options are refused up front; an export
made before a withdrawal is never handed out again."""

from __future__ import annotations

import json
import time

import pytest

from annotator.errors import AnnotatorError
from annotator.export import checks
from annotator.export.errors import ExportError
from annotator.export.run import ExportRequest, run_export
from annotator.remote.client import download_dataset
from annotator.workflow.errors import PermissionDenied
from tests.export.fixtures import assert_same_export, tree, write_package
from tests.server.helpers import bucket_keys, client, pseudonym
from tests.server.test_remote_cli import Cli, keyring_backend  # noqa: F401 (a fixture)


def test_export_on_the_server_matches_a_local_export(team, tmp_path, capsys, monkeypatch,
                                                    keyring_backend):  # noqa: F811
    cname, cpw, ctok = team.new_user("contributor")
    _r, _rp, rtok = team.new_user("reviewer")
    ana, rev = client(team, ctok, tmp_path), client(team, rtok, tmp_path)
    admin = client(team, team.admin_token, tmp_path)
    me = team.svc.sign_in(name=cname, passphrase=cpw)
    frame_no = [0]
    subs = []
    for seed in (3, 4):
        folder = write_package(tmp_path / f"p{seed}", svc=team.svc, contributor=me, seed=seed,
                               frame_no=frame_no, goal=f"Save the report {seed}",
                               tags=["server"], applications=["editor"])
        sub = ana.ingest_package(folder=folder)
        rev.claim(submission_id=sub.id)
        rev.approve(submission_id=sub.id, quality=4)
        subs.append(sub)
    only_mine = f"contributor = {pseudonym(team, ctok)}"

    # Bad options are refused before any work, with what would be right.
    with pytest.raises(AnnotatorError) as err:
        admin.start_export(format="parquet-ish")
    assert "Known formats" in err.value.hint and "canonical" in err.value.hint
    with pytest.raises(AnnotatorError, match="colour"):
        admin.start_export(format="canonical", filter="colour = blue")
    with pytest.raises(AnnotatorError, match="cannot name an export"):
        admin.start_export(format="canonical", name="../escape")
    with pytest.raises(PermissionDenied):  # only admins export
        ana.start_export(format="canonical")

    # The server's training set is the same as one made from the same store here, once
    # the server's signal jobs are done (the signals are part of the manifest; an export
    # made before then says "signals": null, and one made after would not match it).
    deadline = time.monotonic() + 120
    while any(ana.submission_signals(submission_id=s.id).state == "pending" for s in subs):
        assert time.monotonic() < deadline, "the server's signal jobs did not finish"
        time.sleep(0.3)
    export_id = admin.start_export(format="canonical", filter=only_mine, name="team-ds",
                                   image_format="webp")
    exp = admin.get_export(export_id, wait=180)
    assert exp["state"] == "done", exp
    ds = exp["dataset"]
    assert ds["episodes"] == 2 and sorted(ds["submission_ids"]) == sorted(s.id for s in subs)
    got = download_dataset(exp, tmp_path / "exports" / "team-ds")
    assert checks.check_export(got, deep=True).ok
    here = run_export(team.svc.store, ExportRequest(
        out=tmp_path / "local" / "team-ds", format="canonical", filter=only_mine,
        image_format="webp")).out
    a, b = tree(got), tree(here)
    assert any(n.endswith(".parquet") for n in a)
    assert_same_export(a, b)
    with pytest.raises(ExportError, match="exists already"):
        download_dataset(exp, got)

    # A filter that matches nothing fails the job with the export's own message.
    bad = admin.get_export(admin.start_export(format="opencua", filter="tags = nothing-here"),
                           wait=120)
    assert bad["state"] == "failed" and "matches the filter" in (bad["error"] or "")
    assert "Loosen --filter" in bad["error"]
    with pytest.raises(ExportError, match="failed") as err:
        download_dataset(bad, tmp_path / "nothing")
    assert not (tmp_path / "nothing").exists()
    # said once, with the job's own "What to do" (it was "The export is failed: ...",
    # its hint inside the message and "Wait for it" after it)
    assert "What to do" not in err.value.message and "Loosen --filter" in err.value.hint
    with pytest.raises(ExportError, match="still running") as err:
        download_dataset({"state": "running", "error": None}, tmp_path / "nothing")
    assert "--wait" in err.value.hint

    # The same from the command line, signed in as an admin.
    keyring_backend("file")
    aname, apw, _atok = team.new_user("admin")
    cli = Cli(capsys, monkeypatch, tmp_path / "ws", aname, apw)
    cli("remote", "login", team.url)
    target = tmp_path / "exports" / "cli-ds"
    _c, out, _e = cli("remote", "export", "--format", "opencua", "--filter", only_mine,
                      "--out", str(target))
    assert "2 episode(s)" in out and (target / "manifest.json").is_file()
    assert json.loads((target / "manifest.json").read_text())["export"]["format"] == "opencua"
    code, _o, err = cli("remote", "export", "--format", "opencua", "--out", str(target),
                        check=False)
    assert code == 2 and "exists already" in err and "--force" in err

    # After a withdrawal the old training set is deleted, not handed out.
    ana.withdraw(submission_id=subs[0].id)
    after = admin.get_export(export_id, wait=5)
    assert after["dataset"]["withdrawn_since"] == [subs[0].id]
    assert "url" not in after["dataset"] and ds["key"] not in bucket_keys(team)
    with pytest.raises(ExportError, match="withdrawn"):
        download_dataset(after, tmp_path / "again")

    # The reaper deletes exports as old as abandoned uploads; fetching one then says so.
    from annotator.server import jobs

    late = admin.start_export(format="opencua", filter=only_mine)
    assert admin.get_export(late, wait=120)["dataset"]["episodes"] == 1
    assert jobs.reap(jobs.context(team.cfg), older_than_s=0)["exports_deleted"] >= 1
    gone = admin.get_export(late, wait=5)
    assert "too old" in gone["dataset"]["message"] and "url" not in gone["dataset"]
    with pytest.raises(ExportError, match="too old"):
        download_dataset(gone, tmp_path / "late")
