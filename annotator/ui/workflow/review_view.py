"""The reviewer's view: the queue with filters, playback of the rendered submission with its
steps and labels (read-only), comments pinned to a step or a moment, and the decision:
approve with a quality score, request changes, reject with a reason, all on the keyboard.

Every rule (who may claim, the claim's lock, comments needed, quality 1-5) is the core's
(``annotator.workflow.states``): the view only calls the services and shows their errors in
its banner.  Comments typed before deciding are kept as drafts in the view and sent with
the decision (a request for changes needs at least one).
"""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QColor, QKeySequence, QShortcut
from PyQt6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.display import duration, when
from annotator.quality.records import HIGH, LOW, MEDIUM, SEVERITY_RANK
from annotator.ui.fit import scrollable
from annotator.ui.workflow.common import (
    Banner,
    Session,
    SessionView,
    read_only_table,
    selected_row_id,
)
from annotator.ui.workflow.player import SubmissionPlayback
from annotator.workflow.contract import SubmissionId, TaskId
from annotator.workflow.states import state_label

SHORTCUTS = [
    ("N", "Claim the next waiting submission (or a blind review, when one is due)"),
    ("Space", "Play / pause"),
    ("1 … 5", "Quality score"),
    ("A", "Approve (needs a quality score)"),
    ("C", "Request changes (needs a comment)"),
    ("R", "Reject (needs a reason)"),
    ("Ctrl+Enter", "Add the comment as a draft"),
]
COLUMNS = ["#", "Signals", "Task", "Goal", "Contributor", "Duration", "Steps", "State",
           "Claimed by", "Submitted"]
STATE_FILTERS = [("Open (waiting + in review)", ("submitted", "in_review")),
                 ("Waiting", ("submitted",)), ("In review", ("in_review",)),
                 ("Decided", ("approved", "changes_requested", "rejected")),
                 ("All", ("submitted", "in_review", "approved", "changes_requested",
                          "rejected", "superseded", "draft"))]
COLOURS = {LOW: "#5f6b7a", MEDIUM: "#b26a00", HIGH: "#b00020"}
SEVERITY = {0: ("", None)} | {rank: (name, COLOURS[name]) for name, rank in SEVERITY_RANK.items()}


def signal_badge(severity: int, count: int) -> tuple[str, str | None]:
    """The queue's badge for a submission's signals: text and colour."""
    name, colour = SEVERITY.get(severity, ("?", None))
    if severity < 0:
        return "… not yet", "#5f6b7a"
    if not count:
        return "✓ none", "#1b7a2e"
    return f"● {name.upper()} ({count})", colour


def where_text(r: dict[str, Any]) -> str:
    steps = r.get("steps") or []
    if steps:
        nums = [str(s["index"] + 1) for s in steps[:6]]
        more = f" +{len(steps) - 6}" if len(steps) > 6 else ""
        return ("step " if len(steps) == 1 else "steps ") + ", ".join(nums) + more
    moments = r.get("moments") or []
    if moments:
        return "at " + duration(moments[0]["start_us"])
    return "whole"


class ReviewView(SessionView, QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("reviewView")
        self.items: list[Any] = []
        self.current: Any = None  # SubmissionDetail of the selected submission
        self.blind: Any = None  # or the BlindReviewPackage of the blind review shown
        self.drafts: list[Any] = []  # CommentIn not sent yet
        self.quality: int | None = None
        self.banner = Banner()
        self._build()
        self._build_shortcuts()
        session.changed.connect(self.refresh)
        session.data_changed.connect(self.refresh)

    # -- layout: one builder per panel --------------------------------------------------------
    def _build(self) -> None:
        queue = self._build_queue()
        self._build_playback()
        boxes = QWidget()
        bl = QVBoxLayout(boxes)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(self._build_signals_box(), 2)
        bl.addWidget(self._build_steps_box(), 3)
        bl.addWidget(self._build_comments_box(), 2)
        side = QWidget()
        sdl = QVBoxLayout(side)
        sdl.setContentsMargins(0, 0, 0, 0)
        # The boxes scroll on a short screen (their heights must not set the window's); the
        # decision stays in view.
        sdl.addWidget(scrollable(boxes), 1)
        sdl.addWidget(self._build_decision_box())
        centre = QSplitter(Qt.Orientation.Horizontal)
        centre.addWidget(self.playback.player)
        centre.addWidget(side)
        centre.setSizes([640, 420])
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.header)
        rl.addWidget(centre, 1)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(queue)
        split.addWidget(right)
        split.setSizes([220, 560])
        lay = QVBoxLayout(self)
        lay.addWidget(self.banner)
        lay.addWidget(split, 1)
        self._connect()
        self._update_buttons()

    def _build_queue(self) -> QWidget:
        """The queue: its filters, the table, the claim buttons."""
        self.state_filter = QComboBox()
        self.state_filter.setObjectName("stateFilter")
        for label, _states in STATE_FILTERS:
            self.state_filter.addItem(label)
        self.task_filter = QComboBox()
        self.task_filter.setObjectName("taskFilter")
        self.text_filter = QLineEdit()
        self.text_filter.setPlaceholderText("search the goal…")
        self.mine = QCheckBox("Claimed by me")
        self.signal_filter = QComboBox()
        self.signal_filter.setObjectName("signalFilter")
        self.signal_filter.addItem("any signal", None)
        from annotator.quality.records import KINDS

        for k in KINDS.values():
            self.signal_filter.addItem(k.title, k.name)
        self.worst_first = QCheckBox("Most serious first")
        self.worst_first.setObjectName("worstFirst")
        self.refresh_btn = QPushButton("Refresh")
        filters = QHBoxLayout()
        for w in (QLabel("Show"), self.state_filter, QLabel("Task"), self.task_filter,
                  self.text_filter, self.signal_filter, self.worst_first, self.mine,
                  self.refresh_btn):
            filters.addWidget(w)
        self.table = read_only_table(COLUMNS, 3, stretch_last=False)
        self.table.setObjectName("queue")
        self.counts = QLabel()
        self.claim_btn = QPushButton("Claim")
        self.claim_btn.setObjectName("claim")
        self.next_btn = QPushButton("Claim next (N)")
        self.next_btn.setObjectName("claimNext")
        self.release_btn = QPushButton("Release")
        qrow = QHBoxLayout()
        qrow.addWidget(self.counts, 1)
        for b in (self.release_btn, self.claim_btn, self.next_btn):
            qrow.addWidget(b)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addLayout(filters)
        ll.addWidget(self.table, 1)
        ll.addLayout(qrow)
        return left

    def _build_playback(self) -> None:
        """The selected submission's header, its player and step list, the task's labels."""
        self.header = QLabel("Select a submission in the queue.")
        self.header.setObjectName("header")
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.playback = SubmissionPlayback()
        self.playback.failed.connect(lambda msg: self.banner.show_error(msg))
        self.playback.loaded.connect(self._loaded)
        self.task_box = QLabel()
        self.task_box.setObjectName("taskLabels")
        self.task_box.setWordWrap(True)
        self.task_box.setTextFormat(Qt.TextFormat.RichText)
        self.task_box.setAlignment(Qt.AlignmentFlag.AlignTop)

    def _build_signals_box(self) -> QGroupBox:
        """What the machine found in the selected submission; a click goes there."""
        self.signals = QListWidget()
        self.signals.setObjectName("signals")
        self.signals.setWordWrap(True)
        self.signals.setToolTip("What the machine found before you; click one to go there.")
        self.signals.itemActivated.connect(self._go_to_signal)
        self.signals.itemClicked.connect(self._go_to_signal)
        signals_box = QGroupBox("What the machine found")
        sgl = QVBoxLayout(signals_box)
        sgl.addWidget(self.signals)
        return signals_box

    def _build_steps_box(self) -> QGroupBox:
        """The task's labels and the steps of the submission, read-only."""
        steps_box = QGroupBox("Steps and labels (read-only)")
        sl = QVBoxLayout(steps_box)
        sl.addWidget(self.task_box)
        sl.addWidget(self.playback.steps, 1)
        return steps_box

    def _build_comments_box(self) -> QGroupBox:
        """The comments sent and the one being written, with what it is pinned to."""
        self.comments = QListWidget()
        self.comments.setObjectName("comments")
        self.comments.setWordWrap(True)
        self.pin = QComboBox()
        self.pin.setObjectName("pin")
        self.pin.addItems(["the selected step", "the current moment", "the whole submission"])
        self.comment_edit = QPlainTextEdit()
        self.comment_edit.setObjectName("commentEdit")
        self.comment_edit.setPlaceholderText("A comment for the contributor…")
        self.comment_edit.setFixedHeight(60)
        self.add_comment_btn = QPushButton("Add comment")
        self.add_comment_btn.setObjectName("addComment")
        crow = QHBoxLayout()
        crow.addWidget(QLabel("On"))
        crow.addWidget(self.pin, 1)
        crow.addWidget(self.add_comment_btn)
        cbox = QGroupBox("Comments")
        cl = QVBoxLayout(cbox)
        cl.addWidget(self.comments, 1)
        cl.addWidget(self.comment_edit)
        cl.addLayout(crow)
        return cbox

    def _build_decision_box(self) -> QGroupBox:
        """Quality score, reason, the three decisions and the keys for them."""
        self.quality_group = QButtonGroup(self)
        qrow2 = QHBoxLayout()
        qrow2.addWidget(QLabel("Quality"))
        self.quality_buttons: list[QPushButton] = []
        for q in range(1, 6):
            b = QPushButton(str(q))
            b.setCheckable(True)
            b.setFixedWidth(34)
            b.setObjectName(f"quality{q}")
            b.setToolTip(f"Quality {q} of 5 (key {q})")
            self.quality_group.addButton(b, q)
            self.quality_buttons.append(b)
            qrow2.addWidget(b)
        qrow2.addStretch(1)
        self.reason = QLineEdit()
        self.reason.setObjectName("reason")
        self.reason.setPlaceholderText("reason (needed to reject; optional note otherwise)")
        self.approve_btn = QPushButton("Approve (A)")
        self.approve_btn.setObjectName("approve")
        self.approve_btn.setStyleSheet("QPushButton{color:#1b7a2e;font-weight:bold;}")
        self.changes_btn = QPushButton("Request changes (C)")
        self.changes_btn.setObjectName("requestChanges")
        self.changes_btn.setStyleSheet("QPushButton{color:#b26a00;font-weight:bold;}")
        self.reject_btn = QPushButton("Reject (R)")
        self.reject_btn.setObjectName("reject")
        self.reject_btn.setStyleSheet("QPushButton{color:#b00020;font-weight:bold;}")
        drow = QHBoxLayout()
        for b in (self.approve_btn, self.changes_btn, self.reject_btn):
            drow.addWidget(b)
        keys = "   ".join(f"<b>{k}</b> {v.split(' (')[0].lower()}" for k, v in SHORTCUTS)
        self.keys_label = QLabel(f"<small>Keys: {keys}</small>")
        self.keys_label.setObjectName("shortcuts")
        self.keys_label.setWordWrap(True)
        dbox = QGroupBox("Decision")
        dl = QVBoxLayout(dbox)
        dl.addLayout(qrow2)
        dl.addWidget(self.reason)
        dl.addLayout(drow)
        dl.addWidget(self.keys_label)
        return dbox

    def _connect(self) -> None:
        """The panels' widgets to the view's actions."""
        self.state_filter.currentIndexChanged.connect(lambda _i: self.refresh())
        self.task_filter.currentIndexChanged.connect(lambda _i: self.refresh())
        self.text_filter.returnPressed.connect(self.refresh)
        self.mine.toggled.connect(lambda _b: self.refresh())
        self.signal_filter.currentIndexChanged.connect(lambda _i: self.refresh())
        self.worst_first.toggled.connect(lambda _b: self.refresh())
        self.refresh_btn.clicked.connect(self.refresh)
        self.table.itemSelectionChanged.connect(self._selected)
        self.claim_btn.clicked.connect(self.claim)
        self.next_btn.clicked.connect(self.claim_next)
        self.release_btn.clicked.connect(self.release)
        self.add_comment_btn.clicked.connect(self.add_comment)
        self.quality_group.idClicked.connect(self.set_quality)
        self.approve_btn.clicked.connect(self.approve)
        self.changes_btn.clicked.connect(self.request_changes)
        self.reject_btn.clicked.connect(self.reject)

    def _build_shortcuts(self) -> None:
        # Single keys are off while a text field has focus: typing an "a" in a comment must
        # stay typing, never approve.
        self._shortcuts: list[QShortcut] = []

        def add(key: str, fn) -> None:
            sc = QShortcut(QKeySequence(key), self)
            sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            sc.activated.connect(fn)
            self._shortcuts.append(sc)

        add("A", self.approve)
        add("C", self.request_changes)
        add("R", self.reject)
        add("N", self.claim_next)
        add("Space", self.playback.player.toggle)
        for q in range(1, 6):
            add(str(q), lambda q=q: self.set_quality(q))
        send = QShortcut(QKeySequence("Ctrl+Return"), self.comment_edit)
        send.activated.connect(self.add_comment)
        QApplication.instance().focusChanged.connect(self._focus_changed)

    def _focus_changed(self, _old, new) -> None:
        typing = isinstance(new, QLineEdit | QPlainTextEdit | QSpinBox)
        for sc in self._shortcuts:
            sc.setEnabled(not typing)

    # -- data ---------------------------------------------------------------------------------

    def filters(self) -> Any:
        from annotator.workflow.service import QueueFilter
        from annotator.workflow.states import State

        states = STATE_FILTERS[max(0, self.state_filter.currentIndex())][1]
        task = self.task_filter.currentData()
        return QueueFilter(states=tuple(State(s) for s in states),
                           task_id=TaskId(task) if isinstance(task, int) else None,
                           text=self.text_filter.text().strip() or None,
                           claimed_by="me" if self.mine.isChecked() else None,
                           signal=self.signal_filter.currentData(),
                           order="severity" if self.worst_first.isChecked() else "oldest")

    def refresh(self) -> None:
        if self.svc is None or self.actor is None or self.session.role not in ("reviewer",
                                                                                "admin"):
            self.table.setRowCount(0)
            return
        self._refresh_tasks()
        items = self._call(self.svc.list_queue, actor=self.actor, filters=self.filters(),
                           limit=200)
        if items is None:
            return
        keep = self.current.info.id if self.current is not None else None
        self.items = list(items)
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.items))
        select = -1
        for r, it in enumerate(self.items):
            badge, colour = signal_badge(it.signal_severity, it.signal_count)
            cells = [str(it.id) + (f" v{it.version}" if it.version > 1 else ""), badge,
                     it.task_title or "—", it.goal or "", it.contributor,
                     duration(it.duration_us), str(it.step_count),
                     state_label(str(it.state)),
                     it.claimed_by or "", when(it.submitted_at)]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, it.id)
                if c == 1 and colour:
                    item.setForeground(QColor(colour))
                    item.setToolTip("The machine's findings: the highest severity and how "
                                    "many (select the row to see them).")
                self.table.setItem(r, c, item)
            if it.id == keep:
                select = r
        self.table.blockSignals(False)
        counts = self._call(self.svc.queue_counts, actor=self.actor) or {}
        self.counts.setText("Queue: " + ", ".join(
            f"{state_label(k).lower()} {v}" for k, v in sorted(counts.items()) if v)
            if counts else "The queue is empty.")
        if select >= 0:
            self.table.selectRow(select)
        self._update_buttons()

    def _refresh_tasks(self) -> None:
        tasks = self._call(self.svc.list_tasks, actor=self.actor, include_closed=True) or []
        current = self.task_filter.currentData()
        self.task_filter.blockSignals(True)
        self.task_filter.clear()
        self.task_filter.addItem("any task", None)
        for t in tasks:
            self.task_filter.addItem(f"#{t.id} {t.title}", t.id)
        i = self.task_filter.findData(current)
        self.task_filter.setCurrentIndex(max(0, i))
        self.task_filter.blockSignals(False)

    def selected_id(self) -> int | None:
        return selected_row_id(self.table)

    def _selected(self) -> None:
        sid = self.selected_id()
        if sid is None:
            return
        if self.current is not None and self.current.info.id == sid:
            self.show_submission(sid, reload_video=False)
        else:
            self.show_submission(sid)

    def show_submission(self, sid: int, *, reload_video: bool = True) -> None:
        detail = self._call(self.svc.get_submission, actor=self.actor, submission_id=sid)
        if detail is None:
            return
        self.blind = None
        if self.current is None or self.current.info.id != sid:
            self.drafts = []
            self.quality = None
            self._clear_quality()
            self.reason.clear()
        self.current = detail
        info = detail.info
        task = (f"answers task <b>#{info.task_id} {info.task_title}</b>" if info.task_id
                else "no published task (the contributor's own goal)")
        lock = ""
        if info.claimed_by:
            lock = f" — claimed by <b>{info.claimed_by}</b> until {when(info.lock_expires_at)}"
        # Two lines: who and what state, then the goal (a third cost the player its room on
        # a 720-pixel screen).
        self.header.setText(
            f"<b>#{info.id}</b> version {info.version} by {info.contributor}, {task} · "
            f"{state_label(str(info.state))}{lock}; "
            f"{duration(info.duration_us)}, {info.step_count} steps, "
            f"submitted {when(info.submitted_at)}<br>"
            f"Goal: <i>{(info.goal or '').replace('<', '&lt;')}</i>")
        self._show_comments()
        self._show_signals(sid)
        if reload_video and self.svc is not None and self.actor is not None:
            self.task_box.setText("")
            self.playback.load(self.svc, self.actor, SubmissionId(sid))
        self._update_buttons()

    def _loaded(self, result: dict[str, Any]) -> None:
        task = result.get("task") or {}
        bits = []
        for key in ("goal", "outcome", "applications", "tags", "difficulty"):
            v = task.get(key)
            if v in (None, "", []):
                continue
            v = ", ".join(map(str, v)) if isinstance(v, list) else str(v)
            bits.append(f"<b>{key.capitalize()}</b>: {v.replace('<', '&lt;')}")
        self.task_box.setText("<br>".join(bits) or "<i>No task labels in the package.</i>")

    def _show_signals(self, sid: int) -> None:
        self.signals.clear()
        rep = self._call(self.svc.submission_signals, actor=self.actor, submission_id=sid)
        if rep is None:
            return
        if rep.state != "done":
            self.signals.addItem("Not computed yet." if rep.state == "pending" else
                                 f"Could not be computed: {rep.error}")
            return
        answers: dict[str, list[str]] = {}
        for a in rep.answers:
            answers.setdefault(a.signal_key or "", []).append(f"{a.author}: {a.body}")
        self._list_signals(rep.records, answers)

    def _list_signals(self, records: Any, answers: dict[str, list[str]]) -> None:
        if not records:
            self.signals.addItem("✓ Nothing found.")
        for r in records:
            who = " (declared by the contributor's computer)" if r.get("declared") else ""
            text = f"{r['severity'].upper()}  {r['title']} — {where_text(r)}{who}"
            for a in answers.get(r["key"], ()):
                text += f"\n   ↳ answer from {a}"
            item = QListWidgetItem(text)
            item.setToolTip(r["why"])
            item.setData(Qt.ItemDataRole.UserRole, r)
            item.setForeground(QColor(COLOURS.get(r["severity"], COLOURS[LOW])))
            self.signals.addItem(item)

    def _go_to_signal(self, item: QListWidgetItem) -> None:
        """Jump to the first step or moment a signal concerns."""
        r = item.data(Qt.ItemDataRole.UserRole)
        if not isinstance(r, dict):
            return
        steps = r.get("steps") or []
        if steps and 0 <= steps[0]["index"] < self.playback.steps.count():
            self.playback.steps.setCurrentRow(steps[0]["index"])
        elif r.get("moments"):
            self.playback.player.seek(int(r["moments"][0]["start_us"]))

    def _show_comments(self) -> None:
        self.comments.clear()
        if self.current is None:
            return
        for c in self.current.comments:
            self.comments.addItem(QListWidgetItem(
                f"v{c.version} · {c.author} · {_pin_text(c)}: {c.body}"))
        for c in self.drafts:
            item = QListWidgetItem(f"draft · {_pin_text(c)}: {c.body}")
            item.setForeground(Qt.GlobalColor.darkYellow)
            self.comments.addItem(item)

    def _mine(self) -> bool:
        """A claimed submission of this reviewer, or a blind review still to decide."""
        if self.blind is not None:
            return self.blind.review.decision is None
        info = self.current.info if self.current is not None else None
        return (info is not None and str(info.state) == "in_review"
                and info.claimed_by == self.actor.pseudonym)

    def _update_buttons(self) -> None:
        mine = self.actor is not None and self._mine()
        claimable = (self.current is not None
                     and str(self.current.info.state) in ("submitted", "in_review")
                     and not mine)
        self.claim_btn.setEnabled(claimable)
        self.release_btn.setEnabled(mine and self.blind is None)
        for w in (self.approve_btn, self.changes_btn, self.reject_btn, *self.quality_buttons):
            w.setEnabled(mine)
        # A blind review takes a decision only: it never reaches the contributor.
        self.add_comment_btn.setEnabled(mine and self.blind is None)
        self.comment_edit.setEnabled(self.blind is None)
        self.comment_edit.setPlaceholderText(
            "A comment for the contributor…" if self.blind is None else
            "A blind review takes a decision only: no comment reaches the contributor.")

    # -- actions -------------------------------------------------------------------------------
    def _after(self, info: Any, message: str) -> None:
        if info is None:
            return
        self.banner.show_message(message, "ok")
        self.current = None
        self.session.touched()  # every view refreshes (the queue among them)
        self.show_submission(info.id, reload_video=False)
        self.playback.player.stop()

    def claim(self) -> None:
        sid = self.selected_id()
        if sid is None:
            return self.banner.show_error("Select a submission in the queue first.")
        info = self._call(self.svc.claim, actor=self.actor, submission_id=sid)
        if info is not None:
            self._held(info)
            self.session.touched()
            self.show_submission(sid, reload_video=False)
        return None

    def _held(self, info: Any) -> None:
        self.banner.show_message(f"You hold #{info.id} until {when(info.lock_expires_at)}.",
                                 "ok")

    def _nothing_to_claim(self, task_filtered: bool) -> str:
        """Why Claim next found nothing, when the queue's counts show submissions waiting
        (they count every one; the table and the claim leave out the reviewer's own)."""
        from annotator.workflow.states import State

        counts = self._call(self.svc.queue_counts, actor=self.actor) or {}
        waiting = counts.get(State.SUBMITTED.value, 0)
        if not waiting:
            return "Nothing is waiting for review."
        why = ["your own submissions are reviewed by someone else"]
        if task_filtered:
            why.append("the Task filter leaves out the others")
        return (f"None of the {waiting} waiting submission(s) is for you to review: "
                + " and ".join(why) + ".")

    def claim_next(self) -> None:
        """The next blind review when one is due (at the rate the admins set), else the
        oldest waiting submission."""
        if self.svc is None or self.actor is None:
            return
        due = self._call(self.svc.next_blind_review, actor=self.actor)
        if due is not None:
            self.show_blind(due.id)
            return
        task = self.task_filter.currentData()
        from annotator.workflow.service import QueueFilter

        f = QueueFilter(task_id=TaskId(task) if isinstance(task, int) else None)
        info = self._call(self.svc.claim_next, actor=self.actor, filters=f)
        if info is None:
            if not self.banner.isVisible() or self.banner.kind != "error":
                self.banner.show_message(self._nothing_to_claim(f.task_id is not None), "info")
            return
        self._held(info)
        self.current = None
        self.session.touched()
        self.show_submission(info.id)
        for r, it in enumerate(self.items):
            if it.id == info.id:
                self.table.blockSignals(True)
                self.table.selectRow(r)
                self.table.blockSignals(False)

    def show_blind(self, review_id: int) -> None:
        """A blind review: the work to judge, with nothing of its submission's past (see
        ``BlindReviewPackage``); the decision is kept apart and changes nothing."""
        pkg = self._call(self.svc.open_blind_review, actor=self.actor, review_id=review_id)
        if pkg is None:
            return
        self.current, self.blind, self.drafts, self.quality = None, pkg, [], None
        self._clear_quality()
        self.reason.clear()
        self.table.clearSelection()
        self.header.setText(
            f"<b>Blind review</b> — your decision is compared with another reviewer's and "
            f"changes nothing of the submission.<br>"
            f"Goal: <i>{pkg.goal.replace('<', '&lt;')}</i>")
        self.comments.clear()
        self.signals.clear()
        self._list_signals(pkg.signals, {})
        self.task_box.setText("")
        if self.svc is not None and self.actor is not None:
            self.playback.load_blind(self.svc, self.actor, review_id)
        self.banner.show_message("A blind review: decide it as you would any submission.",
                                 "info")
        self._update_buttons()

    def _decide_blind(self, decision: str) -> None:
        if decision == "approve" and self.quality is None:
            return self.banner.show_error("Choose a quality score first: keys 1 to 5.")
        rid = self.blind.review.id
        done = self._call(self.svc.decide_blind_review, actor=self.actor, review_id=rid,
                          decision=decision,
                          quality=self.quality if decision == "approve" else None)
        if done is None:
            return None
        self.blind = None
        self.playback.player.stop()
        self.playback.unload()
        self.header.setText("Blind review decided. Press N for the next one.")
        self.signals.clear()
        self.banner.show_message(f"Blind review decided ({decision.replace('_', ' ')}).", "ok")
        self._update_buttons()
        return None

    def release(self) -> None:
        if self.current is None:
            return
        info = self._call(self.svc.release, actor=self.actor, submission_id=self.current.info.id)
        self._after(info, f"#{self.current.info.id} is back in the queue.")

    def set_quality(self, q: int) -> None:
        if not self.quality_buttons[0].isEnabled():
            return
        self.quality = q
        self.quality_buttons[q - 1].setChecked(True)

    def _clear_quality(self) -> None:
        self.quality_group.setExclusive(False)
        for b in self.quality_buttons:
            b.setChecked(False)
        self.quality_group.setExclusive(True)

    def pending_comment(self) -> Any:
        """The comment in the editor, pinned as chosen (None if the editor is empty)."""
        from annotator.workflow.service import CommentIn

        body = self.comment_edit.toPlainText().strip()
        if not body:
            return None
        pin = self.pin.currentIndex()
        step = self.playback.selected_step()
        if pin == 0 and step is not None:
            return CommentIn(body, step_index=step.index, step_id=step.id)
        if pin == 0:
            self.banner.show_error("Select the step the comment is about (or pin it to the "
                                   "current moment or the whole submission).")
            return False
        if pin == 1:
            t = self.playback.player.position
            return CommentIn(body, t_start_us=t, t_end_us=t)
        return CommentIn(body)

    def add_comment(self) -> None:
        if self.blind is not None:
            return self.banner.show_error("A blind review takes a decision only: its "
                                          "contributor never sees it.")
        if not self._mine():
            return self.banner.show_error("Claim the submission before commenting on it.")
        c = self.pending_comment()
        if c is None:
            return self.banner.show_error("Type the comment first.")
        if c is False:
            return None
        self.drafts.append(c)
        self.comment_edit.clear()
        self._show_comments()
        self.banner.show_message(
            f"Comment added as a draft ({len(self.drafts)}); it is sent with your decision.",
            "info")
        return None

    def _take_editor_comment(self) -> bool:
        c = self.pending_comment()
        if c is False:
            return False
        if c is not None:
            self.drafts.append(c)
            self.comment_edit.clear()
        return True

    def _send_drafts(self, sid: int) -> bool:
        while self.drafts:
            if self._call(self.svc.add_comment, actor=self.actor, submission_id=sid,
                          comment=self.drafts[0]) is None:
                return False
            self.drafts.pop(0)
        return True

    def approve(self) -> None:
        if not self._mine():
            return None
        if self.blind is not None:
            return self._decide_blind("approve")
        if self.quality is None:
            return self.banner.show_error("Choose a quality score first: keys 1 to 5.")
        if not self._take_editor_comment():
            return None
        sid = self.current.info.id
        if not self._send_drafts(sid):
            return None
        info = self._call(self.svc.approve, actor=self.actor, submission_id=sid,
                          quality=self.quality, note=self.reason.text().strip() or None)
        self._after(info, f"#{sid} approved with quality {self.quality}.")
        return None

    def request_changes(self) -> None:
        if not self._mine():
            return None
        if self.blind is not None:
            return self._decide_blind("request_changes")
        if not self._take_editor_comment():
            return None
        if not self.drafts:
            self.comment_edit.setFocus()
            return self.banner.show_error(
                "Say what to change: add a comment (on a step, a moment or the whole "
                "submission) before requesting changes.")
        sid = self.current.info.id
        info = self._call(self.svc.request_changes, actor=self.actor, submission_id=sid,
                          comments=list(self.drafts),
                          reason=self.reason.text().strip() or None)
        if info is not None:
            n = len(self.drafts)
            self.drafts = []
            self._after(info, f"Changes requested on #{sid} ({n} comment(s)); it went back "
                              f"to {info.contributor}.")
        return None

    def reject(self) -> None:
        if not self._mine():
            return None
        if self.blind is not None:
            return self._decide_blind("reject")
        reason = self.reason.text().strip()
        if not reason:
            self.reason.setFocus()
            return self.banner.show_error("Give a reason for rejecting it (the contributor "
                                          "sees it, and it counts in the admin's figures).")
        if not self._take_editor_comment():
            return None
        sid = self.current.info.id
        if not self._send_drafts(sid):
            return None
        info = self._call(self.svc.reject, actor=self.actor, submission_id=sid, reason=reason)
        self._after(info, f"#{sid} rejected: {reason}")
        return None


def _pin_text(c: Any) -> str:
    if getattr(c, "step_index", None) is not None:
        return f"step {c.step_index + 1}"
    if getattr(c, "t_start_us", None) is not None:
        return f"at {duration(c.t_start_us)}"
    return "whole submission"
