"""Which of the desk's actions sit in which menu, in order (None: a separator).

Each action's key, label and group are declared in shortcuts.py, and what it does is the main
window's (its handlers); a new screen's "view.<screen>" action goes in the View menu here.
"""

from __future__ import annotations

import importlib

from PySide6.QtWidgets import QDialog, QMainWindow, QMenu

from cras_desk.domain.enums import Role
from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.generated.ui_main_window import Ui_MainWindow

# The Admin menu: (label, module, window class taking (ctx, parent)). Each opens a window of its
# own, imported when first opened; a desk signed in as anyone but an admin has no Admin menu.
ADMIN_WINDOWS: list[tuple[str, str, str]] = [
    ("&Users...", "cras_desk.gui.admin.users_screen", "UsersScreen"),
    ("&Audit trail...", "cras_desk.gui.admin.audit_viewer", "AuditViewer"),
    ("&Central settings...", "cras_desk.gui.admin.settings_screen", "CentralSettingsScreen"),
]


def menu_layout(ui: Ui_MainWindow, *, every_team: bool, team: bool) -> dict[QMenu, list[str | None]]:
    """every_team: the signed-in user may see every team's work (admins); team: the desk has the
    Team screen."""
    return {
        ui.menuDesk: [
            "desk.next_patient",
            "desk.work_selected",
            "desk.release",
            "desk.outbox",
            None,
            "app.lock",
            "app.sign_out",
            "app.quit",
        ],
        ui.menuWorklist: [
            "worklist.search",
            "worklist.focus",
            "worklist.refresh",
            None,
            "worklist.scope_mine",
            "worklist.scope_team",
            *(["worklist.scope_all"] if every_team else []),
            "worklist.callbacks",
            "worklist.clear_filters",
        ],
        ui.menuCall: [
            "flow.outcome",
            "flow.choice",
            "flow.booking",
            None,
            "patient.focus",
            "patient.copy_phone",
            "patient.copy_phone_2",
            "patient.copy_nhs",
            "patient.edit_contact",
            "patient.add_note",
        ],
        ui.menuView: ["view.desk", *(["view.team"] if team else []), "view.letters"],
        ui.menuHelp: ["help.shortcuts"],
    }


def add_admin_menu(window: QMainWindow, ctx: DeskContext) -> QMenu | None:
    """The Admin menu before Help, for an admin only (the services refuse anyone else anyway)."""
    if ctx.actor.role is not Role.ADMIN:
        return None
    menu = QMenu("&Admin", window)
    menu.setObjectName("menuAdmin")
    for label, module, cls in ADMIN_WINDOWS:
        act = menu.addAction(label)
        act.setObjectName(f"action_admin_{cls}")
        act.triggered.connect(lambda _checked=False, m=module, c=cls: open_admin_window(window, ctx, m, c))
    help_menu = window.findChild(QMenu, "menuHelp")
    if help_menu is not None:
        window.menuBar().insertMenu(help_menu.menuAction(), menu)
    else:
        window.menuBar().addMenu(menu)
    return menu


def open_admin_window(window: QMainWindow, ctx: DeskContext, module: str, cls: str) -> QDialog:
    """The one window of that kind, made on first use and raised again after."""
    found = window.findChild(QDialog, f"admin_{cls}")
    if found is None:
        found = getattr(importlib.import_module(module), cls)(ctx, window)
        found.setObjectName(f"admin_{cls}")
    found.show()
    found.raise_()
    found.activateWindow()
    return found
