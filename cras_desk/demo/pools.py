"""Pools of names and street names, drawn from Faker once and then combined with the RNG.

Calling Faker per row costs tens of microseconds each; at 300,000 patients that is most of the
seed. A few thousand draws give enough variety, and picking from lists is cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

from cras_desk.demo.dice import Dice

# Names with diacritics, apostrophes and spaces: letters, search keys and sorting must cope.
SPECIAL_FEMALE = ("Zoë", "Siobhán", "Aoife", "Małgorzata", "Chloë", "Renée", "Anaïs", "Niamh", "Søren")
SPECIAL_MALE = ("Łukasz", "Seán", "José", "Bartłomiej", "François", "Jürgen", "Ciarán", "Oisín", "Zoltán")
SPECIAL_FAMILY = (
    "Ó Súilleabháin",
    "Ní Bhriain",
    "Mac Giolla Phádraig",
    "Wiśniewski",
    "Kowalczyk",
    "Nowak",
    "Müller",
    "Brontë",
    "García",
    "Núñez",
    "Sørensen",
    "O'Brien",
    "D'Souza",
    "Smith-Jones",
    "van der Berg",
    "Łopez-Żak",
)

_STREET_SUFFIXES = (
    "Road",
    "Road",
    "Road",
    "Street",
    "Street",
    "Avenue",
    "Close",
    "Lane",
    "Gardens",
    "Crescent",
    "Drive",
    "Way",
    "Place",
    "Terrace",
    "Rise",
    "Grove",
)
_COMMON_STREETS = (
    "High Street",
    "Church Road",
    "Station Road",
    "London Road",
    "Victoria Road",
    "The Drive",
    "The Avenue",
    "Marine Parade",
    "Seaside Road",
    "Ditchling Road",
    "Eastern Road",
    "Western Road",
    "Queens Road",
    "Kings Road",
    "Park Lane",
    "Mill Lane",
    "School Lane",
    "Downs View",
    "South Street",
    "North Street",
    "Sea Road",
    "Green Lane",
    "Old Shoreham Road",
    "Lewes Road",
    "Hastings Road",
)
_HOUSE_NAMES = ("Rose Cottage", "The Old Forge", "Hillside", "Meadow View", "Orchard House", "Downsview")
_BLOCKS = (
    "Regency House",
    "Marine Court",
    "Albion Mansions",
    "Sussex Heights",
    "Downs Court",
    "Seaview Flats",
)


@dataclass(frozen=True)
class Pools:
    female: tuple[str, ...]
    male: tuple[str, ...]
    family: tuple[str, ...]
    streets: tuple[str, ...]

    @classmethod
    def build(cls, seed: int) -> Pools:
        from faker import Faker  # imported here: it costs a few tenths of a second, seeding only

        fake = Faker("en_GB")
        fake.seed_instance(seed)
        female = tuple(fake.first_name_female() for _ in range(1000))
        male = tuple(fake.first_name_male() for _ in range(1000))
        family = tuple(fake.last_name() for _ in range(3000))
        # Street names in the local manner: a surname or place word with a common suffix.
        dice = Dice.seeded(f"cras-demo:{seed}:streets")
        words = [fake.last_name() for _ in range(1200)] + [fake.city_prefix() for _ in range(40)]
        streets = tuple(
            dice.pick(_COMMON_STREETS)
            if dice.chance(0.15)
            else f"{dice.pick(words)} {dice.pick(_STREET_SUFFIXES)}"
            for _ in range(5000)
        )
        return cls(female, male, family, streets)

    def given_name(self, dice: Dice, female: bool) -> str:
        if dice.chance(0.02):
            return dice.pick(SPECIAL_FEMALE if female else SPECIAL_MALE)
        return dice.pick(self.female if female else self.male)

    def family_name(self, dice: Dice) -> str:
        if dice.chance(0.02):
            return dice.pick(SPECIAL_FAMILY)
        return dice.pick(self.family)

    def address(self, dice: Dice, locality: str | None) -> tuple[str, str | None]:
        """(line 1, line 2): a numbered house, a named house, or a flat in a block."""
        street = dice.pick(self.streets)
        roll = dice.random()
        if roll < 0.10:
            return f"Flat {dice.between(1, 40)}, {dice.pick(_BLOCKS)}", f"{dice.between(1, 120)} {street}"
        if roll < 0.14:
            return dice.pick(_HOUSE_NAMES), street
        return f"{dice.between(1, 240)} {street}", locality
