"""From an edited recording (a bundle) to a submission in the store, through consent.

The three calls a consent dialog and ``annotator submit`` make, in this order::

    items = checklist(bundle)                       # goal, outcome, instructions, masks
    prepared = prepare_package(bundle, out, workspace=ws, progress=p)
    # show prepared.summary_lines(), play prepared.video, show the terms, ask "I consent"
    info = consent_and_submit(prepared, services=svc, actor=me)

``prepare_package`` renders the kept ranges with every redaction burned in (the same call as
``annotator render``), runs the leak check, and writes the package of docs/store.md
("Submission package") into a hidden sibling of ``out`` that is renamed to ``out`` only once
complete: an interrupted or failed prepare leaves no folder that looks like a package.  The
recording is only read; nothing raw (no source video, event, window or element stream) is
copied into the package.

``consent_and_submit`` refuses unless every checklist item holds and the leak check passed,
writes the consent record (the published terms' version and hash, the manifest's hash), has
the store ingest the package, and records the submission in the bundle's
``submissions.json`` so that the library and the editor can show its state and resubmit.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import shutil
import uuid
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import cv2
import numpy as np

from annotator.bundle import schema
from annotator.bundle.reader import Bundle
from annotator.bundle.schema import read_manifest
from annotator.drafts.package import for_package
from annotator.drafts.store import DRAFTS_FILE, read_drafts
from annotator.edits import EDITS_FILE, EditSession
from annotator.edits.apply import ApplyResult
from annotator.edits.model import EditList
from annotator.edits.redactions import PLACEHOLDER, orphaned_redactions
from annotator.errors import AnnotatorError
from annotator.fsutil import publish_folder, write_json_atomic
from annotator.jobs import Progress
from annotator.media.leakcheck import LeakCheckResult
from annotator.media.render import RenderResult, render_stills, write_file_atomic
from annotator.quality.package import DECLARED_FILE
from annotator.steps import load_or_derive
from annotator.steps.thumbs import decode_frames
from annotator.submission import stepsdoc
from annotator.submission.local import (
    SubmissionError,
    record_submission,
    recorded_submissions,
    submission_entry,
)
from annotator.submission.render import (
    RenderPlanFromEdits,
    keyed_hash,
    render_for_submission,
)
from annotator.submission.signals import declared_input
from annotator.workflow.contract import Actor, SubmissionId, WorkflowServices
from annotator.workflow.errors import NotFound, PermissionDenied
from annotator.workflow.package import (
    CONSENT_NAME,
    LEAK_CHECK_PASSED,
    MANIFEST_NAME,
    consent_record,
    scan_folder,
    write_consent,
    write_manifest,
)
from annotator.workspace import Workspace, ensure_private_dir

TASK_FORMAT = "annotator-task"
REDACTIONS_FORMAT = "annotator-redactions"
FORMAT_VERSION = 1
THUMB_MAX_SIDE = 320
JPEG_QUALITY = 85
DESKTOP_METHOD = "desktop app: explicit 'I consent' for this one demonstration"
REDACTION_KINDS = ("box", "text", "title", "keys")
_log = logging.getLogger(__name__)


class NotReady(SubmissionError):
    """The checklist has a failing item or the leak check did not pass."""


# -- the checklist ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChecklistItem:
    """One thing that must hold before consent.  ``text`` is a plain sentence for the
    contributor; ``key`` is stable (``goal``, ``outcome``, ``steps``, ``instruction``,
    ``masks``, ``leak_check``, ``signal``); ``step_id``/``step_index`` (0-based) point at a
    step.  A ``warning`` (a quality signal) passes but is shown: fix it first if you can."""

    key: str
    ok: bool
    text: str
    step_id: str | None = None
    step_index: int | None = None
    warning: bool = False


@dataclass
class _Loaded:
    folder: Path
    edits: EditList
    result: ApplyResult
    step_ids: list[str]
    edits_sha256: str | None


def _edits_sha256(folder: Path) -> str | None:
    try:
        return hashlib.sha256((folder / EDITS_FILE).read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def load_edited(bundle_dir: str | os.PathLike[str]) -> _Loaded:
    """The recording with its edits applied, read without the editor's lock."""
    folder = Path(bundle_dir)
    if not (folder / schema.MANIFEST).is_file():
        raise SubmissionError(
            f"{folder} is not a recording: it has no manifest.json.",
            "Give the folder of a recording (in the workspace's recordings folder).")
    read_manifest(folder)  # a newer or damaged bundle is reported here, with a hint
    doc = load_or_derive(folder)
    # The edits with the hash of exactly the file they were read from: read again if the
    # editor saved meanwhile (or opening recovered a damaged file from its backup).
    for _ in range(5):
        before = _edits_sha256(folder)
        session = EditSession.open(folder, steps=doc.steps, lock=False)
        try:
            edits = session.edits.copy()
            result = session.result
        finally:
            session.close(force=True)
        after = _edits_sha256(folder)
        if before == after:
            break
    else:
        raise SubmissionError(f"The edits of {folder} keep changing.",
                              "Finish editing, then prepare the package.")
    return _Loaded(folder, edits, result, [s.id for s in doc.steps], after)


def _checklist(loaded: _Loaded, leak_check: LeakCheckResult | None) -> list[ChecklistItem]:
    task = loaded.edits.task
    items = [
        ChecklistItem("goal", bool(task.goal.strip()),
                      "The task has a goal." if task.goal.strip() else
                      "The task has no goal: write what this demonstration does."),
        ChecklistItem("outcome", bool(task.outcome),
                      f"The outcome is chosen ({task.outcome})." if task.outcome else
                      "The task has no outcome: choose whether it succeeded."),
    ]
    kept = loaded.result.steps
    if not kept:
        items.append(ChecklistItem("steps", False,
                                   "No step is kept: keep at least one step of the recording."))
    # A step counts as labelled once its instruction was accepted, edited or written:
    # a draft alone is only a proposal.
    missing = [s for s in kept if not s.label.instruction.strip()]
    drafts = read_drafts(loaded.folder) if missing else {}
    for s in missing:
        n = (s.index or 0) + 1
        draft = drafts.get(s.id)
        if draft is None:
            text = f"Step {n} has no instruction."
        elif draft.weak:  # --accept-drafts leaves weak drafts alone: name what takes one
            why = f" ({draft.why})" if draft.why else ""
            text = (f"Step {n} has only a weak drafted instruction{why}: check it, then "
                    f"accept it (A in the editor, or `annotator label DIR --accept {n}`) "
                    "or write one.")
        else:
            text = (f"Step {n} has only a drafted instruction: accept it (A in the editor, or "
                    "`annotator label DIR --accept-drafts`) or write one.")
        items.append(ChecklistItem("instruction", False, text, step_id=s.id,
                                   step_index=s.index))
    if kept and not missing:
        items.append(ChecklistItem("instruction", True,
                                   f"Every kept step has an instruction ({len(kept)} steps)."))
    # An instruction accepted from a draft that quotes text redacted since.
    quotes = for_package(loaded.folder, loaded.result.all_steps, loaded.edits).redacted_quotes \
        if (loaded.folder / DRAFTS_FILE).is_file() else {}
    for s in kept:
        if s.id in quotes:
            n = (s.index or 0) + 1
            what = ", ".join(f"“{q}”" for q in quotes[s.id])
            items.append(ChecklistItem(
                "instruction", False, f"Step {n}'s instruction quotes {what}, which you "
                "redacted afterwards: edit the instruction (it would be sent as <redacted>).",
                step_id=s.id, step_index=s.index))
    # A text or key mask whose step is gone no longer masks anything: never let it pass.
    lost = [r for r in orphaned_redactions(loaded.edits, loaded.step_ids)
            if r.get("kind") in ("text", "keys")]
    if lost:
        items.append(ChecklistItem(
            "masks", False,
            f"{len(lost)} masked text(s) belong to steps that no longer exist, so they mask "
            "nothing: mask that text again in the steps list, then remove the old masks."))
    if leak_check is not None:
        if leak_check.passed:
            items.append(ChecklistItem("leak_check", True, "The leak check passed."))
        else:
            bad = [c for c in leak_check.checks if c.status != LEAK_CHECK_PASSED]
            what = "; ".join(f"{c.name}: {c.summary}" for c in bad[:3]) or "no check ran"
            verb = "found problems" if leak_check.status == "failed" else "could not finish"
            items.append(ChecklistItem(
                "leak_check", False,
                f"The leak check {verb} ({what}): fix the redactions, or accept the items "
                "that are not sensitive, and prepare again."))
    return items


def checklist(bundle_dir: str | os.PathLike[str], *,
              leak_check: LeakCheckResult | None = None) -> list[ChecklistItem]:
    """What must hold before consent: a goal, an outcome, an instruction for every kept
    step, no mask lost with its step, and (given a prepared package's result) the leak
    check.  Reads the recording's edits without taking the editor's lock."""
    return _checklist(load_edited(bundle_dir), leak_check)


def failing(items: Sequence[ChecklistItem]) -> list[ChecklistItem]:
    return [i for i in items if not i.ok]


# -- preparing -----------------------------------------------------------------------------------
@dataclass
class PreparedPackage:
    """A package folder ready for consent, and what the contributor is shown about it."""

    folder: Path
    bundle_dir: Path
    video: Path
    duration_us: int
    step_count: int
    typed_text_included: bool
    window_titles_included: bool
    redaction_count: int
    leak_check: LeakCheckResult
    checklist: list[ChecklistItem]
    manifest_sha256: str
    package_id: str
    goal: str
    outcome: str | None
    task_id: int | None
    frame_size: tuple[int, int]
    edits_sha256: str | None = None
    notes: list[str] = field(default_factory=list)
    # The package's quality signals, the same records the store computes (docs/signals.md).
    signals: dict[str, Any] | None = None

    @property
    def video_path(self) -> Path:
        return self.video

    @property
    def ready(self) -> bool:
        """Consent may be asked for: every checklist item holds and the leak check passed."""
        return self.leak_check.passed and not failing(self.checklist)

    @property
    def failing(self) -> list[ChecklistItem]:
        return failing(self.checklist)

    def summary(self) -> dict[str, Any]:
        return {"duration_us": self.duration_us, "steps": self.step_count,
                "redactions": self.redaction_count,
                "typed_text_included": self.typed_text_included,
                "window_titles_included": self.window_titles_included,
                "leak_check": self.leak_check.status}

    def _steps_line(self) -> str:
        # The package ends with the outcome's terminal step; the contributor counts actions.
        if self.outcome:
            return (f"Steps: {self.step_count - 1} actions, each with its picture, instruction "
                    f"and thought, then the final screen with the outcome ({self.outcome}).")
        return f"Steps: {self.step_count}, each with its picture, instruction and thought."

    def summary_lines(self) -> list[str]:
        """What will be shared, in plain words (the consent dialog and the CLI show these)."""
        s = self.duration_us / 1e6
        w, h = self.frame_size
        return [
            f"Video: {int(s // 60)}:{s % 60:04.1f} of screen recording ({w}x{h}), "
            "with every redaction burned in.",
            self._steps_line(),
            "Typed text: " + ("included (masked parts replaced by " + PLACEHOLDER + ")."
                              if self.typed_text_included else "not included."),
            "Window titles: " + ("included." if self.window_titles_included
                                 else "not included."),
            f"Redactions: {self.redaction_count}.",
            "Leak check: " + ("passed." if self.leak_check.passed
                              else self.leak_check.status.replace("_", " ") + "."),
            "Not shared: the original recording, your raw keystrokes and mouse movements; "
            "redacted text only as keyed hashes that cannot be read back.",
        ]


def _sanitized_leak_check(check: LeakCheckResult, scrub: stepsdoc.Scrubber) -> dict[str, Any]:
    data = check.to_dict()
    data["output"] = "video.mp4"  # not the local path (it names the user's folders)
    return cast(dict[str, Any], scrub.json(data))


def _stale_partials(out: Path) -> None:
    """Remove what an earlier, killed prepare of the same folder left behind."""
    for p in out.parent.glob(f".{out.name}.partial-*"):
        with contextlib.suppress(OSError):
            shutil.rmtree(p)


def _is_package_folder(folder: Path) -> bool:
    """An earlier package and nothing else: every file in it is listed by its manifest (so
    replacing it deletes nothing of the contributor's own)."""
    try:
        data = json.loads((folder / MANIFEST_NAME).read_text("utf-8"))
        if not isinstance(data, dict) or data.get("format") != "annotator-package":
            return False
        listed = {f.get("path") for f in data.get("files") or [] if isinstance(f, dict)}
        return set(scan_folder(folder)) <= listed
    except (OSError, ValueError, AnnotatorError):
        return False


def _check_out(out: Path, bundle: Path) -> None:
    if out.resolve() == bundle.resolve() or out.resolve().is_relative_to(bundle.resolve()):
        raise SubmissionError(
            f"The package folder {out} is inside the recording {bundle}.",
            "Prepare the package elsewhere (the default is the workspace's packages folder): "
            "the recording is never modified.")
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise SubmissionError(f"{out} exists and is not a folder.",
                              "Choose a new folder for the package.")
    if out.is_dir() and any(out.iterdir()) and not _is_package_folder(out):
        raise SubmissionError(
            f"The folder {out} exists and is not an earlier package: it would be replaced.",
            "Choose a new, empty folder for the package.")
    if (out / CONSENT_NAME).exists():
        raise SubmissionError(
            f"{out} holds a package that was consented to already.",
            "Choose a new folder: a consented package is never rewritten.")


def _hash_key_id(key: bytes) -> str:
    # Names the key without revealing it, so a later check knows which key made the hashes.
    return hmac.new(key, b"annotator key id", hashlib.sha256).hexdigest()[:16]


def _write_thumbs(tmp: Path, video: Path, out_pts: list[int], result_times: list[int],
                  progress: Progress) -> None:
    """JPEG thumbnails of the rendered video at each step's observation time (the frame the
    rendered video shows then), falling back to the rendered still."""
    (tmp / "thumbs").mkdir(mode=0o700)
    shown: list[int | None] = []
    for r in result_times:
        i = bisect_right(out_pts, r) - 1
        shown.append(out_pts[max(i, 0)] if out_pts else None)
    wanted: dict[int, list[int]] = {}
    for n, p in enumerate(shown):
        if p is not None:
            wanted.setdefault(p, []).append(n)
    done: set[int] = set()

    def write(n: int, rgb: np.ndarray) -> None:
        h, w = rgb.shape[:2]
        scale = min(1.0, THUMB_MAX_SIDE / max(h, w))
        if scale < 1.0:
            rgb = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))),
                             interpolation=cv2.INTER_AREA)
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                               [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:
            raise SubmissionError("A thumbnail could not be encoded.")
        write_file_atomic(tmp / "thumbs" / f"{n:04d}.jpg", buf.tobytes())
        done.add(n)

    total = len(result_times)
    for pts, rgb in decode_frames(video, wanted):
        progress.check()
        for n in wanted.get(pts, ()):
            write(n, rgb)
        progress.report(len(done), total, "Making thumbnails")
    for n in range(total):  # a frame the decoder did not give: the rendered still
        if n not in done:
            progress.check()
            bgr = cv2.imread(str(tmp / "frames" / f"{n:04d}.png"), cv2.IMREAD_COLOR)
            if bgr is None:
                raise SubmissionError(f"The step frame frames/{n:04d}.png cannot be read.")
            write(n, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


def prepare_package(bundle_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str], *,
                    workspace: Workspace, progress: Progress | None = None,
                    task_id: int | None = None) -> PreparedPackage:
    """Render, leak-check and write the submission package of a recording into ``out_dir``.

    ``out_dir`` must be new, empty, or an earlier unconsented package (replaced).  Built in a
    hidden sibling and renamed at the end: on an error, ``Cancelled`` or a crash, ``out_dir``
    is left as it was.  A package whose leak check failed is still written (the contributor
    sees why), but ``consent_and_submit`` refuses it and the store would too.
    """
    progress = progress or Progress()
    bundle = Path(bundle_dir)
    out = Path(out_dir).absolute()
    loaded = load_edited(bundle)
    _check_out(out, bundle)
    _make_parent(out, workspace)
    _stale_partials(out)
    key = workspace.submission_key()
    tmp = out.with_name(f".{out.name}.partial-{uuid.uuid4().hex[:12]}")
    tmp.mkdir(mode=0o700)
    try:
        progress.check()
        render, check, plan = render_for_submission(
            bundle, tmp / "video.mp4", progress, deny_list=workspace.personal_deny_list())
        progress.check()
        if _edits_sha256(bundle) != loaded.edits_sha256:
            raise SubmissionError(
                f"The recording {bundle} was edited while its package was being prepared.",
                "Prepare the package again once the edits are done.")
        result = loaded.result
        edits = loaded.edits
        # Screen text an accepted instruction quotes and that was redacted since: scrubbed
        # like every redacted string (the checklist has said so already).
        drafted = for_package(bundle, result.all_steps, edits,
                              deny_list=workspace.personal_deny_list())
        scrub = stepsdoc.Scrubber([*plan.redacted_strings, *drafted.strings])
        built = stepsdoc.build_steps(result.steps, result.timeline, edits,
                                     whole_masked=plan.masked_step_texts, scrub=scrub,
                                     targets=drafted.targets, weak=drafted.weak_accepted)
        width, height = render.plan.width, render.plan.height

        _write_step_pictures(tmp, bundle, built, plan, render, progress)
        progress.report(0, 1, "Writing the package")

        task = edits.task
        chosen = _chosen_task(task_id, edits)
        goal = scrub.text(task.goal.strip())
        redaction_count = sum(1 for r in edits.redactions if r.get("kind") in REDACTION_KINDS)
        write_json_atomic(tmp / "steps.json", {
            "format": stepsdoc.STEPS_FORMAT, "format_version": stepsdoc.STEPS_VERSION,
            "frame": {"width": width, "height": height},
            "duration_us": render.result_duration_us,
            "placeholder": PLACEHOLDER,
            "steps": built.steps,
        })
        write_json_atomic(tmp / "task.json", {
            "format": TASK_FORMAT, "format_version": FORMAT_VERSION,
            "task_id": chosen, "goal": goal, "outcome": task.outcome,
            "applications": [scrub.text(a) for a in task.applications],
            "tags": [scrub.text(t) for t in task.tags],
            "difficulty": task.difficulty,
        })
        write_json_atomic(tmp / "redactions.json",
                          _redactions_doc(key, plan, edits, render, check, scrub))
        # What only the raw recording can tell (which devices made the input), declared by
        # this computer: device classes and findings, no timing, no device name.
        write_json_atomic(tmp / DECLARED_FILE, declared_input(Bundle.open(bundle), result))
        summary = {"duration_us": render.result_duration_us, "steps": len(built.steps),
                   "redactions": redaction_count,
                   "typed_text_included": built.typed_text_included,
                   "window_titles_included": built.window_titles_included,
                   "leak_check": LEAK_CHECK_PASSED if check.passed else check.status}
        package_id = uuid.uuid4().hex
        sha = write_manifest(tmp, goal=goal, outcome=task.outcome or "",
                             summary=summary, task_id=chosen, package_id=package_id)
        progress.check()
        publish_folder(tmp, out)  # an earlier unconsented package there is replaced
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    check.output = out / "video.mp4"  # it was checked in the folder before the rename
    progress.report(1, 1, "Looking for what a reviewer would flag")
    signals = package_signals(out)
    progress.report(1, 1, "Package ready")
    return PreparedPackage(
        folder=out, bundle_dir=bundle, video=out / "video.mp4",
        duration_us=render.result_duration_us, step_count=len(built.steps),
        typed_text_included=built.typed_text_included,
        window_titles_included=built.window_titles_included,
        redaction_count=redaction_count, leak_check=check,
        checklist=_checklist(loaded, check) + signal_items(signals),
        manifest_sha256=sha, package_id=package_id, signals=signals,
        goal=goal, outcome=task.outcome, task_id=chosen, frame_size=(width, height),
        edits_sha256=loaded.edits_sha256, notes=list(render.notes))


def _make_parent(out: Path, workspace: Workspace) -> None:
    """The package's parent folder: the workspace's (private), or the contributor's own
    (created if needed, its mode never changed)."""
    if out.parent == workspace.packages_dir.absolute():
        ensure_private_dir(out.parent)
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise SubmissionError(f"The folder {out.parent} cannot be created "
                              f"({exc.strerror or exc}).",
                              "Choose a folder you can write to.") from exc


def _chosen_task(task_id: int | None, edits: EditList) -> int | None:
    """The task the package is for: the one given, else the one the task panel chose."""
    chosen = task_id if task_id is not None else edits.data["task"].get("task_id")
    if chosen is not None and (not isinstance(chosen, int) or isinstance(chosen, bool)):
        raise SubmissionError(f"The task id {chosen!r} is not a number.",
                              "Choose the task again in the task panel.")
    return chosen


def _write_step_pictures(tmp: Path, bundle: Path, built: stepsdoc.StepsBuild,
                         plan: RenderPlanFromEdits, render: RenderResult,
                         progress: Progress) -> None:
    """Step frames (lossless, the same boxes at the same times as the video) and the
    thumbnails of the steps' observations."""
    (tmp / "frames").mkdir(mode=0o700)
    stills = [(t, tmp / "frames" / f"{n:04d}.png") for n, t in enumerate(built.still_times)]
    if stills:
        render_stills(bundle, stills, plan.boxes, progress=progress)
    progress.check()
    _write_thumbs(tmp, tmp / "video.mp4", list(render.output_pts),
                  [s["observation"]["t_us"] for s in built.steps], progress)
    progress.check()


def _redactions_doc(key: bytes, plan: RenderPlanFromEdits, edits: EditList,
                    render: RenderResult, check: LeakCheckResult,
                    scrub: stepsdoc.Scrubber) -> dict[str, Any]:
    """redactions.json: keyed hashes of the redacted strings (never the strings), counts by
    kind, the boxes as drawn in the result, the allow list and the leak check."""
    hashes = sorted({keyed_hash(key, s) for s in plan.redacted_strings if s.strip()})
    return {
        "format": REDACTIONS_FORMAT, "format_version": FORMAT_VERSION,
        "keyed_hashes": {"algorithm": "HMAC-SHA256",
                         "normalization": "strip, casefold, UTF-8",
                         "key_id": _hash_key_id(key), "hashes": hashes},
        "counts": {kind: sum(1 for r in edits.redactions if r.get("kind") == kind)
                   for kind in REDACTION_KINDS},
        "boxes": [{"fill_rect": list(b.fill_rect),
                   "result_intervals_us": [list(iv) for iv in b.result_intervals]}
                  for b in render.plan.boxes if b.fill_rect is not None
                  and b.result_intervals],
        "allow_list": scrub.json(list(plan.allow_list)),
        "leak_check": _sanitized_leak_check(check, scrub),
    }


def package_signals(folder: Path) -> dict[str, Any] | None:
    """The package's signal set (``annotator.quality``), or None if it cannot be made (the
    store makes it again and says why)."""
    from annotator.quality.compute import compute
    from annotator.quality.package import load_package

    try:
        return compute(load_package(folder)).records
    except Exception as exc:  # noqa: BLE001 - warnings only: never block a submission
        _log.warning("quality signals of %s: %s", folder, exc)
        return None


def signal_items(signals: dict[str, Any] | None) -> list[ChecklistItem]:
    """The signals as checklist warnings (they never block)."""
    out = []
    for r in (signals or {}).get("signals") or ():
        steps = r.get("steps") or []
        out.append(ChecklistItem(
            "signal", True, f"{r['severity'].capitalize()}: {r['why']}",
            step_id=steps[0]["id"] if steps else None,
            step_index=steps[0]["index"] if steps else None, warning=True))
    return out


# -- consent and submission -------------------------------------------------------------------------
def consent_and_submit(prepared: PreparedPackage, *, services: WorkflowServices, actor: Actor,
                       terms_version: str | None = None, resubmit_of: int | None = None,
                       method: str = DESKTOP_METHOD, submit: bool = True) -> Any:
    """The contributor said "I consent" to this one prepared package under these terms:
    write the consent record and have the store ingest the package.  Returns the store's
    ``SubmissionInfo``.  Refuses (``NotReady``, nothing written) if a checklist item fails,
    the leak check did not pass, or the package or the recording's edits changed since the
    package was prepared."""
    bad = prepared.failing
    if bad or not prepared.leak_check.passed:
        lines = [i.text for i in bad]
        if not prepared.leak_check.passed and not any(i.key == "leak_check" for i in bad):
            lines.append(f"The leak check did not pass ({prepared.leak_check.status}).")
        raise NotReady("This demonstration cannot be submitted yet:\n  - "
                       + "\n  - ".join(lines),
                       "Fix these in the editor, prepare the package again, then consent.")
    folder = prepared.folder
    try:
        raw = (folder / MANIFEST_NAME).read_bytes()
    except OSError as exc:
        raise SubmissionError(f"The package {folder} cannot be read ({exc}).",
                              "Prepare the package again.") from exc
    if hashlib.sha256(raw).hexdigest() != prepared.manifest_sha256:
        raise NotReady(f"The package {folder} changed after it was prepared.",
                       "Prepare it again, then consent.")
    if _edits_sha256(prepared.bundle_dir) != prepared.edits_sha256:
        raise NotReady("The recording was edited after its package was prepared, so the "
                       "package no longer shows what you edited.",
                       "Prepare the package again, then consent.")
    terms = services.get_terms(version=terms_version)
    record = consent_record(contributor=actor.pseudonym, terms_version=terms.version,
                            terms_sha256=terms.sha256, manifest_sha256=prepared.manifest_sha256,
                            method=method, given=services.now())
    write_consent(folder, record)
    try:
        info = services.ingest_package(
            actor=actor, folder=folder, submit=submit,
            previous_id=SubmissionId(resubmit_of) if resubmit_of is not None else None)
    except BaseException:
        # Not stored: the folder must not look consented (consent is asked again).
        with contextlib.suppress(OSError):
            (folder / CONSENT_NAME).unlink()
        raise
    store_signals(services, info.id)
    record_submission(prepared.bundle_dir, submission_entry(
        info, package_folder=folder, store=_store_name(services),
        package_id=prepared.package_id, consent_record_id=record["record_id"],
        terms_version=terms.version))
    return info


def store_signals(services: Any, submission_id: int) -> None:
    """In the embedded workspace the store's signal set is made at once (a team server makes
    it in its own job after verification).  A failure is kept as the set's state, never
    fails the submission."""
    from annotator.quality.stored import compute_stored
    from annotator.workflow.service import Services

    if isinstance(services, Services):
        try:
            compute_stored(services.store, submission_id)
        except Exception as exc:  # noqa: BLE001 - the submission is stored; signals can be made again
            _log.warning("quality signals of submission #%s: %s", submission_id, exc)


def _store_name(services: Any) -> str | None:
    url = getattr(getattr(services, "store", None), "url", None)
    try:
        return url.render_as_string(hide_password=True) if url is not None else None
    except Exception:  # noqa: BLE001 - a name for display only
        return None


def changes_requested(bundle_dir: str | os.PathLike[str], *, services: WorkflowServices,
                      actor: Actor) -> int | None:
    """The latest submission from this recording whose changes were requested (to pass as
    ``resubmit_of``), or None."""
    for entry in reversed(recorded_submissions(bundle_dir)):
        try:
            info = services.get_submission(actor=actor,
                                           submission_id=entry["submission_id"]).info
        except (NotFound, PermissionDenied):
            continue
        if getattr(info.state, "value", info.state) == "changes_requested":
            return info.id
    return None


def default_package_dir(workspace: Workspace, bundle_dir: str | os.PathLike[str]) -> Path:
    """A new folder for the package of ``bundle_dir`` in the workspace's packages folder."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = workspace.packages_dir / f"{Path(bundle_dir).resolve().name}-{stamp}"
    candidate, n = base, 2
    while candidate.exists():
        candidate = base.with_name(f"{base.name}-{n}")
        n += 1
    return candidate
