"""F1 help tells the advisor which patient F2 takes next, in the order the claim service uses."""

from __future__ import annotations

from desk_window import open_window
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QLabel

from cras_desk.services.claims import NEXT_PATIENT_ORDER, NEXT_PATIENT_SCOPE


def test_f1_help_shows_the_order_f2_takes_patients_in(qtbot, world_sqlite, make_desk) -> None:
    window = open_window(qtbot, make_desk(world_sqlite, "amy"), size=(1366, 768))
    seen: dict[str, object] = {}

    def read_help() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QDialog):
            QTimer.singleShot(20, read_help)  # F1's dialog is not up yet
            return
        label = dialog.findChild(QLabel, "nextPatientOrder")
        seen["title"] = dialog.windowTitle()
        if label is not None:
            seen["text"] = label.text()
            seen["name"] = label.accessibleName()
            seen["visible"] = label.isVisible()
            seen["fits"] = label.width() <= dialog.width() and dialog.width() <= 1366
            seen["keyboard"] = bool(
                label.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByKeyboard
            )
        dialog.reject()

    QTimer.singleShot(0, read_help)
    qtbot.keyClick(window, Qt.Key.Key_F1)  # opens the modal help; read_help runs inside its loop
    qtbot.waitUntil(lambda: "title" in seen)

    assert seen["title"] == "Keyboard shortcuts"
    text = str(seen["text"])
    assert text.startswith("F2 takes the next patient in this order:")
    steps = [f"{i}. {step}" for i, step in enumerate(NEXT_PATIENT_ORDER, start=1)]
    positions = [text.index(step) for step in steps]  # every step shown, numbered, in order
    assert positions == sorted(positions)
    assert text.lower().index("callback") < text.index("urgent") < text.index("soon") < text.index("routine")
    assert text.index("routine") < text.index("days to breach")
    assert NEXT_PATIENT_SCOPE in text
    assert seen["name"] == "Which patient F2 takes next"
    assert seen["visible"] and seen["fits"] and seen["keyboard"]
