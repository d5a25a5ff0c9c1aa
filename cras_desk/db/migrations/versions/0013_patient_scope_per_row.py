"""patient scope checked row by row: an advisor's worklist sorted by name stays fast as the team grows

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 18:20:00

The patients policy of 0010 lets a team's advisor or lead see a patient some referral they may see
is for. When a plan reads patients in name order (a team's worklist sorted by name), PostgreSQL
chose to evaluate that EXISTS once per query as a hash of every referral the caller may see:
87,000 of a 300,000-referral unit, 35 ms of a 42 ms page, and growing with the team. The planner
turns an EXISTS into a hashed subplan only when the subquery has no OFFSET, so with OFFSET 0 the
check stays a probe of ix_referrals_patient per patient row read: 6 ms for that page
(bench/worklist.py --as-users), the other pages unchanged. Who sees what does not change, only how
it is computed.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PER_ROW = "EXISTS (SELECT 1 FROM referrals r WHERE r.patient_id = patients.id OFFSET 0)"
HASHABLE = "EXISTS (SELECT 1 FROM referrals r WHERE r.patient_id = patients.id)"


def _set(using: str) -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    conn.execute(text(f"ALTER POLICY cras_scope ON patients USING ({using})"))


def upgrade() -> None:
    _set(PER_ROW)


def downgrade() -> None:
    _set(HASHABLE)
