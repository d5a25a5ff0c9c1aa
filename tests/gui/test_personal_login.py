"""Signing in to a central database as one's own login role: the server checks the password.

PostgreSQL only by nature (SQLite has no logins), so these tests take the PostgreSQL factory
directly rather than skipping a SQLite run.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from desk_helpers import WAIT
from PySide6.QtCore import Qt
from sqlalchemy import select, text
from sqlalchemy.engine import URL

from cras_desk.db.engine import Database
from cras_desk.db.login_roles import GROUP_ROLES
from cras_desk.db.models import AuditEvent, User
from cras_desk.domain.enums import Role
from cras_desk.gui.sign_in.connection import Target
from cras_desk.gui.sign_in.dialog import SignInDialog
from cras_desk.gui.tasks import TaskRunner
from cras_desk.services.bundle import ServiceBundle
from cras_desk.services.database_login import DatabaseLogin
from cras_desk.services.users import UserAdmin
from cras_desk.settings import Settings

RIGHT = "her own password 7"


@pytest.fixture
def person(pg_world, pg_server) -> Iterator[str]:
    """A user of the world's East team with a login role of her own, made by the user
    administration (a member of cras_advisor, with its grants only); the server checks its password."""
    name = f"pat_{uuid.uuid4().hex[:8]}"
    east = pg_world.actor("amy").team_id
    UserAdmin(pg_world.db).add(pg_world.actor("root"), name, "Pat Personal", Role.ADVISOR, east, RIGHT)
    pg_server.require_passwords(tuple(GROUP_ROLES.values()))
    yield name
    with pg_world.db.engine.connect() as conn:
        q = conn.dialect.identifier_preparer.quote
        conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :n"), {"n": name}
        )
        conn.exec_driver_sql(f"DROP OWNED BY {q(name)}")
        conn.exec_driver_sql(f"DROP ROLE {q(name)}")
        conn.commit()


def personal_target(world) -> Target:
    u = world.db.url  # URL.set(username=None) keeps the user name: build it without one
    target = Target(URL.create(u.drivername, host=u.host, port=u.port, database=u.database, query=u.query))
    assert target.personal and not target.needs_password()
    return target


def type_and_sign_in(qtbot, dialog: SignInDialog, user: str, password: str) -> None:
    dialog.ui.userName.clear()
    dialog.ui.password.clear()
    qtbot.keyClicks(dialog.ui.userName, user)
    qtbot.keyClicks(dialog.ui.password, password)
    qtbot.keyClick(dialog.ui.password, Qt.Key.Key_Return)


def test_the_server_refuses_a_wrong_password_and_admits_the_right_one(qtbot, pg_world, person) -> None:
    dialog = SignInDialog(Settings(), TaskRunner(), personal_target(pg_world))
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.ui.dbPassword.isVisible()  # her own password is the database's
    type_and_sign_in(qtbot, dialog, person, "not her password")
    qtbot.waitUntil(lambda: dialog.ui.errorLabel.isVisible(), timeout=WAIT)
    assert dialog.ui.errorLabel.text() == "User name or password is not right."
    assert dialog.actor is None and dialog.ui.password.text() == ""
    with qtbot.waitSignal(dialog.accepted, timeout=WAIT):
        type_and_sign_in(qtbot, dialog, person, RIGHT)
    assert dialog.actor is not None and dialog.actor.username == person
    db = dialog.take_database()
    assert db.personal_login
    with db.read() as s:
        assert s.execute(text("SELECT session_user")).scalar_one() == person
    with pg_world.db.read() as s:  # the trail is for admins to read, not the advisor's own login
        signed = s.scalars(select(AuditEvent.action).where(AuditEvent.user_id == dialog.actor.user_id)).all()
    assert "sign_in" in signed
    # The next person starts from nobody's credentials.
    again = SignInDialog(Settings(), TaskRunner(), dialog.target)
    qtbot.addWidget(again)
    assert again.target.login is None and again.target.password is None
    db.dispose()


def test_a_login_without_an_active_user_row_is_refused(qtbot, pg_world, person) -> None:
    with pg_world.db.write() as s:
        s.execute(User.__table__.update().where(User.username == person).values(active=False))
    dialog = SignInDialog(Settings(), TaskRunner(), personal_target(pg_world))
    qtbot.addWidget(dialog)
    dialog.show()
    type_and_sign_in(qtbot, dialog, person, RIGHT)
    qtbot.waitUntil(lambda: dialog.ui.errorLabel.isVisible(), timeout=WAIT)
    assert dialog.ui.errorLabel.text() == "User name or password is not right."
    assert dialog.actor is None and dialog.database is None


def test_unlocking_asks_the_server_again(pg_world, person) -> None:
    from cras_desk.db.engine import Database

    db = Database(personal_target(pg_world).with_login(person, RIGHT).full_url(), personal_login=True)
    try:
        actor = DatabaseLogin(db).sign_in()
        check = ServiceBundle(db).password_check
        assert check(actor, RIGHT) is True
        assert check(actor, "wrong") is False
        assert check(actor, "nul\x00byte") is False
        with pg_world.db.read() as s:
            actions = s.scalars(
                select(AuditEvent.action).where(AuditEvent.user_id == actor.user_id).order_by(AuditEvent.id)
            ).all()
        assert actions[-2:] == ["unlock", "unlock_failed"]
    finally:
        db.dispose()


def test_a_desk_connected_as_one_person_cannot_act_as_another(pg_world, person) -> None:
    from cras_desk.db.engine import Database
    from cras_desk.domain.errors import PermissionDenied
    from cras_desk.services.claims import ClaimService

    db = Database(personal_target(pg_world).with_login(person, RIGHT).full_url(), personal_login=True)
    try:
        me = DatabaseLogin(db).sign_in()
        claims = ClaimService(db)
        claims.release_all(me)  # her own: allowed
        with pytest.raises(PermissionDenied, match="signed in as someone else"):
            claims.release_all(pg_world.actor("amy"))  # Amy's Actor on Pat's connection
    finally:
        db.dispose()


def test_an_advisor_works_a_call_through_her_own_login(pg_world, person) -> None:
    """The services a call uses, run on the advisor's own login with only her group's grants and
    row-level security: the worklist, the record, a claim, a call outcome, the choice, slots, a booking."""
    from cras_desk.domain.enums import ContactOutcome
    from cras_desk.services.booking import SlotQuery
    from cras_desk.services.worklist import WorklistFilter

    db = Database(personal_target(pg_world).with_login(person, RIGHT).full_url(), personal_login=True)
    try:
        me = DatabaseLogin(db).sign_in()
        desk = ServiceBundle(db)
        rid = pg_world.referrals["Ó Súilleabháin"]  # East, her team
        page = desk.worklist.page(me, WorklistFilter(), limit=50)
        assert page is not None
        record = desk.records.open(me, rid)
        assert record.patient_id
        desk.claims.claim(me, rid)
        desk.contact.record_attempt(me, rid, ContactOutcome.NO_ANSWER)
        assert desk.choice.options(me, rid)
        slots = desk.booking.search_slots(me, rid, SlotQuery())
        assert slots.slots
        desk.booking.book(me, rid, slots.slots[0].slot_id)
    finally:
        db.dispose()
