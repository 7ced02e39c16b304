"""The store commands end to end, through ``annotator.cli.main`` (with the command modules this
work adds), on the workspace's SQLite database and on PostgreSQL via $ANNOTATOR_DATABASE_URL."""

from __future__ import annotations

import datetime as dt
import json
import os
import re

import pandas as pd
import pytest

from annotator.cli import main as cli_main
from annotator.workflow import package as P
from annotator.workflow.terms import DEFAULT_TERMS_TEXT, terms_sha256
from tests.workflow.helpers import SUMMARY

MODULES = [f"annotator.cli.{n}" for n in (
    "db_cmd", "users_cmd", "terms_cmd", "tasks_cmd", "submit_cmd", "submissions_cmd",
    "review_cmd", "withdraw_cmd", "payouts_cmd", "rates_cmd", "mydata_cmd")]


@pytest.fixture
def cli(monkeypatch, tmp_path, capsys, backend, pg_cluster_if_needed):
    umask = os.umask(0o077)
    os.umask(umask)  # main() sets 0o077 for the process: put the caller's back afterwards
    monkeypatch.setattr(cli_main, "COMMAND_MODULES", MODULES)
    monkeypatch.delenv("ANNOTATOR_DATABASE_URL", raising=False)
    if backend == "postgresql":
        monkeypatch.setenv("ANNOTATOR_DATABASE_URL", pg_cluster_if_needed)
    ws = tmp_path / "ws"

    def run(*argv: str, user: str | None = None, pw: str | None = None, new_pw: str | None = None,
            expect: int = 0) -> str:
        for var, value in (("ANNOTATOR_PASSPHRASE", pw), ("ANNOTATOR_NEW_PASSPHRASE", new_pw)):
            if value is None:
                monkeypatch.delenv(var, raising=False)
            else:
                monkeypatch.setenv(var, value)
        args = ["--workspace", str(ws), *argv] + (["--user", user] if user else [])
        try:
            code = cli_main.main(args)
        except SystemExit as exc:  # argparse refusing an argument
            code = exc.code
        out, err = capsys.readouterr()
        assert code == expect, f"{argv}: exit {code}\n{out}\n{err}"
        return out + err

    run.ws = ws
    yield run
    os.umask(umask)


@pytest.fixture
def pg_cluster_if_needed(backend, request):
    if backend != "postgresql":
        yield None
        return
    from tests.store.db_fixtures import shared_cluster

    cluster = shared_cluster(request.config)
    name = f"cli{os.getpid()}_{id(request)}"
    url = cluster.create_database(name)
    yield url
    cluster.drop_database(name)


def package(folder, *, contributor: str, seed: str) -> None:
    folder.mkdir(parents=True)
    (folder / "video.mp4").write_bytes(os.urandom(2048) + seed.encode())
    (folder / "frames").mkdir()
    (folder / "frames" / "0000.png").write_bytes(os.urandom(256))
    (folder / "steps.json").write_text(json.dumps({"steps": [{}, {}, {}, {}], "s": seed}))
    (folder / "task.json").write_text("{}")
    (folder / "redactions.json").write_text("{}")
    sha = P.write_manifest(folder, goal="Rename the report", outcome="success",
                           summary=SUMMARY)
    P.write_consent(folder, P.consent_record(
        contributor=contributor, terms_version="1",
        terms_sha256=terms_sha256(DEFAULT_TERMS_TEXT), manifest_sha256=sha,
        method="cli test"))


def test_the_whole_flow(cli, tmp_path, monkeypatch) -> None:
    assert "upgraded from an empty database" in cli("db", "upgrade")
    assert "up to date" in cli("db", "status")
    boss = "boss passphrase!"
    assert "Admin boss" in cli("users", "setup", "--name", "boss", pw=boss)
    out = cli("users", "add", "ana", "--role", "contributor", user="boss", pw=boss)
    ana_pw = re.search(r"first sign-in\): (\S+)", out).group(1)
    out = cli("users", "add", "rev", "--role", "reviewer", user="boss", pw=boss)
    rev_pw = re.search(r"first sign-in\): (\S+)", out).group(1)
    assert "must change passphrase" in cli("users", "list", user="boss", pw=boss)
    cli("users", "passwd", user="ana", pw=ana_pw, new_pw="ana's own passphrase")
    ana_pw = "ana's own passphrase"
    users = json.loads(cli("users", "list", "--json", user="boss", pw=boss))
    ana = next(u["pseudonym"] for u in users if u["name"] == "ana")

    package(tmp_path / "p1", contributor=ana, seed="1")
    out = cli("submit", str(tmp_path / "p1"), user="ana", pw=ana_pw)
    sid = int(re.search(r"Submission #(\d+)", out).group(1))
    assert "waiting for review" in out
    assert f"{sid}" in cli("review", "list", user="rev", pw=rev_pw)
    # The queue filter's times, as the core and the server's API take them.
    def listed(*opts: str) -> list[int]:
        out = cli("review", "list", "--json", *opts, user="rev", pw=rev_pw)
        return [i["id"] for i in json.JSONDecoder().raw_decode(out)[0]]  # (then stderr)

    assert listed("--submitted-after", "2000-01-01") == [sid]
    assert listed("--submitted-before", "2000-01-01T00:00+02:00") == []
    assert listed("--submitted-after", "2000-01-01", "--submitted-before", "2999-01-01") == [sid]
    out = cli("review", "list", "--submitted-after", "last week", user="rev", pw=rev_pw,
              expect=2)
    assert "'last week' is not a time" in out
    out = cli("review", "claim", "--next", "--submitted-before", "2000-01-01", user="rev",
              pw=rev_pw, expect=1)
    assert "Nothing to claim" in out and "matches the filters" in out
    out = cli("review", "claim", str(sid), "--submitted-after", "2000-01-01", user="rev",
              pw=rev_pw, expect=2)
    assert "go with --next" in out
    out = cli("review", "list", user="ana", pw=ana_pw, expect=2)
    assert "Only reviewers and admins see the review queue" in out
    assert f"#{sid}" in cli("review", "claim", "--next", "--submitted-after", "2000-01-01",
                            user="rev", pw=rev_pw)
    # Steps are numbered from 1, as `review show` lists them (and the signals, the desktop
    # and `label --show`): `--on-step 1` was the second step, and the contributor read
    # "step 1" of it.
    listed_steps = cli("review", "show", str(sid), user="rev", pw=rev_pw)
    assert "  steps:\n    1. " in listed_steps
    out = cli("review", "comment", str(sid), "--on-step", "0", "x", user="rev", pw=rev_pw,
              expect=2)
    assert "not a step number" in out and "1 = the first step" in out
    cli("review", "request-changes", str(sid), "--on-step", "1", "Label is wrong",
        "--on-range", "0:01-0:02.5", "Cut this pause", user="rev", pw=rev_pw)
    shown = cli("submissions", "show", str(sid), user="ana", pw=ana_pw)
    assert "changes_requested" in shown and "step 1 " in shown and "Cut this pause" in shown
    pinned, _ = json.JSONDecoder().raw_decode(cli("review", "show", str(sid), "--json",
                                                  user="rev", pw=rev_pw))
    first = pinned["steps"][0]
    assert [(cm["step_index"], cm["step_id"]) for cm in pinned["comments"]
            if cm["body"] == "Label is wrong"] == [(0, first.get("id"))]

    package(tmp_path / "p2", contributor=ana, seed="2")
    out = cli("submit", str(tmp_path / "p2"), "--resubmit-of", str(sid), user="ana", pw=ana_pw)
    sid2 = int(re.search(r"Submission #(\d+)", out).group(1))
    cli("review", "claim", str(sid2), user="rev", pw=rev_pw)
    out = cli("review", "approve", str(sid2), "--quality", "6", user="rev", pw=rev_pw,
              expect=2)
    assert "invalid choice" in out
    cli("review", "approve", str(sid2), "--quality", "5", user="rev", pw=rev_pw)
    mine = json.loads(cli("submissions", "--json", user="ana", pw=ana_pw))
    assert [(s["id"], s["state"]) for s in mine] == [(sid, "superseded"), (sid2, "approved")]
    counts, _ = json.JSONDecoder().raw_decode(cli("review", "counts", "--json", user="rev",
                                                  pw=rev_pw))
    assert (counts["superseded"], counts["approved"], counts["submitted"]) == (1, 1, 0)
    assert "Only admins and reviewers" in cli("review", "counts", user="ana", pw=ana_pw, expect=2)

    # Gold: a blind review shows the work, never which submission it is or what became of it.
    cli("review", "mark-gold", str(sid2), "--decision", "approve", "--quality", "5",
        user="boss", pw=boss)
    cli("review", "set-mix", "--gold", "1", "--second", "0", user="boss", pw=boss)
    out = cli("review", "blind-next", user="boss", pw=boss)
    rid = int(re.search(r"Blind review #(\d+)", out).group(1))
    shown = cli("review", "blind-show", str(rid), user="boss", pw=boss)
    assert "to decide" in shown and "1. " in shown
    assert not re.search(rf"#{sid2}\b|approved|superseded", shown), shown
    assert f"no blind review #{rid}" in cli("review", "blind-show", str(rid), user="rev",
                                            pw=rev_pw, expect=2)
    cli("review", "blind-decide", str(rid), "--decision", "approve", "--quality", "4",
        user="boss", pw=boss)
    assert "decided: approve" in cli("review", "blind-show", str(rid), user="boss", pw=boss)
    agreement = cli("review", "agreement", user="boss", pw=boss)
    assert re.search(r"^a-\S+\s+1\s+1\s+1\s+100%", agreement, re.M), agreement  # boss

    cli("rates", "set", "--per-minute", "100", "--per-task", "50", "--from", "2020-01-01",
        user="boss", pw=boss)
    month = dt.datetime.now(dt.UTC).strftime("%Y-%m")
    csv = tmp_path / "payouts.csv"
    out = cli("payouts", "--month", month, "--csv", str(csv), user="boss", pw=boss)
    assert ana in out and "2.00 EUR" in out  # 1.5 min * 1.00 + 0.50
    assert list(pd.read_csv(csv)["submission_id"]) == [sid2]
    out = cli("payouts", "--month", month, "--close", "--yes", user="boss", pw=boss, expect=2)
    assert "not over yet" in out

    out = cli("review", "reject", "999", "--reason", "x", user="rev", pw=rev_pw, expect=2)
    assert "There is no submission #999" in out and "What to do:" in out
    out = cli("withdraw", str(sid2), user="ana", pw=ana_pw, expect=2)
    assert "--yes" in out  # no terminal to confirm on
    assert "Withdrawn: #" in cli("withdraw", str(sid2), "--yes", user="ana", pw=ana_pw)
    assert "0 blob(s) referenced" in cli("db", "check")
    cli("my-data", "--out", str(tmp_path / "mine"), user="ana", pw=ana_pw)
    assert (tmp_path / "mine" / "consent_records.json").is_file()
    here = tmp_path / "cwd"
    here.mkdir()
    monkeypatch.chdir(here)  # without --out: a new folder named by the time, here
    out = cli("my-data", user="ana", pw=ana_pw)
    (made,) = here.iterdir()
    assert made.name.startswith("annotator-my-data-") and str(made) in out
    assert (made / "account.json").is_file()
    out = cli("users", "list", user="ana", pw="wrong passphrase", expect=2)
    assert "Cannot sign in as 'ana'" in out
    out = cli("users", "list", expect=2)
    assert "--user NAME" in out
    assert "ana (" in cli("users", "role", "ana", "reviewer", user="boss", pw=boss)
    assert cli("review", "list", user="ana", pw=ana_pw) is not None  # a reviewer now
    out = cli("users", "role", "boss", "contributor", user="boss", pw=boss, expect=2)
    assert "your own role" in out
    out = cli("users", "role", "ana", "admin", user="rev", pw=rev_pw, expect=2)
    assert "admin" in out.lower()


def test_unreachable_database(cli, monkeypatch) -> None:
    monkeypatch.setenv("ANNOTATOR_DATABASE_URL", "postgresql://u:pw@127.0.0.1:1/db")
    out = cli("review", "list", user="rev", pw="x", expect=2)
    assert "Cannot reach the database postgresql+psycopg://u:***@127.0.0.1:1/db" in out
    assert "recordings are untouched" in out
