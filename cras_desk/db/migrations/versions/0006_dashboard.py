"""the early-warning dashboard: indexes its aggregates need at 300,000 referrals

Covering indexes, so each figure's GROUP BY reads an index in order instead of the table: the
referrals received per service and day (all, and open ones), closed referrals by when they closed
(the 26-week trend), the unbooked queue by breach date, future slots by start, and the day's and
week's calls, bookings and letters by time.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 22:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES: dict[str, tuple[str, list[str]]] = {
    "ix_referrals_dash_received": ("referrals", ["service_id", "received_on", "team_id"]),
    "ix_referrals_dash_open_received": ("referrals", ["is_open", "service_id", "received_on", "team_id"]),
    "ix_referrals_dash_closed": (
        "referrals",
        ["is_open", "updated_at", "service_id", "received_on", "team_id"],
    ),
    "ix_referrals_dash_queue": (
        "referrals",
        ["is_open", "service_id", "breach_on", "status", "team_id", "priority_rank"],
    ),
    "ix_slots_dash_time": (
        "slots",
        ["starts_at", "service_id", "site_id", "kind", "status", "capacity", "booked_count"],
    ),
    "ix_contact_attempts_dash_at": ("contact_attempts", ["at", "user_id", "channel", "outcome"]),
    "ix_bookings_dash_booked_at": ("bookings", ["booked_at", "booked_by"]),
    "ix_letters_dash_created_at": ("letters", ["created_at", "created_by"]),
    "ix_letters_dash_printed_at": ("letters", ["printed_at", "printed_by"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, (table, _columns) in reversed(list(INDEXES.items())):
        op.drop_index(name, table_name=table)
