"""Every service the desk uses, made from one Database and passed into the GUI's constructors.

Each service is built (and its module imported) when first used, so a desk that starts on the
worklist does not pay at startup for letters, booking or the team-lead view.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING

from cras_desk.db.engine import Database

if TYPE_CHECKING:
    from cras_desk.services.actor import Actor
    from cras_desk.services.assignment import AssignmentService
    from cras_desk.services.audit import AuditService
    from cras_desk.services.auth import AuthService
    from cras_desk.services.booking import BookingService
    from cras_desk.services.central_settings import CentralSettingsService
    from cras_desk.services.choice import ChoiceService
    from cras_desk.services.claims import ClaimService
    from cras_desk.services.contact import ContactService
    from cras_desk.services.contact_details import ContactDetailsService
    from cras_desk.services.letters import LetterService
    from cras_desk.services.patient_record import PatientRecordService
    from cras_desk.services.worklist import WorklistService


class ServiceBundle:
    def __init__(self, db: Database) -> None:
        self.db = db

    @classmethod
    def build(cls, db: Database) -> ServiceBundle:
        return cls(db)

    @cached_property
    def auth(self) -> AuthService:
        from cras_desk.services.auth import AuthService

        return AuthService(self.db)

    @cached_property
    def password_check(self) -> Callable[[Actor, str], bool]:
        """Re-checks a signed-in user's password (unlocking an idle desk): by the server itself when
        the desk is connected as the person's own login role."""
        if self.db.personal_login:
            from cras_desk.services.database_login import DatabaseLogin

            return DatabaseLogin(self.db).verify
        return self.auth.verify

    @cached_property
    def claims(self) -> ClaimService:
        from cras_desk.services.claims import ClaimService

        return ClaimService(self.db)

    @cached_property
    def worklist(self) -> WorklistService:
        from cras_desk.services.worklist import WorklistService

        return WorklistService(self.db)

    @cached_property
    def records(self) -> PatientRecordService:
        from cras_desk.services.patient_record import PatientRecordService

        return PatientRecordService(self.db)

    @cached_property
    def contact(self) -> ContactService:
        from cras_desk.services.contact import ContactService

        return ContactService(self.db)  # the unit's policy and hours: central settings

    @cached_property
    def contact_details(self) -> ContactDetailsService:
        from cras_desk.services.contact_details import ContactDetailsService

        return ContactDetailsService(self.db)

    @cached_property
    def choice(self) -> ChoiceService:
        from cras_desk.services.choice import ChoiceService

        return ChoiceService(self.db)

    @cached_property
    def booking(self) -> BookingService:
        from cras_desk.services.booking import BookingService

        return BookingService(self.db)

    @cached_property
    def assignment(self) -> AssignmentService:
        from cras_desk.services.assignment import AssignmentService

        return AssignmentService(self.db)

    @cached_property
    def letters(self) -> LetterService:
        from cras_desk.services.letters import LetterService

        return LetterService(self.db)

    @cached_property
    def central(self) -> CentralSettingsService:
        from cras_desk.services.central_settings import CentralSettingsService

        return CentralSettingsService(self.db)

    @cached_property
    def audit(self) -> AuditService:
        from cras_desk.services.audit import AuditService

        return AuditService(self.db)
