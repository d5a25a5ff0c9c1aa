"""Status and result messages spoken by screen readers without moving the advisor's focus.

Every message goes two ways at once, because no single one reaches every screen reader:
- a QAccessibleAnnouncementEvent: Qt turns it into a UIA notification on Windows (NVDA speaks
  it) and an AT-SPI `object:announcement` (Orca 45.2 and later speak it);
- a label whose accessible role is Notification, hidden, given the text and shown again for each
  message: Orca 43 (Debian 12) ignores announcements but speaks a notification as it is shown,
  and in the status bar without saying "notification". Changed label text alone is silent.

One Announcer per place messages are shown: the main window's status bar, a dialog's or the lock
screen's error line. `announce(widget, text)` finds the nearest one above the widget, so a panel's
banner needs to know nothing of where it sits. (A confirm bar needs none: focus moves into it,
and Orca says its description, the question, as it does.)

Measured with Orca 43 (scripts/orca_call_flow.py): when more than 50 events wait in its queue, as
they do for a moment whenever a panel loads a referral and enables its controls, Orca drops
"showing" events, and with them the notification. So the notice is shown a moment after the
message (show_delay_ms), once the panel's own burst has gone out, and an announcer made with
`through_focus=True` (the desk's) also puts a problem (assertive) message in the focused control's
accessible description until focus moves on: Orca speaks that change even in a flood, for the
control it is on. (Only problems: when Orca is not flooded it says the message twice.)
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent
from PySide6.QtWidgets import QAccessibleWidget, QApplication, QLabel, QWidget

from cras_desk.gui.widgets import accessible_roles


class NotificationAccessible(QAccessibleWidget):
    """A label as an AT-SPI notification: its name is the message, so Orca speaks the message."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget, QAccessible.Role.Notification, "")

    def text(self, kind: QAccessible.Text) -> str:
        widget = self.widget()
        if kind == QAccessible.Text.Name and isinstance(widget, QLabel):
            return widget.text()
        return super().text(kind)


accessible_roles.register(accessible_roles.NOTIFICATION, NotificationAccessible)


SHOW_DELAY_MS = 250


class Announcer(QObject):
    """Shows each message in `notice` (a label it owns from now on) and announces it."""

    announced = Signal(str)

    def __init__(
        self,
        notice: QLabel,
        parent: QObject | None = None,
        *,
        clear_after_ms: int = 0,
        through_focus: bool = False,
        show_delay_ms: int = SHOW_DELAY_MS,
    ) -> None:
        super().__init__(parent if parent is not None else notice.parentWidget())
        self.notice = notice
        notice.setTextFormat(Qt.TextFormat.PlainText)
        accessible_roles.assign(notice, accessible_roles.NOTIFICATION)
        self._clear_after_ms = clear_after_ms
        self._through_focus = through_focus
        self._show_delay_ms = show_delay_ms
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clear)
        self._show_timer = QTimer(self)
        self._show_timer.setSingleShot(True)
        self._show_timer.timeout.connect(self.notice.show)
        self._text = ""

    def announce(
        self, text: str, *, timeout_ms: int | None = None, assertive: bool = False, via_focus: bool = False
    ) -> None:
        """Show and speak `text`; gone again after timeout_ms (0: stays until the next message).

        via_focus: say it through the focused control as well (see above) even if not a problem:
        for a message given just as focus moves into a panel that is loading (the next patient).
        """
        self._text = text
        self.notice.hide()  # and shown again: the showing event is what Orca 43 speaks
        self.notice.setText(text)
        self._show_timer.start(self._show_delay_ms)
        post_announcement(self.notice, text, assertive=assertive)
        if self._through_focus and (assertive or via_focus):
            _tell_focused(self.notice.window(), text)
        after = self._clear_after_ms if timeout_ms is None else timeout_ms
        if after > 0:
            self._timer.start(after + self._show_delay_ms)
        else:
            self._timer.stop()
        self.announced.emit(text)

    def clear(self) -> None:
        self._timer.stop()
        self._show_timer.stop()
        self._text = ""
        self.notice.clear()
        self.notice.hide()

    def text(self) -> str:
        """The message on show now ("" once it has been cleared)."""
        return self._text


class _KeepDescription(QObject):
    """Gives a widget its own accessible description back once focus has moved on from it.

    Back only after the move, not on focus-out: Orca speaks a description change of the control it
    is on, and until the new control's focus event it is still on this one.
    """

    def __init__(self, widget: QWidget, original: str) -> None:
        super().__init__(widget)
        self.widget, self.original = widget, original
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        app.focusChanged.connect(self._focus_changed)

    def _focus_changed(self, old: QWidget | None, _new: QWidget | None) -> None:
        if old is self.widget:
            QTimer.singleShot(0, self, self._restore)

    def _restore(self) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.disconnect(self._focus_changed)
        self.widget.setAccessibleDescription(self.original)
        self.setParent(None)
        self.deleteLater()


def _tell_focused(window: QWidget, text: str) -> None:
    """Say `text` as the focused control's description: Orca speaks that change even in a flood."""
    focus = QApplication.focusWidget()
    if focus is None or focus.window() is not window:
        return
    keeper = focus.findChild(_KeepDescription, "", Qt.FindChildOption.FindDirectChildrenOnly)
    if keeper is None:
        _KeepDescription(focus, focus.accessibleDescription())
    # Never via "": with no description of its own a widget's description is its tooltip, and
    # Orca would read that out. The same message again differs by a space, so it is a change.
    same = focus.accessibleDescription() == text
    focus.setAccessibleDescription(f"{text} " if same else text)


def post_announcement(source: QObject, text: str, *, assertive: bool = False) -> None:
    event = QAccessibleAnnouncementEvent(source, text)
    if assertive:
        event.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive)
    QAccessible.updateAccessibility(event)


def nearest(widget: QWidget) -> Announcer | None:
    """The announcer of the widget's closest ancestor that has one (the widget's own included)."""
    current: QObject | None = widget
    while current is not None:
        found = current.findChild(Announcer, "", Qt.FindChildOption.FindDirectChildrenOnly)
        if found is not None:
            return found
        current = current.parent()
    return None


def announce(widget: QWidget, text: str, *, assertive: bool = False) -> None:
    """Speak a message about `widget` through the nearest announcer, or as an announcement only."""
    announcer = nearest(widget)
    if announcer is not None:
        announcer.announce(text, assertive=assertive)
    else:
        post_announcement(widget, text, assertive=assertive)
