"""The desk lock: hides the desk behind a password prompt, keeping every widget (and what was
typed in it) exactly as it was.

The desk page is swapped out of a QStackedWidget rather than covered or destroyed, so nothing on
it is visible, reachable by Tab or by shortcut while locked, and nothing in it is lost. The window's
actions are disabled too, because a QAction's shortcut would otherwise still fire.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QFrame, QStackedWidget, QWidget

from cras_desk.domain.errors import AuthenticationFailed
from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.generated.ui_lock_screen import Ui_LockScreen
from cras_desk.gui.lock.idle import IdleWatcher
from cras_desk.gui.widgets.announcer import Announcer
from cras_desk.gui.widgets.password_edit import protect


class LockScreen(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ui = Ui_LockScreen()
        self.ui.setupUi(self)
        protect(self.ui.password)
        # Nearer to the password than the window's status bar: a wrong password is spoken from here.
        self.announcer = Announcer(self.ui.errorLabel, self)
        self.ui.errorLabel.hide()


class DeskLock(QObject):
    locked = Signal()
    unlocked = Signal()
    sign_out_requested = Signal()

    def __init__(
        self,
        ctx: DeskContext,
        pages: QStackedWidget,
        desk_page: QWidget,
        actions: list[QAction],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._pages = pages
        self._desk_page = desk_page
        self._actions = actions
        self._was_enabled: dict[QAction, bool] = {}
        self._focus: QWidget | None = None
        self._checking = False
        self._screen: LockScreen | None = None
        self.watcher = IdleWatcher(self.idle_minutes() * 60_000, self)
        self.watcher.idle.connect(self.lock)

    def idle_minutes(self) -> int:
        """The desk's own choice, held to the unit's bounds (central settings)."""
        return self.ctx.unit.idle_lock_minutes(self.ctx.settings.idle_lock_minutes)

    def rules_changed(self) -> None:
        self.watcher.set_timeout_ms(self.idle_minutes() * 60_000)

    @property
    def screen(self) -> LockScreen:
        """Built the first time the desk locks: most sessions never need it."""
        if self._screen is None:
            screen = self._screen = LockScreen(self._pages)
            self._pages.addWidget(screen)
            actor = self.ctx.actor
            screen.ui.who.setText(
                f"Locked for {actor.full_name} ({actor.username}). Enter your password to unlock."
            )
            screen.ui.unlockButton.clicked.connect(self.try_unlock)
            screen.ui.password.returnPressed.connect(self.try_unlock)
            screen.ui.signOutButton.clicked.connect(self.sign_out_requested)
        return self._screen

    @property
    def is_locked(self) -> bool:
        return self._screen is not None and self._pages.currentWidget() is self._screen

    def start(self) -> None:
        self.watcher.start()

    def stop(self) -> None:
        self.watcher.stop()

    def lock(self) -> None:
        if self.is_locked:
            return
        focus = QApplication.focusWidget()
        self._focus = focus if focus is not None and self._desk_page.isAncestorOf(focus) else None
        self._was_enabled = {a: a.isEnabled() for a in self._actions}
        for a in self._actions:
            a.setEnabled(False)
        self._pages.setCurrentWidget(self.screen)
        self.screen.announcer.clear()
        self.screen.ui.password.clear()
        self.screen.ui.password.setFocus(Qt.FocusReason.OtherFocusReason)
        self.locked.emit()

    def try_unlock(self) -> None:
        password = self.screen.ui.password.text()
        if not password or self._checking:
            return
        self._checking = True
        self.screen.ui.unlockButton.setEnabled(False)
        check, actor = self.ctx.services.password_check, self.ctx.actor
        self.ctx.tasks.run(lambda: check(actor, password), self._verified, self._failed)

    def _verified(self, ok: bool) -> None:
        self._checking = False
        self.screen.ui.unlockButton.setEnabled(True)
        self.screen.ui.password.clear()
        if not ok:
            self._error("That password is not right.")
            return
        self.unlock()

    def _failed(self, exc: BaseException) -> None:
        self._checking = False
        self.screen.ui.unlockButton.setEnabled(True)
        self.screen.ui.password.clear()
        if isinstance(exc, AuthenticationFailed):  # locked after too many wrong passwords
            self._error(f"{exc} Or sign out, so that someone else can use this desk.")
            return
        self._error(f"Cannot check the password now ({exc.__class__.__name__}). Try again.")

    def _error(self, text: str) -> None:
        self.screen.ui.password.setFocus()
        self.screen.announcer.announce(text, assertive=True)

    def unlock(self) -> None:
        """Back to the desk as it was (called after the password has been verified)."""
        self._pages.setCurrentWidget(self._desk_page)
        for a, enabled in self._was_enabled.items():
            a.setEnabled(enabled)
        self._was_enabled.clear()
        if self._focus is not None:
            self._focus.setFocus(Qt.FocusReason.OtherFocusReason)
        self.watcher.reset()
        self.unlocked.emit()
