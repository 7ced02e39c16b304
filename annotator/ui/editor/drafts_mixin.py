"""The editor's drafted instructions and action markers.

Drafts are proposals: the step list shows them apart from what the contributor wrote, one key
(A) accepts the selected step's draft and moves on, Shift+A accepts every draft that is not
weak (one undoable edit), Enter opens the instruction with the draft in it, selected, so that
typing replaces it.  Markers of the actions shown are drawn over the video.  The drafting
itself is the core's (annotator.drafts); it runs in ``DraftWorker``'s process.
"""

from __future__ import annotations

from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from annotator.drafts import RecordingDrafts
from annotator.drafts.markers import step_markers
from annotator.ui.editor.drafting import DraftWorker
from annotator.ui.editor.fixed_lines import FixedLine, LineWithButton, fixed_button

# A step's markers show from its observation frame until this long after it ended.
MARKER_AFTER_US = 400_000
# Rows drafted first when the window is not laid out yet (about a screenful at 1080p).
FIRST_ROWS = 12
# Drafting waits while the contributor seeks: it goes on this long after the last frame shown
# (stepping through steps with the arrow keys is a seek every 0.1-0.3 s).
SEEK_PAUSE_MS = 400


class DraftsMixin:
    """Mixed into EditorWindow (which provides session, step_model, step_list, view...)."""

    def _open_drafts(self) -> None:
        """Before the window is built: drafts that need no OCR at once, and the drafting
        process started (its imports and OCR engine loaded while the widgets are made; it
        drafts the first screenful as the frame cache writes their frames).  What it sends
        arrives once the window is built (queued signals, delivered by the event loop)."""
        from annotator.workspace import Workspace

        deny: list[str] = []
        try:
            deny = Workspace(self.folder.parent.parent).personal_deny_list()
        except Exception:  # noqa: BLE001 - not in a workspace: no personal deny-list
            deny = []
        self.drafts = RecordingDrafts.open(self.folder, edits=self.session.edits,
                                           deny_list=deny)
        self.drafts.update_steps(self.session.result.all_steps)
        self.drafts.quick()  # stored drafts, and every step that needs no OCR: at once
        self.session.set_drafts(self.drafts.texts())
        self.draft_worker = DraftWorker(self.drafts)
        self.draft_worker.drafted.connect(self._on_drafted)
        self.draft_worker.finished.connect(self._on_drafts_finished)
        self.draft_worker.stopped.connect(self._on_drafting_stopped)
        # The first screenful (the rows really on screen are known once the window is laid
        # out: then they are asked for again).
        self.draft_worker.prioritize([s.id for s in self.session.result.all_steps[:FIRST_ROWS]],
                                     first_screen=True)
        self.draft_worker.start()

    def _init_drafts(self) -> None:
        """Once the window is built: the step list shows the drafts."""
        self.step_model.drafts = self.drafts.drafts
        self.step_model.frame_size = self.bundle.size
        self._prefilled_draft: str | None = None
        self._return_pressed = False
        self._drafts_timer = QTimer(self)  # restarted by every frame shown (seeking)
        self._drafts_timer.setSingleShot(True)
        self._drafts_timer.setInterval(SEEK_PAUSE_MS)
        self._drafts_timer.timeout.connect(self.draft_worker.release)
        # The rows on screen change when the list scrolls or is resized (the window opens at
        # its final size only after this: the rows first asked for are then too few).
        bar = self.step_list.verticalScrollBar()
        bar.valueChanged.connect(lambda _v: self._prioritize_drafts())
        bar.rangeChanged.connect(  # (the window being laid out, at opening)
            lambda _lo, _hi: self._prioritize_drafts(first_screen=self._selected_id is None))

    def _build_drafts_bar(self) -> QWidget:
        """Above the step list: how far labelling is, and "Accept all drafts" as a button
        (Shift+A), so that the one-key flow is found without the shortcut list.  Updated as
        drafts arrive: its line and button never change size (fixed_lines)."""
        bar = QWidget()
        h = QHBoxLayout(bar)
        h.setContentsMargins(0, 0, 0, 0)
        self.labelling_label = FixedLine(1)
        self.labelling_label.setObjectName("labelling")
        self.accept_all_btn = fixed_button("Accept all drafts", "Accept 00000 drafts")
        self.accept_all_btn.setObjectName("acceptAllDrafts")
        self.accept_all_btn.setToolTip("Shift+A: every draft that is not weak becomes its "
                                       "step's instruction (Ctrl+Z undoes it). Weak drafts "
                                       "(amber) are left for you to check: A accepts one, "
                                       "Enter edits it.")
        self.accept_all_btn.setEnabled(False)
        self.accept_all_btn.clicked.connect(self.accept_all_drafts)
        h.addWidget(self.labelling_label, 1)
        h.addWidget(self.accept_all_btn)
        return bar

    def _build_draft_row(self) -> QWidget:
        """Under the instruction: where it comes from (a draft, accepted, written) and, for
        a draft, an "Accept draft" button (A).  It changes with every step selected and
        every draft arriving, and moves nothing (fixed_lines): two lines, always."""
        self.origin_label = FixedLine(2)
        self.origin_label.setObjectName("origin")
        self.accept_btn = QPushButton("Accept draft (A)")
        self.accept_btn.setObjectName("acceptDraft")
        self.accept_btn.setToolTip("The draft becomes this step's instruction; then the next "
                                   "step without one is selected")
        self.accept_btn.clicked.connect(self.accept_draft)
        self.accept_btn.hide()
        return LineWithButton(self.origin_label, self.accept_btn)

    def _update_drafts_bar(self) -> None:
        drafts = getattr(self, "drafts", None)
        if drafts is None:
            return
        kept = self.session.result.steps
        open_ = [s for s in kept if not s.label.instruction.strip()]
        ready = [d for s in open_ if (d := drafts.drafts.get(s.id)) is not None and d.text]
        weak = sum(1 for d in ready if d.weak)
        strong = len(ready) - weak
        left = len(open_) - len(ready)
        parts = [f"<b>{len(kept) - len(open_)}</b> of {len(kept)} step(s) labelled"]
        if strong:
            parts.append(f"{strong} draft(s) to accept")
        if weak:
            parts.append(f"<span style='color:#b36b00'>{weak} weak, to check</span>")
        if left and self.step_model.drafting:
            parts.append(f"drafting {left} more…")
        self.labelling_label.setText(" · ".join(parts))
        self.accept_all_btn.setEnabled(strong > 0)
        self.accept_all_btn.setText(f"Accept {strong} drafts" if strong > 1
                                    else "Accept all drafts")

    def _title_guard(self):
        """What row titles may quote: the drafts' rules (None until drafts are set up)."""
        drafts = getattr(self, "drafts", None)
        return drafts.guard if drafts is not None else None

    def _start_drafting(self) -> None:
        self._prioritize_drafts(first_screen=True)
        self.draft_worker.start()

    def _prioritize_drafts(self, first_screen: bool = False) -> None:
        """The rows on screen and the selected step first (``first_screen``: at opening)."""
        view = self.step_list
        top = view.indexAt(view.viewport().rect().topLeft()).row()
        bottom = view.indexAt(view.viewport().rect().bottomLeft()).row()
        n = self.step_model.rowCount()
        if top < 0:
            top = 0
        if bottom < 0 or not view.isVisible():  # not laid out yet: a screenful's worth
            bottom = min(n - 1, top + FIRST_ROWS)
        # (and the row after them, unless these are the first screen: drafted even while
        # the window seeks, they are the rows really seen, no more)
        last = bottom + (1 if first_screen else 2)
        ids = [self.step_model.steps[r].id for r in range(top, min(n, last))]
        if self._selected_id is not None:
            ids.insert(0, self._selected_id)
        self.draft_worker.prioritize(ids, first_screen=first_screen)

    def _on_drafted(self, ids: list) -> None:
        self.session.set_drafts(self.drafts.texts())
        self.step_model.drafts = self.drafts.drafts
        self.step_model.drafts_changed(ids)
        if self._selected_id in ids:
            self._fill_draft_panel()
        self._update_markers()
        self._update_drafts_bar()

    def _frames_for_drafts(self, complete: bool = False) -> None:
        """The frame cache wrote frames (or finished): drafts waiting for them go on."""
        self.draft_worker.frames(complete)

    def _on_drafts_finished(self) -> None:
        self.step_model.drafting = False
        self.step_model.drafts_changed([])
        self._update_drafts_bar()

    def _on_drafting_stopped(self, message: str) -> None:
        """Said in the window's banner; the rows waiting for a draft no longer say
        "Drafting…"."""
        self.notes.append(message)
        self.banner.setText("\n".join(f"• {n}" for n in self.notes))
        self.banner_box.setVisible(True)
        self._on_drafts_finished()

    def _drafts_follow(self, change) -> None:
        """After an edit: new steps or redactions make some drafts again."""
        redactions = None
        if change.steps_changed:
            self.drafts.update_steps(self.session.result.all_steps)
        if change.redactions_changed or change.action in ("undo", "redo"):
            redactions = self.session.edits.redactions
            self.drafts.update_redactions(redactions)
        if change.steps_changed or change.redactions_changed:
            self.drafts.quick()
            self.session.set_drafts(self.drafts.texts())
            self.step_model.drafts = self.drafts.drafts
            self.step_model.drafting = True
        if change.steps_changed or redactions is not None:
            self.draft_worker.follow(change.steps_changed, redactions)

    # -- accepting --------------------------------------------------------------------------
    def draft_of(self, step_id: str | None):
        return self.drafts.drafts.get(step_id) if step_id is not None else None

    def accept_draft(self) -> None:
        """A: the selected step's draft becomes its instruction; then the next step that
        still has only a draft is selected."""
        s = self.selected()
        if s is None:
            return
        d = self.draft_of(s.id)
        if s.label.instruction.strip() or d is None or not d.text:
            self._select_next_unlabelled()
            return
        if self._do(self.session.accept_draft, s.id) is not None:
            self._select_next_unlabelled()

    def accept_all_drafts(self) -> None:
        change = self._do(self.session.accept_drafts)
        if change is None:
            return
        kept = self.session.result.steps
        weak = [s for s in kept if not s.label.instruction.strip()
                and (d := self.draft_of(s.id)) is not None and d.weak]
        left = sum(1 for s in kept if not s.label.instruction.strip())
        msg = f"Accepted {len(change.step_ids)} draft(s) (Ctrl+Z undoes it)."
        if weak:
            msg += (f" {len(weak)} weak draft(s) left for you to check (amber): A accepts "
                    "one, Enter edits it.")
        elif left:
            msg += f" {left} step(s) still have no instruction."
        self.statusBar().showMessage(msg, 12000)
        if weak:
            self.select_step(weak[0].id)

    def _select_next_unlabelled(self) -> None:
        steps = self.session.result.steps
        ids = [s.id for s in steps]
        start = ids.index(self._selected_id) + 1 if self._selected_id in ids else 0
        for s in steps[start:] + steps[:start]:
            if not s.label.instruction.strip():
                self.select_step(s.id)
                return

    # -- the instruction field ----------------------------------------------------------------
    def _fill_draft_panel(self) -> None:
        s = self.selected()
        d = self.draft_of(s.id) if s is not None else None
        self.accept_btn.setVisible(s is not None and not s.label.instruction_origin
                                   and d is not None and bool(d.text))
        if s is None:
            self.origin_label.setText("")
            return
        origin = s.label.instruction_origin
        if origin:
            text = {"accepted": "Accepted draft", "edited": "Edited from the draft",
                    "written": "Written by you"}[origin]
        elif d is not None and d.text:
            text = ("<span style='color:#b36b00'>Weak draft: " + (d.why or "check it")
                    + "</span> — A accepts, Enter edits") if d.weak \
                else "Draft — A accepts it, Enter edits it, typing replaces it"
        elif self.step_model.drafting:
            text = "Drafting…"
        else:
            text = ""
        self.origin_label.setText(text)
        if not s.label.instruction and d is not None and d.text:
            self.instruction.setPlaceholderText(d.text)
        else:
            self.instruction.setPlaceholderText("What this step does, in your words")

    def _focus_instruction_with_draft(self) -> None:
        """Enter: edit the instruction; with only a draft, start from it (selected, so
        typing replaces it; Enter again accepts it as it is)."""
        s = self.selected()
        if s is None:
            return
        d = self.draft_of(s.id)
        self._prefilled_draft = None
        if not s.label.instruction and d is not None and d.text:
            self.instruction.setText(d.text)
            self._prefilled_draft = d.text
        self._return_pressed = False
        self.instruction.setFocus()
        self.instruction.selectAll()

    def _instruction_return(self) -> None:
        self._return_pressed = True

    def _draft_commit_allowed(self) -> bool:
        """A draft put in the field by Enter is accepted by Enter, not by looking away."""
        text = self.instruction.text()
        if self._prefilled_draft is not None and text == self._prefilled_draft \
                and not self._return_pressed:
            s = self.selected()
            was = self._refreshing
            self._refreshing = True
            self.instruction.setText(s.label.instruction if s is not None else "")
            self._refreshing = was
            self._prefilled_draft = None
            return False
        self._prefilled_draft = None
        self._return_pressed = False
        return True

    # -- markers --------------------------------------------------------------------------------
    def _step_markers(self, rstep) -> list:
        out = []
        d = self.draft_of(rstep.id)
        for src in rstep.sources:
            box = None
            if d is not None and d.target is not None and d.target.box:
                box = d.target.box
            out.extend(step_markers(src, box))
        return out

    def _show_markers(self, on: bool) -> None:
        """View > Show action markers: the frame alone, or with where each action was."""
        self.view.show_markers = on
        self.step_model.show_markers = on
        self.view.update()
        self.step_list.viewport().update()

    def _update_markers(self) -> None:
        """Markers of the steps around the playhead: from a step's observation frame to a
        moment after it ended (the selected step strongly, the others faintly)."""
        t = self.playhead
        shown = []
        for s in self.session.result.all_steps:
            src = s.sources[0] if s.sources else None
            # From the frame shown as its observation (its pts can be older than the grab
            # that saw it, when the screen did not change in between).
            start = min([s.orig_t_start_us] + [int(v) for v in (
                getattr(src, "obs_t_us", None), getattr(src, "obs_pts", None))
                if v is not None])
            if start <= t <= s.orig_t_end_us + MARKER_AFTER_US:
                shown.append(s)
            elif s.orig_t_start_us > t + 600_000_000:
                break  # steps are in time order; an observation is never 10 min old
        markers = [(self._step_markers(s), s.id == self._selected_id or len(shown) == 1)
                   for s in shown]
        self.view.set_markers([m for m in markers if m[0]])

