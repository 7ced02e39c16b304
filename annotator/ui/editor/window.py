"""The editor window: review, trim and label every step of one recording.

Everything it changes goes through the Qt-free ``EditSession`` (edits as data, saved after
every change, undo in the core); the window only turns commands into calls and refreshes
from the session's one change notification.
"""

from __future__ import annotations

import time
from pathlib import Path

from PyQt6.QtCore import QEvent, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QAction, QKeySequence, QShortcut
from PyQt6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from annotator.bundle import Bundle
from annotator.bundle.recover import needs_recovery, recover
from annotator.drafts.titles import step_title
from annotator.edits import EditSession
from annotator.edits.errors import EditError
from annotator.errors import AnnotatorError
from annotator.media.framecache import (
    build_frame_cache,
    read_stored_pts,
    step_frames,
    stored_pts,
)
from annotator.steps.store import steps_for_editing, write_steps
from annotator.ui.editor.drafts_mixin import DraftsMixin
from annotator.ui.editor.frames import FrameLoader
from annotator.ui.editor.playback_mixin import PlaybackMixin, fmt_time
from annotator.ui.editor.redaction_mixin import RedactionMixin
from annotator.ui.editor.step_list import StepListModel, StepListView
from annotator.ui.editor.task_mixin import TaskPanelMixin
from annotator.ui.fit import fit_to_screen, scrollable
from annotator.ui.work import Job, run_job

SHORTCUTS = [
    ("Space", "Play / pause"),
    ("J / K / L", "Shuttle: reverse, stop, forward (press again to go faster)"),
    ("Left / Right", "One frame back / forward"),
    ("Shift+Left / Shift+Right", "Previous / next step"),
    ("I / O", "Set the in / out point at the playhead (trim)"),
    ("C", "Start a cut at the playhead; press again to cut to the playhead"),
    ("Enter", "Edit the selected step's instruction (a draft: start from it; Enter accepts)"),
    ("A", "Accept the selected step's draft and go to the next step without an instruction"),
    ("Shift+A", "Accept all drafts (weak ones are left for you to check; Ctrl+Z undoes)"),
    ("Delete", "Delete the selected step"),
    ("M", "Merge the selected step with the next one"),
    ("Ctrl+Z / Ctrl+Shift+Z", "Undo / redo"),
    ("P", "Preview as reviewer (kept ranges only)"),
    ("R", "Draw a redaction box on the video (Esc cancels)"),
    ("F1", "This list"),
]

class EditorWindow(QMainWindow, PlaybackMixin, TaskPanelMixin, RedactionMixin, DraftsMixin):
    """One recording in the editor.  ``submit_requested(folder)``: File ▸ Submit… was chosen;
    whoever opened the editor (the library window, or ``annotator edit``) opens the consent
    dialog."""

    submit_requested = pyqtSignal(object)

    def __init__(self, folder: str | Path) -> None:
        super().__init__()
        self.folder = Path(folder)
        self.notes: list[str] = []
        self._closed = False
        manifest = Bundle.open(self.folder).manifest  # clear error if not a bundle
        if needs_recovery(manifest, self.folder):
            found = len(manifest.get("problems", []))
            repaired = recover(self.folder)
            if manifest.get("status") == "recording":
                self.notes.append("This recording had been cut off (a crash or a kill); it "
                                  "was recovered up to its last saved fragment.")
            self.notes.extend(repaired.get("problems", [])[found:])
        self.bundle = Bundle.open(self.folder)
        opened = steps_for_editing(self.folder)
        self.doc, self._steps_to_write = opened.doc, opened.to_store
        if opened.note:
            self.notes.append(opened.note)
        self.steps = list(self.doc.steps)
        self._steps_by_id = {x.id: x for x in self.steps}
        self.session = EditSession.open(self.folder, steps=self.steps)
        self.notes.extend(self.session.messages)
        self.notes.extend(self.bundle.warnings)
        # The pts of the stored frames (frame stepping, the exact frame at a time): the index
        # the steps were just derived from, else the copy kept in the cache, else read from
        # frames.jsonl on a worker thread (0.4 s for an hour) while the window opens.
        stored = stored_pts(self.folder, self.doc.frame_index)
        self.stored_pts: list[int] = stored or []
        self.duration_us = max(self.bundle.duration_us,
                               self.stored_pts[-1] if self.stored_pts else 0, 1)
        self.video_ok = self.bundle.video_path.is_file() and (stored is None
                                                              or bool(self.stored_pts))
        if not self.video_ok:
            self.notes.append(self._no_video_note())
        self.playhead = self.stored_pts[0] if self.stored_pts else 0
        if stored is None:  # until the index is read: the first step's frame, a stored one
            self.playhead = min((int(s.obs_pts) for s in self.steps if s.obs_pts is not None),
                                default=0)
        self.preview = False
        self.speed = 0.0  # playback rate: 0 stopped, 1 normal, negative reverse
        self.cut_start: int | None = None
        self._last_tick = 0.0
        self._refreshing = False
        self._syncing_list = False  # the window itself is moving the list's current row
        self._selected_id: str | None = None

        self._open_drafts()  # the drafting process starts while the window is built
        self.setWindowTitle(f"annotator — {self.folder.name}")
        self._build()
        self._build_menus()
        self._build_shortcuts()
        fit_to_screen(self, 1500, 900)

        self.loader = FrameLoader(self.folder, self.bundle.video_path)
        self.loader.frame_ready.connect(self._on_frame)
        self.loader.failed.connect(lambda msg: self.statusBar().showMessage(msg, 8000))
        # Thumbnails of rows a seek scrolled into view load once the user pauses (0.12 s
        # after a frame is shown), not between the seek and its frame, nor during a burst of
        # seeks (arrow key held down), when they would slow each frame on two cores.
        self._thumbs_timer = QTimer(self)
        self._thumbs_timer.setSingleShot(True)
        self._thumbs_timer.setInterval(120)
        self._thumbs_timer.timeout.connect(self.step_model.loader.release)
        self._init_drafts()
        self._play_timer = QTimer(self)
        self._play_timer.setInterval(33)
        self._play_timer.timeout.connect(self._tick)
        self._unsubscribe = self.session.subscribe(self._on_change)
        self.refresh()
        self.seek(self.playhead)
        self._index_pending = stored is None
        self._background_started = False
        self._steps_job: Job | None = None
        self._cache_job: Job | None = None
        self._cache_pts: list[int] = []
        # The frame cache starts now, beside the first frame: its first frames are the
        # first screen's, whose drafts read them as it writes them.
        self._start_cache()
        # Drafts of the rows on screen are wanted now (the rest waits at low priority).
        self._start_drafting()
        # Other background work (writing steps.json, reading the frame index if it was not
        # kept) starts once the first frame is shown, so that it does not slow the opening;
        # at the latest after a second.
        QTimer.singleShot(1000 if self.video_ok else 100, self._start_background)
        if self.session.read_only:
            self.notes.append("This recording's folder is read-only: you can look, but "
                              "changes cannot be saved.")
        self.banner.setText("\n".join(f"• {n}" for n in self.notes))
        self.banner_box.setVisible(bool(self.notes))

    def _start_background(self) -> None:
        if self._background_started:
            return
        self._background_started = True
        self._prioritize_drafts(first_screen=True)  # laid out now: the rows really on screen
        if self._index_pending:
            run_job(read_stored_pts, self.folder, owner=self, name="annotator-frame-index",
                    on_done=self._on_frame_index, on_error=self._on_frame_index)
        if not self._cache_pts:  # no frame cache to wait for (no usable video): drafts go on
            self._frames_for_drafts(complete=True)
        self._write_steps_later()

    def _start_frame_cache(self) -> None:
        if self._cache_job is not None or not self._cache_pts:  # started, or closing
            return
        self._cache_job = run_job(
            build_frame_cache, self.folder, self.bundle.video_path, self._cache_pts,
            owner=self, name="annotator-cache",
            on_progress=self._on_cache_progress,
            on_done=self._on_cache_done, on_error=self._on_cache_done,
            on_cancel=self._on_cache_done)
        self.cancel_btn.clicked.connect(self._cache_job.cancel)

    def _write_steps_later(self) -> None:
        doc, self._steps_to_write = self._steps_to_write, None
        if doc is None:
            return

        # A read-only folder fails quietly: derived again next time, the banner says why.
        self._steps_job = run_job(write_steps, self.folder, doc, name="annotator-steps-write")

    # -- layout: one builder per panel --------------------------------------------------------
    def _build(self) -> None:
        left = self._build_video_side()
        steps_tab = QWidget()
        rv = QVBoxLayout(steps_tab)
        rv.setContentsMargins(0, 0, 0, 0)
        self.steps_label = QLabel()
        rv.addWidget(self.steps_label)
        rv.addWidget(self._build_drafts_bar())
        rv.addWidget(self._build_step_list(), 1)
        rv.addWidget(self._build_step_box())
        task_tab = QWidget()
        tv = QVBoxLayout(task_tab)
        tv.addWidget(self._build_task_box())
        tv.addStretch(1)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("tabs")
        self.tabs.addTab(steps_tab, "Steps")
        # Their least heights must not set the window's (tests/ui/test_small_screen.py).
        self.tabs.addTab(scrollable(self._build_redaction_ui()), "Redactions")
        self.tabs.addTab(scrollable(task_tab), "Task")
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(self.tabs)
        split.setSizes([950, 550])
        central = QWidget()
        cl = QVBoxLayout(central)
        cl.setContentsMargins(4, 4, 4, 4)
        cl.addWidget(self._build_banner())
        cl.addWidget(split, 1)
        self.setCentralWidget(central)
        self._build_status()

    def _build_step_list(self) -> StepListView:
        self.step_model = StepListModel(
            self.folder, lambda s, src: step_title(s, src, self._title_guard()), self)
        self.step_list = StepListView(self.step_model)
        self.step_list.current_step_changed.connect(self._on_select)
        return self.step_list

    def _build_step_box(self) -> QGroupBox:
        """The selected step: its instruction, thought, flags, typed text and operations."""
        self.instruction = QLineEdit()
        self.instruction.setObjectName("instruction")
        self.instruction.setPlaceholderText("What this step does, in your words")
        self.instruction.editingFinished.connect(self._commit_instruction)
        self.instruction.returnPressed.connect(self._instruction_return)
        self.thought = QPlainTextEdit()
        self.thought.setObjectName("thought")
        self.thought.setPlaceholderText("Why (optional)")
        self.thought.setFixedHeight(54)
        self.thought.installEventFilter(self)  # committed when left (eventFilter)
        self.mistake = QCheckBox("Mistake")
        self.redundant = QCheckBox("Redundant")
        self.mistake.toggled.connect(lambda v: self._label_flag("mistake", v))
        self.redundant.toggled.connect(lambda v: self._label_flag("redundant", v))
        self.typed_text = QLineEdit()
        self.typed_text.setObjectName("typedText")
        self.typed_text.setReadOnly(True)
        self.typed_text.setPlaceholderText("(no typed text)")
        self.mask_btn = QPushButton("Mask typed text")
        self.mask_btn.setToolTip("Replace the selected characters (or all) with <redacted> "
                                 "in what is submitted; the recording keeps them")
        self.mask_btn.clicked.connect(self.mask_selected_text)
        self.delete_btn = QPushButton("Delete step")
        self.merge_btn = QPushButton("Merge with next")
        self.split_at = QSpinBox()
        self.split_at.setMinimum(1)
        self.split_btn = QPushButton("Split typing at")
        self.restore_btn = QPushButton("Restore")
        self.delete_btn.clicked.connect(self.delete_step)
        self.merge_btn.clicked.connect(self.merge_next)
        self.split_btn.clicked.connect(self.split_typing)
        self.restore_btn.clicked.connect(self.restore_step)
        step_box = QGroupBox("Step")
        sf = QFormLayout(step_box)
        sf.addRow("Instruction", self.instruction)
        sf.addRow("", self._build_draft_row())
        sf.addRow("Thought", self.thought)
        typed = QHBoxLayout()
        typed.addWidget(self.typed_text, 1)
        typed.addWidget(self.mask_btn)
        sf.addRow("Typed", typed)
        flags = QHBoxLayout()
        flags.addWidget(self.mistake)
        flags.addWidget(self.redundant)
        flags.addStretch(1)
        sf.addRow(flags)
        ops = QHBoxLayout()
        for w in (self.delete_btn, self.merge_btn, self.split_btn, self.split_at,
                  self.restore_btn):
            ops.addWidget(w)
        sf.addRow(ops)
        return step_box

    def _build_banner(self) -> QWidget:
        """Messages about this recording (recovered, corrupt edits set aside, read-only...):
        shown in the window, never a modal box that blocks work."""
        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        dismiss = QPushButton("Dismiss")
        self.banner_box = QWidget()
        self.banner_box.setStyleSheet("QWidget { background: #fff4c2; color: #3a3000; }")
        bl = QHBoxLayout(self.banner_box)
        bl.addWidget(self.banner, 1)
        bl.addWidget(dismiss)
        dismiss.clicked.connect(self.banner_box.hide)
        self.banner_box.hide()
        return self.banner_box

    def _build_status(self) -> None:
        """The frame cache's progress and its Cancel, in the status bar while it runs."""
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setFormat("Caching step frames %p%")
        self.cancel_btn = QPushButton("Cancel")
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().addPermanentWidget(self.cancel_btn)
        self.progress.hide()
        self.cancel_btn.hide()

    def _build_menus(self) -> None:
        m = self.menuBar()
        file = m.addMenu("&File")
        render = QAction("&Render as submitted…", self)
        render.triggered.connect(lambda: self.render_for_submission())
        file.addAction(render)
        find = QAction("Find redaction &suggestions", self)
        find.triggered.connect(self.find_suggestions)
        file.addAction(find)
        submit = QAction("S&ubmit…", self)  # consent and send for review: the opener's
        submit.triggered.connect(lambda: self.submit_requested.emit(self.folder))
        file.addAction(submit)
        file.addSeparator()
        close = QAction("&Close", self)
        close.setShortcut(QKeySequence.StandardKey.Close)
        close.triggered.connect(self.close)
        file.addAction(close)
        edit = m.addMenu("&Edit")
        self.undo_action = QAction("Undo", self)
        self.undo_action.setShortcut(QKeySequence("Ctrl+Z"))
        self.undo_action.triggered.connect(lambda: self._do(self.session.undo))
        self.redo_action = QAction("Redo", self)
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.redo_action.triggered.connect(lambda: self._do(self.session.redo))
        edit.addAction(self.undo_action)
        edit.addAction(self.redo_action)
        edit.addSeparator()
        accept = QAction("Accept draft\tA", self)
        accept.triggered.connect(self.accept_draft)
        edit.addAction(accept)
        accept_all = QAction("Accept all drafts\tShift+A", self)
        accept_all.triggered.connect(self.accept_all_drafts)
        edit.addAction(accept_all)
        edit.addSeparator()
        cut_pauses = QAction("Cut all pauses", self)
        cut_pauses.triggered.connect(lambda: self._do(self.session.cut_pauses))
        edit.addAction(cut_pauses)
        view = m.addMenu("&View")
        prev = QAction("Preview as reviewer", self)
        prev.setCheckable(True)
        prev.toggled.connect(self.preview_box.setChecked)
        self.preview_box.toggled.connect(prev.setChecked)
        view.addAction(prev)
        self.markers_action = QAction("Show action markers", self)
        self.markers_action.setCheckable(True)
        self.markers_action.setChecked(True)
        self.markers_action.toggled.connect(self._show_markers)
        view.addAction(self.markers_action)
        helpm = m.addMenu("&Help")
        keys = QAction("Keyboard shortcuts", self)
        keys.setShortcut(QKeySequence("F1"))
        keys.triggered.connect(self.show_shortcuts)
        helpm.addAction(keys)

    def _build_shortcuts(self) -> None:
        # Single-key shortcuts are switched off while a text field has focus, so that typing
        # a J or pressing Enter in a field stays typing (a live shortcut would eat the key).
        self._shortcuts: list[QShortcut] = []

        def add(key: str, fn) -> None:
            sc = QShortcut(QKeySequence(key), self)
            sc.setContext(Qt.ShortcutContext.WindowShortcut)
            sc.activated.connect(fn)
            self._shortcuts.append(sc)

        QApplication.instance().focusChanged.connect(self._focus_changed)

        add("Space", self.toggle_play)
        add("J", lambda: self.shuttle(-1))
        add("K", lambda: self.shuttle(0))
        add("L", lambda: self.shuttle(1))
        add("Left", lambda: self.step_frame(-1))
        add("Right", lambda: self.step_frame(1))
        add("Shift+Left", lambda: self.jump_step(-1))
        add("Shift+Right", lambda: self.jump_step(1))
        add("I", self.set_in)
        add("O", self.set_out)
        add("C", self.cut_mark)
        add("M", self.merge_next)
        add("P", lambda: self.preview_box.setChecked(not self.preview_box.isChecked()))
        add("Delete", self.delete_step)
        add("Return", self._focus_instruction_with_draft)
        add("A", self.accept_draft)
        add("Shift+A", self.accept_all_drafts)
        add("R", lambda: self.view.set_drawing(True))
        add("Escape", self._escape)

    def _escape(self) -> None:
        self.view.set_drawing(False)
        self.cut_start = None

    def _focus_changed(self, _old, new) -> None:
        typing = isinstance(new, (QLineEdit, QPlainTextEdit, QSpinBox, QComboBox))
        for sc in self._shortcuts:
            sc.setEnabled(not typing)

    # -- session ---------------------------------------------------------------------------------
    def _do(self, fn, *args, **kwargs):
        """Run a session command; report errors without losing anything."""
        try:
            return fn(*args, **kwargs)
        except (EditError, AnnotatorError) as exc:
            self.banner.setText(f"Not done: {exc}")
            self.banner_box.show()
        except ValueError as exc:
            self.statusBar().showMessage(str(exc), 6000)
        return None

    def _on_change(self, change) -> None:
        self._drafts_follow(change)
        self.refresh()

    def refresh(self) -> None:
        """Rebuild every view from the session (one refresh path for every change)."""
        self._refreshing = True
        try:
            res = self.session.result
            edits = self.session.edits
            tl = res.timeline
            self.undo_action.setText(self.session.undo_text() or "Undo")
            self.redo_action.setText(self.session.redo_text() or "Redo")
            self.undo_action.setEnabled(self.session.can_undo)
            self.redo_action.setEnabled(self.session.can_redo)
            selected = self.selected()
            self.timeline.set_model(
                duration_us=self.duration_us,
                steps=[(s.orig_t_start_us, s.kept) for s in res.all_steps],
                pauses=[(p["start_us"], p["end_us"]) for p in self.bundle.manifest["pauses"]],
                removed=[(r.start_us, r.end_us) for r in tl.removed_ranges],
                trim_in=edits.trim_in_us, trim_out=edits.trim_out_us,
                selected_us=selected.orig_t_start_us if selected is not None else None)
            self._fill_step_list(res.steps if self.preview else res.all_steps)
            kept = len(res.steps)
            orphans = len(res.orphans)
            self.steps_label.setText(
                f"<b>{kept}</b> step(s) kept of {len(res.all_steps)}"
                + (f" — {orphans} edit(s) refer to steps that no longer exist" if orphans else "")
                + f" — result {fmt_time(tl.result_duration_us)}")
            self._update_drafts_bar()
            task = edits.task
            if self.goal.toPlainText() != task.goal and not self.goal.hasFocus():
                self.goal.setPlainText(task.goal)
            self.outcome.setCurrentIndex(max(0, self.outcome.findData(task.outcome)))
            self.apps.setText(", ".join(task.applications))
            self.tags.setText(", ".join(task.tags))
            self.difficulty.setValue(task.difficulty or 0)
            self._fill_step_panel()
            self._update_time()
            self._refresh_redactions()
        finally:
            self._refreshing = False

    def _fill_step_list(self, shown: list) -> None:
        """Rows of the step list: repainted in place when only labels changed, else reset
        (the selection and the scroll position are kept)."""
        view = self.step_list
        bar = view.verticalScrollBar()
        scroll = bar.value()
        self._syncing_list = True
        try:
            reset = self.step_model.set_steps(shown, self._steps_by_id)
            row = self.step_model.row_of(self._selected_id)
            if reset or view.currentRow() != row:
                view.setCurrentRow(row)
            if reset:
                bar.setValue(scroll)
        finally:
            self._syncing_list = False

    # -- selection and step panel ------------------------------------------------------------
    def selected(self):
        if self._selected_id is None:
            return None
        return self.session.result.get(self._selected_id)

    def _on_select(self, row: int) -> None:
        if row < 0 or self._syncing_list:
            return
        self._selected_id = self.step_list.step_id(row)
        self.session.break_coalescing()
        s = self.selected()
        if s is not None:
            self.seek(self._obs_pts(s))  # first: the frame is fetched while the rest updates
        self.timeline.set_selected(s.orig_t_start_us if s is not None else None)
        self._fill_step_panel()
        self._prioritize_drafts()

    def _obs_pts(self, s) -> int:
        ids = s.source_ids  # a property that builds a tuple: once, not once per step
        src = self._steps_by_id.get(ids[0]) if ids else None
        if src is not None and src.obs_pts is not None:
            return int(src.obs_pts)
        return s.orig_t_start_us

    def select_step(self, step_id: str) -> None:
        row = self.step_model.row_of(step_id)
        if row >= 0:
            self.step_list.setCurrentRow(row)

    def _fill_step_panel(self) -> None:
        s = self.selected()
        on = s is not None
        for w in (self.instruction, self.thought, self.mistake, self.redundant, self.delete_btn,
                  self.merge_btn, self.restore_btn):
            w.setEnabled(on)
        is_type = on and s.type == "type" and len(s.text or "") > 1
        self.split_btn.setEnabled(bool(is_type))
        self.split_at.setEnabled(bool(is_type))
        self.mask_btn.setEnabled(bool(on and s.type == "type" and s.text))
        self.typed_text.setText(s.text or "" if on and s.type == "type" else "")
        if not on:
            return
        was = self._refreshing
        self._refreshing = True
        if not self.instruction.hasFocus():
            self.instruction.setText(s.label.instruction)
        if not self.thought.hasFocus():
            self.thought.setPlainText(s.label.thought)
        self.mistake.setChecked(s.label.mistake)
        self.redundant.setChecked(s.label.redundant)
        if is_type:
            self.split_at.setMaximum(len(s.text) - 1)
        self.restore_btn.setEnabled(s.status == "deleted")
        if hasattr(self, "draft_worker"):
            self._fill_draft_panel()
        self._refreshing = was

    def focus_instruction(self) -> None:
        if self.selected() is not None:
            self.instruction.setFocus()
            self.instruction.selectAll()

    def _commit_instruction(self) -> None:
        s = self.selected()
        if self._refreshing or not self._draft_commit_allowed():
            return
        if s is not None and self.instruction.text() != s.label.instruction:
            self._do(self.session.set_instruction, s.id, self.instruction.text())

    def _commit_thought(self) -> None:
        s = self.selected()
        if s is not None and self.thought.toPlainText() != s.label.thought:
            self._do(self.session.set_thought, s.id, self.thought.toPlainText())

    def _label_flag(self, which: str, value: bool) -> None:
        s = self.selected()
        if self._refreshing or s is None:
            return
        fn = self.session.set_mistake if which == "mistake" else self.session.set_redundant
        if getattr(s.label, which) != value:
            self._do(fn, s.id, value)

    def delete_step(self) -> None:
        s = self.selected()
        if s is not None and s.kept:
            self._do(self.session.delete_step, s.id)

    def restore_step(self) -> None:
        s = self.selected()
        if s is not None:
            self._do(self.session.restore_step, s.id)

    def merge_next(self) -> None:
        s = self.selected()
        if s is None:
            return
        kept = self.session.result.steps
        ids = [x.id for x in kept]
        if s.id in ids and ids.index(s.id) + 1 < len(ids):
            self._do(self.session.merge_steps, s.id, ids[ids.index(s.id) + 1])

    def split_typing(self) -> None:
        s = self.selected()
        if s is not None and s.type == "type":
            self._do(self.session.split_typing, s.id, self.split_at.value(),
                     self.bundle.events)

    def eventFilter(self, obj, ev) -> bool:  # noqa: N802 (Qt API)
        # Multi-line fields have no editingFinished: commit when focus leaves them.
        if ev.type() == QEvent.Type.FocusOut:
            if obj is self.goal:
                self._commit_goal()
            elif obj is self.thought:
                self._commit_thought()
        return super().eventFilter(obj, ev)

    def _commit_texts(self) -> None:
        """Multi-line fields commit when focus leaves them (and before closing)."""
        self._commit_goal()
        self._commit_thought()
        self._commit_instruction()

    # -- background frame cache ------------------------------------------------------------------
    def _start_cache(self) -> None:
        if not self.video_ok:
            return
        pts = step_frames(self.steps)
        # A failure is not reported: the cache is an optimization, seeking works without it.
        self._cache_pts = pts
        if pts:
            self.progress.show()
            self.cancel_btn.show()
            self._start_frame_cache()

    def _on_cache_progress(self, done: int, total: int, _message: str = "") -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)
        now = time.monotonic()
        if now - getattr(self, "_drafts_told", 0.0) > 0.2:  # rows on screen: their drafts
            self._drafts_told = now
            self._frames_for_drafts()
        if now - getattr(self, "_thumbs_asked", 0.0) > 1.0:  # rows on screen: their thumbs
            self._thumbs_asked = now
            self.step_model.thumbs_may_have_appeared()

    def _on_cache_done(self, _result: object = None) -> None:
        self.progress.hide()
        self.cancel_btn.hide()
        self.step_model.thumbs_may_have_appeared()
        self._frames_for_drafts(complete=True)

    def wait_for_cache(self, timeout: float = 60) -> None:
        """Wait until the background frame cache is built (tests, benchmarks)."""
        if self._cache_job is not None:
            self._cache_job.wait(timeout)

    # -- help and closing --------------------------------------------------------------------------
    def show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td><b>{k}</b></td><td>&nbsp;&nbsp;{v}</td></tr>"
                       for k, v in SHORTCUTS)
        QMessageBox.information(self, "Keyboard shortcuts", f"<table>{rows}</table>")

    def closeEvent(self, ev) -> None:  # noqa: N802
        if self._closed:  # a window closed twice (never shown, or closed by its owner)
            super().closeEvent(ev)
            return
        self._closed = True
        self._commit_texts()
        self._play_timer.stop()
        if self._cache_job is not None:
            self._cache_job.cancel()
        self.loader.close()
        self.step_model.loader.close()
        self.draft_worker.close()
        self._background_started = True  # nothing new starts while closing
        self._cache_pts = []
        self._write_steps_later()  # never shown a frame: write them now
        if self._steps_job is not None:
            self._steps_job.wait(30)
        QApplication.instance().focusChanged.disconnect(self._focus_changed)
        try:
            self._unsubscribe()
            self.session.close()
        except AnnotatorError as exc:
            QMessageBox.warning(self, "Closing", str(exc))
        super().closeEvent(ev)
