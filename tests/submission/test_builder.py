"""The submission package, from a real recording to the store: checklist, prepare, consent,
ingest, review, retention; the typed secret is nowhere once masked; interrupted prepares and
refused consents leave nothing behind."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from annotator.edits import EditSession
from annotator.jobs import Cancelled, Progress
from annotator.media import leakcheck
from annotator.quality.records import canonical
from annotator.steps import load_or_derive
from annotator.store import open_store
from annotator.submission.builder import (
    NotReady,
    SubmissionError,
    changes_requested,
    checklist,
    consent_and_submit,
    default_package_dir,
    failing,
    prepare_package,
    recorded_submissions,
)
from annotator.submission.local import SUBMISSIONS_FILE
from annotator.submission.render import keyed_hash
from annotator.submission.retention import apply_retention, retention_status
from annotator.workflow.auth import Passphrases
from annotator.workflow.errors import PackageError
from annotator.workflow.package import consent_record, read_package, write_consent
from annotator.workflow.service import CommentIn, Services
from annotator.workflow.states import State
from annotator.workspace import Workspace
from tests.clirun import cli_runner
from tests.conftest import ROOT
from tests.store.db_fixtures import FAST_HASHER
from tests.submission import search
from tests.submission.conftest import SECRET

pytestmark = pytest.mark.x11

TRIM_IN = 300_000


class World:
    def __init__(self, root: Path) -> None:
        self.ws = Workspace.open(root / "ws")
        self.store = open_store(workspace_root=self.ws.root)
        self.svc = Services(self.store, passphrases=Passphrases(FAST_HASHER))
        self.admin = self.svc.setup_first_admin(name="admin", passphrase="admin passphrase")
        self.passphrases = {}
        self.ana = self.invite("ana", "contributor")
        self.rev = self.invite("rev", "reviewer")

    def invite(self, name: str, role: str):
        inv = self.svc.invite_user(actor=self.admin, name=name, role=role)
        self.passphrases[name] = inv.passphrase
        return self.svc.sign_in(name=name, passphrase=inv.passphrase)

    def close(self) -> None:
        self.store.dispose()


@pytest.fixture
def world(tmp_path):
    w = World(tmp_path)
    yield w
    w.close()


def edit(bundle: Path, boxes: dict, *, instructions: bool = True, task: bool = True,
         mask: bool = True) -> dict:
    """The contributor's edits: trim, goal, outcome, instructions, the typed secret masked
    and a box over the field that shows it."""
    doc = load_or_derive(bundle)
    typing = next(s for s in doc.steps if s.type == "type")
    assert typing.text == SECRET
    with EditSession.open(bundle, steps=doc.steps) as s:
        s.trim(TRIM_IN, None)
        if task:
            s.set_goal("Sign in to the test form")
            s.set_outcome("success")
            s.set_tags(["login"])
            s.set_difficulty(4)
        if instructions:
            for n, st in enumerate(s.result.steps):
                s.set_instruction(st.id, f"Step {n + 1}: {st.type} the form")
        if mask:
            s.mask_text(typing.id)
            s.add_box(boxes["user"], typing.t_start_us - 50_000, s.duration_us)
    return {"typing": typing}


def raw_hashes(bundle: Path) -> set[str]:
    return {hashlib.sha256(p.read_bytes()).hexdigest()
            for p in bundle.rglob("*") if p.is_file()}


def test_package_consent_ingest_and_the_secret_is_nowhere(bundle, recording, world, tmp_path):
    info = edit(bundle, recording.boxes)
    typing = info["typing"]
    raw = raw_hashes(bundle)
    assert not failing(checklist(bundle))

    out = default_package_dir(world.ws, bundle)
    reports = []
    prepared = prepare_package(bundle, out, workspace=world.ws,
                               progress=Progress(lambda d, t, m: reports.append(m)))
    assert prepared.leak_check.passed, str(prepared.leak_check)
    assert prepared.ready and prepared.folder == out
    assert {"Rendering", "Writing step frames", "Making thumbnails"} <= set(reports)
    # The three derived steps and the terminal step the outcome adds.
    assert prepared.step_count == 4 and prepared.redaction_count == 2
    assert prepared.typed_text_included is False  # the only typing is masked
    assert prepared.window_titles_included is True
    duration = json.loads((bundle / "manifest.json").read_text())["duration_us"]
    assert prepared.duration_us == duration - TRIM_IN
    assert [i.key for i in prepared.checklist if i.ok and not i.warning][-1] == "leak_check"

    # steps.json: re-timed, pixels of the rendered frame, masked text, labels, frame paths.
    doc = json.loads((out / "steps.json").read_text())
    assert doc["frame"] == {"width": 560, "height": 260}
    derived = {s.id: s for s in load_or_derive(bundle).steps}
    for n, st in enumerate(doc["steps"][:-1]):
        src = derived[st["id"]]
        assert st["index"] == n and st["type"] == src.type
        assert st["t_start_us"] == src.t_start_us - TRIM_IN
        assert (st["x"], st["y"]) == (src.x, src.y)
        assert st["instruction"] == f"Step {n + 1}: {src.type} the form"
        obs = st["observation"]
        assert obs["t_us"] == src.obs_t_us - TRIM_IN
        img = cv2.imread(str(out / obs["frame"]), cv2.IMREAD_UNCHANGED)
        assert img.shape == (260, 560, 3)
        thumb = cv2.imread(str(out / obs["thumbnail"]))
        assert max(thumb.shape[:2]) <= 320
    click_user, typed, click_button, done = doc["steps"]
    assert (done["type"], done["terminal_status"], done["index"]) == ("terminate", "success", 3)
    assert done["t_start_us"] == prepared.duration_us > click_button["t_end_us"]
    assert done["observation"]["t_us"] == prepared.duration_us - 1
    assert cv2.imread(str(out / done["observation"]["frame"])).shape == (260, 560, 3)
    ux, uy, uw, uh = recording.boxes["user"]
    assert ux <= click_user["x"] < ux + uw and uy <= click_user["y"] < uy + uh
    assert typed["text"] == "<redacted>" and typed["text_masked"] is True
    # The step after the typing: its frame shows the field, with the same black box as the
    # video; the first step's frame (before the box) shows the empty white field.
    after = cv2.imread(str(out / click_button["observation"]["frame"]))
    before = cv2.imread(str(out / click_user["observation"]["frame"]))
    assert after[uy + 2:uy + uh - 2, ux + 2:ux + uw - 2].max() == 0
    assert before[uy + 4:uy + uh - 4, ux + 4:ux + uw - 4].mean() > 200

    red = json.loads((out / "redactions.json").read_text())
    assert red["keyed_hashes"]["hashes"] == [keyed_hash(world.ws.submission_key(), SECRET)]
    assert red["leak_check"]["passed"] is True and red["leak_check"]["output"] == "video.mp4"
    task = json.loads((out / "task.json").read_text())
    assert task["goal"] == "Sign in to the test form" and task["tags"] == ["login"]
    assert task["difficulty"] == 4

    # Consent and ingest.
    sub = consent_and_submit(prepared, services=world.svc, actor=world.ana)
    assert sub.state is State.SUBMITTED and sub.step_count == 4
    assert sub.manifest_sha256 == prepared.manifest_sha256
    pkg = read_package(out)
    assert pkg.consent.manifest_sha256 == prepared.manifest_sha256
    # The team server measures the same figures in these files (annotator.server.verify).
    from annotator.server.verify import verify_package

    fig = verify_package(pkg)
    assert (fig.steps, fig.stills, fig.width, fig.height) == (4, 4, 560, 260)
    assert fig.duration_us == prepared.duration_us and 0 < fig.active_us <= fig.duration_us
    assert pkg.consent.terms_version == world.svc.get_terms().version
    assert "I consent" in pkg.consent.method
    assert [e["submission_id"] for e in recorded_submissions(bundle)] == [sub.id]
    # The store's signals of the package are the bytes the contributor's checklist showed.
    rep = world.svc.submission_signals(actor=world.rev, submission_id=sub.id)
    assert rep.state == "done" and prepared.signals is not None
    assert rep.package_json.encode() == canonical(prepared.signals)
    assert [i.text for i in prepared.checklist if i.warning] == [
        f"{r['severity'].capitalize()}: {r['why']}" for r in prepared.signals["signals"]]

    # Nothing raw entered the store: no raw file's bytes are a blob.
    blobs = set(world.store.blobs.iter_blobs())
    assert blobs and not (blobs & raw)

    # The secret is nowhere: no key event (or step) of the masked interval carries a
    # character, and no file of the workspace (store, blobs, packages) nor database row has
    # it, in any form.
    t0, t1 = typing.t_start_us - TRIM_IN, typing.t_end_us - TRIM_IN
    during = [s for s in doc["steps"] if s["t_start_us"] <= t1 and s["t_end_us"] >= t0]
    assert during and all(s["keys"] is None for s in during)
    assert all((s["text"] or "").replace("<redacted>", "") == "" for s in during)
    assert not search.files_containing([world.ws.root], SECRET)
    assert not search.files_containing([world.ws.root], SECRET[:8])
    assert not search.rows_containing(world.store.engine, SECRET)
    # ...while the raw recording, which never left, does have it (the search works).
    assert search.files_containing([bundle], SECRET)

    # Review and retention: approved, the preference decides about the raw recording.
    world.svc.claim(actor=world.rev, submission_id=sub.id)
    world.svc.request_changes(actor=world.rev, submission_id=sub.id,
                              comments=[CommentIn("say what the button does", step_index=2)])
    assert changes_requested(bundle, services=world.svc, actor=world.ana) == sub.id
    with EditSession.open(bundle, steps=load_or_derive(bundle).steps) as s:
        s.set_instruction(click_button["id"], "Press Sign in")
    again = prepare_package(bundle, default_package_dir(world.ws, bundle), workspace=world.ws)
    v2 = consent_and_submit(again, services=world.svc, actor=world.ana, resubmit_of=sub.id)
    assert v2.version == 2 and v2.previous_id == sub.id
    assert changes_requested(bundle, services=world.svc, actor=world.ana) is None
    status = retention_status(bundle, services=world.svc, actor=world.ana, workspace=world.ws)
    assert status.action == "wait" and status.pending == (v2.id,)
    world.svc.claim(actor=world.rev, submission_id=v2.id)
    world.svc.approve(actor=world.rev, submission_id=v2.id, quality=5)
    _exports_end_with_the_outcome(world, tmp_path / "exports")
    assert world.ws.retention() == "ask"
    res = apply_retention(bundle, services=world.svc, actor=world.ana, workspace=world.ws)
    assert not res.deleted and res.status.action == "ask" and bundle.is_dir()
    world.ws.set_retention("delete")  # the workspace default...
    world.ws.set_retention_for(bundle, "keep")  # ...but this recording's choice was keep
    res = apply_retention(bundle, services=world.svc, actor=world.ana, workspace=world.ws)
    assert not res.deleted and res.status.action == "keep"
    world.ws.set_retention_for(bundle, "delete")
    res = apply_retention(bundle, services=world.svc, actor=world.ana, workspace=world.ws)
    assert res.deleted and not bundle.exists()
    assert not list(bundle.parent.iterdir())  # no hidden leftovers either
    # The approved submission stays whole in the store.
    detail = world.svc.get_submission(actor=world.rev, submission_id=v2.id)
    assert detail.info.state is State.APPROVED
    assert world.svc.open_file(actor=world.rev, submission_id=v2.id, path="steps.json").read()


def _exports_end_with_the_outcome(world: World, out: Path) -> None:
    """The approved demonstration, exported: every episode ends with the contributor's outcome
    in each dialect's own terminal action, and the difficulty set in the editor reaches the
    episode (the canonical 1-5 scale, and OpenCUA's 0-10 by its documented rule)."""
    import pyarrow.parquet as pq

    from annotator.export.run import ExportRequest, run_export

    key = world.ws.submission_key()

    def export(fmt: str, dialect: str | None = None) -> Path:
        r = run_export(world.store, ExportRequest(out=out / f"{fmt}-{dialect}", format=fmt,
                                                  dialect=dialect, redaction_key=key))
        assert r.check.ok, r.check.text()
        assert r.episodes == 1 and r.steps == 4
        return r.out

    can = export("canonical")
    steps = pq.read_table(next((can / "data/steps").glob("*.parquet"))).to_pylist()
    assert [s["action_type"] for s in steps] == ["click", "type", "click", "terminate"]
    assert steps[-1]["terminal_status"] == "success"
    (episode,) = pq.read_table(can / "data/episodes/train.parquet").to_pylist()
    assert episode["outcome"] == "success" and episode["quality"]["difficulty"] == 4
    (traj,) = [json.loads(line) for line in (export("opencua") / "train.jsonl").open()]
    assert traj["traj"][-1]["value"]["code"] == "computer.terminate(status='success')"
    assert traj["task_difficulty"] == 8 and traj["task_completed"] is True
    rows = [json.loads(line) for line in
            (export("chat-sft", "uitars-1000") / "data/train.jsonl").open()]
    assert rows[-1]["messages"][-1]["content"].endswith("Action: finished()")


def test_checklist_blocks_consent_and_nothing_is_stored(bundle, recording, world):
    items = checklist(bundle)
    texts = [i.text for i in failing(items)]
    assert "The task has no goal: write what this demonstration does." in texts
    assert "The task has no outcome: choose whether it succeeded." in texts
    assert ["Step 1 has no instruction.", "Step 2 has no instruction.",
            "Step 3 has no instruction."] == [t for t in texts if t.startswith("Step")]
    assert {i.step_index for i in items if i.key == "instruction"} == {0, 1, 2}

    edit(bundle, recording.boxes, instructions=False)
    with EditSession.open(bundle, steps=load_or_derive(bundle).steps) as s:
        first = s.result.steps[0]
        s.set_instruction(first.id, "Click the user name field")
    bad = failing(checklist(bundle))
    assert [i.text for i in bad] == ["Step 2 has no instruction.", "Step 3 has no instruction."]

    rows = search.count_rows(world.store.engine)
    prepared = prepare_package(bundle, default_package_dir(world.ws, bundle),
                               workspace=world.ws)
    assert prepared.leak_check.passed and not prepared.ready
    with pytest.raises(NotReady, match="Step 2 has no instruction"):
        consent_and_submit(prepared, services=world.svc, actor=world.ana)
    assert not (prepared.folder / "consent.json").exists()
    assert not (bundle / SUBMISSIONS_FILE).exists()
    assert search.count_rows(world.store.engine) == rows
    assert not list(world.store.blobs.iter_blobs())

    # Fixed in the editor, prepared again into the same folder (the unconsented package is
    # replaced), then consent goes through.
    with EditSession.open(bundle, steps=load_or_derive(bundle).steps) as s:
        for st in s.result.steps[1:]:
            s.set_instruction(st.id, "Type the user name, then sign in")
    again = prepare_package(bundle, prepared.folder, workspace=world.ws)
    assert again.ready and again.manifest_sha256 != prepared.manifest_sha256
    assert [p.name for p in again.folder.parent.iterdir()] == [again.folder.name]
    sub = consent_and_submit(again, services=world.svc, actor=world.ana)
    assert sub.state is State.SUBMITTED


def test_leak_check_failure_refuses_consent(bundle, recording, world):
    edit(bundle, recording.boxes)
    with EditSession.open(bundle, steps=load_or_derive(bundle).steps) as s:
        s.mask_title("Login test")

    def always_fails(ctx):
        return leakcheck.CheckResult("test_refusal", leakcheck.FAILED, "found the secret")

    leakcheck.register_check("test_refusal", always_fails)
    try:
        prepared = prepare_package(bundle, default_package_dir(world.ws, bundle),
                                   workspace=world.ws)
    finally:
        leakcheck.unregister_check("test_refusal")
    assert not prepared.leak_check.passed and not prepared.ready
    # The masked window title is gone from the package (the steps say the placeholder).
    assert not prepared.window_titles_included and prepared.redaction_count == 3
    steps = json.loads((prepared.folder / "steps.json").read_text())["steps"]
    assert {s["window_title"] for s in steps} == {"<redacted>"}
    assert not search.files_containing([prepared.folder], "Login test")
    item = next(i for i in prepared.checklist if i.key == "leak_check")
    assert not item.ok and "found the secret" in item.text
    manifest = json.loads((prepared.folder / "package.json").read_text())
    assert manifest["summary"]["leak_check"] == "failed"
    with pytest.raises(NotReady, match="leak check"):
        consent_and_submit(prepared, services=world.svc, actor=world.ana)
    assert world.svc.my_submissions(actor=world.ana) == []


def test_package_or_edits_changed_after_prepare_are_refused(bundle, recording, world):
    edit(bundle, recording.boxes)
    prepared = prepare_package(bundle, default_package_dir(world.ws, bundle),
                               workspace=world.ws)
    task = (prepared.folder / "task.json").read_bytes()
    (prepared.folder / "task.json").write_text("{}")
    sha = hashlib.sha256((prepared.folder / "package.json").read_bytes()).hexdigest()
    assert sha == prepared.manifest_sha256  # the manifest is intact; a file is not
    with pytest.raises(Exception, match="task.json"):
        consent_and_submit(prepared, services=world.svc, actor=world.ana)
    assert not (prepared.folder / "consent.json").exists()  # not stored: not consented
    (prepared.folder / "task.json").write_bytes(task)
    with EditSession.open(bundle, steps=load_or_derive(bundle).steps) as s:
        s.set_goal("Something else")
    with pytest.raises(NotReady, match="edited after"):
        consent_and_submit(prepared, services=world.svc, actor=world.ana)
    assert world.svc.my_submissions(actor=world.ana) == []
    assert not (bundle / SUBMISSIONS_FILE).exists()


def test_interrupted_prepare_leaves_no_package(bundle, recording, world):
    edit(bundle, recording.boxes)
    out = world.ws.packages_dir / "pkg"
    # Cancelled once the video is rendered, as the leak check starts reading it.
    progress = Progress(lambda d, t, m: progress.cancel() if m == "Rendered"
                        else None)
    with pytest.raises(Cancelled):
        prepare_package(bundle, out, workspace=world.ws, progress=progress)
    assert not out.exists() and list(out.parent.iterdir()) == []

    # Killed outright at the same point: only a hidden partial folder remains, never `out`,
    # and the next prepare of `out` removes it (here itself cancelled at once).
    code = (
        "import os, signal, sys\n"
        "from annotator.jobs import Progress\n"
        "from annotator.submission.builder import prepare_package\n"
        "from annotator.workspace import Workspace\n"
        "def kill(d, t, m):\n"
        "    if m == 'Rendered':\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "prepare_package(sys.argv[1], sys.argv[2], workspace=Workspace.open(sys.argv[3]),"
        " progress=Progress(kill))\n"
    )
    r = subprocess.run([sys.executable, "-c", code, str(bundle), str(out), str(world.ws.root)],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == -signal.SIGKILL, r.stderr
    left = list(out.parent.iterdir())
    assert not out.exists() and len(left) == 1 and left[0].name.startswith(".pkg.partial-")
    assert (left[0] / "video.mp4").is_file()  # it did get that far
    with pytest.raises(PackageError):
        read_package(left[0])  # and it does not pass for a package
    progress = Progress(lambda d, t, m: progress.cancel())
    with pytest.raises(Cancelled):
        prepare_package(bundle, out, workspace=world.ws, progress=progress)
    assert list(out.parent.iterdir()) == []


def test_bad_package_folders_are_refused(bundle, recording, world, tmp_path):
    edit(bundle, recording.boxes)
    with pytest.raises(SubmissionError, match="inside the recording"):
        prepare_package(bundle, bundle / "pkg", workspace=world.ws)
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(SubmissionError, match="not an earlier package"):
        prepare_package(bundle, other, workspace=world.ws)
    assert (other / "notes.txt").read_text() == "mine"
    # A package.json does not make a folder an earlier package: the other files must be
    # exactly the ones it lists.
    (other / "package.json").write_text(json.dumps(
        {"format": "annotator-package", "files": [{"path": "video.mp4"}]}))
    with pytest.raises(SubmissionError, match="not an earlier package"):
        prepare_package(bundle, other, workspace=world.ws)
    assert (other / "notes.txt").read_text() == "mine"
    with pytest.raises(SubmissionError, match="not a recording"):
        checklist(tmp_path)


def test_workspace_key_and_retention_preference(tmp_path):
    ws = Workspace.open(tmp_path / "ws")
    assert not ws.key_path.exists()
    code = ("import sys\nfrom annotator.workspace import Workspace\n"
            "sys.stdout.write(Workspace.open(sys.argv[1]).submission_key().hex())\n")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(ws.root)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True) for _ in range(4)]
    keys = {p.communicate(timeout=60)[0] for p in procs}
    assert len(keys) == 1  # racing processes agree on one key
    key = ws.submission_key()
    assert key.hex() in keys and len(key) == 32
    assert os.stat(ws.key_path).st_mode & 0o777 == 0o600
    assert [p.name for p in ws.root.iterdir() if "key" in p.name] == [ws.key_path.name]
    assert keyed_hash(key, " Secret ") == keyed_hash(key, "secret")
    ws.key_path.write_bytes(b"short")
    with pytest.raises(Exception, match="damaged"):
        ws.submission_key()

    assert ws.retention() == "ask"
    ws.set_retention("delete")
    assert Workspace.open(ws.root).retention() == "delete"
    with pytest.raises(Exception, match="not a retention choice"):
        ws.set_retention("shred")
    assert ws.retention() == "delete"
    rec = tmp_path / "recordings" / "rec-1"
    assert ws.retention_for(rec) == "delete"  # no choice of its own: the default
    ws.set_retention_for(rec, "keep")
    assert ws.retention_for(rec) == "keep" and ws.retention_for(tmp_path / "x") == "delete"
    with pytest.raises(Exception, match="not a retention choice"):
        ws.set_retention_for(rec, "later")
    # A choice stored under another spelling of the same folder (here through a link, as
    # the desktop app may store it) still applies.
    rec.mkdir(parents=True)
    (tmp_path / "link").symlink_to(rec.parent)
    ws.set_preference("retention", {str(tmp_path / "link" / "rec-1"): "ask"})
    assert ws.retention_for(rec) == "ask"


# -- the command line ---------------------------------------------------------------------------------
@pytest.fixture
def cli(world, monkeypatch, capsys):
    """``annotator --workspace WS ARGS`` in this process, signed in as ana; stdin is not a
    terminal.  Returns (status, stdout, stderr)."""
    return cli_runner(monkeypatch, capsys, world.ws.root, "ana", world.passphrases["ana"])


def test_cli_submits_a_recording(bundle, recording, world, tmp_path, cli):
    code, out, err = cli("submit", str(bundle), "--yes-i-consent")
    assert code == 1, err
    assert "Step 1 has no instruction." in err and "no goal" in err

    edit(bundle, recording.boxes)
    # No terminal to ask on and no --yes-i-consent: refused at once, before rendering.
    code, out, err = cli("submit", str(bundle), "--package-dir", str(tmp_path / "p1"))
    assert code == 2 and "there is none" in err, err
    assert not (tmp_path / "p1").exists()
    assert world.svc.my_submissions(actor=world.ana) == []

    # Asked on a terminal: typing anything but "I consent" submits nothing...
    code, text = _on_terminal(world, ["submit", str(bundle), "--package-dir",
                                      str(tmp_path / "p2")], "yes\n")
    assert code == 2 and "did not consent" in text, text
    assert "Typed text: not included." in text and "Terms, version 1" in text
    assert world.svc.my_submissions(actor=world.ana) == []
    # ...and "I consent" does.
    code, text = _on_terminal(world, ["submit", str(bundle), "--package-dir",
                                      str(tmp_path / "p3"), "--retention", "keep"],
                              "I consent\n")
    assert code == 0, text
    assert "Submission #1" in text and "Leak check: passed." in text
    assert "raw recording stays on this computer" in text
    (sub,) = world.svc.my_submissions(actor=world.ana)
    assert sub.state is State.SUBMITTED
    assert read_package(tmp_path / "p3").consent.method.startswith("command line: typed")
    assert world.ws.retention_for(bundle) == "keep"

    # For scripts: --yes-i-consent (here as a draft, with JSON on stdout).
    code, out, err = cli("submit", str(bundle), "--package-dir", str(tmp_path / "p4"),
                         "--yes-i-consent", "--draft", "--json")
    assert code == 0, err
    assert json.loads(out)["state"] == "draft" and "What will be shared" in err
    code, out, err = cli("submit", str(tmp_path / "p4"))  # the same package again
    assert code == 2 and "already" in err.lower(), err

    # A package folder consented elsewhere (here: the one left prepared when consent was
    # refused, consented the way the desktop's consent view does) still goes in as before.
    assert not (tmp_path / "p2" / "consent.json").exists()
    terms = world.svc.get_terms()
    sha = hashlib.sha256((tmp_path / "p2" / "package.json").read_bytes()).hexdigest()
    write_consent(tmp_path / "p2", consent_record(
        contributor=world.ana.pseudonym, terms_version=terms.version,
        terms_sha256=terms.sha256, manifest_sha256=sha,
        method="desktop app: explicit 'I consent' for this one demonstration"))
    code, out, err = cli("submit", str(tmp_path / "p2"))
    assert code == 0 and "Submission #3" in out, err
    # Changes requested on #1: a new submission from the recording must say it is the next
    # version (refused before anything is prepared).
    world.svc.claim(actor=world.rev, submission_id=1)
    world.svc.request_changes(actor=world.rev, submission_id=1,
                              comments=[CommentIn("label step 2 better", step_index=1)])
    code, out, err = cli("submit", str(bundle), "--package-dir", str(tmp_path / "p6"),
                         "--yes-i-consent")
    assert code == 2 and "--resubmit-of 1" in err and not (tmp_path / "p6").exists(), err
    code, out, err = cli("submit", str(tmp_path / "nothing-here"))
    assert code == 2 and "neither a recording nor a submission package" in err


def _on_terminal(world: World, args: list[str], answer: str) -> tuple[int, str]:
    """Run the CLI in a process whose stdin is a pseudo-terminal; type ``answer``."""
    master, slave = os.openpty()
    env = dict(os.environ, ANNOTATOR_USER="ana", ANNOTATOR_PASSPHRASE=world.passphrases["ana"])
    env.pop("ANNOTATOR_DATABASE_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "annotator", "--workspace",
                             str(world.ws.root), *args], cwd=ROOT, env=env, stdin=slave,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    os.close(slave)
    try:
        os.write(master, answer.encode())  # the terminal holds it until the prompt reads
        out, _ = proc.communicate(timeout=120)
    finally:
        os.close(master)
    return proc.returncode, out
