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


def test_the_qt_contract_covers_every_part_but_the_ui():
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
        "contracts"]
    qt_free = next(c for c in contracts if c["name"].startswith("Only annotator.ui imports"))
    parts = {f"annotator.{p.stem if p.suffix else p.name}" for p in PACKAGE.iterdir()
             if (p.suffix == ".py" and not p.name.startswith("__"))
             or (p.is_dir() and (p / "__init__.py").is_file())}
    assert set(qt_free["source_modules"]) == parts - {"annotator.ui"}
    layers = next(c for c in contracts if c["type"] == "layers")["layers"]
    assert not any(":" in layer for layer in layers), "say which parts are independent (|)"


def test_the_type_checker_is_strict_and_the_readme_counts_its_ignores():
    """.ci/run runs mypy; its configuration stays strict (no module let off), and the README
    says how many "type: ignore" comments the code holds."""
    import re
    import tomllib

    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert conf["strict"] is True and conf["warn_unused_ignores"] is True
    skipped: list[str] = []
    for override in conf.get("overrides", []):
        # Third-party modules only: without type information, or not read at all; never a
        # module of annotator let off (no ignore_errors, no strictness turned down).
        assert set(override) <= {"module", "ignore_missing_imports", "follow_imports"}, override
        assert not any(m.startswith("annotator") for m in override["module"]), override
        if "follow_imports" in override:
            assert override["follow_imports"] == "skip", override
            skipped += override["module"]
    # A module that is not read is Any to the checker: the checked code must not import one.
    def not_read(name: str) -> bool:
        return any(name == m or (m.endswith(".*") and (name == m[:-2] or name.startswith(m[:-1])))
                   for m in skipped)

    excluded = tuple(x.strip("^$").replace("\\", "") for x in conf["exclude"])
    for rel, tree in _modules():
        if rel.startswith(excluded):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            else:
                continue
            bad = [n for n in names if not_read(n)]
            assert not bad, f"{rel} imports {bad[0]}, which the type checker does not read"
    count = sum(p.read_text().count("type: ignore") for p in PACKAGE.rglob("*.py"))
    said = re.search(r"(\d+) `type: ignore`\s+comments", (ROOT / "README.md").read_text())
    assert said is not None and int(said.group(1)) == count, (count, said)


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


# -- the UI only draws --------------------------------------------------------------------------
# What changes files, as called from annotator/ui: the core does it (and the CLI calls the
# same code).  Path.replace/rename take one argument, str.replace two: only the first count.
_WRITE_METHODS = {"write_text", "write_bytes", "mkdir", "unlink", "rmdir", "touch", "chmod",
                  "symlink_to", "hardlink_to"}
_ONE_ARG_WRITES = {"replace", "rename"}
_WRITE_FUNCTIONS = {
    "os": {"open", "remove", "unlink", "rename", "replace", "makedirs", "mkdir", "rmdir",
           "symlink", "link", "chmod", "truncate", "ftruncate", "write"},
    "shutil": {"copy", "copy2", "copyfile", "copytree", "move", "rmtree", "copyfileobj"},
    "tempfile": {"mkdtemp", "mkstemp", "TemporaryDirectory", "NamedTemporaryFile"},
    "cv2": {"imwrite"}, "np": {"save", "savez", "savez_compressed"}, "json": {"dump"},
}
_WRITE_NAMES = {"write_json_atomic", "atomic_write", "atomic_file", "atomic_path",
                "publish_folder", "create_once"}
# Threads: only the UI's runner starts them (annotator/ui/work.py).
_THREAD_MAKERS = {"Thread", "ThreadPoolExecutor", "ProcessPoolExecutor", "QThread",
                  "QThreadPool", "start_new_thread"}
RUNNER = "annotator/ui/work.py"


def _ui_violations(rel: str, tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
                if name in _THREAD_MAKERS:
                    found.append(f"{rel}:{node.lineno} a {name} subclass")
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
        owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) \
            else None
        if name in _THREAD_MAKERS and rel != RUNNER:
            found.append(f"{rel}:{node.lineno} starts a thread ({name})")
        elif name == "open" and owner is None:
            mode = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "mode"), None)
            if isinstance(mode, ast.Constant) and set(str(mode.value)) & set("wax+"):
                found.append(f"{rel}:{node.lineno} open(..., {mode.value!r})")
        elif owner in _WRITE_FUNCTIONS and name in _WRITE_FUNCTIONS[owner]:
            found.append(f"{rel}:{node.lineno} {owner}.{name}")
        elif owner is None and name in _WRITE_NAMES:
            found.append(f"{rel}:{node.lineno} {name}")
        elif isinstance(f, ast.Attribute) and (name in _WRITE_METHODS or (
                name in _ONE_ARG_WRITES and len(node.args) == 1 and not node.keywords)):
            found.append(f"{rel}:{node.lineno} .{name}()")
    return found


def test_the_ui_only_draws_no_file_writes_and_no_threads_of_its_own():
    found = [v for rel, tree in _modules(PACKAGE / "ui") for v in _ui_violations(rel, tree)]
    assert not found, ("annotator/ui holds widgets and their wiring: move what writes files "
                       "into the core (the CLI then calls the same code) and run long work "
                       "through annotator.ui.work.run_job:\n  " + "\n  ".join(found))


def test_the_ui_rule_catches_what_it_is_meant_to():
    bad = ast.parse("import threading, shutil\n"
                    "threading.Thread(target=f).start()\n"
                    "open(p, 'wb')\nopen(p, mode='a')\nopen(p)\n"
                    "shutil.rmtree(d)\npath.write_text('x')\npath.replace(other)\n"
                    "text.replace('a', 'b')\nwrite_json_atomic(p, {})\n"
                    "class W(QThread): pass\n")
    found = _ui_violations("annotator/ui/x.py", bad)
    assert sorted(v.split(" ", 1)[1] for v in found) == sorted([
        "a QThread subclass", "starts a thread (Thread)", "open(..., 'wb')", "open(..., 'a')",
        "shutil.rmtree", ".write_text()", ".replace()", "write_json_atomic"])
    assert not _ui_violations(RUNNER, ast.parse("threading.Thread(target=f)"))
