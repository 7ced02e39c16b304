"""UndoHistory: undo/redo, menus, grouping, coalesced typing, clean index, persistence."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from annotator.edits import EditError, EditList, HistoryConflict, UndoHistory
from annotator.edits import commands as cmd
from annotator.edits.apply import apply_edits
from annotator.edits.errors import EditsFormatError
from annotator.edits.model import upgrade

from .conftest import DURATION_US, make_steps


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def history(clock):
    return UndoHistory(EditList(), clock=clock)


def test_menu_texts(history):
    assert history.undo_text() == "Undo" and history.redo_text() == "Redo"
    assert not history.can_undo and history.undo() is None and history.redo() is None
    history.execute(cmd.set_trim(history.edits, 1, 10))
    assert history.undo_text() == "Undo Trim" and history.redo_text() == "Redo"
    history.undo()
    assert history.undo_text() == "Undo" and history.redo_text() == "Redo Trim"


def test_new_command_drops_redo(history):
    history.execute(cmd.set_goal(history.edits, "a"))
    history.break_coalescing()
    history.execute(cmd.set_outcome(history.edits, "success"))
    history.undo()
    history.execute(cmd.set_difficulty(history.edits, 2))
    assert history.names == ["Edit goal", "Set difficulty"] and not history.can_redo


def test_transaction_groups_into_one_entry(history):
    seen = []
    history.subscribe(seen.append)
    with history.transaction("Label 3 steps"):
        for sid in ("s1", "s2", "s3"):
            history.execute(cmd.set_mistake(history.edits, sid, True))
        assert seen == []  # one signal, at the end
        assert not history.can_undo  # no undo in the middle of a group
    assert history.names == ["Label 3 steps"]
    assert len(seen) == 1 and seen[0].name == "Label 3 steps"
    assert seen[0].step_ids == {"s1", "s2", "s3"}
    assert history.undo_text() == "Undo Label 3 steps"
    history.undo()
    assert history.edits == EditList()
    history.redo()
    assert set(history.edits.data["labels"]) == {"s1", "s2", "s3"}


def test_nested_transactions_join_the_outer(history):
    with history.transaction("Outer"):
        history.execute(cmd.set_goal(history.edits, "g"))
        with history.transaction("Inner"):
            history.execute(cmd.set_outcome(history.edits, "success"))
    assert history.names == ["Outer"]


def test_failed_transaction_rolls_back(history):
    history.execute(cmd.set_goal(history.edits, "kept"))
    before = history.edits.to_json()
    with pytest.raises(EditError), history.transaction("Trim and cut"):
        history.execute(cmd.set_trim(history.edits, 5, 50))
        history.execute(cmd.cut(history.edits, 10, 5))  # refused
    assert history.edits.to_json() == before and history.names == ["Edit goal"]


def test_failed_inner_transaction_rolls_back_only_itself(history):
    with history.transaction("Outer"):
        history.execute(cmd.set_goal(history.edits, "g"))
        with pytest.raises(RuntimeError), history.transaction("Inner"):
            history.execute(cmd.set_outcome(history.edits, "success"))
            raise RuntimeError
    assert history.edits.task.goal == "g" and history.edits.task.outcome is None
    assert history.names == ["Outer"]


def test_empty_transaction_adds_nothing(history):
    with history.transaction("Nothing"):
        pass
    assert len(history) == 0


def test_typing_coalesces_into_one_entry(history, clock):
    for text in ("O", "Op", "Ope", "Open"):
        history.execute(cmd.set_instruction(history.edits, "s1", text))
        clock.t += 0.3
    history.execute(cmd.set_instruction(history.edits, "s2", "x"))  # another field
    assert history.names == ["Edit instruction", "Edit instruction"]
    history.undo()
    history.undo()
    assert history.edits == EditList()
    history.redo()
    assert history.edits.label("s1").instruction == "Open"


def test_typing_pause_starts_a_new_entry(history, clock):
    history.execute(cmd.set_goal(history.edits, "Send"))
    clock.t += 5
    history.execute(cmd.set_goal(history.edits, "Send it"))
    assert len(history) == 2
    history.break_coalescing()
    history.execute(cmd.set_goal(history.edits, "Send it now"))
    assert len(history) == 3


def test_typing_back_to_the_start_leaves_nothing_to_undo(history):
    history.execute(cmd.set_instruction(history.edits, "s1", "a"))
    history.execute(cmd.set_instruction(history.edits, "s1", ""))
    assert len(history) == 0 and history.edits == EditList()


def test_clean_index(history, clock):
    assert history.is_clean
    history.execute(cmd.set_goal(history.edits, "a"))
    assert not history.is_clean
    history.mark_clean()
    assert history.is_clean
    clock.t += 0.1
    history.execute(cmd.set_goal(history.edits, "ab"))  # no coalescing across clean
    assert len(history) == 2 and not history.is_clean
    history.undo()
    assert history.is_clean
    history.undo()
    history.execute(cmd.set_outcome(history.edits, "failure"))  # clean state dropped
    assert history.clean_index is None and not history.is_clean


def test_limit_drops_the_oldest(clock):
    history = UndoHistory(EditList(), limit=3, clock=clock)
    for d in (1, 2, 3, 4, 5):
        history.execute(cmd.set_difficulty(history.edits, d))
    assert len(history) == 3 and history.index == 3
    assert history.clean_index is None
    while history.can_undo:
        history.undo()
    assert history.edits.task.difficulty == 2


def test_listeners_get_one_change_each(history):
    seen = []
    unsubscribe = history.subscribe(seen.append)
    history.execute(cmd.cut(history.edits, 1, 5))
    history.undo()
    history.redo()
    assert [(c.action, c.name, c.timeline_changed) for c in seen] == [
        ("do", "Cut", True), ("undo", "Cut", True), ("redo", "Cut", True)]
    unsubscribe()
    history.undo()
    assert len(seen) == 3


def test_guard_refuses_before_anything_changes(history):
    def refuse():
        raise EditError("read-only")

    history.execute(cmd.set_goal(history.edits, "a"))
    history.guard = refuse
    for action in (lambda: history.execute(cmd.set_outcome(history.edits, "success")),
                   history.undo):
        with pytest.raises(EditError):
            action()
    assert history.edits.task.goal == "a" and history.index == 1


def test_stale_command_is_refused(history):
    stale = cmd.set_goal(history.edits, "a")
    history.execute(cmd.set_goal(history.edits, "b"))
    with pytest.raises(HistoryConflict):
        history.execute(stale)
    assert history.edits.task.goal == "b"


def test_history_json_round_trip(history, clock):
    steps = make_steps()
    e = history.edits
    history.execute(cmd.set_trim(e, 1_000_000, 50_000_000))
    history.execute(cmd.merge_steps(e, apply_edits(steps, e), "s2", "s3"))
    history.execute(cmd.set_instruction(e, "s2", "Click then type"))
    history.mark_clean()
    history.execute(cmd.delete_step(e, apply_edits(steps, e), "s4"))
    history.undo()
    data = json.loads(json.dumps(history.to_json()))
    edits = EditList.from_json(json.loads(json.dumps(e.to_json())))
    again = UndoHistory.from_json(data, edits)
    assert again.names == history.names and again.index == 3 and again.clean_index == 3
    assert again.is_clean and again.redo_text() == "Redo Delete step"
    again.redo()
    while again.can_undo:
        again.undo()
    assert again.edits == EditList()


def test_history_that_does_not_match_is_refused(history):
    history.execute(cmd.set_goal(history.edits, "a"))
    data = history.to_json()
    other = EditList()
    other.data["task"]["goal"] = "something else"
    with pytest.raises(HistoryConflict):
        UndoHistory.from_json(data, other)
    with pytest.raises(EditsFormatError):
        UndoHistory.from_json({"entries": "x"}, other)
    with pytest.raises(EditsFormatError):
        UndoHistory.from_json({**data, "index": 7}, history.edits)


# -- random command sequences ----------------------------------------------------------

STEPS = make_steps()
STEP_IDS = [s["id"] for s in STEPS] + ["s1@3", "s5@6", "s9@2", "nope"]
times = st.integers(0, DURATION_US)
texts = st.text(alphabet="ab ", max_size=4)

actions = st.one_of(
    st.tuples(st.just("trim"), st.none() | times, st.none() | times),
    st.tuples(st.just("in"), times),
    st.tuples(st.just("out"), times),
    st.tuples(st.just("clear_trim")),
    st.tuples(st.just("cut"), times, times),
    st.tuples(st.just("restore"), times, times),
    st.tuples(st.just("instruction"), st.sampled_from(STEP_IDS), texts),
    st.tuples(st.just("thought"), st.sampled_from(STEP_IDS), texts),
    st.tuples(st.just("mistake"), st.sampled_from(STEP_IDS), st.booleans()),
    st.tuples(st.just("redundant"), st.sampled_from(STEP_IDS), st.booleans()),
    st.tuples(st.just("delete"), st.sampled_from(STEP_IDS)),
    st.tuples(st.just("restore_step"), st.sampled_from(STEP_IDS)),
    st.tuples(st.just("merge"), st.sampled_from(STEP_IDS), st.sampled_from(STEP_IDS)),
    st.tuples(st.just("unmerge"), st.sampled_from(STEP_IDS)),
    st.tuples(st.just("split"), st.sampled_from(STEP_IDS), st.integers(0, 12)),
    st.tuples(st.just("unsplit"), st.sampled_from(STEP_IDS)),
    st.tuples(st.just("goal"), texts),
    st.tuples(st.just("outcome"), st.sampled_from([None, "success", "failure", "abandoned"])),
    st.tuples(st.just("apps"), st.lists(st.sampled_from(["Calc", "Firefox", "xterm"]))),
    st.tuples(st.just("tag"), st.sampled_from(["a", "b"]), st.booleans()),
    st.tuples(st.just("difficulty"), st.none() | st.integers(1, 5)),
    st.tuples(st.just("discard_orphans")),
)


def build(edits: EditList, action: tuple) -> cmd.Command:
    """The command for ``action`` (EditError when the request makes no sense)."""
    kind, *args = action
    result = apply_edits(STEPS, edits, duration_us=DURATION_US)
    d = DURATION_US
    match kind:
        case "trim":
            return cmd.set_trim(edits, *args, duration_us=d)
        case "in":
            return cmd.set_in_point(edits, *args, duration_us=d)
        case "out":
            return cmd.set_out_point(edits, *args, duration_us=d)
        case "clear_trim":
            return cmd.clear_trim(edits)
        case "cut":
            return cmd.cut(edits, *args, duration_us=d)
        case "restore":
            return cmd.restore_range(edits, *args)
        case "instruction":
            return cmd.set_instruction(edits, *args, result=result)
        case "thought":
            return cmd.set_thought(edits, *args, result=result)
        case "mistake":
            return cmd.set_mistake(edits, *args, result=result)
        case "redundant":
            return cmd.set_redundant(edits, *args, result=result)
        case "delete":
            return cmd.delete_step(edits, result, *args)
        case "restore_step":
            return cmd.restore_step(edits, *args)
        case "merge":
            return cmd.merge_steps(edits, result, *args)
        case "unmerge":
            return cmd.unmerge(edits, *args)
        case "split":
            return cmd.split_typing(edits, result, *args)
        case "unsplit":
            return cmd.unsplit(edits, *args)
        case "goal":
            return cmd.set_goal(edits, *args)
        case "outcome":
            return cmd.set_outcome(edits, *args)
        case "apps":
            return cmd.set_applications(edits, *args)
        case "tag":
            tag, add = args
            return cmd.add_tag(edits, tag) if add else cmd.remove_tag(edits, tag)
        case "difficulty":
            return cmd.set_difficulty(edits, *args)
        case "discard_orphans":
            return cmd.discard_orphans(edits, result.orphans)
    raise AssertionError(kind)


def check_consistent(edits: EditList) -> None:
    upgrade(json.loads(json.dumps(edits.data)))  # still a valid edit list, as JSON
    result = apply_edits(STEPS, edits, duration_us=DURATION_US)
    assert result.orphans == []  # commands never leave dangling references
    texts = {}
    for s in result.all_steps:
        if s.split_of:
            texts.setdefault(s.split_of, []).append(s.text)
    for sid, parts in texts.items():  # typed text is never rewritten, only split
        assert "".join(parts) == next(x["text"] for x in STEPS if x["id"] == sid)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(actions, max_size=40))
def test_random_sequences_undo_to_start_and_redo_to_end(seq):
    history = UndoHistory(EditList(), clock=Clock())
    initial = history.edits.to_json()
    done = 0
    for action in seq:
        try:
            command = build(history.edits, action)
        except EditError:
            continue
        history.execute(command)
        done += 1
        check_consistent(history.edits)
    final = history.edits.to_json()
    assert len(history) <= done
    while history.can_undo:
        history.undo()
    assert history.edits.to_json() == initial
    while history.can_redo:
        history.redo()
    assert history.edits.to_json() == final


class HistoryMachine(RuleBasedStateMachine):
    """Commands, undo, redo, groups and save/reload in any order: the state after k applied
    entries is always the same, exact edit list."""

    @initialize()
    def start(self):
        self.clock = Clock()
        self.history = UndoHistory(EditList(), clock=self.clock)
        self.snapshots = [self.history.edits.to_json()]  # state after k applied entries

    def _record(self):
        i = self.history.index
        self.snapshots = self.snapshots[:i] + [self.history.edits.to_json()]

    @rule(action=actions)
    def do(self, action):
        try:
            command = build(self.history.edits, action)
        except EditError:
            return
        if not command.ops:  # a no-op changes nothing, not even the redo entries
            return
        before = self.history.index
        self.history.execute(command)
        if self.history.index < before:  # coalesced back to nothing
            assert self.history.edits.to_json() == self.snapshots[self.history.index]
        self._record()

    @rule(group=st.lists(actions, min_size=1, max_size=4))
    def do_group(self, group):
        changed = False
        with self.history.transaction("Group"):
            for action in group:
                try:
                    command = build(self.history.edits, action)
                except EditError:
                    continue
                changed = changed or bool(command.ops)
                self.history.execute(command)
        if changed:
            self._record()

    @rule(dt=st.sampled_from([0.1, 3.0]))
    def tick(self, dt):
        self.clock.t += dt

    @precondition(lambda self: self.history.can_undo)
    @rule()
    def undo(self):
        self.history.undo()

    @precondition(lambda self: self.history.can_redo)
    @rule()
    def redo(self):
        self.history.redo()

    @rule()
    def mark_clean(self):
        self.history.mark_clean()

    @rule()
    def reload(self):
        """Save and open again: same state, same history, same clean index."""
        data = json.loads(json.dumps(self.history.to_json()))
        edits = EditList.from_json(json.loads(json.dumps(self.history.edits.data)))
        again = UndoHistory.from_json(data, edits, clock=self.clock)
        assert again.names == self.history.names and again.index == self.history.index
        assert again.clean_index == self.history.clean_index
        self.history = again

    @invariant()
    def state_matches_index(self):
        assert len(self.snapshots) >= self.history.index + 1
        assert self.history.edits.to_json() == self.snapshots[self.history.index]
        if self.history.is_clean:
            assert self.history.clean_index == self.history.index


TestHistoryMachine = HistoryMachine.TestCase
TestHistoryMachine.settings = settings(max_examples=60, stateful_step_count=30, deadline=None,
                                       suppress_health_check=[HealthCheck.too_slow])


def test_redactions_fit_the_same_ops_and_history(history):
    """The redaction issue's edits: records in ``redactions``, added, moved, removed."""
    box = {"id": "r1", "kind": "box", "rect": [10, 10, 50, 20], "start_us": 0, "end_us": 5}
    add = cmd.Command("Add redaction", [cmd.Op(("redactions", 0), cmd.ABSENT, box)])
    change = history.execute(add)
    assert change.redactions_changed and not change.steps_changed
    move = cmd.Command("Move redaction", [cmd.Op(("redactions", 0, "rect"), box["rect"],
                                                 [20, 10, 50, 20])])
    history.execute(move)
    assert history.edits.redactions[0]["rect"] == [20, 10, 50, 20]
    data = json.loads(json.dumps(history.to_json()))
    again = UndoHistory.from_json(data, EditList.from_json(history.edits.to_json()))
    again.undo()
    again.undo()
    assert again.edits == EditList()
