"""Desk settings: each option declared once, with its default (as Picard's options.py does).

Stored as JSON in the user's config folder. Never holds a password: the database password lives
in the OS keyring (cras_desk/credentials.py).
"""

from __future__ import annotations

import json
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
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in known})

    def save(self, path: Path | None = None) -> None:
        if self.database_url and make_url(self.database_url).password:
            raise ValueError("A database URL with a password must not be saved; the keyring holds it.")
        path = path or self.path()
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        tmp.replace(path)
