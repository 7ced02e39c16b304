"""The registry of contract cases: each test says which operation it shows and which outcome
(``OK`` or an error class of the operation's ``raises``).  ``test_completeness`` checks that
every operation of ``WorkflowServices`` has its success case and a case per declared error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

OK = "ok"
CASES: dict[str, set[Any]] = {}


def case(operation: str, *errors: type[BaseException], ok: bool = True
         ) -> Callable[[Any], Any]:
    """The test shows ``operation`` succeed (unless ``ok=False``) and raise each of
    ``errors``."""

    def mark(fn: Any) -> Any:
        CASES.setdefault(operation, set()).update({*errors, *((OK,) if ok else ())})
        return fn

    return mark


def fails(error: type[BaseException], call: Callable[..., Any], /, **kw: Any) -> BaseException:
    """The call raises exactly ``error`` (not a subclass: the faces must agree on the kind),
    with a message."""
    with pytest.raises(error) as got:
        call(**kw)
    assert type(got.value) is error, f"{type(got.value).__name__}: {got.value}"
    assert str(got.value).strip()
    return got.value
