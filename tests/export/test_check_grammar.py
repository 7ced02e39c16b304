"""``--check`` reads every action with its dialect's grammar: a hand-edited export whose
actions leave the language (the forms other tools write, or a near miss) fails, with the file,
the rule and the place named; SHA256SUMS is rewritten each time so only the grammar can
catch it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from annotator.export import check_export
from annotator.export.run import write_sums
from tests.export.fixtures import KEY


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _edit_lines(path: Path, edit) -> None:
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    edit(lines)
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines))


def _errors(folder: Path) -> list[tuple[str, str, str]]:
    write_sums(folder)
    report = check_export(folder, key=KEY)
    assert not report.ok
    return [(p.file, p.rule, p.message) for p in report.problems if p.level == "error"]


def _has(errors, file: str, rule: str, *words: str) -> bool:
    return any(f == file and r == rule and all(w in m for w in words) for f, r, m in errors)


def test_agentnet_code_outside_the_grammar_fails(golden_exports, tmp_path):
    out = _copy(golden_exports["opencua"], tmp_path / "oc")

    def edit(recs):
        traj = recs[0]["traj"]
        codes = {1: "pyautogui.press('enter')",  # positional key: not AgentNet's press
                 2: "pyautogui.press('down', presses=3)",
                 3: "pyautogui.hotkey('ctrl', 's')",
                 4: "pyautogui.keyDown('ctrl')\npyautogui.click(x=0.5, y=0.5)\n"
                    "pyautogui.keyUp('ctrl')",
                 5: "pyautogui.click(x=1.5, y=0.5)",
                 6: 'pyautogui.write(message="abc")',  # not as repr writes it
                 7: "computer.triple_click(x=0.1, y=0.9)",  # the schema says tripleClick
                 8: "pyautogui.press(keys=['nosuchkey'])",
                 9: "pyautogui.click(x=__import__('os').getpid(), y=0.1)"}
        for i, code in codes.items():
            traj[i]["value"]["code"] = code

    _edit_lines(out / "train.jsonl", edit)
    errors = _errors(out)
    for i in (1, 2, 3, 4, 6, 7, 8, 9):
        assert _has(errors, "train.jsonl", "grammar", f"traj[{i}]"), (i, errors)
    assert _has(errors, "train.jsonl", "coordinates", "traj[5]", "outside")
    assert len(errors) == 9


def test_chat_rows_outside_the_grammar_or_layout_fail(golden_exports, tmp_path):
    out = _copy(golden_exports["aguvis"], tmp_path / "ag")

    def edit(rows):
        rows[0]["conversations"][-1]["value"] = "pyautogui.hotkey('ctrl', 's')"
        rows[1]["conversations"][1]["value"] = "<image>Instruction: do it"
        rows[2]["conversations"][-1]["recipient"] = "all"

    _edit_lines(out / "data/train.jsonl", edit)
    errors = _errors(out)
    assert _has(errors, "data/train.jsonl", "grammar", "line 1")
    assert _has(errors, "data/train.jsonl", "layout", "line 2", "user_instruction")
    assert _has(errors, "data/train.jsonl", "layout", "line 3", "recipient os")

    out = _copy(golden_exports["opencua-qwen25"], tmp_path / "oq")

    def edit_oq(rows):  # fractions where the dialect has smart-resized pixels
        m = rows[0]["messages"][-1]
        m["content"] = m["content"].replace("x=322, y=196", "x=0.5, y=0.5")

    _edit_lines(out / "data/train.jsonl", edit_oq)
    assert _has(_errors(out), "data/train.jsonl", "grammar", "line 1")

    for name, bad in (("uitars-1000", ["type(content=\"it's\")",
                                       "click(start_box='(500,500)')",
                                       "finished(content='done')"]),
                      ("uitars15", ["click(start_box='<|box_start|>(500,500)<|box_end|>')",
                                    "hotkey(key='ctrl alt shift t')",
                                    "call_user()"])):
        out = _copy(golden_exports[name], tmp_path / name)

        def edit_ui(rows, bad=bad):
            for r, action in zip(rows, bad, strict=False):
                m = r["messages"][-1]
                m["content"] = m["content"].split("Action: ")[0] + "Action: " + action

        _edit_lines(out / "data/train.jsonl", edit_ui)
        errors = _errors(out)
        for n in (1, 2, 3):
            assert _has(errors, "data/train.jsonl", "grammar", f"line {n} "), (name, n, errors)


def test_transcripts_outside_the_tools_fail(golden_exports, tmp_path):
    out = _copy(golden_exports["computer-use"], tmp_path / "cu")

    def edit_a(recs):
        msgs = recs[0]["messages"]
        msgs[5]["content"][0]["input"] = {"action": "left_click", "coordinate": [160, 100],
                                          "text": "ctrl"}  # the reference tool refuses text
        msgs[7]["content"][0]["input"]["scroll_amount"] = "2"

    def edit_o(recs):
        calls = [i for i in recs[0]["input"] if i["type"] == "computer_call"]
        del calls[1]["id"]  # "id: Required[str]"
        calls[2]["action"]["button"] = "middle"

    _edit_lines(out / "anthropic/train.jsonl", edit_a)
    _edit_lines(out / "openai/train.jsonl", edit_o)
    errors = _errors(out)
    assert _has(errors, "anthropic/train.jsonl", "grammar", "messages[5]", "left_click")
    assert _has(errors, "anthropic/train.jsonl", "grammar", "messages[7]", "scroll_amount")
    assert _has(errors, "openai/train.jsonl", "layout", "id missing")
    assert _has(errors, "openai/train.jsonl", "grammar", "button")


def test_terminal_action_must_say_the_outcome(golden_exports, tmp_path):
    out = _copy(golden_exports["opencua"], tmp_path / "oc")

    def edit(recs):  # the failed episode claims success
        recs[1]["traj"][-1]["value"]["code"] = "computer.terminate(status='success')"

    _edit_lines(out / "train.jsonl", edit)
    assert _has(_errors(out), "train.jsonl", "terminal", "the outcome is failure")

    def drop(recs):  # the successful episode loses its terminate step
        recs[0]["traj"].pop()

    _edit_lines(out / "train.jsonl", drop)
    assert _has(_errors(out), "*.jsonl", "terminal", "has no terminal action")
