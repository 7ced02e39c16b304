"""Secrets of a set-up on one machine (``annotator server-up``, the tests, the benchmark).

Every secret (database and Redis passwords, the S3 key pair, SeaweedFS's JWT signing keys and
admin password) is generated once, kept in ``secrets.json`` inside a folder only this user
can enter (0700), in a file only this user can read (0600), and read back on the next start:
a restarted set-up keeps its data and its credentials.  Files derived from the secrets
(Redis's and SeaweedFS's configuration, certificates, the environment file of store-level
commands) are written the same way.  Nothing here prints a secret.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
import threading
from collections.abc import Callable
from pathlib import Path

from annotator.errors import AnnotatorError
from annotator.fsutil import atomic_write

SECRETS_FILE = "secrets.json"


class SecretFileError(AnnotatorError):
    """A secrets file or folder is missing, unreadable, or readable by other users."""


def write_private(path: Path, data: bytes | str) -> Path:
    """Write ``data`` atomically into ``path`` with mode 0600 (readers see the old file or
    the new one, and nobody else can read either)."""
    atomic_write(path, data, mode=0o600)
    return Path(path)


def private_dir(path: Path) -> Path:
    """``path`` as a folder only this user can enter (created if missing)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def token() -> str:
    return secrets.token_urlsafe(32)


class SecretFiles:
    """Named secrets, generated on first use and kept in ``<folder>/secrets.json``."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = private_dir(Path(folder))
        self.path = self.folder / SECRETS_FILE
        self._values: dict[str, str] | None = None
        self._lock = threading.Lock()  # services of one set-up start side by side

    def _load(self) -> dict[str, str]:
        if self._values is None:
            if self.path.exists():
                mode = stat.S_IMODE(self.path.stat().st_mode)
                if mode & 0o077:
                    raise SecretFileError(
                        f"{self.path} can be read by other users (mode {mode:o}).",
                        f"Run: chmod 600 {self.path}")
                try:
                    data = json.loads(self.path.read_text())
                except (OSError, ValueError) as exc:
                    raise SecretFileError(f"{self.path} cannot be read: {exc}.",
                                          "Restore it from a backup, or start afresh "
                                          "(server-up --fresh deletes the trial).") from None
                if not isinstance(data, dict):
                    raise SecretFileError(f"{self.path} is not a JSON object.")
                self._values = {str(k): str(v) for k, v in data.items()}
            else:
                self._values = {}
        return self._values

    def get(self, name: str, make: Callable[[], str] = token) -> str:
        """The secret called ``name``, generated (and kept) the first time it is asked for."""
        with self._lock:
            values = self._load()
            if name not in values:
                values[name] = make()
                write_private(self.path, json.dumps(values, indent=1, sort_keys=True) + "\n")
            return values[name]

    def values(self) -> list[str]:
        """Every secret kept here (tests search logs and outputs for them)."""
        with self._lock:
            return list(self._load().values())

    def write(self, name: str, data: bytes | str) -> Path:
        """A file derived from the secrets (a configuration, a key), 0600 in the folder."""
        return write_private(self.folder / name, data)
