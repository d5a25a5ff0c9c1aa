"""What an advisor means by what they type in the worklist search box.

One box serves NHS numbers, phone numbers, postcodes, dates of birth and names, because on a
call the advisor has whichever of these the patient just said. Classifying here keeps the rules
testable and lets the database layer run one indexed query per kind.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from cras_desk.domain import dates_of_birth, nhs_number, postcode


class SearchKind(StrEnum):
    NHS_NUMBER = "nhs_number"  # exact: 10 digits
    NHS_PREFIX = "nhs_prefix"  # fewer than 10 digits, not starting with 0
    PHONE = "phone"  # prefix of a phone_key
    POSTCODE = "postcode"  # prefix of a postcode.search_key
    NAME = "name"  # prefix of a family-name name_key (and of the given name, if `given`)
    # Exact: value is the ISO date; "" while the date is still being typed (nothing to search yet).
    DATE_OF_BIRTH = "date_of_birth"


@dataclass(frozen=True, slots=True)
class SearchTerm:
    kind: SearchKind
    value: str
    given: str | None = None  # NAME only: prefix of the given name's name_key
    # NAME with several words only: the whole input as one key, because the words may all be
    # the family name ("Ó Súilleabháin", "van der Berg"). Match family-name key LIKE whole%
    # OR (family LIKE value% AND given LIKE given%).
    whole: str | None = None
    # Set when the input cannot match anything and the advisor should be told why (e.g. an
    # NHS number failing its check digit); the term still searches, and finds nothing.
    note: str | None = None


# Letters that NFKD does not decompose into a base letter plus accents.
_FOLD = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "æ": "ae", "œ": "oe", "ð": "d", "þ": "th", "ı": "i"})
_NOT_KEY = re.compile(r"[^a-z0-9 ]+")
_PHONE_PUNCTUATION = re.compile(r"[\s\-().]+")
_PARTIAL_POSTCODE = re.compile(r"[A-Za-z]{1,2}[0-9][A-Za-z0-9]?(?: ?[0-9][A-Za-z]{0,2})?")


def name_key(text: str) -> str:
    """Accent- and punctuation-free lower case, so "Ó Súilleabháin" is found by typing "o suil".

    Apostrophes and hyphens are dropped rather than turned into spaces: "O'Brien" and
    "Smith-Jones" are one word to an advisor spelling them out over the phone.
    """
    folded = text.casefold().translate(_FOLD)  # casefold turns ß into ss
    decomposed = unicodedata.normalize("NFKD", folded)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = re.sub(r"['’‘`\-.]", "", plain)
    plain = re.sub(r"\s+", " ", plain)
    return " ".join(_NOT_KEY.sub("", plain).split())


def phone_key(text: str) -> str:
    """A UK number in national form, digits only ("+44 7700 900123" -> "07700900123").

    Works on partial input too. Non-UK international numbers keep a leading "+" so they
    cannot collide with UK ones.
    """
    compact = _PHONE_PUNCTUATION.sub("", text.strip())
    digits = "".join(ch for ch in compact if ch.isascii() and ch.isdigit())
    if compact.startswith("+"):
        international = digits
    elif digits.startswith("00"):
        international = digits[2:]
    elif digits.startswith("44") and len(digits) >= 11:  # "44 7700 900123": the + was left off
        international = digits
    else:
        return digits
    if not international.startswith("44"):
        return f"+{international}"
    national = international[2:]
    # "+44 (0)1273 ..." writes the trunk 0 as well; keep exactly one.
    return national if national.startswith("0") else f"0{national}"


_PHONE_LIKE = re.compile(r"\+?[0-9]+")


def _is_phone_like(compact: str) -> bool:
    return bool(_PHONE_LIKE.fullmatch(compact)) and (
        compact.startswith(("0", "+")) or (compact.startswith("44") and len(compact) >= 11)
    )


def classify(text: str) -> SearchTerm | None:
    """The search the advisor means; None when there is nothing to search for.

    None means blank, or no letter or digit a key could hold (only punctuation, or a name
    in a non-Latin script, which patient records do not hold either). Any other input
    yields a term, so a mistyped NHS number narrows the list to nothing (with a `note`)
    instead of silently showing every patient.
    """
    stripped = text.strip()
    if not stripped:
        return None

    typed_date = dates_of_birth.read(stripped)
    if typed_date is not None:
        return SearchTerm(SearchKind.DATE_OF_BIRTH, typed_date.iso, note=typed_date.fault)

    compact = _PHONE_PUNCTUATION.sub("", stripped)
    if _is_phone_like(compact):
        return SearchTerm(SearchKind.PHONE, phone_key(stripped))
    if compact.isascii() and compact.isdigit():
        return _classify_digits(compact)
    if _PARTIAL_POSTCODE.fullmatch(stripped):
        return SearchTerm(SearchKind.POSTCODE, postcode.search_key(stripped))
    return _classify_name(stripped)


def _classify_digits(digits: str) -> SearchTerm:
    if len(digits) < 10:
        return SearchTerm(SearchKind.NHS_PREFIX, digits)
    if len(digits) == 10:
        note = nhs_number.fault(digits)  # check digit, and numbers never issued (000 000 0000)
    else:
        note = f"An NHS number has 10 digits; {len(digits)} were typed."
    return SearchTerm(SearchKind.NHS_NUMBER, digits, note=note)


def _classify_name(text: str) -> SearchTerm | None:
    # NHS systems often show "SMITH, John"; honour the comma as family-name-first.
    if "," in text:
        family_part, _, given_part = text.partition(",")
        family, given = name_key(family_part), name_key(given_part)
        if family:
            return SearchTerm(SearchKind.NAME, family, given=given or None)
    words = name_key(text).split()
    if not words:
        # Only punctuation typed (e.g. "'"): nothing to search on yet, same as blank.
        return None
    if len(words) == 1:
        return SearchTerm(SearchKind.NAME, words[0])
    # "john smi": the advisor types the given name first and the family name as they hear it.
    return SearchTerm(SearchKind.NAME, words[-1], given=words[0], whole=" ".join(words))
