"""Helpers for the desk's GUI tests: an in-memory keyring, volume data, waiting for the worker."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError
from sqlalchemy import select

from cras_desk.db.engine import Database
from cras_desk.db.models import Patient, PatientPhone, Referral, Service, User
from cras_desk.domain import nhs_number, postcode, rtt
from cras_desk.domain.enums import Priority, ReferralStatus, ServiceCode
from cras_desk.domain.search_terms import name_key, phone_key
from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.worklist.panel import WorklistPanel

WAIT = 15_000


class MemoryKeyring(KeyringBackend):
    """A keyring that lives in this process only (never the OS's, never a file)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.store.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


def drain(qtbot, *contexts: DeskContext, timeout: int = WAIT) -> None:
    """Wait until every context's worker is idle and its results have been delivered."""
    qtbot.waitUntil(lambda: all(c.tasks.pending == 0 for c in contexts), timeout=timeout)


def add_referrals(
    db: Database,
    n: int,
    *,
    assignee: str | None = "amy",
    team: str = "East",
    seed: int = 7,
    family: Callable[[int], str] | None = None,
) -> list[int]:
    """n more open referrals (physiotherapy, varied priority and age) for volume tests."""
    rng = random.Random(seed)
    taken: set[str] = set()
    with db.read() as s:
        taken.update(s.scalars(select(Patient.nhs_number)))
    numbers = (num for num in nhs_number.iter_test_numbers(rng) if num not in taken)
    today = date.today()
    ids: list[int] = []
    with db.write() as s:
        users = {u.username: u for u in s.scalars(select(User))}
        team_id = next(u.team_id for u in users.values() if u.team and u.team.name == team)
        service_id = s.scalar(select(Service.id).where(Service.code == ServiceCode.PHYSIOTHERAPY))
        for i in range(n):
            name = family(i) if family else f"Volume{i:04d}"
            pc = "BN1 1AA"
            patient = Patient(
                nhs_number=next(numbers),
                given_name="Test",
                family_name=name,
                family_key=name_key(name),
                given_key=name_key("Test"),
                date_of_birth=date(1960, 1, 1) + timedelta(days=i),
                sex="female",
                address_line1=f"{i} Volume Road",
                town="Brighton",
                postcode=pc,
                postcode_key=postcode.search_key(pc),
                adjustments=[],
            )
            s.add(patient)
            s.flush()
            number = f"07700 {800000 + i}"
            s.add(
                PatientPhone(
                    patient_id=patient.id, kind="mobile", number=number, number_key=phone_key(number)
                )
            )
            prio = rng.choice(list(Priority))
            received = today - timedelta(days=rng.randint(1, 200))
            ref = Referral(
                patient_id=patient.id,
                service_id=service_id,
                received_on=received,
                priority=prio,
                priority_rank=prio.rank,
                breach_on=rtt.breach_date(received, prio),
                status=ReferralStatus.AWAITING_CONTACT,
                is_open=True,
                team_id=team_id,
                assigned_to=users[assignee].id if assignee else None,
            )
            s.add(ref)
            s.flush()
            ids.append(ref.id)
    return ids


def panel_for(qtbot, ctx: DeskContext) -> WorklistPanel:
    """A worklist panel shown at a desk's size, its first page loaded."""
    panel = WorklistPanel(ctx)
    qtbot.addWidget(panel)
    panel.resize(1200, 600)
    panel.show()
    with qtbot.waitSignal(panel.model.query_loaded, timeout=WAIT):
        panel.start()
    drain(qtbot, ctx)
    return panel
