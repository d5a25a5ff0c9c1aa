"""ContactDetailsService: phones (add, status, preferred), address and best times, referral notes.

Every change must be validated before anything is written, audited, and put in the change feed so
other desks showing any of the patient's referrals reload it; the database itself holds "one
preferred number, and only one in use".
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from cras_desk.db.models import AuditEvent, Change, Patient, PatientPhone, Referral, ReferralNote
from cras_desk.domain.enums import PhoneStatus
from cras_desk.domain.errors import InvalidPostcode, NotFound, PermissionDenied, StaleState, ValidationError
from cras_desk.services.contact_details import Address, ContactDetailsService
from cras_desk.services.patient_record import PatientRecordService

ZOE = "Ó Súilleabháin"


def audit_rows(world, action: str) -> list[AuditEvent]:
    with world.db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def feed(world, after: int = 0) -> set[tuple[str, int, str, int | None]]:
    with world.db.read() as s:
        return set(
            s.execute(
                select(Change.entity, Change.entity_id, Change.op, Change.user_id).where(Change.seq > after)
            )
        )


def last_seq(world) -> int:
    with world.db.read() as s:
        return s.scalar(select(func.max(Change.seq))) or 0


def stored_phones(world, patient_id: int) -> list[tuple[str, PhoneStatus, bool]]:
    with world.db.read() as s:
        return [
            (p.number, p.status, p.is_preferred)
            for p in s.scalars(
                select(PatientPhone).where(PatientPhone.patient_id == patient_id).order_by(PatientPhone.id)
            )
        ]


def nothing_written(world, before: tuple[int, int, int]) -> bool:
    return counts(world) == before


def counts(world) -> tuple[int, int, int]:
    with world.db.read() as s:
        return (
            s.scalar(select(func.count()).select_from(PatientPhone)) or 0,
            s.scalar(select(func.count()).select_from(AuditEvent)) or 0,
            s.scalar(select(func.count()).select_from(Change)) or 0,
        )


# -- phones ------------------------------------------------------------------------------------------


def test_add_phone_stores_it_grouped_audits_it_and_tells_other_desks(world) -> None:
    svc = ContactDetailsService(world.db)
    amy, rid = world.actor("amy"), world.referrals[ZOE]
    seq = last_seq(world)
    details = svc.add_phone(amy, rid, "home", "+44 (0)20 7946 0018")
    assert [(p.number, p.kind, p.status, p.preferred) for p in details.phones] == [
        ("07700 900120", "mobile", PhoneStatus.ACTIVE, True),
        ("020 7946 0018", "home", PhoneStatus.ACTIVE, False),
    ]
    added = details.phones[1]
    with world.db.read() as s:
        assert s.get_one(PatientPhone, added.phone_id).number_key == "02079460018"
    (event,) = audit_rows(world, "add_phone")
    assert (event.user_id, event.entity_id, event.patient_id) == (
        amy.user_id,
        added.phone_id,
        details.patient_id,
    )
    assert event.detail == {"number": "020 7946 0018", "kind": "home", "preferred": False}
    changes = feed(world, seq)
    assert ("patient_phone", added.phone_id, "insert", amy.user_id) in changes
    assert ("referral", rid, "update", amy.user_id) in changes


def test_a_patient_without_a_preferred_number_gets_the_new_one_as_preferred(world) -> None:
    svc = ContactDetailsService(world.db)
    amy, rid = world.actor("amy"), world.referrals[ZOE]
    first = svc.details(amy, rid).phones[0]
    svc.set_phone_status(amy, rid, first.phone_id, PhoneStatus.NOT_IN_USE)
    details = svc.add_phone(amy, rid, "mobile", "07700 900999")
    assert [(p.number, p.preferred, p.status) for p in details.phones] == [
        ("07700 900999", True, PhoneStatus.ACTIVE),
        ("07700 900120", False, PhoneStatus.NOT_IN_USE),
    ]


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("07700 90012", "has 10 digits"),
        ("+33 1 23 45 67 89", "Only UK numbers"),
        ("09001 234567", "starts 09"),
        ("0770O 900123", "digits only"),
        ("07700\x00900123", "digits only"),
        ("", "Enter the phone number"),
    ],
)
def test_add_phone_refuses_what_is_not_a_uk_number_and_writes_nothing(world, typed: str, says: str) -> None:
    svc = ContactDetailsService(world.db)
    before = counts(world)
    with pytest.raises(ValidationError, match=says):
        svc.add_phone(world.actor("amy"), world.referrals[ZOE], "mobile", typed)
    assert nothing_written(world, before)


def test_add_phone_refuses_a_number_already_recorded_in_use_or_marked(world) -> None:
    svc = ContactDetailsService(world.db)
    amy, rid = world.actor("amy"), world.referrals[ZOE]
    with pytest.raises(ValidationError, match="already recorded"):
        svc.add_phone(amy, rid, "mobile", "+447700900120")
    phone = svc.details(amy, rid).phones[0]
    svc.set_phone_status(amy, rid, phone.phone_id, PhoneStatus.WRONG_NUMBER)
    with pytest.raises(ValidationError, match=r"recorded as a wrong number\. If .* mark it in use again"):
        svc.add_phone(amy, rid, "mobile", "07700 900120")
    with pytest.raises(ValidationError, match="kind of number"):
        svc.add_phone(amy, rid, "fax", "07700 900555")


def test_marking_the_preferred_number_wrong_takes_preference_off_it_and_lists_it_last(world) -> None:
    svc = ContactDetailsService(world.db)
    amy, rid = world.actor("amy"), world.referrals[ZOE]
    svc.add_phone(amy, rid, "home", "01632 960001")
    preferred = svc.details(amy, rid).phones[0]
    seq = last_seq(world)
    details = svc.set_phone_status(amy, rid, preferred.phone_id, PhoneStatus.WRONG_NUMBER)
    assert [(p.number, p.status, p.preferred) for p in details.phones] == [
        ("01632 960001", PhoneStatus.ACTIVE, False),
        ("07700 900120", PhoneStatus.WRONG_NUMBER, False),
    ]
    (event,) = audit_rows(world, "set_phone_status")
    assert event.detail == {
        "number": "07700 900120",
        "from": "active",
        "to": "wrong_number",
        "was_preferred": True,
    }
    assert ("patient_phone", preferred.phone_id, "update", amy.user_id) in feed(world, seq)
    record = PatientRecordService(world.db).open(amy, rid)
    assert [(p.number, p.status) for p in record.phones] == [
        ("01632 960001", PhoneStatus.ACTIVE),
        ("07700 900120", PhoneStatus.WRONG_NUMBER),
    ]
    # Marking it again changes nothing and audits nothing.
    svc.set_phone_status(amy, rid, preferred.phone_id, PhoneStatus.WRONG_NUMBER)
    assert len(audit_rows(world, "set_phone_status")) == 1


def test_preferred_number_is_one_and_must_be_in_use(world) -> None:
    svc = ContactDetailsService(world.db)
    amy, rid = world.actor("amy"), world.referrals[ZOE]
    details = svc.add_phone(amy, rid, "work", "0121 496 0000")
    old, new = details.phones
    details = svc.set_preferred(amy, rid, new.phone_id)
    assert [(p.number, p.preferred) for p in details.phones] == [
        ("0121 496 0000", True),
        ("07700 900120", False),
    ]
    (event,) = audit_rows(world, "set_preferred_phone")
    assert event.detail == {"number": "0121 496 0000", "previous": "07700 900120"}
    svc.set_phone_status(amy, rid, old.phone_id, PhoneStatus.NOT_IN_USE)
    with pytest.raises(ValidationError, match="not in use: mark it in use again"):
        svc.set_preferred(amy, rid, old.phone_id)
    svc.set_phone_status(amy, rid, old.phone_id, PhoneStatus.ACTIVE)
    details = svc.set_preferred(amy, rid, old.phone_id)
    assert [p.preferred for p in details.phones] == [True, False]
    assert sum(preferred for _, _, preferred in stored_phones(world, details.patient_id)) == 1


def test_the_database_holds_one_preferred_number_and_only_an_active_one(world) -> None:
    with world.db.read() as s:
        phone = s.scalars(select(PatientPhone)).first()
        assert phone is not None
        patient_id = phone.patient_id
    row = {"patient_id": patient_id, "kind": "home", "number": "01632 960002", "number_key": "01632960002"}
    with pytest.raises(IntegrityError), world.db.write() as s:
        s.execute(insert(PatientPhone).values(**row, is_preferred=True))
    with pytest.raises(IntegrityError), world.db.write() as s:
        s.execute(update(PatientPhone).where(PatientPhone.id == phone.id).values(status="wrong_number"))
    with world.db.write() as s:  # not preferred and wrong: allowed, and the default status is active
        s.execute(insert(PatientPhone).values(**row, is_preferred=False))
    assert stored_phones(world, patient_id)[-1] == ("01632 960002", PhoneStatus.ACTIVE, False)


def test_a_phone_of_another_patient_is_not_found(world) -> None:
    svc = ContactDetailsService(world.db)
    lena = world.actor("lena")
    other = svc.details(lena, world.referrals["Smith"]).phones[0]
    with pytest.raises(NotFound):
        svc.set_preferred(lena, world.referrals[ZOE], other.phone_id)
    with pytest.raises(NotFound):
        svc.set_phone_status(lena, world.referrals[ZOE], other.phone_id, PhoneStatus.WRONG_NUMBER)


# -- who may -------------------------------------------------------------------------------------


def test_another_teams_advisor_may_not_change_the_record_but_a_lead_may(world) -> None:
    svc = ContactDetailsService(world.db)
    rid = world.referrals[ZOE]  # East
    before = counts(world)
    with pytest.raises(PermissionDenied, match="another team"):
        svc.add_phone(world.actor("cara"), rid, "home", "01632 960003")
    with pytest.raises(PermissionDenied):
        svc.add_note(world.actor("cara"), rid, "Rang about parking.")
    with pytest.raises(PermissionDenied):
        svc.details(world.actor("cara"), rid)
    assert nothing_written(world, before)
    assert svc.add_phone(world.actor("ben"), rid, "home", "01632 960003").phones[-1].number == "01632 960003"
    assert svc.add_phone(world.actor("root"), rid, "work", "01632 960004").phones[-1].number == "01632 960004"


# -- address and best times ------------------------------------------------------------------------


def _address(**changes: str | None) -> Address:
    base = Address("10 Test Street", None, "Brighton", "East Sussex", "BN2 1AB")
    return replace(base, **changes)


def test_address_and_best_times_are_saved_normalised_audited_and_fed(world) -> None:
    svc = ContactDetailsService(world.db)
    amy, rid = world.actor("amy"), world.referrals[ZOE]
    loaded = svc.details(amy, rid)
    assert loaded.address == _address()
    seq = last_seq(world)
    new = _address(line1="  Flat 2,   4 Marine Parade ", postcode="bn2 1te", line2="Kemp Town")
    details = svc.update_address(amy, rid, new, "  Mornings, not Wednesdays ", expected=loaded)
    assert details.address == Address(
        "Flat 2, 4 Marine Parade", "Kemp Town", "Brighton", "East Sussex", "BN2 1TE"
    )
    assert details.contact_times == "Mornings, not Wednesdays"
    with world.db.read() as s:
        patient = s.get_one(Patient, details.patient_id)
        assert (patient.postcode, patient.postcode_key, patient.latitude) == ("BN2 1TE", "bn21te", None)
    (event,) = audit_rows(world, "update_contact_details")
    assert event.detail["changed"] == ["contact_times", "line1", "line2", "postcode"]
    assert event.detail["before"]["postcode"] == "BN2 1AB"
    assert event.detail["after"]["line1"] == "Flat 2, 4 Marine Parade"
    changes = feed(world, seq)
    assert ("patient", details.patient_id, "update", amy.user_id) in changes
    assert ("referral", rid, "update", amy.user_id) in changes
    # The patient pane shows the new address and times.
    record = PatientRecordService(world.db).open(amy, rid)
    assert (record.postcode, record.preferred_contact_times) == ("BN2 1TE", "Mornings, not Wednesdays")
    # Saving the same again writes nothing.
    svc.update_address(amy, rid, new, "Mornings, not Wednesdays")
    assert len(audit_rows(world, "update_contact_details")) == 1


@pytest.mark.parametrize(
    ("address", "times", "error", "says"),
    [
        (_address(postcode="BN2 1OB"), None, InvalidPostcode, "not a valid UK postcode"),
        (_address(postcode=""), None, ValidationError, "Enter the postcode"),
        (
            _address(town="Bright\x00on"),
            None,
            ValidationError,
            "Town contains a character that cannot be stored",
        ),
        (_address(line1="x" * 121), None, ValidationError, "First address line is too long: 121"),
        (_address(line1="   "), None, ValidationError, "Enter the first address line"),
        (
            _address(),
            "Evenings\x00",
            ValidationError,
            "Best times to call contains a character that cannot be stored",
        ),
        (_address(), "y" * 121, ValidationError, "Best times to call is too long"),
        (_address(county="East\x07Sussex"), None, ValidationError, "County contains a character"),
    ],
)
def test_a_bad_address_is_refused_with_a_clear_message_and_nothing_written(
    world, address: Address, times: str | None, error: type[Exception], says: str
) -> None:
    svc = ContactDetailsService(world.db)
    before = counts(world)
    with pytest.raises(error, match=says):
        svc.update_address(world.actor("amy"), world.referrals[ZOE], address, times)
    assert nothing_written(world, before)


def test_saving_over_another_desks_change_is_refused(world) -> None:
    svc = ContactDetailsService(world.db)
    amy, ben, rid = world.actor("amy"), world.actor("ben"), world.referrals[ZOE]
    seen_by_amy = svc.details(amy, rid)
    svc.update_address(ben, rid, _address(line1="22 New Road"), None, expected=svc.details(ben, rid))
    with pytest.raises(StaleState, match="Someone else changed"):
        svc.update_address(amy, rid, _address(line1="11 Other Road"), None, expected=seen_by_amy)
    assert svc.details(amy, rid).address.line1 == "22 New Road"


# -- notes ----------------------------------------------------------------------------------------------


def test_a_note_is_kept_shown_in_the_history_audited_and_fed(world) -> None:
    svc = ContactDetailsService(world.db)
    amy, rid = world.actor("amy"), world.referrals[ZOE]
    seq = last_seq(world)
    note_id = svc.add_note(amy, rid, "  Patient rang: asks whether there is parking.\r\nWill check. ")
    with world.db.read() as s:
        note = s.get_one(ReferralNote, note_id)
        assert (note.referral_id, note.user_id) == (rid, amy.user_id)
        assert note.text == "Patient rang: asks whether there is parking.\nWill check."
    history = PatientRecordService(world.db).open(amy, rid).history
    assert (history[0].kind, history[0].by) == ("note", "Amy Advisor")
    assert history[0].summary == "Note: Patient rang: asks whether there is parking.\nWill check."
    (event,) = audit_rows(world, "add_note")
    assert (event.entity, event.entity_id, event.detail["referral_id"]) == ("referral_note", note_id, rid)
    changes = feed(world, seq)
    assert ("referral_note", note_id, "insert", amy.user_id) in changes
    assert ("referral", rid, "update", amy.user_id) in changes


@pytest.mark.parametrize(
    ("text", "says"),
    [("   ", "Type the note first"), ("a\x00b", "cannot be stored"), ("n" * 2001, "too long: 2001")],
)
def test_a_bad_note_is_refused_and_nothing_written(world, text: str, says: str) -> None:
    before = counts(world)
    with pytest.raises(ValidationError, match=says):
        ContactDetailsService(world.db).add_note(world.actor("amy"), world.referrals[ZOE], text)
    assert nothing_written(world, before)
    with world.db.read() as s:
        assert s.scalar(select(func.count()).select_from(ReferralNote)) == 0


def test_a_note_on_a_missing_referral_is_not_found(world) -> None:
    with world.db.read() as s:
        missing = (s.scalar(select(func.max(Referral.id))) or 0) + 100
    with pytest.raises(NotFound):
        ContactDetailsService(world.db).add_note(world.actor("amy"), missing, "Hello")
