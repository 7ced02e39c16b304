"""A workspace store holding real submissions to export.

Packages follow annotator/submission/builder.py's layout and steps.json writer exactly
(format ``annotator-package-steps``: per-step ``type``, coordinates in rendered-frame pixels,
masked text, ``instruction``/``thought`` labels, flags, ``target``, ``observation.frame``),
with lossless frames rendered from Qt application screens; they go through the real
``Services.ingest_package``, ``claim`` and ``approve``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from annotator.store import LocalBlobStore, open_store  # noqa: E402
from annotator.store.db import create_engine, resolve_url, store_dir, upgrade  # noqa: E402
from annotator.submission.render import keyed_hash  # noqa: E402
from annotator.workflow import package as P  # noqa: E402
from annotator.workflow.auth import Passphrases  # noqa: E402
from annotator.workflow.service import Actor, Services  # noqa: E402
from tests.export.screens import png_bytes, render_screens, unique_frame  # noqa: E402
from tests.mediafiles import jpeg_bytes, write_video  # noqa: E402
from tests.store.db_fixtures import FAST_HASHER, Clock  # noqa: E402

W, H = 640, 400
KEY = bytes(range(32))  # the contributors' workspace key in these tests
REDACTED = "Jane Q. Contributor"  # a string the contributor redacted: only its hash travels
ALLOWED_EMAIL = "support@example.com"  # accepted by the contributor as not sensitive
_SCREENS: list[Any] = []


def screens() -> list[Any]:
    if not _SCREENS:
        _SCREENS.extend(render_screens(4, W, H))
    return _SCREENS


def steps_for(seed: int) -> list[dict[str, Any]]:
    """A realistic episode in the builder's steps.json form (before frame paths)."""
    s = seed
    return [
        dict(type="click", x=120 + s, y=88, button="left", keys=None,
             target={"source": "atspi", "role": 43, "role_name": "push button", "name": "Open",
                     "box": [100 + s, 75, 60, 26], "app": "editor", "toolkit": "Qt",
                     "window_title": "report.txt - Editor"},
             instruction="Click the Open button", thought="I need to open the report first."),
        dict(type="type", x=None, y=None, text=f"quarterly report {s}", keys=None,
             instruction="Type the file name", thought="The dialog asks for a name."),
        dict(type="hotkey", keys=["ctrl", "s"], instruction="Save with Ctrl+S",
             thought="Saving keeps the change."),
        dict(type="scroll", x=600, y=300, scroll_dx=0, scroll_dy=3,
             instruction="Scroll the table down", thought="The row is further down."),
        dict(type="drag", x=200, y=200, button="left",
             path=[{"x": 200, "y": 200, "t_us": 0}, {"x": 260, "y": 230, "t_us": 0},
                   {"x": 330, "y": 260, "t_us": 0}],
             instruction="Drag the file into the folder", thought=None),
        dict(type="key", keys=["down"], repeat=3, instruction="Move down three rows",
             thought=None),
        dict(type="double_click", x=600, y=150, button="left",
             instruction="Open the row", thought="Double-clicking opens it."),
        dict(type="right_click", x=300, y=360, button="right", instruction="Open the menu",
             thought=None),
        dict(type="type", text=f"Contact {ALLOWED_EMAIL} <redacted>", text_masked=True,
             instruction="Write the note", thought=None),
        dict(type="triple_click", x=500, y=333, button="left", instruction="Select the line",
             thought=None),
        dict(type="wait", duration_us=2_000_000, instruction="Wait for the save",
             thought=None),
        dict(type="terminate", terminal_status="success", instruction="Done", thought=None),
    ]


def write_package(folder: Path, *, svc: Services, contributor: Actor, seed: int,
                  frame_no: list[int], goal: str, tags: list[str],
                  applications: list[str], n_steps: int | None = None,
                  edit: Any = None, recipes: list[dict[str, Any]] | None = None,
                  outcome: str = "success", difficulty: Any = "by seed") -> Path:
    folder.mkdir(parents=True)
    (folder / "frames").mkdir()
    (folder / "thumbs").mkdir()
    raws = (recipes if recipes is not None else steps_for(seed))[: n_steps or None]
    steps = []
    pictures = []  # the video: each step's picture from its observation time on
    t = 1_000_000
    for n, raw in enumerate(raws):
        img = unique_frame(screens()[(seed + n) % len(screens())], frame_no[0])
        frame_no[0] += 1
        (folder / "frames" / f"{n:04d}.png").write_bytes(png_bytes(img))
        (folder / "thumbs" / f"{n:04d}.jpg").write_bytes(jpeg_bytes(img))
        pictures.append((0 if n == 0 else t - 400_000, img))
        step = {"index": n, "id": f"s{seed}-{n}", "type": raw["type"], "t_start_us": t,
                "t_end_us": t + 150_000, "x": None, "y": None, "button": None, "path": None,
                "scroll_dx": None, "scroll_dy": None, "text": None, "text_masked": False,
                "keys": None, "keys_masked": False, "repeat": 1, "duration_us": None,
                "terminal_status": None, "window_title": "report.txt - Editor",
                "window_app": "editor", "target": None, "instruction": None, "thought": None,
                "mistake": False, "redundant": False, "flags": [], "merged_from": None,
                "split_of": None,
                "observation": {"frame": f"frames/{n:04d}.png",
                                "thumbnail": f"thumbs/{n:04d}.jpg", "t_us": t - 400_000}}
        step.update(raw)
        if step["path"]:
            step["path"] = [dict(p, t_us=t + 50_000 * i) for i, p in enumerate(step["path"])]
        steps.append(step)
        t += 2_500_000
    if edit is not None:
        edit(steps)
    # A real H.264 video of the pictures (the team server measures it).
    write_video(folder / "video.mp4", pictures, t)
    (folder / "steps.json").write_text(json.dumps({
        "format": "annotator-package-steps", "format_version": 1,
        "frame": {"width": W, "height": H}, "duration_us": t, "placeholder": "<redacted>",
        "steps": steps}, indent=2, sort_keys=True))
    (folder / "task.json").write_text(json.dumps({
        "format": "annotator-task", "format_version": 1, "task_id": None, "goal": goal,
        "outcome": outcome, "applications": applications, "tags": tags,
        "difficulty": 2 + seed % 3 if difficulty == "by seed" else difficulty}))
    (folder / "redactions.json").write_text(json.dumps({
        "format": "annotator-redactions", "format_version": 1,
        "keyed_hashes": {"algorithm": "HMAC-SHA256", "normalization": "strip, casefold, UTF-8",
                         "key_id": key_id(KEY), "hashes": [keyed_hash(KEY, REDACTED)]},
        "counts": {"box": 1, "text": 1}, "boxes": [],
        "allow_list": [{"text": ALLOWED_EMAIL, "detector": "email"}],
        "leak_check": {"status": "passed"}}))
    summary = {"duration_us": t, "steps": len(steps), "redactions": 2,
               "typed_text_included": True, "window_titles_included": True,
               "leak_check": "passed"}
    sha = P.write_manifest(folder, goal=goal, outcome=outcome, summary=summary)
    terms = svc.get_terms()
    P.write_consent(folder, P.consent_record(
        contributor=contributor.pseudonym, terms_version=terms.version,
        terms_sha256=terms.sha256, manifest_sha256=sha,
        method="test: explicit 'I consent' for this demonstration", given=svc.now()))
    return folder


def key_id(key: bytes) -> str:
    import hashlib
    import hmac

    return hmac.new(key, b"annotator key id", hashlib.sha256).hexdigest()[:16]


@dataclass
class ExportWorld:
    root: Path
    svc: Services
    clock: Clock
    admin: Actor
    rev: Actor
    contributors: list[Actor]
    approved: list[int] = field(default_factory=list)  # submission ids
    others: list[int] = field(default_factory=list)  # not approved
    steps_of: dict[int, int] = field(default_factory=dict)

    @property
    def store(self):
        return self.svc.store


def open_world_store(root: Path, clock: Clock):
    # The workspace's own layout (store/annotator.db, store/blobs), so the CLI finds it.
    store = open_store(workspace_root=root,
                       blobs=LocalBlobStore(store_dir(root) / "blobs", durable=False),
                       migrate="check")
    return store, Services(store, clock=clock, passphrases=Passphrases(FAST_HASHER))


def new_world(root: Path, contributors: list[str]) -> ExportWorld:
    """An empty workspace store with an admin ("admin passphrase"), a reviewer and these
    contributors, on a clock at 2026-03-10 12:00 UTC."""
    root.mkdir(parents=True, exist_ok=True)
    engine = create_engine(resolve_url(None, root))
    upgrade(engine)
    engine.dispose()
    clock = Clock(dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC))
    _store, svc = open_world_store(root, clock)
    admin = svc.setup_first_admin(name="admin", passphrase="admin passphrase")

    def invite(name: str, role: str) -> Actor:
        inv = svc.invite_user(actor=admin, name=name, role=role)
        return svc.sign_in(name=name, passphrase=inv.passphrase)

    rev = invite("rev", "reviewer")
    return ExportWorld(root, svc, clock, admin, rev,
                       [invite(n, "contributor") for n in contributors])


def build_world(root: Path, *, episodes_per_contributor: int = 2,
                contributors: int = 3) -> ExportWorld:
    world = new_world(root, ["ana", "bob", "cat", "dan", "eve"][:contributors])
    svc, clock, rev, people = world.svc, world.clock, world.rev, world.contributors
    frame_no = [0]
    n = 0
    apps = [["firefox"], ["libreoffice-calc"], ["gedit", "nautilus"]]
    for who in people:
        for k in range(episodes_per_contributor):
            n += 1
            pkg = write_package(root / "packages" / f"p{n}", svc=svc, contributor=who, seed=n,
                                frame_no=frame_no, goal=f"Save the quarterly report #{n}",
                                tags=["office", "draft" if k else "final"],
                                applications=apps[n % 3])
            info = svc.ingest_package(actor=who, folder=pkg)
            clock.advance(minutes=5)
            svc.claim(actor=rev, submission_id=info.id)
            svc.approve(actor=rev, submission_id=info.id, quality=3 + (n % 3))
            world.approved.append(info.id)
            world.steps_of[info.id] = len(steps_for(n))
            clock.advance(hours=1)
    # Not exportable: one waiting for review, one rejected.
    n += 1
    pkg = write_package(root / "packages" / f"p{n}", svc=svc, contributor=people[0], seed=n,
                        frame_no=frame_no, goal="Waiting", tags=[], applications=[],
                        n_steps=3)
    world.others.append(svc.ingest_package(actor=people[0], folder=pkg).id)
    n += 1
    pkg = write_package(root / "packages" / f"p{n}", svc=svc, contributor=people[1], seed=n,
                        frame_no=frame_no, goal="Rejected", tags=[], applications=[],
                        n_steps=3)
    info = svc.ingest_package(actor=people[1], folder=pkg)
    svc.claim(actor=rev, submission_id=info.id)
    svc.reject(actor=rev, submission_id=info.id, reason="off task")
    world.others.append(info.id)
    shutil.rmtree(root / "packages")
    return world


def copy_world(src: ExportWorld, dst: Path) -> ExportWorld:
    """An independent copy (database and blobs) to change in one test."""
    src.svc.store.dispose()
    shutil.copytree(src.root, dst)
    clock = Clock(src.clock.t)
    _store, svc = open_world_store(dst, clock)
    return ExportWorld(dst, svc, clock, src.admin, src.rev, src.contributors,
                       list(src.approved), list(src.others), dict(src.steps_of))


def tree(folder: Path) -> dict[str, bytes]:
    """Every file of an export, by its path inside it."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_same_export(a: dict[str, bytes], b: dict[str, bytes]) -> None:
    """Two exports (``tree``s) hold the same files with the same bytes; only the manifest's
    creation time may differ."""
    assert set(a) == set(b)
    for name in a:
        if name == "manifest.json":
            ma, mb = json.loads(a[name]), json.loads(b[name])
            assert ma.pop("created_utc") and mb.pop("created_utc")
            assert ma == mb
        else:
            assert a[name] == b[name], name
