"""The demo service's patch: an East Sussex-like area of postal districts, teams and hubs.

Outward codes and their rough centres are real, so distances between patients and hubs look
right on a choice screen; the inward halves are random (valid in form, not necessarily issued),
and the hubs themselves are invented.
"""

from __future__ import annotations

from dataclasses import dataclass

from cras_desk.demo.dice import Dice
from cras_desk.domain import postcode

TEAM_NAMES = ("Brighton & Hove", "Eastbourne & Lewes", "Hastings & Rother")

# Royal Mail never uses these letters in the inward part of a postcode.
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


@dataclass(frozen=True)
class District:
    """A postal district (outward code) patients live in."""

    outward: str
    town: str
    latitude: float
    longitude: float
    team: int  # index into TEAM_NAMES
    weight: int  # relative population: how many demo patients live here
    localities: tuple[str, ...] = ()


DISTRICTS: tuple[District, ...] = (
    # Brighton & Hove
    District("BN1", "Brighton", 50.8390, -0.1420, 0, 9, ("Preston", "Hollingbury", "Patcham")),
    District("BN2", "Brighton", 50.8270, -0.1050, 0, 9, ("Kemptown", "Whitehawk", "Woodingdean")),
    District("BN3", "Hove", 50.8360, -0.1760, 0, 8, ("Aldrington", "Hangleton", "West Blatchington")),
    District("BN41", "Brighton", 50.8400, -0.2150, 0, 3, ("Portslade", "Mile Oak")),
    # Eastbourne & Lewes (Lewes district and Wealden)
    District("BN7", "Lewes", 50.8730, 0.0100, 1, 3, ("Kingston", "Cliffe")),
    District("BN8", "Lewes", 50.9000, 0.0600, 1, 2, ("Ringmer", "Barcombe")),
    District("BN9", "Newhaven", 50.7950, 0.0530, 1, 2, ("Denton",)),
    District("BN10", "Peacehaven", 50.7930, -0.0050, 1, 2, ("Telscombe Cliffs",)),
    District("BN20", "Eastbourne", 50.7620, 0.2500, 1, 3, ("Meads", "Willingdon", "East Dean")),
    District("BN21", "Eastbourne", 50.7700, 0.2800, 1, 4, ("Old Town", "Upperton")),
    District("BN22", "Eastbourne", 50.7900, 0.2850, 1, 4, ("Hampden Park", "Roselands")),
    District("BN23", "Eastbourne", 50.7950, 0.3150, 1, 3, ("Langney", "Sovereign Harbour")),
    District("BN24", "Pevensey", 50.8150, 0.3350, 1, 2, ("Westham", "Pevensey Bay")),
    District("BN25", "Seaford", 50.7750, 0.1050, 1, 3, ("Bishopstone",)),
    District("BN26", "Polegate", 50.8200, 0.2450, 1, 2, ("Wannock",)),
    District("BN27", "Hailsham", 50.8650, 0.2550, 1, 4, ("Hellingly", "Herstmonceux")),
    District("TN3", "Tunbridge Wells", 51.1000, 0.2100, 1, 1, ("Frant", "Groombridge")),
    District("TN5", "Wadhurst", 51.0620, 0.3400, 1, 1, ("Ticehurst",)),
    District("TN6", "Crowborough", 51.0600, 0.1650, 1, 3, ("Jarvis Brook",)),
    District("TN7", "Hartfield", 51.1000, 0.1100, 1, 1, ("Forest Row",)),
    District("TN20", "Mayfield", 51.0200, 0.2600, 1, 1, ("Five Ashes",)),
    District("TN21", "Heathfield", 50.9670, 0.2570, 1, 2, ("Horam", "Cross in Hand")),
    District("TN22", "Uckfield", 50.9700, 0.0970, 1, 3, ("Ridgewood", "Maresfield")),
    # Hastings & Rother
    District("TN19", "Etchingham", 51.0100, 0.4400, 2, 1, ("Burwash", "Hurst Green")),
    District("TN31", "Rye", 50.9500, 0.7300, 2, 1, ("Rye Harbour", "Peasmarsh")),
    District("TN32", "Robertsbridge", 50.9850, 0.4750, 2, 1, ("Salehurst",)),
    District("TN33", "Battle", 50.9150, 0.4850, 2, 1, ("Telham",)),
    District("TN34", "Hastings", 50.8600, 0.5800, 2, 4, ("Old Town", "Blacklands")),
    District("TN35", "Hastings", 50.8750, 0.6100, 2, 3, ("Ore", "Fairlight")),
    District("TN36", "Winchelsea", 50.9250, 0.7050, 2, 1, ("Icklesham",)),
    District("TN37", "St Leonards-on-Sea", 50.8700, 0.5550, 2, 3, ("Silverhill", "Hollington")),
    District("TN38", "St Leonards-on-Sea", 50.8600, 0.5400, 2, 3, ("West St Leonards",)),
    District("TN39", "Bexhill-on-Sea", 50.8450, 0.4550, 2, 3, ("Little Common", "Cooden")),
    District("TN40", "Bexhill-on-Sea", 50.8450, 0.4900, 2, 3, ("Sidley",)),
)

DISTRICT_WEIGHTS: tuple[int, ...] = tuple(d.weight for d in DISTRICTS)
COUNTY = "East Sussex"


@dataclass(frozen=True)
class Hub:
    """A site where clinics run. late_weekdays: days its clinics run into the evening (0 = Monday)."""

    name: str
    address_line1: str
    address_line2: str | None
    town: str
    postcode: str
    latitude: float
    longitude: float
    step_free: bool
    hearing_loop: bool
    parking: bool
    opening_hours: str
    phone: str
    provider: int  # index into PROVIDERS
    late_weekdays: tuple[int, ...]


PROVIDERS: tuple[tuple[str, str, str], ...] = (
    ("Sussex MSK Partnership East", "RYR", "01632 960001"),
    ("Downs Physiotherapy Partnership", "NV4", "01632 960002"),
    ("Weald Orthopaedic Clinic", "NT9", "01632 960003"),
)

HUBS: tuple[Hub, ...] = (
    Hub(
        "Brighton General MSK Hub",
        "Elm Grove",
        None,
        "Brighton",
        "BN2 3EW",
        50.8300,
        -0.1180,
        True,
        True,
        False,
        "Mon-Fri 08:00-20:00",
        "01632 960004",
        0,
        (1, 3),
    ),
    Hub(
        "Hove Polyclinic MSK Centre",
        "Nevill Avenue",
        None,
        "Hove",
        "BN3 7HY",
        50.8385,
        -0.1870,
        True,
        False,
        True,
        "Mon-Fri 08:00-18:00",
        "01632 960005",
        1,
        (),
    ),
    Hub(
        "Lewes Victoria Hub",
        "Nevill Road",
        None,
        "Lewes",
        "BN7 1PF",
        50.8770,
        0.0010,
        False,
        False,
        True,
        "Mon-Fri 09:00-17:00",
        "01632 960006",
        0,
        (),
    ),
    Hub(
        "Eastbourne Park MSK Centre",
        "Kings Drive",
        "Royal Parade Wing",
        "Eastbourne",
        "BN21 2UD",
        50.7835,
        0.2700,
        True,
        True,
        True,
        "Mon-Fri 08:00-20:00; Sat 09:00-13:00",
        "01632 960007",
        0,
        (0, 2),
    ),
    Hub(
        "Conquest MSK Hub",
        "The Ridge",
        None,
        "Hastings",
        "TN37 7RD",
        50.8870,
        0.5620,
        True,
        True,
        True,
        "Mon-Fri 08:00-19:00",
        "01632 960008",
        0,
        (3,),
    ),
    Hub(
        "Crowborough Memorial Clinic",
        "Southview Road",
        None,
        "Crowborough",
        "TN6 1HB",
        51.0560,
        0.1630,
        False,
        True,
        True,
        "Mon-Thu 08:30-17:30; Fri 08:30-16:00",
        "01632 960009",
        2,
        (),
    ),
    Hub(
        "Uckfield Community MSK Hub",
        "Framfield Road",
        None,
        "Uckfield",
        "TN22 5AW",
        50.9700,
        0.1020,
        True,
        False,
        True,
        "Mon-Fri 08:00-18:00; Wed until 19:30",
        "01632 960010",
        1,
        (2,),
    ),
)


def random_postcode(dice: Dice, district: District) -> str:
    """A postcode in the district, valid in form ("BN2 4QF"); sector 0 is rare, so skipped."""
    inward = f"{dice.between(1, 9)}{dice.pick(_INWARD_LETTERS)}{dice.pick(_INWARD_LETTERS)}"
    return postcode.normalise(f"{district.outward} {inward}")


def near(dice: Dice, district: District) -> tuple[float, float]:
    """A point around the district's centre (about a kilometre or two off)."""
    return (
        round(district.latitude + dice.gauss(0.0, 0.010), 5),
        round(district.longitude + dice.gauss(0.0, 0.015), 5),
    )
