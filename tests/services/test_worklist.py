from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass, fields, replace
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from cras_desk.db.models import AuditEvent, Patient, PatientPhone, Referral, Service, User
from cras_desk.domain import nhs_number, postcode, rtt
from cras_desk.domain.clock import today_london, utcnow
from cras_desk.domain.enums import Priority, ReferralStatus, ServiceCode
from cras_desk.domain.errors import PermissionDenied, ValidationError
from cras_desk.domain.search_terms import SearchKind, classify, name_key, phone_key
from cras_desk.services.worklist import Scope, SortKey, WorklistFilter, WorklistRow, WorklistService

ALL_ROWS = WorklistFilter(scope=Scope.ALL, include_closed=True)


@dataclass
class Extra:
    family: str
    given: str
    service: ServiceCode
    priority: Priority
    who: str | None
    days_ago: int
    status: ReferralStatus = ReferralStatus.AWAITING_CONTACT
    team: str = "East"
    attempts: int = 0
    next_action_in: timedelta | None = None
    claimed_by: str | None = None
    claim_left: timedelta | None = None
    postcode: str = "BN3 1AA"
    phones: tuple[str, ...] = ()
    same_patient_as: str | None = None


EXTRAS = [
    Extra(
        "Nowakowska",
        "Anna",
        ServiceCode.PHYSIOTHERAPY,
        Priority.SOON,
        "amy",
        20,
        ReferralStatus.CONTACTING,
        attempts=2,
        next_action_in=timedelta(hours=-1),
    ),
    Extra(
        "Adams",
        "Bob",
        ServiceCode.PODIATRY,
        Priority.ROUTINE,
        "ben",
        10,
        ReferralStatus.CALLBACK,
        attempts=1,
        next_action_in=timedelta(days=2),
        phones=("07700 900200", "07700 900201"),
    ),
    Extra(
        "Zieliński",
        "Carl",
        ServiceCode.RHEUMATOLOGY,
        Priority.URGENT,
        "cara",
        3,
        team="West",
        postcode="BN7 3ZZ",
    ),
    Extra("Brown", "Dora", ServiceCode.PHYSIOTHERAPY, Priority.ROUTINE, "amy", 200, ReferralStatus.BOOKED),
    Extra(
        "Smith",
        "Adam",
        ServiceCode.MSK_MDT,
        Priority.SOON,
        None,
        30,
        ReferralStatus.CHOICE_PENDING,
        claimed_by="ben",
        claim_left=timedelta(minutes=10),
    ),
    Extra(
        "Evans",
        "Eve",
        ServiceCode.ORTHOTICS,
        Priority.ROUTINE,
        "ben",
        60,
        ReferralStatus.UTC_LETTER_SENT,
        attempts=3,
        claimed_by="amy",
        claim_left=timedelta(minutes=-5),
    ),
    Extra(
        "Nowak",
        "Łukasz",
        ServiceCode.PAIN,
        Priority.ROUTINE,
        "amy",
        15,
        ReferralStatus.DISCHARGED,
        same_patient_as="Nowak",
    ),
    # Two referrals tied on everything the sorts look at but the id and the given name.
    Extra("Taylor", "Fay", ServiceCode.PHYSIOTHERAPY, Priority.ROUTINE, None, 50),
    Extra("Taylor", "Gus", ServiceCode.PHYSIOTHERAPY, Priority.ROUTINE, None, 50),
]


def _nhs_numbers():
    n = 1000
    while True:
        stem = f"99910{n:04d}"
        check = nhs_number.check_digit(stem)
        if check is not None:
            yield f"{stem}{check}"
        n += 1


@pytest.fixture
def wl(world):
    """The world plus the EXTRAS; returns (world, service, ids by "Family Given")."""
    now = utcnow()
    today = today_london()
    numbers = _nhs_numbers()
    ids: dict[str, int] = {}
    with world.db.write() as s:
        users = {u.username: u for u in s.scalars(select(User))}
        teams = {"East": users["amy"].team_id, "West": users["cara"].team_id}
        services = {svc.code: svc.id for svc in s.scalars(select(Service))}
        for e in EXTRAS:
            if e.same_patient_as:
                patient_id = s.scalar(
                    select(Referral.patient_id).where(Referral.id == world.referrals[e.same_patient_as])
                )
            else:
                patient = Patient(
                    nhs_number=next(numbers),
                    title="Mx",
                    given_name=e.given,
                    family_name=e.family,
                    family_key=name_key(e.family),
                    given_key=name_key(e.given),
                    date_of_birth=date(1970, 1, 1),
                    sex="unknown",
                    address_line1="1 Road",
                    town="Hove",
                    postcode=e.postcode,
                    postcode_key=postcode.search_key(e.postcode),
                    adjustments=[],
                )
                s.add(patient)
                s.flush()
                patient_id = patient.id
                for i, number in enumerate(e.phones):
                    s.add(
                        PatientPhone(
                            patient_id=patient_id,
                            kind="mobile" if i == 0 else "home",
                            number=number,
                            number_key=phone_key(number),
                            is_preferred=i == 0,
                        )
                    )
            received = today - timedelta(days=e.days_ago)
            referral = Referral(
                patient_id=patient_id,
                service_id=services[e.service],
                received_on=received,
                priority=e.priority,
                priority_rank=e.priority.rank,
                breach_on=rtt.breach_date(received, e.priority),
                status=e.status,
                is_open=e.status.is_open,
                team_id=teams[e.team],
                assigned_to=users[e.who].id if e.who else None,
                attempt_count=e.attempts,
                failed_attempt_count=e.attempts,
                next_action_at=now + e.next_action_in if e.next_action_in is not None else None,
                claimed_by=users[e.claimed_by].id if e.claimed_by else None,
                claimed_until=now + e.claim_left if e.claim_left is not None else None,
            )
            s.add(referral)
            s.flush()
            ids[f"{e.family} {e.given}"] = referral.id
    for family in ("Ó Súilleabháin", "Nowak", "Smith"):
        ids.setdefault(f"{family} *", world.referrals[family])
    return world, WorklistService(world.db), ids


def names(rows) -> list[str]:
    return [r.patient_name for r in rows]


def ids_of(rows) -> list[int]:
    return [r.referral_id for r in rows]


def everything(world) -> list[dict]:
    """Ground truth for the sort tests, read with the ORM independently of the service."""
    with world.db.read() as s:
        result = s.execute(
            select(Referral, Patient.family_key, Patient.given_key, Patient.nhs_number, Service.name)
            .join(Patient, Patient.id == Referral.patient_id)
            .join(Service, Service.id == Referral.service_id)
        ).all()
        return [
            {
                "id": r.id,
                "rank": r.priority_rank,
                "breach": r.breach_on,
                "received": r.received_on,
                "status": list(ReferralStatus).index(r.status),
                "attempts": r.attempt_count,
                "next": r.next_action_at,
                "family": fk,
                "given": gk,
                "nhs": nhs,
                "service": sname,
            }
            for r, fk, gk, nhs, sname in result
        ]


def _urgency(x: dict) -> tuple:
    return (x["rank"], x["breach"])


FAR = datetime.max.replace(tzinfo=utcnow().tzinfo)
EXPECTED_KEY = {
    SortKey.URGENCY: lambda x: (*_urgency(x), x["id"]),
    SortKey.BREACH: lambda x: (x["breach"], x["id"]),
    SortKey.NAME: lambda x: (x["family"], x["given"], x["id"]),
    SortKey.RECEIVED: lambda x: (x["received"], x["id"]),
    SortKey.STATUS: lambda x: (x["status"], *_urgency(x), x["id"]),
    SortKey.ATTEMPTS: lambda x: (x["attempts"], *_urgency(x), x["id"]),
    SortKey.NEXT_ACTION: lambda x: (x["next"] is None, x["next"] or FAR, x["id"]),
    SortKey.SERVICE: lambda x: (x["service"], *_urgency(x), x["id"]),
    SortKey.NHS: lambda x: (x["nhs"], x["id"]),
}


# --- scope and permissions ---------------------------------------------------------------------------


def test_mine_is_what_is_assigned_to_me_and_open(wl) -> None:
    world, svc, ids = wl
    rows = svc.page(world.actor("amy"), WorklistFilter())
    # Urgent first, then soon, then routine: Brown (booked) is still open work; the discharged Nowak
    # referral is closed.
    assert ids_of(rows) == [ids["Ó Súilleabháin *"], ids["Nowakowska Anna"], ids["Brown Dora"]]
    assert names(rows) == ["Ó SÚILLEABHÁIN, Zoë", "NOWAKOWSKA, Anna", "BROWN, Dora"]
    assert svc.count(world.actor("amy"), WorklistFilter()) == 3


def test_team_scope_keeps_to_the_actors_team(wl) -> None:
    world, svc, ids = wl
    east = ids_of(svc.page(world.actor("ben"), WorklistFilter(scope=Scope.TEAM)))
    west = ids_of(svc.page(world.actor("cara"), WorklistFilter(scope=Scope.TEAM)))
    assert west == [ids["Zieliński Carl"]]
    assert ids["Zieliński Carl"] not in east
    assert len(east) == 10  # 3 world + 9 extras - West - 1 closed (booked is open)
    assert svc.count(world.actor("ben"), WorklistFilter(scope=Scope.TEAM)) == 10


def test_all_scope_is_for_admins_only(wl) -> None:
    """A lead's scope is their own team, as the database's row-level security has it."""
    world, svc, _ = wl
    for who in ("amy", "cara", "lena"):
        with pytest.raises(PermissionDenied):
            svc.page(world.actor(who), WorklistFilter(scope=Scope.ALL))
        with pytest.raises(PermissionDenied):
            svc.count(world.actor(who), WorklistFilter(scope=Scope.ALL))
    assert len(svc.page(world.actor("root"), WorklistFilter(scope=Scope.ALL))) == 11


def test_advisor_filter_is_for_leads(wl) -> None:
    world, svc, ids = wl
    ben = world.actor("ben").user_id
    lead_view = svc.page(world.actor("lena"), WorklistFilter(scope=Scope.TEAM, advisor_id=ben))
    # All routine: by breach date, Evans (60 days ago), Smith (40), Adams (10).
    assert ids_of(lead_view) == [ids["Evans Eve"], ids["Smith *"], ids["Adams Bob"]]
    assert ids_of(svc.page(world.actor("lena"), WorklistFilter(advisor_id=ben))) == ids_of(lead_view)
    with pytest.raises(PermissionDenied):
        svc.page(world.actor("amy"), WorklistFilter(scope=Scope.TEAM, advisor_id=ben))
    own = svc.page(world.actor("ben"), WorklistFilter(advisor_id=ben))
    assert ids_of(own) == ids_of(lead_view)


def test_team_scope_of_a_user_without_a_team_is_empty(wl) -> None:
    world, svc, _ = wl
    assert svc.page(world.actor("root"), WorklistFilter(scope=Scope.TEAM)) == []
    assert svc.count(world.actor("root"), WorklistFilter(scope=Scope.TEAM)) == 0


# --- filters -----------------------------------------------------------------------------------------


def lead_ids(svc, world, **kw) -> list[int]:
    flt = WorklistFilter(scope=Scope.ALL, **kw)
    rows = svc.page(world.actor("root"), flt, sort=SortKey.NAME)
    assert svc.count(world.actor("root"), flt) == len(rows)
    return ids_of(rows)


def test_service_filter(wl) -> None:
    world, svc, ids = wl
    assert lead_ids(svc, world, service=ServiceCode.PAIN) == [ids["Smith *"]]
    assert lead_ids(svc, world, service=ServiceCode.PAIN, include_closed=True) == [
        ids["Nowak Łukasz"],
        ids["Smith *"],
    ]
    assert lead_ids(svc, world, service=ServiceCode.RHEUMATOLOGY) == [ids["Zieliński Carl"]]


def test_priority_filter(wl) -> None:
    world, svc, ids = wl
    assert lead_ids(svc, world, priority=Priority.URGENT) == [ids["Ó Súilleabháin *"], ids["Zieliński Carl"]]
    assert lead_ids(svc, world, priority=Priority.SOON) == [ids["Nowakowska Anna"], ids["Smith Adam"]]


def test_status_filter_shows_that_status_open_or_closed(wl) -> None:
    world, svc, ids = wl
    assert lead_ids(svc, world, status=ReferralStatus.CALLBACK) == [ids["Adams Bob"]]
    assert lead_ids(svc, world, status=ReferralStatus.BOOKED) == [ids["Brown Dora"]]
    assert lead_ids(svc, world, status=ReferralStatus.COMPLETED) == []


def test_closed_only_with_include_closed(wl) -> None:
    world, svc, ids = wl
    open_ids = set(lead_ids(svc, world))
    all_ids = set(lead_ids(svc, world, include_closed=True))
    assert all_ids - open_ids == {ids["Nowak Łukasz"]}  # discharged; Brown's booking is open work
    assert len(all_ids) == 12


def test_breach_within_days(wl) -> None:
    world, svc, ids = wl
    today = today_london()
    # Zieliński: urgent received 3 days ago breaches in 11 days; Ó Súilleabháin in 9 days;
    # Smith Adam: soon, 30 days ago -> 12 days; Nowakowska: soon, 20 days ago -> 22 days.
    # Brown, booked but received 200 days ago, is past breach: booked late is still a breach.
    assert set(lead_ids(svc, world, breach_within_days=11)) == {
        ids["Ó Súilleabháin *"],
        ids["Zieliński Carl"],
        ids["Brown Dora"],
    }
    assert set(lead_ids(svc, world, breach_within_days=10)) == {ids["Ó Súilleabháin *"], ids["Brown Dora"]}
    within = set(lead_ids(svc, world, breach_within_days=22))
    assert within == {
        ids["Ó Súilleabháin *"],
        ids["Zieliński Carl"],
        ids["Smith Adam"],
        ids["Nowakowska Anna"],
        ids["Brown Dora"],
    }
    row = next(r for r in svc.page(world.actor("root"), WorklistFilter(scope=Scope.ALL)))
    assert row.days_to_breach(today) == 9 and row.weeks_waited(today) == 0


def test_callbacks_due(wl) -> None:
    world, svc, ids = wl
    # Adams's callback is in two days: not due yet.
    assert lead_ids(svc, world, callbacks_due=True) == [ids["Nowakowska Anna"]]
    assert ids_of(svc.page(world.actor("amy"), WorklistFilter(callbacks_due=True))) == [
        ids["Nowakowska Anna"]
    ]
    assert svc.page(world.actor("ben"), WorklistFilter(callbacks_due=True)) == []


def test_filters_combine(wl) -> None:
    world, svc, ids = wl
    flt = dict(service=ServiceCode.PHYSIOTHERAPY, priority=Priority.ROUTINE, search="tay")
    assert lead_ids(svc, world, **flt) == [ids["Taylor Fay"], ids["Taylor Gus"]]
    assert lead_ids(svc, world, **flt, status=ReferralStatus.CONTACTING) == []


def test_claimed_by_shown_only_while_the_claim_is_live(wl) -> None:
    world, svc, ids = wl
    rows = {r.referral_id: r for r in svc.page(world.actor("root"), WorklistFilter(scope=Scope.ALL))}
    live = rows[ids["Smith Adam"]]
    assert live.claimed_by_name == "Ben Advisor"
    assert live.claimed_until is not None and live.claimed_until > utcnow()
    expired = rows[ids["Evans Eve"]]
    assert expired.claimed_by_name is None and expired.claimed_until is None
    assert expired.assigned_to_name == "Ben Advisor"
    assert rows[ids["Nowak *"]].assigned_to_name is None


def test_row_fields(wl) -> None:
    world, svc, ids = wl
    row = svc.row(world.actor("amy"), ids["Nowak *"])
    assert row is not None
    assert row.patient_name == "NOWAK, Łukasz"
    assert row.nhs_number == "9990000026"
    assert row.service is ServiceCode.PHYSIOTHERAPY and row.service_name == "Physiotherapy"
    assert row.priority is Priority.ROUTINE and row.status is ReferralStatus.AWAITING_CONTACT
    assert row.postcode == "BN7 2AA"
    today = today_london()
    assert row.received_on == today - timedelta(days=100)
    assert row.weeks_waited(today) == 14
    assert row.days_to_breach(today) == 26
    adams = svc.row(world.actor("lena"), ids["Adams Bob"])
    assert adams is not None and adams.attempt_count == 1
    assert adams.next_action_at is not None and adams.next_action_at > utcnow() + timedelta(days=1)


def test_rows_are_ordinary_frozen_dataclasses(wl) -> None:
    """page() builds rows without __init__ (for speed): they must be indistinguishable."""
    world, svc, _ = wl
    for row in svc.page(world.actor("root"), ALL_ROWS):
        again = WorklistRow(**{f.name: getattr(row, f.name) for f in fields(WorklistRow)})
        assert again == row and hash(again) == hash(row) and repr(again) == repr(row)
        assert vars(row) == vars(again)
        with pytest.raises(FrozenInstanceError):
            row.status = ReferralStatus.BOOKED  # type: ignore[misc]
        assert replace(row, attempt_count=9).attempt_count == 9
        if row.next_action_at is not None:
            assert row.next_action_at.utcoffset() == timedelta(0)


def test_row_refresh_respects_what_the_actor_may_list(wl) -> None:
    world, svc, ids = wl
    assert svc.row(world.actor("cara"), ids["Nowak *"]) is None  # another team's work
    assert svc.row(world.actor("cara"), ids["Zieliński Carl"]) is not None
    assert svc.row(world.actor("lena"), ids["Zieliński Carl"]) is None  # a lead: their team only
    assert svc.row(world.actor("root"), ids["Zieliński Carl"]) is not None
    assert svc.row(world.actor("amy"), 999_999) is None


# --- sorting and paging ------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", list(SortKey))
def test_each_sort_key_both_ways(wl, sort: SortKey) -> None:
    world, svc, _ = wl
    expected = [x["id"] for x in sorted(everything(world), key=EXPECTED_KEY[sort])]
    asc = ids_of(svc.page(world.actor("root"), ALL_ROWS, sort=sort))
    desc = ids_of(svc.page(world.actor("root"), ALL_ROWS, sort=sort, descending=True))
    assert asc == expected
    assert desc == expected[::-1]


def test_ties_are_broken_by_referral_id(wl) -> None:
    world, svc, ids = wl
    taylors = [ids["Taylor Fay"], ids["Taylor Gus"]]
    for sort in (SortKey.URGENCY, SortKey.BREACH, SortKey.RECEIVED):
        got = [i for i in ids_of(svc.page(world.actor("root"), ALL_ROWS, sort=sort)) if i in taylors]
        assert got == sorted(taylors)


@pytest.mark.parametrize("sort", [SortKey.URGENCY, SortKey.NAME, SortKey.NEXT_ACTION, SortKey.SERVICE])
@pytest.mark.parametrize("descending", [False, True])
def test_pages_have_no_gaps_or_duplicates(wl, sort: SortKey, descending: bool) -> None:
    world, svc, _ = wl
    admin = world.actor("root")
    whole = ids_of(svc.page(admin, ALL_ROWS, sort=sort, descending=descending))
    paged: list[int] = []
    for offset in range(0, 14, 5):
        paged += ids_of(svc.page(admin, ALL_ROWS, sort=sort, descending=descending, offset=offset, limit=5))
    assert paged == whole
    assert len(set(paged)) == len(paged) == svc.count(admin, ALL_ROWS) == 12
    assert svc.page(admin, ALL_ROWS, offset=12) == []


@pytest.mark.parametrize("search", ["", "999", "now", "07700 9"])
def test_count_can_stop_early(wl, search: str) -> None:
    world, svc, _ = wl
    admin = world.actor("root")
    flt = WorklistFilter(scope=Scope.ALL, include_closed=True, search=search)
    exact = svc.count(admin, flt)
    assert exact == len(svc.page(admin, flt))
    for cap in (1, 2, 5, 100):
        assert svc.count(admin, flt, at_most=cap) == min(exact, cap)
    with pytest.raises(ValidationError):
        svc.count(admin, flt, at_most=0)


def test_page_arguments_are_checked(wl) -> None:
    world, svc, _ = wl
    with pytest.raises(ValidationError):
        svc.page(world.actor("amy"), WorklistFilter(), offset=-1)
    with pytest.raises(ValidationError):
        svc.page(world.actor("amy"), WorklistFilter(), limit=0)


# --- search ------------------------------------------------------------------------------------------


def search(svc, world, text: str, who: str = "root") -> list[str]:
    scope = Scope.ALL if who == "root" else Scope.TEAM
    return names(svc.page(world.actor(who), WorklistFilter(scope=scope, search=text), sort=SortKey.NAME))


@pytest.mark.parametrize("typed", ["o su", "ó sú", "Ó SÚILLEABHÁIN", "O SUIL", "ó súilleabháin, zoë"])
def test_search_by_surname_ignores_case_and_accents(wl, typed: str) -> None:
    world, svc, _ = wl
    assert search(svc, world, typed) == ["Ó SÚILLEABHÁIN, Zoë"]


def test_search_by_surname_prefix(wl) -> None:
    world, svc, _ = wl
    assert search(svc, world, "now") == ["NOWAK, Łukasz", "NOWAKOWSKA, Anna"]
    assert search(svc, world, "Nowak") == ["NOWAK, Łukasz", "NOWAKOWSKA, Anna"]
    assert search(svc, world, "nowako") == ["NOWAKOWSKA, Anna"]
    assert search(svc, world, "smith, a") == ["SMITH, Adam"]
    assert search(svc, world, "adam smi") == ["SMITH, Adam"]
    assert search(svc, world, "zielinski") == ["ZIELIŃSKI, Carl"]
    assert search(svc, world, "zielinski", who="amy") == []  # West, outside amy's team scope


def test_search_by_nhs_number(wl) -> None:
    world, svc, _ = wl
    assert search(svc, world, "999 000 0026") == ["NOWAK, Łukasz"]
    assert search(svc, world, "9990000026") == ["NOWAK, Łukasz"]
    assert search(svc, world, "999-000-0026") == ["NOWAK, Łukasz"]
    assert search(svc, world, "999 000 0027") == []  # fails its check digit: finds nothing
    assert search(svc, world, "9990000") == ["NOWAK, Łukasz", "Ó SÚILLEABHÁIN, Zoë", "SMITH, Siobhán"]
    assert len(search(svc, world, "999")) == 11


def test_search_by_postcode(wl) -> None:
    world, svc, _ = wl
    assert search(svc, world, "bn7") == ["NOWAK, Łukasz", "ZIELIŃSKI, Carl"]
    assert search(svc, world, "BN7 2") == ["NOWAK, Łukasz"]
    assert search(svc, world, "bn72aa") == ["NOWAK, Łukasz"]
    assert search(svc, world, "bn7", who="amy") == ["NOWAK, Łukasz"]


def test_search_by_phone(wl) -> None:
    world, svc, _ = wl
    assert search(svc, world, "07700 900121") == ["NOWAK, Łukasz"]
    assert search(svc, world, "+44 7700 900121") == ["NOWAK, Łukasz"]
    # Both of Adams's numbers match: still one row for his one referral.
    assert search(svc, world, "07700 9002") == ["ADAMS, Bob"]
    flt = WorklistFilter(scope=Scope.ALL, search="07700 9002")
    assert svc.count(world.actor("root"), flt) == 1
    assert len(search(svc, world, "07700 900")) == 4


def test_search_finds_every_referral_of_the_patient(wl) -> None:
    world, svc, ids = wl
    flt = WorklistFilter(scope=Scope.ALL, search="999 000 0026", include_closed=True)
    rows = svc.page(world.actor("root"), flt, sort=SortKey.RECEIVED)
    assert ids_of(rows) == [ids["Nowak *"], ids["Nowak Łukasz"]]


@pytest.mark.parametrize("sort", [SortKey.URGENCY, SortKey.NAME])
@pytest.mark.parametrize(("narrow", "very_broad"), [(1, 10**9), (1, 1)])
def test_broad_searches_give_the_same_rows_every_way(wl, monkeypatch, sort, narrow, very_broad) -> None:
    """On SQLite a search matching many patients walks the worklist instead (see _NARROW)."""
    from cras_desk.services import worklist

    world, svc, _ = wl
    admin = world.actor("root")
    searches = ["999", "9990000", "now", "bn3", "07700 9", "07700 9002", "smith, s", "o su", "999 000 0026"]
    flts = [WorklistFilter(scope=Scope.ALL, search=q, include_closed=True) for q in searches]

    def run() -> list:
        return [
            (ids_of(svc.page(admin, f, sort)), svc.count(admin, f), svc.count(admin, f, at_most=2))
            for f in flts
        ]

    as_narrow = run()
    monkeypatch.setattr(worklist, "NARROW", narrow)
    monkeypatch.setattr(worklist, "VERY_BROAD", very_broad)
    monkeypatch.setattr(worklist, "VERY_BROAD_COUNT", very_broad)
    as_broad = run()
    assert as_broad == as_narrow
    assert [n for _, n, _ in as_narrow] == [12, 4, 3, 7, 5, 1, 1, 1, 2]
    assert [n for _, _, n in as_narrow] == [2, 2, 2, 2, 2, 1, 1, 1, 2]
    if world.db.dialect == "sqlite":
        for q in ("bn3", "07700 9"):
            plan = _plan(world, *svc.page_statement(admin, WorklistFilter(scope=Scope.ALL, search=q)))
            assert "ix_referrals_next_patient" in plan and "ix_referrals_patient" not in plan, plan
            if very_broad == 1:  # each walked row's patient (or phones) looked up, no list built
                assert "CORRELATED" in plan and "LIST SUBQUERY" not in plan, plan
                assert "ix_patient_phones_number_key" not in plan, plan


@pytest.mark.parametrize("sort", [SortKey.NAME, SortKey.NHS])
@pytest.mark.parametrize("descending", [False, True])
def test_lists_by_a_patient_column_give_the_same_rows_walked_or_sorted(wl, monkeypatch, sort, descending):
    """On SQLite a long list sorted by name or NHS number walks the patients (see WALK_PATIENTS)."""
    from cras_desk.services import worklist

    world, svc, _ = wl
    admin = world.actor("root")
    flts = [
        WorklistFilter(scope=Scope.ALL, include_closed=True),
        WorklistFilter(scope=Scope.ALL),
        WorklistFilter(scope=Scope.TEAM, to_do=True),
        WorklistFilter(scope=Scope.ALL, status=ReferralStatus.BOOKED),
    ]

    def run() -> list:
        return [
            [ids_of(svc.page(admin, f, sort, descending, offset=o, limit=3)) for o in (0, 3, 6)] for f in flts
        ]

    sorted_rows = run()
    monkeypatch.setattr(worklist, "WALK_PATIENTS", 1)
    walked_rows = run()
    assert walked_rows == sorted_rows
    assert any(len(pages[0]) == 3 for pages in sorted_rows)
    if world.db.dialect == "sqlite":
        plan = _plan(world, *svc.page_statement(admin, flts[0], sort, descending))
        inner = plan.split("SCAN page")[0]
        assert "SCAN pi USING" in inner, plan
        assert "SEARCH ri USING COVERING INDEX ix_referrals_patient" in inner, plan


@pytest.mark.parametrize("db_factory", ["postgresql"], indirect=True)  # a PostgreSQL setting
def test_postgresql_plans_each_search_afresh_for_that_search_only(wl) -> None:
    world, svc, _ = wl
    with world.db.read() as s:
        assert s.execute(text("SHOW plan_cache_mode")).scalar() == "auto"
    svc.page(world.actor("root"), WorklistFilter(scope=Scope.ALL, search="now"))
    svc.count(world.actor("root"), WorklistFilter(scope=Scope.ALL, search="now"))
    with world.db.read() as s:  # SET LOCAL: gone with the search's transaction
        assert s.execute(text("SHOW plan_cache_mode")).scalar() == "auto"


def test_a_blank_search_lists_everything_and_punctuation_alone_says_so(wl) -> None:
    world, svc, _ = wl
    assert len(search(svc, world, "  ")) == 11
    # Punctuation, or a script the search keys cannot fold, would search for nothing at all.
    for typed in ("'", "--", "Иван"):
        with pytest.raises(ValidationError, match="Type letters or digits to search"):
            search(svc, world, typed)


def _audit(world) -> list[tuple[str, dict | None, int | None]]:
    with world.db.read() as s:
        return [
            (a, d, p)
            for a, d, p in s.execute(
                select(AuditEvent.action, AuditEvent.detail, AuditEvent.patient_id).order_by(AuditEvent.id)
            )
        ]


def test_search_is_audited_by_kind_never_by_text(wl) -> None:
    world, svc, _ = wl
    admin = world.actor("root")
    before = len(_audit(world))
    svc.page(admin, WorklistFilter(scope=Scope.ALL))  # plain listing: not a search
    svc.count(admin, WorklistFilter(scope=Scope.ALL, search="now"))  # a count shows no patient
    assert len(_audit(world)) == before
    svc.page(admin, WorklistFilter(scope=Scope.ALL, search="999 000 0026"))
    svc.page(admin, WorklistFilter(scope=Scope.ALL, search="Nowak"))
    events = _audit(world)[before:]
    assert events == [
        ("search", {"kind": "nhs_number"}, None),
        ("search", {"kind": "name"}, None),
    ]
    with world.db.read() as s:
        stored = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "search"))
        dump = " ".join(str(d) for _, d, _ in events)
    assert stored == 2
    assert "0026" not in dump and "nowak" not in dump.lower()


def test_refused_search_is_not_audited(wl) -> None:
    world, svc, _ = wl
    before = len(_audit(world))
    with pytest.raises(PermissionDenied):
        svc.page(world.actor("amy"), WorklistFilter(scope=Scope.ALL, search="now"))
    assert len(_audit(world)) == before


# --- query plans (SQLite: the planner the embedded desk uses, with no ANALYZE statistics) --------------


def _plan(world, statement, params) -> str:
    """EXPLAIN QUERY PLAN of the service's own statement, bound the way SQLAlchemy binds it."""
    dialect = world.db.engine.dialect
    compiled = statement.compile(dialect=dialect)
    values = compiled.construct_params(params)
    for name, bind in compiled.binds.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None and values.get(name) is not None:
            values[name] = process(values[name])
    positional = tuple(values[name] for name in compiled.positiontup)
    with world.db.read() as s:
        rows = s.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), positional).all()
    return "\n".join(r[-1] for r in rows)


def viewer(flt: WorklistFilter) -> str:
    """Who looks: every team's list is an admin's; a team's, its lead's (an admin has no team)."""
    return "root" if flt.scope is Scope.ALL else "lena"


@pytest.mark.parametrize(
    ("flt", "sort", "index"),
    [
        (WorklistFilter(), SortKey.URGENCY, "ix_referrals_mine"),
        (WorklistFilter(scope=Scope.TEAM), SortKey.BREACH, "ix_referrals_team"),
        (WorklistFilter(scope=Scope.ALL), SortKey.URGENCY, "ix_referrals_next_patient"),
        (WorklistFilter(scope=Scope.ALL), SortKey.BREACH, "ix_referrals_open_breach"),
        (WorklistFilter(scope=Scope.TEAM, callbacks_due=True), SortKey.NEXT_ACTION, "ix_referrals_callbacks"),
    ],
)
@pytest.mark.parametrize("db_factory", ["sqlite"], indirect=True)  # PostgreSQL plans: bench/worklist.py
def test_common_pages_are_index_scans_without_a_sort(wl, flt, sort, index) -> None:
    world, svc, _ = wl
    plan = _plan(world, *svc.page_statement(world.actor(viewer(flt)), flt, sort))
    inner = plan.split("SCAN page")[0]
    assert index in inner, plan
    assert "TEMP B-TREE" not in inner, plan


@pytest.mark.parametrize("typed", ["now", "999 000 0026", "9990", "bn7", "07700 9001"])
@pytest.mark.parametrize("scope", [Scope.MINE, Scope.TEAM, Scope.ALL])
@pytest.mark.parametrize("db_factory", ["sqlite"], indirect=True)  # PostgreSQL plans: bench/worklist.py
def test_searches_start_from_the_patients_they_match(wl, typed: str, scope: Scope) -> None:
    world, svc, _ = wl
    flt = WorklistFilter(scope=scope, search=typed, service=ServiceCode.PHYSIOTHERAPY)
    for statement, params in (
        svc.page_statement(world.actor(viewer(flt)), flt),
        svc.page_statement(world.actor(viewer(flt)), flt, SortKey.NAME),
        svc.count_statement(world.actor(viewer(flt)), flt),
    ):
        plan = _plan(world, statement, params)
        assert "ix_referrals_patient" in plan, plan
        for index in ("ix_referrals_mine", "ix_referrals_team", "ix_referrals_next_patient"):
            assert index not in plan, plan


def test_key_columns_compare_bytewise(wl) -> None:
    """The '~' upper bound relies on byte order of the key columns on both engines."""
    world, _, _ = wl
    with world.db.read() as s:
        if world.db.dialect == "postgresql":
            got = s.execute(text("SELECT 'a~' > 'a z' COLLATE \"C\", 'a~' > 'azz' COLLATE \"C\"")).one()
        else:
            got = s.execute(text("SELECT 'a~' > 'a z', 'a~' > 'azz'")).one()
    assert tuple(got) == (True, True) or tuple(got) == (1, 1)


# --- date of birth, and booked referrals as open work ---------------------------------------------


@pytest.mark.parametrize("typed", ["17/05/1960", "17-05-1960", "17.05.1960", "1960-05-17", " 17/5/1960 "])
def test_search_by_date_of_birth(wl, typed: str) -> None:
    world, svc, _ = wl
    assert search(svc, world, typed) == ["NOWAK, Łukasz"]  # the discharged referral is closed
    flt = WorklistFilter(scope=Scope.ALL, search=typed, include_closed=True)
    assert len(svc.page(world.actor("root"), flt)) == 2 == svc.count(world.actor("root"), flt)


def test_search_by_a_date_of_birth_many_share(wl) -> None:
    world, svc, _ = wl
    with world.db.read() as s:
        expected = sorted(
            f"{family.upper()}, {given}"
            for family, given in s.execute(
                select(Patient.family_name, Patient.given_name)
                .join(Referral, Referral.patient_id == Patient.id)
                .where(Patient.date_of_birth == date(1970, 1, 1), Referral.is_open.is_(True))
            )
        )
    assert len(expected) > 5
    assert sorted(search(svc, world, "1/1/1970")) == expected
    assert search(svc, world, "02/01/1970") == []


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("31/02/2020", "February 2020 has 29 days"),
        ("01/01/0001", "the year 1 is outside"),
        ("1/1/9999", "the year 9999 is outside"),
        ("0001-01-01", "the year 1 is outside"),
        ("17/13/1960", "no month 13"),
    ],
)
def test_an_impossible_date_of_birth_finds_nothing_and_says_why(wl, typed: str, says: str) -> None:
    world, svc, _ = wl
    term = classify(typed)
    assert term is not None and term.kind is SearchKind.DATE_OF_BIRTH
    assert term.note is not None and says in term.note
    assert search(svc, world, typed) == []
    assert svc.count(world.actor("root"), WorklistFilter(scope=Scope.ALL, search=typed)) == 0


def test_a_date_of_birth_still_being_typed_finds_nothing(wl) -> None:
    world, svc, _ = wl
    for typed in ("17/", "17/05", "17/05/19", "1960-05"):
        assert search(svc, world, typed) == [], typed


@pytest.mark.parametrize("db_factory", ["sqlite"], indirect=True)  # PostgreSQL plans: bench/worklist.py
def test_date_of_birth_search_uses_its_index(wl) -> None:
    world, svc, _ = wl
    for flt in (
        WorklistFilter(scope=Scope.ALL, search="17/05/1960"),
        WorklistFilter(scope=Scope.TEAM, search="17/05/1960"),
        WorklistFilter(search="17/05/1960"),
    ):
        plan = _plan(world, *svc.page_statement(world.actor(viewer(flt)), flt))
        assert "ix_patients_date_of_birth" in plan, plan
        assert "ix_referrals_patient" in plan, plan


def test_the_open_view_includes_booked_referrals_and_counts_agree(wl) -> None:
    world, svc, ids = wl
    amy = world.actor("amy")
    mine = ids_of(svc.page(amy, WorklistFilter()))
    assert ids["Brown Dora"] in mine
    assert svc.count(amy, WorklistFilter()) == len(mine)
    assert ids["Nowak Łukasz"] not in mine  # discharged: closed
    # The status filter and the open view agree on what "booked" is.
    booked = lead_ids(svc, world, status=ReferralStatus.BOOKED)
    assert booked == [ids["Brown Dora"]]
    assert set(booked) <= set(lead_ids(svc, world))
    with world.db.read() as s:
        open_rows = s.scalar(select(func.count()).select_from(Referral).where(Referral.is_open.is_(True)))
    assert svc.count(world.actor("root"), WorklistFilter(scope=Scope.ALL)) == open_rows


def test_the_to_do_view_leaves_out_booked_referrals_until_a_search(wl) -> None:
    world, svc, ids = wl
    amy = world.actor("amy")
    everything_open = ids_of(svc.page(amy, WorklistFilter()))
    to_do = ids_of(svc.page(amy, WorklistFilter(to_do=True)))
    assert ids["Brown Dora"] in everything_open and ids["Brown Dora"] not in to_do
    assert to_do == [i for i in everything_open if i != ids["Brown Dora"]]
    assert svc.count(amy, WorklistFilter(to_do=True)) == len(to_do)
    # The patient who rings in about their appointment is found by a search from the same view.
    found = ids_of(svc.page(amy, WorklistFilter(to_do=True, search="Brown")))
    assert ids["Brown Dora"] in found
    # A status chosen wins over the to-do view.
    booked = WorklistFilter(to_do=True, status=ReferralStatus.BOOKED)
    assert ids_of(svc.page(amy, booked)) == [ids["Brown Dora"]]
