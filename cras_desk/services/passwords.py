"""Password hashing: Argon2id (argon2-cffi) for every new hash; old scrypt hashes still verify.

The parameters are OWASP's first Argon2id choice (19 MiB, 2 passes, 1 lane): about 25 ms on the
development machine, as long as the scrypt they replace, and one lane, so a sign-in does not take
both cores of an advisor's PC. A hash made with weaker parameters, or with scrypt, verifies and is
then reported by needs_rehash, so the sign-in that proves the password replaces it
(cras_desk.services.auth).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

TIME_COST = 2
MEMORY_COST_KIB = 19_456
PARALLELISM = 1
# Hashing costs the same for any length, but a password of megabytes still costs the server the
# reading, encoding and copying of it: refused before it is hashed.
MAX_LENGTH = 1_024
MIN_LENGTH = 8

_HASHER = PasswordHasher(
    time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM, type=Type.ID
)
_SCRYPT_MAXMEM = 64 * 1024 * 1024


def password_problem(password: str) -> str | None:
    """Why this text cannot be a password (a sentence to show), or None if it can.

    A NUL or other control character cannot be typed at the sign-in box, is cut short by some C
    libraries (a password "demo-password\\0anything" must not be demo-password), and is refused
    by PostgreSQL's text columns: it is never a password.
    """
    if len(password) > MAX_LENGTH:
        return f"A password can have at most {MAX_LENGTH:,} characters."
    if any(unicodedata.category(c) == "Cc" for c in password):
        return "A password cannot contain control characters (such as NUL, tab or a line break)."
    return None


def new_password_problem(password: str) -> str | None:
    """password_problem, and the rules for a password being set (its length)."""
    if len(password) < MIN_LENGTH:
        return f"A password needs at least {MIN_LENGTH} characters."
    return password_problem(password)


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """An Argon2id hash of password; salt only for data that must come out the same (demo seed)."""
    return _HASHER.hash(password, salt=salt)


def verify_password(password: str, stored: str) -> bool:
    if stored.startswith("scrypt$"):
        return _verify_scrypt(password, stored)
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True for a hash that verified but is not Argon2id at today's parameters (or stronger)."""
    if not stored.startswith("$argon2id$"):
        return True
    try:
        return _HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True


def _verify_scrypt(password: str, stored: str) -> bool:
    """The hashes desks made before Argon2id: scrypt$N$r$p$salt$digest (base64)."""
    try:
        _scheme, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=_SCRYPT_MAXMEM,
        )
    except ValueError:
        return False
    return hmac.compare_digest(got, expected)


def scrypt_hash(password: str, salt: bytes, *, n: int = 2**14, r: int = 8, p: int = 1) -> str:
    """An old-style scrypt hash, as desks before Argon2id stored: for tests of the upgrade path."""
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${n}${r}${p}${b64(salt).decode()}${b64(digest).decode()}"
