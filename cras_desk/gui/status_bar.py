"""The desk's status bar: who is signed in (name, role, team), the database's state, "Working...",
and the line where every status and result message is shown and spoken.

Never the bar's own showMessage, which screen readers do not hear: the message line is an
Announcer's notice (see widgets/announcer.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QMainWindow, QSizePolicy

from cras_desk.domain.clock import to_london
from cras_desk.domain.enums import Role
from cras_desk.gui.style import set_role
from cras_desk.gui.widgets.announcer import Announcer
from cras_desk.services.actor import Actor

STATUS_MESSAGE_MS = 10_000  # a status-bar message without its own time goes after this long
# Shown (so spoken by Orca 43) this long after it is given: a panel reloading after a save sends
# a burst of accessibility events, and Orca drops notifications while its queue is full.
STATUS_SHOW_DELAY_MS = 500
ROLE_TEXT = {Role.ADVISOR: "Patient care advisor", Role.TEAM_LEAD: "Team lead", Role.ADMIN: "Administrator"}


class DeskStatusBar(QObject):
    def __init__(self, window: QMainWindow, actor: Actor, database_text: str, team_name: str | None) -> None:
        super().__init__(window)
        bar = window.statusBar()
        self.db_label = QLabel("Database: connecting...", window)
        self.db_label.setObjectName("statusDatabase")
        self.db_label.setToolTip(database_text)
        self.outbox_label = QLabel("", window)  # calls kept on this PC while the database is away
        self.outbox_label.setObjectName("statusOutbox")
        self.busy_label = QLabel("", window)
        self.busy_label.setObjectName("statusBusy")
        set_role(self.busy_label, "busy", name="state")
        team = team_name or (f"#{actor.team_id}" if actor.team_id else "none")
        self.user_label = QLabel(f"{actor.full_name} ({actor.username})", window)
        self.user_label.setObjectName("statusUser")
        self.role_label = QLabel(ROLE_TEXT.get(actor.role, actor.role.value), window)
        self.role_label.setObjectName("statusRole")
        self.team_label = QLabel(f"Team: {team}", window)
        self.team_label.setObjectName("statusTeam")
        for w in (
            self.outbox_label,
            self.busy_label,
            self.db_label,
            self.user_label,
            self.role_label,
            self.team_label,
        ):
            w.setAccessibleName(w.text() or w.objectName())
            bar.addPermanentWidget(w)
        self.message = QLabel(window)
        self.message.setObjectName("statusMessage")
        # A long message is cut at the window's edge rather than widening the window past the screen.
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        bar.addWidget(self.message, 1)
        # The window's own child: widgets find the desk's announcer among their ancestors' children.
        self.announcer = Announcer(
            self.message,
            window,
            clear_after_ms=STATUS_MESSAGE_MS,
            through_focus=True,
            show_delay_ms=STATUS_SHOW_DELAY_MS,
        )
        self._database_ok: bool | None = None

    def show_waiting(self, waiting: int) -> None:
        text = f"{waiting} waiting to send" if waiting else ""
        self.outbox_label.setText(text)
        self.outbox_label.setAccessibleName(text or "Nothing waiting to send")

    def show_not_answering(self, stuck: bool, since: float) -> None:
        """The worker's call has not come back (a frozen server, a network gone quiet)."""
        if stuck:
            at = datetime.fromtimestamp(since, UTC)
            self.show_connection(
                False,
                f"The database is not answering (since {to_london(at):%H:%M:%S}). What you typed is kept.",
            )
        elif self._database_ok is False:
            self.show_connection(True, "Database connected")

    def set_busy(self, busy: bool) -> None:
        self.busy_label.setText("Working..." if busy else "")

    def set_team(self, name: str) -> None:
        self.team_label.setText(f"Team: {name}")
        self.team_label.setAccessibleName(self.team_label.text())

    def show_connection(self, ok: bool, message: str) -> None:
        self.db_label.setText(message)
        self.db_label.setAccessibleName(message)
        if not ok or self._database_ok is False:  # spoken when lost and when back, not at start-up
            self.announcer.announce(message, timeout_ms=0 if not ok else None, assertive=not ok)
        self._database_ok = ok
        set_role(self.db_label, "connected" if ok else "disconnected", name="state")
