"""Sending a package to the team server, resumably.

1. ``Outbox.prepare(folder)`` checks the package locally (``read_package``: the same checks
   as the embedded store), writes it as one uncompressed tar archive (sorted, no owner or
   times) into the outbox, and an upload state file beside it (JSON, written atomically).
2. ``send(api, state)`` asks the server to start an upload (the server picks the object key
   and the part size), PUTs the missing parts straight to the object store through presigned
   URLs (several at a time), records each finished part in the state file, then asks the
   server to ``complete`` and waits for the verification.
3. After a crash or a lost connection, ``send`` again with the saved state: the server says
   which parts arrived (``GET .../parts``) and only the others are sent.  An expired part URL
   is simply asked for again; an expired token is refreshed through the API's
   ``on_unauthorized`` callback.

Nothing is deleted from the outbox until the server accepted the package.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import tarfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from annotator.fsutil import atomic_file, atomic_write
from annotator.remote.http import KEPT, Api, ServerUnavailable, error_class
from annotator.workflow.errors import NotFound, PackageError, WorkflowError
from annotator.workflow.package import CONSENT_NAME, MANIFEST_NAME, read_package

URL_BATCH = 200


@dataclass
class UploadState:
    server: str
    folder: str
    manifest_sha256: str
    archive: str
    size: int
    submit: bool = True
    previous_id: int | None = None
    upload_id: str | None = None
    part_size: int | None = None
    part_count: int | None = None
    parts_sent: list[int] = dataclasses.field(default_factory=list)
    state: str = "local"  # local, uploading, completed, accepted, rejected
    submission_id: int | None = None
    error: str | None = None
    created_at: str = ""


class Outbox:
    """Packages waiting to be sent (or being sent) to one server: ``<sha>.tar`` and
    ``<sha>.json`` per package, in a folder only the user can read."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def state_path(self, sha: str) -> Path:
        return self.root / f"{sha}.json"

    def save(self, st: UploadState) -> None:
        atomic_write(self.state_path(st.manifest_sha256),
                     json.dumps(dataclasses.asdict(st), indent=1).encode())

    def load(self, sha: str) -> UploadState | None:
        try:
            data = json.loads(self.state_path(sha).read_text())
        except FileNotFoundError:
            return None
        return UploadState(**data)

    def pending(self) -> list[UploadState]:
        out = []
        for p in sorted(self.root.glob("*.json")):
            st = self.load(p.stem)
            if st is not None and st.state not in ("accepted", "rejected"):
                out.append(st)
        return out

    def forget(self, st: UploadState) -> None:
        with contextlib.suppress(FileNotFoundError):
            Path(st.archive).unlink()
        with contextlib.suppress(FileNotFoundError):
            self.state_path(st.manifest_sha256).unlink()

    def prepare(self, folder: str | os.PathLike[str], *, server: str, submit: bool = True,
                previous_id: int | None = None) -> UploadState:
        """Check the package and write its archive (once: a prepared package is reused)."""
        pkg = read_package(folder)
        existing = self.load(pkg.manifest_sha256)
        if existing is not None and existing.state not in ("rejected",) \
                and Path(existing.archive).exists() and existing.server == server:
            return existing
        archive = self.root / f"{pkg.manifest_sha256}.tar"
        names = [MANIFEST_NAME, CONSENT_NAME] + sorted(f.path for f in pkg.files)
        with atomic_file(archive) as fh, \
                tarfile.open(fileobj=fh, mode="w", format=tarfile.PAX_FORMAT) as tf:
            for name in names:
                src = Path(folder) / name
                info = tarfile.TarInfo(name)
                info.size = src.stat().st_size
                info.mode = 0o644
                info.mtime = 0
                with open(src, "rb") as data:
                    tf.addfile(info, data)
        st = UploadState(server=server, folder=str(Path(folder).resolve()),
                         manifest_sha256=pkg.manifest_sha256, archive=str(archive),
                         size=archive.stat().st_size, submit=submit, previous_id=previous_id,
                         created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
        self.save(st)
        return st


def _start(api: Api, st: UploadState) -> None:
    r = api.request("POST", "/v1/uploads", json={
        "size": st.size, "manifest_sha256": st.manifest_sha256, "submit": st.submit,
        "previous_id": st.previous_id})
    st.upload_id, st.part_size, st.part_count = r["id"], r["part_size"], r["part_count"]
    st.parts_sent, st.state, st.error = [], "uploading", None


def send(api: Api, outbox: Outbox, st: UploadState, *, threads: int = 4,
         wait: bool = True, timeout: float = 600,
         on_part: Callable[[int], None] | None = None) -> UploadState:
    """Send (or resume sending) one prepared package; returns its state once the server
    accepted it (or, with ``wait=False``, once it was completed).  Raises
    ``ServerUnavailable`` with the state saved (call again later) and ``PackageError`` if the
    server refused the package."""
    if st.state in ("local",) or st.upload_id is None:
        _start(api, st)
        outbox.save(st)
    if st.state == "uploading":
        try:
            info = api.request("GET", f"/v1/uploads/{st.upload_id}")
        except NotFound:
            info = {"state": "aborted"}
        if info["state"] == "aborted":
            _start(api, st)  # the server gave up on it (reaper): start again
            outbox.save(st)
            info = {"state": "uploading"}
        if info["state"] == "uploading":
            _send_parts(api, outbox, st, threads=threads, on_part=on_part)
            try:
                api.request("POST", f"/v1/uploads/{st.upload_id}/complete")
            except Exception as exc:
                from annotator.workflow.errors import Conflict

                if not isinstance(exc, Conflict):  # a second complete: it was done already
                    raise
        st.state = "completed"
        outbox.save(st)
    if st.state == "completed" and wait:
        _wait(api, outbox, st, timeout)
    return st


def _send_parts(api: Api, outbox: Outbox, st: UploadState, *, threads: int,
                on_part: Callable[[int], None] | None) -> None:
    assert st.upload_id and st.part_size and st.part_count
    part_size = st.part_size
    arrived = api.request("GET", f"/v1/uploads/{st.upload_id}/parts")["parts"]
    ok = {p["number"] for p in arrived if p["size"] == _part_len(st, p["number"])}
    missing = [n for n in range(1, st.part_count + 1) if n not in ok]
    st.parts_sent = sorted(ok)
    outbox.save(st)
    urls: dict[int, str] = {}

    def fetch_urls(numbers: list[int]) -> None:
        for i in range(0, len(numbers), URL_BATCH):
            batch = numbers[i:i + URL_BATCH]
            r = api.request("POST", f"/v1/uploads/{st.upload_id}/part-urls",
                            json={"parts": batch})
            urls.update({int(k): v for k, v in r["urls"].items()})

    fetch_urls(missing)
    with httpx.Client(timeout=120) as http:

        def put(n: int) -> int:
            with open(st.archive, "rb") as fh:
                fh.seek((n - 1) * part_size)
                data = fh.read(_part_len(st, n))
            for attempt in range(4):
                try:
                    r = http.put(urls[n], content=data)
                except httpx.TransportError as exc:
                    if attempt == 3:
                        raise ServerUnavailable(
                            f"The object store cannot be reached while sending part {n}: "
                            f"{exc}.", KEPT) from exc
                    time.sleep(0.5 * 2 ** attempt)
                    continue
                if r.status_code == 200:
                    return n
                if r.status_code == 403 and attempt < 3:  # the URL expired: ask again
                    fetch_urls([n])
                    continue
                if r.status_code >= 500 and attempt < 3:
                    time.sleep(0.5 * 2 ** attempt)
                    continue
                raise ServerUnavailable(f"The object store refused part {n}: HTTP "
                                        f"{r.status_code} {r.text[:200]}.", KEPT)
            raise AssertionError("unreachable")

        pool = ThreadPoolExecutor(max_workers=max(1, threads))
        try:
            for n in pool.map(put, missing):
                st.parts_sent = sorted({*st.parts_sent, n})
                outbox.save(st)
                if on_part is not None:
                    on_part(n)
        finally:  # on an error, parts not started yet are not sent
            pool.shutdown(wait=True, cancel_futures=True)


def _part_len(st: UploadState, n: int) -> int:
    assert st.part_size and st.part_count
    return st.part_size if n < st.part_count else st.size - st.part_size * (st.part_count - 1)


def _refusal(info: dict[str, Any]) -> Exception:
    """Why the server refused a package, as the error the embedded services raise."""
    r = info.get("refusal") or {}
    kind = error_class(r.get("error") or "")
    if kind is not None and issubclass(kind, WorkflowError) and r.get("message"):
        return kind(r["message"], r.get("hint"))
    return PackageError(f"The server refused the package: {info.get('error')}",
                        "Fix the package (render it again and consent again), then submit it "
                        "again.")


def _wait(api: Api, outbox: Outbox, st: UploadState, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.2
    while True:
        info = api.request("GET", f"/v1/uploads/{st.upload_id}")
        if info["state"] == "accepted":
            st.state, st.submission_id = "accepted", info["submission_id"]
            outbox.save(st)
            with contextlib.suppress(FileNotFoundError):
                Path(st.archive).unlink()  # accepted: the server has it now
            return
        if info["state"] in ("rejected", "aborted", "cancelled"):
            st.state, st.error = "rejected", info.get("error")
            outbox.save(st)
            raise _refusal(info)
        if time.monotonic() > deadline:
            raise ServerUnavailable(
                f"The server has not finished checking upload {st.upload_id} after "
                f"{timeout:.0f} s.", "It is still queued; look again later.")
        time.sleep(delay)
        delay = min(delay * 1.5, 2.0)


def describe(st: UploadState) -> dict[str, Any]:
    done = len(st.parts_sent)
    return {"package": st.folder, "state": st.state, "upload_id": st.upload_id,
            "parts": f"{done}/{st.part_count or '?'}", "submission_id": st.submission_id,
            "error": st.error}
