"""How many wrong passwords lock an account, and for how long.

Read at every sign-in through AuthService's `policy(session)`, so the unit-wide values can live in
the database (central settings keys "lockout_failures" and "lockout_minutes") and change without
restarting a desk; the defaults here apply until they do.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class SignInPolicy:
    max_failures: int = 5  # consecutive wrong passwords that lock the account
    lockout_minutes: int = 15  # how long it stays locked (an admin can unlock it sooner)

    def __post_init__(self) -> None:
        if self.max_failures < 1 or self.lockout_minutes < 1:
            raise ValueError("a sign-in policy needs at least 1 failure and 1 minute")


def default_policy(_session: Session) -> SignInPolicy:
    return SignInPolicy()
