"""Heavy dependencies that only some features use, imported when first used.

pandas (payouts, the admin charts) and pyarrow (exports) take about half a second to
import and a quarter of a gigabyte on disk, and a contributor who records and submits never
needs them; neither does the server stack (FastAPI, Uvicorn, boto3, RQ, Redis, psycopg) in a
desktop install.  Modules that need one bind it with ``lazy_module`` instead of ``import``,
so importing them costs nothing until the feature runs.  Where an installation leaves a
component out (the contributor app built by ``.ci/package`` does), using the feature raises
``MissingComponent``, which says what is missing and what to do, instead of a traceback.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType
from typing import Any

from annotator.errors import AnnotatorError

# Components an installation may leave out, and what needs them (for the messages).
OPTIONAL: dict[str, str] = {
    "pandas": "payouts and the admin charts",
    "pyarrow": "exports of training sets",
    "fastapi": "running the team server",
    "uvicorn": "running the team server",
    "starlette": "running the team server",
    "boto3": "the team server's object store",
    "botocore": "the team server's object store",
    "rq": "the team server's job workers",
    "redis": "the team server's job queue",
    "limits": "the team server's rate limits",
    "psycopg": "PostgreSQL databases",
    "annotator.server": "running the team server",
}


def _component(module: str) -> str | None:
    """The OPTIONAL key ``module`` belongs to (``pyarrow.parquet`` -> ``pyarrow``)."""
    for key in OPTIONAL:
        if module == key or module.startswith(key + "."):
            return key
    return None


class MissingComponent(AnnotatorError):
    """A feature needs a component that this installation does not have."""


def missing(module: str, feature: str | None = None) -> MissingComponent:
    top = _component(module) or module.split(".")[0]
    what = feature or OPTIONAL.get(top, "this feature")
    what_pkg = f"the module {top}" if top.startswith("annotator.") else f"the Python package {top}"
    return MissingComponent(
        f"This installation of annotator does not include {what_pkg}, used "
        f"for {what} (the contributor app leaves out what only admins and servers use).",
        "Use the full installation for this (the developers' set-up in the README); "
        "recording, editing, redacting and submitting work without it.")


def explain(exc: BaseException) -> MissingComponent | None:
    """``exc`` as a MissingComponent when it is the import of a left-out component, else
    None (a real bug stays a traceback)."""
    if isinstance(exc, MissingComponent):
        return exc
    name = getattr(exc, "name", None) if isinstance(exc, ImportError) else None
    if not name or _component(name) is None:
        return None
    return missing(name)


def available(module: str) -> bool:
    """Whether ``module`` can be imported, without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def require(module: str, feature: str | None = None) -> ModuleType:
    """Import ``module`` now; MissingComponent if it is not installed."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        if exc.name is None or exc.name.split(".")[0] != top:
            raise  # the component is there but broken: keep the real error
        raise missing(module, feature) from exc


class _LazyModule:
    """Stands for a module until an attribute is first read, then imports it."""

    def __init__(self, name: str, feature: str | None) -> None:
        self._name = name
        self._feature = feature
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        module = self._module
        if module is None:
            module = self._module = require(self._name, self._feature)
        return getattr(module, attr)

    def __repr__(self) -> str:
        state = "imported" if self._module is not None else "not imported yet"
        return f"<lazy module {self._name!r} ({state})>"


def lazy_module(name: str, feature: str | None = None) -> Any:
    """``name`` imported on first attribute access (``pd = lazy_module("pandas")``).

    Bind it under ``if TYPE_CHECKING: import pandas as pd`` / ``else:`` so type checkers see
    the real module."""
    return _LazyModule(name, feature)
