"""What the call-flow panels share: the referral they show, loading it off the UI thread, messages.

A panel loads when it is visible: a main window that keeps every panel alive and hands each the
current referral does not make four reads (and four audited views) per referral opened, only one
for the panel in front of the advisor. Results that come back for a referral no longer shown are
dropped; the outcome of a save is not (see `run_change`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QWidget
from shiboken6 import isValid

from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.widgets.banner import MessageBanner
from cras_desk.gui.widgets.error_text import describe_error


class ReferralPanel(QWidget):
    changed = Signal(int)  # referral id, after a successful change

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.banner = MessageBanner(self)
        self._referral_id: int | None = None
        self._generation = 0
        self._load_pending = False

    # -- the referral shown ---------------------------------------------------------------------

    @property
    def referral_id(self) -> int | None:
        return self._referral_id

    def set_referral(self, referral_id: int | None) -> None:
        """Show this referral (None: nothing). Calling it again with the same id reloads."""
        switched = referral_id != self._referral_id
        self._referral_id = referral_id
        self._generation += 1
        if switched:
            self.banner.clear()
        self.referral_changed(switched)
        self._load_pending = referral_id is not None
        if self._load_pending and self.isVisible():
            self.reload()

    def reload(self) -> None:
        self._load_pending = False
        if self._referral_id is not None:
            self.load(self._referral_id)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._load_pending:
            self.reload()

    # -- for subclasses -------------------------------------------------------------------------

    def referral_changed(self, switched: bool) -> None:
        """Reset what is shown for the new referral (restore drafts); no database work here."""

    def load(self, referral_id: int) -> None:
        """Fetch what the panel shows, through `run`."""

    def run(
        self,
        name: str,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        """A read for the referral shown now: superseded by the next read of the same name, and
        dropped if the advisor has moved to another referral by the time it comes back."""
        generation = self._generation

        def current() -> bool:
            return isValid(self) and generation == self._generation

        def done(result: Any) -> None:
            if current():
                on_done(result)

        def failed(exc: BaseException) -> None:
            if current():
                (on_error or self.show_error)(exc)

        self.ctx.tasks.run(fn, done, failed, key=f"{type(self).__name__}:{id(self)}:{name}")

    def run_change(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        """A change: never superseded, and its outcome is always delivered (the callbacks decide
        what still applies if the advisor has moved on: drafts of the old referral still clear)."""

        def done(result: Any) -> None:
            if isValid(self):
                on_done(result)

        def failed(exc: BaseException) -> None:
            if isValid(self):
                on_error(exc)

        self.ctx.tasks.run(fn, done, failed)

    def is_current(self, referral_id: int) -> bool:
        return referral_id == self._referral_id

    def show_error(self, exc: BaseException) -> None:
        self.banner.error(describe_error(exc))
