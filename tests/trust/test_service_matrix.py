"""Every public service call x every kind of caller -> allowed or refused, on both engines.

The table (MATRIX) is written once. For each call, every caller the table refuses must get
PermissionDenied and leave the database exactly as it was (every table, audit trail included);
every caller it allows must get through (on a fresh copy of the world when the call changes it).

The target of per-record calls is Ó Súilleabháin's referral: East team, assigned to Amy.
"""

from __future__ import annotations

import inspect
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from world import World, build_trust_world

from cras_desk.db.engine import Database
from cras_desk.db.models import AuditEvent, Base, Booking, Letter, PatientPhone, Referral, Slot, User
from cras_desk.domain.appointment_needs import Availability
from cras_desk.domain.central_settings import CentralSettings
from cras_desk.domain.clock import today_london, utcnow
from cras_desk.domain.enums import ContactOutcome, LetterKind, PhoneStatus, Role
from cras_desk.domain.errors import PermissionDenied
from cras_desk.imports.referral_record import FIELDS
from cras_desk.imports.service import ImportService
from cras_desk.services import access
from cras_desk.services.actor import Actor
from cras_desk.services.assignment import AssignmentService
from cras_desk.services.audit import AuditService
from cras_desk.services.booking import BookingService, SlotQuery
from cras_desk.services.central_settings import CentralSettingsService
from cras_desk.services.choice import ChoiceOption, ChoiceService, Decision
from cras_desk.services.claims import ClaimService
from cras_desk.services.contact import ContactService
from cras_desk.services.contact_details import Address, ContactDetailsService
from cras_desk.services.dashboard import DashboardScope, DashboardService
from cras_desk.services.dashboard.scope_choices import scope_choices
from cras_desk.services.letters import LetterService
from cras_desk.services.patient_record import PatientRecordService
from cras_desk.services.users import UserAdmin
from cras_desk.services.worklist import Scope, WorklistFilter, WorklistService

# The callers, in the order of the letters in MATRIX.
CALLERS = (
    "same_team_advisor",  # Amy, East
    "other_team_advisor",  # Cara, West
    "team_lead",  # Lena, East
    "other_team_lead",  # Wes, West
    "admin",  # Ada, no team
    "deactivated",  # Della, East's lead, deactivated with her desk still open
    "forged",  # Amy's id with the admin role
)
# A: allowed, R: refused.
PER_RECORD = "ARARARR"  # the record's own team (or its assignee), and admins
ANY_ACTIVE = "AAAAARR"  # lists scoped by the query itself: everyone signed in and active
LEADS = "RRAAARR"  # team leads (their own team's figures) and admins
OWN_LEAD = "RRARARR"  # the lead of the work's team, and admins
ADMIN_ONLY = "RRRRARR"

MATRIX: dict[str, str] = {
    "claims.claim": PER_RECORD,
    "claims.release": ANY_ACTIVE,  # only ever gives back the caller's own claim
    "claims.release_all": ANY_ACTIVE,
    "claims.next_patient": ANY_ACTIVE,
    "contact.preview": PER_RECORD,
    "contact.next_step": PER_RECORD,
    "contact.record_attempt": PER_RECORD,
    "contact.discharge": PER_RECORD,
    "choice.options": PER_RECORD,
    "choice.record_offer": PER_RECORD,
    "choice.time_to_think": PER_RECORD,
    "choice.last_offer": PER_RECORD,
    "booking.find_slots": PER_RECORD,
    "booking.search_slots": PER_RECORD,
    "booking.needs": PER_RECORD,
    "booking.live_booking": PER_RECORD,
    "booking.set_availability": PER_RECORD,
    "booking.book": PER_RECORD,
    "booking.cancel": PER_RECORD,
    "booking.rebook": PER_RECORD,
    "booking.record_dna": PER_RECORD,
    "booking.record_attended": PER_RECORD,
    "letters.queue": ANY_ACTIVE,
    "letters.queued_count": ANY_ACTIVE,
    "letters.render": PER_RECORD,
    "letters.print_letter": PER_RECORD,
    "letters.mark_printed": PER_RECORD,
    "letters.reprint": PER_RECORD,
    "letters.print_queue": ANY_ACTIVE,
    "record.open": PER_RECORD,
    "record.other_referrals": PER_RECORD,
    "details.details": PER_RECORD,
    "details.add_phone": PER_RECORD,
    "details.set_phone_status": PER_RECORD,
    "details.set_preferred": PER_RECORD,
    "details.update_address": PER_RECORD,
    "details.add_note": PER_RECORD,
    "worklist.page": ANY_ACTIVE,
    "worklist.search": ANY_ACTIVE,
    "worklist.count": ANY_ACTIVE,
    "worklist.row": ANY_ACTIVE,  # another team's row comes back as None (tests/services)
    "worklist.page_statement": ANY_ACTIVE,
    "worklist.count_statement": ANY_ACTIVE,
    "assignment.workload": LEADS,
    "assignment.advisors": LEADS,
    "assignment.reassign": OWN_LEAD,
    "assignment.reassign_all": OWN_LEAD,
    "dashboard.scope_choices": LEADS,
    "dashboard.demand": LEADS,
    "dashboard.waiting_list": LEADS,
    "dashboard.capacity": LEADS,
    "dashboard.early_warnings": LEADS,
    "dashboard.unit_activity": LEADS,
    "dashboard.all_figures": LEADS,
    "audit.trail": LEADS,
    "imports.import_referrals": ADMIN_ONLY,
    "imports.import_waits": ADMIN_ONLY,
    "imports.export_waiting_list": LEADS,
    "central.current": ANY_ACTIVE,
    "central.save": ADMIN_ONLY,
    "users.list_users": ADMIN_ONLY,
    "users.add": ADMIN_ONLY,
    "users.deactivate": ADMIN_ONLY,
    "users.reactivate": ADMIN_ONLY,
    "users.reset_password": ADMIN_ONLY,
    "users.unlock": ADMIN_ONLY,
}


@dataclass
class Desk:
    """One fresh copy of the trust world, its services, and the records the calls act on."""

    world: World
    tmp: Path
    referral_id: int = 0  # Ó Súilleabháin: East, assigned to Amy
    patient_id: int = 0
    pool_referral_id: int = 0  # Nowak: East's unassigned pool
    phone_id: int = 0
    slot_id: int = 0
    other_slot_id: int = 0
    booking_id: int = 0
    letter_id: int = 0  # the queued appointment letter
    printed_letter_id: int = 0
    shown: list[ChoiceOption] = field(default_factory=list)

    @property
    def db(self) -> Database:
        return self.world.db

    def caller(self, kind: str) -> Actor:
        amy = self.world.actor("amy")
        return {
            "same_team_advisor": amy,
            "other_team_advisor": self.world.actor("cara"),
            "team_lead": self.world.actor("lena"),
            "other_team_lead": self.world.actor("wes"),
            "admin": self.world.actor("root"),
            "deactivated": self.world.actor("della"),
            "forged": Actor(amy.user_id, amy.username, amy.full_name, Role.ADMIN, None),
        }[kind]

    @property
    def root(self) -> Actor:
        return self.world.actor("root")

    def no_claims(self) -> None:
        """What setting up left claimed (by the admin) is given back, so any caller may claim."""
        with self.db.write() as s:
            s.execute(update(Referral).values(claimed_by=None, claimed_until=None))


def _desk(world: World, tmp: Path) -> Desk:
    desk = Desk(world, tmp)
    desk.referral_id = world.referrals["Ó Súilleabháin"]
    desk.pool_referral_id = world.referrals["Nowak"]
    with world.db.read() as s:
        referral = s.get(Referral, desk.referral_id)
        assert referral is not None
        desk.patient_id = referral.patient_id
        desk.phone_id = s.scalars(
            select(PatientPhone.id).where(PatientPhone.patient_id == desk.patient_id)
        ).one()
    slots = BookingService(world.db).find_slots(desk.root, desk.referral_id, SlotQuery())
    desk.slot_id, desk.other_slot_id = slots[0].slot_id, slots[1].slot_id
    return desk


# --- what some calls need in place first (done as the admin) -----------------------------------


def _booked(d: Desk) -> None:
    d.booking_id = BookingService(d.db).book(d.root, d.referral_id, d.slot_id)
    with d.db.read() as s:
        d.letter_id = s.scalars(
            select(Letter.id).where(
                Letter.referral_id == d.referral_id, Letter.kind == LetterKind.APPOINTMENT
            )
        ).one()
    d.no_claims()


def _seen(d: Desk) -> None:
    """Booked, and the appointment's time has passed (so it has an outcome to record)."""
    _booked(d)
    with d.db.write() as s:
        slot_id = s.scalars(select(Booking.slot_id).where(Booking.id == d.booking_id)).one()
        s.execute(update(Slot).where(Slot.id == slot_id).values(starts_at=utcnow() - timedelta(days=1)))


def _printed(d: Desk) -> None:
    _booked(d)
    LetterService(d.db).print_letter(d.root, d.letter_id, None)
    d.printed_letter_id = d.letter_id


def _declined(d: Desk) -> None:
    ContactService(d.db).record_attempt(d.root, d.referral_id, ContactOutcome.DECLINED)
    d.no_claims()


def _shown(d: Desk) -> None:
    d.shown = ChoiceService(d.db).options(d.root, d.referral_id)
    assert d.shown


def _offered(d: Desk) -> None:
    _shown(d)
    ChoiceService(d.db).record_offer(d.root, d.referral_id, d.shown, Decision.DECLINED)
    d.no_claims()


def _referrals_csv(d: Desk) -> Path:
    today = today_london()
    row = {name: "" for name in FIELDS} | {
        "referral_ref": "UBRN-TRUST-1",
        "nhs_number": "9990000042",
        "family_name": "Testpatient",
        "given_name": "Trust",
        "date_of_birth": "1961-02-03",
        "sex": "female",
        "address_line1": "1 Station Road",
        "town": "Hove",
        "postcode": "BN3 4AB",
        "service": "physio",
        "priority": "routine",
        "received_on": (today - timedelta(days=10)).isoformat(),
        "phone": "07700 900777",
        "gp_practice_ods": "G81001",
        "team": "East",
    }
    path = d.tmp / "referrals.csv"
    path.write_text(",".join(FIELDS) + "\n" + ",".join(row[f] for f in FIELDS) + "\n", encoding="utf-8")
    return path


def _waits_csv(d: Desk) -> Path:
    path = d.tmp / "waits.csv"
    as_of = (today_london() - timedelta(days=1)).isoformat()
    path.write_text(f"site,service,weeks,as_of\nLewes Victoria Hub,physio,5,{as_of}\n", encoding="utf-8")
    return path


def _scope(a: Actor) -> DashboardScope:
    return DashboardScope(team_id=None if a.role is Role.ADMIN else a.team_id)


def _user_id(d: Desk, name: str) -> int:
    return d.world.actor(name).user_id


@dataclass(frozen=True)
class Call:
    run: Callable[[Desk, Actor], Any]
    prepare: Callable[[Desk], None] | None = None
    reads: bool = False  # changes nothing a second caller would trip over: one world for all


_NEW_PASSWORD = secrets.token_urlsafe(16)
_ADDRESS = Address("1 New Road", None, "Brighton", None, "BN1 1AA")
_TEAM = WorklistFilter(scope=Scope.TEAM)

CALLS: dict[str, Call] = {
    "claims.claim": Call(lambda d, a: ClaimService(d.db).claim(a, d.referral_id)),
    "claims.release": Call(lambda d, a: ClaimService(d.db).release(a, d.referral_id), reads=True),
    "claims.release_all": Call(lambda d, a: ClaimService(d.db).release_all(a), reads=True),
    "claims.next_patient": Call(lambda d, a: ClaimService(d.db).next_patient(a)),
    "contact.preview": Call(
        lambda d, a: ContactService(d.db).preview(a, d.referral_id, ContactOutcome.NO_ANSWER), reads=True
    ),
    "contact.next_step": Call(lambda d, a: ContactService(d.db).next_step(a, d.referral_id), reads=True),
    "contact.record_attempt": Call(
        lambda d, a: ContactService(d.db).record_attempt(a, d.referral_id, ContactOutcome.NO_ANSWER)
    ),
    "contact.discharge": Call(
        lambda d, a: ContactService(d.db).discharge(a, d.referral_id, "Patient declined treatment"),
        prepare=_declined,
    ),
    "choice.options": Call(lambda d, a: ChoiceService(d.db).options(a, d.referral_id), reads=True),
    "choice.record_offer": Call(
        lambda d, a: ChoiceService(d.db).record_offer(
            a, d.referral_id, d.shown, Decision.CHOSEN, chosen_site_id=d.shown[0].site_id
        ),
        prepare=_shown,
    ),
    "choice.time_to_think": Call(
        lambda d, a: ChoiceService(d.db).record_offer(a, d.referral_id, d.shown, Decision.TIME_TO_THINK),
        prepare=_shown,
    ),
    "choice.last_offer": Call(
        lambda d, a: ChoiceService(d.db).last_offer(a, d.referral_id), prepare=_offered, reads=True
    ),
    "booking.find_slots": Call(
        lambda d, a: BookingService(d.db).find_slots(a, d.referral_id, SlotQuery()), reads=True
    ),
    "booking.search_slots": Call(
        lambda d, a: BookingService(d.db).search_slots(a, d.referral_id, SlotQuery()), reads=True
    ),
    "booking.needs": Call(lambda d, a: BookingService(d.db).needs(a, d.referral_id), reads=True),
    "booking.live_booking": Call(
        lambda d, a: BookingService(d.db).live_booking(a, d.referral_id), prepare=_booked, reads=True
    ),
    "booking.set_availability": Call(
        lambda d, a: BookingService(d.db).set_availability(
            a, d.referral_id, Availability.of(weekdays=[2], note="Not on Wednesdays")
        )
    ),
    "booking.book": Call(lambda d, a: BookingService(d.db).book(a, d.referral_id, d.slot_id)),
    "booking.cancel": Call(
        lambda d, a: BookingService(d.db).cancel(a, d.booking_id, True, "Patient asked"), prepare=_booked
    ),
    "booking.rebook": Call(
        lambda d, a: BookingService(d.db).rebook(a, d.booking_id, d.other_slot_id, "Patient asked"),
        prepare=_booked,
    ),
    "booking.record_dna": Call(lambda d, a: BookingService(d.db).record_dna(a, d.booking_id), prepare=_seen),
    "booking.record_attended": Call(
        lambda d, a: BookingService(d.db).record_attended(a, d.booking_id), prepare=_seen
    ),
    "letters.queue": Call(lambda d, a: LetterService(d.db).queue(a), prepare=_booked, reads=True),
    "letters.queued_count": Call(
        lambda d, a: LetterService(d.db).queued_count(a), prepare=_booked, reads=True
    ),
    "letters.render": Call(
        lambda d, a: LetterService(d.db).render(a, d.letter_id), prepare=_booked, reads=True
    ),
    "letters.print_letter": Call(
        lambda d, a: LetterService(d.db).print_letter(a, d.letter_id, None), prepare=_booked
    ),
    "letters.mark_printed": Call(
        lambda d, a: LetterService(d.db).mark_printed(a, [d.letter_id]), prepare=_booked
    ),
    "letters.reprint": Call(
        lambda d, a: LetterService(d.db).reprint(a, d.printed_letter_id), prepare=_printed, reads=True
    ),
    "letters.print_queue": Call(
        lambda d, a: LetterService(d.db).print_queue(a, d.tmp / f"print-{a.username}-{a.role.value}"),
        prepare=_booked,
    ),
    "record.open": Call(lambda d, a: PatientRecordService(d.db).open(a, d.referral_id), reads=True),
    "record.other_referrals": Call(
        lambda d, a: PatientRecordService(d.db).other_referrals(a, d.patient_id), reads=True
    ),
    "details.details": Call(lambda d, a: ContactDetailsService(d.db).details(a, d.referral_id), reads=True),
    "details.add_phone": Call(
        lambda d, a: ContactDetailsService(d.db).add_phone(a, d.referral_id, "mobile", "07700 900999")
    ),
    "details.set_phone_status": Call(
        lambda d, a: ContactDetailsService(d.db).set_phone_status(
            a, d.referral_id, d.phone_id, PhoneStatus.NOT_IN_USE
        )
    ),
    "details.set_preferred": Call(
        lambda d, a: ContactDetailsService(d.db).set_preferred(a, d.referral_id, d.phone_id), reads=True
    ),
    "details.update_address": Call(
        lambda d, a: ContactDetailsService(d.db).update_address(a, d.referral_id, _ADDRESS, None)
    ),
    "details.add_note": Call(
        lambda d, a: ContactDetailsService(d.db).add_note(a, d.referral_id, "Rang back")
    ),
    "worklist.page": Call(lambda d, a: WorklistService(d.db).page(a, _TEAM), reads=True),
    "worklist.search": Call(
        lambda d, a: WorklistService(d.db).page(a, WorklistFilter(scope=Scope.TEAM, search="Nowak")),
        reads=True,
    ),
    "worklist.count": Call(lambda d, a: WorklistService(d.db).count(a, _TEAM), reads=True),
    "worklist.row": Call(lambda d, a: WorklistService(d.db).row(a, d.referral_id), reads=True),
    "worklist.page_statement": Call(lambda d, a: WorklistService(d.db).page_statement(a, _TEAM), reads=True),
    "worklist.count_statement": Call(
        lambda d, a: WorklistService(d.db).count_statement(a, _TEAM), reads=True
    ),
    "assignment.workload": Call(lambda d, a: AssignmentService(d.db).workload(a), reads=True),
    "assignment.advisors": Call(lambda d, a: AssignmentService(d.db).advisors(a), reads=True),
    "assignment.reassign": Call(
        lambda d, a: AssignmentService(d.db).reassign(a, [d.pool_referral_id], _user_id(d, "ben"), "Cover")
    ),
    "assignment.reassign_all": Call(
        lambda d, a: AssignmentService(d.db).reassign_all(a, _user_id(d, "ben"), [_user_id(d, "amy")], "Away")
    ),
    "dashboard.scope_choices": Call(lambda d, a: scope_choices(d.db, a), reads=True),
    "dashboard.demand": Call(
        lambda d, a: DashboardService(d.db).demand(a, _scope(a), today_london()), reads=True
    ),
    "dashboard.waiting_list": Call(
        lambda d, a: DashboardService(d.db).waiting_list(a, _scope(a), today_london()), reads=True
    ),
    "dashboard.capacity": Call(
        lambda d, a: DashboardService(d.db).capacity(a, _scope(a), utcnow()), reads=True
    ),
    "dashboard.early_warnings": Call(
        lambda d, a: DashboardService(d.db).early_warnings(a, _scope(a), utcnow()), reads=True
    ),
    "dashboard.unit_activity": Call(
        lambda d, a: DashboardService(d.db).unit_activity(a, _scope(a), utcnow()), reads=True
    ),
    "dashboard.all_figures": Call(
        lambda d, a: DashboardService(d.db).all_figures(a, _scope(a), utcnow()), reads=True
    ),
    "audit.trail": Call(lambda d, a: AuditService(d.db).trail(a), reads=True),
    "imports.import_referrals": Call(
        lambda d, a: ImportService(d.db).import_referrals(a, _referrals_csv(d), dry_run=True), reads=True
    ),
    "imports.import_waits": Call(
        lambda d, a: ImportService(d.db).import_waits(a, _waits_csv(d), dry_run=True), reads=True
    ),
    "imports.export_waiting_list": Call(
        lambda d, a: ImportService(d.db).export_waiting_list(a, d.tmp / f"list-{a.username}.csv"), reads=True
    ),
    "central.current": Call(lambda d, a: CentralSettingsService(d.db).current(a), reads=True),
    "central.save": Call(
        lambda d, a: CentralSettingsService(d.db).save(a, CentralSettings(claim_minutes=33), 1)
    ),
    "users.list_users": Call(lambda d, a: UserAdmin(d.db).list_users(a), reads=True),
    # Login roles are the server's, shared by every copy of the world: each new user a new name.
    "users.add": Call(
        lambda d, a: UserAdmin(d.db).add(
            a, f"matrix_{secrets.token_hex(4)}", "Matrix User", Role.ADVISOR, a.team_id or 1, _NEW_PASSWORD
        )
    ),
    "users.deactivate": Call(lambda d, a: UserAdmin(d.db).deactivate(a, _user_id(d, "ben"))),
    "users.reactivate": Call(lambda d, a: UserAdmin(d.db).reactivate(a, _user_id(d, "della"))),
    "users.reset_password": Call(
        lambda d, a: UserAdmin(d.db).reset_password(a, _user_id(d, "ben"), _NEW_PASSWORD)
    ),
    "users.unlock": Call(lambda d, a: UserAdmin(d.db).unlock(a, _user_id(d, "amy"))),
}


def _snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, the audit trail included: what "no change" is measured against."""
    with db.read() as s:
        return {
            table.name: [tuple(row) for row in s.execute(select(table).order_by(*table.primary_key.columns))]
            for table in Base.metadata.sorted_tables
        }


def test_the_table_covers_every_call_once() -> None:
    assert set(MATRIX) == set(CALLS)
    assert all(len(row) == len(CALLERS) and set(row) <= {"A", "R"} for row in MATRIX.values())


# Public methods that take a caller, by service class. AuthService answers a sign-in or unlock
# with true/false rather than a refusal; its create_user and set_password re-check the caller too
# (tests/services/test_auth.py), and the screens and CLI manage users through services/users.py.
_SERVICES = {
    "claims": ClaimService,
    "contact": ContactService,
    "choice": ChoiceService,
    "booking": BookingService,
    "letters": LetterService,
    "record": PatientRecordService,
    "details": ContactDetailsService,
    "worklist": WorklistService,
    "assignment": AssignmentService,
    "dashboard": DashboardService,
    "audit": AuditService,
    "imports": ImportService,
    "central": CentralSettingsService,
    "users": UserAdmin,
}
_SAME_METHOD = {"choice.time_to_think": "choice.record_offer", "worklist.search": "worklist.page"}


def test_every_public_call_that_takes_a_caller_is_in_the_table() -> None:
    """A method added without a row here fails this, so the matrix cannot silently fall behind."""
    public = {
        f"{prefix}.{name}"
        for prefix, cls in _SERVICES.items()
        for name, fn in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_") and "actor" in inspect.signature(fn).parameters
    }
    public.add("dashboard.scope_choices")
    covered = {_SAME_METHOD.get(name, name) for name in MATRIX}
    # record_dna / record_attended and the rest are all methods; no extra names in the table either.
    assert public == covered


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_matrix(name: str, db_factory: Any, tmp_path: Path) -> None:
    call = CALLS[name]
    expected = dict(zip(CALLERS, MATRIX[name], strict=True))

    def fresh() -> Desk:
        desk = _desk(World.load(db_factory.make("trust_world", build_trust_world)), tmp_path)
        if call.prepare is not None:
            call.prepare(desk)
        return desk

    desk = fresh()
    before = _snapshot(desk.db)
    accepted: list[str] = []
    for who in (w for w, verdict in expected.items() if verdict == "R"):
        try:
            call.run(desk, desk.caller(who))
        except PermissionDenied as refusal:
            assert str(refusal)  # a message written for the user
        else:
            accepted.append(who)
        assert _snapshot(desk.db) == before, f"{name}: refused for {who} but the database changed"
    assert accepted == [], f"{name}: accepted for {accepted}, which the table refuses"

    allowed = [w for w, verdict in expected.items() if verdict == "A"]
    for i, who in enumerate(allowed):
        if i and not call.reads:
            desk = fresh()
        call.run(desk, desk.caller(who))  # raises if an allowed call does not work


# --- what the refusals say, and a caller whose row changed after signing in ---------------------


def test_refusals_say_why(db_factory: Any, tmp_path: Path) -> None:
    desk = _desk(World.load(db_factory.make("trust_world", build_trust_world)), tmp_path)
    record = PatientRecordService(desk.db)
    with pytest.raises(PermissionDenied, match="deactivated; sign in again"):
        record.open(desk.caller("deactivated"), desk.referral_id)
    with pytest.raises(PermissionDenied, match="changed since you signed in"):
        record.open(desk.caller("forged"), desk.referral_id)
    with pytest.raises(PermissionDenied, match="belongs to another team"):
        record.open(desk.caller("other_team_advisor"), desk.referral_id)
    with pytest.raises(PermissionDenied, match="belong to another team"):
        record.other_referrals(desk.caller("other_team_lead"), desk.patient_id)


def test_a_caller_moved_to_another_team_is_refused_until_signed_in_again(
    db_factory: Any, tmp_path: Path
) -> None:
    """The Actor made at sign-in is stale once an admin moves Amy to West: the row is the truth."""
    desk = _desk(World.load(db_factory.make("trust_world", build_trust_world)), tmp_path)
    amy = desk.caller("same_team_advisor")
    west = desk.caller("other_team_advisor").team_id
    with desk.db.write() as s:
        s.execute(update(Referral).where(Referral.id == desk.referral_id).values(assigned_to=None))
        s.execute(update(User).where(User.id == amy.user_id).values(team_id=west))
    with pytest.raises(PermissionDenied, match="changed since you signed in"):
        ClaimService(desk.db).claim(amy, desk.referral_id)
    moved = Actor(amy.user_id, amy.username, amy.full_name, amy.role, west)  # signed in again
    with pytest.raises(PermissionDenied, match="belongs to another team"):
        ClaimService(desk.db).claim(moved, desk.referral_id)
    with desk.db.read() as s:
        checked = access.caller(s, moved)
    assert isinstance(checked, access.Caller) and (checked.role, checked.team_id) == (amy.role, west)


def test_audit_gaps_are_filled(db_factory: Any, tmp_path: Path) -> None:
    """Sign-out's release, the last choice offer and the live booking each leave an audit row."""
    desk = _desk(World.load(db_factory.make("trust_world", build_trust_world)), tmp_path)
    amy = desk.caller("same_team_advisor")
    _offered(desk)
    _booked(desk)
    ClaimService(desk.db).claim(amy, desk.referral_id)
    assert ChoiceService(desk.db).last_offer(amy, desk.referral_id) is not None
    assert BookingService(desk.db).live_booking(amy, desk.referral_id) is not None
    assert ClaimService(desk.db).release_all(amy) == 1
    with desk.db.read() as s:
        rows = s.execute(
            select(AuditEvent.action, AuditEvent.user_id, AuditEvent.patient_id, AuditEvent.detail)
            .where(AuditEvent.action.in_(("view_choice", "view_booking", "release_all")))
            .order_by(AuditEvent.id)
        ).all()
    assert [(r.action, r.user_id) for r in rows] == [
        ("view_choice", amy.user_id),
        ("view_booking", amy.user_id),
        ("release_all", amy.user_id),
    ]
    assert [r.patient_id for r in rows[:2]] == [desk.patient_id, desk.patient_id]
    assert rows[2].detail == {"referral_ids": [desk.referral_id]}
