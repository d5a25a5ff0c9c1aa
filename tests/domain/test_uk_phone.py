"""UK phone numbers: what the desk stores, in the groups advisors read back."""

from __future__ import annotations

import pytest

from cras_desk.domain.errors import ValidationError
from cras_desk.domain.uk_phone import UkPhone, parse


@pytest.mark.parametrize(
    ("typed", "number", "key"),
    [
        ("07700 900123", "07700 900123", "07700900123"),
        ("07700900123", "07700 900123", "07700900123"),
        ("+44 7700 900123", "07700 900123", "07700900123"),
        ("0044 7700 900123", "07700 900123", "07700900123"),
        ("+44 (0)20 7946 0018", "020 7946 0018", "02079460018"),
        ("0121 496 0000", "0121 496 0000", "01214960000"),
        ("0113-496-0123", "0113 496 0123", "01134960123"),
        ("(01632) 960 123", "01632 960123", "01632960123"),
        ("0300 123 4567", "0300 123 4567", "03001234567"),
        ("0800 123 456", "0800 123 456", "0800123456"),
        ("016977 4321", "01697 74321", "0169774321"),
    ],
)
def test_uk_numbers_are_grouped_and_keyed(typed: str, number: str, key: str) -> None:
    assert parse(typed) == UkPhone(number, key)


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "Enter the phone number"),
        ("   ", "Enter the phone number"),
        ("07700 90012", "has 10 digits; a UK number has 11"),
        ("07700 9001234", "has 12 digits"),
        ("+33 1 23 45 67 89", "Only UK numbers can be stored"),
        ("7700 900123", "starts with 0"),
        ("09001 234567", "starts 09"),
        ("06123 456789", "starts 06"),
        ("0770O 900123", "digits only"),
        ("07700\x00900123", "digits only"),
        ("07700 900123 ext 2", "digits only"),
    ],
)
def test_what_is_not_a_uk_number_is_refused_with_a_reason(typed: str, says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        parse(typed)
