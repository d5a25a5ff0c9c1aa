"""Every keyboard shortcut of the desk, declared once.

Widgets ask for a key by its id (`key("desk.next_patient")`) or build the action with `action(...)`,
so a key is never typed twice and Help > Keyboard shortcuts lists exactly what the desk does.
Function keys carry the call flow because an advisor with a headset on can find them blind.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QWidget


@dataclass(frozen=True)
class Shortcut:
    id: str
    keys: str  # portable text, as QKeySequence(keys) reads it
    label: str  # what the action does, as the menu shows it
    group: str  # heading in the shortcuts dialog


_DECLARED: tuple[Shortcut, ...] = (
    # The call flow, in the order an advisor uses it.
    Shortcut("desk.next_patient", "F2", "Next patient (claim and open)", "Call flow"),
    Shortcut(
        "desk.work_selected",
        "Ctrl+Return",
        "Work the selected worklist referral (claim it)",
        "Call flow",
    ),
    Shortcut("desk.release", "Ctrl+Shift+R", "Release the current referral", "Call flow"),
    Shortcut("desk.outbox", "Ctrl+Shift+W", "Waiting to send (saved while offline)", "Call flow"),
    Shortcut("flow.outcome", "F6", "Call outcome", "Call flow"),
    Shortcut("flow.choice", "F7", "Patient choice script", "Call flow"),
    Shortcut("flow.booking", "F8", "Book an appointment", "Call flow"),
    Shortcut("patient.copy_phone", "Ctrl+Shift+C", "Copy the preferred phone number", "Patient"),
    Shortcut("patient.copy_phone_2", "Ctrl+Shift+O", "Copy the other (second) phone number", "Patient"),
    Shortcut("patient.copy_nhs", "Ctrl+Shift+N", "Copy the NHS number", "Patient"),
    Shortcut("patient.focus", "Ctrl+2", "Go to the patient pane", "Patient"),
    Shortcut("patient.edit_contact", "F3", "Edit contact details (phones, address, best times)", "Patient"),
    Shortcut("patient.add_note", "F4", "Add a note to the referral", "Patient"),
    # Finding work.
    Shortcut(
        "worklist.search", "Ctrl+F", "Search (name, NHS number, postcode, phone, date of birth)", "Worklist"
    ),
    Shortcut("worklist.focus", "Ctrl+1", "Go to the worklist (on the desk)", "Worklist"),
    Shortcut("worklist.refresh", "F5", "Refresh the worklist", "Worklist"),
    Shortcut("worklist.scope_mine", "Ctrl+M", "Show my work", "Worklist"),
    Shortcut("worklist.scope_team", "Ctrl+T", "Show my team's work", "Worklist"),
    Shortcut("worklist.scope_all", "Ctrl+G", "Show all teams (admins)", "Worklist"),
    Shortcut("worklist.callbacks", "Ctrl+D", "Only callbacks due now (toggle)", "Worklist"),
    Shortcut("worklist.clear_filters", "Ctrl+Shift+X", "Clear the filters and the search", "Worklist"),
    # Other screens.
    Shortcut("view.desk", "F12", "The desk (worklist, patient and call flow)", "Screens"),
    Shortcut("view.team", "F9", "Team-lead view", "Screens"),
    Shortcut("view.letters", "F10", "Letters print queue", "Screens"),
    # The desk itself.
    Shortcut("app.lock", "Ctrl+L", "Lock the desk", "Desk"),
    Shortcut("app.sign_out", "Ctrl+Shift+Q", "Sign out", "Desk"),
    Shortcut("app.quit", "Ctrl+Q", "Quit", "Desk"),
    Shortcut("help.shortcuts", "F1", "Keyboard shortcuts", "Desk"),
)

SHORTCUTS: dict[str, Shortcut] = {s.id: s for s in _DECLARED}

# Keys that widgets handle themselves (standard Qt behaviour), listed so the help is complete.
BUILT_IN: tuple[tuple[str, str, str], ...] = (
    ("Tab / Shift+Tab", "Next / previous control", "Everywhere"),
    ("Up / Down, Page Up / Page Down", "Move through the worklist", "Worklist"),
    ("Return", "Open the selected referral in the patient pane", "Worklist"),
    ("Ctrl+Tab / Ctrl+Shift+Tab", "Next / previous tab", "Everywhere"),
    ("Escape", "Leave the search box for the worklist", "Worklist"),
)

# Panels declare their own keys (they only work while focus is inside the panel) in a module-level
# SHORTCUTS list of (keys, label); the dialog shows them under the panel's name.
PANEL_SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("Call outcome panel", "cras_desk.gui.call_outcome.panel"),
    ("Contact details window", "cras_desk.gui.patient.contact_editor"),
    ("Choice script panel", "cras_desk.gui.choice.panel"),
    ("Booking panel", "cras_desk.gui.booking.panel"),
    ("Team-lead view", "cras_desk.gui.team.view"),
    ("Dashboard", "cras_desk.gui.dashboard.view"),
    ("Letters print queue", "cras_desk.gui.letters.print_queue_widget"),
)


def key(shortcut_id: str) -> QKeySequence:
    return QKeySequence(SHORTCUTS[shortcut_id].keys)


def text(shortcut_id: str) -> str:
    """The key as the user's platform writes it, for labels and tooltips."""
    return key(shortcut_id).toString(QKeySequence.SequenceFormat.NativeText)


def action(
    parent: QObject,
    shortcut_id: str,
    triggered: Callable[[], object] | None = None,
    *,
    context: Qt.ShortcutContext = Qt.ShortcutContext.WindowShortcut,
) -> QAction:
    """A QAction carrying the declared key and label; added to a menu it shows both."""
    spec = SHORTCUTS[shortcut_id]
    act = QAction(spec.label, parent)
    act.setObjectName(f"action_{shortcut_id.replace('.', '_')}")
    act.setShortcut(key(shortcut_id))
    act.setShortcutContext(context)
    act.setToolTip(f"{spec.label} ({text(shortcut_id)})")
    if triggered is not None:
        act.triggered.connect(lambda _checked=False: triggered())
    return act


def panel_rows() -> list[tuple[str, str, str]]:
    """The panels' own keys, from the panels that are installed."""
    found: list[tuple[str, str, str]] = []
    for group, module_name in PANEL_SHORTCUTS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for keys, label in getattr(module, "SHORTCUTS", []):
            found.append((group, keys, label))
    return found


def rows(*, panels: bool = True) -> list[tuple[str, str, str]]:
    """(group, keys, label) for the help dialog: the desk's, the panels', then built-in keys."""
    declared = [
        (s.group, QKeySequence(s.keys).toString(QKeySequence.SequenceFormat.NativeText), s.label)
        for s in _DECLARED
    ]
    built_in = [(group, keys, label) for keys, label, group in BUILT_IN]
    return declared + (panel_rows() if panels else []) + built_in


class ShortcutsDialog(QDialog):
    """Help > Keyboard shortcuts: every key the desk answers to, in one table."""

    def __init__(self, parent: QWidget | None = None) -> None:
        # Widget classes imported here: PySide6 sets a class up on first use, and start-up
        # should not pay for a dialog most advisors open once.
        from PySide6.QtWidgets import (
            QAbstractItemView,
            QDialogButtonBox,
            QHeaderView,
            QLabel,
            QTableWidget,
            QTableWidgetItem,
            QVBoxLayout,
        )

        from cras_desk.services.claims import NEXT_PATIENT_ORDER, NEXT_PATIENT_SCOPE

        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(760, 640)
        # The order F2 takes patients in: an advisor must be able to see why this patient is next.
        steps = "\n".join(f"{i}. {step}" for i, step in enumerate(NEXT_PATIENT_ORDER, start=1))
        f2 = text("desk.next_patient")
        self.next_patient_order = QLabel(
            f"{f2} takes the next patient in this order:\n{steps}\n\n{NEXT_PATIENT_SCOPE}", self
        )
        self.next_patient_order.setObjectName("nextPatientOrder")
        self.next_patient_order.setTextFormat(Qt.TextFormat.PlainText)
        self.next_patient_order.setWordWrap(True)
        # Selectable by keyboard, so Tab reaches it and a screen reader reads it.
        self.next_patient_order.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByKeyboard | Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.next_patient_order.setAccessibleName("Which patient F2 takes next")
        data = rows()
        self.table = QTableWidget(len(data), 3, self)
        self.table.setObjectName("shortcutsTable")
        self.table.setAccessibleName("Keyboard shortcuts")
        self.table.setHorizontalHeaderLabels(["Where", "Keys", "What it does"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setTabKeyNavigation(False)
        for r, (group, keys, label) in enumerate(data):
            for c, value in enumerate((group, keys, label)):
                self.table.setItem(r, c, QTableWidgetItem(value))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.next_patient_order)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.table.setFocus()


def duplicates() -> list[str]:
    """Keys declared twice (a test keeps this empty)."""
    seen: dict[str, str] = {}
    clashes: list[str] = []
    for s in _DECLARED:
        norm = QKeySequence(s.keys).toString(QKeySequence.SequenceFormat.PortableText)
        if norm in seen:
            clashes.append(f"{norm}: {seen[norm]} and {s.id}")
        seen[norm] = s.id
    return clashes
