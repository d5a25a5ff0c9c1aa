"""Dates of birth typed in the search box: every usual form, and clear words for impossible ones."""

from __future__ import annotations

from datetime import date

import pytest

from cras_desk.domain import dates_of_birth
from cras_desk.domain.clock import today_london
from cras_desk.domain.search_terms import SearchKind, classify


@pytest.mark.parametrize(
    "typed", ["17/05/1950", "17-05-1950", "17.05.1950", "1950-05-17", "17/5/1950", " 17/05/1950 "]
)
def test_usual_forms_read_as_the_same_date(typed: str) -> None:
    assert dates_of_birth.read(typed) == dates_of_birth.TypedDate("1950-05-17")
    term = classify(typed)
    assert term is not None and (term.kind, term.value, term.note) == (
        SearchKind.DATE_OF_BIRTH,
        "1950-05-17",
        None,
    )


def test_single_digit_day_and_month() -> None:
    assert dates_of_birth.read("1/2/1970") == dates_of_birth.TypedDate("1970-02-01")


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("31/02/2020", "February 2020 has 29 days"),
        ("29/02/2023", "February 2023 has 28 days"),
        ("31/04/1990", "April 1990 has 30 days"),
        ("01/01/0001", "the year 1 is outside 1880-"),
        ("0001-01-01", "the year 1 is outside 1880-"),
        ("1/1/9999", "the year 9999 is outside 1880-"),
        ("00/01/1990", "January 1990 has 31 days"),
        ("12/00/1990", "no month 0"),
        ("12/13/1990", "no month 13"),
    ],
)
def test_impossible_dates_say_why_and_never_raise(typed: str, says: str) -> None:
    found = dates_of_birth.read(typed)
    assert found is not None and found.fault is not None and says in found.fault
    assert found.iso == typed  # not a date: the service searches for nothing
    term = classify(typed)
    assert term is not None and term.kind is SearchKind.DATE_OF_BIRTH and term.note == found.fault


def test_a_date_in_the_future_is_no_birthday(monkeypatch: pytest.MonkeyPatch) -> None:
    # Mid-year, so that tomorrow is in this year (on 31 December the year range would answer).
    monkeypatch.setattr(dates_of_birth, "today_london", lambda: date(2026, 6, 15))
    typed = "16/06/2026"
    found = dates_of_birth.read(typed)
    assert found is not None and found.fault == f"{typed} is in the future, so it cannot be a date of birth."


def test_today_is_a_possible_date_of_birth() -> None:
    today = today_london()
    assert dates_of_birth.read(today.strftime("%d/%m/%Y")) == dates_of_birth.TypedDate(today.isoformat())


@pytest.mark.parametrize("typed", ["17/", "17/05", "17/05/", "17/05/19", "17/05/195", "1950-", "1950-05"])
def test_a_date_still_being_typed_is_a_date_search_with_nothing_to_search_yet(typed: str) -> None:
    assert dates_of_birth.read(typed) == dates_of_birth.TypedDate("")
    term = classify(typed)
    assert term is not None and (term.kind, term.value) == (SearchKind.DATE_OF_BIRTH, "")


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("9999", SearchKind.NHS_PREFIX),
        ("999 000 0018", SearchKind.NHS_NUMBER),
        ("07700 900123", SearchKind.PHONE),
        ("0207-946-0018", SearchKind.PHONE),
        ("bn1 1aa", SearchKind.POSTCODE),
        ("smith", SearchKind.NAME),
        ("17051950", SearchKind.NHS_PREFIX),  # no separators: digits are an NHS number being typed
    ],
)
def test_other_searches_are_not_taken_for_dates(typed: str, kind: SearchKind) -> None:
    assert dates_of_birth.read(typed) is None
    term = classify(typed)
    assert term is not None and term.kind is kind


def test_earliest_year_is_older_than_anyone_alive() -> None:
    assert date(dates_of_birth.EARLIEST_YEAR, 1, 1) < date(1900, 1, 1)
