"""The schema, as typed SQLAlchemy 2 models. Alembic migrations are generated from and checked against it.

Denormalised columns on `referrals` (breach_on, priority_rank, is_open, attempt counts, team_id,
next_action_at) exist so that every worklist filter and sort is one index range scan; the services
keep them in step in the same transaction as the change that moves them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from cras_desk.db.types import BigId, JsonType, UtcDateTime, enum_column, key_column
from cras_desk.domain.clock import utcnow
from cras_desk.domain.enums import (
    BookingStatus,
    ClinicianType,
    ContactChannel,
    ContactOutcome,
    LetterKind,
    LetterStatus,
    PhoneStatus,
    Priority,
    ReferralStatus,
    Role,
    ServiceCode,
    SlotKind,
    SlotStatus,
    TimeOfDay,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _created() -> Mapped[datetime]:
    return mapped_column(UtcDateTime, default=utcnow, nullable=False)


# --- people and organisation -------------------------------------------------------------------


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = _created()
    # Wrong passwords since the last good sign-in; at the policy's limit the account is locked
    # until locked_until (services.auth, services.sign_in_policy).
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)

    team: Mapped[Team | None] = relationship()


# --- services, providers, sites -----------------------------------------------------------------


class Service(Base):
    __tablename__ = "services"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[ServiceCode] = mapped_column(enum_column(ServiceCode), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    has_group_sessions: Mapped[bool] = mapped_column(Boolean, default=False)
    # How long a "longer appointment" (AdjustmentFlag.LONGER_APPOINTMENT) is here; NULL: not offered.
    longer_appointment_minutes: Mapped[int | None] = mapped_column(SmallInteger)


class Provider(Base):
    __tablename__ = "providers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    ods_code: Mapped[str | None] = mapped_column(String(10))
    phone: Mapped[str | None] = mapped_column(String(20))


class Site(Base):
    """A hub where clinics run. Accessibility flags drive reasonable-adjustment filtering."""

    __tablename__ = "sites"
    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    name: Mapped[str] = mapped_column(String(120))
    address_line1: Mapped[str] = mapped_column(String(120))
    address_line2: Mapped[str | None] = mapped_column(String(120))
    town: Mapped[str] = mapped_column(String(60))
    postcode: Mapped[str] = mapped_column(String(8))
    latitude: Mapped[float] = mapped_column()
    longitude: Mapped[float] = mapped_column()
    step_free: Mapped[bool] = mapped_column(Boolean, default=False)
    hearing_loop: Mapped[bool] = mapped_column(Boolean, default=False)
    parking: Mapped[bool] = mapped_column(Boolean, default=False)
    opening_hours: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20))

    provider: Mapped[Provider] = relationship()


class SiteService(Base):
    """Which site offers which service: the set a patient may choose from."""

    __tablename__ = "site_services"
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), primary_key=True)


class Clinician(Base):
    __tablename__ = "clinicians"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    clinician_type: Mapped[ClinicianType] = mapped_column(enum_column(ClinicianType, 32))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))


class Clinic(Base):
    """One clinic session (a clinician at a site on a day, or a group session series)."""

    __tablename__ = "clinics"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    clinician_id: Mapped[int | None] = mapped_column(ForeignKey("clinicians.id"))
    clinic_date: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(120))
    kind: Mapped[SlotKind] = mapped_column(enum_column(SlotKind))


class Slot(Base):
    """A bookable place. 1:1 slots have capacity 1; group sessions more.

    The CHECK on booked_count is the last line against overbooking: the booking service's
    conditional UPDATE is the first.
    """

    __tablename__ = "slots"
    __table_args__ = (
        CheckConstraint("booked_count >= 0 AND booked_count <= capacity", name="within_capacity"),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        Index("ix_slots_finder", "service_id", "status", "starts_at"),
        Index("ix_slots_site_time", "site_id", "starts_at"),
        # The dashboard's free places (migration 0006).
        Index(
            "ix_slots_dash_time",
            "starts_at",
            "service_id",
            "site_id",
            "kind",
            "status",
            "capacity",
            "booked_count",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    clinician_type: Mapped[ClinicianType] = mapped_column(enum_column(ClinicianType, 32))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    duration_minutes: Mapped[int] = mapped_column(SmallInteger)
    day_part: Mapped[TimeOfDay] = mapped_column(enum_column(TimeOfDay, 12))
    kind: Mapped[SlotKind] = mapped_column(enum_column(SlotKind))
    capacity: Mapped[int] = mapped_column(SmallInteger, default=1)
    booked_count: Mapped[int] = mapped_column(SmallInteger, default=0, server_default=text("0"))
    status: Mapped[SlotStatus] = mapped_column(enum_column(SlotStatus), default=SlotStatus.OPEN)


class WaitingTime(Base):
    """Published wait per site and service; the latest as_of is current, older ones are history."""

    __tablename__ = "waiting_times"
    __table_args__ = (
        UniqueConstraint("site_id", "service_id", "as_of", name="uq_waiting_times_site_service_asof"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    weeks: Mapped[int] = mapped_column(SmallInteger)
    as_of: Mapped[date] = mapped_column(Date)


# --- patients and referrals ----------------------------------------------------------------------


class GpPractice(Base):
    __tablename__ = "gp_practices"
    id: Mapped[int] = mapped_column(primary_key=True)
    ods_code: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    address_line1: Mapped[str] = mapped_column(String(120))
    town: Mapped[str] = mapped_column(String(60))
    postcode: Mapped[str] = mapped_column(String(8))
    phone: Mapped[str | None] = mapped_column(String(20))


class Patient(Base):
    __tablename__ = "patients"
    __table_args__ = (
        Index("ix_patients_family_key", "family_key"),
        Index("ix_patients_postcode_key", "postcode_key"),
        Index("ix_patients_date_of_birth", "date_of_birth"),  # the worklist's date-of-birth search
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    nhs_number: Mapped[str] = mapped_column(String(10), unique=True)
    title: Mapped[str | None] = mapped_column(String(12))
    given_name: Mapped[str] = mapped_column(String(80))
    family_name: Mapped[str] = mapped_column(String(80))
    family_key: Mapped[str] = mapped_column(key_column(80))
    given_key: Mapped[str] = mapped_column(key_column(80))
    date_of_birth: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(12))
    address_line1: Mapped[str] = mapped_column(String(120))
    address_line2: Mapped[str | None] = mapped_column(String(120))
    town: Mapped[str] = mapped_column(String(60))
    county: Mapped[str | None] = mapped_column(String(60))
    postcode: Mapped[str] = mapped_column(String(8))
    postcode_key: Mapped[str] = mapped_column(key_column(8))
    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()
    email: Mapped[str | None] = mapped_column(String(120))
    preferred_contact_times: Mapped[str | None] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(40), default="English")
    interpreter_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    adjustments: Mapped[list[str]] = mapped_column(JsonType, default=list)
    adjustments_note: Mapped[str | None] = mapped_column(Text)
    # When the patient can come (domain/appointment_needs.py): weekdays 0 = Monday, TimeOfDay values.
    unavailable_weekdays: Mapped[list[int] | None] = mapped_column(JsonType)
    available_day_parts: Mapped[list[str] | None] = mapped_column(JsonType)
    availability_note: Mapped[str | None] = mapped_column(String(200))
    gp_practice_id: Mapped[int | None] = mapped_column(ForeignKey("gp_practices.id"))
    created_at: Mapped[datetime] = _created()

    phones: Mapped[list[PatientPhone]] = relationship(
        back_populates="patient", order_by="PatientPhone.is_preferred.desc()"
    )
    gp_practice: Mapped[GpPractice | None] = relationship()


class PatientPhone(Base):
    """A number of the patient's. One preferred number at most, and only one that is in use: a number
    found wrong is kept (with its status) so nobody records it again as new."""

    __tablename__ = "patient_phones"
    __table_args__ = (
        Index("ix_patient_phones_number_key", "number_key"),
        CheckConstraint("NOT is_preferred OR status = 'active'", name="preferred_is_active"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # mobile / home / work
    number: Mapped[str] = mapped_column(String(24))
    number_key: Mapped[str] = mapped_column(key_column(16))
    is_preferred: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[PhoneStatus] = mapped_column(
        enum_column(PhoneStatus, 16), default=PhoneStatus.ACTIVE, server_default=PhoneStatus.ACTIVE.value
    )
    status_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    patient: Mapped[Patient] = relationship(back_populates="phones")


class Referral(Base):
    """A triaged referral: the unit of work on a worklist.

    received_on starts the RTT clock. claimed_by/claimed_until say who is working it right now;
    the claim service takes it with one conditional UPDATE so two advisors can never both hold it.
    """

    __tablename__ = "referrals"
    __table_args__ = (
        Index("ix_referrals_mine", "assigned_to", "is_open", "priority_rank", "breach_on"),
        Index("ix_referrals_team", "team_id", "is_open", "breach_on"),
        Index("ix_referrals_open_breach", "is_open", "breach_on"),
        Index("ix_referrals_next_patient", "is_open", "priority_rank", "breach_on"),
        Index("ix_referrals_callbacks", "is_open", "next_action_at"),
        Index("ix_referrals_patient", "patient_id"),
        # The dashboard's aggregates (migration 0006): covering, so each GROUP BY reads an index.
        Index("ix_referrals_dash_received", "service_id", "received_on", "team_id"),
        Index("ix_referrals_dash_open_received", "is_open", "service_id", "received_on", "team_id"),
        Index("ix_referrals_dash_closed", "is_open", "updated_at", "service_id", "received_on", "team_id"),
        Index(
            "ix_referrals_dash_queue",
            "is_open",
            "service_id",
            "breach_on",
            "status",
            "team_id",
            "priority_rank",
        ),
        # One referral per source reference: importing the same file again adds nothing.
        Index("uq_referrals_source_ref", "source_ref", unique=True),
        CheckConstraint(
            "(claimed_by IS NULL AND claimed_until IS NULL)"
            " OR (claimed_by IS NOT NULL AND claimed_until IS NOT NULL)",
            name="claim_complete",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    received_on: Mapped[date] = mapped_column(Date)
    priority: Mapped[Priority] = mapped_column(enum_column(Priority, 12))
    priority_rank: Mapped[int] = mapped_column(SmallInteger)
    breach_on: Mapped[date] = mapped_column(Date)
    referrer: Mapped[str | None] = mapped_column(String(120))
    triage_notes: Mapped[str | None] = mapped_column(Text)
    triaged_by: Mapped[str | None] = mapped_column(String(120))
    triaged_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[ReferralStatus] = mapped_column(enum_column(ReferralStatus))
    is_open: Mapped[bool] = mapped_column(Boolean)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    attempt_count: Mapped[int] = mapped_column(SmallInteger, default=0, server_default=text("0"))
    failed_attempt_count: Mapped[int] = mapped_column(SmallInteger, default=0, server_default=text("0"))
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    next_action_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    utc_letter_sent_on: Mapped[date | None] = mapped_column(Date)
    # The sender's own id of the referral (a CSV referral_ref, a FHIR identifier); NULL if not imported.
    source_ref: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    patient: Mapped[Patient] = relationship()
    service: Mapped[Service] = relationship()


class ContactAttempt(Base):
    __tablename__ = "contact_attempts"
    __table_args__ = (
        Index("ix_contact_attempts_referral", "referral_id", "at"),
        Index("ix_contact_attempts_dash_at", "at", "user_id", "channel", "outcome"),  # migration 0006
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[ContactChannel] = mapped_column(enum_column(ContactChannel, 12))
    number_used: Mapped[str | None] = mapped_column(String(24))
    outcome: Mapped[ContactOutcome] = mapped_column(enum_column(ContactOutcome))
    callback_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    notes: Mapped[str | None] = mapped_column(Text)


class ReferralNote(Base):
    """A free-text note on a referral ("patient rang to ask about parking"): append-only history."""

    __tablename__ = "referral_notes"
    __table_args__ = (Index("ix_referral_notes_referral", "referral_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)


class ChoiceOffer(Base):
    """What was offered, exactly as shown (a snapshot of sites and waits), and what was decided."""

    __tablename__ = "choice_offers"
    __table_args__ = (Index("ix_choice_offers_referral", "referral_id", "offered_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"))
    offered_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    options: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    decision: Mapped[str] = mapped_column(String(20))  # chosen / time_to_think / declined
    chosen_site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    sdm_notes: Mapped[str | None] = mapped_column(Text)


# Partial unique indexes live in the migrations only (0001: uq_bookings_live_per_referral, one live
# booking per referral; 0002: uq_patient_phones_one_preferred, one preferred number per patient, so
# two desks choosing at once cannot both win). Declared here, `postgresql_where=` would import
# SQLAlchemy's PostgreSQL dialect on every start of a desk that runs on SQLite; the schema test
# holds the migrated indexes to these predicates on both engines.
PARTIAL_UNIQUE_INDEXES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "uq_bookings_live_per_referral": ("bookings", ("referral_id",), "status = 'booked'"),
    "uq_patient_phones_one_preferred": ("patient_phones", ("patient_id",), "is_preferred"),
}


class Booking(Base):
    """A place taken in a slot. At most one live booking per referral and per (slot, referral)."""

    __tablename__ = "bookings"
    __table_args__ = (
        Index("ix_bookings_slot", "slot_id"),
        Index("ix_bookings_dash_booked_at", "booked_at", "booked_by"),  # migration 0006
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"))
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"))
    status: Mapped[BookingStatus] = mapped_column(enum_column(BookingStatus))
    booked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    booked_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    rebooked_from_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"))
    # The interpreter the clinic must provide, as the patient's need stood when the place was taken.
    interpreter_language: Mapped[str | None] = mapped_column(String(40))


class Letter(Base):
    """A letter generated or queued. sha256 and document_id make a reprint byte-identical."""

    __tablename__ = "letters"
    __table_args__ = (
        Index("ix_letters_referral", "referral_id"),
        Index("ix_letters_status", "status", "created_at"),
        Index("ix_letters_dash_created_at", "created_at", "created_by"),  # migration 0006
        Index("ix_letters_dash_printed_at", "printed_at", "printed_by"),  # migration 0006
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"))
    kind: Mapped[LetterKind] = mapped_column(enum_column(LetterKind))
    status: Mapped[LetterStatus] = mapped_column(enum_column(LetterStatus, 12))
    recipient: Mapped[str] = mapped_column(String(12), default="patient")  # patient / gp
    large_print: Mapped[bool] = mapped_column(Boolean, default=False)
    inputs: Mapped[dict[str, Any]] = mapped_column(JsonType)
    created_at: Mapped[datetime] = _created()
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    document_id: Mapped[str | None] = mapped_column(String(64))
    sha256: Mapped[str | None] = mapped_column(String(64))
    rendered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    printed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    printed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Where the printed letter was posted: {"to": addressee, "address": [lines]} as printed.
    sent_to: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    withdrawn_reason: Mapped[str | None] = mapped_column(String(200))


class Assignment(Base):
    """History of who owned a referral; written by every reassignment."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_referral", "referral_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"))
    from_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    to_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    reason: Mapped[str | None] = mapped_column(String(200))


class AuditEvent(Base):
    """Append-only (database triggers refuse UPDATE, DELETE, TRUNCATE and, on SQLite, REPLACE): every
    view and change of a record."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_patient", "patient_id", "at"),
        Index("ix_audit_events_user", "user_id", "at"),
        # A desk may append to the trail but not read it (migration 0011), so an INSERT must not
        # ask for the new id back (RETURNING needs SELECT).
        {"implicit_returning": False},
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    patient_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    # The database login that wrote the row: on PostgreSQL a trigger sets it (and `at`) from
    # session_user and the server clock whatever the desk sent (migration 0011); NULL on SQLite,
    # whose single user is the OS account holding the file.
    db_user: Mapped[str | None] = mapped_column(Text)


# What the database's own triggers write for a change of patient or booking data (migration 0011,
# PostgreSQL): entity is the table, detail names the changed columns of an update.
ROW_CHANGE_ACTIONS = ("db_insert", "db_update", "db_delete")


class Change(Base):
    """Change feed: one monotonic sequence row per changed row, read by desks to refresh."""

    __tablename__ = "changes"
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(Integer)
    op: Mapped[str] = mapped_column(String(8))  # insert / update / delete
    user_id: Mapped[int | None] = mapped_column(Integer)
    # On PostgreSQL the writing transaction's id (server default pg_current_xact_id(), see migration
    # 0007): readers stay below their snapshot's xmin so a late commit is never skipped. NULL on
    # SQLite, where one writer at a time makes the sequence the commit order.
    xid: Mapped[int | None] = mapped_column(BigInteger, server_default=FetchedValue())
    desk: Mapped[str | None] = mapped_column(String(64))  # the desk that made the change


class IdempotencyKey(Base):
    """An advisor's action, keyed when they pressed Save or Book, and the result it gave.

    Written in the action's own transaction: if that transaction committed, a retry finds the key
    and returns the recorded result; if it did not, the retry does the action."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_at", "at"),)
    key: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    result: Mapped[dict[str, Any] | None] = mapped_column(JsonType)


class CentralSetting(Base):
    """The unit's rules, one row (id 1) every desk reads: the options of
    domain.central_settings.CentralSettings, whose ranges the migration's CHECK constraints repeat.
    `version` counts edits, so an admin's save can tell a colleague's edit from its own retry."""

    __tablename__ = "central_settings"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    max_failed_attempts: Mapped[int] = mapped_column(Integer)
    min_distinct_days: Mapped[int] = mapped_column(Integer)
    require_distinct_times_of_day: Mapped[bool] = mapped_column(Boolean)
    respond_within_days: Mapped[int] = mapped_column(Integer)
    calling_opens: Mapped[int] = mapped_column(Integer)  # minutes after midnight, UK time
    calling_closes: Mapped[int] = mapped_column(Integer)
    claim_minutes: Mapped[int] = mapped_column(Integer)
    idle_lock_min_minutes: Mapped[int] = mapped_column(Integer)
    idle_lock_max_minutes: Mapped[int] = mapped_column(Integer)
    lockout_failures: Mapped[int] = mapped_column(Integer)
    lockout_minutes: Mapped[int] = mapped_column(Integer)
    lockout_until_admin_unlocks: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


# Besides the partial ones: the change feed's reading order on PostgreSQL (migration 0007).
MIGRATION_ONLY_INDEXES = {*PARTIAL_UNIQUE_INDEXES, "ix_changes_xid"}


def compared_by_autogenerate(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object | None
) -> bool:
    """Alembic's include_object hook: the migrations' own indexes are not the models' to compare."""
    return not (type_ == "index" and reflected and name in MIGRATION_ONLY_INDEXES)
