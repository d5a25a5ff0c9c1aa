from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cras_desk.domain import postcode
from cras_desk.domain.errors import InvalidPostcode, ValidationError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bn11ab", "BN1 1AB"),
        ("BN1 1AB", "BN1 1AB"),
        ("  bn1   1ab ", "BN1 1AB"),
        ("m1 1ae", "M1 1AE"),  # A9
        ("b33 8th", "B33 8TH"),  # A99
        ("cr2 6xh", "CR2 6XH"),  # AA9
        ("dn55 1pt", "DN55 1PT"),  # AA99
        ("w1a 0ax", "W1A 0AX"),  # A9A
        ("ec1a 1bb", "EC1A 1BB"),  # AA9A
        ("sw1a2aa", "SW1A 2AA"),
        ("gir0aa", "GIR 0AA"),
    ],
)
def test_normalise_formats(text: str, expected: str) -> None:
    assert postcode.normalise(text) == expected
    assert postcode.is_valid(text)


@pytest.mark.parametrize(
    "text",
    [
        "BN1 OAB",  # letter O typed for zero
        "BN1 1CB",  # C never appears in the inward code
        "BN1",  # outward only
        "1BN 1AB",
        "QN1 1AB",  # Q never starts a postcode
        "BN1 1AB X",
        "GIR 1AA",
        "BN1-1AB",
    ],
)
def test_invalid_postcodes(text: str) -> None:
    assert not postcode.is_valid(text)
    with pytest.raises(InvalidPostcode, match="not a valid UK postcode"):
        postcode.normalise(text)


def test_blank_postcode_asks_for_one() -> None:
    with pytest.raises(InvalidPostcode, match="Enter a postcode"):
        postcode.normalise("   ")


def test_invalid_postcode_is_a_validation_error() -> None:
    with pytest.raises(ValidationError):
        postcode.normalise("nope")


def test_outward() -> None:
    assert postcode.outward("bn11ab") == "BN1"
    assert postcode.outward("SW1A 2AA") == "SW1A"
    assert postcode.outward("DN55 1PT") == "DN55"
    with pytest.raises(InvalidPostcode):
        postcode.outward("BN1")


def test_search_key() -> None:
    assert postcode.search_key("BN1 1AB") == "bn11ab"
    assert postcode.search_key(" bn1 1a") == "bn11a"
    assert postcode.search_key("BN1") == "bn1"


valid_postcodes = st.builds(
    lambda area, district, sector, unit: f"{area}{district} {sector}{unit}",
    st.sampled_from(["B", "M", "BN", "SW", "EC", "LS", "DN", "TR"]),
    st.integers(1, 99).map(str),
    st.integers(0, 9).map(str),
    st.text(alphabet="ABDEFGHJLNPQRSTUWXYZ", min_size=2, max_size=2),
)


@given(valid_postcodes, st.sampled_from([str.lower, str.upper, lambda s: s.replace(" ", "")]))
def test_normalise_round_trips(pc: str, mangle: Callable[[str], str]) -> None:
    typed = mangle(pc)
    assert postcode.normalise(typed) == pc
    assert postcode.normalise(postcode.normalise(typed)) == pc
    assert postcode.search_key(typed) == pc.replace(" ", "").lower()
    assert postcode.outward(typed) == pc.split(" ")[0]
