"""contact details: phone status, referral notes, date-of-birth search, booked referrals open

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 19:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cras_desk.db.types import UtcDateTime

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PHONE_STATUS = sa.Enum(
    "active",
    "wrong_number",
    "not_in_use",
    name="phonestatus",
    native_enum=False,
    create_constraint=True,
    length=16,
)


def upgrade() -> None:
    with op.batch_alter_table("patient_phones", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", _PHONE_STATUS, server_default="active", nullable=False))
        batch_op.add_column(sa.Column("status_changed_at", UtcDateTime(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_patient_phones_preferred_is_active"), "NOT is_preferred OR status = 'active'"
        )
    # Before the unique index: a patient who somehow has two preferred numbers keeps the first.
    op.execute(
        "UPDATE patient_phones SET is_preferred = false WHERE is_preferred AND id > "
        "(SELECT min(p.id) FROM patient_phones p WHERE p.patient_id = patient_phones.patient_id "
        "AND p.is_preferred)"
    )
    with op.batch_alter_table("patient_phones", schema=None) as batch_op:
        batch_op.create_index(
            "uq_patient_phones_one_preferred",
            ["patient_id"],
            unique=True,
            sqlite_where=sa.text("is_preferred"),
            postgresql_where=sa.text("is_preferred"),
        )

    op.create_table(
        "referral_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_referral_notes_referral_id_referrals")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_referral_notes_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_notes")),
    )
    with op.batch_alter_table("referral_notes", schema=None) as batch_op:
        batch_op.create_index("ix_referral_notes_referral", ["referral_id", "at"], unique=False)

    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.create_index("ix_patients_date_of_birth", ["date_of_birth"], unique=False)

    # A booked referral is open work now (ReferralStatus.is_open): the worklist's open view shows it.
    op.execute("UPDATE referrals SET is_open = true WHERE status = 'booked'")


def downgrade() -> None:
    op.execute("UPDATE referrals SET is_open = false WHERE status = 'booked'")
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_index("ix_patients_date_of_birth")

    with op.batch_alter_table("referral_notes", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_notes_referral")
    op.drop_table("referral_notes")

    with op.batch_alter_table("patient_phones", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_patient_phones_one_preferred",
            sqlite_where=sa.text("is_preferred"),
            postgresql_where=sa.text("is_preferred"),
        )
    with op.batch_alter_table("patient_phones", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_patient_phones_preferred_is_active"), type_="check")
        batch_op.drop_constraint(op.f("ck_patient_phones_phonestatus"), type_="check")
        batch_op.drop_column("status_changed_at")
        batch_op.drop_column("status")
