from __future__ import annotations

import random

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cras_desk.domain import dates_of_birth, nhs_number
from cras_desk.domain.search_terms import SearchKind, SearchTerm, classify, name_key, phone_key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Ó Súilleabháin", "o suilleabhain"),
        ("Łukasz", "lukasz"),
        ("O'Brien", "obrien"),
        ("O’Brien", "obrien"),  # typographic apostrophe, pasted from a letter
        ("Smith-Jones", "smithjones"),
        ("  Mary   ANN  ", "mary ann"),
        ("Straße", "strasse"),
        ("Søren Ærø", "soren aero"),
        ("Đorđević", "dordevic"),
        ("Zoë Brontë", "zoe bronte"),
        ("Nguyễn", "nguyen"),
        ("Henry VIII 2nd", "henry viii 2nd"),
        ("", ""),
    ],
)
def test_name_key(text: str, key: str) -> None:
    assert name_key(text) == key


@given(st.text(max_size=40))
def test_name_key_only_holds_plain_letters_digits_and_single_spaces(text: str) -> None:
    key = name_key(text)
    assert set(key) <= set("abcdefghijklmnopqrstuvwxyz0123456789 ")
    assert "  " not in key
    assert key == key.strip()
    assert name_key(key) == key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("+44 7700 900123", "07700900123"),
        ("07700 900123", "07700900123"),
        ("(01273) 123-456", "01273123456"),
        ("+44 (0)1273 123456", "01273123456"),
        ("0044 7700 900123", "07700900123"),
        ("44 7700 900123", "07700900123"),
        ("+353 1 234 5678", "+35312345678"),
        ("0770", "0770"),
    ],
)
def test_phone_key(text: str, key: str) -> None:
    assert phone_key(text) == key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("943 476 5919", SearchTerm(SearchKind.NHS_NUMBER, "9434765919")),
        ("9434765919", SearchTerm(SearchKind.NHS_NUMBER, "9434765919")),
        ("943 476", SearchTerm(SearchKind.NHS_PREFIX, "943476")),
        ("9", SearchTerm(SearchKind.NHS_PREFIX, "9")),
        ("07700 900123", SearchTerm(SearchKind.PHONE, "07700900123")),
        ("+44 7700 900123", SearchTerm(SearchKind.PHONE, "07700900123")),
        ("0", SearchTerm(SearchKind.PHONE, "0")),
        ("BN1", SearchTerm(SearchKind.POSTCODE, "bn1")),
        ("bn1 1a", SearchTerm(SearchKind.POSTCODE, "bn11a")),
        ("SW1A 1AA", SearchTerm(SearchKind.POSTCODE, "sw1a1aa")),
        ("smith", SearchTerm(SearchKind.NAME, "smith")),
        ("O'Brien", SearchTerm(SearchKind.NAME, "obrien")),
        ("john smi", SearchTerm(SearchKind.NAME, "smi", given="john", whole="john smi")),
        ("Ó Súilleabháin", SearchTerm(SearchKind.NAME, "suilleabhain", given="o", whole="o suilleabhain")),
        ("Smith, Jo", SearchTerm(SearchKind.NAME, "smith", given="jo")),
        ("SMITH,", SearchTerm(SearchKind.NAME, "smith")),
    ],
)
def test_classify(text: str, expected: SearchTerm) -> None:
    assert classify(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "\t", "'", "-"])
def test_nothing_to_search_for(text: str) -> None:
    assert classify(text) is None


def test_nhs_number_failing_its_check_digit_finds_nothing_and_says_why() -> None:
    term = classify("943 476 5918")
    assert term is not None
    assert term.kind is SearchKind.NHS_NUMBER
    assert term.value == "9434765918"
    assert term.note == "NHS number 943 476 5918 fails its check digit."


def test_too_many_digits_is_noted() -> None:
    term = classify("94347659190")
    assert term is not None
    assert term.note is not None and "11 were typed" in term.note


@given(st.integers(min_value=0, max_value=2**32))
def test_every_test_range_number_classifies_as_exact(seed: int) -> None:
    number = nhs_number.make_test_number(random.Random(seed))
    for typed in (number, nhs_number.format_334(number)):
        assert classify(typed) == SearchTerm(SearchKind.NHS_NUMBER, number)
    for cut in range(1, 10):
        assert classify(number[:cut]) == SearchTerm(SearchKind.NHS_PREFIX, number[:cut])


@given(st.from_regex(r"0[1-9][0-9]{3} ?[0-9]{6}", fullmatch=True))
def test_uk_numbers_typed_any_way_give_the_same_key(national: str) -> None:
    digits = national.replace(" ", "")
    international = f"+44 {digits[1:]}"
    assert classify(national) == SearchTerm(SearchKind.PHONE, digits)
    assert classify(international) == SearchTerm(SearchKind.PHONE, digits)


@given(st.text(max_size=30))
@example("0/")  # hypothesis found it once: a date being typed
def test_classify_never_crashes_and_never_ignores_a_letter_or_digit(text: str) -> None:
    term = classify(text)
    if term is None:
        assert not name_key(text) and not any(ch.isascii() and ch.isdigit() for ch in text)
    elif term.kind is SearchKind.DATE_OF_BIRTH:
        # A date still being typed ("0/") is a date search with nothing to search on yet (value "").
        typed = dates_of_birth.read(text)
        assert typed is not None and (term.value, term.note) == (typed.iso, typed.fault)
    else:
        assert term.value or term.given
