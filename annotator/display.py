"""How durations, money and times read to people: one copy for the desktop app, the command
line and the core's messages (the states' labels are ``annotator.workflow.states.STATE_LABELS``).

This module imports nothing else of annotator: any layer may use it.
"""

from __future__ import annotations

import datetime as dt

NONE = "—"  # what an absent value reads as


def duration(us: int | None, places: int = 1) -> str:
    """``m:ss.s`` (minutes unbounded; ``places`` decimals of the seconds), from µs."""
    if us is None:
        return NONE
    s = max(0, int(us)) / 1e6
    minutes = int(s // 60)
    seconds = s - 60 * minutes
    width = 3 + places if places else 2
    text = f"{seconds:0{width}.{places}f}"
    if text.startswith("60"):  # rounded up to the next minute
        minutes, text = minutes + 1, f"{0:0{width}.{places}f}"
    return f"{minutes}:{text}"


def clock(seconds: float) -> str:
    """``hh:mm:ss`` of a running time (hours unbounded), as a recorder's elapsed time."""
    secs = max(0, int(seconds))
    return f"{secs // 3600:02d}:{secs % 3600 // 60:02d}:{secs % 60:02d}"


def split_list(text: str) -> list[str]:
    """A list as people type it (``Calc, Firefox``), the inverse of ``", ".join``: items are
    stripped, empty ones (``a,,b``, a trailing comma, a blank field) left out."""
    return [item.strip() for item in text.split(",") if item.strip()]


def money(cents: int | None, currency: str = "") -> str:
    """``12.34 EUR`` from 1234 cents (exact: no float on the way)."""
    if cents is None:
        return NONE
    sign = "-" if cents < 0 else ""
    cents = abs(int(cents))
    return f"{sign}{cents // 100}.{cents % 100:02d}" + (f" {currency}" if currency else "")


def when(value: dt.datetime | None) -> str:
    """``2026-03-10 13:00 CET``: this computer's local time, with its zone (a naive time is
    taken as UTC, as the store keeps them)."""
    if value is None:
        return NONE
    if hasattr(value, "to_pydatetime"):  # a pandas Timestamp (payout reports)
        value = value.to_pydatetime()
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone().strftime("%Y-%m-%d %H:%M %Z").rstrip()
