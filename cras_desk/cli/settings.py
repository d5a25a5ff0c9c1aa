"""`cras-desk settings show` and `cras-desk settings set NAME=VALUE ...`: the unit's central
settings from the command line, for an admin scripting a new unit's set-up.

Who acts is decided as for `cras-desk users` (cli/users.py): the PostgreSQL login in --url, or on
the embedded file an admin who signs in. A change goes through the same service as the admin
screen (services/central_settings.py): checked against each option's range, saved against the
version read, audited. Exit status: 0 done, 1 refused (the reason on standard error), 2 nobody
(admin) signed in.
"""

from __future__ import annotations

import sys
from typing import TextIO

from cras_desk.cli.users import acting_admin
from cras_desk.db.engine import Database
from cras_desk.domain.central_settings import CentralSettings, clock_text, options
from cras_desk.domain.errors import CrasError, ValidationError
from cras_desk.services.central_settings import CentralSettingsService

_TRUE, _FALSE = {"yes", "true", "on", "1"}, {"no", "false", "off", "0"}


def _shown(name: str, value: int | bool, meta: dict[str, object]) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return clock_text(value) if meta.get("unit") == "time" else str(value)


def _parsed(name: str, text: str, meta: dict[str, object]) -> int | bool:
    """One option's value as typed: yes/no, a time as HH:MM, or a whole number."""
    word = text.strip().lower()
    if "range" not in meta:
        if word in _TRUE | _FALSE:
            return word in _TRUE
        raise ValidationError(f"{name}: say yes or no.")
    if meta.get("unit") == "time":
        hours, colon, minutes = word.partition(":")
        if colon and hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and int(minutes) < 60:
            return int(hours) * 60 + int(minutes)
        raise ValidationError(f"{name}: give a time as HH:MM, e.g. 09:00.")
    if word.isascii() and word.isdigit():
        return int(word)
    raise ValidationError(f"{name}: give a whole number.")


def settings_command(
    db: Database, command: str, assignments: list[str], admin_user: str | None, stdin: TextIO | None = None
) -> int:
    actor = acting_admin(db, admin_user, stdin or sys.stdin)
    if actor is None:
        return 2
    service = CentralSettingsService(db)
    meta = dict(options())
    try:
        current = service.current(actor)
        if command == "show":
            for name, value in current.settings.as_mapping().items():
                unit = meta[name].get("unit", "")
                low_high = meta[name].get("range")
                extra = f"  ({meta[name]['label']}; {low_high[0]}-{low_high[1]} {unit})" if low_high else ""
                print(f"{name} = {_shown(name, value, meta[name])}{extra}")
            print(current.describe())
            return 0
        values = current.settings.as_mapping()
        for assignment in assignments:
            name, equals, text = assignment.partition("=")
            name = name.strip()
            if not equals or name not in meta:
                known = ", ".join(meta)
                raise ValidationError(
                    f"Not a setting: {assignment!r}. Give NAME=VALUE, NAME one of: {known}."
                )
            values[name] = _parsed(name, text, meta[name])
        result = service.save(actor, CentralSettings.from_mapping(values), current.version)
    except CrasError as exc:
        print(f"Not changed: {exc}", file=sys.stderr)
        return 1
    print(result.message)
    for name in result.changed:
        print(f"  {name} = {_shown(name, values[name], meta[name])}")
    return 0
