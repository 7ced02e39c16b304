"""The content-addressed blob store: put/get/open/exists/delete, staging of unverified
uploads, and the consistency check of blobs against their database references."""

from __future__ import annotations

import hashlib
import io
import os

import pytest

from annotator.store import BlobHashMismatch, BlobMissing, LocalBlobStore
from annotator.store.blobs import BlobError, BlobStore
from annotator.store.refs import check_blobs


@pytest.fixture
def blobs(tmp_path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_interface(blobs) -> None:
    assert isinstance(blobs, BlobStore)
    data = os.urandom(3 * (1 << 20) + 17)  # several chunks
    digest = blobs.put(io.BytesIO(data))
    assert digest == sha(data) and blobs.exists(digest) and blobs.size(digest) == len(data)
    assert blobs.get(digest) == data
    with blobs.open(digest) as fh:
        assert fh.read(10) == data[:10]
    assert blobs.put(data, expected_sha256=digest) == digest  # idempotent
    assert list(blobs.iter_blobs()) == [digest]
    assert oct(blobs.path(digest).stat().st_mode & 0o777) == "0o600"
    assert blobs.delete(digest) and not blobs.exists(digest) and not blobs.delete(digest)
    with pytest.raises(BlobMissing):
        blobs.get(digest)
    with pytest.raises(BlobError):
        blobs.exists("../../etc/passwd")
    assert list((blobs.root / "staging").iterdir()) == []


def test_staging_refuses_what_does_not_match(blobs) -> None:
    data = b"hello world"
    with pytest.raises(BlobHashMismatch, match="SHA-256"):
        blobs.stage(data, expected_sha256=sha(b"something else"))
    with pytest.raises(BlobHashMismatch, match="bytes instead of 5"):
        blobs.stage(data, expected_size=5)
    with pytest.raises(BlobHashMismatch, match="11 bytes instead of 20"):
        blobs.stage(data, expected_size=20)
    assert list((blobs.root / "staging").iterdir()) == []
    assert list(blobs.iter_blobs()) == []
    staged = blobs.stage(data, expected_sha256=sha(data), expected_size=len(data))
    assert not blobs.exists(staged.sha256)  # unverified bytes are not readable as blobs
    assert blobs.promote(staged) and blobs.exists(sha(data))
    again = blobs.stage(data)
    assert not blobs.promote(again)  # already there: the staged copy is dropped
    assert list((blobs.root / "staging").iterdir()) == []
    abandoned = blobs.stage(b"abandoned")
    assert blobs.purge_staging(older_than_s=3600) == 0
    assert blobs.purge_staging(older_than_s=-1) == 1
    with pytest.raises(BlobMissing):
        blobs.promote(abandoned)


def test_check_blobs_finds_missing_and_unreferenced(world) -> None:
    svc = world.svc
    sub = world.submit()
    report = check_blobs(svc.store)
    assert report.missing == () and report.unreferenced == () and report.referenced > 0
    orphan = svc.blobs.put(b"left behind by a crash before commit")
    victim = svc.get_submission(actor=world.admin, submission_id=sub.id).files[0].sha256
    svc.blobs.delete(victim)
    report = check_blobs(svc.store, gc=True)
    assert report.missing == (victim,) and report.unreferenced == (orphan,)
    assert not svc.blobs.exists(orphan)
