"""Sizes that keep the code readable: no module of annotator over 800 lines and no function
over 100 (the database migrations aside: they are frozen as written).  The modules and
functions over the limits today are listed below, each with its size and why it is not split
yet; a new one fails the test, which names it.  A listed one that was split is reported, to
be taken off the list.  The README's layout section names the largest module and function."""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULE_MAX = 800
FUNCTION_MAX = 100
EXEMPT = ("annotator/store/migrations/",)

# Over the limit today, with the size when listed and why it waits (none now: a module or
# function that grows over a limit is split along its parts when it does).
LISTED: dict[str, tuple[int, str]] = {}


def _functions(tree: ast.AST, prefix: str = ""):
    """(qualified name, lines) of every function, methods and nested ones included."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield f"{prefix}{node.name}", node.end_lineno - node.lineno + 1
            yield from _functions(node, f"{prefix}{node.name}.")
        else:
            yield from _functions(node, prefix)


def sizes() -> tuple[dict[str, int], dict[str, int]]:
    """The lines of every module and of every function of annotator (migrations aside)."""
    modules: dict[str, int] = {}
    functions: dict[str, int] = {}
    for path in sorted((ROOT / "annotator").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(EXEMPT):
            continue
        text = path.read_text()
        modules[rel] = text.count("\n")
        for name, lines in _functions(ast.parse(text, rel)):
            functions[f"{rel}::{name}"] = lines
    return modules, functions


def offenders() -> dict[str, int]:
    """Every module and function of annotator over its limit, with its lines."""
    modules, functions = sizes()
    return {**{k: n for k, n in modules.items() if n > MODULE_MAX},
            **{k: n for k, n in functions.items() if n > FUNCTION_MAX}}


def test_the_readme_names_the_largest_module_and_function():
    """The README's layout section says which module and which function are the largest,
    with their sizes; a size within a tenth of the code's still reads true."""
    import re

    modules, functions = sizes()
    said = re.search(r"The largest module is `([^`]+)` \((\d+) lines\) and the largest\s+"
                     r"function\s+`([^`]+)` \((\d+) lines\)", (ROOT / "README.md").read_text())
    assert said is not None, "README.md, Layout: say the largest module and function"
    for table, name, lines in ((modules, said.group(1), said.group(2)),
                               (functions, said.group(3), said.group(4))):
        top = max(table.values())
        assert table.get(f"annotator/{name}", -1) == top, (
            f"README.md names {name}; the largest is now "
            + ", ".join(k for k, v in table.items() if v == top) + f" ({top} lines)")
        assert abs(int(lines) - top) <= top / 10, (name, lines, top)


def test_no_new_module_or_function_over_the_limits():
    found = offenders()
    new = {k: v for k, v in found.items() if k not in LISTED}
    assert not new, (
        f"Over the limits ({MODULE_MAX} lines a module, {FUNCTION_MAX} a function):\n  "
        + "\n  ".join(f"{k}: {v} lines" for k, v in sorted(new.items()))
        + "\nSplit it by what its parts do (see the README's layout section).")
    gone = sorted(set(LISTED) - set(found))
    if gone:
        warnings.warn("Within the limits now, take off LISTED in tests/test_code_size.py: "
                      + ", ".join(gone), stacklevel=1)
