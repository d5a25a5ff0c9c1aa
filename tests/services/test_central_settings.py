"""The unit's central settings: one row every desk reads, changed by admins only, every change
audited, and the rules of every service follow it at their next call (both engines)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from cras_desk.db.models import AuditEvent, CentralSetting
from cras_desk.domain.central_settings import CentralSettings, clock_text, options
from cras_desk.domain.clock import LONDON, utcnow
from cras_desk.domain.contact_policy import NextStepKind
from cras_desk.domain.enums import ContactOutcome
from cras_desk.domain.errors import AuthenticationFailed, PermissionDenied, StaleState, ValidationError
from cras_desk.services.auth import AccountLocked, AuthService
from cras_desk.services.central_settings import CentralSettingsService, read
from cras_desk.services.claims import ClaimService
from cras_desk.services.contact import ContactService
from cras_desk.services.users import UserAdmin

# A Tuesday morning, in calling hours.
CALL = datetime(2026, 10, 20, 10, 0, tzinfo=LONDON)


def changes_audited(db) -> list[dict[str, object]]:
    with db.read() as s:
        return [
            d or {}
            for d in s.scalars(
                select(AuditEvent.detail)
                .where(AuditEvent.action == "change_settings")
                .order_by(AuditEvent.id)
            )
        ]


def save(world, **values: object):
    central = CentralSettingsService(world.db)
    opened = central.current(world.actor("root"))
    wanted = CentralSettings.from_mapping({**opened.settings.as_mapping(), **values})
    return central.save(world.actor("root"), wanted, opened.version)


def test_a_new_database_holds_the_defaults_and_everyone_active_reads_them(world) -> None:
    central = CentralSettingsService(world.db)
    for who in ("amy", "lena", "root"):
        now = central.current(world.actor(who))
        assert now.settings == CentralSettings() and now.version == 1
        assert now.describe() == "The unit's settings have not been changed since they were set up."


def test_an_admin_changes_them_and_the_change_is_audited_with_before_and_after(world) -> None:
    result = save(world, claim_minutes=45, max_failed_attempts=4)
    assert result.changed == ("max_failed_attempts", "claim_minutes")
    assert result.message == "Saved: 2 settings changed."
    assert result.saved.version == 2 and result.saved.updated_by == "root"
    assert result.saved.describe().startswith("Last changed by root on ")
    assert changes_audited(world.db) == [
        {"changes": {"max_failed_attempts": [3, 4], "claim_minutes": [20, 45]}, "version": 2}
    ]
    # Every desk's next read sees it.
    assert CentralSettingsService(world.db).current(world.actor("amy")).settings.claim_minutes == 45


@pytest.mark.parametrize("who", ["amy", "lena"])
def test_nobody_but_an_admin_may_change_them(world, who) -> None:
    central = CentralSettingsService(world.db)
    opened = central.current(world.actor(who))
    with pytest.raises(PermissionDenied, match="Only an admin may change the central settings"):
        central.save(world.actor(who), CentralSettings(claim_minutes=60), opened.version)
    assert central.current(world.actor("root")).version == 1 and changes_audited(world.db) == []


def test_a_colleagues_edit_is_reported_not_overwritten_and_a_retry_tells_the_truth(world) -> None:
    central = CentralSettingsService(world.db)
    root = world.actor("root")
    opened = central.current(root)
    mine = CentralSettings(claim_minutes=30)
    first = central.save(root, mine, opened.version)
    assert first.saved.version == 2
    # The same save again, as after a commit whose answer was lost: no second row, no error.
    again = central.save(root, mine, opened.version)
    assert (again.changed, again.message) == ((), "These settings were already saved.")
    assert again.saved.version == 2 and len(changes_audited(world.db)) == 1
    # A colleague's different values against the version both opened: refused, nothing lost.
    with pytest.raises(StaleState, match="changed by root since you opened them"):
        central.save(root, CentralSettings(claim_minutes=90), opened.version)
    assert central.current(root).settings.claim_minutes == 30
    nothing = central.save(root, mine, 2)
    assert nothing.message == "No changes to save."


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"claim_minutes": 5}, "A claim on a referral lasts: enter 10 to 240 minutes."),
        ({"calling_opens": 6 * 60}, "Calling hours open at: choose a time from 07:00 to 21:00."),
        ({"calling_opens": 18 * 60, "calling_closes": 17 * 60}, "Calling hours must open before they close."),
        ({"idle_lock_min_minutes": 30, "idle_lock_max_minutes": 10}, "shortest idle lock cannot be longer"),
        ({"max_failed_attempts": True}, "enter a whole number"),
        ({"lockout_until_admin_unlocks": 1}, "choose yes or no"),
        ({"claim_minute": 30}, "Unknown central setting"),
    ],
)
def test_out_of_range_values_get_a_clear_message(values, message) -> None:
    with pytest.raises(ValidationError, match=message):
        CentralSettings.from_mapping(values)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE central_settings SET claim_minutes = 0",
        "UPDATE central_settings SET calling_opens = 1200, calling_closes = 600",
        "INSERT INTO central_settings SELECT 2, max_failed_attempts, min_distinct_days, "
        "require_distinct_times_of_day, respond_within_days, calling_opens, calling_closes, claim_minutes, "
        "idle_lock_min_minutes, idle_lock_max_minutes, lockout_failures, lockout_minutes, "
        "lockout_until_admin_unlocks, version, updated_at, updated_by FROM central_settings",
    ],
)
def test_the_database_itself_refuses_a_value_out_of_range_or_a_second_row(world, sql) -> None:
    with pytest.raises(IntegrityError), world.db.write() as s:
        s.execute(text(sql))
    with world.db.read() as s:
        assert read(s) == CentralSettings()


def test_the_row_cannot_be_deleted_on_sqlite(sqlite_world) -> None:
    with pytest.raises(DBAPIError, match="cannot be deleted"), sqlite_world.db.write() as s:
        s.execute(text("DELETE FROM central_settings"))


def test_the_contact_policy_is_the_units(world) -> None:
    amy, rid = world.actor("amy"), world.referrals["Ó Súilleabháin"]
    contact = ContactService(world.db)
    assert contact.preview(amy, rid, ContactOutcome.NO_ANSWER, at=CALL).kind is NextStepKind.KEEP_TRYING
    save(world, max_failed_attempts=1, min_distinct_days=1, require_distinct_times_of_day=False)
    step = contact.preview(amy, rid, ContactOutcome.NO_ANSWER, at=CALL)
    assert step.kind is NextStepKind.SEND_UTC_LETTER


def test_calling_hours_are_the_units(world) -> None:
    amy, rid = world.actor("amy"), world.referrals["Ó Súilleabháin"]
    evening = CALL.replace(hour=19, minute=30)
    save(world, calling_closes=18 * 60)
    with pytest.raises(ValidationError, match="09:00 to 18:00"):
        ContactService(world.db).record_attempt(
            amy, rid, ContactOutcome.CALLBACK_REQUESTED, at=CALL, callback_at=evening
        )
    save(world, calling_closes=20 * 60)
    ContactService(world.db).record_attempt(
        amy, rid, ContactOutcome.CALLBACK_REQUESTED, at=CALL, callback_at=evening
    )


def test_a_claim_lasts_the_units_claim_minutes(world) -> None:
    amy, rid = world.actor("amy"), world.referrals["Ó Súilleabháin"]
    save(world, claim_minutes=90)
    before = utcnow()
    claim = ClaimService(world.db).claim(amy, rid)
    assert before + timedelta(minutes=89) < claim.until <= utcnow() + timedelta(minutes=90)


def test_the_lockout_rule_is_the_units_and_can_wait_for_an_admin(world) -> None:
    save(world, lockout_failures=3, lockout_until_admin_unlocks=True)
    auth = AuthService(world.db)
    for _ in range(2):
        with pytest.raises(AuthenticationFailed) as wrong:
            auth.sign_in("amy", "not the password")
        assert not isinstance(wrong.value, AccountLocked)
    with pytest.raises(AccountLocked, match="ask an admin to unlock it"):
        auth.sign_in("amy", "not the password")
    days_later = AuthService(world.db, clock=lambda: utcnow() + timedelta(days=400))
    with pytest.raises(AccountLocked, match="ask an admin to unlock it"):
        days_later.sign_in("amy", "not the password")
    UserAdmin(world.db).unlock(world.actor("root"), world.actor("amy").user_id)
    with pytest.raises(AuthenticationFailed) as after:
        auth.sign_in("amy", "not the password")
    assert not isinstance(after.value, AccountLocked)


def test_the_idle_lock_a_desk_chooses_is_held_to_the_units_bounds() -> None:
    unit = CentralSettings(idle_lock_min_minutes=2, idle_lock_max_minutes=10)
    assert [unit.idle_lock_minutes(m) for m in (1, 5, 60)] == [2, 5, 10]


def test_every_option_has_a_label_and_its_range_matches_the_migration() -> None:
    from importlib import import_module

    migration = import_module("cras_desk.db.migrations.versions.0012_central_settings")
    defaults = CentralSettings()
    for name, meta in options():
        assert meta["label"]
        spec = migration.OPTIONS[name]
        if isinstance(spec, bool):
            assert "range" not in meta and spec == getattr(defaults, name)
        else:
            assert (getattr(defaults, name), *meta["range"]) == spec
    assert [n for n, _ in options()] == list(migration.OPTIONS)
    assert set(CentralSetting.__table__.c.keys()) == {
        *migration.OPTIONS,
        "id",
        "version",
        "updated_at",
        "updated_by",
    }
    assert clock_text(9 * 60 + 5) == "09:05"
