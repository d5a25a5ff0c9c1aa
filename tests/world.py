"""A small, fully known world for service and GUI tests (the demo seed is for volume and looks).

Built once per backend into a template database and cloned per test, so ids are stable: look
them up by name through World.load().
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from cras_desk.db.engine import Database
from cras_desk.db.models import (
    Clinic,
    Clinician,
    GpPractice,
    Patient,
    PatientPhone,
    Provider,
    Referral,
    Service,
    Site,
    SiteService,
    Slot,
    Team,
    User,
    WaitingTime,
)
from cras_desk.domain import postcode, rtt
from cras_desk.domain.clock import today_london
from cras_desk.domain.enums import (
    AdjustmentFlag,
    ClinicianType,
    Priority,
    ReferralStatus,
    Role,
    ServiceCode,
    SlotKind,
    SlotStatus,
    TimeOfDay,
)
from cras_desk.domain.search_terms import name_key, phone_key
from cras_desk.services.actor import Actor
from cras_desk.services.auth import actor_of
from cras_desk.services.passwords import hash_password

LONDON = ZoneInfo("Europe/London")
PASSWORD = "correct horse 1"  # every world user's password (test data only)

SERVICE_NAMES = {
    ServiceCode.PHYSIOTHERAPY: "Physiotherapy",
    ServiceCode.MSK_MDT: "Orthopaedic / MSK MDT",
    ServiceCode.PAIN: "Pain management",
    ServiceCode.RHEUMATOLOGY: "Rheumatology",
    ServiceCode.PODIATRY: "Podiatry",
    ServiceCode.ORTHOTICS: "Orthotics",
}


def _local(d: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(d, time(hour, minute), LONDON).astimezone(UTC)


def build_world(db: Database) -> None:
    today = today_london()
    with db.write() as s:
        east, west = Team(name="East"), Team(name="West")
        s.add_all([east, west])
        s.flush()
        pw = hash_password(PASSWORD)
        s.add_all(
            [
                User(
                    username="amy",
                    full_name="Amy Advisor",
                    role=Role.ADVISOR,
                    team_id=east.id,
                    password_hash=pw,
                ),
                User(
                    username="ben",
                    full_name="Ben Advisor",
                    role=Role.ADVISOR,
                    team_id=east.id,
                    password_hash=pw,
                ),
                User(
                    username="cara",
                    full_name="Cara Advisor",
                    role=Role.ADVISOR,
                    team_id=west.id,
                    password_hash=pw,
                ),
                User(
                    username="lena",
                    full_name="Lena Lead",
                    role=Role.TEAM_LEAD,
                    team_id=east.id,
                    password_hash=pw,
                ),
                User(username="root", full_name="Ada Admin", role=Role.ADMIN, team_id=None, password_hash=pw),
            ]
        )
        services = {
            code: Service(code=code, name=name, has_group_sessions=code is ServiceCode.PAIN)
            for code, name in SERVICE_NAMES.items()
        }
        s.add_all(services.values())
        provider = Provider(name="Sussex MSK Partnership", ods_code="RYR", phone="01273 000000")
        s.add(provider)
        s.flush()
        hub_a = Site(
            provider_id=provider.id,
            name="Brighton General Hub",
            address_line1="Elm Grove",
            town="Brighton",
            postcode="BN2 3EW",
            latitude=50.8300,
            longitude=-0.1180,
            step_free=True,
            hearing_loop=True,
            parking=False,
            opening_hours="Mon-Fri 08:00-18:00",
        )
        hub_b = Site(
            provider_id=provider.id,
            name="Lewes Victoria Hub",
            address_line1="Nevill Road",
            town="Lewes",
            postcode="BN7 1PF",
            latitude=50.8770,
            longitude=0.0010,
            step_free=False,
            hearing_loop=False,
            parking=True,
            opening_hours="Mon-Fri 09:00-17:00",
        )
        s.add_all([hub_a, hub_b])
        s.flush()
        for site in (hub_a, hub_b):
            for code in (ServiceCode.PHYSIOTHERAPY, ServiceCode.PAIN):
                s.add(SiteService(site_id=site.id, service_id=services[code].id))
        s.add_all(
            [
                WaitingTime(
                    site_id=hub_a.id, service_id=services[ServiceCode.PHYSIOTHERAPY].id, weeks=9, as_of=today
                ),
                WaitingTime(
                    site_id=hub_b.id, service_id=services[ServiceCode.PHYSIOTHERAPY].id, weeks=4, as_of=today
                ),
                WaitingTime(
                    site_id=hub_a.id, service_id=services[ServiceCode.PAIN].id, weeks=12, as_of=today
                ),
                WaitingTime(
                    site_id=hub_b.id, service_id=services[ServiceCode.PAIN].id, weeks=14, as_of=today
                ),
            ]
        )
        physio = services[ServiceCode.PHYSIOTHERAPY]
        pain = services[ServiceCode.PAIN]
        clinicians = {
            site.id: Clinician(
                name=f"Pat Physio {site.town}",
                clinician_type=ClinicianType.PHYSIOTHERAPIST,
                service_id=physio.id,
                site_id=site.id,
            )
            for site in (hub_a, hub_b)
        }
        s.add_all(clinicians.values())
        s.flush()
        # Physio 1:1 slots on days 3..12 from today, 09:00, 10:00 and 14:00, at both hubs.
        for site in (hub_a, hub_b):
            for offset in range(3, 13):
                day = today + timedelta(days=offset)
                clinic = Clinic(
                    site_id=site.id,
                    service_id=physio.id,
                    clinician_id=clinicians[site.id].id,
                    clinic_date=day,
                    title="Physiotherapy clinic",
                    kind=SlotKind.ONE_TO_ONE,
                )
                s.add(clinic)
                s.flush()
                for hour in (9, 10, 14):
                    s.add(
                        Slot(
                            clinic_id=clinic.id,
                            site_id=site.id,
                            service_id=physio.id,
                            clinician_type=ClinicianType.PHYSIOTHERAPIST,
                            starts_at=_local(day, hour),
                            duration_minutes=30,
                            day_part=TimeOfDay.of_hour(hour),
                            kind=SlotKind.ONE_TO_ONE,
                            capacity=1,
                            booked_count=0,
                            status=SlotStatus.OPEN,
                        )
                    )
        # One pain-management information session (group of 3) at hub A.
        day = today + timedelta(days=7)
        group = Clinic(
            site_id=hub_a.id,
            service_id=pain.id,
            clinician_id=None,
            clinic_date=day,
            title="Pain information session",
            kind=SlotKind.GROUP,
        )
        s.add(group)
        s.flush()
        s.add(
            Slot(
                clinic_id=group.id,
                site_id=hub_a.id,
                service_id=pain.id,
                clinician_type=ClinicianType.PSYCHOLOGIST,
                starts_at=_local(day, 13),
                duration_minutes=90,
                day_part=TimeOfDay.AFTERNOON,
                kind=SlotKind.GROUP,
                capacity=3,
                booked_count=0,
                status=SlotStatus.OPEN,
            )
        )
        gp = GpPractice(
            ods_code="G81001",
            name="Preston Park Surgery",
            address_line1="2 Preston Road",
            town="Brighton",
            postcode="BN1 4QF",
            phone="01273 111111",
        )
        s.add(gp)
        s.flush()
        users = {u.username: u for u in s.scalars(select(User))}
        people = [
            # (nhs, given, family, postcode, adjustments, service, priority, days ago, assignee)
            (
                "9990000018",
                "Zoë",
                "Ó Súilleabháin",
                "BN2 1AB",
                [],
                ServiceCode.PHYSIOTHERAPY,
                Priority.URGENT,
                5,
                "amy",
            ),
            (
                "9990000026",
                "Łukasz",
                "Nowak",
                "BN7 2AA",
                [AdjustmentFlag.STEP_FREE, AdjustmentFlag.LARGE_PRINT],
                ServiceCode.PHYSIOTHERAPY,
                Priority.ROUTINE,
                100,
                None,
            ),
            ("9990000034", "Siobhán", "Smith", "BN1 1AA", [], ServiceCode.PAIN, Priority.ROUTINE, 40, "ben"),
        ]
        for i, (nhs, given, family, pc, adj, code, prio, ago, who) in enumerate(people):
            patient = Patient(
                nhs_number=nhs,
                title="Ms",
                given_name=given,
                family_name=family,
                family_key=name_key(family),
                given_key=name_key(given),
                date_of_birth=date(1950 + i * 10, 5, 17),
                sex="female",
                address_line1=f"{10 + i} Test Street",
                town="Brighton",
                county="East Sussex",
                postcode=pc,
                postcode_key=postcode.search_key(pc),
                latitude=50.83 + i * 0.01,
                longitude=-0.13,
                language="English",
                interpreter_needed=False,
                adjustments=[a.value for a in adj],
                gp_practice_id=gp.id,
            )
            s.add(patient)
            s.flush()
            number = f"07700 90012{i}"
            s.add(
                PatientPhone(
                    patient_id=patient.id,
                    kind="mobile",
                    number=number,
                    number_key=phone_key(number),
                    is_preferred=True,
                )
            )
            received = today - timedelta(days=ago)
            s.add(
                Referral(
                    patient_id=patient.id,
                    service_id=services[code].id,
                    received_on=received,
                    priority=prio,
                    priority_rank=prio.rank,
                    breach_on=rtt.breach_date(received, prio),
                    referrer="Dr Jones",
                    triage_notes="Knee pain, 6 months.",
                    triaged_by="MSK triage",
                    triaged_on=received,
                    status=ReferralStatus.AWAITING_CONTACT,
                    is_open=True,
                    team_id=users["amy"].team_id,
                    assigned_to=users[who].id if who else None,
                )
            )


@dataclass
class World:
    db: Database
    actors: dict[str, Actor] = field(default_factory=dict)
    referrals: dict[str, int] = field(default_factory=dict)  # by patient family name
    sites: dict[str, int] = field(default_factory=dict)  # by town
    services: dict[ServiceCode, int] = field(default_factory=dict)

    @classmethod
    def load(cls, db: Database) -> World:
        world = cls(db)
        with db.read() as s:
            world.actors = {u.username: actor_of(u) for u in s.scalars(select(User))}
            for rid, family in s.execute(select(Referral.id, Patient.family_name).join(Patient)):
                world.referrals[family] = rid
            world.sites = {site.town: site.id for site in s.scalars(select(Site))}
            world.services = {svc.code: svc.id for svc in s.scalars(select(Service))}
        return world

    def actor(self, username: str) -> Actor:
        return self.actors[username]


def build_trust_world(db: Database) -> None:
    """The known world plus the people an access check must tell apart: the other team's lead
    (Wes, West) and a deactivated lead of Amy's own team (Della), whose desk may still be open.

    A separate template, so the exact counts other tests assert on the plain world stand.
    """
    build_world(db)
    with db.write() as s:
        teams = {t.name: t.id for t in s.scalars(select(Team))}
        pw = hash_password(PASSWORD)
        s.add_all(
            [
                User(
                    username="wes",
                    full_name="Wes Lead",
                    role=Role.TEAM_LEAD,
                    team_id=teams["West"],
                    password_hash=pw,
                ),
                User(
                    username="della",
                    full_name="Della Deactivated",
                    role=Role.TEAM_LEAD,
                    team_id=teams["East"],
                    password_hash=pw,
                    active=False,
                ),
            ]
        )
