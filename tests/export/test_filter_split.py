"""The --filter grammar and the by-contributor splits (pure functions)."""

import datetime as dt

import pytest

from annotator.export.errors import ExportError, FilterError
from annotator.export.filter import compile_filter, parse_filter
from annotator.export.splits import assign, parse_split

ROW = {"task_id": 7, "task_title": "Rename the report", "applications": ["Firefox", "gedit"],
       "approved_date": dt.date(2026, 3, 10), "contributor": "c-abc", "reviewer": "r-xyz",
       "quality": 4, "tags": ["office", "final"], "signals": ["idle", "no_effect"]}


@pytest.mark.parametrize("expr,expected", [
    ("application = firefox", True),
    ("application = chrome", False),
    ("application != chrome", True),
    ("application ~ fire and quality >= 4", True),
    ("quality > 4 or tags = final", True),
    ("not (tags ~ draft) and date >= 2026-03-01 and date < 2026-04-01", True),
    ("date = 2026-03-11", False),
    ("task = 7", True),
    ("task ~ 'the report'", True),
    ('contributor = "c-abc" and reviewer != r-xyz', False),
    ("NOT quality <= 3 AND Application = GEDIT", True),
    ("signal = no_effect", True),
    ("signal != synthetic_input", True),
    ("signal != idle", False),
    ("signal ~ effect and quality >= 4", True),
])
def test_filter_matches(expr, expected):
    assert compile_filter(expr)(ROW) is expected


@pytest.mark.parametrize("expr,why", [
    ("", "empty"),
    ("colour = red", "not a field"),
    ("quality >= 9", "score from 1 to 5"),
    ("application > b", "cannot be compared"),
    ("date = yesterday", "not a date"),
    ("(quality = 4", "not closed"),
    ("quality = 4 tags = x", "unexpected"),
    ("__import__('os').system('true')", "not a field"),
    ("quality = 4; rm -rf /", "cannot read"),
    ("signal = no_efect", "not a kind of quality signal"),
])
def test_filter_errors_say_what_is_wrong(expr, why):
    with pytest.raises(FilterError) as e:
        parse_filter(expr)
    assert why in e.value.message
    assert "Fields:" in (e.value.hint or "")


def test_split_keeps_each_contributor_in_one_split_and_is_stable():
    spec = parse_split("by-contributor:0.9,0.05,0.05")
    weights = {f"c-{i:03d}": 10 + (i * 7) % 40 for i in range(60)}
    a = assign(spec, weights)
    assert set(a) == set(weights) and set(a.values()) == {"train", "validation", "test"}
    total = sum(weights.values())
    share = {s: sum(w for c, w in weights.items() if a[c] == s) / total for s in spec.names}
    assert abs(share["train"] - 0.9) < 0.05
    # Same input, any order: same assignment (no dependence on dict order or hash seeds).
    assert assign(spec, dict(reversed(list(weights.items())))) == a


@pytest.mark.parametrize("text", ["random:0.9,0.1", "by-contributor:0.9,0.2",
                                  "by-contributor:a,b", "by-contributor:", "by-contributor:1,0,0,0"])
def test_bad_splits(text):
    with pytest.raises(ExportError):
        parse_split(text)
