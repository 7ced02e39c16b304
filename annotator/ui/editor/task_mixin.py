"""The editor's task panel: the goal, outcome, applications, tags and difficulty of the
recording as a whole, each committed to the session when it is left.

A mixin of EditorWindow (it uses the window's session and ``_do``), kept in its own module so
the window stays readable.
"""

from __future__ import annotations

from PyQt6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLineEdit, QPlainTextEdit, QSpinBox

from annotator.display import split_list
from annotator.edits import OUTCOMES


class TaskPanelMixin:
    def _build_task_box(self) -> QGroupBox:
        """The task's fields, filled by the window's ``refresh``."""
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
        self.goal.installEventFilter(self)  # committed when left (EditorWindow.eventFilter)
        task_box = QGroupBox("Task")
        tf = QFormLayout(task_box)
        tf.addRow("Goal", self.goal)
        tf.addRow("Outcome", self.outcome)
        tf.addRow("Applications", self.apps)
        tf.addRow("Tags", self.tags)
        tf.addRow("Difficulty", self.difficulty)
        return task_box

    def _commit_goal(self) -> None:
        if self.goal.toPlainText() != self.session.edits.task.goal:
            self._do(self.session.set_goal, self.goal.toPlainText())

    def _commit_outcome(self) -> None:
        if not self._refreshing and self.outcome.currentData() != self.session.edits.task.outcome:
            self._do(self.session.set_outcome, self.outcome.currentData())

    def _commit_apps(self) -> None:
        apps = split_list(self.apps.text())
        if tuple(apps) != tuple(self.session.edits.task.applications):
            self._do(self.session.set_applications, apps)

    def _commit_tags(self) -> None:
        tags = split_list(self.tags.text())
        if tuple(tags) != tuple(self.session.edits.task.tags):
            self._do(self.session.set_tags, tags)

    def _commit_difficulty(self, value: int) -> None:
        if not self._refreshing and (value or None) != self.session.edits.task.difficulty:
            self._do(self.session.set_difficulty, value or None)
