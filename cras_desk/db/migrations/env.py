"""Alembic environment: runs on a connection handed in by cras_desk.db.migrate, or on the URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from cras_desk.db.engine import make_engine
from cras_desk.db.models import Base, compared_by_autogenerate

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=compared_by_autogenerate,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()
