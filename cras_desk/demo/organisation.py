"""Who works in the demo service and where: teams, users, services, providers, hubs, GP practices.

Everything here is small and fixed (users and hubs are the same for every seed), so the README can
name the demo accounts and screenshots look the same from one seed to the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cras_desk.demo.dice import Dice
from cras_desk.demo.geography import DISTRICTS, HUBS, PROVIDERS, TEAM_NAMES, District, random_postcode
from cras_desk.domain.enums import ClinicianType, Role, ServiceCode

DEMO_PASSWORD = "demo-password"  # every demo user's password, stated in the README

SERVICE_NAMES: dict[ServiceCode, str] = {
    ServiceCode.PHYSIOTHERAPY: "Physiotherapy",
    ServiceCode.MSK_MDT: "Orthopaedic / MSK MDT",
    ServiceCode.PAIN: "Pain management",
    ServiceCode.RHEUMATOLOGY: "Rheumatology",
    ServiceCode.PODIATRY: "Podiatry",
    ServiceCode.ORTHOTICS: "Orthotics",
}
SERVICE_IDS: dict[ServiceCode, int] = {code: i for i, code in enumerate(SERVICE_NAMES, start=1)}
# Services that offer a longer appointment, and how long (the schedule makes one slot per clinic
# that long); pain management and orthotics offer none.
LONGER_APPOINTMENT_MINUTES: dict[ServiceCode, int] = {
    ServiceCode.PHYSIOTHERAPY: 60,
    ServiceCode.MSK_MDT: 60,
    ServiceCode.RHEUMATOLOGY: 60,
    ServiceCode.PODIATRY: 60,
}

# Share of referrals per service: physiotherapy is most of an MSK service's work.
SERVICE_MIX: dict[ServiceCode, int] = {
    ServiceCode.PHYSIOTHERAPY: 45,
    ServiceCode.MSK_MDT: 20,
    ServiceCode.PAIN: 8,
    ServiceCode.RHEUMATOLOGY: 10,
    ServiceCode.PODIATRY: 10,
    ServiceCode.ORTHOTICS: 7,
}

_P, _M, _PN, _R, _PD, _O = (
    ServiceCode.PHYSIOTHERAPY,
    ServiceCode.MSK_MDT,
    ServiceCode.PAIN,
    ServiceCode.RHEUMATOLOGY,
    ServiceCode.PODIATRY,
    ServiceCode.ORTHOTICS,
)
# Which hub offers what (by HUBS order): not every hub offers every service.
HUB_SERVICES: tuple[tuple[ServiceCode, ...], ...] = (
    (_P, _M, _PN, _R, _O),  # Brighton
    (_P, _M, _PD),  # Hove
    (_P, _PN, _PD),  # Lewes
    (_P, _M, _PN, _R, _PD, _O),  # Eastbourne
    (_P, _M, _PN, _R, _PD, _O),  # Hastings
    (_P, _PD, _O),  # Crowborough
    (_P, _M),  # Uckfield
)

# Clinicians per hub and service at the default volume (about 50 in all), and who they are.
CLINICIANS_PER_HUB: dict[ServiceCode, int] = {_P: 3, _M: 2, _PN: 1, _R: 2, _PD: 1, _O: 1}
CLINICIAN_TYPES: dict[ServiceCode, tuple[ClinicianType, ...]] = {
    _P: (ClinicianType.PHYSIOTHERAPIST,) * 3 + (ClinicianType.ADVANCED_PRACTITIONER,),
    _M: (ClinicianType.ADVANCED_PRACTITIONER, ClinicianType.ADVANCED_PRACTITIONER, ClinicianType.CONSULTANT),
    # The first pain clinician at a hub is its psychologist, who runs the group sessions.
    _PN: (
        ClinicianType.PSYCHOLOGIST,
        ClinicianType.PHYSIOTHERAPIST,
        ClinicianType.NURSE_SPECIALIST,
        ClinicianType.CONSULTANT,
    ),
    _R: (ClinicianType.CONSULTANT, ClinicianType.NURSE_SPECIALIST),
    _PD: (ClinicianType.PODIATRIST,),
    _O: (ClinicianType.ORTHOTIST,),
}


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: Role
    team: int | None  # index into TEAM_NAMES


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("advisor", "Amira Shah", Role.ADVISOR, 0),
    DemoUser("advisor2", "Tom Fletcher", Role.ADVISOR, 0),
    DemoUser("advisor3", "Priya Nair", Role.ADVISOR, 0),
    DemoUser("advisor4", "Callum Reid", Role.ADVISOR, 0),
    DemoUser("lead", "Helen Marsh", Role.TEAM_LEAD, 0),
    DemoUser("advisor5", "Grace Okafor", Role.ADVISOR, 1),
    DemoUser("advisor6", "Jack Turner", Role.ADVISOR, 1),
    DemoUser("advisor7", "Zoë Pearce", Role.ADVISOR, 1),
    DemoUser("advisor8", "Daniel Kowalski", Role.ADVISOR, 1),
    DemoUser("lead2", "Sarah Whitfield", Role.TEAM_LEAD, 1),
    DemoUser("advisor9", "Megan Price", Role.ADVISOR, 2),
    DemoUser("advisor10", "Oliver Hughes", Role.ADVISOR, 2),
    DemoUser("advisor11", "Aisha Rahman", Role.ADVISOR, 2),
    DemoUser("advisor12", "Liam Doherty", Role.ADVISOR, 2),
    DemoUser("lead3", "Mark Ellison", Role.TEAM_LEAD, 2),
    DemoUser("admin", "Rachel Moore", Role.ADMIN, None),
)
USER_IDS: dict[str, int] = {u.username: i for i, u in enumerate(DEMO_USERS, start=1)}
TEAM_ADVISORS: tuple[tuple[int, ...], ...] = tuple(
    tuple(USER_IDS[u.username] for u in DEMO_USERS if u.team == t and u.role is Role.ADVISOR)
    for t in range(len(TEAM_NAMES))
)
TEAM_LEADS: tuple[int, ...] = tuple(
    next(USER_IDS[u.username] for u in DEMO_USERS if u.team == t and u.role is Role.TEAM_LEAD)
    for t in range(len(TEAM_NAMES))
)


def team_rows() -> list[dict[str, Any]]:
    return [{"id": i, "name": name} for i, name in enumerate(TEAM_NAMES, start=1)]


def user_rows(password_hash: str, created_at: datetime) -> list[dict[str, Any]]:
    return [
        {
            "id": USER_IDS[u.username],
            "username": u.username,
            "full_name": u.full_name,
            "role": u.role,
            "team_id": None if u.team is None else u.team + 1,
            "password_hash": password_hash,
            "active": True,
            "created_at": created_at,
            "failed_sign_ins": 0,
            "locked_until": None,
        }
        for u in DEMO_USERS
    ]


def service_rows() -> list[dict[str, Any]]:
    return [
        {
            "id": SERVICE_IDS[code],
            "code": code,
            "name": name,
            "has_group_sessions": code is ServiceCode.PAIN,
            "longer_appointment_minutes": LONGER_APPOINTMENT_MINUTES.get(code),
        }
        for code, name in SERVICE_NAMES.items()
    ]


def provider_rows() -> list[dict[str, Any]]:
    return [
        {"id": i, "name": name, "ods_code": ods, "phone": phone}
        for i, (name, ods, phone) in enumerate(PROVIDERS, start=1)
    ]


def site_rows() -> list[dict[str, Any]]:
    return [
        {
            "id": i,
            "provider_id": hub.provider + 1,
            "name": hub.name,
            "address_line1": hub.address_line1,
            "address_line2": hub.address_line2,
            "town": hub.town,
            "postcode": hub.postcode,
            "latitude": hub.latitude,
            "longitude": hub.longitude,
            "step_free": hub.step_free,
            "hearing_loop": hub.hearing_loop,
            "parking": hub.parking,
            "opening_hours": hub.opening_hours,
            "phone": hub.phone,
        }
        for i, hub in enumerate(HUBS, start=1)
    ]


def site_service_rows() -> list[dict[str, Any]]:
    return [
        {"site_id": site_id, "service_id": SERVICE_IDS[code]}
        for site_id, codes in enumerate(HUB_SERVICES, start=1)
        for code in codes
    ]


def sites_offering(code: ServiceCode) -> list[int]:
    return [site_id for site_id, codes in enumerate(HUB_SERVICES, start=1) if code in codes]


_PRACTICE_SUFFIXES = ("Surgery", "Medical Centre", "Health Centre", "Medical Practice", "Family Practice")


@dataclass(frozen=True)
class Practice:
    id: int
    name: str
    district: int  # index into DISTRICTS
    doctors: tuple[str, ...]


def gp_practices(dice: Dice, family_names: tuple[str, ...]) -> tuple[list[dict[str, Any]], list[Practice]]:
    """About 40 practices: one per district, three in each of the big Brighton and Hove ones."""
    rows: list[dict[str, Any]] = []
    practices: list[Practice] = []
    ods_numbers = dice.rng.sample(range(1, 999), 60)
    used_names: set[str] = set()
    for index, district in enumerate(DISTRICTS):
        for _ in range(3 if district.weight >= 8 else 1):
            name = _practice_name(dice, district, used_names)
            practice_id = len(rows) + 1
            rows.append(
                {
                    "id": practice_id,
                    "ods_code": f"G81{ods_numbers[practice_id - 1]:03d}",
                    "name": name,
                    "address_line1": f"{dice.between(1, 120)} {dice.pick(_PRACTICE_STREETS)}",
                    "town": district.town,
                    "postcode": random_postcode(dice, district),
                    "phone": f"01632 960{dice.between(0, 999):03d}",  # Ofcom drama range: rings no one
                }
            )
            doctors = tuple(dice.pick(family_names) for _ in range(3))
            practices.append(Practice(practice_id, name, index, doctors))
    return rows, practices


_PRACTICE_STREETS = ("High Street", "Church Road", "Station Road", "Park Road", "London Road", "The Green")


def _practice_name(dice: Dice, district: District, used: set[str]) -> str:
    places = [district.town, *district.localities]
    for _ in range(20):
        name = f"{dice.pick(places)} {dice.pick(_PRACTICE_SUFFIXES)}"
        if name not in used:
            used.add(name)
            return name
    name = f"{district.town} {district.outward} Practice"
    used.add(name)
    return name
