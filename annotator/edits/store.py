"""The edit file inside a recording bundle: ``edits.json`` (+ ``edits.json.bak``).

Saving is **synchronous**: the session saves after every command, undo, redo and
transaction, and returns only once the file is on disk (write a temporary file, fsync,
rename over ``edits.json``, fsync the folder).  A crash therefore loses nothing that was
already done; this is stronger than the "every edit made more than a second before"
requirement and needs no timer or flush-on-close to be right.

Before each save the current ``edits.json`` becomes ``edits.json.bak`` (a hard link, so no
extra data is written), so there is always a last good state one save behind.  A damaged
``edits.json`` is renamed ``edits.json.corrupt-<UTC time>`` and ``edits.json.bak`` opens,
with a message saying so.  A file of a newer schema version is refused and left alone.
"""

from __future__ import annotations

import datetime as _dt
import errno
import fcntl
import json
import os
from pathlib import Path
from typing import Any

from annotator import __version__
from annotator.edits.errors import (
    EditsFileError,
    EditsFormatError,
    EditsLockedError,
    EditsReadOnlyError,
    EditsSaveError,
    HistoryConflict,
    NewerEditsError,
)
from annotator.edits.history import UndoHistory
from annotator.edits.model import EditList, check_version
from annotator.fsutil import atomic_write, fsync_dir, leftover_temps, temp_sibling

EDITS_FILE = "edits.json"
BACKUP_FILE = EDITS_FILE + ".bak"
FILE_FORMAT = "annotator-edits"
_READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}


def _utc_stamp() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


class EditStore:
    """Reads and writes the edit file of one bundle folder."""

    def __init__(self, folder: str | os.PathLike[str], *, recording_id: str | None = None
                 ) -> None:
        self.folder = Path(folder)
        self.path = self.folder / EDITS_FILE
        self.backup_path = self.folder / BACKUP_FILE
        self.recording_id = recording_id
        self.read_only = False
        self.dirty = False  # the last save failed: memory holds edits the file lacks
        self._lock_fd: int | None = None

    # -- one editor per recording ----------------------------------------------------
    def lock(self) -> None:
        """Take an advisory lock on the bundle folder (released by the OS on a crash)."""
        if self._lock_fd is not None:
            return
        try:
            fd = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as exc:
            raise EditsFileError(f"Cannot open the recording folder {self.folder}: "
                                 f"{exc.strerror or exc}.") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise EditsLockedError(
                f"The recording {self.folder.name} is already open in another editor.",
                "Switch to that window, or close it and open the recording again.",
            ) from None
        except OSError:
            pass  # file systems without flock (some network mounts): run unlocked
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor drops the flock
            self._lock_fd = None

    # -- writability ----------------------------------------------------------------------
    def check_writable(self) -> str | None:
        """None if a file can be created in the folder, else why not (root ignores mode
        bits, so try it rather than trusting os.access)."""
        probe = self.folder / f".{EDITS_FILE}.probe-{os.getpid()}"
        try:
            os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        except OSError as exc:
            _unlink_quietly(probe)
            return exc.strerror or str(exc)
        _unlink_quietly(probe)
        return None

    # -- loading ----------------------------------------------------------------------------
    def _read(self, path: Path) -> tuple[EditList, Any, dict[str, Any]]:
        """Parse and validate one edit file.  Raises NewerEditsError, EditsFormatError."""
        try:
            raw = path.read_bytes()
        except PermissionError as exc:
            raise EditsFileError(
                f"The edit file {path} cannot be read: permission denied.",
                "Open the recording as the account that made it.",
            ) from exc
        try:
            doc = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise EditsFormatError(f"{path.name} is not valid JSON ({exc}).") from exc
        what = f"The edit file {path}"
        check_version(doc, what)
        if doc.get("format") != FILE_FORMAT or not isinstance(doc.get("edits"), dict):
            raise EditsFormatError(f"{path.name} is not an annotator edit file.")
        rid = doc.get("recording_id")
        if self.recording_id and rid and rid != self.recording_id:
            raise EditsFormatError(
                f"{path.name} belongs to another recording ({rid}), not {self.recording_id}."
            )
        check_version(doc["edits"], what)
        edits = EditList.from_json(doc["edits"])
        return edits, doc.get("history"), doc

    def _set_aside(self, path: Path, messages: list[str]) -> str | None:
        if self.read_only:
            messages.append(f"It could not be set aside because the folder is read-only; "
                            f"{path.name} was left as it is.")
            return None
        target = path.with_name(f"{path.name}.corrupt-{_utc_stamp()}")
        n = 2
        while target.exists():
            target = path.with_name(f"{path.name}.corrupt-{_utc_stamp()}-{n}")
            n += 1
        try:
            os.replace(path, target)
            fsync_dir(self.folder)
        except OSError as exc:
            messages.append(f"It could not be set aside ({exc.strerror or exc}).")
            return None
        return target.name

    def load(self, **history_kwargs: Any) -> tuple[UndoHistory, list[str]]:
        """Open the edits and their history; returns ``(history, messages)``.

        ``history.edits`` is the edit list.  ``messages`` are sentences to show the user
        (read-only folder, damaged file set aside, history dropped...).  Raises
        NewerEditsError for a newer file, EditsFileError for an unreadable one.
        """
        messages: list[str] = []
        why = self.check_writable()
        if why is not None:
            self.read_only = True
            messages.append(
                f"This recording's folder cannot be written ({why}), so it opens read-only: "
                "edits cannot be made or saved. Copy the recording to a writable disk, or "
                "fix the folder's permissions, and open it again."
            )
        else:
            self._remove_stale_temporaries()
        loaded: tuple[EditList, Any, dict[str, Any]] | None = None
        recovered = False
        if self.path.exists():
            try:
                loaded = self._read(self.path)
            except NewerEditsError:
                raise
            except EditsFormatError as exc:
                messages.append(f"The edit file {EDITS_FILE} was damaged ({exc.message})")
                aside = self._set_aside(self.path, messages)
                if aside:
                    messages.append(f"It was set aside as {aside}.")
                recovered = True
        elif self.backup_path.exists():
            messages.append(f"The edit file {EDITS_FILE} was missing.")
            recovered = True
        if loaded is None and recovered:
            loaded = self._load_backup(messages)
        if loaded is None:
            edits, history_data = EditList(), None
        else:
            edits, history_data, _ = loaded
        history = None
        if history_data is not None:
            try:
                history = UndoHistory.from_json(history_data, edits, **history_kwargs)
            except (EditsFormatError, HistoryConflict):
                messages.append("The undo history could not be restored and starts empty; "
                                "the edits themselves are intact.")
        if history is None:
            history = UndoHistory(edits, **history_kwargs)
        if recovered and not self.read_only:
            try:
                self.save(history)
            except EditsFileError as exc:
                messages.append(str(exc))
        return history, messages

    def _remove_stale_temporaries(self) -> None:
        # Left by a save cut short by a crash; with the lock held, no live writer owns them.
        if self._lock_fd is None:
            return
        for pattern in (f".{EDITS_FILE}.tmp-*", f".{BACKUP_FILE}.tmp-*",  # older versions'
                        f".{EDITS_FILE}.probe-*"):
            for path in self.folder.glob(pattern):
                _unlink_quietly(path)
        for path in leftover_temps(self.path) + leftover_temps(self.backup_path):
            _unlink_quietly(path)

    def _load_backup(self, messages: list[str]) -> tuple[EditList, Any, dict[str, Any]] | None:
        if not self.backup_path.exists():
            messages.append("There was no earlier good state, so the edits start empty.")
            return None
        try:
            loaded = self._read(self.backup_path)
        except NewerEditsError:
            raise
        except EditsFormatError as exc:
            messages.append(f"The backup {BACKUP_FILE} was damaged too ({exc.message})")
            aside = self._set_aside(self.backup_path, messages)
            if aside:
                messages.append(f"It was set aside as {aside}.")
            messages.append("The edits start empty.")
            return None
        saved = loaded[2].get("saved_utc") or "an unknown time"
        messages.append(f"The last good state, saved at {saved}, was opened instead; "
                        "the most recent edit may be missing.")
        return loaded

    # -- saving -----------------------------------------------------------------------------
    def serialize(self, history: UndoHistory) -> bytes:
        """The file's bytes: compact JSON, keys sorted, one history entry per line.

        Built by hand around the edit list so the history entries, which do not change
        once recorded, are serialized once, not on every save.
        """
        def dump(value: Any) -> str:
            return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

        saved = _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds")
        text = (
            f'{{"app_version":{dump(__version__)},\n"edits":{dump(history.edits.data)},\n'
            f'"format":{dump(FILE_FORMAT)},\n"history":{history.to_json_text()},\n'
            f'"recording_id":{dump(self.recording_id)},\n"saved_utc":{dump(saved)},\n'
            f'"schema_version":{dump(history.edits.schema_version)}}}\n'
        )
        return text.encode("utf-8")

    def save(self, history: UndoHistory) -> None:
        """Write the edits and history atomically and durably.

        Raises EditsReadOnlyError (store opened read-only) or EditsSaveError; after an
        error the file is unchanged (the old or the new state, never half of one), and
        ``dirty`` stays True until a save succeeds.
        """
        if self.read_only:
            raise EditsReadOnlyError(
                f"This recording's folder ({self.folder}) is read-only: edits cannot be saved.",
                "Copy the recording to a writable disk, or fix the folder's permissions.",
            )
        payload = self.serialize(history)
        self.dirty = True
        try:
            self._write(payload)
        except OSError as exc:
            raise self._save_error(exc) from exc
        self.dirty = False

    def _write(self, payload: bytes) -> None:
        atomic_write(self.path, payload,
                     before_replace=self._rotate_backup if self.path.exists() else None)

    def _rotate_backup(self) -> None:
        # edits.json is about to be replaced: keep it as the last good state (a hard link
        # needs no space; where there are none, FAT or some network file systems, a copy).
        bak_tmp = temp_sibling(self.backup_path)
        try:
            os.link(self.path, bak_tmp)
        except OSError as exc:
            if exc.errno in _READ_ONLY_ERRNOS | {errno.ENOSPC, errno.EDQUOT}:
                raise
            atomic_write(self.backup_path, self.path.read_bytes())
            return
        try:
            os.replace(bak_tmp, self.backup_path)
        except BaseException:
            _unlink_quietly(bak_tmp)
            raise

    def _save_error(self, exc: OSError) -> EditsSaveError:
        keep = "Your edits are kept in the editor and saved as soon as it works again."
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return EditsSaveError(f"The edits could not be saved: the disk holding "
                                  f"{self.folder} is full.", f"Free some space. {keep}")
        if exc.errno in _READ_ONLY_ERRNOS:
            return EditsSaveError(
                f"The edits could not be saved: the folder {self.folder} became read-only "
                f"({exc.strerror}).",
                f"Make the disk writable again (or fix its permissions). {keep}",
            )
        return EditsSaveError(f"The edits could not be saved to {self.path}: "
                              f"{exc.strerror or exc}.", keep)
