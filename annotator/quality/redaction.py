"""Redaction doubts: what the leak check found and the contributor let through as not
sensitive, and boxes that hide most of the screen (a demonstration nobody can learn from, or
one hiding more than it should).  Both come from ``redactions.json``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from annotator.quality.evidence import Evidence
from annotator.quality.records import Moment, Signal, seconds

LARGE_SHARE = 0.5


def _moment(item: Mapping[str, Any]) -> tuple[Moment, ...]:
    t = item.get("result_us", item.get("t_us"))
    if isinstance(t, int) and not isinstance(t, bool) and t >= 0:
        return (Moment(t, t),)
    return ()


def detect(ev: Evidence) -> list[Signal]:
    out: list[Signal] = []
    for n, item in enumerate(ev.accepted):
        what = str(item.get("description") or item.get("detector") or "a finding")
        if len(what) > 160:
            what = what[:157] + "..."
        out.append(Signal(
            "accepted_leak",
            f"The leak check found {what} and you accepted it as not sensitive. A reviewer "
            "will look at it: if it is sensitive after all, redact it.",
            moments=_moment(item), key=f"accepted_leak:{n}",
            evidence={"detector": str(item.get("detector") or "")[:40]}))
    area = max(1, ev.width * ev.height)
    for n, b in enumerate(ev.boxes):
        rect = b.get("fill_rect") or []
        if len(rect) != 4:
            continue
        x0, y0, x1, y1 = (int(v) for v in rect)
        share = max(0, x1 - x0) * max(0, y1 - y0) / area
        if share < LARGE_SHARE:
            continue
        ivs = [iv for iv in b.get("intervals_us") or () if len(iv) == 2]
        moments = tuple(Moment(int(a), int(z)) for a, z in ivs[:5])
        when = f" from {seconds(moments[0].start_us)}" if moments else ""
        out.append(Signal(
            "large_redaction",
            f"A redaction covers {share:.0%} of the screen{when}. Make sure what is left shows "
            "how the task is done; redact only what must be hidden.",
            moments=moments, key=f"large_redaction:{n}", evidence={"share": share}))
    return out
