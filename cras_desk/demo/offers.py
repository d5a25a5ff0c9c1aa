"""What a seeded choice offer lists: every site offering the service, as the choice screen showed
it on the day (offer_snapshot's entries), nearest first, with each site's distance in miles.

A site's part of an entry (its wait, next free place, facilities) is the same for every patient
offered it that day, so it is made once per site, service and day; only the distance and whether
the site meets the patient's needs differ between patients.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from math import asin, cos, radians, sin, sqrt
from typing import Any

from cras_desk.demo.geography import HUBS, PROVIDERS, Hub
from cras_desk.demo.organisation import sites_offering
from cras_desk.demo.patients import PatientFacts
from cras_desk.demo.schedule import SlotBook, Waits
from cras_desk.demo.seed_calendar import SeedCalendar
from cras_desk.domain.enums import ServiceCode
from cras_desk.domain.geo import EARTH_RADIUS_KM, KM_PER_MILE
from cras_desk.domain.offer_snapshot import entry as offer_entry
from cras_desk.domain.offer_snapshot import for_patient, site_address

_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class _SiteFacts:
    """What an offer says about a hub that does not change from one offer to the next."""

    name: str
    provider_name: str
    address: str
    postcode: str
    opening_hours: str
    step_free: bool
    hearing_loop: bool
    parking: bool
    facilities: dict[str, bool]  # by patient need (PatientFacts.needs)

    @classmethod
    def of(cls, hub: Hub) -> _SiteFacts:
        return cls(
            name=hub.name,
            provider_name=PROVIDERS[hub.provider][0],
            address=site_address(hub.address_line1, hub.address_line2, hub.town),
            postcode=hub.postcode,
            opening_hours=hub.opening_hours,
            step_free=hub.step_free,
            hearing_loop=hub.hearing_loop,
            parking=hub.parking,
            facilities={"step_free": hub.step_free, "hearing_loop": hub.hearing_loop, "parking": hub.parking},
        )


class OfferSites:
    """The sites a seeded offer lists, from the seed's waits and slot book."""

    def __init__(self, cal: SeedCalendar, waits: Waits, book: SlotBook) -> None:
        self.cal = cal
        self.waits = waits
        self.book = book
        self.sites = {code: sites_offering(code) for code in ServiceCode}
        self.site_facts = {i: _SiteFacts.of(hub) for i, hub in enumerate(HUBS, start=1)}
        self.site_entries: dict[tuple[int, int, date], dict[str, Any]] = {}
        self.hub_radians = {
            i: (radians(h.latitude), radians(h.longitude), cos(radians(h.latitude)))
            for i, h in enumerate(HUBS, start=1)
        }

    def site_on(self, site_id: int, service_id: int, day: date) -> dict[str, Any]:
        """The offer entry of a site's service as any patient was shown it on `day` (made once).

        The next free place is looked up from the day after, as the simulation stood when the
        site was first offered that day: a seeded history is simulated referral by referral, not
        in time order, so the slot book never holds the exact state of a past day anyway, and
        starting the next day keeps the place after every offer made that day.
        """
        key = (site_id, service_id, day)
        found = self.site_entries.get(key)
        if found is None:
            site = self.site_facts[site_id]
            found = self.site_entries[key] = offer_entry(
                site_id=site_id,
                site_name=site.name,
                provider_name=site.provider_name,
                address=site.address,
                postcode=site.postcode,
                wait_weeks=self.waits.on(site_id, service_id, day),
                wait_as_of=self.waits.as_of_on(day),
                next_free_slot=self.book.next_free(site_id, service_id, self.cal.at(day + _DAY, 0)),
                distance_km=None,
                step_free=site.step_free,
                hearing_loop=site.hearing_loop,
                parking=site.parking,
                opening_hours=site.opening_hours,
                meets_adjustments=None,
            )
        return found

    def options(
        self, patient: PatientFacts, service: ServiceCode, service_id: int, day: date
    ) -> tuple[list[dict[str, Any]], list[float]]:
        """The offer's entries (offer_snapshot's shape, as the choice screen showed them on `day`),
        nearest first, and each one's distance in miles (what the patient weighs)."""
        needs = patient.needs
        lat, lon = radians(patient.latitude), radians(patient.longitude)
        cos_lat = cos(lat)
        found = []
        for site_id in self.sites[service]:
            hub_lat, hub_lon, hub_cos = self.hub_radians[site_id]
            # domain.geo.haversine_km inlined: it validates its inputs, which costs more than the sum.
            h = sin((hub_lat - lat) / 2) ** 2 + cos_lat * hub_cos * sin((hub_lon - lon) / 2) ** 2
            km = 2 * EARTH_RADIUS_KM * asin(sqrt(min(1.0, h)))
            facilities = self.site_facts[site_id].facilities
            option = for_patient(
                self.site_on(site_id, service_id, day),
                distance_km=round(km, 2),
                meets_adjustments=not needs or all(facilities[need] for need in needs),
            )
            found.append((round(km / KM_PER_MILE, 1), site_id, option))
        found.sort()  # (miles, site_id): site ids are unique, so entries are never compared
        return [f[2] for f in found], [f[0] for f in found]


def as_listed(option: dict[str, Any]) -> tuple[int, float, str, int]:
    # The order ChoiceService.options lists sites in: shortest wait, then nearest (seeded waits
    # are never missing).
    return option["wait_weeks"], option["distance_km"], option["site_name"], option["site_id"]
