"""Fixtures of the redaction tests: Tesseract (required: the suite installs it), a demo
recording made offscreen, and helpers to render text with Qt."""

from __future__ import annotations

import os
import shutil

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "tesseract: needs Tesseract's language data (installed by .ci/setup) "
        "and tesserocr")


@pytest.fixture(autouse=True)
def _require_tesseract(request: pytest.FixtureRequest) -> None:
    """Tests marked ``tesseract`` fail (not skip) when it is missing, with the install hint."""
    if request.node.get_closest_marker("tesseract") is None:
        return
    from annotator.redaction.ocr import OcrError, check_language

    try:
        check_language("eng")
        import tesserocr  # noqa: F401
    except (OcrError, ImportError) as exc:
        pytest.fail(f"Tesseract OCR cannot run: {exc}")


@pytest.fixture(scope="session")
def qapp():
    from PyQt6.QtGui import QGuiApplication
    from PyQt6.QtWidgets import QApplication

    app = QGuiApplication.instance()
    if app is None:
        app = QApplication([])
    return app


@pytest.fixture(scope="session")
def demo_bundle_template(qapp, tmp_path_factory):
    """One demo recording for the session (annotator.ui.demo: it types
    jane.doe@example.com into a form)."""
    from annotator.ui.demo import make_demo
    from annotator.workspace import Workspace

    ws = Workspace.open(tmp_path_factory.mktemp("redaction-demo-ws"))
    return make_demo(ws)


@pytest.fixture
def demo_bundle(demo_bundle_template, tmp_path):
    dst = tmp_path / demo_bundle_template.name
    shutil.copytree(demo_bundle_template, dst)
    return dst
