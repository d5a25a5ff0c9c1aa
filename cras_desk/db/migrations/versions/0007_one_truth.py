"""one truth for every desk: a commit-ordered change feed, a NOTIFY at commit, idempotency keys

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 22:10:00

PostgreSQL takes sequence numbers in one order and commits in another, so a desk that has read
seq N+1 could miss a later-committing N for good. Each change row now records the id of the
transaction that wrote it (`xid`, from pg_current_xact_id()), and desks read only rows written
by transactions older than their snapshot's xmin: every one of those has ended, so nothing can
appear below the point a desk has read (cras_desk.db.change_feed). SQLite has one writer at a
time, so its sequence order is its commit order and `xid` stays NULL there.

A statement-level trigger sends NOTIFY cras_changes when a transaction writes change rows; the
notification is delivered at commit (and not at all on rollback), and says only "look": the feed
says what changed.

`desk` names the desk that made the change, for "changed at desk X by Y at HH:MM".

`idempotency_keys` holds the key an advisor's action carries from the moment they press Save or
Book, with the result it gave: a retry after an uncertain commit finds the key and returns that
result instead of doing the action twice.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cras_desk.db.types import JsonType, UtcDateTime

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTIFY_CHANNEL = "cras_changes"


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("changes") as batch:
        batch.add_column(
            sa.Column(
                "xid",
                sa.BigInteger(),
                # xid8 as a number: epoch and xid in 64 bits, ordered like the transactions started.
                server_default=sa.text("(pg_current_xact_id()::text::bigint)") if postgresql else None,
                nullable=True,
            )
        )
        batch.add_column(sa.Column("desk", sa.String(64), nullable=True))
    if postgresql:
        op.create_index("ix_changes_xid", "changes", ["xid", "seq"])
        op.execute(
            f"""
            CREATE FUNCTION cras_notify_changes() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('{NOTIFY_CHANNEL}', '');
                RETURN NULL;
            END $$
            """
        )
        op.execute(
            "CREATE TRIGGER trg_changes_notify AFTER INSERT ON changes "
            "FOR EACH STATEMENT EXECUTE FUNCTION cras_notify_changes()"
        )
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("result", JsonType, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_idempotency_keys_user_id_users")),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index("ix_idempotency_keys_at", "idempotency_keys", ["at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER trg_changes_notify ON changes")
        op.execute("DROP FUNCTION cras_notify_changes()")
        op.drop_index("ix_changes_xid", table_name="changes")
    with op.batch_alter_table("changes") as batch:
        batch.drop_column("desk")
        batch.drop_column("xid")
