"""The one atomic-write helper every writer uses: the old file or the new one, never half of
one, whatever fails (a full disk, a read-only folder, an exception in the writer, a killed
process); private permissions; create-once for keys; whole folders published in one
rename."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import threading

import pytest

from annotator.fsutil import (
    atomic_file,
    atomic_path,
    atomic_write,
    create_once,
    leftover_temps,
    publish_folder,
    write_json_atomic,
)

OLD = b"the old content, which must survive\n"


def _only(folder):
    return sorted(p.name for p in folder.iterdir())


def test_replaces_privately_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "prefs.json"
    target.write_bytes(OLD)
    raw = write_json_atomic(target, {"b": 1, "a": "é"})
    assert target.read_bytes() == raw == b'{\n  "a": "\xc3\xa9",\n  "b": 1\n}\n'
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    atomic_write(tmp_path / "cache.bin", b"x", durable=False, mode=0o644)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "cache.bin").stat().st_mode) == 0o644 & ~umask
    assert _only(tmp_path) == ["cache.bin", "prefs.json"]


def test_an_error_in_the_writer_keeps_the_old_file(tmp_path):
    target = tmp_path / "edits.json"
    target.write_bytes(OLD)
    with pytest.raises(RuntimeError), atomic_file(target) as fh:
        fh.write(b"half of the new")
        raise RuntimeError("the writer failed")
    assert target.read_bytes() == OLD and _only(tmp_path) == ["edits.json"]
    backups = []
    with pytest.raises(ValueError), atomic_path(target, before_replace=lambda: backups.append(1)):
        raise ValueError
    assert not backups and target.read_bytes() == OLD
    # before_replace runs once the new content is complete, just before the rename.
    atomic_write(target, b"new", before_replace=lambda: backups.append(target.read_bytes()))
    assert backups == [OLD] and target.read_bytes() == b"new"


def test_a_full_disk_keeps_the_old_file(tmpfs):
    mnt = tmpfs("64k")
    target = mnt.path / "manifest.json"
    atomic_write(target, OLD)
    with pytest.raises(OSError) as exc:
        atomic_write(target, os.urandom(256 * 1024))
    assert exc.value.errno in (errno.ENOSPC, errno.EDQUOT)
    assert target.read_bytes() == OLD and _only(mnt.path) == ["manifest.json"]
    # Space back: the next write works.
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"


def test_a_read_only_folder_keeps_the_old_file(tmpfs):
    mnt = tmpfs("64k")
    target = mnt.path / "preferences.json"
    atomic_write(target, OLD)
    mnt.read_only()
    try:
        with pytest.raises(OSError) as exc:
            write_json_atomic(target, {"new": True})
        assert exc.value.errno == errno.EROFS
        assert target.read_bytes() == OLD and _only(mnt.path) == ["preferences.json"]
    finally:
        mnt.read_write()


def test_a_killed_writer_leaves_the_old_file_and_a_temporary_to_clean(tmp_path):
    target = tmp_path / "edits.json"
    target.write_bytes(OLD)
    code = ("import os, sys\n"
            "from annotator.fsutil import atomic_file\n"
            "with atomic_file(sys.argv[1]) as fh:\n"
            "    fh.write(b'half'); fh.flush(); os._exit(9)\n")
    r = subprocess.run([sys.executable, "-c", code, str(target)], timeout=60)
    assert r.returncode == 9
    assert target.read_bytes() == OLD
    (left,) = leftover_temps(target)
    assert left.read_bytes() == b"half" and left.name.startswith(".edits.json.partial-")


def test_create_once_keeps_the_first_and_never_a_short_file(tmp_path):
    key = tmp_path / "submission.key"
    results: list[bool] = []
    threads = [threading.Thread(target=lambda n=n: results.append(
        create_once(key, bytes([n]) * 32))) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]
    data = key.read_bytes()
    assert len(data) == 32 and len(set(data)) == 1
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and _only(tmp_path) == ["submission.key"]


def test_publish_folder_replaces_the_old_one_last(tmp_path):
    out = tmp_path / "export"
    (out / "old").mkdir(parents=True)
    new = tmp_path / ".export.tmp"
    (new / "data").mkdir(parents=True)
    (new / "data" / "a.txt").write_text("a")
    publish_folder(new, out)
    assert _only(out) == ["data"] and _only(tmp_path) == ["export"]
    # A failed rename (here: nothing to publish) puts the old folder back.
    with pytest.raises(FileNotFoundError):
        publish_folder(tmp_path / "missing", out)
    assert _only(out) == ["data"] and _only(tmp_path) == ["export"]
