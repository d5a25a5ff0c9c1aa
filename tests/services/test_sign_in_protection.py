"""Sign-in protections on both engines: lockout after N wrong passwords (and its end, and an
admin's unlock), scrypt and weak Argon2 hashes replaced at the next good sign-in, passwords with
control characters or of hashing-DoS length refused, and an unknown user costing a hash too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session
from world import PASSWORD

from cras_desk.db.models import AuditEvent, User
from cras_desk.domain.errors import AuthenticationFailed, NotFound, PermissionDenied, ValidationError
from cras_desk.services import auth as auth_module
from cras_desk.services.auth import NOT_RIGHT, AccountLocked, AuthService
from cras_desk.services.passwords import MAX_LENGTH, needs_rehash, scrypt_hash, verify_password
from cras_desk.services.sign_in_policy import SignInPolicy
from cras_desk.services.users import UserAdmin


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def three_then_ten(_s: Session) -> SignInPolicy:
    return SignInPolicy(max_failures=3, lockout_minutes=10)


def audit_actions(db, user_id: int) -> list[str]:
    with db.read() as s:
        return list(
            s.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.entity == "user", AuditEvent.entity_id == user_id)
                .order_by(AuditEvent.id)
            )
        )


def user_row(db, username: str) -> User:
    with db.read() as s:
        return s.scalars(select(User).where(User.username == username)).one()


def refused(auth: AuthService, username: str, password: str) -> AuthenticationFailed:
    with pytest.raises(AuthenticationFailed) as caught:
        auth.sign_in(username, password)
    return caught.value


def test_lockout_after_n_failures_hides_whether_the_password_was_right(world) -> None:
    clock = Clock()
    auth = AuthService(world.db, policy=three_then_ten, clock=clock)
    amy = world.actor("amy").user_id
    for _ in range(2):
        err = refused(auth, "amy", "wrong password")
        assert str(err) == NOT_RIGHT and not isinstance(err, AccountLocked)
    third = refused(auth, "amy", "wrong password")
    assert isinstance(third, AccountLocked)
    assert "locked" in str(third) and "ask an admin" in str(third)

    right = refused(auth, "amy", PASSWORD)
    wrong = refused(auth, "amy", "still wrong")
    assert isinstance(right, AccountLocked) and str(right) == str(wrong) == str(third)
    row = user_row(world.db, "amy")
    assert row.failed_sign_ins == 3  # tries while locked do not count on
    assert row.locked_until == clock.now + timedelta(minutes=10)
    assert audit_actions(world.db, amy) == [
        "sign_in_failed",
        "sign_in_failed",
        "sign_in_failed",
        "account_locked",
        "sign_in_failed",
        "sign_in_failed",
    ]
    # Another user is not touched by amy's lock.
    assert auth.sign_in("ben", PASSWORD).username == "ben"


def test_the_lock_runs_out_and_a_fresh_count_starts(world) -> None:
    clock = Clock()
    auth = AuthService(world.db, policy=three_then_ten, clock=clock)
    for _ in range(3):
        refused(auth, "amy", "wrong password")
    clock.now += timedelta(minutes=9, seconds=59)
    assert isinstance(refused(auth, "amy", PASSWORD), AccountLocked)
    clock.now += timedelta(seconds=2)
    # One wrong password after the lock has run out is one failure, not the fourth.
    assert not isinstance(refused(auth, "amy", "wrong password"), AccountLocked)
    assert user_row(world.db, "amy").failed_sign_ins == 1
    assert auth.sign_in("amy", PASSWORD).username == "amy"
    row = user_row(world.db, "amy")
    assert (row.failed_sign_ins, row.locked_until) == (0, None)


def test_a_good_sign_in_resets_the_count(world) -> None:
    auth = AuthService(world.db, policy=three_then_ten, clock=Clock())
    for _ in range(2):
        refused(auth, "amy", "wrong password")
    auth.sign_in("amy", PASSWORD)
    for _ in range(2):
        assert not isinstance(refused(auth, "amy", "wrong password"), AccountLocked)
    assert auth.sign_in("amy", PASSWORD).username == "amy"


def test_the_default_policy_locks_after_five(world) -> None:
    auth = AuthService(world.db)
    results = [refused(auth, "cara", "wrong password") for _ in range(5)]
    assert [isinstance(r, AccountLocked) for r in results] == [False] * 4 + [True]
    assert isinstance(refused(auth, "cara", PASSWORD), AccountLocked)


def test_the_policy_is_read_from_the_session_at_each_sign_in(world) -> None:
    seen: list[object] = []

    def policy(s: Session) -> SignInPolicy:
        seen.append(s)
        return SignInPolicy(max_failures=1, lockout_minutes=1)

    auth = AuthService(world.db, policy=policy, clock=Clock())
    assert isinstance(refused(auth, "amy", "wrong password"), AccountLocked)
    assert len(seen) == 1 and isinstance(seen[0], Session)


def test_an_admin_unlocks_and_nobody_else_can(world) -> None:
    auth = AuthService(world.db, policy=three_then_ten, clock=Clock())
    amy = world.actor("amy").user_id
    for _ in range(3):
        refused(auth, "amy", "wrong password")
    for who in ("amy", "lena"):
        with pytest.raises(PermissionDenied):
            UserAdmin(world.db).unlock(world.actor(who), amy)
    assert isinstance(refused(auth, "amy", PASSWORD), AccountLocked)
    UserAdmin(world.db).unlock(world.actor("root"), amy)
    assert auth.sign_in("amy", PASSWORD).username == "amy"
    with world.db.read() as s:
        unlocked = s.scalars(select(AuditEvent).where(AuditEvent.action == "unlock_user")).one()
    assert (unlocked.user_id, unlocked.entity_id) == (world.actor("root").user_id, amy)
    assert unlocked.detail == {"was_locked": True}
    with pytest.raises(NotFound):
        UserAdmin(world.db).unlock(world.actor("root"), 999_999)


def test_the_idle_lock_counts_towards_the_lockout(world) -> None:
    auth = AuthService(world.db, policy=three_then_ten, clock=Clock())
    amy = world.actor("amy")
    assert [auth.verify(amy, "wrong password") for _ in range(2)] == [False] * 2
    with pytest.raises(AccountLocked, match="Try again after 09:10"):
        auth.verify(amy, "wrong password")  # the third locks the account, and says so
    with pytest.raises(AccountLocked):
        auth.verify(amy, PASSWORD)  # locked: the desk stays locked too
    assert isinstance(refused(auth, "amy", PASSWORD), AccountLocked)
    assert audit_actions(world.db, amy.user_id).count("unlock_failed") == 4


def test_scrypt_hash_is_rehashed_to_argon2id_at_the_next_sign_in(world) -> None:
    old = scrypt_hash(PASSWORD, b"sixteen byte slt")
    assert verify_password(PASSWORD, old) and needs_rehash(old)
    with world.db.write() as s:
        s.scalars(select(User).where(User.username == "amy")).one().password_hash = old
    auth = AuthService(world.db)
    refused(auth, "amy", "wrong password")
    assert user_row(world.db, "amy").password_hash == old  # a wrong password changes nothing
    assert auth.sign_in("amy", PASSWORD).username == "amy"
    new = user_row(world.db, "amy").password_hash
    assert new.startswith("$argon2id$") and not needs_rehash(new)
    assert auth.sign_in("amy", PASSWORD).username == "amy"
    assert user_row(world.db, "amy").password_hash == new  # rehashed once, not at every sign-in
    assert audit_actions(world.db, world.actor("amy").user_id).count("password_rehashed") == 1


def test_argon2_hash_below_current_parameters_is_rehashed(world) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with world.db.write() as s:
        s.scalars(select(User).where(User.username == "ben")).one().password_hash = weak
    AuthService(world.db).sign_in("ben", PASSWORD)
    stronger = user_row(world.db, "ben").password_hash
    assert stronger != weak and not needs_rehash(stronger)


@pytest.mark.parametrize(
    "password",
    [PASSWORD + "\x00", PASSWORD + "\x00anything", "\x00" + PASSWORD, PASSWORD + "\n", PASSWORD + "\x7f"],
)
def test_control_characters_are_a_failed_sign_in(world, password: str) -> None:
    auth = AuthService(world.db, policy=three_then_ten, clock=Clock())
    assert str(refused(auth, "amy", password)) == NOT_RIGHT
    assert user_row(world.db, "amy").failed_sign_ins == 1
    with world.db.read() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in_failed")).one()
    assert "control characters" in event.detail["reason"]


def test_nul_in_the_user_name_is_a_failed_sign_in_not_a_crash(world) -> None:
    auth = AuthService(world.db)
    assert str(refused(auth, "amy\x00", PASSWORD)) == NOT_RIGHT
    with world.db.read() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in_failed")).one()
    assert event.detail["username"] == "amy?"


def test_an_over_long_password_is_refused_without_hashing(world, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(auth_module, "verify_password", lambda pw, stored: calls.append(stored) or False)
    auth = AuthService(world.db)
    assert str(refused(auth, "amy", "x" * (MAX_LENGTH + 1))) == NOT_RIGHT
    assert calls == []
    assert user_row(world.db, "amy").failed_sign_ins == 1


def test_setting_a_password_refuses_control_characters_and_excess_length(world) -> None:
    auth = AuthService(world.db)
    root, amy = world.actor("root"), world.actor("amy")
    with pytest.raises(ValidationError, match="control characters"):
        auth.set_password(amy, amy.user_id, "new password\x00")
    with pytest.raises(ValidationError, match="control characters"):
        auth.create_user(root, "dora", "Dora Day", "tab\tin the middle", world.actor("amy").role, None)
    with pytest.raises(ValidationError, match="at most 1,024"):
        auth.set_password(root, amy.user_id, "y" * (MAX_LENGTH + 1))
    auth.set_password(amy, amy.user_id, "y" * MAX_LENGTH)
    assert auth.sign_in("amy", "y" * MAX_LENGTH).username == "amy"


def test_every_answer_costs_one_hash(world, monkeypatch: pytest.MonkeyPatch) -> None:
    """The unknown, inactive and locked paths verify a hash like the wrong-password path, so the
    time a sign-in takes does not say which user names exist or which accounts are locked."""
    real = auth_module.verify_password
    calls: list[str] = []

    def counting(password: str, stored: str) -> bool:
        calls.append(stored)
        return real(password, stored)

    monkeypatch.setattr(auth_module, "verify_password", counting)
    auth = AuthService(world.db, policy=lambda _s: SignInPolicy(max_failures=1), clock=Clock())
    with world.db.write() as s:
        s.scalars(select(User).where(User.username == "ben")).one().active = False
    refused(auth, "nobody", PASSWORD)
    refused(auth, "ben", PASSWORD)
    refused(auth, "amy", "wrong password")  # locks amy
    refused(auth, "amy", PASSWORD)
    assert len(calls) == 4
    assert calls[0] == auth_module._dummy_hash()
    assert all(stored.startswith("$argon2id$") for stored in calls)
