from __future__ import annotations

import json

import keyring
import pytest
from keyring.backend import KeyringBackend

from cras_desk import credentials
from cras_desk.database_url import resolve
from cras_desk.drafts import DraftStore, saved_drafts
from cras_desk.settings import Settings


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


def test_draft_survives_a_new_store(tmp_path) -> None:
    DraftStore("amy", tmp_path).put(42, "notes", "Patient prefers mornings; daughter translates")
    again = DraftStore("amy", tmp_path)
    assert again.get(42, "notes") == "Patient prefers mornings; daughter translates"
    assert again.referrals_with_drafts() == [42]
    again.clear(42, "notes")
    assert DraftStore("amy", tmp_path).get(42, "notes") == ""
    assert DraftStore("ben", tmp_path).get(42, "notes") == ""


def test_corrupt_draft_file_loses_nothing_else(tmp_path) -> None:
    (tmp_path / "amy.json").write_text("{not json", encoding="utf-8")
    store = DraftStore("amy", tmp_path)
    store.put(1, "notes", "x")
    assert saved_drafts("amy", tmp_path) == {"1:notes": "x"}
    store.close()
    assert json.loads((tmp_path / "amy.json").read_text(encoding="utf-8")) == {"1:notes": "x"}


def test_settings_round_trip_and_refuse_passwords(tmp_path) -> None:
    path = tmp_path / "settings.json"
    Settings(idle_lock_minutes=3, database_url="postgresql+psycopg://desk@db.example/cras").save(path)
    loaded = Settings.load(path)
    assert loaded.idle_lock_minutes == 3
    assert loaded.database_url.endswith("/cras")
    with pytest.raises(ValueError, match="keyring"):
        Settings(database_url="postgresql+psycopg://desk:hunter2@db/cras").save(path)
    assert "hunter2" not in path.read_text(encoding="utf-8")
    assert Settings.load(tmp_path / "missing.json") == Settings()


def test_password_comes_from_keyring(memory_keyring) -> None:
    url = "postgresql+psycopg://desk@db.example:5432/cras"
    assert credentials.keyring_available()
    assert resolve(url, interactive=False).password is None
    assert credentials.store_password(url, "s3cret")
    assert resolve(url, interactive=False).password == "s3cret"
    credentials.forget_password(url)
    assert resolve(url, interactive=False).password is None


def test_without_keyring_nothing_is_stored() -> None:
    previous = keyring.get_keyring()
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    try:
        assert not credentials.keyring_available()
        assert credentials.store_password("postgresql+psycopg://desk@h/cras", "pw") is False
        assert credentials.get_password("postgresql+psycopg://desk@h/cras") is None
    finally:
        keyring.set_keyring(previous)
