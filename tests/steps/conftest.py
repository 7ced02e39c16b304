"""Fixtures of the steps tests (the shared ones are in tests/conftest.py)."""

from __future__ import annotations

import pytest

from annotator.steps import derive_bundle
from tests.steps.helpers import make_bundle


@pytest.fixture
def derive(tmp_path):
    """Write a synthetic bundle of the given events and derive its steps."""
    counter = iter(range(10_000))

    def run(events, *, outcome=None, params=None, **bundle_kw):
        folder = make_bundle(tmp_path / f"b{next(counter)}", events, **bundle_kw)
        return derive_bundle(folder, params=params, outcome=outcome)

    return run
