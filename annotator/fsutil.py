"""Writing files and folders so that readers see the old version or the new one, never half
of one: every writer of annotator goes through here.

A file is written to a hidden temporary sibling (``.<name>.partial-<token><suffix>``, in the
same folder so the final rename stays on one file system), then renamed over the target.
If anything fails before the rename (a full disk, a read-only folder, an exception in the
writer) the temporary file is removed and the target is untouched.

``durable=True`` (the default) makes the new content survive a power cut once the call
returns: the file is fsynced before the rename and its folder after.  Caches that can be made
again pass ``durable=False`` and skip both.  New files get ``mode`` (0600 by default: only
the contributor's account reads what annotator writes).

This module imports nothing else of annotator: it is the bottom of the house.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

PRIVATE = 0o600
TEMP_MARK = ".partial-"


def temp_sibling(path: str | os.PathLike[str], *, suffix: str | None = None) -> Path:
    """A fresh name for a temporary sibling of ``path`` (unique per call, so threads and
    processes writing the same target never share one).  It keeps the target's suffix
    (``suffix`` to choose another), for writers that pick a format from the name."""
    p = Path(path)
    keep = p.suffix if suffix is None else suffix
    return p.with_name(f".{p.name}{TEMP_MARK}{secrets.token_hex(6)}{keep}")


def leftover_temps(path: str | os.PathLike[str]) -> list[Path]:
    """Temporary siblings of ``path`` left by writers that were killed mid-write."""
    p = Path(path)
    return sorted(p.parent.glob(f".{p.name}{TEMP_MARK}*"))


def fsync_dir(folder: str | os.PathLike[str]) -> None:
    """Make a rename in ``folder`` durable (best effort: some file systems refuse)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def reserve_temp(path: str | os.PathLike[str], *, mode: int = PRIVATE,
                 suffix: str | None = None) -> Path:
    """Create an empty temporary sibling of ``path`` (``mode``) to write the new content
    into; ``commit_temp`` puts it in place.  For writers whose file outlives one block
    (``atomic_path`` is the usual way)."""
    tmp = temp_sibling(path, suffix=suffix)
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode))
    return tmp


def commit_temp(tmp: str | os.PathLike[str], path: str | os.PathLike[str], *,
                durable: bool = True) -> None:
    """Rename the finished temporary file over ``path`` (synced first when ``durable``)."""
    if durable:
        _fsync_file(Path(tmp))
    os.replace(tmp, path)
    if durable:
        fsync_dir(Path(path).parent)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, durable: bool = True, mode: int = PRIVATE,
                suffix: str | None = None,
                before_replace: Callable[[], None] | None = None) -> Iterator[Path]:
    """A temporary path to write the new ``path`` into (for writers that want a file name:
    a video muxer, an image encoder).  The file is created empty with ``mode``; on a clean
    exit it replaces ``path`` (``before_replace`` runs just before, e.g. to keep a backup of
    the old file); on an exception it is removed and ``path`` is untouched."""
    target = Path(path)
    tmp = reserve_temp(target, mode=mode, suffix=suffix)
    try:
        yield tmp
        if durable:
            _fsync_file(tmp)
        if before_replace is not None:
            before_replace()
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if durable:
        fsync_dir(target.parent)


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str], *, durable: bool = True, mode: int = PRIVATE,
                text: bool = False, encoding: str = "utf-8",
                before_replace: Callable[[], None] | None = None) -> Iterator[IO[Any]]:
    """An open file (binary, or ``text``) whose content replaces ``path`` when the block
    ends without an exception; see ``atomic_path``."""
    with atomic_path(path, durable=durable, mode=mode, before_replace=before_replace) as tmp:
        fh: IO[Any] = open(tmp, "w", encoding=encoding) if text else open(tmp, "wb")  # noqa: SIM115
        with fh:  # closed (and flushed) before atomic_path syncs and renames it
            yield fh


def atomic_write(path: str | os.PathLike[str], data: bytes | str, *, durable: bool = True,
                 mode: int = PRIVATE, encoding: str = "utf-8",
                 before_replace: Callable[[], None] | None = None) -> None:
    """Replace ``path`` with ``data`` (bytes, or text in ``encoding``)."""
    payload = data.encode(encoding) if isinstance(data, str) else data
    with atomic_file(path, durable=durable, mode=mode,
                     before_replace=before_replace) as fh:
        fh.write(payload)


def json_bytes(data: Any, *, default: Callable[[Any], Any] | None = None) -> bytes:
    """The one JSON layout of annotator's own files: indented, keys sorted, UTF-8, a final
    newline (so files diff well and hashes of them are stable)."""
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=default)
            + "\n").encode("utf-8")


def write_json_atomic(path: str | os.PathLike[str], data: Any, *, durable: bool = True,
                      mode: int = PRIVATE, default: Callable[[Any], Any] | None = None
                      ) -> bytes:
    """Replace ``path`` with ``data`` as JSON (``json_bytes``); returns the bytes written."""
    payload = json_bytes(data, default=default)
    atomic_write(path, payload, durable=durable, mode=mode)
    return payload


def create_once(path: str | os.PathLike[str], data: bytes, *, mode: int = PRIVATE) -> bool:
    """Create ``path`` with ``data`` unless it exists: True if this call made it.  Two
    processes racing both end up reading the one that won, and a crash never leaves a short
    file (the content is complete and synced before it gets its name, by a hard link)."""
    target = Path(path)
    tmp = temp_sibling(target)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, target)
        except FileExistsError:
            return False
        fsync_dir(target.parent)
        return True
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def publish_folder(tmp: str | os.PathLike[str], out: str | os.PathLike[str], *,
                   durable: bool = True) -> None:
    """Make the finished folder ``tmp`` appear as ``out`` in one rename.  An existing ``out``
    is set aside first and deleted only once the new one is in place (put back if the rename
    fails).  ``durable``: every folder of ``tmp`` is fsynced first, and the parent after."""
    src, dest = Path(tmp), Path(out)
    if durable:
        for d in [p for p in src.rglob("*") if p.is_dir()] + [src]:
            fsync_dir(d)
    old: Path | None = None
    if dest.exists() or dest.is_symlink():
        old = dest.with_name(f".{dest.name}.old-{secrets.token_hex(6)}")
        os.rename(dest, old)
    try:
        os.rename(src, dest)
    except BaseException:
        if old is not None:
            os.rename(old, dest)
        raise
    if durable:
        fsync_dir(dest.parent)
    if old is not None:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                old.unlink()


def remove_folder(folder: str | os.PathLike[str]) -> None:
    """Delete ``folder`` so that it is gone under its name in one rename: a crash midway
    leaves a hidden sibling (``leftover_temps``), never a half-deleted folder that still
    looks whole."""
    src = Path(folder)
    aside = temp_sibling(src, suffix="")
    os.rename(src, aside)
    fsync_dir(src.parent)
    shutil.rmtree(aside)
