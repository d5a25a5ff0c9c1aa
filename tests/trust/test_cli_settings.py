"""`cras-desk settings show|set`: an admin reads and changes the central settings from a script,
through the same service and checks as the admin screen; anyone else is refused."""

from __future__ import annotations

import io

from cras_desk.cli.settings import settings_command
from cras_desk.services.central_settings import CentralSettingsService

PASSWORD = "correct horse 1"  # the test world's (tests/world.py)


def run(db, command: str, capsys, *assignments: str, user: str = "root") -> tuple[int, str, str]:
    code = settings_command(db, command, list(assignments), user, io.StringIO(f"{PASSWORD}\n"))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_an_admin_shows_and_sets_the_settings(sqlite_world, capsys) -> None:
    db = sqlite_world.db
    code, out, _ = run(db, "show", capsys)
    assert code == 0
    assert "calling_opens = 09:00  (Calling hours open at; 420-1260 time)" in out
    assert "lockout_until_admin_unlocks = no" in out
    assert out.rstrip().endswith("have not been changed since they were set up.")
    code, out, err = run(
        db, "set", capsys, "claim_minutes=30", "calling_closes=18:30", "lockout_until_admin_unlocks=yes"
    )
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "Saved: 3 settings changed.",
        "  calling_closes = 18:30",
        "  claim_minutes = 30",
        "  lockout_until_admin_unlocks = yes",
    ]
    now = CentralSettingsService(db).current(sqlite_world.actor("amy")).settings
    assert (now.claim_minutes, now.calling_closes, now.lockout_until_admin_unlocks) == (30, 1110, True)


def test_bad_values_are_refused_with_the_rule_and_nothing_changes(sqlite_world, capsys) -> None:
    db = sqlite_world.db
    for assignment, says in (
        ("claim_minutes=5", "A claim on a referral lasts: enter 10 to 240 minutes."),
        ("claim_minutes=ten", "claim_minutes: give a whole number."),
        ("calling_opens=9am", "calling_opens: give a time as HH:MM"),
        ("claims=30", "Not a setting: 'claims=30'"),
        ("require_distinct_times_of_day=maybe", "say yes or no"),
    ):
        code, out, err = run(db, "set", capsys, assignment)
        assert code == 1 and out == "" and says in err, err
    assert CentralSettingsService(db).current(sqlite_world.actor("root")).version == 1


def test_anyone_but_an_admin_is_refused(sqlite_world, capsys) -> None:
    code, _, err = run(sqlite_world.db, "set", capsys, "claim_minutes=30", user="lena")
    assert code == 2 and "lena is not an admin." in err
    assert CentralSettingsService(sqlite_world.db).current(sqlite_world.actor("root")).version == 1
