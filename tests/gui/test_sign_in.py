"""Signing in: the users table decides, the database password stays out of files."""

from __future__ import annotations

import json
import shutil

import keyring
import pytest
from desk_helpers import WAIT
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from sqlalchemy.engine import make_url

from cras_desk import credentials
from cras_desk.db.migrate import head_revision as alembic_head
from cras_desk.domain.enums import Role
from cras_desk.gui.sign_in import connection
from cras_desk.gui.sign_in.connection import Target, target_from
from cras_desk.gui.sign_in.dialog import NO_KEYRING, SignInDialog
from cras_desk.gui.tasks import TaskRunner
from cras_desk.paths import config_dir
from cras_desk.settings import Settings

PASSWORD = "correct horse 1"  # the test world's password (tests/world.py)


def world_target(world) -> Target:
    url = world.db.url
    return Target(url.set(password=None), password=url.password)


def dialog_for(qtbot, target: Target, settings: Settings | None = None) -> SignInDialog:
    dialog = SignInDialog(settings or Settings(), TaskRunner(), target)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def sign_in(qtbot, dialog: SignInDialog, user: str, password: str) -> None:
    dialog.ui.userName.clear()
    qtbot.keyClicks(dialog.ui.userName, user)
    qtbot.keyClicks(dialog.ui.password, password)
    qtbot.keyClick(dialog.ui.password, Qt.Key.Key_Return)


def test_good_password_signs_in(qtbot, world) -> None:
    dialog = dialog_for(qtbot, world_target(world))
    with qtbot.waitSignal(dialog.accepted, timeout=WAIT):
        sign_in(qtbot, dialog, "amy", PASSWORD)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.actor is not None and dialog.actor.username == "amy"
    assert dialog.take_database() is dialog.database
    saved = json.loads((config_dir() / "settings.json").read_text())
    assert saved["last_username"] == "amy"
    assert "correct horse" not in (config_dir() / "settings.json").read_text()


def test_bad_password_is_refused_and_asked_again(qtbot, world) -> None:
    dialog = dialog_for(qtbot, world_target(world))
    sign_in(qtbot, dialog, "amy", "wrong horse")
    qtbot.waitUntil(lambda: dialog.ui.errorLabel.isVisible(), timeout=WAIT)
    assert dialog.ui.errorLabel.text() == "User name or password is not right."
    assert dialog.actor is None and dialog.isVisible()
    assert dialog.ui.password.text() == "" and dialog.ui.password.hasFocus()
    with qtbot.waitSignal(dialog.accepted, timeout=WAIT):
        qtbot.keyClicks(dialog.ui.password, PASSWORD)
        qtbot.keyClick(dialog.ui.password, Qt.Key.Key_Return)
    assert dialog.actor is not None and dialog.actor.username == "amy"


def test_server_password_comes_from_the_keyring(qtbot, desk_env) -> None:
    url = "postgresql+psycopg://cras_desk@db.example.invalid/cras"
    credentials.store_password(url, "s3cret-db")
    target = target_from(url, url)
    assert target.password == "s3cret-db" and not target.pending
    assert target.url.password is None  # never part of the URL that is saved or shown


def test_without_a_keyring_the_dialog_says_so_and_asks(qtbot, world_sqlite) -> None:
    keyring.set_keyring(fail.Keyring())
    target = target_from("postgresql+psycopg://cras_desk@db.example.invalid/cras", "")
    assert target.password is None
    dialog = dialog_for(qtbot, target)
    assert dialog.ui.keyringNotice.isVisible() and dialog.ui.keyringNotice.text() == NO_KEYRING
    assert dialog.ui.dbPassword.isVisible()
    sign_in(qtbot, dialog, "amy", PASSWORD)
    assert dialog.ui.errorLabel.text() == "Enter the database password."


def test_settings_never_hold_a_database_password(tmp_path) -> None:
    with pytest.raises(ValueError):
        Settings(database_url="postgresql+psycopg://u:pw@host/db").save(tmp_path / "s.json")


def test_only_an_admin_can_repoint_the_desk(qtbot, world_sqlite) -> None:
    saved = world_target(world_sqlite)
    world_sqlite.db.dispose()  # everything on disk in the main file before it is copied
    settings = Settings(database_url=saved.url.render_as_string(hide_password=False))
    other = make_url(str(saved.url)).set(database=str(saved.url.database).replace(".db", "-copy.db"))
    shutil.copyfile(str(saved.url.database), str(other.database))
    new = Target(other, pending=True)

    dialog = dialog_for(qtbot, saved, settings)
    dialog._switch_to(new)  # what the Database connection dialog hands back
    assert "saved once an administrator signs in" in dialog.ui.databaseLabel.text()
    sign_in(qtbot, dialog, "amy", PASSWORD)
    qtbot.waitUntil(lambda: "Only an administrator" in dialog.ui.errorLabel.text(), timeout=WAIT)
    assert dialog.actor is None and dialog.target is saved
    assert settings.database_url == saved.url.render_as_string(hide_password=False)

    dialog._switch_to(new)
    with qtbot.waitSignal(dialog.accepted, timeout=WAIT):
        sign_in(qtbot, dialog, "root", PASSWORD)
    assert dialog.actor is not None and dialog.actor.role is Role.ADMIN
    assert Settings.load().database_url == other.render_as_string(hide_password=False)


@pytest.mark.parametrize("db_factory", ["postgresql"], indirect=True)  # a server password
def test_a_typed_server_password_is_kept_in_the_keyring_not_a_file(qtbot, world, desk_env) -> None:
    bare = world.db.url.set(password=None)
    account = bare.render_as_string(hide_password=False)
    typed = world.db.url.password or "trusted-anyway"  # the test server trusts local connections
    dialog = dialog_for(qtbot, Target(bare, pending=True), Settings())
    assert dialog.ui.dbPassword.isVisible()
    qtbot.keyClicks(dialog.ui.dbPassword, typed)
    with qtbot.waitSignal(dialog.accepted, timeout=WAIT):
        sign_in(qtbot, dialog, "root", PASSWORD)
    assert desk_env.store[(credentials.SERVICE, f"db:{account}")] == typed
    text = (config_dir() / "settings.json").read_text()
    assert json.loads(text)["database_url"] == account
    assert typed not in text


def test_the_cheap_schema_check_agrees_with_alembic() -> None:
    assert connection.head_revision() == alembic_head()


def test_the_connection_dialog_keeps_the_password_out_of_the_url(qtbot) -> None:
    from cras_desk.gui.sign_in.connection import embedded_target
    from cras_desk.gui.sign_in.database_dialog import DatabaseConnectionDialog

    dialog = DatabaseConnectionDialog(embedded_target(), "")
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.ui.url, "postgresql://cras_desk@db.example.invalid/cras")
    qtbot.keyClicks(dialog.ui.password, "s3cret")
    dialog.ui.buttons.accepted.emit()
    target = dialog.target
    assert target is not None and target.pending and target.remember
    assert target.password == "s3cret" and target.url.password is None
    assert target.keyring_account == "postgresql+psycopg://cras_desk@db.example.invalid/cras"

    keyring.set_keyring(fail.Keyring())
    again = DatabaseConnectionDialog(embedded_target(), "")
    qtbot.addWidget(again)
    assert not again.ui.remember.isEnabled() and not again.ui.remember.isChecked()
    assert "no system keyring" in again.ui.keyringNotice.text()
