"""A returning patient from the demo seed, opened in the real desk: choice and booking show options.

This is the screen that said "Something unexpected went wrong (KeyError)" for most seeded
referrals with an earlier offer, while every test on the small world passed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from desk_helpers import WAIT, MemoryKeyring, drain
from desk_window import open_window
from PySide6.QtCore import QCoreApplication
from seed_layer import Seeded
from sqlalchemy import select

from cras_desk.db.models import Referral
from cras_desk.domain.enums import ReferralStatus
from cras_desk.drafts import DraftStore
from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.tasks import TaskRunner
from cras_desk.gui.widgets.banner import Level, MessageBanner
from cras_desk.services.bundle import ServiceBundle
from cras_desk.settings import Settings


@pytest.fixture
def desk_ctx(
    qapp, seeded_sqlite: Seeded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DeskContext]:
    """An advisor's desk on the seeded database, with private folders and an in-memory keyring."""
    monkeypatch.setenv("CRAS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CRAS_CONFIG_DIR", str(tmp_path / "config"))
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    rid = returning_patient(seeded_sqlite, ReferralStatus.CHOICE_PENDING)
    actor = seeded_sqlite.advisor_for(rid)
    (tmp_path / "drafts").mkdir()
    ctx = DeskContext(
        services=ServiceBundle.build(seeded_sqlite.db),
        actor=actor,
        tasks=TaskRunner(),
        drafts=DraftStore(actor.username, tmp_path / "drafts"),
        settings=Settings(worklist_page_size=100),
    )
    yield ctx
    ctx.tasks.wait_idle(WAIT)
    QCoreApplication.sendPostedEvents()
    QCoreApplication.processEvents()
    keyring.set_keyring(previous)


def returning_patient(seeded: Seeded, status: ReferralStatus, team_of: DeskContext | None = None) -> int:
    """A sampled referral of the status with an earlier choice offer on it; with team_of, the
    first such referral of that desk's team (another team's record is refused, services/access.py)."""
    if team_of is None:
        return next(rid for rid in seeded.sample[status] if rid in seeded.returning)
    with seeded.db.read() as s:
        found = s.scalars(
            select(Referral.id)
            .where(Referral.status == status, Referral.team_id == team_of.actor.team_id)
            .order_by(Referral.id)
        )
        return next(rid for rid in found if rid in seeded.returning)


def no_error(banner: MessageBanner) -> str:
    """'' when the banner shows no problem, else what it says (for the assertion message)."""
    if banner.level is Level.ERROR or "unexpected" in banner.text():
        return banner.text()
    return ""


def test_a_returning_patient_shows_choice_and_booking_options(
    qtbot, seeded_sqlite: Seeded, desk_ctx: DeskContext
) -> None:
    window = open_window(qtbot, desk_ctx)
    rid = returning_patient(seeded_sqlite, ReferralStatus.CHOICE_PENDING)
    with qtbot.waitSignal(window.patient.loaded, timeout=WAIT):
        window.open_referral(rid)
    drain(qtbot, desk_ctx)

    # The choice script: the sites to offer, and the earlier offer the patient is thinking over.
    window.show_flow("choice")
    choice = window.flow["choice"].ready
    assert choice is not None
    qtbot.waitUntil(
        lambda: choice.last_offer_label.text() != "" or no_error(choice.banner) != "", timeout=WAIT
    )
    drain(qtbot, desk_ctx)
    assert no_error(choice.banner) == ""
    assert choice.last_offer_label.text().startswith("Last offer ")
    assert "patient wanted time to think." in choice.last_offer_label.text()
    choice.model.set_show_unsuitable(True)  # every site the service has, suitable or not
    assert choice.model.rowCount() >= 2
    assert choice.script_view.toPlainText().strip()

    # The booking panel: the sites to search, and free slots found.
    window.show_flow("booking")
    booking = window.flow["booking"].ready
    assert booking is not None
    qtbot.waitUntil(lambda: booking.sites_list.count() > 0 or no_error(booking.banner) != "", timeout=WAIT)
    drain(qtbot, desk_ctx)
    qtbot.wait(50)  # the search after the context is queued now
    drain(qtbot, desk_ctx)
    assert no_error(booking.banner) == ""
    assert booking.sites_list.count() >= 2 and booking.ticked_sites()
    assert booking.live_label.text() == "No live appointment."
    assert booking.model.rowCount() > 0

    # A booked returning patient: the live appointment shows, still no error anywhere.
    booked = returning_patient(seeded_sqlite, ReferralStatus.BOOKED, team_of=desk_ctx)
    with qtbot.waitSignal(window.patient.loaded, timeout=WAIT):
        window.open_referral(booked)
    drain(qtbot, desk_ctx)
    qtbot.waitUntil(lambda: booking.live_label.text().startswith("Booked: "), timeout=WAIT)
    assert no_error(booking.banner) == ""
    window.show_flow("choice")
    qtbot.waitUntil(lambda: "patient chose a site: " in choice.last_offer_label.text(), timeout=WAIT)
    drain(qtbot, desk_ctx)
    assert no_error(choice.banner) == ""
