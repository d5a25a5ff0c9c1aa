"""Which of the desk's actions sit in which menu, in order (None: a separator).

Each action's key, label and group are declared in shortcuts.py, and what it does is the main
window's (its handlers); a new screen's "view.<screen>" action goes in the View menu here.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMenu

from cras_desk.gui.generated.ui_main_window import Ui_MainWindow


def menu_layout(ui: Ui_MainWindow, *, lead: bool, team: bool) -> dict[QMenu, list[str | None]]:
    """lead: the signed-in user may see every team's work; team: the desk has the Team screen."""
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
            *(["worklist.scope_all"] if lead else []),
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
