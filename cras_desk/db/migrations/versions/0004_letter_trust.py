"""letters an administrator can trust: withdrawn letters, the address each letter went to

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 19:30:00

A letter superseded before it was printed becomes "withdrawn" (with when and why); a printed
letter records the address it was posted to. The status CHECK gains the new value: on SQLite
that rebuilds the letters table (batch mode), which has no triggers and no table refers to it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cras_desk.db.types import UtcDateTime

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = ("queued", "printed", "cancelled")
_NEW = (*_OLD, "withdrawn")


def _status(values: Sequence[str]) -> sa.Enum:
    return sa.Enum(*values, name="letterstatus", native_enum=False, create_constraint=True, length=12)


def upgrade() -> None:
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sent_to", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_at", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_reason", sa.String(length=200), nullable=True))
        batch_op.alter_column(
            "status", existing_type=_status(_OLD), type_=_status(_NEW), existing_nullable=False
        )


def downgrade() -> None:
    # A withdrawn letter was never posted; before this revision the nearest state is "cancelled".
    op.execute("UPDATE letters SET status = 'cancelled' WHERE status = 'withdrawn'")
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.alter_column(
            "status", existing_type=_status(_NEW), type_=_status(_OLD), existing_nullable=False
        )
        batch_op.drop_column("withdrawn_reason")
        batch_op.drop_column("withdrawn_at")
        batch_op.drop_column("sent_to")
