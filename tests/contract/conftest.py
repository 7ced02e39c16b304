"""The two faces of the workflow contract, each set up once per test session.

``local``: ``Services`` on a fresh SQLite store (a copy of the migrated template).
``remote``: ``RemoteServices`` against the session's team server (``tests/teamsetup.py``:
PostgreSQL, SeaweedFS, Redis, the API under Uvicorn, a verification worker).  On the
server, who acts is the access token, so each user of the cast has its own client.

Each face has the same cast, invited and signed in through the face itself: an admin, two
contributors, two reviewers (names unique per session: the team server is shared with the
other server tests)."""

from __future__ import annotations

import itertools
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from annotator.remote.client import RemoteServices
from annotator.store import LocalBlobStore, open_store
from annotator.workflow.auth import Passphrases
from annotator.workflow.contract import Actor, SubmissionInfo, WorkflowServices
from annotator.workflow.service import Services
from tests.store.db_fixtures import FAST_HASHER, sqlite_template
from tests.workflow.helpers import make_package

FACES = ["local", "remote"]


@dataclass
class Face:
    name: str
    tmp: Path
    admin: Actor
    clients: dict[int, Any]  # by user id: who acts (a face's WorkflowServices)
    make_client: Any  # () -> WorkflowServices, signed in as nobody
    passphrases: dict[str, str] = field(default_factory=dict)  # by name
    people: dict[str, Actor] = field(default_factory=dict)
    _n: itertools.count = field(default_factory=lambda: itertools.count(1))

    def as_(self, actor: Actor) -> WorkflowServices:
        return self.clients[actor.user_id]

    def __getattr__(self, role: str) -> Actor:
        people = self.__dict__.get("people", {})
        if role in people:
            return people[role]
        raise AttributeError(role)

    def unique(self, stem: str) -> str:
        return f"{stem}{next(self._n)}{secrets.token_hex(3)}"

    def new_user(self, role: str = "contributor") -> Actor:
        """A fresh user, invited by the admin and signed in through this face."""
        name = self.unique(role[:3])
        inv = self.as_(self.admin).invite_user(actor=self.admin, name=name, role=role)
        client = self.make_client()
        first = client.sign_in(name=name, passphrase=inv.passphrase)
        # As the app does at a first sign-in (the team server allows nothing else before).
        mine = f"{name} own passphrase"
        actor = client.change_passphrase(actor=first, current=inv.passphrase, new=mine)
        self.clients[actor.user_id] = client
        self.passphrases[name] = mine
        return actor

    def package(self, who: Actor, **kw: Any) -> Path:
        n = next(self._n)
        svc = self.as_(self.admin)
        return make_package(self.tmp / f"pkg{n}", contributor=who.pseudonym, svc=svc,
                            seed=f"{self.name}{n}-{secrets.token_hex(4)}", **kw)

    def submit(self, who: Actor, *, submit: bool = True, **kw: Any) -> SubmissionInfo:
        return self.as_(who).ingest_package(actor=who, folder=self.package(who, **kw),
                                            submit=submit)

    def claimed(self, who: Actor | None = None) -> SubmissionInfo:
        """A submission of ``who`` (default ana) claimed by rev."""
        sub = self.submit(who or self.ana)
        return self.as_(self.rev).claim(actor=self.rev, submission_id=sub.id)


def _cast(face: Face) -> Face:
    for key, role in (("ana", "contributor"), ("bob", "contributor"), ("rev", "reviewer"),
                      ("rita", "reviewer"), ("admin2", "admin")):
        face.people[key] = face.new_user(role)
    return face


@pytest.fixture(scope="session")
def local_face(tmp_path_factory) -> Face:
    root = tmp_path_factory.mktemp("contract-local")
    db = root / "store.db"
    shutil.copy(sqlite_template(tmp_path_factory.getbasetemp()), db)
    store = open_store(workspace_root=root, database_url=f"sqlite:///{db}",
                       blobs=LocalBlobStore(root / "blobs", durable=False), migrate="check")
    svc = Services(store, passphrases=Passphrases(FAST_HASHER))
    admin = svc.setup_first_admin(name="admin", passphrase="admin passphrase")
    face = Face("local", root, admin, {admin.user_id: svc}, lambda: svc)
    face.passphrases["admin"] = "admin passphrase"
    yield _cast(face)
    store.dispose()


@pytest.fixture(scope="session")
def remote_face(team, tmp_path_factory) -> Face:
    root = tmp_path_factory.mktemp("contract-remote")
    outboxes = itertools.count(1)

    def make_client() -> RemoteServices:
        return RemoteServices(team.url, outbox=root / f"outbox{next(outboxes)}")

    boss = RemoteServices(team.url, token=team.admin_token)
    name = f"cadmin{secrets.token_hex(3)}"
    inv = boss.invite_user(name=name, role="admin")
    client = make_client()
    first = client.sign_in(name=name, passphrase=inv.passphrase)
    # An invited user must change the passphrase at the first sign-in.
    admin = client.change_passphrase(actor=first, current=inv.passphrase,
                                     new="contract admin passphrase")
    boss.close()
    face = Face("remote", root, admin, {admin.user_id: client}, make_client)
    face.passphrases[name] = "contract admin passphrase"
    yield _cast(face)
    for c in {id(c): c for c in face.clients.values()}.values():
        c.close()


@pytest.fixture(params=FACES)
def face(request) -> Face:
    return request.getfixturevalue(f"{request.param}_face")
