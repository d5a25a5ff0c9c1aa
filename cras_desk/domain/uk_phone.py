"""UK phone numbers as the desk stores them: checked while the patient is still on the line.

Ofcom's national numbering plan: a trunk 0, then 9 or 10 digits. 01 and 02 are geographic, 03
non-geographic, 05 corporate, 07 mobile, 08 freephone and special rates; 04 and 06 are unused and
09 is premium rate (no patient's contact number). Numbers are shown in the usual groups
("07700 900123", "020 7946 0018", "0121 496 0000"), so an advisor reads them back in the
rhythm the patient said them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cras_desk.domain.errors import ValidationError
from cras_desk.domain.search_terms import phone_key

_ALLOWED = re.compile(r"[0-9+\s\-().]+")
_LEADS = "123578"  # the digit after the trunk 0 that starts a number a patient can be called on
_EXAMPLE = "07700 900123"


@dataclass(frozen=True, slots=True)
class UkPhone:
    number: str  # grouped for display: "07700 900123"
    key: str  # digits only, national form: "07700900123" (phone_key, the search key)


def parse(text: str) -> UkPhone:
    """The number in national form, grouped; ValidationError saying what is wrong otherwise."""
    typed = text.strip()
    if not typed:
        raise ValidationError(f"Enter the phone number, e.g. {_EXAMPLE}.")
    if "\x00" in typed or not _ALLOWED.fullmatch(typed):
        raise ValidationError(
            f"A phone number holds digits only (spaces, brackets, dashes and a leading + are allowed), "
            f"e.g. {_EXAMPLE}."
        )
    key = phone_key(typed)
    if key.startswith("+"):
        raise ValidationError(
            "Only UK numbers can be stored (the desk dials UK numbers only): "
            f"{typed} is an international number."
        )
    if not key.startswith("0"):
        raise ValidationError(f"A UK number starts with 0 (or +44), e.g. {_EXAMPLE}.")
    if len(key) < 2 or key[1] not in _LEADS:
        lead = key[:2]
        raise ValidationError(f"No UK number a patient can be called on starts {lead}: check the number.")
    ten_digit_ok = key[1] in "18"  # a few old exchanges (016977) and 0800 111 numbers are 10 digits
    if len(key) != 11 and not (len(key) == 10 and ten_digit_ok):
        raise ValidationError(
            f"{typed} has {len(key)} digits; a UK number has 11 (e.g. {_EXAMPLE}). Check it with the patient."
        )
    return UkPhone(group(key), key)


def group(key: str) -> str:
    """Digits grouped as UK numbers are written."""
    if len(key) == 10:
        return f"{key[:4]} {key[4:7]} {key[7:]}" if key.startswith("08") else f"{key[:5]} {key[5:]}"
    if key.startswith("02"):
        return f"{key[:3]} {key[3:7]} {key[7:]}"
    if key.startswith(("011", "03", "08", "05")) or (key.startswith("01") and key[3] == "1"):
        return f"{key[:4]} {key[4:7]} {key[7:]}"
    return f"{key[:5]} {key[5:]}"
