"""Desk settings: each option declared once, with its default and its limits (as Picard's
options.py declares its options).

Stored as JSON in the user's config folder, with a "version" (VERSION) so that a later layout can
be told from this one. Never holds a password: the database password lives in the OS keyring
(cras_desk/credentials.py).

Loading never fails and never hands the desk a value it cannot use: a file that cannot be read or
is not JSON gives the defaults, an option of the wrong type or out of its range gives that
option's default, and each such problem is logged (naming the option, never its text) and kept in
Settings.problems for the desk to show.
"""

from __future__ import annotations

import json
import logging
import typing
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from cras_desk.paths import config_dir
from cras_desk.private_files import write_private

log = logging.getLogger(__name__)

VERSION = 1  # the layout this desk writes; a file without "version" predates it and has the same layout


def limits(minimum: int, maximum: int) -> dict[str, Any]:
    """Field metadata: the whole numbers an option may take."""
    return {"range": (minimum, maximum)}


# Options a desk no longer keeps for itself, and what the desk says when an old file still has one.
RETIRED = {
    "contact_policy": (
        "The contact policy in the settings file is ignored: the unit's contact policy is set "
        "centrally by an admin (Admin menu, Central settings), the same for every desk."
    ),
}


@dataclass
class Settings:
    database_url: str = ""  # empty: the embedded SQLite file in the user's data folder
    # The desk locks after this long without a key or mouse press: it shows patient records. Held
    # to the unit's bounds (central settings idle_lock_min_minutes .. idle_lock_max_minutes).
    idle_lock_minutes: int = field(default=10, metadata=limits(1, 120))
    # The worklist service's largest page (cras_desk.services.worklist.MAX_PAGE).
    worklist_page_size: int = field(default=100, metadata=limits(1, 1000))
    last_username: str = ""
    # Per user name: the desk's splitter positions as the advisor last left them (Qt's saveState,
    # base64), so a hot-desking advisor finds the worklist as wide as they made it.
    splitter_states: dict[str, dict[str, str]] = field(default_factory=dict)
    # Per user name: the main window's normal geometry (Qt's saveGeometry, base64) and whether it
    # was maximised. Only a hint: the desk fits it to the screen it opens on (gui/window_geometry.py).
    window_geometry: dict[str, str] = field(default_factory=dict)
    window_maximised: dict[str, bool] = field(default_factory=dict)
    # What was wrong with the file when it was loaded, in words the desk can show; not saved.
    problems: list[str] = field(default_factory=list, compare=False, repr=False, metadata={"saved": False})

    @staticmethod
    def path() -> Path:
        return config_dir() / "settings.json"

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        path = path or cls.path()
        settings = cls()
        try:
            raw = json.loads(path.read_bytes())
        except FileNotFoundError:
            return settings  # a desk's first start
        except OSError as exc:
            settings.report(f"The settings file could not be read ({exc.strerror}); the defaults are used.")
            return settings
        except json.JSONDecodeError as exc:
            settings.report(
                f"The settings file is not valid JSON (line {exc.lineno}, column {exc.colno}); "
                "the defaults are used."
            )
            return settings
        except ValueError:  # not UTF-8 (or UTF-16/32) text at all
            settings.report("The settings file is not text; the defaults are used.")
            return settings
        if not isinstance(raw, dict):
            settings.report("The settings file does not hold a set of options; the defaults are used.")
            return settings
        settings._check_version(raw.get("version"))
        hints = typing.get_type_hints(cls)
        known = {f.name: f for f in _saved_fields()}
        for name, value in raw.items():
            option = known.get(name)
            if option is None:
                continue
            kept, problem, detail = _checked(value, hints[name], option.metadata)
            if problem is not None:
                fallback = (
                    "the default is used" if kept is None else "the entries that were wrong are left out"
                )
                said = f"Setting {name} {problem}; {fallback}."
                settings.report(said if detail is None else f"{said} {detail}", logged=said)
            if kept is not None:
                setattr(settings, name, kept)
        for name in sorted(set(raw) & set(RETIRED)):
            settings.report(RETIRED[name])
        unknown = sorted(set(raw) - set(known) - set(RETIRED) - {"version"})
        if unknown:
            # Named on screen, where a misspelt option is easy to fix, but not in the log: the
            # names come from a file anybody at the PC may have typed into.
            settings.report(
                f"Unknown setting(s) ignored: {', '.join(unknown)}.",
                logged=f"{len(unknown)} unknown setting(s) ignored.",
            )
        return settings

    def report(self, problem: str, logged: str | None = None) -> None:
        """Keep a problem for the desk to show, and log it: as logged if given, which then leaves
        out what the file said (the log names options and numbers out of range, never text read
        from the file)."""
        log.warning("settings: %s", logged or problem)
        self.problems.append(problem)

    def _check_version(self, version: object) -> None:
        if version is None or (type(version) is int and version == VERSION):
            return
        if type(version) is not int:
            self.report(
                f"The settings file's version is not a whole number; it is read as version {VERSION}."
            )
        elif version > VERSION:
            self.report(
                f"The settings file was written by a newer CRAS Desk (version {version}); "
                f"the options this desk knows (version {VERSION}) are read, the rest ignored."
            )
        else:
            self.report(f"The settings file's version {version} is unknown; it is read as version {VERSION}.")

    def save(self, path: Path | None = None) -> None:
        if self.database_url and make_url(self.database_url).password:
            raise ValueError("A database URL with a password must not be saved; the keyring holds it.")
        saved = {"version": VERSION} | {f.name: getattr(self, f.name) for f in _saved_fields()}
        # 0600 (write_private): the file names the database server and who signed in last.
        write_private(path or self.path(), json.dumps(saved, indent=2).encode("utf-8"))


def _saved_fields() -> list[Any]:
    return [f for f in fields(Settings) if f.metadata.get("saved", True)]


def _checked(
    value: object, hint: Any, metadata: typing.Mapping[str, Any]
) -> tuple[Any, str | None, str | None]:
    """(the value to keep or None for the default, what was wrong or None, the details of what
    was wrong for the screen, which may quote the file, or None).

    A per-user map keeps its users whose entries are right: one bad window geometry must not
    reset everybody's layout.
    """
    problem = _shape_problem(value, hint)
    if problem is not None:
        origin = typing.get_origin(hint)
        if origin is dict and isinstance(value, dict):
            value_hint = typing.get_args(hint)[1]
            good = {
                k: v for k, v in value.items() if isinstance(k, str) and _shape_problem(v, value_hint) is None
            }
            return good, "has entries of the wrong kind", None
        return None, problem, None
    if "range" in metadata:
        low, high = metadata["range"]
        if not low <= typing.cast(int, value) <= high:
            return None, f"is {value}, outside {low} to {high}", None
    check: Callable[[Any], str | None] | None = metadata.get("check")
    if check is not None:
        detail = check(value)
        if detail is not None:
            return None, "is not valid", detail
    return value, None, None


def _shape_problem(value: object, hint: Any) -> str | None:
    """What is wrong with value's type, against a hint of str, int, bool, Any or dict[str, ...]
    (the kinds the options above are declared with)."""
    if hint is Any:
        return None
    origin = typing.get_origin(hint)
    if origin is dict:
        if not isinstance(value, dict):
            return f"should be a set of named values, not {_kind(value)}"
        value_hint = typing.get_args(hint)[1]
        if all(isinstance(k, str) and _shape_problem(v, value_hint) is None for k, v in value.items()):
            return None
        return "has entries of the wrong kind"
    # bool is an int in Python, but true is not a number of minutes, nor 1 a yes.
    if type(value) is not hint:
        return f"should be {_kind_name(hint)}, not {_kind(value)}"
    return None


KINDS = {str: "text", int: "a whole number", bool: "true or false", float: "a fraction", list: "a list"}


def _kind_name(hint: type) -> str:
    return KINDS.get(hint, hint.__name__)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return (
        "a set of named values" if isinstance(value, dict) else KINDS.get(type(value), type(value).__name__)
    )
