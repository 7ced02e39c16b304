"""Child process of the crash test: edits a bundle as fast as it can until it is killed.

``python -m tests.edits.crash_child BUNDLE`` prints ``ready``, then the number of each
action once that action has returned (and so, with synchronous saving, is on disk).
"""

from __future__ import annotations

import sys

from annotator.edits import EditError, EditSession

from .conftest import DURATION_US, make_steps

OUTCOMES = ("success", "failure", "infeasible", "abandoned", None)


def act(session: EditSession, k: int) -> None:
    """Action number ``k`` of a fixed sequence of commands, undos and redos."""
    sid = f"s{k % 12}"
    match k % 9:
        case 0 | 4:
            session.set_instruction(sid, f"step {sid}, edit {k}")
        case 1:
            start = (k * 7_919_000) % (DURATION_US - 2_000_000)
            session.cut(start, start + 500_000)
        case 2:
            session.set_goal(f"goal after {k} edits")
        case 3:
            session.undo()
        case 5:
            try:
                session.delete_step(sid)
            except EditError:
                session.restore_step(sid)
        case 6:
            session.set_outcome(OUTCOMES[k % 5])
        case 7:
            session.redo()
        case 8:
            with session.transaction("Label 2 steps"):
                session.set_mistake(sid, k % 2 == 0)
                session.set_thought(f"s{(k + 1) % 12}", f"thought {k}")


def open_session(folder: str) -> EditSession:
    # no coalescing: the parent replays the sequence and must get the same history
    return EditSession.open(folder, steps=make_steps(), coalesce_s=-1)


def main() -> None:
    session = open_session(sys.argv[1])
    print("ready", flush=True)
    k = 0
    while True:
        act(session, k)
        print(k, flush=True)
        k += 1


if __name__ == "__main__":
    main()
