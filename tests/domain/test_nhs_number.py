from __future__ import annotations

import random
import re
from itertools import islice

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cras_desk.domain import nhs_number
from cras_desk.domain.errors import InvalidNhsNumber, ValidationError
from cras_desk.domain.search_terms import SearchKind, classify

# Published examples: the design notes' 943 476 5919 and python-stdnum's 943 476 5870.
VALID = ["9434765919", "9434765870"]

seeds = st.integers(min_value=0, max_value=2**32)


@pytest.mark.parametrize(
    "text", ["943 476 5919", "943-476-5919", " 9434765919 ", "943 4765 919", "９４３４７６５９１９"]
)
def test_normalise_accepts_spacing_hyphens_and_fullwidth_digits(text: str) -> None:
    assert nhs_number.normalise(text) == "9434765919"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter the patient's NHS number"),
        ("943 476 591", "must have 10 digits; '943 476 591' has 9"),
        ("94347659190", "must have 10 digits; '94347659190' has 11"),
        ("943 476 5918", "NHS number 943 476 5918 fails its check digit"),
        ("943.476.5919", "only digits"),
        ("943 476 591O", "only digits"),
    ],
)
def test_normalise_explains_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InvalidNhsNumber, match=message):
        nhs_number.normalise(text)


def test_invalid_nhs_number_is_a_validation_error() -> None:
    with pytest.raises(ValidationError):
        nhs_number.normalise("123")


def test_is_valid() -> None:
    assert nhs_number.is_valid("943 476 5919")
    assert not nhs_number.is_valid("943 476 5918")
    assert not nhs_number.is_valid("hello")


def test_format_334() -> None:
    assert nhs_number.format_334("9434765919") == "943 476 5919"
    assert nhs_number.format_334("943-476-5919") == "943 476 5919"
    with pytest.raises(InvalidNhsNumber):
        nhs_number.format_334("94347")


def test_check_digit_known_values() -> None:
    assert nhs_number.check_digit("943476591") == 9
    assert nhs_number.check_digit("943476587") == 0
    # 10*1 + 9*0 + ... + 2*0 = 10, remainder 10, 11 - 10 = 1
    assert nhs_number.check_digit("100000000") == 1
    # only the ninth digit counts, with weight 2: 2*1 = 2 -> 11 - 2 = 9
    assert nhs_number.check_digit("000000001") == 9


def test_check_digit_none_when_remainder_gives_ten() -> None:
    # 2*6 = 12, remainder 1, 11 - 1 = 10: no digit can follow
    assert nhs_number.check_digit("000000006") is None
    assert not any(nhs_number.is_valid(f"000000006{d}") for d in range(10))


def test_check_digit_rejects_wrong_length() -> None:
    with pytest.raises(InvalidNhsNumber):
        nhs_number.check_digit("12345678")


@given(seeds)
def test_generated_test_numbers_validate_and_round_trip(seed: int) -> None:
    number = nhs_number.make_test_number(random.Random(seed))
    assert number.startswith("999")
    assert len(number) == 10
    assert nhs_number.is_valid(number)
    assert nhs_number.is_test_number(number)
    shown = nhs_number.format_334(number)
    assert shown[3] == " " and shown[7] == " "
    assert nhs_number.normalise(shown) == number


@given(seeds, st.integers(0, 9), st.integers(1, 9))
def test_changing_any_single_digit_invalidates(seed: int, position: int, delta: int) -> None:
    number = nhs_number.make_test_number(random.Random(seed))
    changed_digit = (int(number[position]) + delta) % 10
    typo = f"{number[:position]}{changed_digit}{number[position + 1 :]}"
    assert typo != number
    assert not nhs_number.is_valid(typo)


@given(seeds, st.integers(0, 8))
def test_swapping_adjacent_different_digits_invalidates(seed: int, position: int) -> None:
    number = nhs_number.make_test_number(random.Random(seed))
    a, b = number[position], number[position + 1]
    if a == b:
        return
    swapped = f"{number[:position]}{b}{a}{number[position + 2 :]}"
    assert not nhs_number.is_valid(swapped)


def test_iter_test_numbers_are_distinct_valid_and_reproducible() -> None:
    first = list(islice(nhs_number.iter_test_numbers(random.Random(7)), 5000))
    again = list(islice(nhs_number.iter_test_numbers(random.Random(7)), 5000))
    assert first == again
    assert len(set(first)) == 5000
    assert all(n.startswith("999") and nhs_number.is_valid(n) for n in first)


def test_is_test_number_rejects_real_range() -> None:
    assert not nhs_number.is_test_number("9434765919")


# --- numbers that pass modulus 11 but are never issued -----------------------------------------------

SAME_DIGIT = [str(d) * 10 for d in range(10)]


@pytest.mark.parametrize("number", SAME_DIGIT)
def test_all_same_digit_numbers_pass_modulus_11_yet_are_refused(number: str) -> None:
    assert nhs_number.check_digit(number[:9]) == int(number[9])  # why the check digit alone lets them in
    assert nhs_number.is_never_issued(number)
    assert not nhs_number.is_valid(number)
    assert not nhs_number.is_test_number(number)
    shown = nhs_number.format_334(number)
    with pytest.raises(InvalidNhsNumber) as caught:
        nhs_number.normalise(shown)
    assert str(caught.value) == (
        f"NHS number {shown} is not a real NHS number: numbers with all ten digits the same are "
        "never issued. Please read it back to the patient."
    )


@given(st.integers(0, 9), st.lists(st.sampled_from(["", " ", "-"]), min_size=11, max_size=11))
def test_same_digit_numbers_are_refused_however_they_are_typed(digit: int, gaps: list[str]) -> None:
    typed = "".join(gap + str(digit) for gap in gaps[:10]) + gaps[10]
    assert nhs_number.fault(typed) is not None and "never issued" in nhs_number.fault(typed)
    with pytest.raises(InvalidNhsNumber, match="never issued"):
        nhs_number.normalise(typed)


@given(st.from_regex(r"[0-9]{10}", fullmatch=True))
def test_fault_is_valid_and_normalise_agree(digits: str) -> None:
    problem = nhs_number.fault(digits)
    assert nhs_number.is_valid(digits) is (problem is None)
    if problem is None:
        assert nhs_number.normalise(digits) == digits
        assert len(set(digits)) > 1
    else:
        with pytest.raises(InvalidNhsNumber, match=re.escape(problem)):
            nhs_number.normalise(digits)


@pytest.mark.parametrize("digit", range(1, 10))
def test_search_notes_a_same_digit_number_instead_of_treating_it_as_exact(digit: int) -> None:
    # 0000000000 starts with 0, so the search box reads it as a phone number, as any UK number.
    number = str(digit) * 10
    term = classify(nhs_number.format_334(number))
    assert term is not None and term.kind is SearchKind.NHS_NUMBER
    assert term.note == nhs_number.fault(number)
    assert term.note is not None and "never issued" in term.note


class _Scripted(random.Random):
    """A Random whose randrange answers from a script: to steer a generator onto one stem."""

    def __init__(self, answers: list[int]) -> None:
        super().__init__(0)
        self.answers = list(answers)

    def randrange(self, *_args: object, **_kwargs: object) -> int:  # type: ignore[override]
        return self.answers.pop(0)


def test_seed_numbers_never_include_999_999_9999() -> None:
    # Multiplier 1, offset 999999: the first stem visited is 999 999 999, whose check digit is 9.
    numbers = nhs_number.iter_test_numbers(_Scripted([1, 999_999]))
    first = next(numbers)
    assert first != "9999999999" and nhs_number.is_valid(first)
    assert first.startswith("999000")  # wrapped round to the start of the range instead


def test_make_test_number_skips_999_999_9999() -> None:
    assert nhs_number.make_test_number(_Scripted([999_999, 1])) == "9990000018"
