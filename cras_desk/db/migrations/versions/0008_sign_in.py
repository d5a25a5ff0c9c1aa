"""sign-in protections: failed sign-in count and lockout on users

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 00:45:00

failed_sign_ins counts the wrong passwords since the last good sign-in; when it reaches the sign-in
policy's limit (cras_desk.services.sign_in_policy) the account is locked until locked_until, or
until an admin unlocks it. NULL locked_until: not locked.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cras_desk.db.types import UtcDateTime

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("failed_sign_ins", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("locked_until", UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("locked_until")
        batch.drop_column("failed_sign_ins")
