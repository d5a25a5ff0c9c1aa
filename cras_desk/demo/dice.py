"""A thin, fast face on random.Random for the seed's millions of small draws.

random.Random's randint/choice/choices are written in Python and cost a microsecond or more
each; these use the C-level random() directly and cost a fraction of that. Same seed, same
draws: the seed's determinism rests on this class as much as on the seed itself.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


class Dice:
    __slots__ = ("random", "rng")

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng  # for the rare draws Dice does not cover (gauss, sample, shuffle)
        self.random = rng.random

    @classmethod
    def seeded(cls, key: str) -> Dice:
        # A string seed is hashed with SHA-512, so it is stable across runs and Python builds.
        return cls(random.Random(key))

    def between(self, lo: int, hi: int) -> int:
        """A whole number in [lo, hi], both ends included."""
        return lo + int(self.random() * (hi - lo + 1))

    def pick(self, seq: Sequence[T]) -> T:
        return seq[int(self.random() * len(seq))]

    def weighted(self, seq: Sequence[T], cum_weights: Sequence[float]) -> T:
        return seq[bisect(cum_weights, self.random() * cum_weights[-1])]

    def chance(self, p: float) -> bool:
        return self.random() < p

    def uniform(self, lo: float, hi: float) -> float:
        return lo + (hi - lo) * self.random()

    def gauss(self, mu: float, sigma: float) -> float:
        return self.rng.gauss(mu, sigma)
