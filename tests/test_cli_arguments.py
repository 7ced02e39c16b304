"""Numbers on the command line are checked when it is read: a bad one is a single line naming
the option, the value and what it must be, before anything starts or is created. (A negative
CRF reached the encoder as a traceback and left a folder behind; `server-up --workers 0`
started a server whose jobs would never run; `remote export --max-side -5` reached the
server, where `export --max-side -5` was refused.)"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator

import pytest

from annotator.cli import main as cli_main
from tests.conftest import run_annotator

# Numeric arguments left to the operation itself: ids (the store says "no such submission")
# and values the workflow core checks for every face (the test below shows each refused).
CHECKED_BY_THE_CORE = {
    "id", "review_id", "resubmit_of", "task", "screen", "limit", "offset", "weeks",
    "per_minute", "per_task", "gold", "second", "quality",
}


def full_parser() -> argparse.ArgumentParser:
    parser = cli_main.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    handlers: dict = {}
    unavailable: dict = {}
    for name in cli_main.COMMAND_MODULES:
        cli_main._add_command_module(sub, name, handlers, unavailable)
    assert not unavailable, unavailable  # the developers' install has every component
    return parser


def numeric_arguments(parser: argparse.ArgumentParser, path: str = "annotator"
                      ) -> Iterator[tuple[str, argparse.Action]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from numeric_arguments(child, f"{path} {name}")
        elif action.type in (int, float):
            yield path, action


def test_every_numeric_option_is_checked_when_read_or_by_the_core():
    unchecked = sorted(f"{path} {'/'.join(a.option_strings) or a.dest}"
                       for path, a in numeric_arguments(full_parser())
                       if a.dest not in CHECKED_BY_THE_CORE)
    assert unchecked == [], ("plain int/float options accept any number: give them a type "
                             f"from annotator.cli.argtypes: {unchecked}")


BAD = [
    ("record --crf -3", "argument --crf: '-3' must be from 0 to 51"),
    ("record --crf 52", "argument --crf: '52' must be from 0 to 51"),
    ("record --crf good", "argument --crf: 'good' is not an x264 quality"),
    ("record --preset bogus", "argument --preset: invalid choice: 'bogus'"),
    ("record --fps 0", "argument --fps: '0' must be greater than 0 and at most 60"),
    ("record --fps 240", "argument --fps: '240' must be greater than 0 and at most 60"),
    ("record --duration -1", "argument --duration: '-1' must be greater than 0"),
    ("server-up --port 0", "argument --port: '0' must be from 1 to 65535"),
    ("server-up --workers 0", "argument --workers: '0' must be greater than 0"),
    ("server-up --api-workers -2", "argument --api-workers: '-2' must be greater than 0"),
    ("serve api --port 99999", "argument --port: '99999' must be from 1 to 65535"),
    ("serve api --workers 0", "argument --workers: '0' must be greater than 0"),
    ("export --out x --format canonical --max-side 0",
     "argument --max-side: '0' must be greater than 0"),
    ("remote export --out x --format canonical --max-side -5",
     "argument --max-side: '-5' must be greater than 0"),
    ("remote export --out x --format canonical --wait 0",
     "argument --wait: '0' must be greater than 0"),
    ("steps rec --waits 0", "argument --waits: '0' must be greater than 0"),
]


@pytest.mark.parametrize(("argv", "said"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_number_is_one_clear_line(argv, said, capsys):
    with pytest.raises(SystemExit) as exit_:
        full_parser().parse_args(argv.split())
    assert exit_.value.code == 2
    assert said in capsys.readouterr().err


def test_a_bad_encoder_option_creates_no_recording_folder(tmp_path, xserver):
    out = tmp_path / "rec"
    env = {**xserver.env, "ANNOTATOR_HOME": str(tmp_path / "ws")}
    res = run_annotator(["record", "--yes", "--no-control", "--crf", "-3", "--out", str(out)],
                        env)
    assert res.returncode == 2, res.stderr
    assert "'-3' must be from 0 to 51" in res.stderr and "Traceback" not in res.stderr
    assert not out.exists() and not (tmp_path / "ws").exists()


CORE_BAD = [
    ("review signal-rates --weeks 0", "weeks must be 1 to 520"),
    ("review list --limit -1", "A page holds 1 to 500 items"),
    ("review list --offset -1", "A page holds 1 to 500 items"),
    ("rates set --per-minute -5 --per-task 3", "Rates are whole numbers of cents, 0 or more"),
    ("review set-mix --gold 2 --second 0.1", "Rates are shares from 0 to 1"),
    ("withdraw 0 --yes", "#0"),
]


@pytest.mark.parametrize(("argv", "said"), CORE_BAD, ids=[b[0] for b in CORE_BAD])
def test_numbers_left_to_the_core_are_refused_there(argv, said, monkeypatch, capsys, tmp_path):
    from tests.clirun import cli_runner

    ws = tmp_path / "ws"
    monkeypatch.setenv("ANNOTATOR_NEW_PASSPHRASE", "correct horse battery")
    run = cli_runner(monkeypatch, capsys, ws, "ana", "correct horse battery")
    code, out, err = run("users", "setup", "--name", "ana")
    assert code == 0, err
    code, out, err = run(*argv.split())
    assert code != 0 and said in err, (code, out, err)


def all_commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
                 ) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield (*path, name), child
                yield from all_commands(child, (*path, name))


def test_a_word_a_command_does_not_take_is_refused_with_that_commands_usage(capsys):
    # `users add carol --role contributor --name x` printed the top-level usage (every
    # command listed) instead of `users add`'s, which says what it takes.
    commands = list(all_commands(full_parser()))
    assert len(commands) > 60
    for path, parser in commands:
        if any(isinstance(a, argparse._SubParsersAction) for a in parser._actions):
            continue  # a group: its own words are the commands under it
        required = [a for a in parser._actions
                    if a.required or (not a.option_strings and a.nargs not in ("?", "*"))]
        required += [g._group_actions[0] for g in parser._mutually_exclusive_groups
                     if g.required]
        argv = [*path]
        for action in required:  # a value of the right kind for every required argument
            if action.option_strings:
                argv.append(action.option_strings[0])
            if action.nargs != 0:
                argv.append(str(next(iter(action.choices))) if action.choices else "1")
        with pytest.raises(SystemExit) as stop:
            cli_main.main([*argv, "--no-such-option"])
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert f"usage: annotator {' '.join(path)}" in err, (path, err)
        assert "unrecognized arguments: --no-such-option" in err, (path, err)


def test_users_setup_takes_the_name_as_every_users_command_does(tmp_path):
    env = {**os.environ, "ANNOTATOR_PASSPHRASE": "correct-horse-battery-1"}
    done = run_annotator(["--workspace", str(tmp_path / "one"), "users", "setup", "boss"], env)
    assert done.returncode == 0 and "Admin boss" in done.stdout, done.stderr
    done = run_annotator(["--workspace", str(tmp_path / "two"), "users", "setup"], env)
    assert done.returncode == 2 and "annotator users setup NAME" in done.stderr
    done = run_annotator(["--workspace", str(tmp_path / "two"), "users", "setup", "a",
                          "--name", "b"], env)
    assert done.returncode == 2 and "Two names were given" in done.stderr
    assert not (tmp_path / "two").exists() or not any((tmp_path / "two").iterdir())
