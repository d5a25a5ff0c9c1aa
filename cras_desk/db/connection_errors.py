"""Which database errors mean "the database cannot be reached", as against a refused statement.

One answer for the whole desk: the heartbeat's "reconnecting" and a panel's "cannot be reached,
nothing you typed is lost" must agree about the same error.
"""

from __future__ import annotations


def is_connection_error(exc: BaseException) -> bool:
    """True for a lost, refused or invalidated connection; False for a business rule or a bad statement."""
    # Imported here: the GUI panels call this, and should not pull SQLAlchemy in at their import.
    from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError

    if isinstance(exc, DisconnectionError | OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)
