"""Set-up, sign-in (Argon2id), invitations, resets, roles, payee details, terms, tasks."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from annotator.store import models as m
from annotator.workflow.auth import DEFAULT_HASHER, Passphrases
from annotator.workflow.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    SetupError,
)
from annotator.workflow.states import State
from annotator.workflow.terms import DEFAULT_TERMS_TEXT, terms_sha256


def test_setup_and_sign_in(svc) -> None:
    assert not svc.is_set_up()
    with pytest.raises(SetupError, match="no users"):
        svc.sign_in(name="admin", passphrase="whatever passphrase")
    admin = svc.setup_first_admin(name="admin", passphrase="admin passphrase")
    assert admin.role == "admin" and admin.pseudonym.startswith("a-")
    terms = svc.get_terms()
    assert (terms.version, terms.sha256) == ("1", terms_sha256(DEFAULT_TERMS_TEXT))
    with pytest.raises(SetupError, match="set up already"):
        svc.setup_first_admin(name="other", passphrase="admin passphrase")
    assert svc.sign_in(name="admin", passphrase="admin passphrase") == admin
    for name, pw in (("admin", "wrong passphrase"), ("nobody", "admin passphrase")):
        with pytest.raises(AuthenticationFailed) as ei:
            svc.sign_in(name=name, passphrase=pw)
        assert "wrong user name or passphrase" in ei.value.message
    with svc.store.read() as s:
        stored = s.execute(sa.select(m.User.passphrase_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and "admin passphrase" not in stored


def test_a_generated_first_admin_passphrase_must_be_changed(svc) -> None:
    """`server-up` shows the first admin's generated passphrase on a terminal: like any
    passphrase someone else saw, it must be replaced before anything else."""
    svc.setup_first_admin(name="admin", passphrase="shown on a terminal", must_change=True)
    actor = svc.sign_in(name="admin", passphrase="shown on a terminal")
    assert actor.must_change_passphrase
    svc.change_passphrase(actor=actor, current="shown on a terminal", new="the admin's own one")
    assert not svc.sign_in(name="admin", passphrase="the admin's own one").must_change_passphrase


def test_invite_reset_change_disable(world) -> None:
    svc, w = world.svc, world
    with pytest.raises(PermissionDenied):
        svc.invite_user(actor=w.rev, name="eve", role="admin")
    with pytest.raises(Conflict):
        svc.invite_user(actor=w.admin, name="ana", role="contributor")
    for bad in ("eve@example.com", "E", "-x", "a b", "x" * 40):
        with pytest.raises(InvalidInput):
            svc.invite_user(actor=w.admin, name=bad, role="contributor")
    with pytest.raises(InvalidInput):
        svc.invite_user(actor=w.admin, name="eve", role="owner")
    inv = svc.invite_user(actor=w.admin, name="eve", role="reviewer")
    eve = svc.sign_in(name="eve", passphrase=inv.passphrase)
    assert eve.must_change_passphrase and eve.role == "reviewer"
    with pytest.raises(AuthenticationFailed):
        svc.change_passphrase(actor=eve, current="not it at all", new="eve's own passphrase")
    eve = svc.change_passphrase(actor=eve, current=inv.passphrase, new="eve's own passphrase")
    assert not eve.must_change_passphrase
    assert svc.sign_in(name="eve", passphrase="eve's own passphrase") == eve
    with pytest.raises(InvalidInput):
        svc.change_passphrase(actor=eve, current="eve's own passphrase", new="short")
    new = svc.reset_passphrase(actor=w.admin, name="eve")
    with pytest.raises(AuthenticationFailed):
        svc.sign_in(name="eve", passphrase="eve's own passphrase")
    assert svc.sign_in(name="eve", passphrase=new).must_change_passphrase
    with pytest.raises(NotFound):
        svc.reset_passphrase(actor=w.admin, name="nobody")
    svc.set_disabled(actor=w.admin, name="eve")
    with pytest.raises(AuthenticationFailed):
        svc.sign_in(name="eve", passphrase=new)
    with pytest.raises(Conflict):
        svc.set_disabled(actor=w.admin, name="admin")
    names = [u.name for u in svc.list_users(actor=w.admin)]
    assert names == ["admin", "ana", "bob", "rev", "rita", "admin2", "eve"]
    with pytest.raises(PermissionDenied):
        svc.list_users(actor=w.ana)


def test_no_email_or_host_in_user_rows(world) -> None:
    with world.svc.store.read() as s:
        for u in s.execute(sa.select(m.User)).scalars():
            assert "@" not in (u.name or "") and "@" not in u.pseudonym


def test_payee_details_are_kept_apart(world) -> None:
    svc, w = world.svc, world
    svc.set_payee(actor=w.ana, legal_name="Ana Example", payment_details="IBAN XX00")
    assert svc.get_payee(actor=w.ana)["legal_name"] == "Ana Example"
    assert svc.get_payee(actor=w.admin, name="ana")["payment_details"] == "IBAN XX00"
    with pytest.raises(PermissionDenied):
        svc.get_payee(actor=w.bob, name="ana")
    with pytest.raises(PermissionDenied):
        svc.set_payee(actor=w.bob, name="ana", legal_name="x", payment_details="y")


def test_terms_and_tasks(world) -> None:
    svc, w = world.svc, world
    with pytest.raises(PermissionDenied):
        svc.publish_terms(actor=w.rev, version="2", text="new terms")
    t2 = svc.publish_terms(actor=w.admin, version="2", text="Version two of the terms.")
    assert svc.get_terms().version == "2" and svc.get_terms(version="1").version == "1"
    assert t2.sha256 == terms_sha256("Version two of the terms.")
    with pytest.raises(Conflict, match="never changes"):
        svc.publish_terms(actor=w.admin, version="2", text="changed")
    with pytest.raises(NotFound):
        svc.get_terms(version="9")
    assert [t.version for t in svc.list_terms()] == ["1", "2"]
    task = svc.publish_task(actor=w.admin, title="Calc", goal="Sum a column",
                            applications=["LibreOffice Calc", " "], difficulty="hard",
                            pay_cents=250)
    assert task.applications == ("LibreOffice Calc",)
    assert [t.id for t in svc.list_tasks(actor=w.ana)] == [task.id]
    with pytest.raises(InvalidInput):
        svc.publish_task(actor=w.admin, title="x", goal="y", applications=[],
                         difficulty="extreme")
    with pytest.raises(PermissionDenied):
        svc.publish_task(actor=w.ana, title="x", goal="y", applications=[])
    svc.close_task(actor=w.admin, task_id=task.id)
    assert svc.list_tasks(actor=w.ana) == []
    assert len(svc.list_tasks(actor=w.ana, include_closed=True)) == 1


def test_default_hasher_is_owasp_argon2id() -> None:
    digest = Passphrases(DEFAULT_HASHER).hash("a passphrase")
    assert digest.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_role_changes(world) -> None:
    svc, w = world.svc, world
    held = w.in_state(State.IN_REVIEW)  # claimed by rev
    assert svc.get_submission(actor=w.rev, submission_id=held.id).info.claimed_by
    with pytest.raises(PermissionDenied):  # only admins change roles
        svc.set_role(actor=w.rev, name="ana", role="reviewer")
    with pytest.raises(InvalidInput, match="not a role"):
        svc.set_role(actor=w.admin, name="ana", role="owner")
    with pytest.raises(NotFound):
        svc.set_role(actor=w.admin, name="nobody", role="reviewer")
    with pytest.raises(Conflict, match="your own role"):
        svc.set_role(actor=w.admin, name="admin", role="reviewer")

    # A contributor becomes a reviewer: at once able to claim (not their own work).
    waiting = w.submit(w.ana)
    assert svc.set_role(actor=w.admin, name="bob", role="reviewer").role == "reviewer"
    got = svc.claim_next(actor=w.bob)
    assert got is not None and got.id == waiting.id

    # A reviewer becomes a contributor: their claims go back to the queue, logged.
    assert svc.set_role(actor=w.admin, name="rev", role="contributor").role == "contributor"
    back = svc.get_submission(actor=w.admin, submission_id=held.id)
    assert back.info.state is State.SUBMITTED and back.info.claimed_by is None
    assert back.history[-1].action == "release"
    assert "became a contributor" in back.history[-1].reason
    with pytest.raises(PermissionDenied):
        svc.claim_next(actor=w.rev)

    # An admin made a reviewer loses the admin's powers at once.
    svc.set_role(actor=w.admin, name="admin2", role="reviewer")
    with pytest.raises(PermissionDenied):
        svc.set_role(actor=w.admin2, name="admin", role="reviewer")
    assert [u.role for u in svc.list_users(actor=w.admin) if u.name == "admin2"] == ["reviewer"]
