"""The golden store: three approved demonstrations whose steps cover every action type the
exporters handle, with the awkward cases (a modifier held during a click and a scroll, a
repeated key, hotkeys of three and four keys, a diagonal scroll, typed text with an
apostrophe, double quotes, a backslash, a newline and non-ASCII letters, text starting with
spaces), and the three endings (success, failure, infeasible).

Frames are 640x400, so the target coordinates are easy to compute by hand:
- fractions: x / 640, y / 400;
- the UI-TARS v1 grid: round(x / 640 * 1000), round(y / 400 * 1000);
- Qwen2.5-VL's smart_resize of 400x640 (factor 28; both OpenCUA's and UI-TARS-1.5's pixel
  limits leave it alone): round(400 / 28) * 28 = 392 high, round(640 / 28) * 28 = 644 wide,
  so x' = round(x * 644 / 640) = round(x * 1.00625), y' = round(y * 392 / 400) = round(y * 0.98).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.export.fixtures import ExportWorld, new_world, write_package

TEXT = "it's \"quoted\" C:\\path\nnext é 漢字"
INDENTED = "  indented"


def _s(kind: str, instruction: str, **kw: Any) -> dict[str, Any]:
    return {"type": kind, "instruction": instruction, "thought": kw.pop("thought", None), **kw}


SUCCESS = [
    _s("click", "Click the Save button", x=320, y=200, button="left",
       thought="The file must be saved first.",
       target={"source": "atspi", "role": 43, "role_name": "push button", "name": "Save",
               "box": [300, 190, 40, 20], "window_title": "report.txt - Editor"}),
    _s("click", "Add the row to the selection", x=160, y=100, button="left", keys=["ctrl"]),
    _s("scroll", "Zoom in", x=320, y=200, scroll_dx=0, scroll_dy=-2, keys=["ctrl"]),
    _s("double_click", "Open the row", x=480, y=300, button="left"),
    _s("triple_click", "Select the line", x=64, y=360, button="left"),
    _s("middle_click", "Paste the selection", x=32, y=20, button="middle"),
    _s("right_click", "Open the menu", x=576, y=380, button="right"),
    _s("drag", "Drag the file into the folder", x=128, y=80, button="left",
       path=[{"x": 128, "y": 80}, {"x": 256, "y": 160}, {"x": 384, "y": 240}]),
    _s("scroll", "Scroll the table down", x=320, y=200, scroll_dx=0, scroll_dy=3),
    _s("scroll", "Scroll up and to the left", x=320, y=200, scroll_dx=-2, scroll_dy=-1),
    _s("type", "Type the note", text=TEXT, thought="The note goes in the body."),
    _s("key", "Press Enter", keys=["enter"]),
    _s("key", "Move down three rows", keys=["down"], repeat=3),
    _s("hotkey", "Reopen the closed tab", keys=["ctrl", "shift", "t"]),
    _s("hotkey", "Open the terminal", keys=["ctrl", "alt", "shift", "t"]),
    _s("type", "Type the indented line", text=INDENTED),
    _s("wait", "Wait for the save", duration_us=2_000_000),
    _s("terminate", "", terminal_status="success"),
]
FAILURE = [
    _s("click", "Click the Save button", x=320, y=200, button="left"),
    _s("type", "Type the name", text="abc"),
    _s("terminate", "", terminal_status="failure"),
]
INFEASIBLE = [
    _s("click", "Click the Save button", x=320, y=200, button="left"),
    _s("terminate", "", terminal_status="infeasible"),
]
EPISODES = [("Save the report", SUCCESS, "success", 4),
            ("Rename the file", FAILURE, "failure", None),
            ("Print the report", INFEASIBLE, "infeasible", 1)]


def build_golden(root: Path) -> ExportWorld:
    world = new_world(root, ["ana"])
    svc, clock, rev, (ana,) = world.svc, world.clock, world.rev, world.contributors
    frame_no = [0]
    for n, (goal, recipes, outcome, difficulty) in enumerate(EPISODES, 1):
        pkg = write_package(root / "packages" / f"g{n}", svc=svc, contributor=ana, seed=n,
                            frame_no=frame_no, goal=goal, tags=["golden"],
                            applications=["editor"], recipes=[dict(r) for r in recipes],
                            outcome=outcome, difficulty=difficulty)
        info = svc.ingest_package(actor=ana, folder=pkg)
        clock.advance(minutes=5)
        svc.claim(actor=rev, submission_id=info.id)
        svc.approve(actor=rev, submission_id=info.id, quality=4)
        world.approved.append(info.id)
        world.steps_of[info.id] = len(recipes)
        clock.advance(hours=1)
    return world
