"""Accounts and terms and tasks, on both faces."""

from __future__ import annotations

import datetime as dt

from annotator.workflow.contract import Invitation, TaskInfo, TermsInfo, UserInfo
from annotator.workflow.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from annotator.workflow.states import Role
from tests.contract.cases import case, fails


@case("now")
def test_now(face):
    t = face.as_(face.ana).now()
    assert t.tzinfo is not None and abs(t - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)


@case("sign_in")
@case("sign_in", AuthenticationFailed)
def test_sign_in(face):
    u = face.new_user()
    name = u.name
    again = face.make_client().sign_in(name=name, passphrase=face.passphrases[name])
    assert (again.user_id, again.pseudonym, again.role) == (u.user_id, u.pseudonym,
                                                             Role.CONTRIBUTOR)
    fails(AuthenticationFailed, face.make_client().sign_in, name=name, passphrase="wrong one!")


@case("change_passphrase", AuthenticationFailed, InvalidInput)
def test_change_passphrase(face):
    u = face.new_user()
    name = u.name
    svc, old = face.as_(u), face.passphrases[name]
    fails(AuthenticationFailed, svc.change_passphrase, actor=u, current="not it at all",
          new="a new passphrase here")
    fails(InvalidInput, svc.change_passphrase, actor=u, current=old, new=old)
    a = svc.change_passphrase(actor=u, current=old, new="a new passphrase here")
    assert a.user_id == u.user_id and not a.must_change_passphrase
    assert face.make_client().sign_in(name=name, passphrase="a new passphrase here").user_id \
        == u.user_id


@case("invite_user", PermissionDenied, InvalidInput, Conflict)
def test_invite_user(face):
    svc, name = face.as_(face.admin), face.unique("inv")
    inv = svc.invite_user(actor=face.admin, name=name, role="reviewer",
                          passphrase="chosen by the admin")
    assert isinstance(inv, Invitation) and inv.passphrase == "chosen by the admin"
    assert (inv.user.name, inv.user.role, inv.user.must_change_passphrase) == \
        (name, "reviewer", True)
    assert face.make_client().sign_in(name=name, passphrase="chosen by the admin")
    fails(Conflict, svc.invite_user, actor=face.admin, name=name, role="reviewer")
    fails(InvalidInput, svc.invite_user, actor=face.admin, name=face.unique("x"), role="boss")
    fails(PermissionDenied, face.as_(face.rev).invite_user, actor=face.rev,
          name=face.unique("x"), role="contributor")


@case("reset_passphrase", PermissionDenied, NotFound)
def test_reset_passphrase(face):
    u = face.new_user()
    name = u.name
    svc = face.as_(face.admin)
    pw = svc.reset_passphrase(actor=face.admin, name=name)
    assert len(pw) >= 12
    assert face.make_client().sign_in(name=name, passphrase=pw).must_change_passphrase
    assert svc.reset_passphrase(actor=face.admin, name=name,
                                passphrase="given by the admin") == "given by the admin"
    assert face.make_client().sign_in(name=name, passphrase="given by the admin").user_id \
        == u.user_id
    fails(NotFound, svc.reset_passphrase, actor=face.admin, name=face.unique("nobody"))
    fails(PermissionDenied, face.as_(face.ana).reset_passphrase, actor=face.ana, name=name)


@case("set_role", PermissionDenied, NotFound, InvalidInput, Conflict)
def test_set_role(face):
    name = face.new_user().name
    svc = face.as_(face.admin)
    info = svc.set_role(actor=face.admin, name=name, role=Role.REVIEWER)
    assert isinstance(info, UserInfo) and info.role == "reviewer"
    fails(InvalidInput, svc.set_role, actor=face.admin, name=name, role="boss")
    fails(NotFound, svc.set_role, actor=face.admin, name=face.unique("nobody"), role="admin")
    fails(Conflict, svc.set_role, actor=face.admin, name=face.admin.name, role="reviewer")
    fails(PermissionDenied, face.as_(face.rev).set_role, actor=face.rev, name=name,
          role="admin")


@case("set_disabled", PermissionDenied, NotFound, Conflict)
def test_set_disabled(face):
    u = face.new_user()
    name = u.name
    svc = face.as_(face.admin)
    assert svc.set_disabled(actor=face.admin, name=name).disabled_at is not None
    fails(AuthenticationFailed, face.make_client().sign_in, name=name,
          passphrase=face.passphrases[name])
    assert svc.set_disabled(actor=face.admin, name=name, disabled=False).disabled_at is None
    assert face.make_client().sign_in(name=name, passphrase=face.passphrases[name]).user_id \
        == u.user_id
    fails(Conflict, svc.set_disabled, actor=face.admin, name=face.admin.name)
    fails(NotFound, svc.set_disabled, actor=face.admin, name=face.unique("nobody"))
    fails(PermissionDenied, face.as_(face.ana).set_disabled, actor=face.ana, name=name)


@case("list_users", PermissionDenied)
def test_list_users(face):
    users = face.as_(face.admin).list_users(actor=face.admin)
    assert all(isinstance(u, UserInfo) for u in users)
    names = {u.name for u in users}
    assert face.ana.name in names and face.rev.name in names
    assert isinstance(users[0].created_at, dt.datetime)
    fails(PermissionDenied, face.as_(face.rev).list_users, actor=face.rev)


@case("set_payee", PermissionDenied, NotFound, InvalidInput, AuthenticationFailed)
@case("get_payee", PermissionDenied, NotFound)
def test_payee(face):
    u = face.new_user()
    svc, mine_pw = face.as_(u), face.passphrases[u.name]
    assert svc.get_payee(actor=u) is None
    # Where money goes changes with the current passphrase, not a session alone.
    fails(AuthenticationFailed, svc.set_payee, actor=u, legal_name="Ana Example",
          payment_details="IBAN X", passphrase="not my passphrase")
    assert svc.set_payee(actor=u, legal_name="Ana Example", payment_details="IBAN X",
                         passphrase=mine_pw) is None
    mine = svc.get_payee(actor=u)
    assert (mine["pseudonym"], mine["legal_name"], mine["payment_details"]) == \
        (u.pseudonym, "Ana Example", "IBAN X")
    assert isinstance(mine["updated_at"], dt.datetime)
    admin, admin_pw = face.as_(face.admin), face.passphrases[face.admin.name]
    admin.set_payee(actor=face.admin, legal_name="Ana B. Example", payment_details="IBAN Y",
                    passphrase=admin_pw, name=u.name)
    theirs = admin.get_payee(actor=face.admin, name=u.name)
    assert (theirs["pseudonym"], theirs["legal_name"]) == (u.pseudonym, "Ana B. Example")
    fails(InvalidInput, svc.set_payee, actor=u, legal_name=" ", payment_details="IBAN X",
          passphrase=mine_pw)
    fails(NotFound, admin.get_payee, actor=face.admin, name=face.unique("nobody"))
    fails(NotFound, admin.set_payee, actor=face.admin, legal_name="A", payment_details="B",
          passphrase=admin_pw, name=face.unique("nobody"))
    fails(PermissionDenied, svc.get_payee, actor=u, name=face.ana.name)
    fails(PermissionDenied, svc.set_payee, actor=u, legal_name="A", payment_details="B",
          passphrase=mine_pw, name=face.ana.name)


# -- terms and tasks -------------------------------------------------------------------------------
@case("publish_terms", PermissionDenied, InvalidInput, Conflict)
@case("get_terms", NotFound)
@case("list_terms")
def test_terms(face):
    svc = face.as_(face.admin)
    version = face.unique("v")[:32]
    t = svc.publish_terms(actor=face.admin, version=version, text="Contract terms text.")
    assert isinstance(t, TermsInfo) and len(t.sha256) == 64
    assert face.as_(face.ana).get_terms(version=version) == t
    assert isinstance(face.as_(face.ana).get_terms(), TermsInfo)  # the latest
    assert t in face.as_(face.ana).list_terms()
    fails(Conflict, svc.publish_terms, actor=face.admin, version=version, text="Other text.")
    fails(InvalidInput, svc.publish_terms, actor=face.admin, version=face.unique("v"),
          text="  ")
    fails(PermissionDenied, face.as_(face.ana).publish_terms, actor=face.ana,
          version=face.unique("v"), text="Mine.")
    fails(NotFound, svc.get_terms, version=face.unique("never"))


@case("publish_task", PermissionDenied, InvalidInput)
@case("close_task", PermissionDenied, NotFound)
@case("list_tasks")
def test_tasks(face):
    svc = face.as_(face.admin)
    t = svc.publish_task(actor=face.admin, title="Contract task", goal="Do the thing",
                         applications=["gedit", " "], difficulty="easy", pay_cents=150)
    assert isinstance(t, TaskInfo)
    assert (t.title, t.applications, t.difficulty, t.pay_cents, t.closed_at) == \
        ("Contract task", ("gedit",), "easy", 150, None)
    assert t in face.as_(face.ana).list_tasks(actor=face.ana)
    closed = svc.close_task(actor=face.admin, task_id=t.id)
    assert closed.closed_at is not None
    assert t.id not in {x.id for x in face.as_(face.ana).list_tasks(actor=face.ana)}
    assert closed in face.as_(face.ana).list_tasks(actor=face.ana, include_closed=True)
    fails(InvalidInput, svc.publish_task, actor=face.admin, title="T", goal="G",
          applications=[], difficulty="brutal")
    fails(PermissionDenied, face.as_(face.ana).publish_task, actor=face.ana, title="T",
          goal="G", applications=[])
    fails(NotFound, svc.close_task, actor=face.admin, task_id=10**9)
    fails(PermissionDenied, face.as_(face.ana).close_task, actor=face.ana, task_id=t.id)
