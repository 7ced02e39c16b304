"""Golden rows: what each dialect must write for the golden store (tests/export/golden.py),
written by hand from the upstream contracts, with the upstream line each follows quoted
beside it.  Coordinates are worked out in golden.py's docstring (640x400 frames; smart_resize
to 644x392).  ``None``: the dialect cannot say the step, which is left out and counted.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pyarrow.parquet as pq

from tests.export.golden import INDENTED, TEXT

# -- AgentNet PyAutoGUI (xlang-ai/OpenCUA) -----------------------------------------------------
# data/cot-generate/gen_cot_example/raw_example.jsonl: "pyautogui.click(x=0.9722, y=0.9701)",
#   "pyautogui.moveTo(x=0.4546, y=0.2682)\npyautogui.dragTo(x=0.4107, y=0.2773, button='left')",
#   "pyautogui.moveTo(x=0.396, y=0.7839)\npyautogui.scroll(-3)", "computer.terminate(status='success')"
# evaluation/agentnetbench/sample_data: "pyautogui.press(keys=['enter'])",
#   "pyautogui.hotkey(keys=['ctrl', 'c'])", 'pyautogui.write(message="help me polish this: \'")'
# schema/action.py GUIActionType: click, doubleClick, rightClick, middleClick, moveTo, dragTo,
#   scroll, hscroll, write, press, hotkey (no keyDown/keyUp: a held modifier cannot be said);
#   ComputerActionType: TRIPLE_CLICK = "tripleClick", WAIT = "wait", TERMINATE = "terminate";
#   to_command: repr(round(value, 4)); one argument named clicks is written bare.
# raw_to_standardized.py: "if dx != 0: ...hscroll... args={"clicks": dx}" then
#   "if dy != 0: ...scroll... args={"clicks": dy}" (pyautogui: scroll(+n) is up).
AGENTNET = [
    "pyautogui.click(x=0.5, y=0.5)",                      # (320, 200) / (640, 400)
    None,                                                 # ctrl held
    None,                                                 # ctrl held (zoom)
    "pyautogui.doubleClick(x=0.75, y=0.75)",
    "computer.tripleClick(x=0.1, y=0.9)",
    "pyautogui.middleClick(x=0.05, y=0.05)",
    "pyautogui.rightClick(x=0.9, y=0.95)",
    "pyautogui.moveTo(x=0.2, y=0.2)\npyautogui.dragTo(x=0.6, y=0.6, button='left')",
    "pyautogui.moveTo(x=0.5, y=0.5)\npyautogui.scroll(-3)",  # 3 clicks down
    "pyautogui.moveTo(x=0.5, y=0.5)\npyautogui.hscroll(-2)\npyautogui.scroll(1)",
    "pyautogui.write(message='it\\'s \"quoted\" C:\\\\path\\nnext é 漢字')",
    "pyautogui.press(keys=['enter'])",
    "pyautogui.press(keys=['down'])\npyautogui.press(keys=['down'])\n"
    "pyautogui.press(keys=['down'])",                     # repeated: the same line again
    "pyautogui.hotkey(keys=['ctrl', 'shift', 't'])",
    "pyautogui.hotkey(keys=['ctrl', 'alt', 'shift', 't'])",
    "pyautogui.write(message='  indented')",
    "computer.wait()",
    "computer.terminate(status='success')",
]
AGENTNET_FAILURE = ["pyautogui.click(x=0.5, y=0.5)", "pyautogui.write(message='abc')",
                    "computer.terminate(status='failure')"]
# terminate_func: "status": {"enum": ["success", "failure"]}: infeasible is a failure.
AGENTNET_INFEASIBLE = ["pyautogui.click(x=0.5, y=0.5)", "computer.terminate(status='failure')"]

# AGUVIS: the same language; the declared functions name the triple click
# (schema/action.py triple_click_func: "name": "computer.triple_click") and AGUVIS's wait
# takes seconds (aguvis constants.py wait_func: "seconds" required).
AGUVIS = [c if c is None or not c.startswith("computer.") else c for c in AGENTNET]
AGUVIS[4] = "computer.triple_click(x=0.1, y=0.9)"
AGUVIS[16] = "computer.wait(seconds=2.0)"

# OpenCUA-7B/32B: model/README.md "OpenCUA-7B and OpenCUA-32B (Qwen2.5-based): Output absolute
# coordinates after smart resize ... smart_resize(original_height, original_width, factor = 28,
# min_pixels = 3136, max_pixels = 12845056)"; its system prompts declare computer.triple_click.
OPENCUA_QWEN25 = list(AGENTNET)
OPENCUA_QWEN25[0] = "pyautogui.click(x=322, y=196)"       # 320*1.00625, 200*0.98
OPENCUA_QWEN25[3] = "pyautogui.doubleClick(x=483, y=294)"
OPENCUA_QWEN25[4] = "computer.triple_click(x=64, y=353)"   # 64.4, 352.8
OPENCUA_QWEN25[5] = "pyautogui.middleClick(x=32, y=20)"    # 32.2, 19.6
OPENCUA_QWEN25[6] = "pyautogui.rightClick(x=580, y=372)"   # 579.6, 372.4
OPENCUA_QWEN25[7] = ("pyautogui.moveTo(x=129, y=78)\n"      # 128.8, 78.4
                     "pyautogui.dragTo(x=386, y=235, button='left')")  # 386.4, 235.2
OPENCUA_QWEN25[8] = "pyautogui.moveTo(x=322, y=196)\npyautogui.scroll(-3)"
OPENCUA_QWEN25[9] = "pyautogui.moveTo(x=322, y=196)\npyautogui.hscroll(-2)\npyautogui.scroll(1)"

# -- UI-TARS (bytedance/UI-TARS) ---------------------------------------------------------------
# README_v1.md, computer prompt: "click(start_box='<|box_start|>(x1,y1)<|box_end|>')",
#   "left_double(...)", "right_single(...)", "drag(start_box='...', end_box='...')",
#   "hotkey(key='')", "type(content='')", "scroll(start_box='...', direction='down or up or
#   right or left')", "wait()", "finished()", "call_user() # Submit the task and call the user
#   when the task is unsolvable"; no triple or middle click, no held keys.
# codes/ui_tars/prompt.py COMPUTER_USE_DOUBAO: "hotkey(key='ctrl c') # Split keys with a space
#   and use lowercase. Also, do not use more than 3 keys in one hotkey action.",
#   "type(content='xxx') # Use escape characters \\', \\", and \\n in content part"
# action_parser.py: "tmp_all_action = action_str.split(")\n\n")" (several actions, a blank line
#   apart); "param = param.lstrip()" (leading spaces of typed text are lost: left out).
UITARS_V1 = [
    "click(start_box='<|box_start|>(500,500)<|box_end|>')",  # round(320/640*1000), 200/400
    None, None,
    "left_double(start_box='<|box_start|>(750,750)<|box_end|>')",
    None,                                                     # no triple click
    None,                                                     # no middle click
    "right_single(start_box='<|box_start|>(900,950)<|box_end|>')",
    "drag(start_box='<|box_start|>(200,200)<|box_end|>', "
    "end_box='<|box_start|>(600,600)<|box_end|>')",
    "scroll(start_box='<|box_start|>(500,500)<|box_end|>', direction='down')",
    "scroll(start_box='<|box_start|>(500,500)<|box_end|>', direction='up')\n\n"
    "scroll(start_box='<|box_start|>(500,500)<|box_end|>', direction='left')",
    "type(content='it\\'s \"quoted\" C:\\\\path\\nnext é 漢字')",
    "hotkey(key='enter')",
    "hotkey(key='down')\n\nhotkey(key='down')\n\nhotkey(key='down')",
    "hotkey(key='ctrl shift t')",
    None,                                                     # 4 keys
    None,                                                     # leading spaces
    "wait()",
    "finished()",
]
UITARS_V1_FAILURE = ["click(start_box='<|box_start|>(500,500)<|box_end|>')",
                     "type(content='abc')", "call_user()"]
UITARS_V1_INFEASIBLE = ["click(start_box='<|box_start|>(500,500)<|box_end|>')", "call_user()"]

# UI-TARS-1.5: COMPUTER_USE_DOUBAO "click(point='<point>x1 y1</point>')", "drag(start_point=
#   '<point>x1 y1</point>', end_point='<point>x2 y2</point>')", "scroll(point='<point>x1 y1
#   </point>', direction='down or up or right or left')", "finished(content='xxx')";
#   action_parser.py: MIN_PIXELS = 100 * 28 * 28, smart_resize, "float(num / smart_resize_width)".
#   It has no call_user: a failed or impossible task has no terminal action (left out).
UITARS15 = list(UITARS_V1)
UITARS15[0] = "click(point='<point>322 196</point>')"
UITARS15[3] = "left_double(point='<point>483 294</point>')"
UITARS15[6] = "right_single(point='<point>580 372</point>')"
UITARS15[7] = "drag(start_point='<point>129 78</point>', end_point='<point>386 235</point>')"
UITARS15[8] = "scroll(point='<point>322 196</point>', direction='down')"
UITARS15[9] = ("scroll(point='<point>322 196</point>', direction='up')\n\n"
               "scroll(point='<point>322 196</point>', direction='left')")
UITARS15[17] = "finished(content='')"
UITARS15_FAILURE = ["click(point='<point>322 196</point>')", "type(content='abc')", None]
UITARS15_INFEASIBLE = ["click(point='<point>322 196</point>')", None]

# -- Anthropic's computer tool (anthropics/anthropic-quickstarts tools/computer.py) -----------
# "Action_20250124 = Action_20241022 | Literal["left_mouse_down", "left_mouse_up", "scroll",
#   "hold_key", "wait", "triple_click"]"; clicks: "if text is not None: raise ToolError(f"text is
#   not accepted for {action}")" ... "if key: command_parts.append(f"keydown {key}")"; scroll:
#   "if text: command_parts.append(f"keydown {text}")", "scroll_amount ... non-negative int";
#   key: f"key -- {text}" (xdotool: "Down Down Down" presses Down three times); wait: duration.
ANTHROPIC = [
    [{"action": "left_click", "coordinate": [320, 200]}],
    [{"action": "left_click", "coordinate": [160, 100], "key": "ctrl"}],
    [{"action": "scroll", "coordinate": [320, 200], "scroll_direction": "up",
      "scroll_amount": 2, "text": "ctrl"}],
    [{"action": "double_click", "coordinate": [480, 300]}],
    [{"action": "triple_click", "coordinate": [64, 360]}],
    [{"action": "middle_click", "coordinate": [32, 20]}],
    [{"action": "right_click", "coordinate": [576, 380]}],
    [{"action": "left_click_drag", "start_coordinate": [128, 80], "coordinate": [384, 240]}],
    [{"action": "scroll", "coordinate": [320, 200], "scroll_direction": "down",
      "scroll_amount": 3}],
    [{"action": "scroll", "coordinate": [320, 200], "scroll_direction": "up",
      "scroll_amount": 1},
     {"action": "scroll", "coordinate": [320, 200], "scroll_direction": "left",
      "scroll_amount": 2}],
    [{"action": "type", "text": TEXT}],
    [{"action": "key", "text": "Return"}],
    [{"action": "key", "text": "Down Down Down"}],
    [{"action": "key", "text": "ctrl+shift+t"}],
    [{"action": "key", "text": "ctrl+alt+shift+t"}],
    [{"action": "type", "text": INDENTED}],
    [{"action": "wait", "duration": 2.0}],
    "I have completed the task.",
]

# -- OpenAI computer_call (openai/openai-python response_computer_tool_call_param.py) ---------
# ActionClick: button "left", "right", "wheel", "back", "forward"; keys: "The keys being held
#   while clicking."; ActionDoubleClick: keys Required (Optional); no triple click;
#   ActionScroll scroll_x, scroll_y (openai-cua-sample-app: window.scrollBy(scroll_x, scroll_y):
#   pixels, 100 a wheel click); ActionKeypress keys (the CUA key table: "arrowdown", "enter").
OPENAI = [
    [{"type": "click", "x": 320, "y": 200, "button": "left"}],
    [{"type": "click", "x": 160, "y": 100, "button": "left", "keys": ["ctrl"]}],
    [{"type": "scroll", "x": 320, "y": 200, "scroll_x": 0, "scroll_y": -200,
      "keys": ["ctrl"]}],
    [{"type": "double_click", "x": 480, "y": 300, "keys": None}],
    None,
    [{"type": "click", "x": 32, "y": 20, "button": "wheel"}],
    [{"type": "click", "x": 576, "y": 380, "button": "right"}],
    [{"type": "drag", "path": [{"x": 128, "y": 80}, {"x": 256, "y": 160},
                               {"x": 384, "y": 240}]}],
    [{"type": "scroll", "x": 320, "y": 200, "scroll_x": 0, "scroll_y": 300}],
    [{"type": "scroll", "x": 320, "y": 200, "scroll_x": -200, "scroll_y": -100}],
    [{"type": "type", "text": TEXT}],
    [{"type": "keypress", "keys": ["enter"]}],
    [{"type": "keypress", "keys": ["arrowdown"]}] * 3,
    [{"type": "keypress", "keys": ["ctrl", "shift", "t"]}],
    [{"type": "keypress", "keys": ["ctrl", "alt", "shift", "t"]}],
    [{"type": "type", "text": INDENTED}],
    [{"type": "wait"}],
    "I have completed the task.",
]


def _step_of(image: str) -> int:
    return int(re.search(r"_(\d{5})\.\w+$", image).group(1))


def _episodes(manifest: dict) -> list[str]:
    return [e["episode_id"] for e in manifest["episodes"]]


def _by_step(rows: list[tuple[int, object]], n: int) -> list[object]:
    out: list[object] = [None] * n
    for i, v in rows:
        out[i] = v
    return out


def _at(rows: list[dict], step: int) -> dict:
    return next(r for r in rows if r["step_index"] == step)


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def test_opencua_trajectories(golden_exports):
    out = golden_exports["opencua"]
    m = _manifest(out)
    recs = {r["task_id"]: r for r in map(json.loads, (out / "train.jsonl").open())}
    success, failure, infeasible = (recs[e] for e in _episodes(m))
    got = _by_step([(_step_of(s["image"]), s["value"]["code"]) for s in success["traj"]], 18)
    assert got == AGENTNET
    assert [s["value"]["code"] for s in failure["traj"]] == AGENTNET_FAILURE
    assert [s["value"]["code"] for s in infeasible["traj"]] == AGENTNET_INFEASIBLE
    # data/cot-generate/README.md: "index", "image", "value": {"code", "observation",
    # "thought", "action", "last_step_correct", "last_step_redundant", "reflection"};
    # "task_difficulty": Integer (0-10) ... the 1-5 rating 4 is 8 by the documented rule.
    assert [s["index"] for s in success["traj"]] == list(range(16))
    first = success["traj"][0]
    assert first["value"] == {"code": "pyautogui.click(x=0.5, y=0.5)", "observation": None,
                              "thought": "The file must be saved first.",
                              "action": "Click the Save button", "last_step_correct": True,
                              "last_step_redundant": False, "reflection": None}
    assert (success["task_completed"], success["task_difficulty"]) == (True, 8)
    assert (failure["task_completed"], failure["task_difficulty"]) == (False, None)
    assert (infeasible["task_completed"], infeasible["task_difficulty"]) == (False, 2)
    assert success["instruction"] == "Save the report"
    assert m["counts"]["unsupported"] == {"opencua:click (click with ctrl held)": 1,
                                          "opencua:scroll (scroll with ctrl held)": 1}
    assert m["upstream"][0]["repository"] == "https://github.com/xlang-ai/OpenCUA"
    assert m["upstream"][0]["commit"] == "1d70f20663dcaa01f10c7fed5669887286545866"


def _chat_rows(out: Path) -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {}
    for r in map(json.loads, (out / "data/train.jsonl").open()):
        rows.setdefault(r["episode_id"], []).append(r)
    return rows


AGUVIS_SYSTEM = (
    # aguvis constants.py: grounding_system_message, then as agent_system_message lists its
    # plugin functions: "You have access to the following functions:\n- {json.dumps(...)}"
    "You are a GUI agent. You are given a task and a screenshot of the screen. You need to "
    "perform a series of pyautogui actions to complete the task.\n\nYou have access to the "
    "following functions:\n"
    '- {"name": "computer.triple_click", "description": "Triple click on the screen", '
    '"parameters": {"type": "object", "properties": {"x": {"type": "number", "description": '
    '"The x coordinate of the triple click"}, "y": {"type": "number", "description": "The y '
    'coordinate of the triple click"}}, "required": ["x", "y"]}}\n'
    '- {"name": "computer.wait", "description": "wait for the change to happen", '
    '"parameters": {"type": "object", "properties": {"seconds": {"type": "number", '
    '"description": "The seconds to wait"}}, "required": ["seconds"]}}\n'
    '- {"name": "computer.terminate", "description": "Terminate the current task and report '
    'its completion status", "parameters": {"type": "object", "properties": {"status": '
    '{"type": "string", "enum": ["success", "failure"], "description": "The status of the '
    'task"}}, "required": ["status"]}}\n')


def test_aguvis_rows(golden_exports):
    out = golden_exports["aguvis"]
    m = _manifest(out)
    rows = _chat_rows(out)
    success, failure, infeasible = (rows[e] for e in _episodes(m))

    def os_turns(rs):
        return [c["value"] for r in rs for c in r["conversations"] if c.get("recipient") == "os"]

    assert _by_step([(r["step_index"], os_turns([r])[0]) for r in success], 18) == AGUVIS
    assert os_turns(failure) == AGENTNET_FAILURE and os_turns(infeasible) == AGENTNET_INFEASIBLE
    # dataset.py reads "image" and "conversations" of {"from", "value"}; roles "system",
    # "human", "gpt"; serve/cli.py: the inner monologue "<|recipient|>all\nAction: ..." then
    # the code "<|recipient|>os"; assistant_template: end_turn marks the code's turn.
    ep = success[0]["episode_id"]
    assert _at(success, 3) == {
        "id": f"{ep}_00003", "episode_id": ep, "step_index": 3, "image": f"{ep}_00003.png",
        "conversations": [
            {"from": "system", "value": AGUVIS_SYSTEM},
            # constants.py user_instruction: "Please generate the next move according to the
            # ui screenshot, instruction and previous actions.\n\nInstruction: {overall_goal}
            # \n\nPrevious actions:\n{previous_actions}\n"; cli.py: "Step 1: ..." lines.
            {"from": "human", "value": "<image>Please generate the next move according to the "
             "ui screenshot, instruction and previous actions.\n\nInstruction: Save the report"
             "\n\nPrevious actions:\nStep 1: Click the Save button\nStep 2: Add the row to the "
             "selection\nStep 3: Zoom in\n"},
            {"from": "gpt", "value": "Action: Open the row", "recipient": "all",
             "end_turn": False},
            {"from": "gpt", "value": "pyautogui.doubleClick(x=0.75, y=0.75)", "recipient": "os",
             "end_turn": True}]}
    first = success[0]["conversations"]
    assert first[1]["value"].endswith("Previous actions:\nNone\n")  # cli.py: "None"
    assert first[2]["value"] == "Thought: The file must be saved first.\n" \
        "Action: Click the Save button"
    # data/stage2.yaml: "- json_path: ...\n    images_folder: ...\n    sampling_strategy: "all""
    assert (out / "aguvis_train.yaml").read_text() == (
        'datasets:\n  - json_path: data/train.jsonl\n    images_folder: images/\n'
        '    sampling_strategy: "all"\n')


# sha256 of the upstream system prompts, computed from the files at the manifest's commit:
# OpenCUA evaluation/agentnetbench/agent/opencua.py L1_SYSTEM_PROMPTS[0] / L2_SYSTEM_PROMPTS[0].
OPENCUA_L1 = "e6b5db753395aa1d0694fcde74f6530facb07f62075a4b7361741ad5ff745143"
OPENCUA_L2 = "2df3ec939b1f95c9f0eae31639cd48685c751ca6d62a5c498587a2c459261031"
# UI-TARS codes/ui_tars/prompt.py COMPUTER_USE_DOUBAO.format(language="English",
# instruction="Save the report"); README_v1.md's computer prompt with "Use English in" +
# "Save the report" (the README: ``"text": prompt + instruction``).
UITARS15_PROMPT = "9630a9eab559c53839dbee51f89b50d118b102044c4ff85b7a728ea68c46fa45"
UITARS_V1_PROMPT = "31dae5b7a5e55459ccfa88da0430a59bb908f6de30e2efe8f2596e4842ee61bc"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_opencua_qwen25_rows(golden_exports):
    out = golden_exports["opencua-qwen25"]
    m = _manifest(out)
    rows = _chat_rows(out)
    success = rows[_episodes(m)[0]]

    def code(r):  # L1/L2_RESPONSE_TEMPLATE: "...## Code:\n{code}\n"
        return r["messages"][-1]["content"].split("## Code:\n", 1)[1][:-1]

    assert _by_step([(r["step_index"], code(r)) for r in success], 18) == OPENCUA_QWEN25
    row = _at(success, 3)
    ep = row["episode_id"]
    # opencua.py prompt(): the system prompt; each earlier step within max_history_length as
    # STEP_TEMPLATE + ACTION_HISTORY_TEMPLATE ("# Step {step_num}:\n" + "## Action:\n{action}
    # \n"), the last image_num - 1 = 2 of them preceded by their screenshot as a user turn;
    # then the screenshot and INSTRUTION_TEMPLATE; the answer as L1_RESPONSE_TEMPLATE
    # ("## Action:\n{action}\n\n## Code:\n{code}\n") with its step header.
    assert _sha(row["messages"][0]["content"]) == OPENCUA_L1  # no thought: L1
    assert row["messages"][1:] == [
        {"role": "assistant", "content": "# Step 1:\n## Action:\nClick the Save button\n"},
        {"role": "user", "content": "<image>"},
        {"role": "assistant", "content": "# Step 2:\n## Action:\nAdd the row to the selection\n"},
        {"role": "user", "content": "<image>"},
        {"role": "assistant", "content": "# Step 3:\n## Action:\nZoom in\n"},
        {"role": "user", "content": "<image>\n# Task Instruction:\nSave the report\n\nPlease "
         "generate the next move according to the screenshot, task instruction and previous "
         "steps (if provided).\n"},
        {"role": "assistant", "content": "# Step 4:\n## Action:\nOpen the row\n\n## Code:\n"
         "pyautogui.doubleClick(x=483, y=294)\n"}]
    assert row["images"] == [f"images/{ep}_00001.png", f"images/{ep}_00002.png",
                             f"images/{ep}_00003.png"]
    first = success[0]  # with a thought: L2_RESPONSE_TEMPLATE
    assert _sha(first["messages"][0]["content"]) == OPENCUA_L2
    assert first["messages"][-1]["content"] == (
        "# Step 1:\n## Thought:\nThe file must be saved first.\n\n## Action:\nClick the Save "
        "button\n\n## Code:\npyautogui.click(x=322, y=196)\n")
    lim = m["options"]["dialect_limits"]
    assert (lim["factor"], lim["min_pixels"], lim["max_pixels"]) == (28, 3136, 12845056)


def _uitars(out: Path, expected: list, failure: list, infeasible: list, prompt_sha: str):
    m = _manifest(out)
    rows = _chat_rows(out)
    eps = [rows.get(e, []) for e in _episodes(m)]

    def action(r):
        return r["messages"][-1]["content"].split("Action: ", 1)[1]

    assert _by_step([(r["step_index"], action(r)) for r in eps[0]], 18) == expected
    assert [action(r) for r in eps[1]] == [a for a in failure if a]
    assert [action(r) for r in eps[2]] == [a for a in infeasible if a]
    # data/training_example.json: {"role": "system", "content": "You are a helpful
    # assistant.", "loss_mask": 0}, then the prompt and task as the first user turn, earlier
    # answers as assistant turns, screenshots as user turns before their answers, the last
    # answer "loss_mask": 1.
    row = _at(eps[0], 3)
    ep = row["episode_id"]
    msgs = row["messages"]
    assert msgs[0] == {"role": "system", "content": "You are a helpful assistant.",
                       "loss_mask": 0}
    assert msgs[1]["role"] == "user" and _sha(msgs[1]["content"]) == prompt_sha
    point = "(point='<point>322 196</point>')" if "point" in expected[0] \
        else "(start_box='<|box_start|>(500,500)<|box_end|>')"
    assert msgs[2:] == [
        {"role": "user", "content": "<image>", "loss_mask": 0},
        # COMPUTER_USE_DOUBAO: "Write a small plan and finally summarize your next action
        # (with its target element) in one sentence in `Thought` part."
        {"role": "assistant", "content": "Thought: The file must be saved first. Click the "
         f"Save button\nAction: click{point}", "loss_mask": 0},
        {"role": "user", "content": "<image>", "loss_mask": 0},
        {"role": "assistant", "content": f"Thought: Open the row\nAction: {expected[3]}",
         "loss_mask": 1}]
    assert row["images"] == [f"images/{ep}_00000.png", f"images/{ep}_00003.png"]
    # Five screenshots at most (the training example has five image turns).
    assert max(len(r["images"]) for r in eps[0]) == 5
    return m


def test_uitars_1000_rows(golden_exports):
    m = _uitars(golden_exports["uitars-1000"], UITARS_V1, UITARS_V1_FAILURE,
                UITARS_V1_INFEASIBLE, UITARS_V1_PROMPT)
    assert m["options"]["dialect_limits"]["coordinates"] == "integers on the [0, 1000) grid"


def test_uitars15_rows(golden_exports):
    m = _uitars(golden_exports["uitars15"], UITARS15, UITARS15_FAILURE, UITARS15_INFEASIBLE,
                UITARS15_PROMPT)
    lim = m["options"]["dialect_limits"]
    assert (lim["factor"], lim["min_pixels"], lim["max_pixels"]) == (28, 78400, 12845056)
    # The failed and the impossible task end without a terminal action, counted.
    assert m["counts"]["unsupported"][
        "uitars15:terminate (a failed or impossible task (COMPUTER_USE_DOUBAO has no "
        "call_user))"] == 2


def test_computer_use_transcripts(golden_exports):
    out = golden_exports["computer-use"]
    m = _manifest(out)
    ep = _episodes(m)[0]
    a = next(r for r in map(json.loads, (out / "anthropic/train.jsonl").open())
             if r["episode_id"] == ep)
    o = next(r for r in map(json.loads, (out / "openai/train.jsonl").open())
             if r["episode_id"] == ep)
    # computer.py options: "display_width_px", "display_height_px", "display_number".
    assert a["tools"] == [{"type": "computer_20250124", "name": "computer",
                           "display_width_px": 640, "display_height_px": 400,
                           "display_number": 1}]
    turns = [m_ for m_ in a["messages"] if m_["role"] == "assistant"][1:]
    said = []
    for t in turns:
        uses = [b["input"] for b in t["content"] if b["type"] == "tool_use"]
        said.append(uses or t["content"][0]["text"])
    assert said == ANTHROPIC
    # Every tool_use is answered by a tool_result in the next turn, the last with the
    # screenshot (images by path, to inline as base64).
    second = a["messages"][2]["content"]
    assert second == [{"type": "tool_result", "tool_use_id": "toolu_000000", "content": [
        {"type": "image", "source": {"type": "url", "url": f"images/{ep}_00000.png"}}]}]
    # computer_use_preview_tool_param.py: display_height, display_width, environment.
    assert o["tools"] == [{"type": "computer_use_preview", "display_width": 640,
                           "display_height": 400, "environment": "linux"}]
    calls = [i for i in o["input"] if i["type"] == "computer_call"][1:]
    groups: dict[int, list] = {}
    for c in calls:  # ids: cu_<n>_<k>, the n-th step written, its k-th call
        groups.setdefault(int(c["id"].split("_")[1]), []).append(c["action"])
    got = list(groups.values()) + [o["input"][-1]["content"]]
    assert got == [x for x in OPENAI if x is not None]
    # response_computer_tool_call_param.py: "id: Required[str]", "call_id", "action",
    # "pending_safety_checks", "status".
    assert set(calls[0]) == {"type", "id", "call_id", "action", "pending_safety_checks",
                             "status"}


def test_canonical_and_webdataset_rows(golden_exports):
    out = golden_exports["canonical"]
    steps = pq.read_table(next((out / "data/steps").glob("train-*.parquet"))).to_pylist()
    episodes = pq.read_table(out / "data/episodes/train.parquet").to_pylist()
    by_ep: dict[str, list] = {}
    for s in steps:
        by_ep.setdefault(s["episode_id"], []).append(s)
    success, failure, infeasible = (by_ep[e["episode_id"]] for e in episodes)
    # formats.md section 3 (keys: "Mouse steps: the modifiers held"; terminal_status:
    # "success or failure"; quality.difficulty: the 1-5 rating).
    assert (success[1]["action_type"], success[1]["keys"], success[1]["x"]) == \
        ("click", ["ctrl"], 160.0)
    assert (success[2]["scroll_dy"], success[2]["keys"]) == (-2.0, ["ctrl"])
    assert (success[12]["keys"], success[12]["repeat"]) == (["down"], 3)
    assert success[13]["action_type"] == "key" and success[13]["keys"] == ["ctrl", "shift", "t"]
    assert success[10]["text"] == TEXT
    assert [r["terminal_status"] for r in (success[-1], failure[-1], infeasible[-1])] == \
        ["success", "failure", "failure"]
    assert [e["outcome"] for e in episodes] == ["success", "failure", "infeasible"]
    assert [e["quality"]["difficulty"] for e in episodes] == [4, None, 1]
    wds_rows = []
    import tarfile
    for p in sorted((golden_exports["webdataset"] / "shards").glob("*.tar")):
        with tarfile.open(p) as t:
            wds_rows += [json.loads(t.extractfile(mb).read()) for mb in t
                         if mb.name.endswith(".json")]
    assert [r["action_type"] for r in wds_rows] == [s["action_type"] for s in steps]
    assert wds_rows[1]["keys"] == ["ctrl"] and wds_rows[10]["text"] == TEXT
