"""Test helpers: a populated store (an admin, contributors, reviewers) and package folders."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from annotator.workflow import package as P
from annotator.workflow.contract import WorkflowServices
from annotator.workflow.errors import NotFound
from annotator.workflow.service import Actor, CommentIn, Services, SubmissionInfo
from annotator.workflow.states import State

SUMMARY = {"duration_us": 90_000_000, "steps": 4, "redactions": 2,
           "typed_text_included": True, "window_titles_included": False,
           "leak_check": "passed"}


def make_package(folder: Path, *, contributor: str, svc: WorkflowServices, seed: str = "a",
                 goal: str = "Rename the report to final.txt", task_id: int | None = None,
                 shared: bytes | None = None, steps: int = 4, consent: dict | None = None,
                 summary: dict | None = None, size: tuple[int, int] = (160, 96),
                 noise_frames: int = 0, clock_hz: int = 1_000_000,
                 redactions: dict | None = None) -> Path:
    """A small but complete package in the renderer's forms (tests/mediafiles.py): an H.264
    video lasting the summary's duration with one picture per step, a PNG frame and a JPEG
    thumbnail per step, steps.json as the builder writes it, task and redactions.

    ``seed`` makes the content unique; ``shared`` adds a file with those exact bytes (to test
    blobs shared between submissions: a local store takes it, the team server's verification
    refuses a frame no step shows); ``noise_frames`` adds that many pictures of noise,
    encoded losslessly, at the end of the video (about 1.5 bytes per pixel each: big
    packages of real content); ``clock_hz`` is the video's clock (coarser than the
    renderer's microseconds, a picture may stay for hours); ``redactions`` adds fields to
    redactions.json."""
    from tests.mediafiles import jpeg_bytes, noise, png_bytes, screen, write_video

    folder.mkdir(parents=True)
    (folder / "frames").mkdir()
    (folder / "thumbs").mkdir()
    s = dict(SUMMARY, steps=steps)
    s.update(summary or {})
    n = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")
    w, h = size
    duration = int(s["duration_us"])
    gap = duration // max(1, steps + 1)
    pictures, doc = [], []
    for i in range(steps):
        t = gap * i
        rgb = screen(w, h, n, i)
        pictures.append((t, rgb))
        (folder / "frames" / f"{i:04d}.png").write_bytes(png_bytes(rgb))
        (folder / "thumbs" / f"{i:04d}.jpg").write_bytes(jpeg_bytes(rgb))
        doc.append({"index": i, "id": f"{seed}-{i}", "type": "click", "t_start_us": t + 100_000,
                    "t_end_us": t + 250_000, "x": w // 2, "y": h // 2, "button": "left",
                    "observation": {"frame": f"frames/{i:04d}.png",
                                    "thumbnail": f"thumbs/{i:04d}.jpg", "t_us": t}})
    if not pictures:
        pictures.append((0, screen(w, h, n, 0)))
    last = pictures[-1][0]
    for k in range(noise_frames):
        pictures.append((last + 1000 * (k + 1), noise(w, h, n, k)))
    write_video(folder / "video.mp4", pictures, duration, lossless=noise_frames > 0,
                clock_hz=clock_hz)
    (folder / "steps.json").write_text(json.dumps(
        {"format": "annotator-package-steps", "format_version": 1,
         "frame": {"width": w, "height": h}, "duration_us": duration,
         "placeholder": "<redacted>", "steps": doc, "seed": seed}))
    (folder / "task.json").write_text(json.dumps({"goal": goal, "labels": []}))
    (folder / "redactions.json").write_text(json.dumps(
        {"keyed_hashes": ["ab" * 32], "allow_list": [], "seed": seed, **(redactions or {})}))
    if shared is not None:
        (folder / "frames" / "shared.png").write_bytes(shared)
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
        """As its admin sees it, or (a draft: the author's alone) as its author does."""
        for who in (self.admin, self.ana, self.bob):
            try:
                return self.svc.get_submission(actor=who, submission_id=sid).info
            except NotFound:
                continue
        raise NotFound(f"no submission #{sid}")


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
