"""The edit list as data: defaults, validation, views, and no Qt."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from annotator.edits import EditList, Label, NewerEditsError, Task
from annotator.edits.errors import EditsFormatError
from annotator.edits.model import SCHEMA_VERSION, part_id, same


def test_empty_edit_list_is_plain_json():
    edits = EditList()
    data = json.loads(json.dumps(edits.to_json()))
    assert data == {
        "schema_version": SCHEMA_VERSION, "trim": {"in_us": None, "out_us": None},
        "cuts": [], "labels": {}, "deleted_steps": [], "merges": [], "splits": [],
        "task": {"goal": "", "outcome": None, "applications": [], "tags": [],
                 "difficulty": None},
        "redactions": [],
    }
    assert EditList.from_json(data) == edits
    assert edits.task == Task() and edits.label("any") == Label() and Label().is_empty


def test_views():
    edits = EditList.from_json({
        "schema_version": 1,
        "trim": {"in_us": 5, "out_us": 90},
        "cuts": [{"start_us": 10, "end_us": 20}],
        "labels": {"s1": {"instruction": "Open it", "thought": "", "mistake": True,
                          "redundant": False}},
        "deleted_steps": ["s2"],
        "merges": [{"id": "m", "first": "s3", "second": "s4"}],
        "splits": [{"id": "x", "step": "s5", "offset": 3, "at_us": 7, "event_id": 9,
                    "text_len": 8}],
        "task": {"goal": "g", "outcome": "success", "applications": ["Calc"], "tags": ["t"],
                 "difficulty": 3},
        "redactions": [{"id": "r1", "kind": "box"}],
    })
    assert (edits.trim_in_us, edits.trim_out_us) == (5, 90)
    assert edits.cuts[0].duration_us == 10
    assert edits.label("s1") == Label("Open it", "", True, False)
    assert edits.is_deleted("s2") and edits.merges[0].second == "s4"
    assert edits.splits[0].part_id == "s5@3" and part_id("s5", 0) == "s5"
    assert edits.task == Task("g", "success", ("Calc",), ("t",), 3)
    assert edits.redactions == [{"id": "r1", "kind": "box"}]
    assert set(edits.step_ids_referenced()) == {"s1", "s2", "s3", "s4", "s5"}


def test_unknown_keys_are_kept():
    edits = EditList.from_json({"schema_version": 1, "future_feature": {"a": 1}})
    assert edits.to_json()["future_feature"] == {"a": 1}


@pytest.mark.parametrize("bad", [
    [],
    {"schema_version": "1"},
    {"schema_version": True},
    {"schema_version": 0},
    {"schema_version": 1, "trim": {"in_us": 9, "out_us": 9}},
    {"schema_version": 1, "trim": {"in_us": -1, "out_us": None}},
    {"schema_version": 1, "cuts": [{"start_us": 5, "end_us": 5}]},
    {"schema_version": 1, "labels": {"s1": {"mistake": "yes"}}},
    {"schema_version": 1, "labels": {"s1": "x"}},
    {"schema_version": 1, "deleted_steps": [1]},
    {"schema_version": 1, "merges": [{"id": "m", "first": "a"}]},
    {"schema_version": 1, "splits": [{"id": "x", "step": "s", "offset": 0}]},
    {"schema_version": 1, "task": {"outcome": "won"}},
    {"schema_version": 1, "task": {"difficulty": 9}},
    {"schema_version": 1, "task": {"tags": "a,b"}},
    {"schema_version": 1, "redactions": {}},
])
def test_invalid_edit_lists_are_refused(bad):
    with pytest.raises(EditsFormatError):
        EditList.from_json(bad)


def test_newer_version_names_both_versions():
    with pytest.raises(NewerEditsError) as exc:
        EditList.from_json({"schema_version": SCHEMA_VERSION + 1})
    assert f"schema version {SCHEMA_VERSION + 1}" in exc.value.message
    assert f"up to {SCHEMA_VERSION}" in exc.value.message


def test_same_tells_true_from_one():
    assert same({"a": [1, True]}, {"a": [1, True]})
    assert not same(True, 1) and not same([1], [True]) and not same({"a": 1}, {"b": 1})
    assert same(1, 1.0)


def test_core_is_qt_free():
    code = ("import sys, annotator.edits, annotator.edits.session; "
            "print(any(m.split('.')[0] in ('PyQt6', 'PySide6') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip() == "False"
