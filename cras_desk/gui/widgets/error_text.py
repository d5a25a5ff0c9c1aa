"""What an advisor reads when a background call fails: domain errors as written, the rest explained."""

from __future__ import annotations

import logging

from cras_desk.db.connection_errors import is_connection_error
from cras_desk.domain.errors import CrasError

log = logging.getLogger(__name__)

KEPT = "Nothing you typed has been lost."


def describe_error(exc: BaseException) -> str:
    """One or two sentences for the message banner; domain errors already speak to the advisor."""
    if isinstance(exc, CrasError):
        return str(exc)
    if is_connection_error(exc):
        return f"The database cannot be reached just now. {KEPT} Try again in a moment."
    log.error("unexpected error in a desk panel", exc_info=exc)
    return f"Something unexpected went wrong ({type(exc).__name__}). {KEPT} Try again, or tell IT."
