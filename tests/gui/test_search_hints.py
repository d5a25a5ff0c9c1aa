"""The worklist search box while a date of birth is typed: a hint until it is whole, then the search,
and for an impossible date the reason instead of rows."""

from __future__ import annotations

import pytest

from cras_desk.gui.worklist.panel import effective_search


@pytest.mark.parametrize("typed", ["17/", "17/05", "17/05/19", "1950-05"])
def test_a_date_being_typed_waits_with_a_hint(typed: str) -> None:
    assert effective_search(typed) == ("", "Keep typing: the date of birth in full, e.g. 17/05/1950")


def test_a_whole_date_searches() -> None:
    assert effective_search(" 17/05/1950 ") == ("17/05/1950", "")


def test_an_impossible_date_searches_for_nothing_and_says_why() -> None:
    search, hint = effective_search("31/02/2020")
    assert search == "31/02/2020"
    assert hint == "31/02/2020 is not a date: February 2020 has 29 days."


@pytest.mark.parametrize("typed", ["'", "-- ..", "Иван", "李"])
def test_a_search_nothing_can_match_says_so_instead_of_listing_everything(typed: str) -> None:
    assert effective_search(typed) == ("", "Type letters or digits to search.")
