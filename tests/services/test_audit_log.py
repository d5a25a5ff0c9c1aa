"""The admin's audit viewer service: exact results over the known world, the demo seed read through,
CSV read back, the search and the export audited themselves, everyone but an active admin refused."""

from __future__ import annotations

import csv
import os
import stat
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, update

from cras_desk.db.models import ROW_CHANGE_ACTIONS, AuditEvent, Patient, User
from cras_desk.domain.clock import LONDON, today_london
from cras_desk.domain.enums import Role
from cras_desk.domain.errors import PermissionDenied, ValidationError
from cras_desk.services import audit
from cras_desk.services.actor import Actor
from cras_desk.services.audit_log import (
    COUNT_CAP,
    CSV_HEADINGS,
    EXPORT_BATCH,
    AuditFilters,
    AuditLog,
    parse_day,
)
from cras_desk.services.patient_record import PatientRecordService

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "seed"))

from seed_layer import load, seed_demo

TODAY = today_london()
# Noon UTC is the same UK day in summer and winter alike.
DAY_1 = datetime.combine(TODAY - timedelta(days=10), datetime.min.time(), UTC).replace(hour=12)
DAY_2 = DAY_1 + timedelta(days=3)
DAY_3 = DAY_1 + timedelta(days=6)


def _patient_id(world, nhs: str) -> int:
    with world.db.read() as s:
        return s.scalar(select(Patient.id).where(Patient.nhs_number == nhs))


def _fill(world) -> dict[str, int]:
    """Six known events: (when, who, action, patient), ids returned by a short name."""
    zoe, lukasz = _patient_id(world, "9990000018"), _patient_id(world, "9990000026")
    amy, ben, lena = (world.actor(n).user_id for n in ("amy", "ben", "lena"))
    events = [
        ("amy-view-zoe", DAY_1, amy, "view_record", zoe),
        ("ben-view-lukasz", DAY_1, ben, "view_record", lukasz),
        ("amy-call-zoe", DAY_2, amy, "record_call", zoe),
        ("lena-reassign", DAY_2, lena, "reassign", lukasz),
        ("amy-view-lukasz", DAY_3, amy, "view_record", lukasz),
        ("anon-sign-in-failed", DAY_3, None, "sign_in_failed", None),
    ]
    ids: dict[str, int] = {}
    with world.db.write() as s:
        for name, at, user_id, action, patient in events:
            row = audit.event_row(at, user_id, action, "referral", 7, patient, {"n": name})
            s.connection().execute(insert(AuditEvent), [row])
            ids[name] = s.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    return ids


def _names(page, ids: dict[str, int]) -> list[str]:
    """The known events on the page by name (the earlier searches' own rows left out)."""
    by_id = {v: k for k, v in ids.items()}
    return [by_id[e.id] for e in page.entries if e.action not in ("audit_search", *ROW_CHANGE_ACTIONS)]


def _row_changes(world) -> int:
    """The rows PostgreSQL's own triggers wrote while the world was made (none on SQLite)."""
    with world.db.read() as s:
        return s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action.in_(ROW_CHANGE_ACTIONS))
        )


def _searches(db) -> list[tuple[int | None, str, dict | None]]:
    with db.read() as s:
        return list(
            s.execute(
                select(AuditEvent.user_id, AuditEvent.action, AuditEvent.detail)
                .where(AuditEvent.action.in_(("audit_search", "audit_export")))
                .order_by(AuditEvent.id)
            )
        )


def test_search_filters_exactly_newest_first(world) -> None:
    ids = _fill(world)
    log, root = AuditLog(world.db), world.actor("root")
    everything = log.search(root, AuditFilters())
    assert _names(everything, ids) == [
        "anon-sign-in-failed",
        "amy-view-lukasz",
        "lena-reassign",
        "amy-call-zoe",
        "ben-view-lukasz",
        "amy-view-zoe",
    ]
    assert (everything.total, everything.total_capped, everything.next_before_id) == (
        6 + _row_changes(world),  # and on PostgreSQL the rows its triggers wrote as the world was made
        False,
        None,
    )
    assert everything.total_words == f"{6 + _row_changes(world)} events"
    first = everything.entries[1]
    assert (first.username, first.action, first.entity, first.entity_id, first.nhs_number) == (
        "amy",
        "view_record",
        "referral",
        7,
        "9990000026",
    )
    assert first.detail == {"n": "amy-view-lukasz"}
    assert _names(log.search(root, AuditFilters(user="amy")), ids) == [
        "amy-view-lukasz",
        "amy-call-zoe",
        "amy-view-zoe",
    ]
    # A user id does what the user name does; case and spaces around a name do not matter.
    amy_id = str(world.actor("amy").user_id)
    assert _names(log.search(root, AuditFilters(user=amy_id)), ids) == _names(
        log.search(root, AuditFilters(user="  AMY ")), ids
    )
    assert _names(log.search(root, AuditFilters(nhs_number="999 000 0026")), ids) == [
        "amy-view-lukasz",
        "lena-reassign",
        "ben-view-lukasz",
    ]
    assert _names(log.search(root, AuditFilters(action="view_record")), ids) == [
        "amy-view-lukasz",
        "ben-view-lukasz",
        "amy-view-zoe",
    ]
    day_2 = DAY_2.date()
    assert _names(log.search(root, AuditFilters(date_from=day_2, date_to=day_2)), ids) == [
        "lena-reassign",
        "amy-call-zoe",
    ]
    assert _names(log.search(root, AuditFilters(date_from=day_2)), ids)[-1] == "amy-call-zoe"
    assert _names(log.search(root, AuditFilters(date_to=day_2)), ids)[0] == "lena-reassign"
    combined = AuditFilters(user="amy", nhs_number="9990000026", action="view_record", date_from=DAY_3.date())
    assert _names(log.search(root, combined), ids) == ["amy-view-lukasz"]
    none = log.search(root, AuditFilters(user="ben", action="reassign"))
    assert (none.entries, none.total, none.total_words) == ([], 0, "0 events")
    # A valid NHS number nobody in the database has finds nothing (and says no more).
    quiet = AuditFilters(nhs_number="9990000034", date_from=DAY_1.date(), date_to=DAY_3.date())
    assert log.search(root, quiet).total == 0  # on the known days (the database wrote her insert today)


def test_pages_are_keyset_on_the_id_newest_first(world) -> None:
    ids = _fill(world)
    log, root = AuditLog(world.db), world.actor("root")
    seen: list[str] = []
    before = None
    pages = 0
    while True:
        # The known days only: PostgreSQL's own triggers wrote rows of their own as the world was
        # made, and each search here is an event of its own (both today).
        page = log.search(
            root, AuditFilters(date_from=DAY_1.date(), date_to=DAY_3.date()), before_id=before, limit=4
        )
        assert page.total == 6
        seen += [n for n in _names_or_search(page, ids)]
        pages += 1
        if page.next_before_id is None:
            break
        before = page.next_before_id
    assert pages == 2
    assert [n for n in seen if n != "search"] == [
        "anon-sign-in-failed",
        "amy-view-lukasz",
        "lena-reassign",
        "amy-call-zoe",
        "ben-view-lukasz",
        "amy-view-zoe",
    ]
    # The second page starts below the first page's last row: the first search's own row, written
    # after the first page was read, is newer than both and on neither.
    assert "search" not in seen


def _names_or_search(page, ids: dict[str, int]) -> list[str]:
    by_id = {v: k for k, v in ids.items()}
    return [by_id.get(e.id, "search") for e in page.entries]


def test_every_search_is_audited_with_its_filters_not_its_results(world) -> None:
    _fill(world)
    log, root = AuditLog(world.db), world.actor("root")
    page = log.search(root, AuditFilters(user="amy", date_from=DAY_1.date(), action="view_record"))
    log.search(root, AuditFilters(), before_id=page.entries[0].id)
    searches = _searches(world.db)
    assert searches == [
        (
            root.user_id,
            "audit_search",
            {"filters": {"user": "amy", "date_from": DAY_1.date().isoformat(), "action": "view_record"}},
        ),
        (root.user_id, "audit_search", {"filters": {}, "before_id": page.entries[0].id}),
    ]
    # The search that follows finds the first one among the events.
    newest = log.search(root, AuditFilters(action="audit_search"))
    assert [e.action for e in newest.entries] == ["audit_search", "audit_search"]


def test_nonsense_filters_are_refused_with_a_clear_message_and_not_audited(world) -> None:
    log, root = AuditLog(world.db), world.actor("root")
    cases = [
        (AuditFilters(user="nobody"), "User: nobody has the user name or id 'nobody'."),
        (AuditFilters(user="99999999999999999999"), "User: no user has the id 99999999999999999999."),
        (AuditFilters(user="4242"), "User: nobody has the user name or id '4242'."),
        (AuditFilters(nhs_number="123"), "NHS number: "),
        (AuditFilters(nhs_number="9990000019"), "NHS number: "),
        (AuditFilters(date_from=date(1, 1, 1)), "Date from: 01/01/0001 is outside the audit trail"),
        (AuditFilters(date_to=TODAY + timedelta(days=1)), "Date to: "),
        (
            AuditFilters(date_from=TODAY, date_to=TODAY - timedelta(days=1)),
            f"Date from ({TODAY:%d/%m/%Y}) is after date to",
        ),
    ]
    for filters, message in cases:
        with pytest.raises(ValidationError) as caught:
            log.search(root, filters)
        assert str(caught.value).startswith(message), (filters, str(caught.value))
    with pytest.raises(ValidationError):
        log.search(root, AuditFilters(), limit=0)
    assert _searches(world.db) == []


def test_parse_day_takes_uk_and_iso_dates_and_explains_the_rest() -> None:
    assert parse_day("", "Date from") is None
    assert parse_day(" 7/4/2026 ", "Date from") == date(2026, 4, 7)
    assert parse_day("2026-04-07", "Date from") == date(2026, 4, 7)
    assert parse_day("07.04.2026", "Date to") == date(2026, 4, 7)
    faults = {
        "yesterday": "Date from: 'yesterday' is not a date. Type day/month/year, e.g. 17/05/2026.",
        "31/02/2026": "Date from: 31/02/2026 is not a date on the calendar.",
        "01/01/1999": "Date from: 01/01/1999 is outside the audit trail, which runs from 01/01/2000",
        "9999-12-31": "Date from: 31/12/9999 is outside the audit trail",
        "1/1/0000": "Date from: 1/1/0000 is not a date on the calendar.",
    }
    for typed, message in faults.items():
        with pytest.raises(ValidationError) as caught:
            parse_day(typed, "Date from")
        assert str(caught.value).startswith(message), str(caught.value)


@pytest.mark.parametrize("who", ["amy", "lena"])
def test_only_an_admin_may_search_or_export(world, who: str, tmp_path: Path) -> None:
    _fill(world)
    log = AuditLog(world.db)
    with pytest.raises(PermissionDenied):
        log.search(world.actor(who), AuditFilters())
    with pytest.raises(PermissionDenied):
        log.actions(world.actor(who))
    with pytest.raises(PermissionDenied):
        log.export_csv(world.actor(who), AuditFilters(), tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()
    assert _searches(world.db) == []


def test_a_forged_or_deactivated_admin_is_refused(world, tmp_path: Path) -> None:
    log = AuditLog(world.db)
    amy = world.actor("amy")
    forged = Actor(amy.user_id, amy.username, amy.full_name, Role.ADMIN, amy.team_id)
    with pytest.raises(PermissionDenied):
        log.search(forged, AuditFilters())
    root = world.actor("root")
    with world.db.write() as s:
        s.execute(update(User).where(User.id == root.user_id).values(active=False))
    with pytest.raises(PermissionDenied):
        log.search(root, AuditFilters())
    with pytest.raises(PermissionDenied):
        log.export_csv(root, AuditFilters(), tmp_path / "out.csv")
    assert _searches(world.db) == []


def test_actions_lists_what_the_trail_holds(world) -> None:
    _fill(world)
    found = AuditLog(world.db).actions(world.actor("root"))
    made_by_the_database = [a for a in found if a in ROW_CHANGE_ACTIONS]
    assert bool(made_by_the_database) == (world.db.dialect == "postgresql")
    assert [a for a in found if a not in ROW_CHANGE_ACTIONS] == [
        "reassign",
        "record_call",
        "sign_in_failed",
        "view_record",
    ]


def test_export_writes_a_private_csv_that_reads_back_and_is_audited(world, tmp_path: Path) -> None:
    ids = _fill(world)
    with world.db.write() as s:  # a name typed at a desk must not become a spreadsheet formula
        s.execute(update(User).where(User.username == "ben").values(username="=cmd|calc"))
    log, root = AuditLog(world.db), world.actor("root")
    path = tmp_path / "audit.csv"
    old = os.umask(0o022)
    try:
        known_days = AuditFilters(nhs_number="9990000026", date_from=DAY_1.date(), date_to=DAY_3.date())
        written = log.export_csv(root, known_days, path)
    finally:
        os.umask(old)
    assert written == 3
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == CSV_HEADINGS
    assert [int(r[0]) for r in rows[1:]] == [
        ids["amy-view-lukasz"],
        ids["lena-reassign"],
        ids["ben-view-lukasz"],
    ]
    assert rows[1][2:7] == ["amy", "view_record", "referral", "7", "9990000026"]
    assert rows[1][7] == '{"n": "amy-view-lukasz"}'
    assert rows[3][2] == "'=cmd|calc"
    assert rows[1][1] == DAY_3.astimezone(LONDON).strftime("%Y-%m-%d %H:%M:%S")
    assert _searches(world.db) == [(root.user_id, "audit_export", {"filters": known_days.described()})]


def test_export_streams_in_batches_past_one_batch(world, tmp_path: Path) -> None:
    """More events than one batch holds: every one written once, newest first."""
    n = EXPORT_BATCH * 2 + 5
    amy = world.actor("amy").user_id
    with world.db.write() as s:
        s.connection().execute(
            insert(AuditEvent),
            [audit.event_row(DAY_1, amy, "view_record", "referral", i, None, None) for i in range(n)],
        )
    root = world.actor("root")
    path = tmp_path / "big.csv"
    assert AuditLog(world.db).export_csv(root, AuditFilters(user="amy"), path) == n
    with path.open(newline="", encoding="utf-8") as f:
        record_ids = [int(r[5]) for r in list(csv.reader(f))[1:]]
    assert record_ids == list(range(n - 1, -1, -1))
    page = AuditLog(world.db).search(root, AuditFilters(user="amy"))
    assert (page.total, page.total_capped) == (n, False)


def test_the_count_stops_at_the_cap(world) -> None:
    amy = world.actor("amy").user_id
    with world.db.write() as s:
        s.connection().execute(
            insert(AuditEvent),
            [
                audit.event_row(DAY_1, amy, "view_record", "referral", i, None, None)
                for i in range(COUNT_CAP + 1)
            ],
        )
    page = AuditLog(world.db).search(world.actor("root"), AuditFilters(), limit=10)
    assert (page.total, page.total_capped, page.total_words) == (COUNT_CAP, True, "more than 10,000 events")
    assert len(page.entries) == 10 and page.next_before_id == page.entries[-1].id


def test_the_demo_seed_reads_through(db_factory, tmp_path: Path) -> None:
    """Records opened by advisors over the real demo seed: found by NHS number, user and action,
    and every event of the trail exported and read back."""
    seeded = load(db_factory.make("demo-seed", seed_demo), TODAY)
    records = PatientRecordService(seeded.db)
    opened: list[tuple[str, str]] = []  # (advisor, NHS number)
    for referral_ids in seeded.sample.values():
        for rid in referral_ids[:1]:
            advisor = seeded.advisor_for(rid)
            record = records.open(advisor, rid)
            opened.append((advisor.username, record.nhs_number))
    admin = next(a for a in seeded.actors.values() if a.role is Role.ADMIN)
    log = AuditLog(seeded.db)
    for username, nhs in opened:
        page = log.search(admin, AuditFilters(nhs_number=nhs, user=username))
        assert page.total >= 1 and {e.nhs_number for e in page.entries} == {nhs}
        assert {e.username for e in page.entries} == {username}
    with seeded.db.read() as s:
        in_trail = s.scalar(select(func.count()).select_from(AuditEvent))
    path = tmp_path / "all.csv"
    written = log.export_csv(admin, AuditFilters(), path)
    assert written == in_trail + 1  # the export's own row is written before the walk, so it is in
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))[1:]
    assert len(rows) == written and rows[0][3] == "audit_export"
    assert {nhs for _, nhs in opened} <= {r[6] for r in rows}
