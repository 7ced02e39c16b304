"""The workspace's preferences (``<workspace>/preferences.json``): a fixed set of typed keys.

| key | type | what |
|---|---|---|
| ``preferences_version`` | int | the file's version (2) |
| ``raw_retention`` | ``ask`` / ``delete`` / ``keep`` | the default for raw recordings once approved |
| ``retention`` | {folder: choice} | the choice made for each recording at consent |
| ``retention_confirm`` | [folder] | ``delete`` choices stored when nothing applied them: asked first |
| ``submitted_recordings`` | {submission id: folder} | which recording each submission came from |
| ``recording_tasks`` | {folder: task id} | the published task a recording was made for |
| ``personal_deny_list`` | [text] | the contributor's own identifiers, looked for in every recording |
| ``platform_notice_hidden`` | [check key] | the start-up problems the contributor hid (shown again when they change) |

Folders are stored resolved.  A key this version does not know is kept in the file (a newer
version may own it) and reported; a value of the wrong type is reported and read as the
default.  A file of version 1 (no version key) is migrated on the first read and rewritten
(``migrate_v1``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VERSION = 2
VERSION_KEY = "preferences_version"
# What happens to a raw local recording once its submission is approved: ask each time
# (default), delete it, or keep it.  The store never holds anything raw in any case.
RETENTION_CHOICES = ("ask", "delete", "keep")
# Words earlier versions of the desktop app stored for the same choices; read as these and
# rewritten on the next read of the preferences.
RETENTION_ALIASES = {"yes": "delete", "no": "keep"}


def retention_word(word: object) -> str | None:
    """A stored retention word in the one vocabulary (``ask``, ``delete``, ``keep``), the
    desktop's old ``yes``/``no`` read as ``delete``/``keep``; None if it is not one."""
    if not isinstance(word, str):
        return None
    word = word.strip().lower()
    word = RETENTION_ALIASES.get(word, word)
    return word if word in RETENTION_CHOICES else None


def folder_key(path: str | os.PathLike[str]) -> str:
    """A recording folder as a preference key: resolved (so a link or a relative path names
    the same recording)."""
    p = Path(path)
    try:
        return str(p.resolve())
    except OSError:
        return str(p.absolute())


@dataclass
class Preferences:
    raw_retention: str = "ask"
    retention: dict[str, str] = field(default_factory=dict)
    retention_confirm: list[str] = field(default_factory=list)
    submitted_recordings: dict[str, str] = field(default_factory=dict)
    recording_tasks: dict[str, int] = field(default_factory=dict)
    personal_deny_list: list[str] = field(default_factory=list)
    platform_notice_hidden: list[str] = field(default_factory=list)
    # Not preferences: what the file held that this version does not know (kept in the
    # file), and what was wrong in it (reported).
    unknown: dict[str, Any] = field(default_factory=dict, repr=False)
    problems: list[str] = field(default_factory=list, repr=False)

    @classmethod
    def keys(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls) if f.name not in ("unknown", "problems")]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Preferences:
        """Validate a version-2 document: every known key checked, the rest kept aside."""
        prefs = cls()
        bad: list[str] = []
        for key, value in data.items():
            if key == VERSION_KEY:
                continue
            if key not in cls.keys():
                prefs.unknown[key] = value
                continue
            clean = _CHECKS[key](value)
            if clean is None:
                bad.append(key)
            else:
                setattr(prefs, key, clean)
        if prefs.unknown:
            prefs.problems.append(
                "preferences.json has settings this version does not know: "
                + ", ".join(sorted(prefs.unknown)) + " (kept in the file, not used).")
        if bad:
            prefs.problems.append(
                "preferences.json has values of the wrong kind for: " + ", ".join(sorted(bad))
                + " (read as their defaults; saving a preference rewrites them).")
        return prefs

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.unknown)
        out.update({k: getattr(self, k) for k in self.keys()})
        out[VERSION_KEY] = VERSION
        return out

    # -- retention -------------------------------------------------------------------------
    def retention_for(self, recording: str | os.PathLike[str]) -> str:
        """The choice made for one recording, else the default."""
        return self.retention.get(folder_key(recording), self.raw_retention)

    def set_retention_for(self, recording: str | os.PathLike[str], choice: str) -> None:
        key = folder_key(recording)
        self.retention[key] = choice
        self.retention_confirm = [f for f in self.retention_confirm if f != key]

    def forget_recording(self, recording: str | os.PathLike[str]) -> None:
        key = folder_key(recording)
        self.retention.pop(key, None)
        self.retention_confirm = [f for f in self.retention_confirm if f != key]
        self.recording_tasks.pop(key, None)


def _choice(v: Any) -> str | None:
    return retention_word(v)


def _str_map(values: Any, check: Any = None, *, folders: bool = True) -> dict[str, Any] | None:
    if not isinstance(values, dict):
        return None
    out: dict[str, Any] = {}
    for k, v in values.items():
        c = check(v) if check is not None else (str(v) if isinstance(v, str) else None)
        if c is None:
            return None
        out[folder_key(k) if folders else str(k)] = c
    return out


def _strings(values: Any) -> list[str] | None:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        return None
    return list(values)


def _task_id(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


_CHECKS: dict[str, Any] = {
    "raw_retention": _choice,
    "retention": lambda v: _str_map(v, _choice),
    "retention_confirm": lambda v: [folder_key(f) for f in v] if _strings(v) is not None
    else None,
    "submitted_recordings": lambda v: _str_map(v, folders=False),
    "recording_tasks": lambda v: _str_map(v, _task_id),
    "personal_deny_list": _strings,
    "platform_notice_hidden": _strings,
}
assert set(_CHECKS) == set(Preferences.keys())


def migrate_v1(data: dict[str, Any], recordings: Iterable[Path]) -> dict[str, Any]:
    """Version 1 (no version key) to 2: retention choices in one vocabulary, keyed by
    resolved folder; the desktop's "asked once, kept" list becomes the choice ``keep``; a
    ``delete`` stored when nothing applied it (the command line's word; with a ``delete``
    default, every recording submitted from without a choice of its own) is to be
    confirmed first.  ``recordings``: the workspace's recording folders."""
    data = dict(data)
    per: dict[str, str] = {}
    confirm: set[str] = set()
    old = data.get("retention")
    for key, word in (old.items() if isinstance(old, dict) else ()):
        choice = retention_word(word)
        if choice is None:
            continue
        folder = folder_key(key)
        per[folder] = choice
        if word == "delete":  # the command line's word, which nothing applied
            confirm.add(folder)
    handled = data.pop("retention_handled", None)
    for key in handled if isinstance(handled, list) else ():
        per[folder_key(str(key))] = "keep"
        confirm.discard(folder_key(str(key)))
    default = retention_word(data.get("raw_retention"))
    if default is None:
        data.pop("raw_retention", None)
    else:
        data["raw_retention"] = default
        if default == "delete":  # nothing applied it either
            confirm.update(folder_key(f) for f in recordings
                           if folder_key(f) not in per and (f / "submissions.json").is_file())
    data["retention"] = per
    if confirm:
        data["retention_confirm"] = sorted(confirm)
    tasks = data.get("recording_tasks")
    if isinstance(tasks, dict):
        data["recording_tasks"] = {folder_key(k): v for k, v in tasks.items()}
    data[VERSION_KEY] = VERSION
    return data


def read_version(data: dict[str, Any]) -> int:
    with contextlib.suppress(TypeError, ValueError):
        return int(data.get(VERSION_KEY) or 1)
    return 1
