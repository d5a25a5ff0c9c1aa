"""needs drive the appointment: interpreter on bookings, longer appointments, availability

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 19:30:00

Every new column is nullable: NULL means "nothing stated" (no availability given, no longer
appointment offered by the service, no interpreter booked), so existing rows need no backfill.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("services", sa.Column("longer_appointment_minutes", sa.SmallInteger(), nullable=True))
    op.add_column("patients", sa.Column("unavailable_weekdays", sa.JSON(), nullable=True))
    op.add_column("patients", sa.Column("available_day_parts", sa.JSON(), nullable=True))
    op.add_column("patients", sa.Column("availability_note", sa.String(length=200), nullable=True))
    op.add_column("bookings", sa.Column("interpreter_language", sa.String(length=40), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): none of these columns is in an index or a
    # constraint, and a batch rebuild of patients or bookings would have to recreate their indexes.
    op.drop_column("bookings", "interpreter_language")
    op.drop_column("patients", "availability_note")
    op.drop_column("patients", "available_day_parts")
    op.drop_column("patients", "unavailable_weekdays")
    op.drop_column("services", "longer_appointment_minutes")
