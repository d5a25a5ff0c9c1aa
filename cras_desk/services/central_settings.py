"""The unit's central settings (domain.central_settings): read by every desk at each use, changed by
admins only, every change audited.

`read(session)` is what the other services call inside their own transaction, so a policy an admin
changes applies to the next call recorded at any desk, without a restart, and a desk's own files
cannot hold rules of their own. The edit is optimistic: the admin saves against the version they
opened; a colleague's edit in between is reported, not overwritten, and a retry of a save whose
commit was uncertain finds its own values already there and says so instead of failing.

On PostgreSQL the database itself refuses the edit to anyone but an admin's login and writes its
own audit row with the old and new values (migration 0012); the checks here give the clear message
and are the only guard on SQLite.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult, RowMapping
from sqlalchemy.orm import Session

from cras_desk.db import change_feed
from cras_desk.db.engine import Database
from cras_desk.db.models import CentralSetting, User
from cras_desk.db.tables import table_of
from cras_desk.domain.central_settings import CentralSettings
from cras_desk.domain.clock import to_london, utcnow
from cras_desk.domain.enums import Role
from cras_desk.domain.errors import StaleState, ValidationError
from cras_desk.services import access, audit
from cras_desk.services.actor import Actor

log = logging.getLogger(__name__)

_TABLE = table_of(CentralSetting)
_OPTIONS = tuple(_TABLE.c[option.name] for option in fields(CentralSettings))
_READ = select(*_OPTIONS).where(_TABLE.c.id == 1)


def read(session: Session) -> CentralSettings:
    """The settings in force, read in the caller's transaction (one primary-key lookup)."""
    row = session.execute(_READ).first()
    if row is None:
        # Only a database whose row was removed by hand (or a deactivated login, which row-level
        # security shows nothing and every service refuses anyway) gets here.
        log.warning("central settings: no row; the defaults apply")
        return CentralSettings()
    return _settings(row._mapping)


def _settings(values: RowMapping | Mapping[str, Any]) -> CentralSettings:
    try:
        return CentralSettings(**{option.name: values[option.name] for option in fields(CentralSettings)})
    except ValidationError:
        # The database's CHECK constraints hold the ranges of the migration that made them; a
        # later release with narrower ranges must not stop every desk from recording a call.
        log.warning("central settings: a stored value is outside this release's range; the defaults apply")
        return CentralSettings()


@dataclass(frozen=True)
class SettingsVersion:
    settings: CentralSettings
    version: int
    updated_at: datetime | None
    updated_by: str | None  # the admin's user name

    def describe(self) -> str:
        if self.updated_at is None:
            return "The unit's settings have not been changed since they were set up."
        who = self.updated_by or "an unknown user"
        when = f"{to_london(self.updated_at):%d %b %Y at %H:%M}"
        return f"Last changed by {who} on {when} (version {self.version})."


@dataclass(frozen=True)
class SaveResult:
    saved: SettingsVersion
    changed: tuple[str, ...]  # the options this save changed; empty if there was nothing to save
    message: str


class CentralSettingsService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def current(self, actor: Actor) -> SettingsVersion:
        """The settings and who last changed them: any active user may read them."""
        with self.db.read() as s:
            access.caller(s, actor)
            return _versioned(s)

    def save(self, actor: Actor, settings: CentralSettings, expected_version: int) -> SaveResult:
        """Store settings if the row is still at expected_version (the one the admin opened)."""
        actor.require(Role.ADMIN, action="change the central settings")
        with self.db.write() as s:
            who = access.caller(s, actor)
            who.require(Role.ADMIN, action="change the central settings")
            now = _versioned(s)
            if now.settings == settings:
                # Nothing to change, or a retry of this very save that did commit: either way
                # the settings asked for are in force, and no second audit row is written.
                already = now.version != expected_version
                said = "These settings were already saved." if already else "No changes to save."
                return SaveResult(now, (), said)
            if now.version != expected_version:
                raise StaleState(
                    f"The central settings were changed by {now.updated_by or 'someone else'} since you "
                    "opened them. Your changes were not saved: reload, check and save again."
                )
            changes = settings.changes_from(now.settings)
            at = utcnow()
            done = s.execute(
                update(_TABLE)
                .where(_TABLE.c.id == 1, _TABLE.c.version == expected_version)
                .values(
                    **settings.as_mapping(),
                    version=_TABLE.c.version + 1,
                    updated_at=at,
                    updated_by=who.user_id,
                )
            )
            if (
                not isinstance(done, CursorResult) or done.rowcount != 1
            ):  # a concurrent save between the read and the update
                raise StaleState("The central settings were changed by someone else just now; reload them.")
            saved = _versioned(s)
            change_feed.record(s, "central_settings", 1, "update", who.user_id)  # desks re-read them
            audit.record(
                s,
                who,
                "change_settings",
                "central_settings",
                1,
                detail={"changes": changes, "version": saved.version},
            )
        names = tuple(changes)
        return SaveResult(
            saved, names, f"Saved: {len(names)} setting{'s' if len(names) != 1 else ''} changed."
        )


def _versioned(s: Session) -> SettingsVersion:
    row = s.execute(
        select(*_OPTIONS, _TABLE.c.version, _TABLE.c.updated_at, User.username)
        .outerjoin(User, User.id == _TABLE.c.updated_by)
        .where(_TABLE.c.id == 1)
    ).first()
    if row is None:
        return SettingsVersion(CentralSettings(), 0, None, None)
    values = row._mapping
    return SettingsVersion(_settings(values), values["version"], values["updated_at"], values["username"])
