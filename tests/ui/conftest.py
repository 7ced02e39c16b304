"""UI tests run offscreen (QT_QPA_PLATFORM=offscreen is set by .ci/test) with pytest-qt."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def workspace(tmp_path):
    from annotator.workspace import Workspace

    return Workspace.open(tmp_path / "ws")


@pytest.fixture
def demo(demo_template, tmp_path):
    import shutil

    dst = tmp_path / "ws" / "recordings" / demo_template.name
    shutil.copytree(demo_template, dst)
    return dst
