from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cras_desk.domain.geo import EARTH_RADIUS_KM, haversine_km, miles

lats = st.floats(min_value=-90, max_value=90)
lons = st.floats(min_value=-180, max_value=180)


def test_one_degree_of_latitude() -> None:
    assert haversine_km(50.0, -0.1, 51.0, -0.1) == pytest.approx(2 * math.pi * EARTH_RADIUS_KM / 360)
    assert haversine_km(50.0, -0.1, 51.0, -0.1) == pytest.approx(111.195, abs=0.01)


def test_brighton_to_london() -> None:
    # Brighton station to Charing Cross is about 76 km (47 miles) as the crow flies.
    km = haversine_km(50.8290, -0.1410, 51.5080, -0.1247)
    assert km == pytest.approx(75.5, abs=0.5)
    assert miles(km) == pytest.approx(46.9, abs=0.3)


def test_antipodes_are_half_the_circumference_apart() -> None:
    assert haversine_km(0.0, 0.0, 0.0, 180.0) == pytest.approx(math.pi * EARTH_RADIUS_KM)


def test_miles() -> None:
    assert miles(1.609344) == pytest.approx(1.0)
    assert miles(0.0) == 0.0


@pytest.mark.parametrize("point", [(150.83, -0.14), (50.83, -190.0), (531000.0, 104000.0)])
def test_out_of_range_coordinates_are_refused(point: tuple[float, float]) -> None:
    with pytest.raises(ValueError, match="not a latitude/longitude pair"):
        haversine_km(*point, 51.5, -0.12)
    with pytest.raises(ValueError):
        haversine_km(51.5, -0.12, *point)


@given(lats, lons, lats, lons)
def test_distance_is_symmetric_and_bounded(lat1: float, lon1: float, lat2: float, lon2: float) -> None:
    d = haversine_km(lat1, lon1, lat2, lon2)
    assert 0.0 <= d <= math.pi * EARTH_RADIUS_KM + 1e-6
    assert d == pytest.approx(haversine_km(lat2, lon2, lat1, lon1), abs=1e-6)
    assert haversine_km(lat1, lon1, lat1, lon1) == pytest.approx(0.0, abs=1e-9)
