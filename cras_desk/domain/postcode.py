"""UK postcodes: validation, the standard "BN1 1AB" form, and keys for prefix search.

Validation follows Royal Mail's letter rules (e.g. the inward part never uses C, I, K, M, O
or V), so a letter O typed for a zero is caught while the patient is still on the line,
rather than when the letter comes back undelivered.
"""

from __future__ import annotations

import re

from cras_desk.domain.errors import InvalidPostcode

# Outward code: area (1-2 letters) + district (digit, then an optional digit or letter).
_OUTWARD = (
    r"(?:[A-PR-UWYZ][0-9][0-9]?"  # A9, A99
    r"|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?"  # AA9, AA99
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]"  # A9A (London, e.g. W1A)
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"  # AA9A (London, e.g. SW1A, EC1A)
)
_INWARD = r"[0-9][ABD-HJLNP-UW-Z]{2}"
_POSTCODE = re.compile(rf"(?P<outward>{_OUTWARD}|GIR)(?P<inward>{_INWARD})")

_EXAMPLE = "BN1 1AB"


def _compact(text: str) -> str:
    return "".join(text.split()).upper()


def normalise(text: str) -> str:
    """The postcode in capitals with one space before the inward part: "bn11ab" -> "BN1 1AB"."""
    compact = _compact(text)
    if not compact:
        raise InvalidPostcode(f"Enter a postcode, e.g. {_EXAMPLE}.")
    match = _POSTCODE.fullmatch(compact)
    if match is None or (match["outward"] == "GIR" and match["inward"] != "0AA"):
        raise InvalidPostcode(
            f"{text.strip()!r} is not a valid UK postcode (expected something like {_EXAMPLE})."
        )
    return f"{match['outward']} {match['inward']}"


def is_valid(text: str) -> bool:
    try:
        normalise(text)
    except InvalidPostcode:
        return False
    return True


def outward(postcode: str) -> str:
    """The outward code ("BN1"): the postal district, enough to judge travel distance."""
    return normalise(postcode).split(" ")[0]


def search_key(text: str) -> str:
    """Lower case without spaces ("bn11ab"), for prefix search; also accepts partial input."""
    return "".join(ch for ch in text.lower() if ch.isascii() and ch.isalnum())
