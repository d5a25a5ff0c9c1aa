from __future__ import annotations

import pytest
from sqlalchemy import select

from cras_desk.db.models import ROW_CHANGE_ACTIONS, AuditEvent, User
from cras_desk.domain.enums import Role
from cras_desk.domain.errors import AuthenticationFailed, PermissionDenied, ValidationError
from cras_desk.services.audit import AuditService
from cras_desk.services.auth import AuthService
from cras_desk.services.passwords import hash_password, verify_password

PASSWORD = "correct horse 1"


def test_password_hash_is_salted_argon2id_and_verifies() -> None:
    a, b = hash_password("s3cret-pass"), hash_password("s3cret-pass")
    assert a != b and a.startswith("$argon2id$")
    assert "s3cret-pass" not in a
    assert verify_password("s3cret-pass", a)
    assert not verify_password("s3cret-pasS", a)
    assert not verify_password("x", "garbage")


def test_sign_in(world) -> None:
    auth = AuthService(world.db)
    actor = auth.sign_in(" AMY ", PASSWORD)
    assert (actor.username, actor.role) == ("amy", Role.ADVISOR)
    with pytest.raises(AuthenticationFailed):
        auth.sign_in("amy", "wrong")
    with pytest.raises(AuthenticationFailed):
        auth.sign_in("nobody", PASSWORD)
    with world.db.read() as s:
        # The world's own rows, written by PostgreSQL's row-change triggers as it was built, aside.
        actions = s.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.action.not_in(ROW_CHANGE_ACTIONS))
            .order_by(AuditEvent.id)
        ).all()
    assert actions == ["sign_in", "sign_in_failed", "sign_in_failed"]


def test_inactive_user_cannot_sign_in(world) -> None:
    with world.db.write() as s:
        s.scalars(select(User).where(User.username == "ben")).one().active = False
    with pytest.raises(AuthenticationFailed):
        AuthService(world.db).sign_in("ben", PASSWORD)


def test_only_admin_creates_users(world) -> None:
    auth = AuthService(world.db)
    with pytest.raises(PermissionDenied):
        auth.create_user(world.actor("lena"), "dave", "Dave", "long enough pw", Role.ADVISOR, None)
    with pytest.raises(ValidationError):
        auth.create_user(world.actor("root"), "dave", "Dave", "short", Role.ADVISOR, None)
    auth.create_user(world.actor("root"), "Dave", "Dave Day", "long enough pw", Role.ADVISOR, None)
    assert auth.sign_in("dave", "long enough pw").full_name == "Dave Day"


def test_verify_for_unlock(world) -> None:
    auth = AuthService(world.db)
    amy = world.actor("amy")
    assert auth.verify(amy, PASSWORD)
    assert not auth.verify(amy, "nope")


def test_audit_trail_for_leads_only(world) -> None:
    AuthService(world.db).sign_in("amy", PASSWORD)
    with pytest.raises(PermissionDenied):
        AuditService(world.db).trail(world.actor("amy"))
    rows = AuditService(world.db).trail(world.actor("lena"))
    assert rows[0].action == "sign_in" and rows[0].username == "amy"


def test_a_forged_admin_cannot_create_users_or_set_passwords(world) -> None:
    from dataclasses import replace

    amy = world.actor("amy")
    forged = replace(amy, role=Role.ADMIN, team_id=None)  # an advisor's id with the admin role
    auth = AuthService(world.db)
    with pytest.raises(PermissionDenied):
        auth.create_user(forged, "intruder", "In Truder", "a-long-password", Role.ADMIN, None)
    with pytest.raises(PermissionDenied):
        auth.set_password(forged, world.actor("ben").user_id, "a-long-password")
    with world.db.read() as s:
        assert s.scalar(select(User.id).where(User.username == "intruder")) is None
    auth.set_password(amy, amy.user_id, "her-own-new-password")  # her own: allowed
