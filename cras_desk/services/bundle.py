"""Every service the desk uses, built once from one Database and passed into the GUI's constructors."""

from __future__ import annotations

from dataclasses import dataclass

from cras_desk.db.engine import Database
from cras_desk.domain.contact_policy import ContactPolicy
from cras_desk.services.assignment import AssignmentService
from cras_desk.services.audit import AuditService
from cras_desk.services.auth import AuthService
from cras_desk.services.booking import BookingService
from cras_desk.services.choice import ChoiceService
from cras_desk.services.claims import ClaimService
from cras_desk.services.contact import ContactService
from cras_desk.services.letters import LetterService
from cras_desk.services.patient_record import PatientRecordService
from cras_desk.services.worklist import WorklistService


@dataclass(frozen=True)
class ServiceBundle:
    db: Database
    auth: AuthService
    claims: ClaimService
    worklist: WorklistService
    records: PatientRecordService
    contact: ContactService
    choice: ChoiceService
    booking: BookingService
    assignment: AssignmentService
    letters: LetterService
    audit: AuditService

    @classmethod
    def build(cls, db: Database, policy: ContactPolicy | None = None) -> ServiceBundle:
        return cls(
            db=db,
            auth=AuthService(db),
            claims=ClaimService(db),
            worklist=WorklistService(db),
            records=PatientRecordService(db),
            contact=ContactService(db, policy),
            choice=ChoiceService(db),
            booking=BookingService(db),
            assignment=AssignmentService(db),
            letters=LetterService(db),
            audit=AuditService(db),
        )
