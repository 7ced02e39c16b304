"""Every environment variable annotator reads, read in one place.

``KEYS`` lists them with their defaults and what they do (docs/settings.md is this table, and
a test keeps the two the same).  The environment is read once, when a command starts
(``annotator.cli.main`` calls ``reload()``), into a frozen ``Settings``; code asks
``current()``.  Nothing else in annotator reads ``os.environ`` (a test walks the sources),
except to hand the environment on to child processes.

The team server's own configuration (``ANNOTATOR_S3_*``, ``ANNOTATOR_REDIS_URL``, limits,
rates...) is the server's settings object, ``annotator.server.config.ServerConfig``, read once
when a server process starts and listed in docs/server.md.

This module imports nothing else of annotator: any layer may use it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

# Set, not read: numpy and OpenCV each load their own OpenBLAS, which starts a worker per
# core that spins for about 0.08 CPU s as it loads (0.16 of the recorder's 0.55 CPU s of
# start-up on 2 cores); nothing in annotator uses BLAS.  Commands import this module first.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


@dataclass(frozen=True)
class Key:
    """One environment variable: its name, the ``Settings`` field it fills, its default in
    words, and what it does."""

    name: str
    attr: str
    default: str
    what: str
    secret: bool = False


KEYS: tuple[Key, ...] = (
    Key("ANNOTATOR_HOME", "home", "your user data folder (`~/.local/share/annotator`)",
        "The workspace: recordings, preferences, the local store and the team settings "
        "(`--workspace DIR` wins)."),
    Key("ANNOTATOR_DATABASE_URL", "database_url", "the workspace's SQLite store",
        "The store the store commands and the app work against (a PostgreSQL URL); with it "
        "set, a workspace signed in to a team server works against this database instead."),
    Key("ANNOTATOR_USER", "user", "none: `--user NAME`, or the team server's user",
        "Who the commands sign in as."),
    Key("ANNOTATOR_PASSPHRASE", "passphrase", "none: asked on the terminal",
        "The passphrase of `ANNOTATOR_USER` (for scripts; never stored).", secret=True),
    Key("ANNOTATOR_NEW_PASSPHRASE", "new_passphrase", "none: asked on the terminal",
        "The new passphrase of `annotator users passwd` (for scripts).", secret=True),
    Key("ANNOTATOR_REDACTION_KEY_FILE", "redaction_key_file",
        "none: `--redaction-key FILE`",
        "The contributor's workspace key, for the export's redacted-string check."),
    Key("ANNOTATOR_S3_ENDPOINT", "s3_endpoint", "none",
        "Set (with `ANNOTATOR_DATABASE_URL`) on a team server's host: the store commands "
        "then work on the server's database and object store (docs/server.md)."),
    Key("TESSDATA_PREFIX", "tessdata_prefix", "the distribution's tessdata folder",
        "Where Tesseract's language data is (the folder, or its parent)."),
    Key("DISPLAY", "display", "none",
        "The X11 display the recorder captures (X11 only)."),
    Key("WAYLAND_DISPLAY", "wayland_display", "none",
        "Set in a Wayland session: recording is refused with what to do."),
    Key("XDG_SESSION_TYPE", "session_type", "none",
        "`wayland` in a Wayland session (as above)."),
    Key("DBUS_SESSION_BUS_ADDRESS", "dbus_address", "none",
        "The session bus, through which the accessibility bus (AT-SPI) is found."),
    Key("ANNOTATOR_BENCH_TICK_TRACE", "bench_tick_trace", "none",
        "Benchmarks only (`benchmarks/record_overhead.py --trace`): a file where the "
        "recorder writes the timeline of its threads, to tell why a capture tick ran late."),
)


@dataclass(frozen=True)
class Settings:
    """The environment as annotator reads it (``None`` where a variable is unset or
    empty).  Secrets are left out of ``repr``."""

    home: Path | None = None
    database_url: str | None = None
    user: str | None = None
    passphrase: str | None = field(default=None, repr=False)
    new_passphrase: str | None = field(default=None, repr=False)
    redaction_key_file: Path | None = None
    s3_endpoint: str | None = None
    tessdata_prefix: str | None = None
    display: str | None = None
    wayland_display: str | None = None
    session_type: str | None = None
    dbus_address: str | None = None
    bench_tick_trace: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        values: dict[str, Any] = {}
        for key in KEYS:
            raw = env.get(key.name) or None
            if raw is not None and key.attr in _PATHS:
                values[key.attr] = Path(raw).expanduser()
            else:
                values[key.attr] = raw
        return cls(**values)

    def value(self, name: str) -> str | None:
        """A variable by its name, as text (for messages and prompts that name it)."""
        key = _BY_NAME.get(name)
        if key is None:
            raise KeyError(f"{name} is not one of annotator's settings (annotator.settings.KEYS)")
        v = getattr(self, key.attr)
        return None if v is None else str(v)

    @property
    def on_server_host(self) -> bool:
        """The environment of a team server's host (docs/server.md)."""
        return bool(self.s3_endpoint and self.database_url)


_PATHS = {"home", "redaction_key_file", "bench_tick_trace"}
_BY_NAME = {k.name: k for k in KEYS}
assert {k.attr for k in KEYS} == {f.name for f in fields(Settings)}

_current: Settings | None = None


def reload(env: Mapping[str, str] | None = None) -> Settings:
    """Read the environment (``os.environ`` unless given) into the settings in force."""
    global _current
    _current = Settings.from_env(os.environ if env is None else env)
    return _current


def current() -> Settings:
    """The settings in force: the environment as read when the command started."""
    return _current if _current is not None else reload()
