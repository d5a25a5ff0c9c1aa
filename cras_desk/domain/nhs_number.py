"""NHS number rules: 10 digits, modulus 11 check digit, shown 3-3-4.

Advisors type numbers read out over the phone, so input is forgiving about spacing and
hyphens but strict about the digits: a wrong digit would attach a call to the wrong patient.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from operator import mul

from cras_desk.domain.errors import InvalidNhsNumber

# Numbers beginning 999 are never issued to patients; demo and test data must use them so a
# screenshot or a leaked demo database can never identify anybody.
TEST_RANGE_PREFIX = "999"

_WEIGHTS = range(10, 1, -1)  # applied to digits 1..9 in order


def _compact(text: str) -> str:
    if _is_ascii_digits(text):
        return (
            text  # the common case (stored numbers, typed digits): stdnum's cleaning costs more than a query
        )
    # stdnum also folds Unicode dashes and full-width digits (pasted from e-mails and PDFs)
    # to ASCII before removing separators. Imported here: it costs the desk's start-up 40 ms.
    from stdnum.gb import nhs as stdnum_nhs

    return stdnum_nhs.compact(text)


def _is_ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def check_digit(first9: str) -> int | None:
    """The check digit the first nine digits demand, or None if no tenth digit can be valid.

    About 1 in 11 nine-digit stems give a remainder of 10; such numbers are never issued.
    """
    if len(first9) != 9 or not _is_ascii_digits(first9):
        raise InvalidNhsNumber(f"Expected the first 9 digits of an NHS number, got {first9!r}.")
    total = sum(map(mul, _WEIGHTS, map(int, first9)))  # lengths checked above
    check = (11 - total % 11) % 11
    return None if check == 10 else check


def fault(text: str) -> str | None:
    """What is wrong with text as an NHS number, in one sentence; None if it is a valid one.

    The one gate for every NHS number the desk takes in (search, seed, imports): `normalise`,
    `is_valid` and the search classifier all ask it, so they cannot disagree.
    """
    shown = text.strip()
    digits = _compact(text)
    if not digits:
        return "Enter the patient's NHS number (10 digits)."
    if not _is_ascii_digits(digits):
        return f"NHS number may contain only digits and spaces, not {shown!r}."
    if len(digits) != 10:
        return f"NHS number must have 10 digits; {shown!r} has {len(digits)}."
    if check_digit(digits[:9]) != int(digits[9]):
        return f"NHS number {format_334(digits)} fails its check digit."
    if is_never_issued(digits):
        return (
            f"NHS number {format_334(digits)} is not a real NHS number: "
            "numbers with all ten digits the same are never issued."
        )
    return None


def is_never_issued(digits: str) -> bool:
    """True for 0000000000 ... 9999999999: each passes modulus 11 (d * 54 leaves the check digit
    d), but none is ever given to a patient, so one is a placeholder or a slip of the keyboard."""
    return len(digits) == 10 and len(set(digits)) == 1


def normalise(text: str) -> str:
    """The 10 digits of a valid NHS number, or InvalidNhsNumber saying what is wrong."""
    problem = fault(text)
    digits = _compact(text)
    if problem is None:
        return digits
    if len(digits) == 10 and _is_ascii_digits(digits):
        # Ten digits that no patient holds: most often misheard on the phone.
        problem += " Please read it back to the patient."
    raise InvalidNhsNumber(problem)


def is_valid(text: str) -> bool:
    return fault(text) is None


def format_334(number: str) -> str:
    """Display form "943 476 5919", the grouping patients see on their letters.

    Formats any 10 digits without checking the check digit, so an error message can show
    the mistyped number the way the patient reads it.
    """
    digits = _compact(number)
    if len(digits) != 10 or not _is_ascii_digits(digits):
        raise InvalidNhsNumber(f"NHS number must have 10 digits, got {number!r}.")
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def is_test_number(number: str) -> bool:
    """True for a valid number in the reserved 999 test range."""
    return is_valid(number) and _compact(number).startswith(TEST_RANGE_PREFIX)


def make_test_number(rng: random.Random) -> str:
    """One random valid NHS number from the reserved 999 test range."""
    while True:
        stem = f"{TEST_RANGE_PREFIX}{rng.randrange(1_000_000):06d}"
        check = check_digit(stem)
        if check is not None and not is_never_issued(f"{stem}{check}"):
            return f"{stem}{check}"


def iter_test_numbers(rng: random.Random) -> Iterator[str]:
    """Distinct valid test-range numbers in random order, for seeding patients.

    Demo data needs unique NHS numbers (the database enforces it), so this never repeats;
    it stops after the roughly 909,000 valid numbers of the range are used up. Not named
    test_* so pytest does not mistake it for a test when imported into a test module.
    """
    # An affine map n -> (a*n + b) mod 10**6 with a coprime to 10**6 visits every stem once:
    # distinct without shuffling a million-item list up front (which takes most of a second).
    size = 1_000_000
    a = rng.randrange(1, size)
    while a % 2 == 0 or a % 5 == 0:
        a = rng.randrange(1, size)
    b = rng.randrange(size)
    for n in range(size):
        stem = f"{TEST_RANGE_PREFIX}{(a * n + b) % size:06d}"
        check = check_digit(stem)
        # 999 999 9999 is in the test range's arithmetic but no patient could hold it.
        if check is not None and not is_never_issued(f"{stem}{check}"):
            yield f"{stem}{check}"
