"""The database password in the OS keyring; never in a file.

On headless Linux keyring has no backend and raises NoKeyringError: callers are told so and ask
the user each time instead.
"""

from __future__ import annotations

import contextlib

import keyring
from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

SERVICE = "cras-desk"


def _account(url_without_password: str) -> str:
    return f"db:{url_without_password}"


def keyring_available() -> bool:
    try:
        backend = keyring.get_keyring()
    except KeyringError:
        return False
    # keyring falls back to its "fail" backend (priority 0) where the OS offers none.
    return type(backend).__module__ != "keyring.backends.fail" and getattr(backend, "priority", 0) > 0


def get_password(url_without_password: str) -> str | None:
    try:
        return keyring.get_password(SERVICE, _account(url_without_password))
    except (NoKeyringError, KeyringError):
        return None


def store_password(url_without_password: str, password: str) -> bool:
    """True if stored; False where no keyring exists (the caller then asks each time)."""
    try:
        keyring.set_password(SERVICE, _account(url_without_password), password)
    except (NoKeyringError, KeyringError):
        return False
    return True


def forget_password(url_without_password: str) -> None:
    with contextlib.suppress(NoKeyringError, PasswordDeleteError, KeyringError):
        keyring.delete_password(SERVICE, _account(url_without_password))
