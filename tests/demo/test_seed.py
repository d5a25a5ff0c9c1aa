"""The demo seed: consistent with every rule the services keep, deterministic, and fast enough.

Most tests share one seeded database per backend (a template cloned per test); the tests that
seed themselves use a few hundred referrals.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from cras_desk.db.engine import Database
from cras_desk.db.models import (
    Assignment,
    Booking,
    ChoiceOffer,
    Clinic,
    Clinician,
    ContactAttempt,
    GpPractice,
    Letter,
    Patient,
    PatientPhone,
    Referral,
    Service,
    Site,
    SiteService,
    Slot,
    Team,
    User,
    WaitingTime,
)
from cras_desk.demo import DEMO_PASSWORD, is_empty, seed_database
from cras_desk.demo.bulk import _processor
from cras_desk.demo.organisation import LONGER_APPOINTMENT_MINUTES
from cras_desk.domain import nhs_number, postcode, rtt
from cras_desk.domain.clock import LONDON
from cras_desk.domain.enums import (
    BookingStatus,
    ClinicianType,
    LetterKind,
    LetterStatus,
    Priority,
    ReferralStatus,
    Role,
    ServiceCode,
    SlotKind,
    SlotStatus,
    TimeOfDay,
)
from cras_desk.domain.errors import AuthenticationFailed, ValidationError
from cras_desk.domain.offer_snapshot import SCHEMA_KEY, SCHEMA_VERSION, read_offer
from cras_desk.domain.search_terms import name_key, phone_key
from cras_desk.domain.working_days import is_working_day
from cras_desk.services.auth import AuthService

# The Tuesday after Easter Monday 2026: the seed must step over the bank holiday weekend.
TODAY = date(2026, 4, 7)
NOW = datetime(2026, 4, 6, 23, 0, tzinfo=UTC)  # midnight of TODAY in London (BST)
REFERRALS = 400


def _seed(db: Database) -> None:
    seed_database(db, referrals=REFERRALS, seed=7, today=TODAY)


@pytest.fixture
def demo(db_factory) -> Database:
    return db_factory.make("demo", _seed)


def _count(s, model, *where) -> int:
    return s.scalar(select(func.count()).select_from(model).where(*where))


# --- the organisation --------------------------------------------------------------------------


def test_organisation_is_the_east_sussex_service(demo: Database) -> None:
    with demo.read() as s:
        assert [t.name for t in s.scalars(select(Team).order_by(Team.id))] == [
            "Brighton & Hove",
            "Eastbourne & Lewes",
            "Hastings & Rother",
        ]
        sites = list(s.scalars(select(Site).order_by(Site.id)))
        assert len(sites) == 7
        assert {"Brighton", "Hove", "Lewes", "Eastbourne", "Hastings", "Crowborough", "Uckfield"} == {
            site.town for site in sites
        }
        for site in sites:
            assert postcode.normalise(site.postcode) == site.postcode
            assert site.postcode[:2] in ("BN", "TN")
            assert 50.7 < site.latitude < 51.2 and -0.3 < site.longitude < 0.8
        # Accessibility varies, or filtering by it would be pointless.
        assert {site.step_free for site in sites} == {True, False}
        assert {site.hearing_loop for site in sites} == {True, False}
        assert {site.parking for site in sites} == {True, False}

        services = {svc.code: svc for svc in s.scalars(select(Service))}
        assert set(services) == set(ServiceCode)
        assert [c for c, svc in services.items() if svc.has_group_sessions] == [ServiceCode.PAIN]
        offered = Counter(s.scalars(select(SiteService.service_id)))
        assert all(offered[svc.id] > 0 for svc in services.values())
        assert _count(s, SiteService) < 7 * 6  # not every hub offers every service

        assert _count(s, GpPractice) == 40
        assert _count(s, WaitingTime) == _count(s, SiteService) * 12
        weeks = list(s.scalars(select(WaitingTime.weeks)))
        assert min(weeks) >= 2 and max(weeks) <= 20 and len(set(weeks)) > 5
        as_of = sorted(set(s.scalars(select(WaitingTime.as_of))))
        assert as_of[-1] == TODAY and as_of[0] == TODAY - timedelta(weeks=11) and len(as_of) == 12


def test_clinicians_fit_their_services(demo: Database) -> None:
    allowed = {
        ServiceCode.PHYSIOTHERAPY: {ClinicianType.PHYSIOTHERAPIST, ClinicianType.ADVANCED_PRACTITIONER},
        ServiceCode.MSK_MDT: {ClinicianType.ADVANCED_PRACTITIONER, ClinicianType.CONSULTANT},
        ServiceCode.PAIN: {
            ClinicianType.PSYCHOLOGIST,
            ClinicianType.PHYSIOTHERAPIST,
            ClinicianType.NURSE_SPECIALIST,
            ClinicianType.CONSULTANT,
        },
        ServiceCode.RHEUMATOLOGY: {ClinicianType.CONSULTANT, ClinicianType.NURSE_SPECIALIST},
        ServiceCode.PODIATRY: {ClinicianType.PODIATRIST},
        ServiceCode.ORTHOTICS: {ClinicianType.ORTHOTIST},
    }
    with demo.read() as s:
        offered = set(s.execute(select(SiteService.site_id, SiteService.service_id)).all())
        rows = s.execute(
            select(Clinician.clinician_type, Service.code, Clinician.site_id, Clinician.service_id).join(
                Service
            )
        ).all()
        assert rows
        for ctype, code, site_id, service_id in rows:
            assert ctype in allowed[code]
            assert (site_id, service_id) in offered


# --- the schedule ------------------------------------------------------------------------------


def test_slots_are_on_working_days_with_london_day_parts(demo: Database) -> None:
    with demo.read() as s:
        slots = s.execute(
            select(
                Slot.starts_at,
                Slot.day_part,
                Slot.kind,
                Slot.capacity,
                Slot.duration_minutes,
                Service.code,
                Clinic.clinic_date,
                Clinic.site_id,
                Slot.site_id,
            )
            .join(Service, Service.id == Slot.service_id)
            .join(Clinic, Clinic.id == Slot.clinic_id)
        ).all()
    assert slots
    last = TODAY
    for starts_at, day_part, kind, capacity, minutes, code, clinic_date, clinic_site, site_id in slots:
        local = starts_at.astimezone(LONDON)
        assert is_working_day(local.date()), local
        assert local.date() == clinic_date and clinic_site == site_id
        assert day_part is TimeOfDay.of_hour(local.hour)
        if kind is SlotKind.GROUP:
            assert code is ServiceCode.PAIN and 8 <= capacity <= 12
        else:
            longer = LONGER_APPOINTMENT_MINUTES.get(code)
            if longer and (local.hour, local.minute) == (12, 0):  # the clinic's longer appointment
                assert capacity == 1 and minutes == longer
            else:
                assert capacity == 1 and minutes in (30, 45)
        last = max(last, local.date())
    assert TODAY + timedelta(weeks=15) < last <= TODAY + timedelta(weeks=16)
    parts = Counter(part for _, part, *_ in slots)
    assert parts[TimeOfDay.EVENING] > 0 and parts[TimeOfDay.MORNING] > parts[TimeOfDay.EVENING]
    # No clinics on Good Friday or Easter Monday 2026.
    assert not any(s[6] in (date(2026, 4, 3), date(2026, 4, 6)) for s in slots)


def test_slot_counts_match_live_bookings_and_capacity(demo: Database) -> None:
    with demo.read() as s:
        live = dict(
            s.execute(
                select(Booking.slot_id, func.count())
                .where(Booking.status == BookingStatus.BOOKED)
                .group_by(Booking.slot_id)
            ).all()
        )
        slots = s.execute(select(Slot.id, Slot.booked_count, Slot.capacity, Slot.status)).all()
    assert live, "the seed made no live bookings"
    statuses = Counter()
    for slot_id, booked, capacity, status in slots:
        assert booked == live.get(slot_id, 0), slot_id
        assert 0 <= booked <= capacity
        if status is SlotStatus.BLOCKED:
            assert booked == 0
        else:
            assert (status is SlotStatus.FULL) == (booked == capacity), slot_id
        statuses[status] += 1
    assert statuses[SlotStatus.OPEN] > statuses[SlotStatus.FULL] > 0
    assert statuses[SlotStatus.BLOCKED] > 0


# --- patients ----------------------------------------------------------------------------------


def test_patients_have_test_nhs_numbers_and_valid_keys(demo: Database) -> None:
    with demo.read() as s:
        patients = list(s.scalars(select(Patient)))
        phones = list(s.scalars(select(PatientPhone)))
    numbers = [p.nhs_number for p in patients]
    assert len(set(numbers)) == len(numbers) > 300
    for p in patients:
        assert p.nhs_number.startswith("999") and nhs_number.is_valid(p.nhs_number)
        assert postcode.normalise(p.postcode) == p.postcode and p.postcode[:2] in ("BN", "TN")
        assert p.postcode_key == postcode.search_key(p.postcode)
        assert p.family_key == name_key(p.family_name) and p.given_key == name_key(p.given_name)
        assert 50.6 < p.latitude < 51.25 and -0.35 < p.longitude < 0.85
        assert date(1920, 1, 1) < p.date_of_birth < TODAY - timedelta(days=365 * 17)
        assert p.sex in ("female", "male")
        assert p.gp_practice_id is not None
        assert p.interpreter_needed <= (p.language != "English")
    assert any(not (p.given_name + p.family_name).isascii() for p in patients), "no names with diacritics"
    assert sum(p.language != "English" for p in patients) < len(patients) * 0.15
    assert any(p.adjustments for p in patients)

    by_patient: dict[int, list[PatientPhone]] = {}
    for ph in phones:
        assert ph.number_key == phone_key(ph.number)
        assert ph.number.startswith(
            ("07700 900", "01632 960", "0113 496 0", "0117 496 0", "0118 496 0", "020 7946 0", "0121 496 0")
        )
        by_patient.setdefault(ph.patient_id, []).append(ph)
    assert set(by_patient) == {p.id for p in patients}
    for own in by_patient.values():
        assert 1 <= len(own) <= 2
        assert sum(ph.is_preferred for ph in own) == 1


# --- referrals ---------------------------------------------------------------------------------


def test_referral_columns_agree_with_their_facts(demo: Database) -> None:
    with demo.read() as s:
        referrals = list(s.scalars(select(Referral)))
        attempts = s.execute(
            select(
                ContactAttempt.referral_id,
                func.count(),
                func.max(ContactAttempt.at),
            ).group_by(ContactAttempt.referral_id)
        ).all()
        team_of_user = dict(s.execute(select(User.id, User.team_id)).all())
        role_of_user = dict(s.execute(select(User.id, User.role)).all())
    assert len(referrals) == REFERRALS
    counts = {rid: (n, last) for rid, n, last in attempts}
    for r in referrals:
        n, last = counts.get(r.id, (0, None))
        assert r.attempt_count == n, r.id
        assert r.last_attempt_at == last
        assert 0 <= r.failed_attempt_count <= r.attempt_count
        assert r.breach_on == rtt.breach_date(r.received_on, r.priority)
        assert r.priority_rank == r.priority.rank
        assert r.is_open == r.status.is_open
        assert r.claimed_by is None and r.claimed_until is None
        assert TODAY - timedelta(days=183) <= r.received_on < TODAY
        assert r.received_on <= r.triaged_on < TODAY
        assert r.team_id in (1, 2, 3)
        if r.assigned_to is not None:
            assert role_of_user[r.assigned_to] is Role.ADVISOR
            assert team_of_user[r.assigned_to] == r.team_id
        if r.status in (ReferralStatus.CALLBACK, ReferralStatus.CHOICE_PENDING):
            assert r.next_action_at is not None and r.next_action_at >= NOW
        if r.status is ReferralStatus.UTC_LETTER_SENT:
            # utc_letter_sent_on is the day the letter was printed: empty while it is queued.
            assert r.next_action_at is not None
        if r.status is ReferralStatus.AWAITING_CONTACT:
            assert r.failed_attempt_count == 0
        if r.status is ReferralStatus.CONTACTING:
            assert r.failed_attempt_count > 0
        if r.last_attempt_at is not None:
            assert r.last_attempt_at < NOW


def test_referral_mix_is_realistic(demo: Database) -> None:
    with demo.read() as s:
        rows = s.execute(
            select(Referral.priority, Referral.status, Referral.received_on, Referral.assigned_to)
        ).all()
    priorities = Counter(p for p, *_ in rows)
    assert 0.05 < priorities[Priority.URGENT] / len(rows) < 0.16
    assert 0.17 < priorities[Priority.SOON] / len(rows) < 0.33
    statuses = Counter(st for _, st, *_ in rows)
    for status in (
        ReferralStatus.AWAITING_CONTACT,
        ReferralStatus.CONTACTING,
        ReferralStatus.BOOKED,
        ReferralStatus.COMPLETED,
        ReferralStatus.DISCHARGED,
    ):
        assert statuses[status] > 0, status
    old = [st for _, st, received, _ in rows if received < TODAY - timedelta(days=120)]
    recent = [st for _, st, received, _ in rows if received >= TODAY - timedelta(days=14)]
    assert sum(not st.is_open for st in old) / len(old) > 0.9
    assert sum(st.is_open for st in recent) / len(recent) > 0.5
    open_rows = [assigned for _, st, _, assigned in rows if st.is_open]
    assigned = sum(a is not None for a in open_rows)
    assert 0.7 * len(open_rows) < assigned < len(open_rows)  # most, not all


def test_booked_referrals_hold_exactly_one_live_booking(demo: Database) -> None:
    with demo.read() as s:
        live = Counter(s.scalars(select(Booking.referral_id).where(Booking.status == BookingStatus.BOOKED)))
        statuses = dict(s.execute(select(Referral.id, Referral.status)).all())
        bookings = s.execute(
            select(Booking, Slot.starts_at, Slot.service_id, Referral.service_id)
            .join(Slot, Slot.id == Booking.slot_id)
            .join(Referral, Referral.id == Booking.referral_id)
        ).all()
    for rid, status in statuses.items():
        assert live[rid] == (1 if status is ReferralStatus.BOOKED else 0), rid
    kinds = Counter()
    for booking, starts_at, slot_service, referral_service in bookings:
        kinds[booking.status] += 1
        assert slot_service == referral_service
        assert booking.booked_at < starts_at
        assert booking.booked_at < NOW
        if booking.status is BookingStatus.BOOKED:
            assert starts_at >= NOW and booking.ended_at is None
        else:
            assert booking.ended_at is not None and booking.ended_at < NOW
        if booking.status in (BookingStatus.ATTENDED, BookingStatus.DNA):
            assert starts_at < NOW
    assert kinds[BookingStatus.ATTENDED] > kinds[BookingStatus.DNA] > 0


def test_contact_attempts_are_spread_over_working_hours(demo: Database) -> None:
    with demo.read() as s:
        attempts = list(s.scalars(select(ContactAttempt)))
        advisors = set(s.scalars(select(User.id).where(User.role == Role.ADVISOR)))
    assert attempts
    parts = Counter()
    for a in attempts:
        local = a.at.astimezone(LONDON)
        assert is_working_day(local.date()) and 9 <= local.hour < 20, local
        assert a.at < NOW and a.user_id in advisors
        parts[TimeOfDay.of_hour(local.hour)] += 1
        if a.callback_at is not None:
            assert a.outcome.value == "callback_requested" and a.callback_at > a.at
    assert all(parts[p] > 0 for p in TimeOfDay)


def test_choice_offers_snapshot_the_options(demo: Database) -> None:
    with demo.read() as s:
        offers = list(s.scalars(select(ChoiceOffer)))
        offered = set(s.execute(select(SiteService.site_id, SiteService.service_id)).all())
        service_of = dict(s.execute(select(Referral.id, Referral.service_id)).all())
    assert offers
    decisions = Counter(o.decision for o in offers)
    assert decisions["chosen"] > decisions["time_to_think"] > 0
    for o in offers:
        assert o.options and o.offered_at < NOW
        sites = [opt["site_id"] for opt in o.options]
        assert {(site, service_of[o.referral_id]) for site in sites} <= offered
        # The one stored shape the choice service reads (it once crashed on the seed's own shape).
        shown = read_offer(o.options)
        assert all(opt[SCHEMA_KEY] == SCHEMA_VERSION for opt in o.options)
        for opt in shown:
            assert 2 <= opt.wait_weeks <= 20
            assert opt.provider_name and opt.address and opt.postcode and opt.opening_hours
            assert opt.wait_as_of is not None and opt.wait_as_of <= o.offered_at.date()
            assert opt.next_free_slot is None or opt.next_free_slot > o.offered_at
            assert opt.distance_km is not None and opt.meets_adjustments is not None
        # Listed as the choice screen lists them: shortest wait, then nearest.
        listed = [(x.wait_weeks, x.distance_km) for x in shown]
        assert listed == sorted(listed)
        if o.decision == "chosen":
            assert o.chosen_site_id in sites
        else:
            assert o.chosen_site_id is None


def test_letters_and_assignments_are_plausible(demo: Database) -> None:
    with demo.read() as s:
        letters = list(s.scalars(select(Letter)))
        assignments = list(s.scalars(select(Assignment)))
    assert letters
    statuses = Counter(letter.status for letter in letters)
    assert statuses[LetterStatus.PRINTED] > 0
    # The print queue holds what came after the last print run: the last working day's letters.
    last_working_day = datetime(2026, 4, 1, 23, 0, tzinfo=UTC)  # Thursday 2 April, London midnight
    for letter in letters:
        unprinted = letter.status in (LetterStatus.QUEUED, LetterStatus.WITHDRAWN)
        assert unprinted == (letter.created_at >= last_working_day)
        assert (letter.status is LetterStatus.WITHDRAWN) == (letter.withdrawn_reason is not None)
        assert letter.inputs == {"referral_id": letter.referral_id}
        assert letter.recipient in ("patient", "gp")
        assert (letter.status is LetterStatus.PRINTED) == (letter.printed_at is not None)
        if letter.printed_at is not None:
            assert letter.created_at < letter.printed_at < NOW
    assert assignments and all(a.at < NOW for a in assignments)
    assert any(a.from_user_id is not None and a.to_user_id is not None for a in assignments)


def test_unable_to_contact_reply_windows_run_from_the_print_day(demo: Database) -> None:
    """As the services record it: utc_letter_sent_on is the London day the letter was printed,
    and a referral whose letter is still queued has none (its reply window has not begun)."""
    with demo.read() as s:
        referrals = {r.id: r for r in s.scalars(select(Referral))}
        utc = list(s.scalars(select(Letter).where(Letter.kind == LetterKind.UNABLE_TO_CONTACT)))
    assert any(letter.status is LetterStatus.PRINTED for letter in utc)
    latest: dict[int, Letter] = {}
    for letter in sorted(utc, key=lambda x: x.created_at):
        latest[letter.referral_id] = letter
    for rid, letter in latest.items():
        sent_on = referrals[rid].utc_letter_sent_on
        if letter.status is LetterStatus.PRINTED:
            assert letter.printed_at is not None
            assert sent_on == letter.printed_at.astimezone(LONDON).date()
        elif letter.status is LetterStatus.QUEUED:
            assert sent_on is None
            assert referrals[rid].status is ReferralStatus.UTC_LETTER_SENT
    for r in referrals.values():
        if r.status is ReferralStatus.UTC_LETTER_SENT and r.utc_letter_sent_on is None:
            assert latest[r.id].status is LetterStatus.QUEUED


# --- users ---------------------------------------------------------------------------------------


def test_demo_users_sign_in_with_the_demo_password(demo: Database) -> None:
    auth = AuthService(demo)
    advisor = auth.sign_in("advisor", DEMO_PASSWORD)
    lead = auth.sign_in("lead", DEMO_PASSWORD)
    admin = auth.sign_in("admin", DEMO_PASSWORD)
    assert (advisor.role, lead.role, admin.role) == (Role.ADVISOR, Role.TEAM_LEAD, Role.ADMIN)
    assert advisor.team_id == lead.team_id and admin.team_id is None
    with demo.read() as s:
        assert s.get(Team, advisor.team_id).name == "Brighton & Hove"
        users = list(s.scalars(select(User)))
    assert Counter(u.role for u in users) == {Role.ADVISOR: 12, Role.TEAM_LEAD: 3, Role.ADMIN: 1}
    assert Counter(u.team_id for u in users if u.role is Role.ADVISOR) == {1: 4, 2: 4, 3: 4}
    assert auth.sign_in("advisor12", DEMO_PASSWORD).role is Role.ADVISOR
    with pytest.raises(AuthenticationFailed):
        auth.sign_in("advisor", "not-the-password")


# --- seeding itself ------------------------------------------------------------------------------


def _digest(db: Database) -> str:
    h = hashlib.sha256()
    with db.read() as s:
        for model in (Patient, PatientPhone, Referral, ContactAttempt, ChoiceOffer, Booking, Letter):
            table = model.__table__
            for row in s.execute(select(table).order_by(*table.primary_key.columns)):
                h.update(repr(tuple(row)).encode())
    return h.hexdigest()


def test_same_seed_and_day_give_identical_data(db_factory) -> None:
    first, second, other = db_factory.make(), db_factory.make(), db_factory.make()
    seed_database(first, referrals=150, seed=3, today=TODAY)
    seed_database(second, referrals=150, seed=3, today=TODAY)
    seed_database(other, referrals=150, seed=4, today=TODAY)
    assert _digest(first) == _digest(second)
    assert _digest(first) != _digest(other)


def test_seed_reports_counts_and_progress_and_refuses_a_second_run(db: Database) -> None:
    messages: list[str] = []
    assert is_empty(db)
    summary = seed_database(db, referrals=120, seed=1, today=TODAY, progress=messages.append)
    assert not is_empty(db)
    assert summary.seconds > 0
    assert "referrals 120/120" in messages and any(m.startswith("patients ") for m in messages)
    with db.read() as s:
        for model in (Referral, Patient, Slot, Booking, ContactAttempt, Letter, Assignment, User):
            assert summary.counts[model.__tablename__] == _count(s, model)
    with pytest.raises(ValidationError):
        seed_database(db, referrals=10, seed=1, today=TODAY)


def test_orm_inserts_work_after_seeding(demo: Database) -> None:
    """The seed writes explicit ids; PostgreSQL's sequences must have been moved past them."""
    with demo.write() as s:
        max_patient = s.scalar(select(func.max(Patient.id)))
        max_referral = s.scalar(select(func.max(Referral.id)))
        patient = Patient(
            nhs_number=nhs_number.make_test_number(random.Random(99)),
            given_name="New",
            family_name="Patient",
            family_key="patient",
            given_key="new",
            date_of_birth=date(1970, 1, 1),
            sex="female",
            address_line1="1 New Road",
            town="Lewes",
            postcode="BN7 1AA",
            postcode_key="bn71aa",
        )
        s.add(patient)
        s.flush()
        referral = Referral(
            patient_id=patient.id,
            service_id=1,
            received_on=TODAY,
            priority=Priority.ROUTINE,
            priority_rank=Priority.ROUTINE.rank,
            breach_on=rtt.breach_date(TODAY, Priority.ROUTINE),
            status=ReferralStatus.AWAITING_CONTACT,
            is_open=True,
        )
        s.add(referral)
        s.flush()
        s.add(ContactAttempt(referral_id=referral.id, user_id=1, channel="phone", outcome="no_answer"))
        s.add(Letter(referral_id=referral.id, kind="choice", status="queued", inputs={}, created_by=1))
        s.add(Booking(referral_id=referral.id, slot_id=1, status="cancelled_patient", booked_by=1))
        s.flush()
        assert patient.id == max_patient + 1 and referral.id == max_referral + 1


def test_fast_sqlite_datetime_text_matches_sqlalchemy() -> None:
    from sqlalchemy.dialects import sqlite

    dialect = sqlite.pysqlite.dialect()
    column_type = Slot.__table__.c.starts_at.type
    fast = _processor(column_type, dialect)
    general = column_type.dialect_impl(dialect).bind_processor(dialect)
    assert fast is not None and general is not None
    for value in (
        datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 0, tzinfo=UTC),
        datetime(2026, 10, 25, 1, 30, tzinfo=LONDON),  # not UTC: takes the general path
        None,
    ):
        assert fast(value) == general(value)


def test_a_failed_seed_leaves_nothing_behind(db: Database) -> None:
    """One transaction: if any insert fails, the database is as empty as before and can be seeded."""
    with db.write() as s:
        s.add(Team(id=2, name="Left over"))  # collides with the seed's second team
    with pytest.raises(IntegrityError):
        seed_database(db, referrals=50, seed=1, today=TODAY)
    with db.read() as s:
        assert _count(s, Referral) == _count(s, Slot) == _count(s, User) == 0
        assert [t.name for t in s.scalars(select(Team))] == ["Left over"]
    with db.write() as s:
        s.execute(delete(Team))
    seed_database(db, referrals=50, seed=1, today=TODAY)
    with db.read() as s:
        assert _count(s, Referral) == 50


def test_demo_needs_fill_the_appointment_fields(demo: Database) -> None:
    """Some patients state when they can come, interpreters are on their bookings, and the services
    that offer a longer appointment have slots that long."""
    from cras_desk.domain.appointment_needs import Availability

    with demo.read() as s:
        patients = s.execute(
            select(
                Patient.id,
                Patient.language,
                Patient.interpreter_needed,
                Patient.unavailable_weekdays,
                Patient.available_day_parts,
                Patient.availability_note,
                Patient.preferred_contact_times,
            )
        ).all()
        booked = s.execute(
            select(Booking.interpreter_language, Patient.language, Patient.interpreter_needed)
            .join(Referral, Referral.id == Booking.referral_id)
            .join(Patient, Patient.id == Referral.patient_id)
        ).all()
        longer = dict(s.execute(select(Service.code, Service.longer_appointment_minutes)).all())
        long_slots = s.scalar(
            select(func.count())
            .select_from(Slot)
            .where(Slot.kind == SlotKind.ONE_TO_ONE, Slot.duration_minutes >= 60)
        )
    stated = 0
    for _id, _language, _needed, weekdays, parts, note, contact_times in patients:
        availability = Availability.from_columns(weekdays, parts, note)
        # Stored as the editor would store it: nothing the service's checks would refuse or change.
        again = Availability.of(availability.unavailable_weekdays, availability.day_parts, availability.note)
        assert again == availability
        assert (weekdays, parts) == (availability.weekdays_column, availability.day_parts_column)
        if contact_times == "Not on Wednesdays (dialysis)":
            assert 2 in availability.unavailable_weekdays
        stated += availability.restricts
    assert 0 < stated < len(patients) * 0.2
    assert booked and all(b == (lang if needed else None) for b, lang, needed in booked)
    assert any(b for b, _lang, _needed in booked), "no booking with an interpreter"
    assert longer == {code: LONGER_APPOINTMENT_MINUTES.get(code) for code in ServiceCode}
    assert long_slots > 0


def test_a_few_phones_are_marked_wrong_never_preferred_and_never_dialled(demo: Database) -> None:
    from cras_desk.db.models import ContactAttempt, PatientPhone
    from cras_desk.domain.enums import PhoneStatus

    with demo.read() as s:
        ph = PatientPhone
        phones = s.execute(select(ph.patient_id, ph.number, ph.status, ph.is_preferred)).all()
        wrong = {(pid, number) for pid, number, status, _ in phones if status is PhoneStatus.WRONG_NUMBER}
        dialled = set(
            s.execute(
                select(Referral.patient_id, ContactAttempt.number_used).join(
                    Referral, Referral.id == ContactAttempt.referral_id
                )
            ).all()
        )
    assert 0 < len(wrong) < 0.05 * len(phones)
    assert not any(preferred for _, _, status, preferred in phones if status is not PhoneStatus.ACTIVE)
    assert wrong.isdisjoint(dialled)
