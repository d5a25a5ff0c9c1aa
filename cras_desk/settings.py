"""Desk settings: each option declared once, with its default (as Picard's options.py does).

Stored as JSON in the user's config folder. Never holds a password: the database password lives
in the OS keyring (cras_desk/credentials.py).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from cras_desk.domain.contact_policy import ContactPolicy
from cras_desk.paths import config_dir


@dataclass
class Settings:
    database_url: str = ""  # empty: the embedded SQLite file in the user's data folder
    idle_lock_minutes: int = 10
    worklist_page_size: int = 100
    contact_policy: dict[str, Any] = field(default_factory=dict)  # overrides of ContactPolicy defaults
    last_username: str = ""
    # Per user name: the desk's splitter positions as the advisor last left them (Qt's saveState,
    # base64), so a hot-desking advisor finds the worklist as wide as they made it.
    splitter_states: dict[str, dict[str, str]] = field(default_factory=dict)
    # Per user name: the main window's normal geometry (Qt's saveGeometry, base64) and whether it
    # was maximised. Only a hint: the desk fits it to the screen it opens on (gui/window_geometry.py).
    window_geometry: dict[str, str] = field(default_factory=dict)
    window_maximised: dict[str, bool] = field(default_factory=dict)

    def policy(self) -> ContactPolicy:
        return ContactPolicy.from_mapping(self.contact_policy) if self.contact_policy else ContactPolicy()

    @staticmethod
    def path() -> Path:
        return config_dir() / "settings.json"

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        path = path or cls.path()
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(raw, dict):
            return cls()
        defaults = cls()
        # A hand-edited or half-written file keeps the options it got right; a value of the wrong
        # shape falls back to its default rather than failing somewhere later.
        kept = {
            f.name: raw[f.name]
            for f in fields(cls)
            if f.name in raw and _same_shape(raw[f.name], getattr(defaults, f.name), f.name)
        }
        return cls(**kept)

    def save(self, path: Path | None = None) -> None:
        if self.database_url and make_url(self.database_url).password:
            raise ValueError("A database URL with a password must not be saved; the keyring holds it.")
        path = path or self.path()
        tmp = path.with_suffix(".tmp")
        # 0600: the file names the database server and who signed in last.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(asdict(self), fh, indent=2)
        os.chmod(tmp, 0o600)  # os.open's mode does not apply to a .tmp left by an earlier crash
        tmp.replace(path)


_VALUE_TYPES: dict[str, type] = {"splitter_states": dict, "window_geometry": str, "window_maximised": bool}


def _same_shape(value: Any, default: Any, name: str) -> bool:
    """True if value can stand where default does (bool is not taken for int, nor int for bool)."""
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if not isinstance(value, type(default)):
        return False
    inner = _VALUE_TYPES.get(name)
    if inner is None:
        return True
    return all(isinstance(k, str) and type(v) is inner for k, v in value.items())
