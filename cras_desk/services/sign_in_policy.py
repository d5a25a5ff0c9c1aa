"""How many wrong passwords lock an account, and for how long.

Read at every sign-in through AuthService's `policy(session)`, from the unit's central settings
(lockout_failures, lockout_minutes, lockout_until_admin_unlocks), so an admin's change applies at
the next sign-in at every desk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class SignInPolicy:
    max_failures: int = 5  # consecutive wrong passwords that lock the account
    lockout_minutes: int = 15  # how long it stays locked (an admin can unlock it sooner)
    until_admin_unlocks: bool = False  # locked until an admin unlocks it, however long that is

    def __post_init__(self) -> None:
        if self.max_failures < 1 or self.lockout_minutes < 1:
            raise ValueError("a sign-in policy needs at least 1 failure and 1 minute")


# locked_until of an account that stays locked until an admin unlocks it.
UNTIL_UNLOCKED = datetime(9999, 12, 31, tzinfo=UTC)


def default_policy(session: Session) -> SignInPolicy:
    from cras_desk.services import central_settings

    unit = central_settings.read(session)
    return SignInPolicy(unit.lockout_failures, unit.lockout_minutes, unit.lockout_until_admin_unlocks)
