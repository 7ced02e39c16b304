"""The editor window: review, trim and label every step of one recording.

Everything it changes goes through the Qt-free ``EditSession`` (edits as data, saved after
every change, undo in the core); the window only turns commands into calls and refreshes
from the session's one change notification.
"""

from __future__ import annotations

import bisect
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
from annotator.display import duration
from annotator.edits import OUTCOMES, EditSession
from annotator.edits.errors import EditError
from annotator.errors import AnnotatorError
from annotator.media.framecache import build_frame_cache, read_stored_pts, stored_pts
from annotator.steps import Params, StepsError
from annotator.steps.store import derive_bundle, read_steps, write_steps
from annotator.ui.editor.drafts_mixin import DraftsMixin
from annotator.ui.editor.frames import FrameLoader
from annotator.ui.editor.redaction_mixin import RedactionMixin
from annotator.ui.editor.redaction_view import RedactionVideoView
from annotator.ui.editor.step_list import StepListModel, StepListView
from annotator.ui.editor.timeline import TimelineWidget
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

_NAMES = {"click": "Click", "double_click": "Double-click", "triple_click": "Triple-click",
          "right_click": "Right-click", "middle_click": "Middle-click", "drag": "Drag",
          "scroll": "Scroll", "type": "Type", "key": "Press", "hotkey": "Hotkey",
          "wait": "Wait", "terminate": "End"}


def fmt_time(us: int) -> str:
    """A time in the editor: to the millisecond (a frame at 60 fps is 17 ms)."""
    return duration(us, places=3)


def summary(step, source) -> str:
    """A readable one-line summary: "Click (812, 440) in 'Invoice - LibreOffice Calc'"."""
    name = _NAMES.get(step.type, step.type)
    what = ""
    t = step.type
    if source is not None:
        if t in ("click", "double_click", "triple_click", "right_click", "middle_click"):
            what = f" ({source.x}, {source.y})"
        elif t == "drag" and source.path:
            end = source.path[-1]
            what = f" ({source.x}, {source.y}) → ({end['x']}, {end['y']})"
        elif t == "scroll":
            dy = source.scroll_dy or 0
            what = f" {'down' if dy > 0 else 'up'} {abs(dy)} at ({source.x}, {source.y})"
        elif t in ("key", "hotkey"):
            what = " " + "+".join(source.keys or [])
        elif t == "wait":
            what = f" {(source.duration_us or 0) / 1e6:.1f} s"
    if t == "type":
        text = step.text or ""
        what = f" “{text if len(text) <= 40 else text[:39] + '…'}”"
    window = getattr(source, "window_title", None) if source is not None else None
    return f"{name}{what}" + (f" in '{window}'" if window else "")


class EditorWindow(QMainWindow, RedactionMixin, DraftsMixin):
    """One recording in the editor.  ``submit_requested(folder)``: File ▸ Submit… was chosen;
    whoever opened the editor (the library window, or ``annotator edit``) opens the consent
    dialog."""

    submit_requested = pyqtSignal(object)

    def __init__(self, folder: str | Path) -> None:
        super().__init__()
        self.folder = Path(folder)
        self.notes: list[str] = []
        manifest = Bundle.open(self.folder).manifest  # clear error if not a bundle
        if needs_recovery(manifest):
            recover(self.folder)
            self.notes.append("This recording had been cut off (a crash or a kill); it was "
                              "recovered up to its last saved fragment.")
        self.bundle = Bundle.open(self.folder)
        self.doc, self._steps_to_write = self._load_steps()
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

        self.setWindowTitle(f"annotator — {self.folder.name}")
        self.resize(1500, 900)
        self._build()
        self._build_menus()
        self._build_shortcuts()

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
        self._thumbs_timer.timeout.connect(self.draft_worker.release)
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
        self._start_cache()
        # Drafts of the rows on screen are wanted now (the rest waits at low priority).
        self._start_drafting()
        # Background work (the frame cache, writing steps.json, reading the frame index if it
        # was not kept) starts once the first frame is shown, so that it does not slow the
        # opening; at the latest after a second.
        QTimer.singleShot(1000 if self.video_ok else 100, self._start_background)
        if self.session.read_only:
            self.notes.append("This recording's folder is read-only: you can look, but "
                              "changes cannot be saved.")
        self.banner.setText("\n".join(f"• {n}" for n in self.notes))
        self.banner_box.setVisible(bool(self.notes))

    def _load_steps(self):
        """The stored steps if they are current (as ``load_or_derive`` decides), else derived
        again.  Derived steps are written after the first frame is shown (encoding an hour's
        steps.json takes 0.4 s), or not at all when the stored file is damaged or newer."""
        try:
            doc = read_steps(self.folder)
        except StepsError as exc:
            self.notes.append(f"{exc.message} The steps were derived again for this session "
                              "and the file was left as it is.")
            return derive_bundle(self.folder), None
        if (doc is not None and not doc.outdated and doc.params == Params().as_dict()
                and doc.outcome is None):
            return doc, None
        doc = derive_bundle(self.folder)
        return doc, doc

    def _start_background(self) -> None:
        if self._background_started:
            return
        self._background_started = True
        self._prioritize_drafts()  # the window is laid out now: the rows really on screen
        if self._index_pending:
            run_job(read_stored_pts, self.folder, owner=self, name="annotator-frame-index",
                    on_done=self._on_frame_index, on_error=self._on_frame_index)
        if self._cache_pts:
            self._cache_job = run_job(
                build_frame_cache, self.folder, self.bundle.video_path, self._cache_pts,
                owner=self, name="annotator-cache", on_progress=self._on_cache_progress,
                on_done=self._on_cache_done, on_error=self._on_cache_done,
                on_cancel=self._on_cache_done)
            self.cancel_btn.clicked.connect(self._cache_job.cancel)
        else:  # no frame cache to wait for (no usable video or frame index): drafts go on
            self._frames_for_drafts(complete=True)
        self._write_steps_later()

    def _write_steps_later(self) -> None:
        doc, self._steps_to_write = self._steps_to_write, None
        if doc is None:
            return

        # A read-only folder fails quietly: derived again next time, the banner says why.
        self._steps_job = run_job(write_steps, self.folder, doc, name="annotator-steps-write")

    # -- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        self.view = RedactionVideoView()
        if not self.video_ok:
            self.view.message = "No video to show"
        self.timeline = TimelineWidget()
        self.timeline.seek.connect(self.seek)
        self.timeline.trim_dragged.connect(self._trim_dragged)
        self.play_btn = QPushButton("▶ Play")
        self.play_btn.setObjectName("play")
        self.play_btn.clicked.connect(self.toggle_play)
        self.time_label = QLabel()
        self.time_label.setObjectName("time")
        self.in_btn = QPushButton("Set in (I)")
        self.out_btn = QPushButton("Set out (O)")
        self.clear_trim_btn = QPushButton("Clear trim")
        self.cut_btn = QPushButton("Cut… (C)")
        self.preview_box = QCheckBox("Preview as reviewer (P)")
        self.preview_box.setObjectName("preview")
        self.in_btn.clicked.connect(self.set_in)
        self.out_btn.clicked.connect(self.set_out)
        self.clear_trim_btn.clicked.connect(lambda: self._do(self.session.clear_trim))
        self.cut_btn.clicked.connect(self.cut_mark)
        self.preview_box.toggled.connect(self.set_preview)
        transport = QHBoxLayout()
        for w in (self.play_btn, self.time_label):
            transport.addWidget(w)
        transport.addStretch(1)
        for w in (self.in_btn, self.out_btn, self.clear_trim_btn, self.cut_btn, self.preview_box):
            transport.addWidget(w)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.view, 1)
        lv.addWidget(self.timeline)
        lv.addLayout(transport)

        self.step_model = StepListModel(self.folder, summary, self)
        self.step_list = StepListView(self.step_model)
        self.step_list.current_step_changed.connect(self._on_select)
        self.instruction = QLineEdit()
        self.instruction.setObjectName("instruction")
        self.instruction.setPlaceholderText("What this step does, in your words")
        self.instruction.editingFinished.connect(self._commit_instruction)
        self.instruction.returnPressed.connect(self._instruction_return)
        self.origin_label = QLabel()
        self.origin_label.setObjectName("origin")
        self.thought = QPlainTextEdit()
        self.thought.setObjectName("thought")
        self.thought.setPlaceholderText("Why (optional)")
        self.thought.setFixedHeight(54)
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
        sf.addRow("", self.origin_label)
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

        self.goal = QPlainTextEdit()
        self.goal.setObjectName("goal")
        self.goal.setPlaceholderText("The task, in your words")
        self.goal.setFixedHeight(54)
        self.outcome = QComboBox()
        self.outcome.setObjectName("outcome")
        self.outcome.addItem("(not set)", None)
        for o in OUTCOMES:
            self.outcome.addItem(o, o)
        self.apps = QLineEdit()
        self.apps.setPlaceholderText("Applications, comma separated")
        self.tags = QLineEdit()
        self.tags.setPlaceholderText("Tags, comma separated")
        self.difficulty = QSpinBox()
        self.difficulty.setRange(0, 5)
        self.difficulty.setSpecialValueText("(not set)")
        self.outcome.currentIndexChanged.connect(self._commit_outcome)
        self.apps.editingFinished.connect(self._commit_apps)
        self.tags.editingFinished.connect(self._commit_tags)
        self.difficulty.valueChanged.connect(self._commit_difficulty)
        self.goal.installEventFilter(self)
        self.thought.installEventFilter(self)
        task_box = QGroupBox("Task")
        tf = QFormLayout(task_box)
        tf.addRow("Goal", self.goal)
        tf.addRow("Outcome", self.outcome)
        tf.addRow("Applications", self.apps)
        tf.addRow("Tags", self.tags)
        tf.addRow("Difficulty", self.difficulty)

        steps_tab = QWidget()
        rv = QVBoxLayout(steps_tab)
        rv.setContentsMargins(0, 0, 0, 0)
        self.steps_label = QLabel()
        rv.addWidget(self.steps_label)
        rv.addWidget(self.step_list, 1)
        rv.addWidget(step_box)
        task_tab = QWidget()
        tv = QVBoxLayout(task_tab)
        tv.addWidget(task_box)
        tv.addStretch(1)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("tabs")
        self.tabs.addTab(steps_tab, "Steps")
        self.tabs.addTab(self._build_redaction_ui(), "Redactions")
        self.tabs.addTab(task_tab, "Task")
        right = self.tabs

        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([950, 550])
        # Messages about this recording (recovered, corrupt edits set aside, read-only...):
        # shown in the window, never a modal box that blocks work.
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
        central = QWidget()
        cl = QVBoxLayout(central)
        cl.setContentsMargins(4, 4, 4, 4)
        cl.addWidget(self.banner_box)
        cl.addWidget(split, 1)
        self.setCentralWidget(central)
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

    # -- task panel ------------------------------------------------------------------------------
    def _commit_goal(self) -> None:
        if self.goal.toPlainText() != self.session.edits.task.goal:
            self._do(self.session.set_goal, self.goal.toPlainText())

    def _commit_outcome(self) -> None:
        if not self._refreshing and self.outcome.currentData() != self.session.edits.task.outcome:
            self._do(self.session.set_outcome, self.outcome.currentData())

    @staticmethod
    def _split_list(text: str) -> list[str]:
        return [x.strip() for x in text.split(",") if x.strip()]

    def _commit_apps(self) -> None:
        apps = self._split_list(self.apps.text())
        if tuple(apps) != tuple(self.session.edits.task.applications):
            self._do(self.session.set_applications, apps)

    def _commit_tags(self) -> None:
        tags = self._split_list(self.tags.text())
        if tuple(tags) != tuple(self.session.edits.task.tags):
            self._do(self.session.set_tags, tags)

    def _commit_difficulty(self, value: int) -> None:
        if not self._refreshing and (value or None) != self.session.edits.task.difficulty:
            self._do(self.session.set_difficulty, value or None)

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

    # -- playback and navigation ---------------------------------------------------------------
    def seek(self, t_us: int) -> None:
        t_us = int(min(max(0, t_us), self.duration_us))
        if self.preview:
            tl = self.session.result.timeline
            if not tl.is_kept(t_us) and tl.kept:
                r = tl.to_result_clamped(t_us)
                t_us = tl.to_original(min(r, tl.result_duration_us))
        self.playhead = t_us
        self.timeline.set_playhead(t_us)
        self._update_time()
        if hasattr(self, "rpanel"):
            self._update_overlay()
        if hasattr(self, "draft_worker"):
            self._update_markers()
        if self.video_ok:
            self.step_model.loader.hold()  # the frame first, thumbnails after
            self.draft_worker.hold()  # ...and drafts
            self.loader.request(t_us)

    def _on_frame(self, requested: int, pts: int, rgb) -> None:
        self.view.show_frame(pts, rgb)
        self.drafts.offer_frame(pts, rgb)  # a step's frame, decoded once for both
        self._thumbs_timer.start()  # thumbnails load once seeking pauses
        if not self._background_started:
            self._start_background()
        # The exact frame recorded for this time is the last stored one at or before it; if
        # the video gave an earlier one, the video ends early (truncated) or is damaged here.
        i = bisect.bisect_right(self.stored_pts, requested) - 1
        if i >= 0 and pts < self.stored_pts[i]:
            self.view.set_notice(
                f"The video has no frame at {fmt_time(self.stored_pts[i])} (it is cut short "
                f"or damaged): showing the last one it has, at {fmt_time(pts)}.")
            if not getattr(self, "_told_frames_missing", False):
                self._told_frames_missing = True
                self.notes.append(
                    f"Some frames are missing from the video (the first seen: "
                    f"{fmt_time(self.stored_pts[i])}); it may have been cut short. Steps and "
                    "labels can still be edited; those frames cannot be shown.")
                self.banner.setText("\n".join(f"• {n}" for n in self.notes))
                self.banner_box.show()
        else:
            self.view.set_notice("")

    # -- the frame index, when it was not at hand -------------------------------------------------
    def _no_video_note(self) -> str:
        return ("The video of this recording is missing or empty: steps and labels can be "
                "edited, frames cannot be shown.")

    def _on_frame_index(self, result) -> None:
        if isinstance(result, BaseException):
            self._tell(f"The frame index (frames.jsonl) could not be read: {result}. Frame "
                       "stepping is off; steps can still be edited.")
            return
        self._index_pending = False
        self.stored_pts = result
        self.duration_us = max(self.duration_us, result[-1] if result else 0)
        if not result and self.video_ok:
            self.video_ok = False
            self.view.message = "No video to show"
            self.view.update()
            self._tell(self._no_video_note())
            return
        self.timeline.duration_us = self.duration_us
        if self.view.pts is None and result and self.playhead < result[0]:
            self.seek(result[0])  # nothing shown yet: the first frame

    def _update_time(self) -> None:
        tl = self.session.result.timeline
        if self.preview:
            r = tl.to_result_clamped(self.playhead)
            self.time_label.setText(f"{fmt_time(r)} / {fmt_time(tl.result_duration_us)} "
                                    "(as submitted)")
        else:
            self.time_label.setText(f"{fmt_time(self.playhead)} / {fmt_time(self.duration_us)}")

    def toggle_play(self) -> None:
        self.shuttle(0 if self.speed else 1)

    def shuttle(self, direction: int) -> None:
        if direction == 0:
            self.speed = 0.0
        elif direction > 0:
            self.speed = 1.0 if self.speed <= 0 else min(8.0, self.speed * 2)
        else:
            self.speed = -1.0 if self.speed >= 0 else max(-8.0, self.speed * 2)
        if self.speed:
            self._last_tick = time.monotonic()
            self._play_timer.start()
            self.play_btn.setText("❚❚ Pause")
        else:
            self._play_timer.stop()
            self.play_btn.setText("▶ Play")

    def _tick(self) -> None:
        now = time.monotonic()
        dt = int((now - self._last_tick) * 1e6 * self.speed)
        self._last_tick = now
        t = self.playhead + dt
        if self.preview:
            tl = self.session.result.timeline
            if not tl.is_kept(t):
                nxt = [s for s, _ in tl.kept if s > self.playhead]
                t = nxt[0] if (nxt and self.speed > 0) else t
        if t >= self.duration_us or t <= 0:
            t = min(max(t, 0), self.duration_us)
            self.shuttle(0)
        self.seek(t)

    def step_frame(self, direction: int) -> None:
        if not self.stored_pts:
            return
        i = bisect.bisect_right(self.stored_pts, self.playhead) - 1
        i = min(max(i + direction, 0), len(self.stored_pts) - 1)
        self.seek(self.stored_pts[i])

    def jump_step(self, direction: int) -> None:
        steps = [s for s in (self.session.result.steps if self.preview
                             else self.session.result.all_steps)]
        if not steps:
            return
        ids = [s.id for s in steps]
        if self._selected_id in ids:
            i = ids.index(self._selected_id) + direction
        else:
            starts = [s.orig_t_start_us for s in steps]
            i = bisect.bisect_right(starts, self.playhead) - (1 if direction < 0 else 0)
        i = min(max(i, 0), len(steps) - 1)
        self.select_step(steps[i].id)

    def set_preview(self, on: bool) -> None:
        self.preview = on
        self.refresh()
        self.seek(self.playhead)

    # -- trim and cut ----------------------------------------------------------------------------
    def set_in(self) -> None:
        self._do(self.session.set_in_point, self.playhead)

    def set_out(self) -> None:
        self._do(self.session.set_out_point, self.playhead)

    def _trim_dragged(self, which: str, t: int) -> None:
        fn = self.session.set_in_point if which == "in" else self.session.set_out_point
        self._do(fn, t)

    def cut_mark(self) -> None:
        if self.cut_start is None:
            self.cut_start = self.playhead
            self.statusBar().showMessage(
                f"Cut starts at {fmt_time(self.playhead)}: move to where it ends and press C "
                "again (Esc cancels).", 10000)
            return
        a, b = sorted((self.cut_start, self.playhead))
        self.cut_start = None
        if b > a:
            self._do(self.session.cut, a, b)

    # -- background frame cache ------------------------------------------------------------------
    def _start_cache(self) -> None:
        if not self.video_ok:
            return
        pts = sorted({int(s.obs_pts) for s in self.steps if s.obs_pts is not None}
                     | {int(s.result_pts) for s in self.steps if s.result_pts is not None})
        # Built by _start_background, once the window shows its first frame.  A failure is
        # not reported: the cache is an optimization, seeking works without it.
        self._cache_pts = pts
        if pts:
            self.progress.show()
            self.cancel_btn.show()

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
        if not self._cache_pts:
            return
        end = time.monotonic() + timeout
        while self._cache_job is None and not self._background_started \
                and time.monotonic() < end:
            QApplication.processEvents()  # the first frame starts it
            time.sleep(0.005)
        if self._cache_job is not None:  # started (not if the window closed first)
            self._cache_job.wait(max(0.0, end - time.monotonic()))

    # -- help and closing --------------------------------------------------------------------------
    def show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td><b>{k}</b></td><td>&nbsp;&nbsp;{v}</td></tr>"
                       for k, v in SHORTCUTS)
        QMessageBox.information(self, "Keyboard shortcuts", f"<table>{rows}</table>")

    def closeEvent(self, ev) -> None:  # noqa: N802
        self._commit_texts()
        self._play_timer.stop()
        if self._cache_job is not None:
            self._cache_job.cancel()
        self.loader.close()
        self.step_model.loader.close()
        self.draft_worker.close()
        self._background_started = True  # nothing new starts while closing
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
