"""Ingesting submission packages: good ones are stored with their consent record; bad ones are
refused with a clear error and leave nothing behind (no rows, no blobs, no staged bytes)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from annotator.store import models as m
from annotator.workflow import package as P
from annotator.workflow.errors import (
    ConsentError,
    ManifestError,
    PackageError,
    PackageFilesMismatch,
    PackageHashMismatch,
    PackagePathError,
    UnknownTerms,
)
from annotator.workflow.states import State


def counts(svc) -> dict[str, int]:
    with svc.store.read() as s:
        out = {t.__tablename__: s.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
               for t in (m.Submission, m.ConsentRecord, m.Blob, m.SubmissionBlob, m.Transition)}
    out["blob_files"] = len(list(svc.blobs.iter_blobs()))
    out["staged"] = len(list((svc.blobs.root / "staging").iterdir()))
    return out


def rewrite_manifest(folder: Path, change, *, reconsent: bool = True) -> None:
    data = json.loads((folder / P.MANIFEST_NAME).read_text())
    change(data)
    raw = json.dumps(data).encode()
    (folder / P.MANIFEST_NAME).write_bytes(raw)
    if reconsent:
        consent = json.loads((folder / P.CONSENT_NAME).read_text())
        import hashlib

        consent["manifest_sha256"] = hashlib.sha256(raw).hexdigest()
        (folder / P.CONSENT_NAME).write_text(json.dumps(consent))


def test_ingest_stores_files_consent_and_submission(world) -> None:
    svc, w = world.svc, world
    folder = w.package()
    sub = svc.ingest_package(actor=w.ana, folder=folder)
    assert sub.state is State.SUBMITTED and sub.contributor == w.ana.pseudonym
    detail = svc.get_submission(actor=w.ana, submission_id=sub.id)
    manifest = json.loads((folder / P.MANIFEST_NAME).read_text())
    assert {(f.path, f.sha256, f.size) for f in detail.files} == {
        (f["path"], f["sha256"], f["size"]) for f in manifest["files"]}
    for f in detail.files:
        with svc.open_file(actor=w.rev, submission_id=sub.id, path=f.path) as fh:
            assert fh.read() == (folder / f.path).read_bytes()
    consent = json.loads((folder / P.CONSENT_NAME).read_text())
    c = detail.consent
    assert (c.record_id, c.contributor, c.terms_version, c.manifest_sha256, c.status) == (
        consent["record_id"], w.ana.pseudonym, "1", sub.manifest_sha256, "given")
    assert list(c.purposes) == consent["purposes"] and c.method == consent["method"]
    assert c.terms_sha256 == svc.get_terms().sha256
    assert counts(svc)["staged"] == 0
    # The same package twice is refused; a draft is not in the queue until sent.
    with pytest.raises(PackageError, match="submitted already"):
        svc.ingest_package(actor=w.ana, folder=folder)
    draft = svc.ingest_package(actor=w.ana, folder=w.package(), submit=False)
    assert draft.state is State.DRAFT
    assert [i.id for i in svc.list_queue(actor=w.rev)] == [sub.id]
    svc.submit(actor=w.ana, submission_id=draft.id)
    assert [i.id for i in svc.list_queue(actor=w.rev)] == [sub.id, draft.id]


def test_task_of_the_package(world) -> None:
    svc, w = world.svc, world
    task = svc.publish_task(actor=w.admin, title="Files", goal="Rename a file",
                            applications=["Nautilus"], difficulty="easy", pay_cents=300)
    sub = w.submit(task_id=task.id)
    assert (sub.task_id, sub.task_title) == (task.id, "Files")
    with pytest.raises(PackageError, match="task #999"):
        w.submit(task_id=999)
    svc.close_task(actor=w.admin, task_id=task.id)
    with pytest.raises(PackageError, match="closed"):
        w.submit(task_id=task.id)


BAD = {
    "path escaping the folder": (
        lambda f: rewrite_manifest(f, lambda d: d["files"][0].update(path="../outside.mp4")),
        PackagePathError, "escapes"),
    "absolute path": (
        lambda f: rewrite_manifest(f, lambda d: d["files"][0].update(path="/etc/passwd")),
        PackagePathError, "absolute"),
    "backslash path": (
        lambda f: rewrite_manifest(f, lambda d: d["files"][0].update(path="..\\x")),
        PackagePathError, "backslash"),
    "missing file": (lambda f: (f / "frames" / "0001.png").unlink(),
                     PackageFilesMismatch, "missing frames/0001.png"),
    "extra file": (lambda f: (f / "notes.txt").write_text("hello"),
                   PackageFilesMismatch, "not in the manifest: notes.txt"),
    "symbolic link": (lambda f: os.symlink("/etc/hostname", f / "link.txt"),
                      PackagePathError, "symbolic link"),
    "manifest not JSON": (lambda f: (f / P.MANIFEST_NAME).write_text("{not json"),
                          ManifestError, "does not parse"),
    "manifest missing": (lambda f: (f / P.MANIFEST_NAME).unlink(), ManifestError,
                         "no package.json"),
    "manifest of another format": (
        lambda f: rewrite_manifest(f, lambda d: d.update(format="something-else")),
        ManifestError, "not a submission package manifest"),
    "manifest from the future": (
        lambda f: rewrite_manifest(f, lambda d: d.update(format_version=99)),
        ManifestError, "format version 99"),
    "manifest without files": (lambda f: rewrite_manifest(f, lambda d: d.pop("files")),
                               ManifestError, "'files' is missing"),
    "no video": (lambda f: rewrite_manifest(
        f, lambda d: d.update(files=[x for x in d["files"] if x["role"] != "video"])),
        PackageError, "role 'video'"),
    "leak check not passed": (lambda f: rewrite_manifest(
        f, lambda d: d["summary"].update(leak_check="not checked")),
        ManifestError, "leak check did not pass"),
    "consent not JSON": (lambda f: (f / P.CONSENT_NAME).write_text("]"), ConsentError,
                         "does not parse"),
    "consent missing": (lambda f: (f / P.CONSENT_NAME).unlink(), ConsentError,
                        "no consent.json"),
    "consent without purposes": (
        lambda f: _edit_consent(f, purposes=[]), ConsentError, "'purposes'"),
    "consent withdrawn already": (
        lambda f: _edit_consent(f, status="withdrawn"), ConsentError, "not 'given'"),
    "consent time without zone": (
        lambda f: _edit_consent(f, given_utc="2026-03-10T11:00:00"), ConsentError,
        "time zone"),
    "consent for another manifest": (
        lambda f: _edit_consent(f, manifest_sha256="0" * 64), ConsentError,
        "another content manifest"),
    "manifest changed after consent": (
        lambda f: rewrite_manifest(f, lambda d: d["task"].update(goal="other"),
                                   reconsent=False),
        ConsentError, "another content manifest"),
    "unknown terms version": (lambda f: _edit_consent(f, terms_version="7"), UnknownTerms,
                              "terms version '7'"),
    "other terms text": (lambda f: _edit_consent(f, terms_sha256="1" * 64), UnknownTerms,
                         "not the published version"),
    "consent by someone else": (lambda f: _edit_consent(f, contributor="c-someone"),
                                ConsentError, "given by 'c-someone'"),
    "file changed after the manifest (same size)": (
        lambda f: _flip_last_byte(f / "video.mp4"), PackageHashMismatch,
        "video.mp4 no longer matches"),
    "file grown after the manifest": (
        lambda f: (f / "steps.json").write_text((f / "steps.json").read_text() + " "),
        PackageHashMismatch, "steps.json has"),
}


def _edit_consent(folder: Path, **changes) -> None:
    data = json.loads((folder / P.CONSENT_NAME).read_text())
    data.update(changes)
    (folder / P.CONSENT_NAME).write_text(json.dumps(data))


def _flip_last_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_packages_are_refused_and_leave_nothing(world, case: str) -> None:
    svc, w = world.svc, world
    svc.ingest_package(actor=w.bob, folder=w.package(w.bob))  # other content stays intact
    before = counts(svc)
    folder = w.package()
    damage, error, text = BAD[case]
    damage(folder)
    with pytest.raises(error) as ei:
        svc.ingest_package(actor=w.ana, folder=folder)
    assert text in str(ei.value), str(ei.value)
    assert ei.value.hint
    assert counts(svc) == before


def test_a_damaged_blob_in_a_package_with_shared_bytes(world) -> None:
    """A file whose bytes are already in the store is still checked against the manifest."""
    svc, w = world.svc, world
    shared = os.urandom(2048)
    svc.ingest_package(actor=w.bob, folder=w.package(w.bob, shared=shared))
    before = counts(svc)
    folder = w.package(shared=shared)
    _flip_last_byte(folder / "frames" / "shared.png")
    with pytest.raises(PackageHashMismatch, match="shared.png"):
        svc.ingest_package(actor=w.ana, folder=folder)
    assert counts(svc) == before


def test_consent_record_cannot_be_reused(world) -> None:
    svc, w = world.svc, world
    first = w.package()
    svc.ingest_package(actor=w.ana, folder=first)
    record = json.loads((first / P.CONSENT_NAME).read_text())["record_id"]
    second = w.package(consent={"record_id": record})
    with pytest.raises(ConsentError, match="used for another submission"):
        svc.ingest_package(actor=w.ana, folder=second)


def test_not_a_folder(world, tmp_path) -> None:
    with pytest.raises(PackageError, match="not a folder"):
        world.svc.ingest_package(actor=world.ana, folder=tmp_path / "nope")


def test_check_relpath() -> None:
    for good in ("video.mp4", "frames/0001.png", "a/b/c.json"):
        assert P.check_relpath(good, where="t") == good
    for bad in ("", "/abs", "../x", "a/../b", "a//b", "./a", "a/", "C:/x", "a\\b", "a\x00b",
                "package.json", "consent.json", 5, None, "x" * 600):
        with pytest.raises(PackagePathError):
            P.check_relpath(bad, where="t")
