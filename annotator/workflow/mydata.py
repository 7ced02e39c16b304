"""“Download my data”: everything the store holds about a person, written as files.

The data comes from ``Services.my_data`` (locally) or from the team server's
``GET /v1/me/data`` (the same dictionary as JSON); the submissions' files come from the blob
store or through the server's short-lived URLs.  Both write the same folder.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from annotator.fsutil import publish_folder
from annotator.workflow.errors import Conflict, InvalidInput

README = (
    "account.json         your account (the passphrase is stored only as a hash)\n"
    "payee.json           your payment details, if you gave any\n"
    "consent_records.json every consent you gave, and its withdrawal\n"
    "terms/               the text of each terms version you consented to\n"
    "submissions.json     your submissions: states, history, reviewers' comments, and the\n"
    "                     quality signals found in each (with your answers to them)\n"
    "submissions/ID/      the files of each submission that was not withdrawn\n"
    "withdrawn.json       what is left of withdrawn submissions (ids, hashes, times)\n"
    "payouts.json         what you were paid, per month\n"
)

# (submission id, path in the package, sha256) -> the file's bytes
OpenFile = Callable[[int, str, str], BinaryIO]


def default_folder(parent: str | os.PathLike[str], now: dt.datetime | None = None) -> Path:
    """Where "download my data" writes when not told: a new folder named by the time."""
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M")
    return Path(parent) / f"annotator-my-data-{stamp}"


def check_empty(out_dir: str | os.PathLike[str]) -> Path:
    """The folder to write into: new or empty (never mixes with what is there)."""
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise Conflict(f"{out} is not empty.", "Choose a new or empty folder.")
    return out


def write_my_data(out: Path, data: dict[str, Any], open_file: OpenFile) -> Path:
    """Write ``data`` (``Services.my_data``'s dictionary, or its JSON) and every listed file
    into ``out``, which ``check_empty`` has approved: through a hidden sibling folder renamed
    at the end, so that a failure half-way leaves nothing that looks complete."""
    out = check_empty(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(mode=0o700)
    try:
        _write(tmp, data, open_file)
        if out.exists():
            out.rmdir()  # empty (checked above)
        publish_folder(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _write(out: Path, data: dict[str, Any], open_file: OpenFile) -> None:
    for name in ("account", "payee", "consent_records", "submissions", "withdrawn",
                 "payouts"):
        _dump(out / f"{name}.json", data.get(name))
    (out / "terms").mkdir(mode=0o700)
    for version, text in (data.get("terms") or {}).items():
        (out / "terms" / f"{_safe(version)}.txt").write_text(text, encoding="utf-8")
    root = out.resolve()
    for sub in data.get("submissions") or []:
        for f in sub.get("files") or []:
            dest = out / "submissions" / str(int(sub["id"])) / f["path"]
            if not dest.resolve().is_relative_to(root):  # a path from a server: never outside
                raise InvalidInput(f"Refusing the file path {f['path']!r}.")
            dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with open_file(int(sub["id"]), f["path"], f["sha256"]) as src, \
                    open(dest, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    as_of = data.get("as_of")
    if isinstance(as_of, str):
        as_of = dt.datetime.fromisoformat(as_of)
    stamp = f"{as_of:%Y-%m-%d %H:%M} UTC" if as_of else "now"
    (out / "README.txt").write_text(
        f"Everything the annotator store holds about you, as of {stamp}.\n\n" + README,
        encoding="utf-8")


def _json_default(o: Any) -> Any:
    if isinstance(o, dt.datetime):
        return o.isoformat()
    if isinstance(o, tuple | set | frozenset):
        return list(o)
    return str(o)


def _dump(path: Path, data: Any) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True, ensure_ascii=False, default=_json_default)
        fh.write("\n")


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name) or "_"
