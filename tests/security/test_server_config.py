"""The PostgreSQL server snippets the desk ships are read without error by a real PostgreSQL, and
the desk hands sslmode=verify-full and sslrootcert from its database URL to libpq.

A server of this test's own (not the shared one): its configuration files are rewritten on disk.
PostgreSQL's pg_file_settings and pg_hba_file_rules views parse the files as they are on disk at
the moment they are read, reporting each line's error, without the server applying them.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from cras_desk.db.engine import make_engine
from cras_desk.db.local_postgres import PostgresServer
from cras_desk.gui.sign_in.connection import target_from

SNIPPETS = Path(__file__).resolve().parents[2] / "resources" / "postgresql"


@pytest.fixture(scope="module")
def own_server() -> Iterator[Engine]:
    data = Path(tempfile.mkdtemp(prefix="cras-pg-conf-"))
    server = PostgresServer.start(data)
    engine = create_engine(server.base_url, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()
    del server
    shutil.rmtree(data, ignore_errors=True)


def copy_readable(source: Path, dest: Path) -> None:
    shutil.copyfile(source, dest)
    shutil.copymode(Path(dest).parent / "postgresql.conf", dest)
    stat = (Path(dest).parent / "postgresql.conf").stat()
    shutil.chown(dest, stat.st_uid, stat.st_gid)


def settings_in(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("include"):
            name, value = (part.strip() for part in line.split("=", 1))
            found[name] = value
    return found


def test_the_server_snippet_is_read_without_error(own_server: Engine) -> None:
    with own_server.connect() as conn:
        config_file = Path(conn.execute(text("SHOW config_file")).scalar_one())
        copy_readable(SNIPPETS / "cras-server.conf", config_file.parent / "cras-server.conf")
        with config_file.open("a", encoding="utf-8") as conf:
            conf.write("\ninclude 'cras-server.conf'\n")
        rows = conn.execute(
            text("SELECT name, setting, error FROM pg_file_settings WHERE sourcefile LIKE :f"),
            {"f": "%/cras-server.conf"},
        ).all()
    read = {name: (setting, error) for name, setting, error in rows}
    assert set(read) == set(settings_in(SNIPPETS / "cras-server.conf"))
    # "setting could not be applied" is PostgreSQL saying a restart is needed, not that it is wrong.
    errors = {name: e for name, (_s, e) in read.items() if e and e != "setting could not be applied"}
    assert errors == {}
    assert read["password_encryption"][0] == "scram-sha-256"
    assert read["shared_preload_libraries"][0] == "auth_delay"
    assert read["log_parameter_max_length"][0] == "0"
    assert read["log_statement"][0] == "none"


def test_pg_hba_accepts_only_scram_over_tls_and_rejects_the_rest(own_server: Engine) -> None:
    with own_server.connect() as conn:
        hba_file = Path(conn.execute(text("SHOW hba_file")).scalar_one())
        with_tls = bool(conn.execute(text("SHOW ssl_library")).scalar_one())
        original = hba_file.read_text(encoding="utf-8")
        copy_readable(SNIPPETS / "pg_hba.conf.example", hba_file)
        try:
            rules = conn.execute(
                text(
                    "SELECT type, database, user_name, auth_method, error"
                    " FROM pg_hba_file_rules ORDER BY line_number"
                )
            ).all()
        finally:
            hba_file.write_text(original, encoding="utf-8")
    # pgserver's PostgreSQL is built without OpenSSL: there, and only there, a hostssl line is
    # read but said never to match. A trust's server (Debian's postgresql-16, say) has TLS.
    no_tls = "hostssl record cannot match because SSL is not supported by this build"
    allowed = set() if with_tls else {no_tls}
    assert [r.error for r in rules if r.error and r.error not in allowed] == [], rules
    accepting = [r for r in rules if r.auth_method != "reject"]
    assert [(r.type, r.auth_method) for r in accepting] == [
        ("local", "peer"),
        ("hostssl", "scram-sha-256"),
        ("hostssl", "scram-sha-256"),
    ]
    assert accepting[0].user_name == ["postgres"]
    assert {r.type for r in rules if r.auth_method == "reject"} == {"hostnossl", "host", "local"}
    assert rules[-1].auth_method == "reject" and rules[-1].database == ["all"]


def test_the_desk_passes_sslmode_and_sslrootcert_to_libpq(tmp_path: Path) -> None:
    ca = tmp_path / "trust-root-ca.crt"
    url = f"postgresql://lena@db.trust.example:5432/cras?sslmode=verify-full&sslrootcert={ca}"
    target = target_from(url, saved_url=url)
    assert target.url.query == {"sslmode": "verify-full", "sslrootcert": str(ca)}
    engine = make_engine(target.full_url())
    try:
        _args, kwargs = engine.dialect.create_connect_args(make_url(target.full_url()))
    finally:
        engine.dispose()
    assert kwargs["sslmode"] == "verify-full" and kwargs["sslrootcert"] == str(ca)
    assert kwargs["host"] == "db.trust.example"
