"""Withdrawal: every blob only the submission used is deleted, shared blobs stay, a tombstone
and the consent record (withdrawn) remain, and later listings skip it.  Also "withdraw
everything and delete my account" and "download my data"."""

from __future__ import annotations

import json
import os

import pytest
import sqlalchemy as sa

from annotator.store import models as m
from annotator.workflow.errors import AuthenticationFailed, Conflict, ForbiddenTransition, NotFound
from annotator.workflow.service import CommentIn, QueueFilter
from annotator.workflow.states import State


def blob_hashes(w, sid: int) -> set[str]:
    return {f.sha256 for f in w.svc.get_submission(actor=w.admin, submission_id=sid).files}


@pytest.fixture
def w(world):
    return world


def test_withdrawal_deletes_exactly_the_blobs_only_it_used(w) -> None:
    svc = w.svc
    shared = os.urandom(4096)
    mine = w.submit(shared=shared)
    other = w.submit(w.bob, shared=shared)
    mine_blobs, other_blobs = blob_hashes(w, mine.id), blob_hashes(w, other.id)
    both = mine_blobs & other_blobs
    assert both  # the shared frame (and identical small files)
    svc.claim(actor=w.rev, submission_id=mine.id)
    svc.add_comment(actor=w.rev, submission_id=mine.id, comment=CommentIn("hm", step_index=0))
    result = svc.withdraw(actor=w.ana, submission_id=mine.id)
    assert result.submission_ids == (mine.id,)
    assert result.blobs_deleted == len(mine_blobs - both)
    held = set(svc.blobs.iter_blobs())
    assert not (mine_blobs - both) & held  # every blob only it used is gone
    assert other_blobs <= held  # the other submission is intact
    for f in svc.get_submission(actor=w.bob, submission_id=other.id).files:
        with svc.open_file(actor=w.rev, submission_id=other.id, path=f.path) as fh:
            assert len(fh.read()) == f.size
    with svc.store.read() as s:
        refs = dict(s.execute(sa.select(m.Blob.sha256, m.Blob.refcount)).all())
        assert set(refs) == other_blobs
        assert not s.execute(sa.select(m.SubmissionBlob).where(
            m.SubmissionBlob.submission_id == mine.id)).first()
        assert not s.execute(sa.select(m.Comment).where(
            m.Comment.submission_id == mine.id)).first()
        tomb = s.execute(sa.select(m.Tombstone)).scalar_one()
        assert (tomb.submission_id, tomb.manifest_sha256, set(tomb.blob_sha256s),
                tomb.state_before) == (mine.id, mine.manifest_sha256, mine_blobs, "in_review")
    detail = svc.get_submission(actor=w.ana, submission_id=mine.id)
    assert detail.info.state is State.WITHDRAWN and detail.info.goal is None
    assert detail.files == () and detail.consent.status == "withdrawn"
    assert detail.consent.withdrawn_at == detail.info.withdrawn_at is not None
    # Later listings skip it; its content cannot be read.
    every_state = QueueFilter(states=tuple(State))
    assert mine.id not in [i.id for i in svc.list_queue(actor=w.rev, filters=every_state)]
    with pytest.raises(NotFound, match="withdrawn"):
        svc.open_file(actor=w.ana, submission_id=mine.id, path="video.mp4")
    assert [t["submission_id"] for t in svc.tombstones(actor=w.admin)] == [mine.id]
    with pytest.raises(ForbiddenTransition):
        svc.withdraw(actor=w.ana, submission_id=mine.id)


def test_withdrawing_a_version_withdraws_the_demonstration(w) -> None:
    svc = w.svc
    v1 = w.in_state(State.SUPERSEDED)
    v2 = svc.get_submission(actor=w.ana, submission_id=v1.id)
    newer = [s for s in svc.my_submissions(actor=w.ana) if s.previous_id == v1.id][0]
    assert v2.info.state is State.SUPERSEDED
    result = svc.withdraw(actor=w.ana, submission_id=newer.id)
    assert set(result.submission_ids) == {v1.id, newer.id}
    assert {w.get(i).state for i in (v1.id, newer.id)} == {State.WITHDRAWN}
    assert list(svc.blobs.iter_blobs()) == []


def test_withdraw_everything_and_delete_the_account(w, tmp_path) -> None:
    svc = w.svc
    a = w.submit()
    b = w.in_state(State.APPROVED)
    c = w.submit(w.bob)
    svc.set_payee(actor=w.ana, legal_name="Ana Example", payment_details="IBAN XX00 1234")
    out = svc.download_my_data(actor=w.ana, out_dir=tmp_path / "before")
    subs = json.loads((out / "submissions.json").read_text())
    assert [s["id"] for s in subs] == [a.id, b.id]
    assert json.loads((out / "payee.json").read_text())["legal_name"] == "Ana Example"
    assert (out / "submissions" / str(a.id) / "video.mp4").is_file()
    assert (out / "terms" / "1.txt").read_text() == svc.get_terms().text
    assert len(json.loads((out / "consent_records.json").read_text())) == 2
    account = json.loads((out / "account.json").read_text())
    assert account["pseudonym"] == w.ana.pseudonym and "hash" not in json.dumps(
        {k: v for k, v in account.items() if k != "passphrase"})
    with pytest.raises(Conflict):
        svc.download_my_data(actor=w.ana, out_dir=out)  # never writes into a full folder
    # A file that cannot be read half-way: nothing is left that looks like a download.
    from annotator.workflow.mydata import write_my_data

    def broken(_sid, _path, _sha):
        raise OSError("the disk went away")

    with pytest.raises(OSError):
        write_my_data(tmp_path / "half", svc.my_data(actor=w.ana), broken)
    assert not (tmp_path / "half").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".half")]

    result = svc.withdraw_everything(actor=w.ana, delete_account=True)
    assert set(result.submission_ids) == {a.id, b.id} and result.account_deleted
    assert blob_hashes(w, c.id) == set(svc.blobs.iter_blobs())  # bob's content stays
    with pytest.raises(AuthenticationFailed):
        svc.sign_in(name="ana", passphrase="whatever it was")
    with pytest.raises(AuthenticationFailed):
        svc.my_submissions(actor=w.ana)
    with svc.store.read() as s:
        user = s.execute(sa.select(m.User).where(m.User.pseudonym == w.ana.pseudonym)).scalar_one()
        assert (user.name, user.passphrase_hash) == (None, None) and user.deleted_at
        assert s.get(m.Payee, user.id) is None
        assert {t.cause for t in s.execute(sa.select(m.Tombstone)).scalars()} == {
            "account_deleted"}
    # The name can be given to someone new.
    svc.invite_user(actor=w.admin, name="ana", role="contributor")


def test_the_last_admin_cannot_delete_their_account(w) -> None:
    svc = w.svc
    svc.withdraw_everything(actor=w.admin2, delete_account=True)
    with pytest.raises(Conflict, match="last active admin"):
        svc.withdraw_everything(actor=w.admin, delete_account=True)


def test_deleted_reviewer_claims_go_back_to_the_queue(w) -> None:
    svc = w.svc
    sub = w.submit()
    svc.claim(actor=w.rev, submission_id=sub.id)
    svc.withdraw_everything(actor=w.rev, delete_account=True)
    assert w.get(sub.id).state is State.SUBMITTED
    assert svc.claim_next(actor=w.rita).id == sub.id
