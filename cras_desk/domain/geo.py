"""Great-circle distances, for "how far is this clinic from the patient's postcode".

Straight-line distance is only a guide to travel (a river or a bus route can double it),
but it ranks providers well enough for a choice conversation and needs no map service.
"""

from __future__ import annotations

import math
from typing import Final

EARTH_RADIUS_KM: Final = 6371.0088  # mean radius (IUGG); the error over England is well under 1%
KM_PER_MILE: Final = 1.609344  # patients think in miles


def _check(lat: float, lon: float) -> None:
    # Out of range means garbage in (e.g. OS grid eastings/northings passed as degrees);
    # refuse it rather than rank providers by a meaningless distance.
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise ValueError(f"not a latitude/longitude pair: ({lat}, {lon})")


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres between two points given in decimal degrees."""
    _check(lat1, lon1)
    _check(lat2, lon2)
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    # min() guards against h creeping above 1 through rounding for antipodal points.
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


def miles(km: float) -> float:
    return km / KM_PER_MILE
