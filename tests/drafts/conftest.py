"""The drafter's tests: pure ones (phrasing, privacy, accessibility-only drafting) and ones
on the demo recording (OCR, the editor, the CLI)."""

from __future__ import annotations

import os
import shutil

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def demo(demo_template, tmp_path):
    dst = tmp_path / "ws" / "recordings" / demo_template.name
    shutil.copytree(demo_template, dst)
    return dst
