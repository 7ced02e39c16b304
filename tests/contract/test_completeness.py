"""The contract is complete on every face: each operation of ``WorkflowServices`` has its
cases in this suite, the remote client implements it, a route of the team server serves it,
and a CLI command offers it (or the contract says why not).  When an operation is added to
the contract, these tests list what is still missing, and where."""

from __future__ import annotations

import argparse
import importlib
import inspect
from pathlib import Path
from typing import Any

import pytest

from annotator.remote.client import RemoteServices
from annotator.workflow.contract import WorkflowServices, operations
from annotator.workflow.service import Services
from tests.contract.cases import CASES, OK

# Every case module of this suite registers its cases, also when this file runs alone.
for _path in sorted(Path(__file__).parent.glob("test_*.py")):
    if _path.stem != Path(__file__).stem:
        importlib.import_module(f"tests.contract.{_path.stem}")

OPS = operations()


def test_every_operation_has_a_case_per_outcome():
    missing = []
    for name, op in OPS.items():
        have = CASES.get(name, set())
        want = {OK, *op.raises}
        for outcome in sorted(want - have, key=str):
            what = "its success" if outcome == OK else f"its error {outcome.__name__}"
            missing.append(f"{name}: no case shows {what}")
    assert not missing, ("Write the cases in tests/contract (decorate the test with "
                         "@case(OPERATION, OUTCOME...)):\n  " + "\n  ".join(missing))


def test_cases_name_only_declared_operations_and_errors():
    wrong = []
    for name, outcomes in CASES.items():
        if name not in OPS:
            wrong.append(f"{name}: not an operation of WorkflowServices")
            continue
        for o in outcomes - {OK}:
            if o not in OPS[name].raises:
                wrong.append(f"{name}: {o.__name__} is tested but not declared in "
                             "@operation(raises=...)")
    assert not wrong, "\n".join(wrong)


def test_both_faces_implement_every_operation():
    lacking = {face.__name__: [n for n in OPS if not callable(inspect.getattr_static(
        face, n, None))] for face in (Services, RemoteServices)}
    lacking = {k: v for k, v in lacking.items() if v}
    assert not lacking, "\n".join(
        f"{face} lacks {', '.join(ops)} (annotator/"
        + ("workflow/ops/<concern>.py" if face == "Services" else "remote/client.py") + ")"
        for face, ops in lacking.items())
    assert not set(OPS) - set(dir(WorkflowServices))


def _routes() -> dict[str, Any]:
    from annotator.server.routes import ROUTERS

    out = {}
    for router in ROUTERS:
        for r in router.routes:
            for method in sorted(r.methods - {"HEAD"}):
                out[f"{method} {r.path.replace(':path', '')}"] = r.endpoint
    return out


# Routes that serve an operation in another shape than a call of it, and why.
NOT_A_CALL = {
    "ingest_package": "uploads go to the object store; the verify job calls ingest_package",
    "open_file": "the route hands out a short-lived URL; the client fetches the bytes",
    "open_blind_file": "the route hands out a short-lived URL (by content); the client "
                       "fetches the bytes",
    "download_my_data": "the route returns my_data; the client writes the files",
}


def test_every_operation_has_a_route_that_calls_it():
    routes = _routes()
    lacking = []
    for name, op in OPS.items():
        if name == "now":
            continue  # each face's own clock
        if op.route is None:
            lacking.append(f"{name}: the contract names no route (@operation(route='METHOD "
                           "/v1/...')); add it to annotator/server/routes/<concern>.py")
        elif op.route not in routes:
            lacking.append(f"{name}: there is no route {op.route} in annotator/server/routes")
        elif name not in NOT_A_CALL and \
                f".{name}(" not in inspect.getsource(routes[op.route]):
            lacking.append(f"{name}: the route {op.route} does not call the operation")
    assert not lacking, "\n".join(lacking)


def _cli() -> tuple[set[str], dict[str, str]]:
    """The command paths of ``annotator`` and, by top-level command, its module's source."""
    from annotator.cli import main

    parser = main.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    sources = {}
    for modname in main.COMMAND_MODULES:
        mod = importlib.import_module(modname)
        sources[mod.add_parser(sub)] = inspect.getsource(mod)
    paths: set[str] = set()

    def walk(p: argparse.ArgumentParser, prefix: str) -> None:
        for a in p._actions:
            if isinstance(a, argparse._SubParsersAction):
                for n, sp in a.choices.items():
                    paths.add(prefix + n)
                    walk(sp, prefix + n + " ")

    walk(parser, "")
    return paths, sources


def test_every_operation_has_a_cli_command_that_calls_it():
    paths, sources = _cli()
    lacking = []
    for name, op in OPS.items():
        if op.cli is None:
            if not op.no_cli:
                lacking.append(f"{name}: the contract names no CLI command (@operation(cli="
                               "'COMMAND SUB')) nor why there is none (no_cli='...')")
            continue
        if op.cli not in paths:
            lacking.append(f"{name}: there is no command `annotator {op.cli}` "
                           "(annotator/cli/<command>_cmd.py)")
        elif f".{name}(" not in sources.get(op.cli.split()[0], ""):
            lacking.append(f"{name}: `annotator {op.cli}` does not call the operation")
    assert not lacking, "\n".join(lacking)


@pytest.mark.parametrize("name", sorted(OPS))
def test_the_faces_take_the_same_arguments(name):
    """Every face takes the contract's keyword arguments (a face may take more, optional)."""
    want = inspect.signature(getattr(WorkflowServices, name)).parameters
    for face in (Services, RemoteServices):
        if not callable(inspect.getattr_static(face, name, None)):
            continue  # test_both_faces_implement_every_operation says so
        have = inspect.signature(getattr(face, name)).parameters
        assert set(want) <= set(have), f"{face.__name__}.{name} lacks {set(want) - set(have)}"
        extra = [p for n, p in have.items() if n not in want and
                 p.default is inspect.Parameter.empty and
                 p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
        assert not extra, f"{face.__name__}.{name} requires {extra} beyond the contract"


# The queue filter's fields by another name in a face (``states`` is ``state``, one per value).
_FILTER_NAMES = {"remote": {"states": "state"}, "route": {"states": "state"},
                 "cli": {"states": "state", "task_id": "task", "application": "app",
                         "include_own": "own"}}


def test_every_face_offers_every_queue_filter():
    """What the core can filter the queue by, each face lets its user ask for: the remote
    client sends it, the server's API reads it, ``annotator review list`` has an option."""
    import dataclasses

    from annotator.remote.client import _filter_fields
    from annotator.server.deps import queue_filter
    from annotator.workflow.contract import QueueFilter

    parser = _subparser("review", "list")
    offered = {
        "remote": set(_filter_fields(QueueFilter())),
        "route": set(inspect.signature(queue_filter).parameters),
        "cli": {a.dest for a in parser._actions},
    }
    lacking = [f"{face}: no {names.get(f.name, f.name)!r} for QueueFilter.{f.name}"
               for face, names in _FILTER_NAMES.items()
               for f in dataclasses.fields(QueueFilter)
               if names.get(f.name, f.name) not in offered[face]]
    assert not lacking, "\n".join(lacking)


def _subparser(command: str, name: str) -> argparse.ArgumentParser:
    """The parser of ``annotator COMMAND NAME``."""
    mod = importlib.import_module(f"annotator.cli.{command}_cmd")
    top = argparse.ArgumentParser().add_subparsers()
    mod.add_parser(top)
    sub = next(a for a in top.choices[command]._actions
               if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]
