"""Test helpers: a populated store (an admin, contributors, reviewers) and package folders."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from annotator.workflow import package as P
from annotator.workflow.contract import WorkflowServices
from annotator.workflow.service import Actor, CommentIn, Services, SubmissionInfo
from annotator.workflow.states import State

SUMMARY = {"duration_us": 90_000_000, "steps": 4, "redactions": 2,
           "typed_text_included": True, "window_titles_included": False,
           "leak_check": "passed"}


def make_package(folder: Path, *, contributor: str, svc: WorkflowServices, seed: str = "a",
                 goal: str = "Rename the report to final.txt", task_id: int | None = None,
                 shared: bytes | None = None, steps: int = 4, consent: dict | None = None,
                 summary: dict | None = None) -> Path:
    """A small but complete package: video, two frames, a thumbnail, steps, task, redactions.

    ``seed`` makes the content unique; ``shared`` adds a file with those exact bytes (to test
    blobs shared between submissions)."""
    folder.mkdir(parents=True)
    (folder / "frames").mkdir()
    (folder / "thumbs").mkdir()
    (folder / "video.mp4").write_bytes(b"\x00\x00\x00\x18ftypisom" + os.urandom(4096)
                                       + seed.encode())
    for i in range(2):
        (folder / "frames" / f"{i:04d}.png").write_bytes(b"\x89PNG\r\n" + os.urandom(512))
    (folder / "thumbs" / "0000.jpg").write_bytes(b"\xff\xd8" + os.urandom(128))
    (folder / "steps.json").write_text(json.dumps(
        {"format": "annotator-steps", "steps": [{"index": i} for i in range(steps)],
         "seed": seed}))
    (folder / "task.json").write_text(json.dumps({"goal": goal, "labels": []}))
    (folder / "redactions.json").write_text(json.dumps(
        {"keyed_hashes": ["ab" * 32], "allow_list": [], "seed": seed}))
    if shared is not None:
        (folder / "frames" / "shared.png").write_bytes(shared)
    s = dict(SUMMARY, steps=steps)
    s.update(summary or {})
    sha = P.write_manifest(folder, goal=goal, outcome="success", summary=s, task_id=task_id)
    terms = svc.get_terms()
    record = P.consent_record(contributor=contributor, terms_version=terms.version,
                              terms_sha256=terms.sha256, manifest_sha256=sha,
                              method="test: explicit 'I consent' for this demonstration",
                              given=svc.now())
    record.update(consent or {})
    P.write_consent(folder, record)
    return folder


@dataclass
class World:
    svc: Services
    tmp: Path
    admin: Actor
    ana: Actor  # contributor
    bob: Actor  # contributor
    rev: Actor  # reviewer
    rita: Actor  # reviewer
    admin2: Actor
    _n: list[int] = field(default_factory=lambda: [0])
    passphrases: dict[str, str] = field(default_factory=dict)  # {name: passphrase}

    def package(self, who: Actor | None = None, **kw: Any) -> Path:
        self._n[0] += 1
        who = who or self.ana
        kw.setdefault("seed", f"s{self._n[0]}")
        return make_package(self.tmp / f"pkg{self._n[0]}", contributor=who.pseudonym,
                            svc=self.svc, **kw)

    def submit(self, who: Actor | None = None, *, submit: bool = True, **kw: Any
               ) -> SubmissionInfo:
        who = who or self.ana
        return self.svc.ingest_package(actor=who, folder=self.package(who, **kw), submit=submit)

    def in_state(self, state: State, who: Actor | None = None) -> SubmissionInfo:
        """A submission of ``who`` (default ana) brought to ``state`` through the services;
        reviews are by ``rev``."""
        svc, rev = self.svc, self.rev
        if state is State.DRAFT:
            return self.submit(who, submit=False)
        sub = self.submit(who)
        if state is State.SUBMITTED:
            return sub
        if state is State.WITHDRAWN:
            svc.withdraw(actor=who or self.ana, submission_id=sub.id)
            return self.get(sub.id)
        svc.claim(actor=rev, submission_id=sub.id)
        if state is State.IN_REVIEW:
            return self.get(sub.id)
        if state is State.APPROVED:
            return svc.approve(actor=rev, submission_id=sub.id, quality=4)
        if state is State.REJECTED:
            return svc.reject(actor=rev, submission_id=sub.id, reason="off task")
        svc.request_changes(actor=rev, submission_id=sub.id,
                            comments=[CommentIn("step 2 label is wrong", step_index=1)])
        if state is State.CHANGES_REQUESTED:
            return self.get(sub.id)
        assert state is State.SUPERSEDED
        svc.ingest_package(actor=who or self.ana, folder=self.package(who),
                           previous_id=sub.id)
        return self.get(sub.id)

    def get(self, sid: int) -> SubmissionInfo:
        return self.svc.get_submission(actor=self.admin, submission_id=sid).info


def build_world(svc: Services, tmp: Path) -> World:
    admin = svc.setup_first_admin(name="admin", passphrase="admin passphrase")
    passphrases = {"admin": "admin passphrase"}

    def invite(name: str, role: str) -> Actor:
        inv = svc.invite_user(actor=admin, name=name, role=role)
        passphrases[name] = inv.passphrase
        return svc.sign_in(name=name, passphrase=inv.passphrase)

    return World(svc, tmp, admin, invite("ana", "contributor"), invite("bob", "contributor"),
                 invite("rev", "reviewer"), invite("rita", "reviewer"), invite("admin2", "admin"),
                 passphrases=passphrases)


@pytest.fixture
def world(svc: Services, tmp_path: Path) -> World:
    return build_world(svc, tmp_path)
