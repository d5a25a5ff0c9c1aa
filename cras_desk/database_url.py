"""Which database to use, and its password from the keyring rather than from any file."""

from __future__ import annotations

import getpass
import sys

from sqlalchemy.engine import URL, make_url

from cras_desk import credentials
from cras_desk.db.engine import sqlite_url
from cras_desk.paths import default_database_path


def embedded_url() -> str:
    return sqlite_url(default_database_path())


def without_password(url: URL) -> str:
    return url.set(password=None).render_as_string(hide_password=False)


def resolve(url: str | None, *, interactive: bool) -> URL:
    """The URL to connect to. A server URL without a password gets it from the keyring, or,
    where there is none (headless Linux), from a prompt — it is never read from a file."""
    parsed = make_url(url or embedded_url())
    if parsed.get_backend_name() == "sqlite" or parsed.password is not None:
        return parsed
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    stored = credentials.get_password(without_password(parsed))
    if stored is not None:
        return parsed.set(password=stored)
    if interactive and sys.stdin.isatty():
        return parsed.set(password=getpass.getpass(f"Password for {without_password(parsed)}: "))
    return parsed  # a server that trusts this user (peer/socket auth) needs none
