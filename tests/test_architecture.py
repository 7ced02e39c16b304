"""The architecture, checked: the import contracts of pyproject.toml (only annotator.ui
imports PyQt6, the layers never import upwards) and the rules import-linter cannot see, by
walking the sources."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "annotator"


def _modules(under: Path = PACKAGE):
    for path in sorted(under.rglob("*.py")):
        yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(), str(path))


def test_import_linter_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Contracts: " in out.stdout and " broken" in out.stdout
    assert "0 broken" in out.stdout


# Where the environment may be touched: the settings object reads it; the team server's own
# configuration object reads its keys; child processes are handed a copy; the OCR engine's
# thread limit is set (not read) before it loads.
ENVIRONMENT_ALLOWED = {
    "annotator/settings.py",
    "annotator/server/config.py",
    "annotator/server/processes.py",
    "annotator/redaction/ocr.py",
}


def test_only_the_settings_object_reads_the_environment():
    found = []
    for rel, tree in _modules():
        if rel in ENVIRONMENT_ALLOWED:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv",
                                                                 "environb", "putenv"):
                found.append(f"{rel}:{node.lineno} os.{node.attr}")
    assert not found, ("read the environment through annotator.settings (and document the "
                       "key there): " + ", ".join(found))
