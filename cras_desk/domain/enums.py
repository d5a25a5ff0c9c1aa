"""The closed vocabularies of the service, shared by the database, services and GUI."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADVISOR = "advisor"
    TEAM_LEAD = "team_lead"
    ADMIN = "admin"


class ServiceCode(StrEnum):
    PHYSIOTHERAPY = "physio"
    MSK_MDT = "msk_mdt"
    PAIN = "pain"
    RHEUMATOLOGY = "rheum"
    PODIATRY = "podiatry"
    ORTHOTICS = "orthotics"


class Priority(StrEnum):
    URGENT = "urgent"
    SOON = "soon"
    ROUTINE = "routine"

    @property
    def rank(self) -> int:
        """Sort key: most urgent first."""
        return _PRIORITY_RANK[self]


_PRIORITY_RANK = {Priority.URGENT: 0, Priority.SOON: 1, Priority.ROUTINE: 2}


class ReferralStatus(StrEnum):
    AWAITING_CONTACT = "awaiting_contact"  # triaged, nobody has phoned yet
    CONTACTING = "contacting"  # at least one failed attempt
    CALLBACK = "callback"  # patient asked to be called back at a time
    CHOICE_PENDING = "choice_pending"  # patient wants time to think; choice letter sent
    UTC_LETTER_SENT = "utc_letter_sent"  # unable-to-contact letter sent, awaiting reply
    BOOKED = "booked"
    DISCHARGED = "discharged"  # returned to the GP
    COMPLETED = "completed"  # attended first appointment / declined treatment

    @property
    def is_open(self) -> bool:
        """Open referrals are on a worklist; closed ones are history.

        A booked referral is still open work: the patient rings about the appointment, it may need
        a reminder or rebooking, and it breaches if the appointment falls after the breach date.
        Who to phone next is a narrower question (services.claims.callable_now leaves booked
        referrals out unless the patient asked for a call back).
        """
        return self not in (ReferralStatus.DISCHARGED, ReferralStatus.COMPLETED)


class PhoneStatus(StrEnum):
    """Whether a patient's number is worth dialling; only an active number can be preferred."""

    ACTIVE = "active"
    WRONG_NUMBER = "wrong_number"  # someone else answers it
    NOT_IN_USE = "not_in_use"  # unobtainable, or the patient says they no longer use it

    @property
    def dialable(self) -> bool:
        return self is PhoneStatus.ACTIVE


class ContactChannel(StrEnum):
    PHONE = "phone"
    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"


class ContactOutcome(StrEnum):
    SPOKE = "spoke"
    NO_ANSWER = "no_answer"
    VOICEMAIL = "voicemail"
    WRONG_NUMBER = "wrong_number"
    BUSY = "busy"
    DECLINED = "declined"
    CALLBACK_REQUESTED = "callback_requested"

    @property
    def is_failed(self) -> bool:
        """A failed attempt counts towards the contact policy's limit."""
        return self in (
            ContactOutcome.NO_ANSWER,
            ContactOutcome.VOICEMAIL,
            ContactOutcome.WRONG_NUMBER,
            ContactOutcome.BUSY,
        )


class SlotKind(StrEnum):
    ONE_TO_ONE = "one_to_one"
    GROUP = "group"  # pain management information sessions and programmes


class SlotStatus(StrEnum):
    OPEN = "open"
    FULL = "full"
    BLOCKED = "blocked"  # withdrawn by the provider


class BookingStatus(StrEnum):
    BOOKED = "booked"
    CANCELLED_PATIENT = "cancelled_patient"
    CANCELLED_PROVIDER = "cancelled_provider"
    REBOOKED = "rebooked"  # superseded by a new booking
    DNA = "dna"  # did not attend
    ATTENDED = "attended"


class LetterKind(StrEnum):
    CHOICE = "choice"
    APPOINTMENT = "appointment"
    CANCELLED = "cancelled"
    REBOOKED = "rebooked"
    UNABLE_TO_CONTACT = "unable_to_contact"
    DISCHARGE = "discharge"
    DISCHARGE_GP_COPY = "discharge_gp_copy"


class LetterStatus(StrEnum):
    QUEUED = "queued"
    PRINTED = "printed"
    CANCELLED = "cancelled"
    WITHDRAWN = "withdrawn"  # superseded before it was printed (rebooked, cancelled, patient reached)


class TimeOfDay(StrEnum):
    MORNING = "morning"  # before 12:00
    AFTERNOON = "afternoon"  # 12:00 to 17:00
    EVENING = "evening"  # from 17:00

    @classmethod
    def of_hour(cls, hour: int) -> TimeOfDay:
        if hour < 12:
            return cls.MORNING
        if hour < 17:
            return cls.AFTERNOON
        return cls.EVENING


class ClinicianType(StrEnum):
    PHYSIOTHERAPIST = "physiotherapist"
    ADVANCED_PRACTITIONER = "advanced_practitioner"
    CONSULTANT = "consultant"
    PODIATRIST = "podiatrist"
    ORTHOTIST = "orthotist"
    PSYCHOLOGIST = "psychologist"
    NURSE_SPECIALIST = "nurse_specialist"


class AdjustmentFlag(StrEnum):
    """Reasonable adjustments a patient may need; shown prominently and honoured by choice."""

    STEP_FREE = "step_free"
    HEARING_LOOP = "hearing_loop"
    PARKING = "parking"
    LARGE_PRINT = "large_print"
    INTERPRETER = "interpreter"
    CARER_PRESENT = "carer_present"
    LONGER_APPOINTMENT = "longer_appointment"
