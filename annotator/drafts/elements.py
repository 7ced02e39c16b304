"""What the drafter reads from a recorded accessibility element: its box, its relations
(labelled-by, parent) in any shape a recorder stores them, and its role's name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from annotator.drafts import screen as sc


def box_of(v: Any) -> list[int] | None:
    if isinstance(v, list | tuple) and len(v) == 4:
        try:
            b = [int(x) for x in v]
        except (TypeError, ValueError):
            return None
        return b if b[2] > 0 and b[3] > 0 else None
    return None


def box4(box: Sequence[int]) -> sc.Box:
    """A box given as a list (JSON) or tuple, as the (x, y, w, h) tuple the screen code takes."""
    x, y, w, h = (int(v) for v in box)
    return x, y, w, h


def relation(el: dict[str, Any], *names: str) -> dict[str, Any] | None:
    """A relation of an element record (``labelled_by``, ``parent``), in any of the shapes a
    recorder may store it: a record, or a list of records (first one)."""
    relations = el.get("relations")
    rel: dict[str, Any] = relations if isinstance(relations, dict) else {}
    for n in names:
        v = el.get(n, rel.get(n))
        if isinstance(v, list) and v:
            v = v[0]
        if isinstance(v, dict):
            return v
    return None


def menu_bar_entry(el: dict[str, Any], box: list[int] | None,
                    window: list[int] | None) -> bool:
    """A "menu item" that is an entry of the window's menu bar: its parent says so, or
    (without relations) it sits in the window's top strip, where popup menus never are."""
    parent = relation(el, "parent")
    if parent is not None:
        return (role_name_of(parent) or "").lower() == "menu bar"
    return box is not None and window is not None and \
        window[1] - 2 <= box[1] and box[1] + box[3] <= window[1] + 48


def role_name_of(rec: dict[str, Any] | None) -> str | None:
    if not rec:
        return None
    rn = rec.get("role_name")
    if isinstance(rn, str) and rn:
        return rn
    role = rec.get("role")
    if isinstance(role, int):
        from annotator.capture.a11y_model import role_name

        return role_name(role)
    return role if isinstance(role, str) else None
