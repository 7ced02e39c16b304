"""steps.json in the bundle, bad input, and ``annotator steps``."""

from __future__ import annotations

import argparse
import hashlib
import json

import pytest

from annotator.bundle.schema import SCHEMA_VERSION
from annotator.cli import main as cli_main
from annotator.cli import steps_cmd
from annotator.errors import AnnotatorError, BundleError, NewerSchemaError
from annotator.steps import (
    DERIVATION_VERSION,
    StepsError,
    derive_bundle,
    load_or_derive,
    orphaned_edits,
    read_steps,
    steps_for_editing,
    write_steps,
)
from tests.steps.helpers import Script, make_bundle


def scenario() -> Script:
    return (Script().click(100, 100).type("Hello").press("enter").hotkey("ctrl", "s")
            .scroll(200, 200, 2).click(-5, 5, ms=700).drag([(10, 10), (80, 90)]))


def run_cli(*argv: str) -> int:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="command")
    assert steps_cmd.add_parser(sub) == "steps"
    return steps_cmd.run(p.parse_args(["steps", *argv]))


def digest(folder, names=("manifest.json", "events.jsonl", "frames.jsonl", "windows.jsonl")):
    return {n: hashlib.sha256((folder / n).read_bytes()).hexdigest() for n in names}


# -- bad input ---------------------------------------------------------------------------
def test_corrupt_and_truncated_lines_are_skipped_with_a_warning(tmp_path):
    folder = make_bundle(tmp_path / "b", Script().click(10, 10),
                         extra_lines=['{"id": 99, "t": 5, "kind": "mouse_d', "not json"])
    # The last line lost its newline: an interrupted write.
    data = (folder / "events.jsonl").read_bytes().rstrip(b"\n")
    (folder / "events.jsonl").write_bytes(data)
    doc = derive_bundle(folder)
    assert [s.type for s in doc.steps] == ["click"]
    assert doc.counts["corrupt_lines"] == 2
    assert any("corrupt line" in w for w in doc.warnings)
    assert any("cut off" in w for w in doc.warnings)


def test_unknown_kinds_are_counted_and_reported(tmp_path):
    folder = make_bundle(tmp_path / "b", Script().raw("pen", x=1).click(10, 10).raw("pen"))
    doc = derive_bundle(folder)
    assert doc.counts["unknown_kinds"] == {"pen": 2}
    assert any("unknown kind" in w and "pen (2)" in w for w in doc.warnings)


def test_newer_schema_is_refused_naming_both_versions(tmp_path):
    folder = make_bundle(tmp_path / "b", Script().click(1, 1), manifest={"schema_version": 9})
    with pytest.raises(NewerSchemaError) as exc:
        derive_bundle(folder)
    assert "version 9" in str(exc.value) and f"up to {SCHEMA_VERSION}" in str(exc.value)


def test_not_a_bundle(tmp_path):
    with pytest.raises(BundleError):
        derive_bundle(tmp_path)
    with pytest.raises(BundleError):
        derive_bundle(tmp_path / "missing")


def test_manifest_without_capture_area(tmp_path):
    folder = make_bundle(tmp_path / "b", Script().click(1, 1), manifest={"capture": {}})
    with pytest.raises(StepsError) as exc:
        derive_bundle(folder)
    assert "capture.region" in str(exc.value) and "What to do" in str(exc.value)


def test_bad_outcome(tmp_path):
    folder = make_bundle(tmp_path / "b", Script().click(1, 1))
    with pytest.raises(StepsError, match="not a task outcome"):
        derive_bundle(folder, outcome="great")


# -- steps.json ----------------------------------------------------------------------------
def test_steps_json_round_trip_and_rederivation_is_byte_identical(tmp_path):
    folder = make_bundle(tmp_path / "b", scenario())
    before = digest(folder)
    doc = derive_bundle(folder)
    path = write_steps(folder, doc)
    first = path.read_bytes()
    assert path.stat().st_mode & 0o777 == 0o600
    again = read_steps(folder)
    assert again.to_dict() == doc.to_dict()
    assert again.derivation_version == DERIVATION_VERSION and not again.outdated
    write_steps(folder, derive_bundle(folder))
    assert path.read_bytes() == first
    assert digest(folder) == before  # the recorded streams are untouched
    data = json.loads(first)
    assert data["format"] == "annotator-steps" and data["format_version"] == 1
    assert data["observation_policy"]["name"] == "settled_before_start"
    assert data["counts"]["by_type"] == {"click": 1, "drag": 1, "hotkey": 1, "key": 1,
                                         "scroll": 1, "type": 1}
    assert data["counts"]["out_of_area"] == 2


def test_step_ids_survive_more_input(tmp_path):
    s = Script().click(10, 10).hotkey("ctrl", "s").scroll(50, 50, 1)
    first = derive_bundle(make_bundle(tmp_path / "a", s.events[:]))
    s.click(300, 300, ms=900).type("more")
    second = derive_bundle(make_bundle(tmp_path / "b", s))
    assert [x.id for x in second.steps[:3]] == [x.id for x in first.steps]
    assert len({x.id for x in second.steps}) == len(second.steps)


def test_orphaned_edits_are_reported(tmp_path):
    doc = derive_bundle(make_bundle(tmp_path / "b", scenario()))
    ids = [s.id for s in doc.steps]
    assert orphaned_edits([ids[0], "gone1234"], doc) == ["gone1234"]


def test_newer_steps_format_is_refused(tmp_path):
    folder = make_bundle(tmp_path / "b", scenario())
    write_steps(folder, derive_bundle(folder))
    data = json.loads((folder / "steps.json").read_text())
    data["format_version"] = 7
    (folder / "steps.json").write_text(json.dumps(data))
    with pytest.raises(StepsError) as exc:
        read_steps(folder)
    assert "version 7" in str(exc.value) and "up to 1" in str(exc.value)


def test_damaged_steps_file(tmp_path):
    folder = make_bundle(tmp_path / "b", scenario())
    (folder / "steps.json").write_text("{not json")
    with pytest.raises(StepsError, match="cannot be read"):
        read_steps(folder)
    assert read_steps(tmp_path / "nothing-here") is None


def test_load_or_derive_rederives_outdated_steps(tmp_path):
    folder = make_bundle(tmp_path / "b", scenario())
    doc = load_or_derive(folder)
    assert (folder / "steps.json").is_file()
    data = json.loads((folder / "steps.json").read_text())
    data["derivation_version"] = 0
    data["steps"] = []
    (folder / "steps.json").write_text(json.dumps(data))
    again = load_or_derive(folder)
    assert [s.id for s in again.steps] == [s.id for s in doc.steps]
    assert read_steps(folder).derivation_version == DERIVATION_VERSION


def test_steps_for_editing_leaves_storing_to_the_caller(tmp_path):
    folder = make_bundle(tmp_path / "b", scenario())
    fresh = steps_for_editing(folder)  # nothing stored yet: derived, to be stored
    assert fresh.to_store is fresh.doc and fresh.note is None
    assert not (folder / "steps.json").exists()
    write_steps(folder, fresh.to_store)
    stored = steps_for_editing(folder)  # current: used as stored, nothing to store
    assert stored.to_store is None and stored.note is None
    assert [s.id for s in stored.doc.steps] == [s.id for s in fresh.doc.steps]
    data = json.loads((folder / "steps.json").read_text())
    data["derivation_version"] = 0
    (folder / "steps.json").write_text(json.dumps(data))
    assert steps_for_editing(folder).to_store is not None  # outdated: derived again
    (folder / "steps.json").write_text("{not json")
    damaged = steps_for_editing(folder)  # derived for the session, the file left alone
    assert damaged.to_store is None and "left as it is" in damaged.note
    assert [s.id for s in damaged.doc.steps] == [s.id for s in fresh.doc.steps]
    assert (folder / "steps.json").read_text() == "{not json"


# -- the command -----------------------------------------------------------------------------
def test_cli_prints_steps_and_counts(tmp_path, capsys):
    folder = make_bundle(tmp_path / "b", scenario())
    assert run_cli(str(folder)) == 0
    out = capsys.readouterr().out
    for text in ("click", "'Hello'", "enter", "ctrl+s", "down 2", "to (80, 90)",
                 "click 1, drag 1, hotkey 1, key 1, scroll 1, type 1",
                 "outside the captured area (no step): 2 event(s)", "Stored in"):
        assert text in out
    assert (folder / "steps.json").is_file()


def test_cli_json_matches_the_stored_file(tmp_path, capsys):
    folder = make_bundle(tmp_path / "b", scenario())
    assert run_cli(str(folder), "--json", "--outcome", "failure") == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads((folder / "steps.json").read_text())
    assert printed["steps"][-1]["type"] == "terminate"
    assert printed["steps"][-1]["terminal_status"] == "failure"


def test_cli_no_write_and_unfinished_recordings(tmp_path, capsys):
    folder = make_bundle(tmp_path / "b", scenario())
    assert run_cli(str(folder), "--no-write") == 0
    assert not (folder / "steps.json").exists()
    live = make_bundle(tmp_path / "live", scenario(), manifest={"status": "recording"})
    assert run_cli(str(live)) == 0
    out = capsys.readouterr().out
    assert "Not stored" in out and "annotator recover" in out
    assert not (live / "steps.json").exists()


def test_cli_waits_option(tmp_path, capsys):
    folder = make_bundle(tmp_path / "b", Script().click(1, 1).wait(4000).click(9, 9))
    assert run_cli(str(folder), "--waits", "3", "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert [s["type"] for s in doc["steps"]] == ["click", "wait", "click"]
    assert doc["params"]["wait_min_us"] == 3_000_000
    with pytest.raises(SystemExit):
        run_cli(str(folder), "--waits", "0")


def test_cli_errors_through_main(tmp_path, capsys, monkeypatch):
    # The wiring cli/main.py gets: COMMAND_MODULES = ["annotator.cli.steps_cmd"].
    monkeypatch.setattr(cli_main, "COMMAND_MODULES", ["annotator.cli.steps_cmd"])
    assert cli_main.main(["steps", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert "annotator: error:" in err and "What to do" in err
    newer = make_bundle(tmp_path / "new", Script().click(1, 1),
                        manifest={"schema_version": SCHEMA_VERSION + 1})
    assert cli_main.main(["steps", str(newer)]) == 2
    err = capsys.readouterr().err
    assert f"schema version {SCHEMA_VERSION + 1}" in err and f"up to {SCHEMA_VERSION}" in err
    ok = make_bundle(tmp_path / "ok", scenario())
    assert cli_main.main(["steps", str(ok)]) == 0


def test_steps_errors_are_annotator_errors():
    assert issubclass(StepsError, AnnotatorError)
