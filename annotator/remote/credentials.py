"""Where the desktop app keeps its access token: the OS keyring (the ``keyring`` package:
Secret Service, macOS Keychain, Windows Credential Locker).  Where no keyring exists, a file
readable only by the user (0600, in a 0700 folder), and the app says so (``warning``).
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotator.fsutil import write_json_atomic

SERVICE = "annotator"


@dataclass(frozen=True)
class Saved:
    token: str
    where: str  # "keyring (<backend>)" or the file's path
    warning: str | None = None


def _usable_keyring() -> Any:
    try:
        import keyring
    except ImportError:
        return None
    kr = keyring.get_keyring()
    module = type(kr).__module__
    if module.startswith(("keyring.backends.fail", "keyring.backends.null")):
        return None
    return kr


class TokenStore:
    """Tokens per server URL and user name."""

    def __init__(self, fallback_file: str | os.PathLike[str]) -> None:
        self.fallback = Path(fallback_file)

    @staticmethod
    def _key(server: str, name: str) -> str:
        return f"{server.rstrip('/')}|{name}"

    def save(self, server: str, name: str, token: str) -> Saved:
        kr = _usable_keyring()
        if kr is not None:
            try:
                kr.set_password(SERVICE, self._key(server, name), token)
                return Saved(token, f"keyring ({type(kr).__name__})")
            except Exception as exc:  # noqa: BLE001 - locked or broken keyring: fall back
                reason = f"the keyring refused it ({exc})"
        else:
            reason = "no keyring is available on this computer"
        data = self._read_file()
        data[self._key(server, name)] = token
        self._write_file(data)
        return Saved(token, str(self.fallback),
                     f"The access token is stored in {self.fallback}, readable only by you, "
                     f"because {reason}.")

    def load(self, server: str, name: str) -> str | None:
        kr = _usable_keyring()
        if kr is not None:
            with contextlib.suppress(Exception):
                token = kr.get_password(SERVICE, self._key(server, name))
                if token:
                    return str(token)
        return self._read_file().get(self._key(server, name))

    def delete(self, server: str, name: str) -> None:
        kr = _usable_keyring()
        if kr is not None:
            with contextlib.suppress(Exception):
                kr.delete_password(SERVICE, self._key(server, name))
        data = self._read_file()
        if data.pop(self._key(server, name), None) is not None:
            self._write_file(data)

    def _read_file(self) -> dict[str, str]:
        try:
            data = json.loads(self.fallback.read_text())
        except (FileNotFoundError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _write_file(self, data: dict[str, str]) -> None:
        self.fallback.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_json_atomic(self.fallback, data)
