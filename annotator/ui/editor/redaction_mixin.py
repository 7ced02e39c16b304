"""The editor's redaction tools: boxes on the video view, masks in the step panel,
suggestions found in the background, and rendering with the leak check.

A mixin of EditorWindow (it uses the window's session, view, timeline and status bar), kept
in its own module so the window stays readable.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtWidgets import QFileDialog

from annotator.edits.redactions import decided_suggestions, orphaned_redactions
from annotator.jobs import Cancelled, Progress
from annotator.redaction.stored import load_suggestions, save_suggestions
from annotator.ui.editor.redaction_panel import RedactionPanel
from annotator.ui.work import Job, run_job


class RedactionMixin:
    """Long work (suggestions, rendering) runs through the UI's runner (``run_job``), one
    job at a time, with its progress and Cancel in the status bar."""

    def _build_redaction_ui(self) -> RedactionPanel:
        self.suggestions: list = self._load_suggestions()
        self.rpanel = RedactionPanel()
        p = self.rpanel
        p.draw_box.connect(lambda: self.view.set_drawing(True))
        p.whole_frame.connect(self._whole_frame)
        p.range_action.connect(self._range_action)
        p.remove.connect(lambda rid: self._do(self.session.remove_redaction, rid))
        p.selected.connect(self._select_redaction)
        p.find_suggestions.connect(self.find_suggestions)
        p.accept.connect(self._accept)
        p.reject.connect(lambda ids: ids and self._do(self.session.reject_suggestions, ids))
        p.snap.connect(self._snap)
        p.grow_finding.connect(self._grow_finding)
        p.accept_finding.connect(self._accept_finding)
        self.view.box_drawn.connect(self._box_drawn)
        self.view.box_changed.connect(
            lambda rid, rect: self._do(self.session.update_box, rid, rect=rect))
        self.view.box_selected.connect(self._select_redaction)
        self._job: Job | None = None
        self._findings: list[dict] = []
        return p

    # -- state -> views --------------------------------------------------------------------
    def _load_suggestions(self) -> list:
        return load_suggestions(self.folder)

    def _refresh_redactions(self) -> None:
        edits = self.session.edits
        ids = [s.id for s in self.steps]
        orphans = {r["id"] for r in orphaned_redactions(edits, ids)}
        self.rpanel.set_redactions(edits.redactions, orphans)
        self.rpanel.set_suggestions(self.suggestions, decided_suggestions(edits))
        self._update_overlay()

    def _update_overlay(self) -> None:
        t = self.playhead
        boxes = [r for r in self.session.edits.redactions
                 if r.get("kind") == "box" and r["t_start_us"] <= t <= r["t_end_us"]]
        decided = decided_suggestions(self.session.edits)
        suggested = [s.rect for s in self.suggestions
                     if s.rect is not None and s.id not in decided
                     and s.t_start_us <= t <= s.t_end_us]
        self.view.set_boxes(boxes, suggested)

    # -- actions ----------------------------------------------------------------------------
    def _default_range(self) -> tuple[int, int, str | None]:
        """A new box covers from the selected step (or the playhead) to the end."""
        s = self.selected()
        start = s.orig_t_start_us if s is not None else self.playhead
        start = min(start, self.playhead)
        return start, self.duration_us, (s.id if s is not None else None)

    def _box_drawn(self, rect: list) -> None:
        t0, t1, sid = self._default_range()
        if self._do(self.session.add_box, rect, t0, t1, start_step=sid) is not None:
            self._note_clamp()
            self.rpanel.set_redactions(self.session.edits.redactions, set(),
                                       select=self.session.edits.redactions[-1]["id"])

    def _whole_frame(self) -> None:
        t0, t1, sid = self._default_range()
        self._do(self.session.add_box, "full", t0, t1, start_step=sid)

    def _note_clamp(self) -> None:
        for note in getattr(self.session, "last_notes", []):
            self.statusBar().showMessage(note, 8000)

    def _select_redaction(self, rid: str) -> None:
        self.view.selected_id = rid
        self.view.update()

    def _range_action(self, action: str) -> None:
        rid = self.rpanel.current_id()
        if not rid:
            return
        box = next((r for r in self.session.edits.redactions if r["id"] == rid), None)
        if box is None or box.get("kind") != "box":
            return
        s = self.selected()
        fields: dict = {}
        if action == "from_playhead":
            fields = {"t_start_us": self.playhead}
        elif action == "to_playhead":
            fields = {"t_end_us": self.playhead}
        elif action == "whole":
            fields = {"t_start_us": 0, "t_end_us": self.duration_us}
        elif action == "from_step" and s is not None:
            fields = {"t_start_us": s.orig_t_start_us, "start_step": s.id}
        elif action == "to_step" and s is not None:
            fields = {"t_end_us": s.orig_t_end_us, "end_step": s.id}
        if fields:
            self._do(lambda **kw: self.session.update_box(rid, name="Set redaction range",
                                                          **kw), **fields)

    def _box(self, rid: str) -> dict | None:
        box = next((r for r in self.session.edits.redactions if r["id"] == rid), None)
        return box if box is not None and box.get("kind") == "box" else None

    def _snap(self, rid: str) -> None:
        """Fit the box to the text under it on the frame shown: one undoable edit."""
        from annotator.redaction.boxfit import snap_to_text

        box = self._box(rid)
        if box is None or box["rect"] == "full" or self.view.rgb is None:
            return
        new = snap_to_text(self.view.rgb, box["rect"])
        if new is None:
            self.statusBar().showMessage("There is no text under this box on the frame shown: "
                                         "it stays as drawn.", 6000)
        elif list(new) == list(box["rect"]):
            self.statusBar().showMessage("The box already fits the text under it.", 5000)
        else:
            self._do(self.session.update_box, rid, rect=list(new), name="Snap to text")

    def _grow_finding(self, item: dict) -> None:
        """Grow the box a piece of a hidden value was found next to, over its text on every
        frame of its range (in the background), then apply it as one undoable edit."""
        from annotator.redaction.boxfit import grow_to_text

        box = self._box(item.get("box_id") or "")
        if box is None or box["rect"] == "full":
            return
        folder, rect = self.folder, list(box["rect"])
        t0, t1 = box["t_start_us"], box["t_end_us"]
        at = [item["source_time_us"]] if item.get("source_time_us") is not None else []
        rid = box["id"]

        def job(progress: Progress):
            return rid, rect, grow_to_text(folder, rect, t0, t1, at_us=at, progress=progress)

        self._run_job("Growing a box", job)

    def _accept_finding(self, item: dict) -> None:
        if item.get("check") == "fragments":
            done = self._do(self.session.allow_leak_item, item["key"], "fragment")
        elif item.get("text"):
            done = self._do(self.session.allow_leak_item, item["text"], item.get("detector"))
        else:
            return
        if done is not None:  # shown as accepted until the next render checks again
            items = [dict(d, blocking=False, allowed=True) if d == item else d
                     for d in self._findings]
            self._findings = items
            self.rpanel.set_findings(items)

    def _accept(self, ids: list) -> None:
        chosen = [s for s in self.suggestions if s.id in set(ids)]
        if chosen:
            self._do(self.session.accept_suggestions, chosen)

    def mask_selected_text(self) -> None:
        s = self.selected()
        if s is None or s.type != "type":
            return
        src = next((x for x in self.steps if s.source_ids and x.id == s.source_ids[0]), None)
        sel = self.typed_text.selectedText() if hasattr(self, "typed_text") else ""
        if sel and src is not None and src.text:
            start = self.typed_text.selectionStart()
            self._do(self.session.mask_text, src.id, start, start + len(sel))
        elif src is not None:
            self._do(self.session.mask_text, src.id)

    # -- background jobs: suggestions, rendering -------------------------------------------
    def _run_job(self, name: str, fn) -> None:
        if self._job is not None:
            self.statusBar().showMessage("Another job is running; cancel it first.", 5000)
            return
        self.cancel_btn.show()
        self.progress.show()
        self.progress.setFormat(f"{name} %p%")
        try:
            self.cancel_btn.clicked.disconnect()
        except TypeError:
            pass
        self._job = run_job(fn, owner=self, name=f"annotator-{name}",
                            on_progress=self._job_progress,
                            on_done=lambda result: self._job_done(name, result),
                            on_error=lambda exc: self._job_done(name, exc),
                            on_cancel=lambda: self._job_done(name, Cancelled()))
        self.cancel_btn.clicked.connect(self._job.cancel)

    def _job_progress(self, done: int, total: int, _msg: str) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)

    def _job_done(self, name: str, result) -> None:
        self._job = None
        self.progress.hide()
        self.cancel_btn.hide()
        if isinstance(result, Cancelled):
            self.statusBar().showMessage(f"{name} cancelled.", 5000)
            return
        if isinstance(result, BaseException):
            self._tell(f"{name} failed: {result}")
            return
        if name == "Finding suggestions":
            self.suggestions = result
            self._refresh_redactions()
            self.statusBar().showMessage(f"{len(result)} suggestion(s) found.", 8000)
        elif name == "Growing a box":
            rid, old, new = result
            box = self._box(rid)
            if box is None or list(box["rect"]) != old:
                self._tell("The box was changed meanwhile: grow it again.")
            elif list(new) == old:
                self.statusBar().showMessage("The box already holds all the text it touches.",
                                             6000)
            else:
                self._do(self.session.update_box, rid, rect=list(new),
                         name="Grow redaction to its text")
                self._tell("The box was grown over its text: render again to check.")
        elif name == "Rendering":
            render, check, _plan = result
            self.last_leak_check = check
            self._findings = check.ui_items()
            self.rpanel.set_findings(self._findings)
            text = str(check)
            if check.passed:
                self._tell(f"Rendered {render.path}. {text}")
            else:
                self._tell(f"The leak check did not pass: {render.path} must not be submitted "
                           f"yet. {text}")

    def _tell(self, text: str) -> None:
        """Results of long work: in the window's banner, never a modal box that blocks."""
        self.banner.setText(text)
        self.banner_box.show()

    def find_suggestions(self) -> None:
        from annotator.redaction.suggest import suggest_for_bundle
        from annotator.workspace import Workspace

        folder = self.folder
        deny = []
        try:
            deny = Workspace.of_recording(folder).personal_deny_list()
        except Exception:
            pass
        steps = list(self.steps)

        def job(progress: Progress):
            found = suggest_for_bundle(folder, steps=steps, deny_list=deny, progress=progress)
            save_suggestions(folder, found)
            return found

        self._run_job("Finding suggestions", job)

    def render_for_submission(self, out: str | None = None) -> None:
        from annotator.submission.render import render_for_submission

        if out is None:
            out, _ = QFileDialog.getSaveFileName(
                self, "Render as it would be submitted",
                str(self.folder.parent / f"{self.folder.name}-rendered.mp4"), "Video (*.mp4)")
            if not out:
                return
        folder, dest = self.folder, Path(out)
        self.session.flush()
        self._run_job("Rendering", lambda progress: render_for_submission(folder, dest, progress))
