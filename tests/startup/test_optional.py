"""Heavy admin-only dependencies are imported only when used, and an installation that
leaves them out says so plainly instead of failing with a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from annotator.errors import AnnotatorError
from annotator.optional import MissingComponent, explain, lazy_module, require
from tests.conftest import ROOT


def test_lazy_module_imports_on_first_use(tmp_path, monkeypatch):
    (tmp_path / "heavy_thing.py").write_text("VALUE = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "heavy_thing", raising=False)
    mod = lazy_module("heavy_thing")
    assert "heavy_thing" not in sys.modules
    assert mod.VALUE == 42
    assert "heavy_thing" in sys.modules


def test_left_out_component_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if not installed
    pd = lazy_module("pandas")
    with pytest.raises(MissingComponent) as err:
        pd.DataFrame()
    assert isinstance(err.value, AnnotatorError)
    assert "pandas" in err.value.message and "payouts" in err.value.message
    assert "recording, editing, redacting and submitting work" in err.value.hint
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)  # (an earlier test loaded it)
    with pytest.raises(MissingComponent) as err:
        require("pyarrow.parquet")
    assert "pyarrow" in err.value.message and "exports" in err.value.message


def test_explain_only_covers_left_out_components():
    assert explain(ModuleNotFoundError("No module named 'boto3'", name="boto3")) is not None
    assert explain(ModuleNotFoundError("No module named 'annotator.nothing'",
                                       name="annotator.nothing")) is None  # a real bug
    assert explain(ValueError("x")) is None


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120,
                          env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin",
                               "HOME": str(ROOT)})


def test_library_window_starts_without_admin_dependencies(tmp_path):
    """The app's start-up (the command line without a command, then the library window)
    imports neither pandas nor pyarrow nor the server stack."""
    code = f"""
import sys, json
from annotator.cli import main as m
m.cmd_app = lambda args: 0
m.main(["--workspace", {str(tmp_path / 'ws')!r}])
from annotator.ui.app import LibraryWindow, _app
from annotator.workspace import Workspace
app = _app()
w = LibraryWindow(Workspace.open({str(tmp_path / 'ws')!r}), open_store=False)
w.show(); app.processEvents()
print(json.dumps(sorted({{k.split('.')[0] for k in sys.modules}})))
"""
    res = _run(code)
    assert res.returncode == 0, res.stderr
    loaded = set(json.loads(res.stdout.strip().splitlines()[-1]))
    assert "PyQt6" in loaded  # the window was really made
    assert not loaded & {"pandas", "pyarrow", "fastapi", "uvicorn", "boto3", "botocore", "rq",
                         "redis"}


def test_cli_without_pyarrow_keeps_other_commands_and_explains_export(tmp_path):
    """As in the contributor app, which leaves pyarrow out: every other command still
    parses, and `annotator export` says what is missing and what to do (exit 2)."""
    code = """
import sys
sys.modules["pyarrow"] = None
from annotator.cli.main import main
try:
    main(["steps", "--help"])
except SystemExit as e:
    print("steps-help", e.code)
sys.exit(main(["export", "--out", "x", "--format", "canonical"]))
"""
    res = _run(code)
    assert "steps-help 0" in res.stdout
    assert res.returncode == 2, res.stderr
    assert "does not include the Python package pyarrow" in res.stderr
    assert "What to do:" in res.stderr
    assert "Traceback" not in res.stderr


def test_command_token():
    from annotator.cli.main import _command_token

    assert _command_token([]) is None
    assert _command_token(["--workspace", "w"]) is None
    assert _command_token(["--workspace=w"]) is None
    assert _command_token(["--workspace", "w", "steps", "x"]) == "steps"
    assert _command_token(["--help"]) == "--help"


def test_uninstall_from_a_development_install_says_what_to_do(capsys):
    from annotator.cli.main import main

    assert main(["uninstall"]) == 2
    err = capsys.readouterr().err
    assert "development install" in err and "recordings stay" in err
