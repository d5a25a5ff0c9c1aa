"""`cras-desk`: the desk, and the admin's commands (migrations, demo data, the letters print queue)."""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cras_desk import __version__, log_files

if TYPE_CHECKING:
    import argparse

    from cras_desk.db.engine import Database


def _parser() -> argparse.ArgumentParser:
    import argparse  # not for the desk started bare (see main): 3 ms to import, 8 ms to build

    parser = argparse.ArgumentParser(prog="cras-desk", description="CRAS Desk: patient booking for MSK CRAS.")
    parser.add_argument("--version", action="version", version=f"cras-desk {__version__}")
    url_help = "database URL, e.g. postgresql+psycopg://user@host/cras (default: the embedded SQLite file)"
    parser.add_argument("--url", help=url_help)
    sub = parser.add_subparsers(dest="command")

    db = sub.add_parser("db", help="database administration")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="apply the schema migrations")
    up.add_argument("--url", dest="sub_url", help=url_help)
    ir = db_sub.add_parser(
        "init-roles", help="make the CRAS login and group roles (PostgreSQL, as a superuser)"
    )
    ir.add_argument("--url", dest="sub_url", help=url_help)
    ir.add_argument(
        "--admin-login", help="give this existing admin user a database login (password asked for)"
    )

    seed = sub.add_parser("seed", help="write deterministic synthetic demo data into an empty database")
    seed.add_argument("--url", dest="sub_url", help=url_help)
    seed.add_argument("--referrals", type=int, default=30_000)
    seed.add_argument("--seed", type=int, default=1)

    letters = sub.add_parser("letters", help="letters")
    letters_sub = letters.add_subparsers(dest="letters_command", required=True)
    pq = letters_sub.add_parser(
        "print-queue", help="render queued letters: one combined PDF plus one per letter"
    )
    pq.add_argument("--url", dest="sub_url", help=url_help)
    pq.add_argument("--out", type=Path, required=True, help="folder for the PDFs")
    pq.add_argument(
        "--user", help="sign in as this user (asked for if not given); the password is always asked for"
    )
    rp = letters_sub.add_parser(
        "reprint", help="write the exact recorded PDF of a printed letter (checked against its SHA-256)"
    )
    rp.add_argument("--url", dest="sub_url", help=url_help)
    rp.add_argument("letter", help="the letter's reference, e.g. CRAS/123/456")
    rp.add_argument("--out", type=Path, required=True, help="file (or folder) for the PDF")
    rp.add_argument("--user", help="sign in as this user (asked for if not given)")
    _add_import_commands(sub, url_help)
    _add_users_commands(sub, url_help)
    settings = sub.add_parser("settings", help="the unit's central settings (admin)")
    settings_sub = settings.add_subparsers(dest="settings_command", required=True)
    for name, what in (
        ("show", "show every central setting, its range and who changed them last"),
        ("set", "change settings: NAME=VALUE ... (times as HH:MM, switches as yes/no)"),
    ):
        cmd = settings_sub.add_parser(name, help=what)
        cmd.add_argument("--url", dest="sub_url", help=url_help)
        cmd.add_argument("--user", help="on the embedded database: sign in as this admin")
        if name == "set":
            cmd.add_argument("assignments", nargs="+", metavar="NAME=VALUE")
    return parser


def _add_users_commands(sub: Any, url_help: str) -> None:
    """`users add|deactivate|reactivate|reset-password|unlock|list` (cli/users.py)."""
    users = sub.add_parser("users", help="user administration (admin): the users table and database logins")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    for name, what in (
        ("add", "add a user (and their database login); the password is asked for"),
        ("deactivate", "deactivate a user: their sessions end and they cannot sign in"),
        ("reactivate", "let a deactivated user sign in again"),
        ("reset-password", "set a user's password (asked for)"),
        ("unlock", "end a lockout after too many wrong passwords (the embedded sign-in's)"),
        ("list", "list the users"),
    ):
        cmd = users_sub.add_parser(name, help=what)
        cmd.add_argument("--url", dest="sub_url", help=url_help)
        cmd.add_argument("--user", help="on the embedded database: sign in as this admin")
        if name != "list":
            cmd.add_argument("username")
        if name == "add":
            cmd.add_argument("--full-name", required=True)
            cmd.add_argument("--role", choices=("advisor", "team_lead", "admin"), default="advisor")
            cmd.add_argument("--team", help="the team's name (advisors and team leads)")


def _add_import_commands(sub: Any, url_help: str) -> None:
    """`import referrals|waits FILE` and `export waiting-list --out FILE` (cli/imports.py)."""
    imp = sub.add_parser("import", help="import triaged referrals or published waiting times (admin)")
    imp_sub = imp.add_subparsers(dest="import_command", required=True)
    for name, what in (("referrals", "a referral CSV or a FHIR Bundle (.json)"), ("waits", "a waits CSV")):
        cmd = imp_sub.add_parser(name, help=f"import {what}; see docs/imports.md")
        cmd.add_argument("--url", dest="sub_url", help=url_help)
        cmd.add_argument("file", type=Path, help=what)
        cmd.add_argument("--dry-run", action="store_true", help="check every row and write nothing")
        cmd.add_argument("--user", help="sign in as this user (asked for if not given)")
    exp = sub.add_parser("export", help="export reports")
    exp_sub = exp.add_subparsers(dest="export_command", required=True)
    wl = exp_sub.add_parser("waiting-list", help="the open waiting list as CSV (weekly return shape)")
    wl.add_argument("--url", dest="sub_url", help=url_help)
    wl.add_argument("--out", type=Path, required=True, help="the CSV file to write")
    wl.add_argument("--user", help="sign in as this user (asked for if not given)")


def _open_database(url: str | None, *, migrate: bool = True, bulk: bool = False) -> Database:
    """bulk: migrations, seeding and imports, whose statements may rightly run longer than a desk's."""
    from cras_desk.database_url import resolve
    from cras_desk.db.engine import Database
    from cras_desk.db.migrate import upgrade

    db = Database(resolve(url, interactive=True), interactive=not bulk)
    if migrate:
        upgrade(db.engine)
    return db


def _desk(url: str | None) -> int:
    # No garbage collection while the desk starts: start-up makes a few hundred thousand objects
    # and almost no garbage, and collecting as it goes cost 70-140 ms of it. run_app turns the
    # collector back on once the first screen is up (cras_desk.gui.app.resume_gc).
    gc.disable()
    from cras_desk.gui.app import run_app  # Qt only for the desk itself

    return run_app(url, sys.argv[:1])


def main(argv: list[str] | None = None) -> int:
    # First, before Qt and the database load: a crash on the way up leaves a trail too (about 4 ms).
    log_files.start()
    if not (sys.argv[1:] if argv is None else argv):
        return _desk(None)  # as the desk's shortcut starts it: nothing to parse, no parser to build
    args = _parser().parse_args(argv)
    url = getattr(args, "sub_url", None) or args.url
    if args.command is None:
        return _desk(url)
    if args.command == "db" and args.db_command == "init-roles":
        from cras_desk.cli.users import init_roles_command

        return init_roles_command(_open_database(url, migrate=False, bulk=True), args.admin_login)
    if args.command == "users":
        from cras_desk.cli.users import users_command

        return users_command(
            _open_database(url, migrate=False),
            args.users_command,
            username=getattr(args, "username", None),
            full_name=getattr(args, "full_name", None),
            role=getattr(args, "role", None),
            team=getattr(args, "team", None),
            admin_user=args.user,
        )
    if args.command == "settings":
        from cras_desk.cli.settings import settings_command

        return settings_command(
            _open_database(url, migrate=False),
            args.settings_command,
            getattr(args, "assignments", []),
            args.user,
        )
    if args.command == "db":
        db = _open_database(url, bulk=True)
        from cras_desk.db.migrate import current_revision

        print(f"{db!r} is at schema revision {current_revision(db.engine)}")
        return 0
    if args.command == "seed":
        from cras_desk.demo.seed import is_empty, seed_database

        db = _open_database(url, bulk=True)
        if not is_empty(db):
            print(
                "The database already holds data; seed only writes into an empty database.", file=sys.stderr
            )
            return 2
        summary = seed_database(db, referrals=args.referrals, seed=args.seed, progress=print)
        counts = ", ".join(f"{k} {v:,}" for k, v in summary.counts.items())
        print(f"Seeded in {summary.seconds:.1f} s: {counts}")
        return 0
    if args.command == "letters":
        from cras_desk.cli.letters import print_queue_command, reprint_command

        if args.letters_command == "reprint":
            return reprint_command(_open_database(url), args.letter, args.out, args.user)
        return print_queue_command(_open_database(url), args.out, args.user)
    if args.command == "import":
        from cras_desk.cli.imports import import_command

        return import_command(
            _open_database(url, bulk=True), args.import_command, args.file, args.user, dry_run=args.dry_run
        )
    if args.command == "export":
        from cras_desk.cli.imports import export_command

        return export_command(_open_database(url), args.out, args.user)
    return 2
