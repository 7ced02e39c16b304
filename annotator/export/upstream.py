"""Which upstream code each format and dialect follows: the repository, the commit it was read
at, and the files that define the contract (quoted in exports/README.md).  Every export's
manifest records these under ``upstream``, so a trainer knows exactly what the files match.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Upstream:
    repository: str
    commit: str
    files: tuple[str, ...]
    licence: str

    def manifest(self) -> dict[str, object]:
        return {"repository": f"https://github.com/{self.repository}", "commit": self.commit,
                "files": list(self.files), "licence": self.licence}


OPENCUA = Upstream(
    "xlang-ai/OpenCUA", "1d70f20663dcaa01f10c7fed5669887286545866",
    ("data/data-process/src/schema/action.py", "data/data-process/src/raw_to_standardized.py",
     "data/cot-generate/README.md", "data/cot-generate/module/evaluator.py",
     "evaluation/agentnetbench/agent/opencua.py", "evaluation/agentnetbench/eval.py",
     "model/README.md"), "MIT")
AGUVIS = Upstream(
    "xlang-ai/aguvis", "178c4187069d8aa028aaf00f209139824c00a76f",
    ("src/aguvis/constants.py", "src/aguvis/dataset.py", "src/aguvis/serve/cli.py",
     "data/stage2.yaml"), "MIT (pyproject.toml)")
UITARS = Upstream(
    "bytedance/UI-TARS", "582f3a7ea5d285ee8ed9e2e84048d1ab01453c49",
    ("codes/ui_tars/prompt.py", "codes/ui_tars/action_parser.py", "README_v1.md",
     "README_coordinates.md", "data/training_example.json"), "Apache-2.0")
ANTHROPIC = Upstream(
    "anthropics/anthropic-quickstarts", "44c2b5c97d6d91a07033691f12b3b5c5ca464c35",
    ("computer-use-demo/computer_use_demo/tools/computer.py",), "MIT")
OPENAI = Upstream(
    "openai/openai-python", "e43b422412a9e96c9cc5192c61fffbe2d7e04836",
    ("src/openai/types/responses/response_computer_tool_call_param.py",
     "src/openai/types/responses/computer_use_preview_tool_param.py",
     "src/openai/types/responses/response_input_item_param.py"), "Apache-2.0")
OPENAI_CUA_APP = Upstream(
    "openai/openai-cua-sample-app", "eb2d58ba77ffd3206d3346d6357093647d29d99c",
    ("computers/base_playwright.py",), "MIT")
HF_DATASETS = Upstream(
    "huggingface/datasets", "b7cb10b0e38ab8bbefdb142d0279bc85ac8c7ab8",
    ("src/datasets/features/image.py", "src/datasets/packaged_modules/parquet/parquet.py"),
    "Apache-2.0")
CROISSANT = Upstream(
    "mlcommons/croissant", "401f6fff81db26a49c0d1704f02bffc4e4fa8fe2",
    ("docs/croissant-spec-1.0.md", "docs/croissant-rai-spec.md"), "Apache-2.0")
WEBDATASET = Upstream(
    "webdataset/webdataset", "e0953f9bba17b416d5792d5a263b171c266e78be",
    ("README.md",), "BSD-3-Clause")


def for_export(fmt: str, dialect: str | None) -> list[dict[str, object]]:
    """The upstream contracts an export of ``fmt`` (and ``dialect``) follows."""
    if fmt == "canonical":
        ups = [HF_DATASETS, CROISSANT]
    elif fmt == "opencua":
        ups = [OPENCUA]
    elif fmt == "chat-sft":
        ups = {"aguvis": [AGUVIS, OPENCUA], "opencua-qwen25": [OPENCUA],
               "uitars-1000": [UITARS], "uitars15": [UITARS]}[dialect or ""]
    elif fmt == "computer-use":
        ups = [ANTHROPIC, OPENAI, OPENAI_CUA_APP]
    else:
        ups = [WEBDATASET, HF_DATASETS]
    return [u.manifest() for u in ups]
