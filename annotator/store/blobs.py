"""Content-addressed blob storage (SHA-256), with a staging area for unverified uploads.

A blob store only keeps bytes under their SHA-256; which submission uses which blob, and how
many times (the reference counts), is kept in the database (``blobs`` and
``submission_blobs``, see ``annotator.store.refs``), so that the bytes and the counts change
in one transaction.

Every write goes through the staging area:

1. ``stage(source, expected_sha256=..., expected_size=...)`` copies the bytes into staging
   while hashing them, and refuses (and discards) them if they do not match what was declared;
2. ``promote(staged)`` moves the verified bytes to their content address (a no-op if that
   blob is already there);
3. ``discard(staged)`` drops an upload that will not be used.

``LocalBlobStore`` (the default, inside the workspace) keeps ``sha256/ab/<hash>`` files and a
``staging/`` folder.  An S3-compatible implementation (the team server, server.md) maps the
same calls onto an ``incoming/`` prefix (``stage``: PutObject, or a presigned multipart
upload that a worker re-hashes; ``promote``: CopyObject to ``blobs/<hash>`` then DeleteObject;
``exists``: HeadObject; ``open``: GetObject; ``delete``: DeleteObject), so reviewers and
exports only ever read verified blobs.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import time
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from annotator.store.errors import BlobError, BlobHashMismatch, BlobMissing

CHUNK = 1 << 20
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def check_sha256(value: str) -> str:
    if not isinstance(value, str) or not _SHA256.match(value):
        raise BlobError(
            f"{value!r} is not a SHA-256 (64 lowercase hexadecimal characters).",
            "Give the blob's full SHA-256 in lowercase hexadecimal.",
        )
    return value


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike[str]) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


@dataclass(frozen=True)
class StagedBlob:
    """Bytes in the staging area, with the SHA-256 and size measured while they were stored."""

    key: str
    sha256: str
    size: int


@runtime_checkable
class BlobStore(Protocol):
    """What the store needs from a place that keeps bytes by their SHA-256."""

    def stage(self, source: BinaryIO | bytes, *, expected_sha256: str | None = None,
              expected_size: int | None = None) -> StagedBlob:
        """Copy ``source`` into staging, hashing it; raise ``BlobHashMismatch`` (leaving
        nothing behind) if it does not have the declared hash or size."""
        ...

    def promote(self, staged: StagedBlob) -> bool:
        """Give staged bytes their content address; False if the blob was already there."""
        ...

    def discard(self, staged: StagedBlob) -> None:
        """Drop staged bytes (nothing happens if they were promoted or are gone)."""
        ...

    def put(self, data: BinaryIO | bytes, *, expected_sha256: str | None = None) -> str:
        """Stage, verify and promote in one call; returns the SHA-256. (Written once here,
        over the primitives, for every store that subclasses the protocol.)"""
        staged = self.stage(data, expected_sha256=expected_sha256)
        try:
            self.promote(staged)
        finally:
            self.discard(staged)
        return staged.sha256

    def get(self, sha256: str) -> bytes:
        with self.open(sha256) as fh:
            return fh.read()

    def open(self, sha256: str) -> BinaryIO:
        """A binary file object to read the blob; raises ``BlobMissing``."""
        ...

    def exists(self, sha256: str) -> bool:
        ...

    def size(self, sha256: str) -> int:
        ...

    def delete(self, sha256: str) -> bool:
        """Remove a blob; False if it was not there."""
        ...

    def iter_blobs(self) -> Iterator[str]:
        """Every SHA-256 held (for consistency checks and garbage collection)."""
        ...

    def purge_staging(self, *, older_than_s: float) -> int:
        """Remove abandoned staged uploads older than this; returns how many."""
        ...


class LocalBlobStore(BlobStore):
    """Blobs as files in a folder: ``sha256/<2 hex>/<hash>`` plus ``staging/``.

    Files are mode 0600 and folders 0700 (the workspace is for the contributor's eyes only).
    Staged bytes are fsynced before they are promoted (``durable=True``), and a promotion is a
    rename within one file system, so a crash leaves either no blob or a whole one.
    """

    def __init__(self, root: str | os.PathLike[str], *, durable: bool = True) -> None:
        self.root = Path(root)
        self.durable = durable
        self._objects = self.root / "sha256"
        self._staging = self.root / "staging"
        for d in (self.root, self._objects, self._staging):
            try:
                d.mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError as exc:
                raise BlobError(
                    f"Cannot create the blob folder {d}: {exc.strerror or exc}.",
                    "Check that the workspace is on a writable disk with free space.",
                ) from exc

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    # -- paths ---------------------------------------------------------------------------
    def path(self, sha256: str) -> Path:
        check_sha256(sha256)
        return self._objects / sha256[:2] / sha256

    def _staged_path(self, staged: StagedBlob) -> Path:
        if not re.fullmatch(r"[0-9a-f]{32}\.part", staged.key):
            raise BlobError(f"{staged.key!r} is not a staging key of this store.")
        return self._staging / staged.key

    # -- staging ---------------------------------------------------------------------------
    def stage(self, source: BinaryIO | bytes, *, expected_sha256: str | None = None,
              expected_size: int | None = None) -> StagedBlob:
        if expected_sha256 is not None:
            check_sha256(expected_sha256)
        if isinstance(source, bytes | bytearray | memoryview):
            source = io.BytesIO(source)
        key = f"{uuid.uuid4().hex}.part"
        path = self._staging / key
        h = hashlib.sha256()
        size = 0
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb", buffering=0) as out:
                while chunk := source.read(CHUNK):
                    h.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                    if expected_size is not None and size > expected_size:
                        break
                if self.durable:
                    os.fsync(out.fileno())
        except OSError as exc:
            _unlink(path)
            raise BlobError(
                f"Cannot write to the blob store {self.root}: {exc.strerror or exc}.",
                "Free some disk space or check the workspace's permissions, then try again.",
            ) from exc
        except BaseException:
            _unlink(path)
            raise
        digest = h.hexdigest()
        problem = None
        if expected_size is not None and size != expected_size:
            got = f"more than {expected_size}" if size > expected_size else str(size)
            problem = f"{got} bytes instead of {expected_size}"
        elif expected_sha256 is not None and digest != expected_sha256:
            problem = f"SHA-256 {digest} instead of {expected_sha256}"
        if problem:
            _unlink(path)
            raise BlobHashMismatch(
                f"The bytes received do not match what was declared: {problem}.",
                "The file changed after its hash was recorded: render or export it again.",
            )
        return StagedBlob(key=key, sha256=digest, size=size)

    def promote(self, staged: StagedBlob) -> bool:
        src = self._staged_path(staged)
        dst = self.path(staged.sha256)
        if dst.exists():
            _unlink(src)
            return False
        try:
            dst.parent.mkdir(exist_ok=True, mode=0o700)
            os.replace(src, dst)
        except FileNotFoundError as exc:
            raise BlobMissing(
                f"The staged upload {staged.key} is gone.", "Submit the package again."
            ) from exc
        except OSError as exc:
            raise BlobError(
                f"Cannot store blob {staged.sha256} in {self.root}: {exc.strerror or exc}.",
                "Free some disk space or check the workspace's permissions, then try again.",
            ) from exc
        return True

    def sync(self, sha256s: Iterable[str] | None = None) -> None:
        """Make promotions durable: fsync the folders that hold these blobs (all folders if
        none are named), once after many promotions, several at a time."""
        if not self.durable:
            return
        if sha256s is None:
            dirs = [self._objects, *self._objects.iterdir()]
        else:
            dirs = [self._objects, *sorted({self.path(h).parent for h in sha256s})]

        def fsync_dir(d: Path) -> None:
            with contextlib.suppress(OSError):
                fd = os.open(d, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(fsync_dir, dirs))

    def discard(self, staged: StagedBlob) -> None:
        _unlink(self._staged_path(staged))

    def purge_staging(self, *, older_than_s: float) -> int:
        cutoff = time.time() - older_than_s
        n = 0
        for p in self._staging.glob("*.part"):
            with contextlib.suppress(OSError):
                if p.stat().st_mtime < cutoff:
                    p.unlink()
                    n += 1
        return n

    # -- blobs ---------------------------------------------------------------------------
    def open(self, sha256: str) -> BinaryIO:
        try:
            return open(self.path(sha256), "rb")  # noqa: SIM115 - the caller closes it
        except FileNotFoundError:
            raise BlobMissing(
                f"Blob {sha256} is not in the blob store {self.root}.",
                "It was withdrawn or deleted; run `annotator db check` to list damaged "
                "submissions.",
            ) from None

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def size(self, sha256: str) -> int:
        try:
            return self.path(sha256).stat().st_size
        except FileNotFoundError:
            raise BlobMissing(f"Blob {sha256} is not in the blob store {self.root}.") from None

    def delete(self, sha256: str) -> bool:
        try:
            self.path(sha256).unlink()
            return True
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise BlobError(
                f"Cannot delete blob {sha256} from {self.root}: {exc.strerror or exc}.",
                "Check the workspace's permissions, then withdraw again.",
            ) from exc

    def iter_blobs(self) -> Iterator[str]:
        for sub in sorted(self._objects.iterdir()):
            if sub.is_dir():
                for p in sorted(sub.iterdir()):
                    if _SHA256.match(p.name):
                        yield p.name


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
