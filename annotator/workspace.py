"""The contributor's local workspace: where recordings and settings live.

Resolution order: an explicit path (``--workspace``), then ``$ANNOTATOR_HOME``, then the
platform's user data folder.  The workspace and everything in it are readable by the
contributor's own account only (mode 0700 folders, 0600 files).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from annotator.errors import (
    AcknowledgementRequired,
    AlreadyRecording,
    AnnotatorError,
    OutputFolderError,
)
from annotator.fsutil import create_once, write_json_atomic
from annotator.preferences import (
    RETENTION_CHOICES,
    VERSION,
    Preferences,
    folder_key,
    migrate_v1,
    read_version,
)
from annotator.settings import current as settings

ACK_FILE = "acknowledgement.json"
PREFS_FILE = "preferences.json"
PREFS_LOCK = ".preferences.lock"
PREFS_VERSION = VERSION
ACK_VERSION = 1
KEY_FILE = "submission.key"  # the workspace's HMAC key for keyed hashes of redacted strings
KEY_BYTES = 32

# What a recording captures, shown to the contributor before the first recording.
CAPTURE_DISCLOSURE = (
    "While you record, annotator captures:\n"
    "  - the screen (or the monitor or region you choose), as video;\n"
    "  - mouse movements, clicks and scrolling;\n"
    "  - every key you press, including the characters typed;\n"
    "  - the title and application of the window that has focus.\n"
    # One line: a window or a terminal wraps it to its own width (broken at 88 characters,
    # the recorder's dialog left "deny-list" alone on a line).
    "Nothing is captured while recording is paused or stopped, windows on your deny-list "
    "are blacked out, and nothing leaves this computer until you review, redact and "
    "consent to submit a recording."
)


def default_workspace_path() -> Path:
    home = settings().home
    if home is not None:
        return home
    return Path(platformdirs.user_data_dir("annotator", appauthor=False))


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) with mode 0700, or explain why it cannot be used."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path, 0o700)
    except PermissionError as exc:
        raise OutputFolderError(
            f"Cannot create or use the folder {path}: permission denied.",
            "Choose a folder your account can write to.",
        ) from exc
    except OSError as exc:
        raise OutputFolderError(
            f"Cannot create or use the folder {path}: {exc.strerror or exc}.",
            "Choose a folder on a writable disk.",
        ) from exc
    check_writable(path)
    return path


def check_writable(path: Path) -> None:
    """Prove that ``path`` accepts a new file (permissions alone lie when running as root)."""
    probe = path / f".write-test-{os.getpid()}"
    try:
        with open(probe, "wb") as fh:
            fh.write(b"x")
            fh.flush()
            os.fsync(fh.fileno())
        probe.unlink()
    except OSError as exc:
        try:
            probe.unlink()
        except OSError:
            pass
        raise OutputFolderError(
            f"The folder {path} is not writable ({exc.strerror or exc}).",
            "Choose another folder with --out, or fix its permissions or free some space.",
        ) from exc


def _valid_retention(choice: str) -> str:
    word = choice.strip().lower() if isinstance(choice, str) else choice
    if word not in RETENTION_CHOICES:
        raise AnnotatorError(
            f"{choice!r} is not a retention choice.",
            f"Choose one of: {', '.join(RETENTION_CHOICES)}.",
        )
    return word


@dataclass
class Workspace:
    root: Path

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None) -> Workspace:
        root = Path(path).expanduser() if path else default_workspace_path()
        ensure_private_dir(root)
        ws = cls(root.resolve())
        ensure_private_dir(ws.recordings_dir)
        return ws

    @classmethod
    def of_recording(cls, folder: str | os.PathLike[str]) -> Workspace:
        """The workspace a recording belongs to: the one whose recordings folder holds it,
        else the default workspace (a recording kept elsewhere)."""
        folder = Path(folder).resolve()
        if folder.parent.name == "recordings":
            return cls.open(folder.parent.parent)
        return cls.open(None)

    @property
    def recordings_dir(self) -> Path:
        return self.root / "recordings"

    @property
    def packages_dir(self) -> Path:
        """Where submission packages are prepared (rendered output only, never raw)."""
        return self.root / "packages"

    def new_recording_dir(self, when: _dt.datetime | None = None) -> Path:
        when = when or _dt.datetime.now()
        base = when.strftime("rec-%Y%m%d-%H%M%S")
        candidate = self.recordings_dir / base
        n = 2
        while candidate.exists():
            candidate = self.recordings_dir / f"{base}-{n}"
            n += 1
        return candidate

    def recordings(self) -> list[Path]:
        if not self.recordings_dir.is_dir():
            return []
        return sorted(
            (p for p in self.recordings_dir.iterdir() if (p / "manifest.json").is_file()),
            reverse=True,
        )

    # -- first-run acknowledgement -------------------------------------------------
    def acknowledgement(self) -> dict[str, Any] | None:
        path = self.root / ACK_FILE
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("version") != ACK_VERSION:
            return None
        return data

    def acknowledge(self, method: str) -> dict[str, Any]:
        data = {
            "version": ACK_VERSION,
            "acknowledged_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "method": method,
            "disclosure": CAPTURE_DISCLOSURE,
        }
        write_json_atomic(self.root / ACK_FILE, data)
        return data

    def require_acknowledgement(self, *, yes: bool, method: str = "cli --yes"
                                ) -> dict[str, Any]:
        ack = self.acknowledgement()
        if ack is not None:
            return ack
        if yes:
            return self.acknowledge(method)
        raise AcknowledgementRequired(
            "Recording has not been acknowledged on this workspace yet.\n\n" + CAPTURE_DISCLOSURE,
            "Run again with --yes to acknowledge this, or start the recorder from the app.",
        )

    # -- preferences ------------------------------------------------------------------
    @property
    def preferences_path(self) -> Path:
        return self.root / PREFS_FILE

    def preferences(self) -> Preferences:
        """The workspace's preferences (``annotator.preferences``); a file written by an
        earlier version is migrated and rewritten on the way, problems are in
        ``.problems``."""
        try:
            data = json.loads(self.preferences_path.read_text("utf-8"))
        except FileNotFoundError:
            return Preferences()
        except (OSError, ValueError) as exc:
            prefs = Preferences()
            prefs.problems.append(f"preferences.json cannot be read ({exc}): the defaults "
                                  "are used, and saving a preference replaces it.")
            return prefs
        if not isinstance(data, dict):
            prefs = Preferences()
            prefs.problems.append("preferences.json does not hold settings: the defaults are "
                                  "used, and saving a preference replaces it.")
            return prefs
        if read_version(data) < PREFS_VERSION:
            data = migrate_v1(data, self.recordings())
            with contextlib.suppress(OSError):  # a read-only workspace still reads
                write_json_atomic(self.preferences_path, data)
        return Preferences.from_json(data)

    @contextlib.contextmanager
    def edit_preferences(self) -> Iterator[Preferences]:
        """Change the preferences: read, changed in the block, written back atomically, with
        the workspace's preference lock held so that the app and a command never lose each
        other's change."""
        fd = os.open(self.root / PREFS_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            prefs = self.preferences()
            yield prefs
            write_json_atomic(self.preferences_path, prefs.to_json())
        finally:
            os.close(fd)  # drops the lock

    def set_preference(self, key: str, value: object) -> None:
        """Set one preference (a key of ``Preferences``), checked like a value read."""
        if key not in Preferences.keys():
            raise AnnotatorError(f"{key!r} is not a preference.",
                                 f"The preferences are: {', '.join(Preferences.keys())}.")
        checked = Preferences.from_json({key: value})
        if checked.problems:
            raise AnnotatorError(f"{value!r} is not a valid value of the preference {key}.")
        with self.edit_preferences() as prefs:
            setattr(prefs, key, getattr(checked, key))

    def retention(self) -> str:
        """``ask`` (default), ``delete`` or ``keep``: what to do with a raw recording once
        its submission is approved."""
        return self.preferences().raw_retention

    def set_retention(self, choice: str) -> None:
        choice = _valid_retention(choice)
        with self.edit_preferences() as prefs:
            prefs.raw_retention = choice

    def retention_for(self, recording: str | os.PathLike[str]) -> str:
        """The choice made for one recording (when it was submitted), else the workspace's
        default (``retention()``)."""
        return self.preferences().retention_for(recording)

    def set_retention_for(self, recording: str | os.PathLike[str], choice: str) -> None:
        """Record the choice for one recording (replacing any earlier one, and any pending
        confirmation of it)."""
        choice = _valid_retention(choice)
        with self.edit_preferences() as prefs:
            prefs.set_retention_for(recording, choice)

    def retention_needs_confirmation(self, recording: str | os.PathLike[str]) -> bool:
        """True if this recording's ``delete`` was chosen when nothing applied it: it is
        offered for deletion instead of deleted."""
        return folder_key(recording) in self.preferences().retention_confirm

    def forget_retention(self, recording: str | os.PathLike[str]) -> None:
        """Drop what is kept about a recording that no longer exists."""
        with self.edit_preferences() as prefs:
            prefs.forget_recording(recording)

    def task_for(self, recording: str | os.PathLike[str]) -> int | None:
        """The published task the recording was made for, if one was picked."""
        return self.preferences().recording_tasks.get(folder_key(recording))

    def set_task_for(self, recording: str | os.PathLike[str], task_id: int) -> None:
        with self.edit_preferences() as prefs:
            prefs.recording_tasks[folder_key(recording)] = int(task_id)

    # -- the keyed-hash key -------------------------------------------------------------
    @property
    def key_path(self) -> Path:
        return self.root / KEY_FILE

    def submission_key(self) -> bytes:
        """The workspace's secret key for keyed hashes (HMAC-SHA256) of redacted strings:
        32 random bytes made on first use, mode 0600, never leaving this workspace.

        Created with ``create_once``: two processes racing to create it both end up with the
        one that won, and a crash never leaves a short key.
        """
        path = self.key_path
        key = self._read_key(path)
        if key is not None:
            return key
        create_once(path, secrets.token_bytes(KEY_BYTES))  # or another process made it
        key = self._read_key(path)
        if key is None:
            raise AnnotatorError(f"The workspace key {path} could not be created.",
                                 "Check that the workspace folder is writable.")
        return key

    @staticmethod
    def _read_key(path: Path) -> bytes | None:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise AnnotatorError(f"The workspace key {path} cannot be read: "
                                 f"{exc.strerror or exc}.",
                                 "Fix the file's permissions (it should be yours, mode 0600).") \
                from exc
        if len(data) != KEY_BYTES:
            raise AnnotatorError(
                f"The workspace key {path} is damaged ({len(data)} bytes, not {KEY_BYTES}).",
                "Restore it from a backup.  Deleting it makes a new key: keyed hashes in "
                "earlier submissions can then no longer be matched.")
        return data

    def personal_deny_list(self) -> list[str]:
        """The contributor's own identifiers (name, e-mail, address...), looked for in every
        recording; set once in the preferences, kept only in the workspace."""
        return [x for x in self.preferences().personal_deny_list if x.strip()]

    # -- one recorder at a time ----------------------------------------------------
    def lock_recorder(self) -> RecorderLock:
        return RecorderLock(self.root / "recorder.lock")


class RecorderLock:
    """An advisory lock held while a recorder runs; released by the OS if the process dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = ""
            try:
                other = os.read(fd, 200).decode("utf-8", "replace").strip()
            except OSError:
                pass
            os.close(fd)
            raise AlreadyRecording(
                "Another recording is already running on this workspace"
                + (f" ({other})." if other else "."),
                "Stop the other recording first (its control window, or Ctrl+C in its terminal).",
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RecorderLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
