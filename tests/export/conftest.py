import os
from pathlib import Path

import pytest

os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["HF_HUB_OFFLINE"] = "1"

from tests.export.fixtures import ExportWorld, build_world, copy_world  # noqa: E402


@pytest.fixture(scope="session")
def base_world(tmp_path_factory: pytest.TempPathFactory) -> ExportWorld:
    """Built once: 3 contributors x 2 approved episodes (12 steps each), plus one waiting
    and one rejected submission.  Tests that change the store use ``world`` (a copy)."""
    return build_world(tmp_path_factory.mktemp("export") / "ws")


@pytest.fixture
def world(base_world: ExportWorld, tmp_path: Path) -> ExportWorld:
    w = copy_world(base_world, tmp_path / "ws")
    yield w
    w.svc.store.dispose()


@pytest.fixture(autouse=True)
def _hf_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # datasets writes its Arrow cache here, never in the user's home.
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf" / "datasets"))


TARGETS = [("canonical", None), ("opencua", None), ("chat-sft", "aguvis"),
           ("chat-sft", "opencua-qwen25"), ("chat-sft", "uitars-1000"), ("chat-sft", "uitars15"),
           ("computer-use", None), ("webdataset", None)]


def target_name(fmt: str, dialect: str | None) -> str:
    return dialect or fmt


@pytest.fixture(scope="session")
def golden_world(tmp_path_factory: pytest.TempPathFactory):
    from tests.export.golden import build_golden

    return build_golden(tmp_path_factory.mktemp("golden") / "ws")


@pytest.fixture(scope="session")
def golden_exports(golden_world, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every format and dialect exported once from the golden store (tests copy before
    changing one)."""
    from annotator.export.run import ExportRequest, run_export
    from tests.export.fixtures import KEY

    root = tmp_path_factory.mktemp("golden-exports")
    out = {}
    for fmt, dialect in TARGETS:
        name = target_name(fmt, dialect)
        r = run_export(golden_world.store, ExportRequest(out=root / name, format=fmt,
                                                         dialect=dialect, redaction_key=KEY))
        assert r.check.ok, r.check.text()
        out[name] = r.out
    return out
