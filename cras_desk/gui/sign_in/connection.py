"""Which database the desk connects to, and getting it ready (off the UI thread).

The connection is decided in this order: the URL given on the command line (this run only), the
URL saved in the settings by an administrator, the embedded SQLite file in the user's data folder.
A server URL without a user name is a central database where everyone signs in as their own
login role: the user name and password typed at sign-in are the database credentials, checked by
the server, and nothing is stored on the desk. A URL that names a user is a shared account (a
developer's or a benchmark's server); its password never goes in a file: it comes from the OS
keyring, or, where there is none (headless Linux), it is typed at sign-in each time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.engine import URL, make_url

from cras_desk.db.engine import Database
from cras_desk.domain.errors import CrasError
from cras_desk.paths import default_database_path

# Beside cras_desk/db/migrate.py; not imported from there because that module imports Alembic.
_MIGRATIONS = Path(__file__).resolve().parent.parent.parent / "db" / "migrations"


class SchemaOutOfDate(CrasError):
    pass


@dataclass(frozen=True)
class Target:
    """A database to connect to. url never holds the password; password is kept in memory only."""

    url: URL
    password: str | None = None
    embedded: bool = False  # the default SQLite file (seeded with demo data on first run)
    from_cli: bool = False  # given on the command line: used for this run, never saved
    pending: bool = False  # chosen in the connection dialog, saved only after an admin signs in
    remember: bool = True  # keep the typed password in the keyring once it has worked
    login: str | None = None  # a personal login's user name, in memory between sign-in and sign-out

    @property
    def is_server(self) -> bool:
        return self.url.get_backend_name() != "sqlite"

    @property
    def personal(self) -> bool:
        """Everyone signs in to this server as their own login role (the URL names no user)."""
        return self.is_server and self.url.username is None

    @property
    def display(self) -> str:
        if self.embedded:
            return f"embedded database on this computer ({self.url.database})"
        return self.url.render_as_string(hide_password=True)

    @property
    def keyring_account(self) -> str:
        return self.url.render_as_string(hide_password=False)

    def needs_password(self) -> bool:
        """A shared account's password is still to be typed (a personal login's is the user's own)."""
        return self.is_server and not self.personal and self.password is None

    def with_password(self, password: str | None) -> Target:
        return replace(self, password=password)

    def with_login(self, username: str | None, password: str | None) -> Target:
        return replace(self, login=username, password=password)

    def signed_out(self) -> Target:
        """The same database with nobody's credentials: what the next sign-in starts from."""
        return self.with_login(None, None) if self.personal else self

    def full_url(self) -> URL:
        url = self.url.set(username=self.login) if self.personal and self.login is not None else self.url
        return url.set(password=self.password) if self.password is not None else url


def embedded_target() -> Target:
    return Target(make_url(f"sqlite+pysqlite:///{default_database_path()}"), embedded=True)


def target_from(url: str | None, saved_url: str, *, from_cli: bool = False) -> Target:
    """The target for a URL (None/empty: the embedded file); a server password from the keyring."""
    if not url:
        return embedded_target()
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")  # the driver the project installs
    password = parsed.password
    bare = parsed.set(password=None)
    target = Target(bare, password=password, from_cli=from_cli, pending=not from_cli and url != saved_url)
    if target.is_server and not target.personal and password is None:
        from cras_desk import credentials  # keyring costs 60 ms to import: only for a server

        stored = credentials.get_password(target.keyring_account)
        if stored is not None:
            target = target.with_password(stored)
    return target


# --- getting the database ready (runs on the worker thread) --------------------------------------

_REVISION = re.compile(r'^revision(?::\s*str)?\s*=\s*["\']([^"\']+)["\']', re.M)
_DOWN = re.compile(r"^down_revision(?::[^=]*)?=\s*(.+)$", re.M)


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The newest migration, read from the migration files' text.

    Importing Alembic to ask costs a third of the desk's whole start-up time; the revision files
    name themselves and their parent in two plain assignments. None if they cannot be read that
    way (then Alembic is asked).
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (_MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        rev = _REVISION.search(source)
        down = _DOWN.search(source)
        if rev is None or down is None:
            return None
        revisions.add(rev.group(1))
        parents.update(re.findall(r'["\']([^"\']+)["\']', down.group(1)))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except Exception:  # no alembic_version table: a new, empty database
            return None


def prepare(
    target: Target, progress: Callable[[str], None] | None = None, *, demo_referrals: int = 30_000
) -> Database:
    """Connect, bring the schema up to date where the desk may, and seed the demo data on first run.

    Runs on the worker thread. Raises SQLAlchemy's errors for an unreachable server (the caller
    turns them into a message) and SchemaOutOfDate for a central database IT must upgrade.
    """
    say = progress or (lambda _m: None)
    db = Database(target.full_url(), personal_login=target.personal)
    try:
        if target.is_server:
            if not _is_current(db):
                raise SchemaOutOfDate(
                    f"The database's schema ({current_revision(db) or 'none'}) is not the one this "
                    "desk needs. Ask IT to run: cras-desk db upgrade --url <the database URL>"
                )
        else:
            # Another desk started at the same moment on this computer may be setting the file up:
            # one at a time, from the first connection on (switching a new file to WAL is itself
            # refused with "database is locked" while another connection sets it up). Taking the
            # lock costs a flock when there is nothing to do; the second desk then finds the
            # schema current and the demo data there.
            from cras_desk.db.setup_lock import setup_lock

            def waiting() -> None:
                say("Another desk on this computer is preparing the database; waiting for it...")

            with setup_lock(db.engine, waiting=waiting):
                if not _is_current(db):
                    say("Preparing the database on this computer...")
                    from cras_desk.db.migrate import upgrade

                    upgrade(db.engine, lock=False)
                if target.embedded:
                    _seed_if_empty(db, say, demo_referrals)
    except BaseException:
        db.dispose()
        raise
    return db


def _is_current(db: Database) -> bool:
    found = current_revision(db)  # also proves the connection and the password
    head = head_revision()
    if head is not None:
        return found is not None and found == head
    from cras_desk.db.migrate import is_current

    return is_current(db.engine)


def _has_users(db: Database) -> bool:
    # The same test as cras_desk.demo.seed.is_empty, asked here first because importing the seed
    # module (Faker and the demo tables) costs more than the desk's whole start-up.
    from cras_desk.db.models import User

    with db.read() as s:
        return s.scalar(select(User.id).limit(1)) is not None


def _seed_if_empty(db: Database, say: Callable[[str], None], referrals: int) -> None:
    if _has_users(db):
        return
    from cras_desk.demo.seed import is_empty, seed_database

    if is_empty(db):
        say(f"First run: creating the demo data ({referrals:,} referrals). This takes a few seconds...")
        summary = seed_database(db, referrals=referrals, progress=lambda step: say(f"Demo data: {step}"))
        say(f"Demo data ready ({summary.seconds:.0f} s).")


def remember_password(target: Target) -> bool:
    """Keep a typed server password in the keyring; False where the OS has no keyring."""
    if not target.is_server or target.personal or target.password is None or not target.remember:
        return False
    from cras_desk import credentials

    return credentials.store_password(target.keyring_account, target.password)
