"""The worklist opens on the advisor's to-do list: booked referrals wait there until searched for."""

from __future__ import annotations

from desk_helpers import WAIT, drain, panel_for
from PySide6.QtCore import Qt
from sqlalchemy import select

from cras_desk.db.models import Patient, Referral, Service, Slot
from cras_desk.domain.enums import ServiceCode
from cras_desk.gui.worklist.model import COLUMN_INDEX
from cras_desk.gui.worklist.panel import WorklistPanel
from cras_desk.services.booking import BookingService


def _book_one_of_amys(world) -> tuple[int, str]:
    with world.db.read() as s:
        rid, nhs = s.execute(
            select(Referral.id, Patient.nhs_number)
            .join(Patient, Patient.id == Referral.patient_id)
            .join(Service, Service.id == Referral.service_id)
            .where(
                Referral.assigned_to == world.actor("amy").user_id, Service.code == ServiceCode.PHYSIOTHERAPY
            )
            .order_by(Referral.id)
        ).first()
        slot = s.scalar(
            select(Slot.id)
            .join(Service, Service.id == Slot.service_id)
            .where(Service.code == ServiceCode.PHYSIOTHERAPY)
            .order_by(Slot.starts_at, Slot.id)
        )
    BookingService(world.db).book(world.actor("amy"), rid, slot)
    return rid, nhs


def _listed(panel: WorklistPanel) -> list[int]:
    model = panel.model
    return [model.referral_id(r) for r in range(model.rowCount())]


def test_the_default_view_is_to_do_and_a_search_still_finds_the_booked_patient(
    qtbot, world, make_desk
) -> None:
    rid, nhs = _book_one_of_amys(world)
    ctx = make_desk(world, "amy")
    panel = panel_for(qtbot, ctx)
    assert panel.status.currentText() == "To do"
    assert panel.status.itemData(
        0, Qt.ItemDataRole.ToolTipRole
    )  # the tooltip says a search finds booked referrals
    assert rid not in _listed(panel)

    qtbot.keyClicks(panel.search, nhs)  # the patient reads their NHS number out
    qtbot.waitUntil(lambda: rid in _listed(panel), timeout=WAIT)
    drain(qtbot, ctx)
    status_col = COLUMN_INDEX["status"]
    row = _listed(panel).index(rid)
    assert panel.model.index(row, status_col).data() == "Booked"

    panel.search.clear()
    qtbot.waitUntil(lambda: rid not in _listed(panel), timeout=WAIT)
    panel.status.setCurrentIndex(panel.status.findText("Open, booked too"))
    qtbot.waitUntil(lambda: rid in _listed(panel), timeout=WAIT)
    drain(qtbot, ctx)
