"""One copy of how durations, money, times and states read, for every face."""

from __future__ import annotations

import datetime as dt

from annotator.display import duration, money, split_list, when
from annotator.workflow.states import STATE_LABELS, State, state_label


def test_durations_money_and_times():
    assert duration(None) == "—" and duration(-5) == "0:00.0"
    assert duration(65_430_000) == "1:05.4" and duration(65_430_000, 3) == "1:05.430"
    assert duration(59_960_000) == "1:00.0"  # rounded up into the next minute
    assert duration(3_600_000_000, 0) == "60:00"
    assert money(None) == "—" and money(123456, "EUR") == "1234.56 EUR"
    assert money(-5) == "-0.05" and money(0) == "0.00"
    t = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
    local = t.astimezone()
    assert when(t) == local.strftime("%Y-%m-%d %H:%M ") + local.tzname()
    assert when(t.replace(tzinfo=None)) == when(t) and when(None) == "—"


def test_every_state_has_one_label():
    assert set(STATE_LABELS) == set(State)
    assert state_label("changes_requested") == state_label(State.CHANGES_REQUESTED) \
        == "Changes requested"
    assert state_label("archived") == "archived"  # a state of a newer server, as given


def test_lists_as_typed():
    assert split_list(" Calc ,Firefox,, ") == ["Calc", "Firefox"]
    assert split_list("") == [] and split_list(" , ") == []
    assert split_list(", ".join(["a b", "c"])) == ["a b", "c"]


def test_clock_reads_a_running_time():
    from annotator.display import clock

    assert [clock(s) for s in (0, 59.9, 61, 3600 * 27 + 5, -3)] == [
        "00:00:00", "00:00:59", "00:01:01", "27:00:05", "00:00:00"]
