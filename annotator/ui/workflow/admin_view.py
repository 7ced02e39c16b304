"""The admin's view: the work at a glance (charts), payouts per month (close, CSV), rates,
terms versions, users (invite, role, reset passphrase, disable) and tasks.

Charts are Qt Charts over ``Services.work_stats`` (pandas DataFrames computed in the core).
Every action calls the services; errors go to the banner.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PyQt6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QDateTimeAxis,
    QHorizontalBarSeries,
    QLineSeries,
    QValueAxis,
)
from PyQt6.QtCore import QDate, QDateTime, Qt, QTime
from PyQt6.QtGui import QColor, QFont, QPainter
from PyQt6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from annotator.display import money, split_list, when
from annotator.optional import lazy_module
from annotator.ui.fit import scrollable
from annotator.ui.workflow.common import (
    Banner,
    Session,
    SessionView,
    read_only_table,
)

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_module("pandas")  # imported when payouts or charts run


def _fill(t: QTableWidget, rows: list[list[Any]]) -> None:
    t.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            t.setItem(r, c, QTableWidgetItem("" if v is None else str(v)))


def _chart(title: str) -> tuple[QChart, QChartView]:
    chart = QChart()
    chart.setTitle(title)
    chart.legend().hide()
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.setMargins(chart.margins().__class__(4, 4, 4, 4))
    view = QChartView(chart)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumSize(300, 220)
    return chart, view


def _date_axis(ax: Any, title: str) -> None:
    """The two charts' time axes alike: labels a size smaller, and a bold title in that size."""
    small = ax.labelsFont()
    small.setPointSizeF(small.pointSizeF() * 0.8)
    ax.setLabelsFont(small)
    bold = QFont(small)
    bold.setBold(True)
    ax.setTitleFont(bold)
    ax.setTitleText(title)


def _count_axis(top: float, title: str = "") -> QValueAxis:
    """A value axis from 0 with whole-number ticks (Qt's own ticks repeat labels such as
    0, 0, 1, 1 on small ranges)."""
    n = max(1, math.ceil(top * 1.15))
    if n <= 5:
        ticks = n + 1
    else:
        step = math.ceil(n / 5)
        n, ticks = step * 5, 6
    ax = QValueAxis()
    ax.setRange(0, n)
    ax.setTickCount(ticks)
    ax.setLabelFormat("%d")
    if title:
        ax.setTitleText(title)
    return ax


def _reset(chart: QChart) -> None:
    chart.removeAllSeries()
    for ax in chart.axes():
        chart.removeAxis(ax)


class AdminView(SessionView, QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("adminView")
        self.banner = Banner()
        self.tabs = QTabWidget()
        self.tabs.addTab(scrollable(self._overview()), "Overview")  # charts keep their size
        self.tabs.addTab(self._payouts(), "Payouts")
        self.tabs.addTab(self._rates(), "Rates")
        self.tabs.addTab(self._users(), "Users")
        self.tabs.addTab(self._tasks(), "Tasks")
        self.tabs.addTab(self._terms(), "Terms")
        lay = QVBoxLayout(self)
        lay.addWidget(self.banner)
        lay.addWidget(self.tabs, 1)
        self.stats: Any = None
        self.report: Any = None
        session.changed.connect(self.refresh)
        session.data_changed.connect(self.refresh)


    def refresh(self) -> None:
        if self.svc is None or self.actor is None or self.session.role != "admin":
            return
        self.refresh_overview()
        self.show_payouts()
        self.refresh_rates()
        self.refresh_users()
        self.refresh_tasks()
        self.refresh_terms()

    # -- overview ------------------------------------------------------------------------------
    def _overview(self) -> QWidget:
        w = QWidget()
        self.weeks = QSpinBox()
        self.weeks.setRange(1, 104)
        self.weeks.setValue(12)
        self.weeks.setSuffix(" weeks")
        self.figures = QLabel()
        self.figures.setObjectName("figures")
        self.figures.setTextFormat(Qt.TextFormat.RichText)
        top = QHBoxLayout()
        top.addWidget(QLabel("Last"))
        top.addWidget(self.weeks)
        top.addSpacing(20)
        top.addWidget(self.figures, 1)
        self.minutes_chart, self.minutes_view = _chart("Approved minutes per week")
        self.queue_chart, self.queue_view = _chart("Queue size over time (waiting + in review)")
        self.reasons_chart, self.reasons_view = _chart("Rejection reasons")
        grid = QGridLayout()
        grid.addWidget(self.minutes_view, 0, 0)
        grid.addWidget(self.queue_view, 0, 1)
        grid.addWidget(self.reasons_view, 1, 0, 1, 2)
        grid.setRowStretch(0, 3)
        grid.setRowStretch(1, 2)
        lay = QVBoxLayout(w)
        lay.addLayout(top)
        lay.addLayout(grid, 1)
        self.weeks.valueChanged.connect(lambda _v: self.refresh_overview())
        return w

    def refresh_overview(self) -> None:
        stats = self._call(self.svc.work_stats, actor=self.actor, weeks=self.weeks.value())
        if stats is None:
            return
        self.stats = stats
        counts = self._call(self.svc.queue_counts, actor=self.actor) or {}
        weekly = stats.approved_minutes_per_week
        total_min = float(weekly["minutes"].sum()) if len(weekly) else 0.0
        total_n = int(weekly["approved"].sum()) if len(weekly) else 0
        rejected = int(stats.rejection_reasons["count"].sum()) if len(
            stats.rejection_reasons) else 0
        waiting = counts.get("submitted", 0) + counts.get("in_review", 0)
        self.figures.setText(
            f"<b>{total_min:.1f}</b> approved minutes in <b>{total_n}</b> submissions · "
            f"<b>{waiting}</b> in the queue · <b>{rejected}</b> rejected")
        self._bar_weeks(stats)
        self._line_queue(stats.queue_size_per_day)
        self._bar_reasons(stats.rejection_reasons)

    def _bar_weeks(self, stats: Any) -> None:
        chart = self.minutes_chart
        _reset(chart)
        bars = QBarSet("minutes")
        bars.setColor(QColor("#1a5fb4"))
        cats = []
        every = stats.minutes_every_week(self.weeks.value(), self.svc.now())
        for week, minutes in every:
            bars.append(minutes)
            cats.append(f"{week.day}/{week.month}")
        series = QBarSeries()
        series.append(bars)
        series.setLabelsVisible(True)
        chart.addSeries(series)
        ax = QBarCategoryAxis()
        ax.append(cats or ["no approvals yet"])
        _date_axis(ax, "week starting (day/month, UTC)")  # "12/10" was elided at 12 weeks
        ay = _count_axis(max([m for _w, m in every] + [1.0]), "minutes")
        chart.addAxis(ax, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(ay, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(ax)
        series.attachAxis(ay)

    def _line_queue(self, daily: pd.DataFrame) -> None:
        """The queue at each day's end over the chosen period, as the bars beside it: from
        its first day (at the size it had then, 0 before the first submission) to now (it
        spanned only the days with data, and a single day reached into tomorrow)."""
        chart = self.queue_chart
        _reset(chart)
        series = QLineSeries()
        series.setColor(QColor("#b26a00"))
        end_ms = int(self.svc.now().timestamp() * 1000)
        start_ms = end_ms - self.weeks.value() * 7 * 86_400_000
        size, points = 0, []
        for day, waiting in zip(daily["day"].tolist(), daily["waiting"].tolist(), strict=True):
            # At the day's local midnight: the axis writes dates in local time, and a UTC
            # midnight is the evening before west of Greenwich.
            d = pd.Timestamp(day)
            ms = QDateTime(QDate(d.year, d.month, d.day), QTime(0, 0)).toMSecsSinceEpoch()
            if ms <= start_ms:
                size = int(waiting)  # the size the period starts with
            elif ms <= end_ms:
                points.append((ms, int(waiting)))
        points = [(start_ms, size)] + points
        points.append((end_ms, points[-1][1]))  # today so far
        previous = size
        for ms, waiting in points:  # steps: a size holds until the day it changed
            if waiting != previous:
                series.append(float(ms), float(previous))
            series.append(float(ms), float(waiting))
            previous = waiting
        chart.addSeries(series)
        ax = QDateTimeAxis()
        ax.setFormat("d/M")
        _date_axis(ax, "day (day/month)")  # as the weeks beside it
        ax.setTickCount(7)
        ax.setRange(QDateTime.fromMSecsSinceEpoch(start_ms), QDateTime.fromMSecsSinceEpoch(end_ms))
        ay = _count_axis(max([1] + [w for _ms, w in points]), "submissions")
        chart.addAxis(ax, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(ay, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(ax)
        series.attachAxis(ay)

    def _bar_reasons(self, reasons: pd.DataFrame) -> None:
        chart = self.reasons_chart
        _reset(chart)
        bars = QBarSet("rejections")
        bars.setColor(QColor("#b00020"))
        cats = []
        top = reasons.head(8).iloc[::-1]
        for reason_text, count in zip(top["reason"].tolist(), top["count"].tolist(), strict=True):
            bars.append(float(count))
            reason = str(reason_text or "(no reason)")
            cats.append(reason if len(reason) <= 40 else reason[:39] + "…")
        series = QHorizontalBarSeries()
        series.append(bars)
        series.setLabelsVisible(True)
        chart.addSeries(series)
        ay = QBarCategoryAxis()
        ay.append(cats or ["no rejections"])
        ax = _count_axis(max([float(v) for v in reasons["count"]] + [1.0]))
        chart.addAxis(ay, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(ax, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(ay)
        series.attachAxis(ax)

    # -- payouts -------------------------------------------------------------------------------
    def _payouts(self) -> QWidget:
        w = QWidget()
        self.month = QLineEdit(dt.date.today().strftime("%Y-%m"))
        self.month.setObjectName("month")
        self.month.setMaximumWidth(100)
        self.show_btn = QPushButton("Show")
        self.close_btn = QPushButton("Close month…")
        self.close_btn.setObjectName("closeMonth")
        self.csv_path = QLineEdit()
        self.csv_path.setObjectName("csvPath")
        self.csv_path.setPlaceholderText("payouts-YYYY-MM.csv")
        self.csv_btn = QPushButton("Save CSV")
        self.csv_btn.setObjectName("saveCsv")
        self.payout_state = QLabel()
        self.payout_state.setObjectName("payoutState")
        row = QHBoxLayout()
        for x in (QLabel("Month"), self.month, self.show_btn, self.close_btn):
            row.addWidget(x)
        row.addWidget(self.payout_state, 1)
        row.addWidget(self.csv_path)
        row.addWidget(self.csv_btn)
        self.summary_table = read_only_table(["Contributor", "Items", "Approved minutes", "Amount",
                                     "Withdrawn after payment"])
        self.summary_table.setObjectName("payoutSummary")
        self.items_table = read_only_table(["Contributor", "Submission", "Version", "Task", "Approved",
                                   "Minutes", "Per-minute", "Task pay", "Amount", "Paid"])
        self.items_table.setObjectName("payoutItems")
        lay = QVBoxLayout(w)
        lay.addLayout(row)
        lay.addWidget(QLabel("Per contributor (payee details are never shown or exported)"))
        lay.addWidget(self.summary_table, 1)
        lay.addWidget(QLabel("Items"))
        lay.addWidget(self.items_table, 2)
        self.show_btn.clicked.connect(self.show_payouts)
        self.month.returnPressed.connect(self.show_payouts)
        self.close_btn.clicked.connect(self.ask_close_month)
        self.csv_btn.clicked.connect(self.save_csv)
        return w

    def show_payouts(self) -> None:
        month = self.month.text().strip()
        rep = self._call(self.svc.payouts, actor=self.actor, month=month)
        if rep is None:
            return
        self.report = rep
        cur = str(rep.items["currency"].iloc[0]) if len(rep.items) else ""
        self.payout_state.setText(
            (f"<b>Closed</b> {when(rep.closed_at)}" if rep.closed else "<b>Open</b> (not paid yet)")
            + f" · total <b>{money(rep.total_cents, cur)}</b>")
        _fill(self.summary_table, [
            [r.contributor, r.items, f"{float(r.approved_minutes):.1f}",
             money(int(r.amount_cents), r.currency), r.withdrawn_after_payment]
            for r in rep.summary.itertuples()])
        _fill(self.items_table, [
            [r.contributor, r.submission_id, r.version,
             "" if pd.isna(r.task_id) else int(r.task_id),
             when(pd.Timestamp(r.approved_at).to_pydatetime()),
             f"{float(r.approved_minutes):.2f}", money(int(r.minute_cents)),
             money(int(r.task_cents)), money(int(r.amount_cents), r.currency),
             "yes" if r.paid else "no"] for r in rep.items.itertuples()])
        self.close_btn.setEnabled(not rep.closed)
        if not self.csv_path.text():
            self.csv_path.setText(str(Path.home() / f"payouts-{month}.csv"))

    def ask_close_month(self) -> None:
        month = self.month.text().strip()
        self.banner.show_message(
            f"Close {month}? Its payouts are recorded as paid and the month never changes "
            "again.", "warn", [("Yes, close it", self.close_month), ("Cancel", self.banner.hide)])

    def close_month(self) -> None:
        month = self.month.text().strip()
        rep = self._call(self.svc.close_month, actor=self.actor, month=month)
        if rep is not None:
            self.banner.show_message(f"{month} closed: {len(rep.summary)} payout(s), "
                                     f"{money(rep.total_cents)} in all.", "ok")
            self.show_payouts()

    def save_csv(self) -> None:
        if self.report is None:
            self.show_payouts()
        if self.report is None:
            return
        path = self.csv_path.text().strip()
        if not path:
            self.banner.show_error("Say where to save the CSV file.")
            return
        try:
            out = self.report.to_csv(path)
        except OSError as exc:
            self.banner.show_error(f"Could not write {path}: {exc}")
            return
        self.banner.show_message(f"Saved {len(self.report.items)} item(s) to {out}.", "ok")

    # -- rates ---------------------------------------------------------------------------------
    def _rates(self) -> QWidget:
        w = QWidget()
        self.rates_table = read_only_table(["From", "Per approved minute", "Per approved task",
                                   "Currency", "Set"])
        self.per_minute = QSpinBox()
        self.per_minute.setRange(0, 1_000_000)
        self.per_minute.setSuffix(" cents")
        self.per_task = QSpinBox()
        self.per_task.setRange(0, 1_000_000)
        self.per_task.setSuffix(" cents")
        self.currency = QLineEdit("EUR")
        self.currency.setMaximumWidth(60)
        self.set_rates_btn = QPushButton("Set new rates (from now on)")
        form = QHBoxLayout()
        for x in (QLabel("Per minute"), self.per_minute, QLabel("Per task"), self.per_task,
                  QLabel("Currency"), self.currency, self.set_rates_btn):
            form.addWidget(x)
        form.addStretch(1)
        lay = QVBoxLayout(w)
        lay.addWidget(self.rates_table, 1)
        lay.addLayout(form)
        self.set_rates_btn.clicked.connect(self.set_rates)
        return w

    def refresh_rates(self) -> None:
        rates = self._call(self.svc.list_rates, actor=self.actor) or []
        _fill(self.rates_table, [[when(r.effective_from), money(r.per_approved_minute_cents),
                                  money(r.per_approved_task_cents), r.currency,
                                  when(r.created_at)] for r in rates])
        if rates:
            self.currency.setText(rates[-1].currency)

    def set_rates(self) -> None:
        r = self._call(self.svc.set_rates, actor=self.actor,
                       per_approved_minute_cents=self.per_minute.value(),
                       per_approved_task_cents=self.per_task.value(),
                       currency=self.currency.text().strip())
        if r is not None:
            self.banner.show_message(
                f"Rates from {when(r.effective_from)}: {money(r.per_approved_minute_cents)} per "
                f"minute, {money(r.per_approved_task_cents)} per task ({r.currency}).", "ok")
            self.refresh_rates()

    # -- users ---------------------------------------------------------------------------------
    def _users(self) -> QWidget:
        w = QWidget()
        self.users_table = read_only_table(["Name", "Pseudonym", "Role", "Created", "Disabled",
                                   "Must change passphrase"])
        self.users_table.setObjectName("users")
        self.new_name = QLineEdit()
        self.new_name.setObjectName("newUserName")
        self.new_name.setPlaceholderText("sign-in name, e.g. ana")
        self.new_role = QComboBox()
        self.new_role.setObjectName("newUserRole")
        self.new_role.addItems(["contributor", "reviewer", "admin"])
        self.invite_btn = QPushButton("Invite")
        self.invite_btn.setObjectName("invite")
        self.reset_btn = QPushButton("Reset passphrase")
        self.reset_btn.setObjectName("resetPassphrase")
        self.disable_btn = QPushButton("Disable / enable")
        self.role_choice = QComboBox()
        self.role_choice.setObjectName("roleChoice")
        self.role_choice.addItems(["contributor", "reviewer", "admin"])
        self.role_btn = QPushButton("Set role")
        self.role_btn.setObjectName("setRole")
        self.role_btn.setToolTip("Give the selected user the role chosen on the left; a "
                                 "reviewer who becomes a contributor gives back their claims.")
        row = QHBoxLayout()
        for x in (QLabel("New user"), self.new_name, self.new_role, self.invite_btn):
            row.addWidget(x)
        row.addStretch(1)
        row.addWidget(self.role_choice)
        row.addWidget(self.role_btn)
        row.addWidget(self.reset_btn)
        row.addWidget(self.disable_btn)
        lay = QVBoxLayout(w)
        lay.addWidget(self.users_table, 1)
        lay.addLayout(row)
        self.invite_btn.clicked.connect(self.invite)
        self.new_name.returnPressed.connect(self.invite)
        self.reset_btn.clicked.connect(self.reset_passphrase)
        self.disable_btn.clicked.connect(self.toggle_disabled)
        self.role_btn.clicked.connect(self.set_role)
        self.users: list[Any] = []
        return w

    def refresh_users(self) -> None:
        self.users = self._call(self.svc.list_users, actor=self.actor) or []
        _fill(self.users_table, [[u.name, u.pseudonym, u.role, when(u.created_at),
                                  when(u.disabled_at) if u.disabled_at else "",
                                  "yes" if u.must_change_passphrase else ""]
                                 for u in self.users])

    def _selected_user(self) -> Any:
        rows = self.users_table.selectionModel().selectedRows()
        if not rows:
            self.banner.show_error("Select a user first.")
            return None
        return self.users[rows[0].row()]

    def invite(self) -> None:
        inv = self._call(self.svc.invite_user, actor=self.actor,
                         name=self.new_name.text().strip(), role=self.new_role.currentText())
        if inv is not None:
            self.new_name.clear()
            self.banner.show_message(
                f"Invited {inv.user.name} ({inv.user.role}, {inv.user.pseudonym}). Their "
                f"passphrase, shown once: <b>{inv.passphrase}</b> — give it to them; they "
                "choose their own at first sign-in.", "ok")
            self.refresh_users()

    def reset_passphrase(self) -> None:
        u = self._selected_user()
        if u is None:
            return
        secret = self._call(self.svc.reset_passphrase, actor=self.actor, name=u.name)
        if secret is not None:
            self.banner.show_message(f"New passphrase for {u.name}, shown once: <b>{secret}</b>"
                                     " — they choose their own at next sign-in.", "ok")
            self.refresh_users()

    def set_role(self) -> None:
        u = self._selected_user()
        if u is None:
            return
        role = self.role_choice.currentText()
        res = self._call(self.svc.set_role, actor=self.actor, name=u.name, role=role)
        if res is not None:
            self.banner.show_message(f"{u.name} is now a {res.role}.", "ok")
            self.refresh_users()

    def toggle_disabled(self) -> None:
        u = self._selected_user()
        if u is None:
            return
        res = self._call(self.svc.set_disabled, actor=self.actor, name=u.name,
                         disabled=u.disabled_at is None)
        if res is not None:
            self.banner.show_message(
                f"{u.name} is {'disabled' if res.disabled_at else 'enabled'}.", "ok")
            self.refresh_users()

    # -- tasks ---------------------------------------------------------------------------------
    def _tasks(self) -> QWidget:
        w = QWidget()
        self.tasks_table = read_only_table(["#", "Title", "Goal", "Applications", "Difficulty", "Pay",
                                   "Published", "Closed"], stretch=2)
        self.tasks_table.setObjectName("adminTasks")
        self.task_title = QLineEdit()
        self.task_title.setObjectName("taskTitle")
        self.task_goal = QLineEdit()
        self.task_goal.setObjectName("taskGoal")
        self.task_apps = QLineEdit()
        self.task_apps.setPlaceholderText("comma-separated, e.g. LibreOffice Calc, Firefox")
        self.task_difficulty = QComboBox()
        self.task_difficulty.addItems(["easy", "medium", "hard"])
        self.task_difficulty.setCurrentText("medium")
        self.task_pay = QSpinBox()
        self.task_pay.setRange(0, 1_000_000)
        self.task_pay.setSuffix(" cents")
        self.task_pay.setSpecialValueText("per-task rate")
        self.publish_task_btn = QPushButton("Publish task")
        self.publish_task_btn.setObjectName("publishTask")
        self.close_task_btn = QPushButton("Close selected task")
        form = QFormLayout()
        form.addRow("Title", self.task_title)
        form.addRow("Goal", self.task_goal)
        form.addRow("Applications", self.task_apps)
        form.addRow("Difficulty", self.task_difficulty)
        form.addRow("Own pay", self.task_pay)
        box = QGroupBox("New task")
        bl = QVBoxLayout(box)
        bl.addLayout(form)
        brow = QHBoxLayout()
        brow.addStretch(1)
        brow.addWidget(self.close_task_btn)
        brow.addWidget(self.publish_task_btn)
        bl.addLayout(brow)
        lay = QVBoxLayout(w)
        lay.addWidget(self.tasks_table, 1)
        lay.addWidget(box)
        self.publish_task_btn.clicked.connect(self.publish_task)
        self.close_task_btn.clicked.connect(self.close_task)
        self.tasks: list[Any] = []
        return w

    def refresh_tasks(self) -> None:
        self.tasks = self._call(self.svc.list_tasks, actor=self.actor, include_closed=True) or []
        _fill(self.tasks_table, [[t.id, t.title, t.goal, ", ".join(t.applications),
                                  t.difficulty, money(t.pay_cents) if t.pay_cents else "",
                                  when(t.published_at),
                                  when(t.closed_at) if t.closed_at else ""]
                                 for t in self.tasks])

    def publish_task(self) -> None:
        pay = self.task_pay.value() or None
        t = self._call(self.svc.publish_task, actor=self.actor, title=self.task_title.text(),
                       goal=self.task_goal.text(),
                       applications=split_list(self.task_apps.text()),
                       difficulty=self.task_difficulty.currentText(), pay_cents=pay)
        if t is not None:
            for f in (self.task_title, self.task_goal, self.task_apps):
                f.clear()
            self.banner.show_message(f"Task #{t.id} “{t.title}” is published.", "ok")
            self.session.touched()

    def close_task(self) -> None:
        rows = self.tasks_table.selectionModel().selectedRows()
        if not rows:
            self.banner.show_error("Select a task first.")
            return
        t = self.tasks[rows[0].row()]
        if self._call(self.svc.close_task, actor=self.actor, task_id=t.id) is not None:
            self.banner.show_message(f"Task #{t.id} is closed: no new submissions for it.",
                                     "ok")
            self.session.touched()

    # -- terms ---------------------------------------------------------------------------------
    def _terms(self) -> QWidget:
        w = QWidget()
        self.terms_list = QListWidget()
        self.terms_list.setObjectName("terms")
        self.terms_text = QPlainTextEdit()
        self.terms_text.setReadOnly(True)
        self.new_terms_version = QLineEdit()
        self.new_terms_version.setPlaceholderText("new version, e.g. 2")
        self.new_terms_text = QPlainTextEdit()
        self.new_terms_text.setPlaceholderText("The full text of the new terms…")
        self.publish_terms_btn = QPushButton("Publish terms")
        top = QHBoxLayout()
        top.addWidget(self.terms_list, 1)
        top.addWidget(self.terms_text, 3)
        row = QHBoxLayout()
        row.addWidget(QLabel("Version"))
        row.addWidget(self.new_terms_version)
        row.addStretch(1)
        row.addWidget(self.publish_terms_btn)
        lay = QVBoxLayout(w)
        lay.addLayout(top, 2)
        lay.addWidget(QLabel("A published version never changes: publish a new one. "
                             "Contributors consent to the latest."))
        lay.addWidget(self.new_terms_text, 1)
        lay.addLayout(row)
        self.terms_list.currentRowChanged.connect(self._show_terms)
        self.publish_terms_btn.clicked.connect(self.publish_terms)
        self.terms: list[Any] = []
        return w

    def refresh_terms(self) -> None:
        self.terms = self._call(self.svc.list_terms) or []
        self.terms_list.clear()
        for t in self.terms:
            self.terms_list.addItem(f"version {t.version} — {when(t.published_at)}")
        if self.terms:
            self.terms_list.setCurrentRow(len(self.terms) - 1)

    def _show_terms(self, row: int) -> None:
        if 0 <= row < len(self.terms):
            self.terms_text.setPlainText(self.terms[row].text)

    def publish_terms(self) -> None:
        t = self._call(self.svc.publish_terms, actor=self.actor,
                       version=self.new_terms_version.text(),
                       text=self.new_terms_text.toPlainText())
        if t is not None:
            self.new_terms_version.clear()
            self.new_terms_text.clear()
            self.banner.show_message(f"Terms version {t.version} published.", "ok")
            self.refresh_terms()
