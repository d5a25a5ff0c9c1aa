"""imports: referrals from triage (CSV, FHIR) matched by source reference, published waiting times

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 22:00:00

Each imported referral keeps the sender's own reference to it, unique, so a file imported twice
adds nothing the second time. A plain column and a unique index rather than a UNIQUE constraint:
SQLite can add both without rebuilding the referrals table (which most tables refer to), and
NULLs (referrals that were not imported) never collide on either engine.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("referrals", sa.Column("source_ref", sa.String(length=120), nullable=True))
    op.create_index("uq_referrals_source_ref", "referrals", ["source_ref"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_referrals_source_ref", table_name="referrals")
    # SQLite 3.35 and later drop a column in place: no table rebuild under the tables that refer to it.
    op.drop_column("referrals", "source_ref")
