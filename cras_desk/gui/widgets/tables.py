"""The panels' tables set up one way: whole rows, keyboard-friendly, every part named for screen readers."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QHeaderView, QTableView


def setup_table(table: QTableView, name: str, *, multi: bool = False) -> None:
    table.setAccessibleName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(
        QAbstractItemView.SelectionMode.ExtendedSelection
        if multi
        else QAbstractItemView.SelectionMode.SingleSelection
    )
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move within it
    table.setWordWrap(False)
    table.setAlternatingRowColors(True)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    header.setAccessibleName(f"{name}: column headings")
    table.verticalHeader().setAccessibleName(f"{name}: row numbers")
    table.setCornerButtonEnabled(multi)
    corner = table.findChild(QAbstractButton)
    if corner is not None:
        corner.setAccessibleName(f"{name}: select all" if multi else f"{name}: corner")
