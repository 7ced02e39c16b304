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
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from annotator.errors import (
    AcknowledgementRequired,
    AlreadyRecording,
    AnnotatorError,
    OutputFolderError,
)
from annotator.fsutil import create_once, write_json_atomic

ACK_FILE = "acknowledgement.json"
PREFS_FILE = "preferences.json"
ACK_VERSION = 1
KEY_FILE = "submission.key"  # the workspace's HMAC key for keyed hashes of redacted strings
KEY_BYTES = 32
RETENTION_PREF = "raw_retention"
# What happens to a raw local recording once its submission is approved: ask each time
# (default), delete it, or keep it.  The store never holds anything raw in any case.
RETENTION_CHOICES = ("ask", "delete", "keep")
# Words earlier versions of the desktop app stored for the same choices; read as these and
# rewritten on the next read of the preferences.
RETENTION_ALIASES = {"yes": "delete", "no": "keep"}
RETENTION_BY_RECORDING = "retention"  # {recording folder: choice}, set at consent
# Recordings whose "delete" choice was stored before any face applied it (the command line
# stored it and nothing acted on it): offered for deletion, never deleted without asking.
RETENTION_CONFIRM = "retention_confirm"
PREFS_VERSION_KEY = "preferences_version"
PREFS_VERSION = 2

# What a recording captures, shown to the contributor before the first recording.
CAPTURE_DISCLOSURE = (
    "While you record, annotator captures:\n"
    "  - the screen (or the screen or region you choose), as video;\n"
    "  - mouse movements, clicks and scrolling;\n"
    "  - every key you press, including the characters typed;\n"
    "  - the title and application of the window that has focus.\n"
    "Nothing is captured while recording is paused or stopped, windows on your deny-list\n"
    "are blacked out, and nothing leaves this computer until you review, redact and\n"
    "consent to submit a recording."
)


def default_workspace_path() -> Path:
    env = os.environ.get("ANNOTATOR_HOME")
    if env:
        return Path(env).expanduser()
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


def retention_word(word: object) -> str | None:
    """A stored retention word in the one vocabulary (``ask``, ``delete``, ``keep``), the
    desktop's old ``yes``/``no`` read as ``delete``/``keep``; None if it is not one."""
    if not isinstance(word, str):
        return None
    word = word.strip().lower()
    word = RETENTION_ALIASES.get(word, word)
    return word if word in RETENTION_CHOICES else None


def _valid_retention(choice: str) -> str:
    word = choice.strip().lower() if isinstance(choice, str) else choice
    if word not in RETENTION_CHOICES:
        raise AnnotatorError(
            f"{choice!r} is not a retention choice.",
            f"Choose one of: {', '.join(RETENTION_CHOICES)}.",
        )
    return word


def _path_keys(path: str | os.PathLike[str]) -> list[str]:
    """A recording folder as preference keys: resolved first, then as given."""
    p = Path(path)
    try:
        resolved = str(p.resolve())
    except OSError:
        resolved = str(p.absolute())
    return list(dict.fromkeys([resolved, str(p)]))


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
    def acknowledgement(self) -> dict | None:
        path = self.root / ACK_FILE
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if data.get("version") != ACK_VERSION:
            return None
        return data

    def acknowledge(self, method: str) -> dict:
        data = {
            "version": ACK_VERSION,
            "acknowledged_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "method": method,
            "disclosure": CAPTURE_DISCLOSURE,
        }
        write_json_atomic(self.root / ACK_FILE, data)
        return data

    def require_acknowledgement(self, *, yes: bool, method: str = "cli --yes") -> dict:
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
    def preferences(self) -> dict:
        """The workspace's preferences; a file written by an earlier version is migrated
        (and rewritten) on the way."""
        path = self.root / PREFS_FILE
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        if data.get(PREFS_VERSION_KEY) != PREFS_VERSION:
            data = self._migrate_preferences(data)
            with contextlib.suppress(OSError):  # a read-only workspace still reads
                write_json_atomic(path, data)
        return data

    def set_preference(self, key: str, value: object) -> None:
        prefs = self.preferences()
        prefs[key] = value
        prefs[PREFS_VERSION_KEY] = PREFS_VERSION
        write_json_atomic(self.root / PREFS_FILE, prefs)

    def _migrate_preferences(self, data: dict) -> dict:
        """Version 1 (no version key) to 2: retention choices in one vocabulary, keyed by
        resolved folder; the desktop's "asked once, kept" list becomes the choice ``keep``;
        a ``delete`` stored before anything applied it is to be confirmed first."""
        data = dict(data)
        if data.get(PREFS_VERSION_KEY) is None:
            per: dict[str, str] = {}
            confirm: set[str] = set()
            old = data.get(RETENTION_BY_RECORDING)
            for key, word in (old.items() if isinstance(old, dict) else ()):
                choice = retention_word(word)
                if choice is None:
                    continue
                folder = _path_keys(key)[0]
                per[folder] = choice
                if word == "delete":  # the command line's word, which nothing applied
                    confirm.add(folder)
            handled = data.pop("retention_handled", None)
            for key in handled if isinstance(handled, list) else ():
                per[_path_keys(str(key))[0]] = "keep"
                confirm.discard(_path_keys(str(key))[0])
            default = retention_word(data.get(RETENTION_PREF))
            if default is None:
                data.pop(RETENTION_PREF, None)
            else:
                data[RETENTION_PREF] = default
                if data.get(RETENTION_PREF) == "delete":  # nothing applied it either
                    confirm.update(str(f) for f in self.recordings()
                                   if str(f) not in per and (f / "submissions.json").is_file())
            data[RETENTION_BY_RECORDING] = per
            if confirm:
                data[RETENTION_CONFIRM] = sorted(confirm)
        data[PREFS_VERSION_KEY] = PREFS_VERSION
        return data

    def retention(self) -> str:
        """``ask`` (default), ``delete`` or ``keep``: what to do with a raw recording once
        its submission is approved.  An unknown stored value reads as ``ask``."""
        return retention_word(self.preferences().get(RETENTION_PREF)) or "ask"

    def set_retention(self, choice: str) -> None:
        self.set_preference(RETENTION_PREF, _valid_retention(choice))

    def retention_for(self, recording: str | os.PathLike[str]) -> str:
        """The choice made for one recording (when it was submitted), else the workspace's
        default (``retention()``)."""
        per = self.preferences().get(RETENTION_BY_RECORDING)
        if isinstance(per, dict):
            want = _path_keys(recording)[0]
            for key, word in per.items():  # stored as given or resolved: compare resolved
                choice = retention_word(word)
                if choice is not None and _path_keys(key)[0] == want:
                    return choice
        return self.retention()

    def set_retention_for(self, recording: str | os.PathLike[str], choice: str) -> None:
        """Record the choice for one recording (replacing any earlier one, and any pending
        confirmation of it)."""
        choice = _valid_retention(choice)
        prefs = self.preferences()
        want = _path_keys(recording)[0]
        per = prefs.get(RETENTION_BY_RECORDING)
        per = {k: v for k, v in per.items() if _path_keys(k)[0] != want} \
            if isinstance(per, dict) else {}
        per[want] = choice
        prefs[RETENTION_BY_RECORDING] = per
        prefs[RETENTION_CONFIRM] = [f for f in prefs.get(RETENTION_CONFIRM) or []
                                    if _path_keys(f)[0] != want]
        prefs[PREFS_VERSION_KEY] = PREFS_VERSION
        write_json_atomic(self.root / PREFS_FILE, prefs)

    def retention_needs_confirmation(self, recording: str | os.PathLike[str]) -> bool:
        """True if this recording's ``delete`` was chosen when nothing applied it: it is
        offered for deletion instead of deleted."""
        want = _path_keys(recording)[0]
        return any(_path_keys(f)[0] == want
                   for f in self.preferences().get(RETENTION_CONFIRM) or [])

    def forget_retention(self, recording: str | os.PathLike[str]) -> None:
        """Drop what is kept about a recording that no longer exists."""
        prefs = self.preferences()
        want = _path_keys(recording)[0]
        per = prefs.get(RETENTION_BY_RECORDING)
        if isinstance(per, dict):
            prefs[RETENTION_BY_RECORDING] = {k: v for k, v in per.items()
                                             if _path_keys(k)[0] != want}
        prefs[RETENTION_CONFIRM] = [f for f in prefs.get(RETENTION_CONFIRM) or []
                                    if _path_keys(f)[0] != want]
        prefs[PREFS_VERSION_KEY] = PREFS_VERSION
        write_json_atomic(self.root / PREFS_FILE, prefs)

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
        items = self.preferences().get("personal_deny_list") or []
        return [str(x) for x in items if str(x).strip()]

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
