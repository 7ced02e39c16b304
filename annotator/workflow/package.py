"""The submission package: a folder of rendered files, its content manifest and the consent.

Layout (docs/store.md, "Submission package")::

    DIR/
      package.json      content manifest: every other file with its role, size and SHA-256
      consent.json      the consent record; names the SHA-256 of package.json's exact bytes
      video.mp4         role "video": the rendered, burned-in video of the kept ranges
      frames/NNNN.png   role "frame": each kept step's observation frame, lossless, burned in
      thumbs/NNNN.jpg   role "thumbnail": made from the rendered output only
      steps.json        role "steps": the kept steps, typed text masked where redacted
      task.json         role "task": task metadata and labels
      redactions.json   role "redactions": keyed hashes of redacted strings, the allow-list,
                        the leak check's result
      signals.json      role "signals" (optional): the client-declared input summary

Reading a package (``read_package``) checks everything that can be checked without the
store: both JSON files parse and are valid, no path escapes the folder or is a link, and the
folder holds exactly the files the manifest lists.  The bytes are checked against their
SHA-256 while they are copied into the blob store's staging area (``Services.ingest_package``),
so every file is read once.

``write_manifest`` and ``write_consent`` are for the renderer and the consent view.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import stat
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from annotator.fsutil import write_json_atomic
from annotator.workflow import safejson
from annotator.workflow.contract import ConsentInfo
from annotator.workflow.errors import (
    ConsentError,
    ManifestError,
    PackageError,
    PackageFilesMismatch,
    PackageHashMismatch,
    PackagePathError,
)
from annotator.workflow.terms import (
    DEFAULT_DATA_CATEGORIES,
    DEFAULT_PERMITTED_USES,
    DEFAULT_PURPOSES,
)

PACKAGE_FORMAT = "annotator-package"
PACKAGE_VERSION = 1
CONSENT_FORMAT = "annotator-consent"
CONSENT_VERSION = 1
MANIFEST_NAME = "package.json"
CONSENT_NAME = "consent.json"
MAX_JSON_BYTES = 16 << 20
MAX_PATH = 512
MAX_ID = (1 << 31) - 1  # database ids and counts are 32-bit integers
MAX_COUNT = MAX_ID
MAX_SIZE = (1 << 53) - 1  # bytes and microseconds: 64-bit columns, exact in JSON

# role: (how many files of that role a package has: min, max or None)
FILE_ROLES: dict[str, tuple[int, int | None]] = {
    "video": (1, 1),
    "steps": (1, 1),
    "task": (1, 1),
    "redactions": (1, 1),
    "frame": (0, None),
    "thumbnail": (0, None),
    "signals": (0, 1),  # signals.json: the client-declared input summary (docs/signals.md)
}
LEAK_CHECK_PASSED = "passed"
_SHA = re.compile(r"^[0-9a-f]{64}$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")


@dataclass(frozen=True)
class FileEntry:
    path: str
    role: str
    sha256: str
    size: int
    media_type: str | None = None


@dataclass(frozen=True)
class Package:
    folder: Path
    manifest: dict[str, Any]
    manifest_sha256: str
    package_id: str
    task_id: int | None
    goal: str
    outcome: str
    summary: dict[str, Any]
    files: tuple[FileEntry, ...]
    consent: ConsentInfo

    @property
    def duration_us(self) -> int:
        return int(self.summary["duration_us"])

    @property
    def step_count(self) -> int:
        return int(self.summary["steps"])

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)


# -- paths -----------------------------------------------------------------------------------
def check_relpath(path: Any, *, where: str) -> str:
    """A package path: relative, POSIX, no '..' or empty parts, inside the folder."""
    def bad(why: str) -> PackagePathError:
        return PackagePathError(
            f"{where}: the path {path!r} {why}.",
            "Package paths are relative to the package folder, use '/', and never leave it: "
            "render the package again.",
        )

    if not isinstance(path, str) or not path:
        raise bad("is not a file name")
    if len(path) > MAX_PATH:
        raise bad(f"is longer than {MAX_PATH} characters")
    if "\x00" in path or "\\" in path or any(ord(c) < 32 for c in path):
        raise bad("contains a backslash or control characters")
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        raise bad("is absolute")
    parts = path.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise bad("escapes the package folder or has empty parts ('..', '.', '//')")
    if str(PurePosixPath(path)) != path:
        raise bad("is not in normal form")
    if path in (MANIFEST_NAME, CONSENT_NAME):
        raise bad("names the manifest or the consent record itself")
    return path


def scan_folder(folder: Path) -> dict[str, int]:
    """Every regular file under ``folder`` (POSIX relative path -> size), except the manifest
    and the consent record; links and special files are refused."""
    found: dict[str, int] = {}
    root = str(folder)
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in list(dirnames) + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            st = os.lstat(full)
            if os.path.islink(full):
                raise PackagePathError(
                    f"{folder}: {rel} is a symbolic link.",
                    "A package holds plain files only: render the package again.",
                )
            if name in dirnames:
                continue
            if not stat.S_ISREG(st.st_mode):
                raise PackagePathError(f"{folder}: {rel} is not a regular file.",
                                       "A package holds plain files only.")
            if rel in (MANIFEST_NAME, CONSENT_NAME):
                continue
            found[rel] = st.st_size
    return found


# -- JSON ------------------------------------------------------------------------------------
def _load_json(path: Path, what: str, error: type[PackageError]) -> tuple[dict[str, Any], bytes]:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise error(f"{path.parent}: there is no {path.name} ({what}).",
                    "Render the package again, then consent again.") from None
    if os.path.islink(path):
        raise PackagePathError(f"{path} is a symbolic link.", "A package holds plain files only.")
    if st.st_size > MAX_JSON_BYTES:
        raise error(f"{path}: the {what} is larger than {MAX_JSON_BYTES >> 20} MB.")
    raw = path.read_bytes()
    try:  # size, nesting and numbers limited: this comes from outside
        data = safejson.loads(raw, max_bytes=MAX_JSON_BYTES)
    except safejson.JsonLimitError as exc:
        raise error(f"{path}: the {what} cannot be read: {exc}.",
                    "It is damaged: render the package again, then consent again.") from None
    if not isinstance(data, dict):
        raise error(f"{path}: the {what} is not a JSON object.",
                    "Render the package again, then consent again.")
    return data, raw


def _need(data: Mapping[str, Any], key: str, types: type | tuple[type, ...], *, where: str,
          error: type[PackageError], optional: bool = False) -> Any:
    if key not in data or data[key] is None:
        if optional:
            return None
        raise error(f"{where}: {key!r} is missing.", "Render the package again.")
    value = data[key]
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in (
            types if isinstance(types, tuple) else (types,))):
        raise error(f"{where}: {key!r} has the wrong type ({type(value).__name__}).",
                    "Render the package again.")
    return value


def _strings(value: Any, key: str, *, where: str, error: type[PackageError]) -> tuple[str, ...]:
    if (not isinstance(value, list) or not value
            or not all(isinstance(v, str) and v.strip() for v in value)):
        raise error(f"{where}: {key!r} must be a non-empty list of texts.",
                    "Consent again in the app: the record is incomplete.")
    return tuple(value)


def parse_time(value: Any, *, where: str, key: str, error: type[PackageError]) -> dt.datetime:
    try:
        t = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        t = None
    if t is None or t.tzinfo is None:
        raise error(f"{where}: {key!r} is not an ISO 8601 time with a time zone: {value!r}.",
                    "Consent again in the app.")
    return t.astimezone(dt.UTC)


def parse_manifest(data: dict[str, Any], *, where: str) -> dict[str, Any]:
    E = ManifestError
    fmt = data.get("format")
    if fmt != PACKAGE_FORMAT:
        raise E(f"{where}: this is not a submission package manifest (format {fmt!r}).",
                f"The manifest's 'format' must be {PACKAGE_FORMAT!r}.")
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise E(f"{where}: 'format_version' is missing or not a number.")
    if version > PACKAGE_VERSION:
        raise E(f"{where}: the package is format version {version}; this annotator reads "
                f"version {PACKAGE_VERSION} and older.", "Update annotator.")
    package_id = _need(data, "package_id", str, where=where, error=E)
    if not _ID.match(package_id):
        raise E(f"{where}: 'package_id' {package_id!r} is not a valid id.")
    task = _need(data, "task", dict, where=where, error=E)
    task_id = _need(task, "task_id", int, where=f"{where} task", error=E, optional=True)
    if task_id is not None and not 1 <= task_id <= MAX_ID:
        raise E(f"{where}: 'task_id' {task_id} is not a task id.", "Choose the task again.")
    goal = _need(task, "goal", str, where=f"{where} task", error=E)
    outcome = _need(task, "outcome", str, where=f"{where} task", error=E, optional=True)
    if not goal.strip() or not (outcome or "").strip():
        raise E(f"{where}: the task has no goal or no outcome.",
                "Write the task's goal and choose its outcome before submitting.")
    summary = _need(data, "summary", dict, where=where, error=E)
    for key in ("duration_us", "steps", "redactions"):
        v = _need(summary, key, int, where=f"{where} summary", error=E)
        if not 0 <= v <= (MAX_COUNT if key != "duration_us" else MAX_SIZE):
            raise E(f"{where}: summary {key!r} is {v}: out of range.")
    for key in ("typed_text_included", "window_titles_included"):
        _need(summary, key, bool, where=f"{where} summary", error=E)
    leak = summary.get("leak_check")
    if leak != LEAK_CHECK_PASSED:
        raise E(f"{where}: the leak check did not pass (it says {leak!r}).",
                "Fix the leaks or accept the items as not sensitive in the app, render again, "
                "and submit once the leak check passes.")
    files = _need(data, "files", list, where=where, error=E)
    entries: list[FileEntry] = []
    seen: dict[str, str] = {}
    for i, f in enumerate(files):
        w = f"{where} files[{i}]"
        if not isinstance(f, dict):
            raise E(f"{w}: not an object.")
        path = check_relpath(f.get("path"), where=w)
        folded = path.casefold()
        if folded in seen:
            raise E(f"{w}: {path!r} is listed twice (or differs from {seen[folded]!r} only in "
                    "case).", "Render the package again.")
        seen[folded] = path
        role = _need(f, "role", str, where=w, error=E)
        if role not in FILE_ROLES:
            raise E(f"{w}: unknown role {role!r}.",
                    f"Roles are: {', '.join(FILE_ROLES)}.")
        sha = _need(f, "sha256", str, where=w, error=E)
        if not _SHA.match(sha):
            raise E(f"{w}: 'sha256' is not 64 lowercase hexadecimal characters.")
        size = _need(f, "size", int, where=w, error=E)
        if not 0 <= size <= MAX_SIZE:
            raise E(f"{w}: 'size' {size} is out of range.")
        media = _need(f, "media_type", str, where=w, error=E, optional=True)
        entries.append(FileEntry(path, role, sha, size, media))
    for role, (lo, hi) in FILE_ROLES.items():
        n = sum(1 for e in entries if e.role == role)
        if n < lo or (hi is not None and n > hi):
            want = f"exactly {lo}" if lo == hi else f"at least {lo}"
            raise E(f"{where}: the package has {n} file(s) of role {role!r}; it needs {want}.",
                    "Render the package again.")
    return {"package_id": package_id, "task_id": task_id, "goal": goal, "outcome": outcome,
            "summary": summary, "files": tuple(entries)}


def parse_consent(data: dict[str, Any], raw: bytes, *, where: str) -> ConsentInfo:
    E = ConsentError
    if data.get("format") != CONSENT_FORMAT:
        raise E(f"{where}: this is not a consent record (format {data.get('format')!r}).",
                f"The record's 'format' must be {CONSENT_FORMAT!r}.")
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version > CONSENT_VERSION:
        raise E(f"{where}: unsupported consent record version {version!r}.", "Update annotator.")
    record_id = _need(data, "record_id", str, where=where, error=E)
    if not _ID.match(record_id):
        raise E(f"{where}: 'record_id' {record_id!r} is not a valid id.")
    status = _need(data, "status", str, where=where, error=E)
    if status != "given":
        raise E(f"{where}: the consent's status is {status!r}, not 'given'.",
                "Submit only what you consented to: consent again in the app.")
    sha = _need(data, "terms_sha256", str, where=where, error=E)
    msha = _need(data, "manifest_sha256", str, where=where, error=E)
    for key, v in (("terms_sha256", sha), ("manifest_sha256", msha)):
        if not _SHA.match(v):
            raise E(f"{where}: {key!r} is not 64 lowercase hexadecimal characters.")
    method = _need(data, "method", str, where=where, error=E)
    if not method.strip():
        raise E(f"{where}: 'method' (how consent was given) is empty.")
    return ConsentInfo(
        record_id=record_id,
        contributor=_need(data, "contributor", str, where=where, error=E),
        terms_version=_need(data, "terms_version", str, where=where, error=E),
        terms_sha256=sha,
        purposes=_strings(data.get("purposes"), "purposes", where=where, error=E),
        permitted_uses=_strings(data.get("permitted_uses"), "permitted_uses", where=where,
                                error=E),
        data_categories=_strings(data.get("data_categories"), "data_categories", where=where,
                                 error=E),
        given_at=parse_time(data.get("given_utc"), where=where, key="given_utc", error=E),
        method=method,
        manifest_sha256=msha,
        status=status,
        record_sha256=hashlib.sha256(raw).hexdigest(),
    )


def read_package(folder: str | os.PathLike[str]) -> Package:
    """Parse and check a package folder, without reading the content files' bytes."""
    folder = Path(folder)
    if not folder.is_dir():
        raise PackageError(f"{folder} is not a folder.",
                           "Give the folder of a rendered submission package.")
    if folder.is_symlink():
        raise PackagePathError(f"{folder} is a symbolic link.", "Give the package folder itself.")
    manifest, mraw = _load_json(folder / MANIFEST_NAME, "content manifest", ManifestError)
    parsed = parse_manifest(manifest, where=str(folder / MANIFEST_NAME))
    consent_data, craw = _load_json(folder / CONSENT_NAME, "consent record", ConsentError)
    consent = parse_consent(consent_data, craw, where=str(folder / CONSENT_NAME))
    manifest_sha = hashlib.sha256(mraw).hexdigest()
    if consent.manifest_sha256 != manifest_sha:
        raise ConsentError(
            f"{folder}: the consent record is for another content manifest (it names "
            f"{consent.manifest_sha256[:12]}…, the package's is {manifest_sha[:12]}…).",
            "The package changed after consent was given: review it and consent again.",
        )
    on_disk = scan_folder(folder)
    listed = {e.path: e for e in parsed["files"]}
    missing = sorted(set(listed) - set(on_disk))
    extra = sorted(set(on_disk) - set(listed))
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {_few(missing)}")
        if extra:
            parts.append(f"not in the manifest: {_few(extra)}")
        raise PackageFilesMismatch(
            f"{folder}: the files do not match the content manifest ({'; '.join(parts)}).",
            "Render the package again (and consent again); do not add or remove files by "
            "hand.",
        )
    for path, e in listed.items():
        if on_disk[path] != e.size:
            raise PackageHashMismatch(
                f"{folder}: {path} has {on_disk[path]} bytes, the manifest says {e.size}.",
                "The file changed after the package was made: render it again and consent "
                "again.",
            )
        resolved = (folder / path).resolve()
        if not resolved.is_relative_to(folder.resolve()):
            raise PackagePathError(f"{folder}: {path} resolves outside the package folder.")
    return Package(
        folder=folder, manifest=manifest, manifest_sha256=manifest_sha,
        package_id=parsed["package_id"], task_id=parsed["task_id"], goal=parsed["goal"],
        outcome=parsed["outcome"], summary=dict(parsed["summary"]), files=parsed["files"],
        consent=consent,
    )


def _few(items: Sequence[str], n: int = 5) -> str:
    shown = ", ".join(items[:n])
    return shown + (f" and {len(items) - n} more" if len(items) > n else "")


# -- writing (renderer and consent view) -------------------------------------------------------
def role_for(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    if path.startswith("frames/"):
        return "frame"
    if path.startswith("thumbs/"):
        return "thumbnail"
    if name.endswith((".mp4", ".mkv", ".webm")) and "/" not in path:
        return "video"
    return {"steps.json": "steps", "task.json": "task", "redactions.json": "redactions",
            "signals.json": "signals"}.get(path, "unknown")


_MEDIA = {".mp4": "video/mp4", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
          ".webp": "image/webp", ".json": "application/json"}


def _hash_file(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    n = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
            n += len(chunk)
    return h.hexdigest(), n


def write_manifest(
    folder: str | os.PathLike[str],
    *,
    goal: str,
    outcome: str,
    summary: Mapping[str, Any],
    task_id: int | None = None,
    package_id: str | None = None,
    roles: Mapping[str, str] | None = None,
    created: dt.datetime | None = None,
) -> str:
    """Hash every file in ``folder`` and write ``package.json``; returns its SHA-256.

    Roles come from the layout (``role_for``) unless given in ``roles`` (path -> role).
    """
    folder = Path(folder)
    entries = []
    for rel in sorted(scan_folder(folder)):
        check_relpath(rel, where=str(folder))
        role = (roles or {}).get(rel) or role_for(rel)
        sha, size = _hash_file(folder / rel)
        entry = {"path": rel, "role": role, "sha256": sha, "size": size}
        media = _MEDIA.get(os.path.splitext(rel)[1].lower())
        if media:
            entry["media_type"] = media
        entries.append(entry)
    data = {
        "format": PACKAGE_FORMAT,
        "format_version": PACKAGE_VERSION,
        "package_id": package_id or uuid.uuid4().hex,
        "created_utc": (created or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        "task": {"task_id": task_id, "goal": goal, "outcome": outcome},
        "summary": dict(summary),
        "files": entries,
    }
    return hashlib.sha256(write_json_atomic(folder / MANIFEST_NAME, data)).hexdigest()


def consent_record(
    *,
    contributor: str,
    terms_version: str,
    terms_sha256: str,
    manifest_sha256: str,
    method: str,
    given: dt.datetime | None = None,
    record_id: str | None = None,
    purposes: Iterable[str] = DEFAULT_PURPOSES,
    permitted_uses: Iterable[str] = DEFAULT_PERMITTED_USES,
    data_categories: Iterable[str] = DEFAULT_DATA_CATEGORIES,
) -> dict[str, Any]:
    return {
        "format": CONSENT_FORMAT,
        "format_version": CONSENT_VERSION,
        "record_id": record_id or uuid.uuid4().hex,
        "contributor": contributor,
        "terms_version": terms_version,
        "terms_sha256": terms_sha256,
        "purposes": list(purposes),
        "permitted_uses": list(permitted_uses),
        "data_categories": list(data_categories),
        "given_utc": (given or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        "method": method,
        "manifest_sha256": manifest_sha256,
        "status": "given",
    }


def write_consent(folder: str | os.PathLike[str], record: Mapping[str, Any]) -> str:
    """Write ``consent.json`` beside the manifest; returns its SHA-256."""
    return hashlib.sha256(write_json_atomic(Path(folder) / CONSENT_NAME, dict(record))).hexdigest()
