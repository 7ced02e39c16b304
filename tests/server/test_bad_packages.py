"""Every bad package ends in a final state: each malformed package of a table (deep JSON
and huge integers in every JSON file of the package, wrong types, a truncated archive, tar
bombs) ends ``rejected`` with a reason, its objects gone after the reaper; an export over a
store holding one such approved submission (accepted before the server measured files)
completes and reports it."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

from annotator.server import jobs
from annotator.store.server_models import Upload
from tests.server.helpers import bucket_keys, client, package, pseudonym, raw_upload, wait_upload
from tests.server.helpers import tar_folder as _tar

DEEP = "[" * 3000 + "]" * 3000
HUGE = str(2 ** 70)


def _json(folder: Path, name: str) -> dict:
    return json.loads((folder / name).read_text())


def _seal(folder: Path) -> tuple[bytes, str]:
    """The package's manifest and consent written again (a client can make them say
    anything), then the archive and the manifest's hash."""
    from annotator.workflow import package as P

    manifest = _json(folder, "package.json")
    sha = P.write_manifest(folder, goal=manifest["task"]["goal"], outcome="success",
                           summary=manifest["summary"], task_id=manifest["task"]["task_id"])
    record = _json(folder, "consent.json")
    record.update(manifest_sha256=sha, record_id=os.urandom(8).hex())
    P.write_consent(folder, record)
    return _tar(folder), sha


def _raw_json(folder: Path, name: str, text: str) -> tuple[bytes, str]:
    """``name`` replaced by exactly ``text`` (the manifest and consent cannot be resealed
    through the writer then: their hashes are made by hand)."""
    from annotator.workflow import package as P

    (folder / name).write_text(text)
    if name == "package.json":
        sha = hashlib.sha256(text.encode()).hexdigest()
        record = _json(folder, "consent.json")
        record.update(manifest_sha256=sha, record_id=os.urandom(8).hex())
        P.write_consent(folder, record)
        return _tar(folder), sha
    if name == "consent.json":
        return _tar(folder), hashlib.sha256((folder / "package.json").read_bytes()).hexdigest()
    return _seal(folder)


def _with(folder: Path, name: str, key: str, raw: str) -> tuple[bytes, str]:
    """``"key": raw`` added to the top object of ``name`` (raw JSON text)."""
    text = (folder / name).read_text().rstrip()
    assert text.endswith("}")
    return _raw_json(folder, name, text[:-1] + f', "{key}": {raw}}}')


def _huge_in_steps(folder: Path) -> tuple[bytes, str]:
    text = (folder / "steps.json").read_text().replace('"t_start_us": 100000',
                                                       f'"t_start_us": {HUGE}', 1)
    return _raw_json(folder, "steps.json", text)


def _huge_in_manifest(folder: Path) -> tuple[bytes, str]:
    text = (folder / "package.json").read_text()
    i = text.index('"duration_us": ') + len('"duration_us": ')
    j = text.index(",", i)
    return _raw_json(folder, "package.json", text[:i] + HUGE + text[j:])


def _types(name: str, change) -> object:
    def spoil(folder: Path) -> tuple[bytes, str]:
        data = _json(folder, name)
        change(data)
        (folder / name).write_text(json.dumps(data))
        return _seal(folder)
    return spoil


def _truncated(folder: Path) -> tuple[bytes, str]:
    data, sha = _seal(folder)
    return data[: len(data) // 2 + 100], sha


def _size_bomb(folder: Path) -> tuple[bytes, str]:
    data, sha = _seal(folder)
    info = tarfile.TarInfo("frames/bomb.png")
    info.size = 100 << 30  # declared, never sent
    return info.tobuf(tarfile.GNU_FORMAT) + data, sha


def _gzip_bomb(folder: Path) -> tuple[bytes, str]:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb") as gz:
        gz.write(b"\0" * (50 << 20))
    return buf.getvalue(), hashlib.sha256((folder / "package.json").read_bytes()).hexdigest()


CASES = {
    "deep package.json": lambda f: _with(f, "package.json", "extra", DEEP),
    "deep consent.json": lambda f: _with(f, "consent.json", "extra", DEEP),
    "deep steps.json": lambda f: _with(f, "steps.json", "extra", DEEP),
    "deep task.json": lambda f: _with(f, "task.json", "extra", DEEP),
    "deep redactions.json": lambda f: _with(f, "redactions.json", "extra", DEEP),
    "huge integer in package.json": _huge_in_manifest,
    "huge integer in consent.json": lambda f: _with(f, "consent.json", "n", HUGE),
    "huge integer in steps.json": _huge_in_steps,
    "huge integer in task.json": lambda f: _with(f, "task.json", "task_id", HUGE),
    "huge integer in redactions.json": lambda f: _with(f, "redactions.json", "n", HUGE),
    "steps as text": _types("steps.json", lambda d: d.update(steps="all of them")),
    "a coordinate as text": _types("steps.json", lambda d: d["steps"][0].update(x="left")),
    "applications as a number": _types("task.json", lambda d: d.update(applications=5)),
    "a truncated archive": _truncated,
    "a member declaring 100 GiB": _size_bomb,
    "a gzip bomb": _gzip_bomb,
}


def test_each_malformed_package_ends_rejected_and_leaves_no_object(team, tmp_path):
    _c, _p, ctok = team.new_user("contributor")
    me = pseudonym(team, ctok)
    uploads = {}
    for name, spoil in CASES.items():
        data, sha = spoil(package(team, tmp_path, me))
        uploads[name] = raw_upload(team, ctok, data, sha)["id"]
    for name, upload_id in uploads.items():
        done = wait_upload(team, ctok, upload_id)
        assert done["state"] == "rejected", (name, done)
        assert done["error"] and "/tmp" not in done["error"], (name, done["error"])
        assert done["submission_id"] is None
    # Nothing waits, nothing of them stays in the store once the reaper ran.
    jobs.reap(jobs.context(team.cfg), older_than_s=0)
    keys = bucket_keys(team)
    for name, upload_id in uploads.items():
        assert not [k for k in keys if upload_id in k], name
    with team.svc.store.read() as s:
        states = {u.state for u in s.query(Upload).filter(Upload.id.in_(uploads.values()))}
    assert states == {"rejected"}


def test_an_export_skips_and_reports_a_bad_approved_submission(team, tmp_path):
    """A submission accepted before the server measured files, with a deeply nested
    steps.json and a huge integer, approved: the export completes without it and says
    why."""
    cname, cpw, ctok = team.new_user("contributor")
    rname, rpw, _rtok = team.new_user("reviewer")
    ana = team.svc.sign_in(name=cname, passphrase=cpw)
    rev = team.svc.sign_in(name=rname, passphrase=rpw)
    good = package(team, tmp_path, ana.pseudonym)
    bad = package(team, tmp_path, ana.pseudonym)
    steps = (bad / "steps.json").read_text().rstrip()
    (bad / "steps.json").write_text(steps[:-1] + f', "extra": {DEEP}, "n": {HUGE}}}')
    _seal(bad)
    subs = []
    for folder in (good, bad):  # straight into the store: no verification on this path
        sub = team.svc.ingest_package(actor=ana, folder=folder)
        team.svc.claim(actor=rev, submission_id=sub.id)
        team.svc.approve(actor=rev, submission_id=sub.id, quality=3)
        subs.append(sub.id)
    admin = client(team, team.admin_token, tmp_path)
    try:
        export_id = admin.start_export(format="canonical",
                                       filter=f"contributor = {ana.pseudonym}")
        exp = admin.get_export(export_id, wait=180)
        assert exp["state"] == "done", exp
        ds = exp["dataset"]
        assert ds["submission_ids"] == [subs[0]]
        assert [s["submission_id"] for s in ds["skipped"]] == [subs[1]], ds["skipped"]
    finally:  # leave no unreadable approved submission for later tests
        for sid in subs:
            team.svc.withdraw(actor=ana, submission_id=sid)
